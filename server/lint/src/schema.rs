//! Provider schemas kept in `schemas/providers/*.tfschema`, written by hand from the providers'
//! documented arguments (see the header of each file for the grammar).
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use crate::error::{Error, Result};

/// Value type of an argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    String,
    Number,
    Bool,
    List(Box<Ty>),
    Set(Box<Ty>),
    Map(Box<Ty>),
    /// A nested attribute object (`clone = { vm_id = 100 }`): the plugin framework's
    /// "nested attributes", written with `=` unlike a block.
    Object(Box<Block>),
    Any,
}

impl Ty {
    pub fn describe(&self) -> String {
        match self {
            Ty::String => "string".into(),
            Ty::Number => "number".into(),
            Ty::Bool => "bool".into(),
            Ty::List(t) => format!("list({})", t.describe()),
            Ty::Set(t) => format!("set({})", t.describe()),
            Ty::Map(t) => format!("map({})", t.describe()),
            Ty::Object(_) => "object".into(),
            Ty::Any => "any".into(),
        }
    }

    fn parse(s: &str) -> Option<Ty> {
        Some(match s {
            "string" => Ty::String,
            "number" => Ty::Number,
            "bool" => Ty::Bool,
            "any" => Ty::Any,
            _ => {
                let (outer, inner) = s.strip_suffix(')')?.split_once('(')?;
                let inner = Box::new(Ty::parse(inner)?);
                match outer {
                    "list" => Ty::List(inner),
                    "set" => Ty::Set(inner),
                    "map" => Ty::Map(inner),
                    _ => return None,
                }
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    pub ty: Ty,
    pub required: bool,
    pub sensitive: bool,
    pub computed: bool,
    pub deprecated: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Block {
    pub attrs: BTreeMap<String, Attr>,
    pub blocks: BTreeMap<String, NestedBlock>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NestedBlock {
    pub required: bool,
    pub max: Option<u32>,
    pub deprecated: Option<String>,
    pub block: Block,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub name: String,
    /// Doc page inside the provider's docs folder.
    pub doc: String,
    pub deprecated: Option<String>,
    pub block: Block,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Provider {
    /// `bpg/proxmox`, `Telmate/proxmox`.
    pub source: String,
    pub version: String,
    /// Corpus folder of its docs.
    pub docs: String,
    pub config: Block,
    pub config_doc: String,
    pub resources: BTreeMap<String, Resource>,
    /// The provider's other resource types, by name only (arguments not kept).
    pub other_resources: BTreeSet<String>,
    /// The provider's data sources, by name only.
    pub data_sources: BTreeSet<String>,
}

impl Provider {
    pub fn doc_uri(&self, page: &str) -> String {
        format!("provisio://docs/{0}/{0}/{1}", self.docs, page)
    }

    /// Short name used in messages: `bpg`, `Telmate`.
    pub fn short(&self) -> &str {
        self.source.split('/').next().unwrap_or(&self.source)
    }
}

pub const BPG_SOURCE: &str = include_str!("../../../schemas/providers/bpg-proxmox.tfschema");
pub const TELMATE_SOURCE: &str =
    include_str!("../../../schemas/providers/telmate-proxmox.tfschema");

/// The two providers, parsed once.
pub fn providers() -> &'static [Provider] {
    static P: OnceLock<Vec<Provider>> = OnceLock::new();
    P.get_or_init(|| {
        [
            ("bpg-proxmox.tfschema", BPG_SOURCE),
            ("telmate-proxmox.tfschema", TELMATE_SOURCE),
        ]
        .iter()
        .map(|(name, src)| match parse(src) {
            Ok(p) => p,
            // The files are compiled in and covered by tests; a broken one is a build bug.
            Err(e) => panic!("schemas/providers/{name}: {e}"),
        })
        .collect()
    })
}

/// The provider whose schema has this resource type.
pub fn provider_of_resource(ty: &str) -> Option<(&'static Provider, &'static Resource)> {
    providers()
        .iter()
        .find_map(|p| p.resources.get(ty).map(|r| (p, r)))
}

pub fn provider_by_source(source: &str) -> Option<&'static Provider> {
    let s = source
        .trim_start_matches("registry.terraform.io/")
        .trim_start_matches("registry.opentofu.org/");
    providers()
        .iter()
        .find(|p| p.source.eq_ignore_ascii_case(s))
}

struct Line<'a> {
    no: usize,
    indent: usize,
    text: &'a str,
}

fn words(text: &str) -> Vec<String> {
    // Split on spaces, keeping `key="quoted value"` together.
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ' ' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn kv(ws: &[String], key: &str) -> Option<String> {
    ws.iter().find_map(|w| {
        w.strip_prefix(key)
            .and_then(|r| r.strip_prefix('='))
            .map(|v| v.trim_matches('"').to_string())
    })
}

/// Expand `name{0..3}` to name0..name3.
fn expand(name: &str) -> Vec<String> {
    if let Some((pre, rest)) = name.split_once('{') {
        if let Some((range, post)) = rest.split_once('}') {
            if let Some((a, b)) = range.split_once("..") {
                if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) {
                    return (a..=b).map(|i| format!("{pre}{i}{post}")).collect();
                }
            }
        }
    }
    vec![name.to_string()]
}

fn parse_block(lines: &[Line], i: &mut usize, indent: usize) -> Result<Block> {
    let mut block = Block::default();
    while *i < lines.len() {
        let l = &lines[*i];
        if l.indent < indent {
            break;
        }
        if l.indent > indent {
            return Err(Error::Schema(format!("line {}: unexpected indent", l.no)));
        }
        *i += 1;
        let ws = words(l.text);
        let (name, ty) = match (ws.first(), ws.get(1)) {
            (Some(n), Some(t)) => (n.clone(), t.as_str()),
            _ => {
                return Err(Error::Schema(format!(
                    "line {}: expected `name type`",
                    l.no
                )))
            }
        };
        let flags = &ws[2..];
        let has = |f: &str| flags.iter().any(|w| w == f);
        let deprecated = kv(flags, "deprecated");
        if ty == "block" {
            let inner = parse_block(lines, i, indent + 2)?;
            let max = kv(flags, "max")
                .map(|m| {
                    m.parse()
                        .map_err(|_| Error::Schema(format!("line {}: bad max", l.no)))
                })
                .transpose()?;
            for n in expand(&name) {
                block.blocks.insert(
                    n,
                    NestedBlock {
                        required: has("required"),
                        max,
                        deprecated: deprecated.clone(),
                        block: inner.clone(),
                    },
                );
            }
        } else {
            // `object` and `map(object)` take their attributes from the indented lines below.
            let ty = match ty {
                "object" => Ty::Object(Box::new(parse_block(lines, i, indent + 2)?)),
                "map(object)" => Ty::Map(Box::new(Ty::Object(Box::new(parse_block(
                    lines,
                    i,
                    indent + 2,
                )?)))),
                _ => Ty::parse(ty)
                    .ok_or_else(|| Error::Schema(format!("line {}: unknown type `{ty}`", l.no)))?,
            };
            for n in expand(&name) {
                block.attrs.insert(
                    n,
                    Attr {
                        ty: ty.clone(),
                        required: has("required"),
                        sensitive: has("sensitive"),
                        computed: has("computed"),
                        deprecated: deprecated.clone(),
                    },
                );
            }
        }
    }
    Ok(block)
}

/// Parse one `.tfschema` file.
pub fn parse(src: &str) -> Result<Provider> {
    let lines: Vec<Line> = src
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(no, l)| Line {
            no: no + 1,
            indent: l.len() - l.trim_start().len(),
            text: l.trim(),
        })
        .collect();
    let mut i = 0;
    let mut provider: Option<Provider> = None;
    while i < lines.len() {
        let l = &lines[i];
        i += 1;
        let ws = words(l.text);
        match ws.first().map(String::as_str) {
            Some("provider") => {
                provider = Some(Provider {
                    source: ws.get(1).cloned().unwrap_or_default(),
                    version: ws.get(2).cloned().unwrap_or_default(),
                    docs: kv(&ws, "source").unwrap_or_default(),
                    config: Block::default(),
                    config_doc: String::new(),
                    resources: BTreeMap::new(),
                    other_resources: BTreeSet::new(),
                    data_sources: BTreeSet::new(),
                })
            }
            Some("config") => {
                let p = provider
                    .as_mut()
                    .ok_or_else(|| Error::Schema("`config` before `provider`".into()))?;
                p.config_doc = kv(&ws, "doc").unwrap_or_default();
                p.config = parse_block(&lines, &mut i, 2)?;
            }
            Some("resource") => {
                let name = ws.get(1).cloned().ok_or_else(|| {
                    Error::Schema(format!("line {}: resource without a name", l.no))
                })?;
                let doc = kv(&ws, "doc").unwrap_or_default();
                let deprecated = kv(&ws, "deprecated");
                let block = parse_block(&lines, &mut i, 2)?;
                let p = provider
                    .as_mut()
                    .ok_or_else(|| Error::Schema("`resource` before `provider`".into()))?;
                p.resources.insert(
                    name.clone(),
                    Resource {
                        name,
                        doc,
                        deprecated,
                        block,
                    },
                );
            }
            Some(kw @ ("other-resources" | "data-sources")) => {
                let p = provider
                    .as_mut()
                    .ok_or_else(|| Error::Schema(format!("`{kw}` before `provider`")))?;
                let set = match kw {
                    "other-resources" => &mut p.other_resources,
                    _ => &mut p.data_sources,
                };
                set.extend(ws[1..].iter().cloned());
            }
            _ => {
                return Err(Error::Schema(format!(
                    "line {}: expected provider, config, resource, other-resources or data-sources",
                    l.no
                )))
            }
        }
    }
    provider.ok_or_else(|| Error::Schema("no `provider` line".into()))
}

/// The closest name to `name` among `candidates`, if any is close.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a String>,
) -> Option<String> {
    let mut best: Option<(f64, &String)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(name, c);
        let lev = strsim::levenshtein(name, c);
        if (score >= 0.85 || lev <= 2) && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c.clone())
}

/// Schemas of every covered release, derived from the providers' Go source at each tag by
/// `scripts/provider_schemas/derive.py`: per provider, per resource, per argument path, the
/// spans of releases over which its properties held.
pub mod history {
    use std::collections::{BTreeMap, HashMap};
    use std::sync::{Mutex, OnceLock};

    use serde::Deserialize;

    use super::{Attr, Block, NestedBlock, Provider, Ty};

    pub const BPG: &str = include_str!("../../../schemas/providers/history/bpg.json");
    pub const TELMATE: &str = include_str!("../../../schemas/providers/history/telmate.json");

    #[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
    pub struct Props {
        pub kind: String,
        #[serde(default, rename = "type")]
        pub ty: String,
        #[serde(default)]
        pub required: bool,
        #[serde(default)]
        pub optional: bool,
        #[serde(default)]
        pub computed: bool,
        #[serde(default)]
        pub sensitive: bool,
        #[serde(default)]
        pub deprecated: Option<String>,
        #[serde(default)]
        pub max_items: Option<u32>,
        #[serde(default)]
        pub min_items: Option<u32>,
        /// Changing it re-creates the resource (SDKv2 `ForceNew`, framework
        /// `RequiresReplace`).
        #[serde(default)]
        pub force_new: bool,
    }

    type Span = (String, String, Props);

    #[derive(Debug, Deserialize)]
    pub struct History {
        pub provider: String,
        pub versions: Vec<String>,
        /// resource type → the versions that register it
        pub registered: BTreeMap<String, Vec<String>>,
        /// "provider" or a resource type → path → spans
        pub schemas: BTreeMap<String, BTreeMap<String, Vec<Span>>>,
    }

    /// Both histories, parsed once.
    pub fn all() -> &'static [History] {
        static H: OnceLock<Vec<History>> = OnceLock::new();
        H.get_or_init(|| {
            [("bpg.json", BPG), ("telmate.json", TELMATE)]
                .iter()
                .map(|(n, s)| match serde_json::from_str(s) {
                    Ok(h) => h,
                    // compiled in and covered by tests: a broken file is a build bug
                    Err(e) => panic!("schemas/providers/history/{n}: {e}"),
                })
                .collect()
        })
    }

    pub fn of(source: &str) -> Option<&'static History> {
        all()
            .iter()
            .find(|h| h.provider.eq_ignore_ascii_case(source))
    }

    impl History {
        fn index(&self, v: &str) -> Option<usize> {
            self.versions.iter().position(|x| x == v)
        }

        /// `{path: props}` of one schema at one covered version.
        pub fn flat(&self, name: &str, version: &str) -> Option<BTreeMap<&str, &Props>> {
            let i = self.index(version)?;
            let paths = self.schemas.get(name)?;
            let mut out = BTreeMap::new();
            for (p, spans) in paths {
                for (from, to, props) in spans {
                    let (Some(a), Some(b)) = (self.index(from), self.index(to)) else {
                        continue;
                    };
                    if a <= i && i <= b {
                        out.insert(p.as_str(), props);
                    }
                }
            }
            Some(out)
        }

        pub fn registered_at(&self, name: &str, version: &str) -> bool {
            self.registered
                .get(name)
                .is_some_and(|vs| vs.iter().any(|v| v == version))
        }

        /// Whether any covered release has this argument path in this schema.
        pub fn ever(&self, name: &str, path: &str) -> bool {
            self.schemas
                .get(name)
                .is_some_and(|paths| paths.contains_key(path))
        }
    }

    fn ty_of(t: &str, children: Block) -> Ty {
        match t {
            "string" => Ty::String,
            "number" => Ty::Number,
            "bool" => Ty::Bool,
            "object" => Ty::Object(Box::new(children)),
            _ => {
                let Some((outer, inner)) = t.strip_suffix(')').and_then(|s| s.split_once('('))
                else {
                    return Ty::Any;
                };
                let inner = Box::new(ty_of(inner, children));
                match outer {
                    "list" => Ty::List(inner),
                    "set" => Ty::Set(inner),
                    "map" => Ty::Map(inner),
                    _ => Ty::Any,
                }
            }
        }
    }

    /// Build the nested [`Block`] for the paths under `prefix`.
    fn build(flat: &BTreeMap<&str, &Props>, prefix: &str) -> Block {
        let mut block = Block::default();
        for (path, props) in flat.range::<str, _>((
            std::ops::Bound::Included(prefix),
            std::ops::Bound::Unbounded,
        )) {
            let Some(name) = path.strip_prefix(prefix) else {
                break;
            };
            if name.is_empty() || name.contains('.') {
                continue;
            }
            let inner = || build(flat, &format!("{path}."));
            match props.kind.as_str() {
                "block" => {
                    block.blocks.insert(
                        name.to_string(),
                        NestedBlock {
                            required: props.required || props.min_items.unwrap_or(0) > 0,
                            max: props.max_items,
                            deprecated: props.deprecated.clone(),
                            block: inner(),
                        },
                    );
                }
                "attribute" => {
                    let children = if props.ty.contains("object") {
                        inner()
                    } else {
                        Block::default()
                    };
                    block.attrs.insert(
                        name.to_string(),
                        Attr {
                            ty: ty_of(&props.ty, children),
                            required: props.required,
                            sensitive: props.sensitive,
                            // read-only: computed and not settable
                            computed: props.computed && !props.optional && !props.required,
                            deprecated: props.deprecated.clone(),
                        },
                    );
                }
                _ => {}
            }
        }
        block
    }

    /// The provider as it was at `version` (a covered release): the hand-written base for its
    /// docs and type lists, with the argument schemas of that release. Built once per version.
    pub fn provider_at(base: &'static Provider, version: &str) -> Option<&'static Provider> {
        static CACHE: OnceLock<Mutex<HashMap<(String, String), &'static Provider>>> =
            OnceLock::new();
        let h = of(&base.source)?;
        h.index(version)?;
        let key = (base.source.clone(), version.to_string());
        let cache = CACHE.get_or_init(Default::default);
        if let Some(p) = cache.lock().ok()?.get(&key) {
            return Some(p);
        }
        let mut p = base.clone();
        p.version = version.to_string();
        if let Some(flat) = h.flat("provider", version) {
            p.config = build(&flat, "");
        }
        let names: Vec<String> = p.resources.keys().cloned().collect();
        for name in names {
            if !h.registered.contains_key(&name) {
                continue;
            }
            if !h.registered_at(&name, version) {
                p.resources.remove(&name);
                continue;
            }
            let Some(flat) = h.flat(&name, version) else {
                continue;
            };
            if let Some(r) = p.resources.get_mut(&name) {
                r.deprecated = flat.get("").and_then(|x| x.deprecated.clone());
                r.block = build(&flat, "");
            }
        }
        let leaked: &'static Provider = Box::leak(Box::new(p));
        cache.lock().ok()?.insert(key, leaked);
        Some(leaked)
    }
}
