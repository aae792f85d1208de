//! Terraform linting: one module (the `.tf` files of one directory) at a time. Syntax, provider
//! schemas, references, security, and (with cluster facts) the cluster-aware rules.
//!
//! Rules reported here: PV001 hcl-syntax-error, PV010 unknown-argument,
//!   PV011 missing-required-argument, PV012 wrong-type, PV013 deprecated-argument,
//!   PV014 read-only-argument, PV015 too-many-blocks, PV016 unknown-resource-type,
//!   PV020 undefined-variable, PV023 duplicate-name, PV030 plaintext-secret.
use std::collections::{BTreeMap, BTreeSet};

use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::{Attribute, Block, Body, Structure};
use hcl_edit::Span as _;

use crate::facts::ClusterFacts;
use crate::finding::{Finding, LineIndex, Sink, Span};
use crate::rules::Code;
use crate::schema::{self, did_you_mean, Provider, Ty};
use crate::severity::Severity;

mod cluster;
mod network;
mod providers;
mod refs;
mod security;
pub mod syntax;
mod validation;
pub mod values;

/// A parsed `.tf` file.
pub struct TfFile<'a> {
    pub path: &'a str,
    pub text: &'a str,
    pub idx: LineIndex,
    pub body: Body,
}

impl TfFile<'_> {
    pub fn span(&self, range: Option<std::ops::Range<usize>>) -> Span {
        let r = range.unwrap_or(0..0);
        let (l, c) = self.idx.pos(self.text, r.start);
        let (el, ec) = self.idx.pos(self.text, r.end);
        (l, c, el, ec)
    }
    /// The span of a block's header line (`ident "label" {`).
    pub fn header(&self, b: &Block) -> Span {
        let start = b
            .ident
            .span()
            .or_else(|| b.span())
            .map(|r| r.start)
            .unwrap_or(0);
        let end = self.text[start..]
            .find('\n')
            .map(|i| start + i)
            .unwrap_or(self.text.len());
        let (l, c) = self.idx.pos(self.text, start);
        let (el, ec) = self.idx.pos(self.text, end);
        (l, c, el, ec)
    }
    pub fn attr_span(&self, a: &Attribute) -> Span {
        self.span(a.span())
    }
}

/// The entries of an object literal whose keys are literal (`name = v`, `"name" = v`), with
/// the key node for positions.
pub fn object_entries(
    o: &hcl_edit::expr::Object,
) -> Vec<(String, &hcl_edit::expr::ObjectKey, &Expression)> {
    o.iter()
        .filter_map(|(k, v)| {
            let key = match k {
                hcl_edit::expr::ObjectKey::Ident(i) => i.to_string(),
                hcl_edit::expr::ObjectKey::Expression(e) => match literal(e) {
                    Lit::Str(s) => s,
                    _ => return None,
                },
            };
            Some((key, k, v.expr()))
        })
        .collect()
}

/// `NAME.ALIAS` of a provider configuration reference (`proxmox.second`, or
/// `aws.by_region[each.key]` for a provider with `for_each`); `None` for a bare `NAME`.
pub fn provider_ref(e: &Expression) -> Option<String> {
    let Expression::Traversal(t) = e else {
        return None;
    };
    let Expression::Variable(root) = &t.expr else {
        return None;
    };
    match t.operators.first().map(|o| o.value()) {
        Some(TraversalOperator::GetAttr(a)) => Some(format!("{}.{}", root.as_str(), a.as_str())),
        _ => None,
    }
}

pub fn label(b: &Block, i: usize) -> Option<&str> {
    b.labels.get(i).map(|l| l.as_str())
}

/// A literal value (or a variable whose default is one).
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Array(usize),
    Object,
    /// Anything computed (references, calls, templates with interpolation).
    Unknown,
}

pub fn literal(e: &Expression) -> Lit {
    match e {
        Expression::Null(_) => Lit::Null,
        Expression::Bool(b) => Lit::Bool(*b.value()),
        Expression::Number(n) => n.value().as_f64().map(Lit::Num).unwrap_or(Lit::Unknown),
        Expression::String(s) => Lit::Str(s.value().clone()),
        Expression::Array(a) => Lit::Array(a.len()),
        Expression::Object(_) => Lit::Object,
        Expression::Parenthesis(p) => literal(p.inner()),
        Expression::StringTemplate(t) => {
            let mut s = String::new();
            for el in t.iter() {
                match el {
                    hcl_edit::template::Element::Literal(l) => s.push_str(l.value()),
                    _ => return Lit::Unknown,
                }
            }
            Lit::Str(s)
        }
        _ => Lit::Unknown,
    }
}

/// Declarations of a module.
#[derive(Default)]
pub struct Decls {
    /// name → (file index, variable block)
    pub variables: BTreeMap<String, (usize, Block)>,
    pub locals: BTreeMap<String, (usize, Expression)>,
    pub resources: BTreeSet<String>,
    pub data: BTreeSet<String>,
    pub modules: BTreeSet<String>,
    /// `ephemeral "TYPE" "NAME"` blocks, as `TYPE.NAME`.
    pub ephemeral: BTreeSet<String>,
    /// Aliased provider configurations, as `NAME.ALIAS`: `provider` blocks with an `alias`, and
    /// a child module's `configuration_aliases`.
    pub provider_aliases: BTreeSet<String>,
    /// OpenTofu state encryption: `key_provider` and `method` blocks, as `KIND TYPE.NAME`.
    pub encryption: BTreeSet<String>,
    /// provider local name → source
    pub provider_sources: BTreeMap<String, String>,
    /// provider local name → its version constraints (`required_providers` entries, and the
    /// legacy `version` argument of `provider` blocks)
    pub provider_versions: BTreeMap<String, Vec<String>>,
    /// Values from `terraform.tfvars` and `*.auto.tfvars` (the later file wins, as in
    /// Terraform); they take precedence over a variable's `default`.
    pub tfvars: BTreeMap<String, Expression>,
    /// `import` blocks: target resource (`TYPE.NAME`, index dropped) → the VMID its import ID
    /// names (bpg `node/vmid`, Telmate `node/type/vmid`), when literal. Such a resource
    /// adopts the existing guest: its VMID and addresses are its own, not a collision.
    pub imports: BTreeMap<String, u32>,
}

impl Decls {
    /// The literal value of an expression, following `var.X` to its default and `local.X`.
    pub fn resolve(&self, e: &Expression) -> Lit {
        match literal(e) {
            Lit::Unknown => {}
            l => return l,
        }
        if let Expression::Traversal(t) = e {
            if let (Expression::Variable(root), Some(TraversalOperator::GetAttr(name))) =
                (&t.expr, t.operators.first().map(|o| o.value()))
            {
                if t.operators.len() == 1 {
                    match root.as_str() {
                        "var" => {
                            if let Some(v) = self.tfvars.get(name.as_str()) {
                                return literal(v);
                            }
                            if let Some((_, b)) = self.variables.get(name.as_str()) {
                                if let Some(d) = b.body.get_attribute("default") {
                                    return literal(&d.value);
                                }
                            }
                        }
                        "local" => {
                            if let Some((_, v)) = self.locals.get(name.as_str()) {
                                return literal(v);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        Lit::Unknown
    }
}

/// The release of a provider a module is judged against.
pub struct Pinned {
    pub provider: &'static Provider,
    pub resolution: crate::versions::Resolution,
}

impl Pinned {
    /// Schema findings say which release they were judged against and why; when the release is
    /// not certain they are warnings.
    pub fn annotate(&self, out: &mut [Finding]) {
        for f in out.iter_mut() {
            f.message = format!(
                "{} [judged against {} {}, {}]",
                f.message,
                self.provider.short(),
                self.resolution.version,
                self.resolution.why
            );
            if !self.resolution.certain && f.severity == crate::Severity::Error {
                f.severity = crate::Severity::Warning;
            }
        }
    }
}

/// The release of `base`'s provider this module pins: its `required_providers` constraints
/// (and legacy `provider { version }`), with the exact version of `.terraform.lock.hcl` winning.
pub fn pinned(decls: &Decls, base: &'static Provider, lock: Option<&str>) -> Pinned {
    let Some(h) = schema::history::of(&base.source) else {
        return Pinned {
            provider: base,
            resolution: crate::versions::Resolution {
                version: base.version.clone(),
                why: "the only release provisio describes".into(),
                certain: true,
            },
        };
    };
    let matches =
        |src: &str| schema::provider_by_source(src).is_some_and(|p| p.source == base.source);
    let mut constraints: Vec<&str> = Vec::new();
    for (name, vs) in &decls.provider_versions {
        let src_ok = match decls.provider_sources.get(name) {
            Some(src) => matches(src),
            // no source (Terraform 0.12 style): the name our resource types use
            None => name == "proxmox",
        };
        if src_ok {
            constraints.extend(vs.iter().map(String::as_str));
        }
    }
    let joined = constraints.join(", ");
    let locked = lock.and_then(|l| crate::versions::lock_version(l, &base.source));
    type Parsed = Vec<(crate::versions::Version, &'static String)>;
    static PARSED: std::sync::OnceLock<Vec<(&'static str, Parsed)>> = std::sync::OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        schema::history::all()
            .iter()
            .map(|h| {
                let v = h
                    .versions
                    .iter()
                    .filter_map(|c| crate::versions::Version::parse(c).map(|v| (v, c)))
                    .collect();
                (h.provider.as_str(), v)
            })
            .collect()
    });
    let versions = parsed
        .iter()
        .find(|(p, _)| *p == h.provider)
        .map(|(_, v)| v.as_slice())
        .unwrap_or_default();
    let resolution = crate::versions::resolve_parsed(
        versions,
        &h.versions,
        (!joined.is_empty()).then_some(joined.as_str()),
        locked.as_deref(),
    );
    let provider = schema::history::provider_at(base, &resolution.version).unwrap_or(base);
    Pinned {
        provider,
        resolution,
    }
}

/// Which provider schema a `provider "NAME"` block or a resource uses.
fn provider_for(
    decls: &Decls,
    local_name: &str,
    resource_types: &BTreeSet<String>,
) -> Option<&'static Provider> {
    if let Some(src) = decls.provider_sources.get(local_name) {
        return schema::provider_by_source(src);
    }
    resource_types
        .iter()
        .find_map(|t| schema::provider_of_resource(t).map(|(p, _)| p))
}

/// An empty heredoc (`<<EOF` with `EOF` on the next line) written as `""` padded to the same
/// length: the HCL parser would otherwise read on to the next heredoc's closing `EOF` and drop
/// everything in between, which Terraform does not. Byte offsets, and so every span, stay.
fn empty_heredocs(text: &str) -> std::borrow::Cow<'_, str> {
    // Cheap test first: an opener at the end of a line, its identifier alone on the next.
    let has_empty = text.match_indices("<<").any(|(at, _)| {
        let rest = &text[at + 2..];
        let rest = rest.strip_prefix('-').unwrap_or(rest);
        let Some((id, after)) = rest.split_once('\n') else {
            return false;
        };
        let id = id.trim_end_matches('\r');
        !id.is_empty()
            && !id.contains(char::is_whitespace)
            && after.split('\n').next().is_some_and(|l| l.trim() == id)
    });
    if !has_empty {
        return std::borrow::Cow::Borrowed(text);
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let body = line.trim_end_matches(['\n', '\r']);
        let opener = body.rfind("<<").and_then(|at| {
            let id = body[at + 2..].strip_prefix('-').unwrap_or(&body[at + 2..]);
            let ok = !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                && id
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
            ok.then_some((at, id))
        });
        if let (Some((at, id)), Some(next)) = (opener, lines.get(i + 1)) {
            if next.trim() == id {
                let width = body.len() - at;
                out.push_str(&body[..at]);
                out.push_str("\"\"");
                out.push_str(&" ".repeat(width - 2));
                out.push_str(&line[body.len()..]);
                let nbody = next.trim_end_matches(['\n', '\r']);
                out.push_str(&" ".repeat(nbody.len()));
                out.push_str(&next[nbody.len()..]);
                changed = true;
                i += 2;
                continue;
            }
        }
        out.push_str(line);
        i += 1;
    }
    if changed {
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

fn parse<'a>(path: &'a str, text: &'a str, out: &mut Vec<Finding>) -> Option<TfFile<'a>> {
    match hcl_edit::parser::parse_body(&empty_heredocs(text)) {
        Ok(body) => Some(TfFile {
            path,
            text,
            idx: LineIndex::new(text),
            body,
        }),
        Err(e) => {
            let loc = e.location();
            let mut sink = Sink::new(path);
            let (l, c) = (loc.line() as u32, loc.column() as u32);
            // The parser reports where it gave up; an unclosed string or brace is earlier.
            match syntax::locate(text, l) {
                Some(cause) => sink.push(
                    Code::PV001,
                    (cause.line, cause.col, cause.line, cause.col + 1),
                    format!(
                        "{} (the parser stopped at line {l}: {})",
                        cause.message,
                        syntax_message(&e)
                    ),
                    Some(cause.fix),
                ),
                None => sink.push(
                    Code::PV001,
                    (l, c, l, c + 1),
                    format!("HCL syntax error: {}", syntax_message(&e)),
                    Some(syntax_fix(e.line(), loc.column())),
                ),
            }
            out.extend(sink.out);
            None
        }
    }
}

/// What a variable's `type` constraint admits, as far as a literal can show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TyClass {
    Number,
    Bool,
    String,
    /// list, set, tuple
    Seq,
    /// map, object
    Obj,
}

impl TyClass {
    fn needs(self) -> &'static str {
        match self {
            TyClass::Number => "a number (or a string of digits)",
            TyClass::Bool => "true or false",
            TyClass::String => "a string, number or bool",
            TyClass::Seq => "a list: [ ... ]",
            TyClass::Obj => "an object: { ... }",
        }
    }
}

struct DeclaredType {
    class: TyClass,
    text: String,
}

impl DeclaredType {
    /// Whether a value of this literal kind converts to the type (Terraform's conversions:
    /// strings of digits to numbers, "true"/"false" to bools, primitives to strings; `null`
    /// always; computed values are not judged).
    fn admits(&self, v: &Lit) -> bool {
        match (self.class, v) {
            (_, Lit::Null | Lit::Unknown) => true,
            (TyClass::Number, Lit::Num(_)) => true,
            (TyClass::Number, Lit::Str(s)) => s.trim().parse::<f64>().is_ok(),
            (TyClass::Bool, Lit::Bool(_)) => true,
            (TyClass::Bool, Lit::Str(s)) => s == "true" || s == "false",
            (TyClass::String, Lit::Str(_) | Lit::Num(_) | Lit::Bool(_)) => true,
            (TyClass::Seq, Lit::Array(_)) => true,
            (TyClass::Obj, Lit::Object) => true,
            _ => false,
        }
    }
}

impl Lit {
    fn describe(&self) -> String {
        match self {
            Lit::Str(s) => format!("the string \"{s}\""),
            Lit::Num(n) => format!("the number {n}"),
            Lit::Bool(b) => format!("{b}"),
            Lit::Null => "null".into(),
            Lit::Array(_) => "a list".into(),
            Lit::Object => "an object".into(),
            Lit::Unknown => "a computed value".into(),
        }
    }
}

/// The `type` of a `variable` block, when it is one a literal can be judged against.
fn declared_type(f: &TfFile, b: &Block) -> Option<DeclaredType> {
    let a = b.body.get_attribute("type")?;
    let r = a.value.span()?;
    let text: String = f
        .text
        .get(r)?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let head = text.split('(').next().unwrap_or("").trim();
    let class = match head {
        "number" => TyClass::Number,
        "bool" => TyClass::Bool,
        "string" => TyClass::String,
        "list" | "set" | "tuple" => TyClass::Seq,
        "map" | "object" => TyClass::Obj,
        _ => return None,
    };
    Some(DeclaredType { class, text })
}

/// PV012: a variable's literal `default` that its `type` does not admit; Terraform refuses the
/// configuration ("Invalid default value for variable").
fn variable_default(f: &TfFile, sink: &mut Sink, b: &Block) {
    let (Some(want), Some(d)) = (declared_type(f, b), b.body.get_attribute("default")) else {
        return;
    };
    let got = literal(&d.value);
    if !want.admits(&got) {
        sink.push(
            Code::PV012,
            f.attr_span(d),
            format!("the default is {}, but the variable's type is `{}`: Terraform refuses it (\"Invalid default value for variable\")", got.describe(), want.text),
            Some(format!("make the default {}, or change the type", want.class.needs())),
        );
    }
}

/// Variable files Terraform loads without `-var-file`: `terraform.tfvars`, `*.auto.tfvars`
/// and their JSON forms (`terraform.tfvars.json`, `*.auto.tfvars.json`).
pub fn auto_loaded(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let name = name.strip_suffix(".json").unwrap_or(&name);
    name == "terraform.tfvars" || name.ends_with(".auto.tfvars")
}

/// `.tfvars` files: HCL syntax only; `.tfvars.json`: JSON syntax, one object.
pub fn syntax_only(path: &str, text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    if is_json(path) {
        parse_var_file(path, text, &mut out);
    } else {
        parse(path, text, &mut out);
    }
    out
}

fn is_json(path: &str) -> bool {
    path.to_ascii_lowercase().ends_with(".json")
}

/// The values one variable file sets: name, span of the entry, value.
struct VarFile<'a> {
    path: &'a str,
    entries: Vec<(String, Span, Expression)>,
}

/// Parse a variable file: HCL attributes, or for `.tfvars.json` one JSON object (read as an
/// HCL object expression, which JSON's syntax is a subset of, so spans point into the file).
fn parse_var_file<'a>(path: &'a str, text: &'a str, out: &mut Vec<Finding>) -> Option<VarFile<'a>> {
    if !is_json(path) {
        let f = parse(path, text, out)?;
        let entries = f
            .body
            .attributes()
            .map(|a| (a.key.to_string(), f.attr_span(a), a.value.clone()))
            .collect();
        return Some(VarFile { path, entries });
    }
    let mut sink = Sink::new(path);
    match serde_json::from_str::<serde_json::Value>(text) {
        Err(e) => {
            let (l, c) = (e.line().max(1) as u32, e.column().max(1) as u32);
            sink.push(
                Code::PV001,
                (l, c, l, c + 1),
                format!("JSON syntax error: {e}"),
                Some("a .tfvars.json file is one JSON object: {\"name\": value, ...}".into()),
            );
        }
        Ok(serde_json::Value::Object(_)) => {
            // The expression parser takes no surrounding whitespace; spans are shifted back.
            let lead = text.len() - text.trim_start().len();
            if let Ok(Expression::Object(o)) = hcl_edit::parser::parse_expr(text.trim()) {
                let idx = LineIndex::new(text);
                let at = |r: Option<std::ops::Range<usize>>| {
                    let r = r.unwrap_or(0..0);
                    let (l, c) = idx.pos(text, lead + r.start);
                    let (el, ec) = idx.pos(text, lead + r.end);
                    (l, c, el, ec)
                };
                let entries = object_entries(&o)
                    .into_iter()
                    .map(|(name, k, v)| {
                        let (l, c, _, _) = at(k.span());
                        let (_, _, el, ec) = at(v.span());
                        (name, (l, c, el, ec), v.clone())
                    })
                    .collect();
                return Some(VarFile { path, entries });
            }
            // Valid JSON that HCL cannot read as an object: names only, no values.
            sink.push(
                Code::PV001,
                (1, 1, 1, 2),
                "the JSON of this variable file could not be read as variable values",
                Some("write plain JSON values (strings, numbers, booleans, lists, objects)".into()),
            );
        }
        Ok(_) => sink.push(
            Code::PV001,
            (1, 1, 1, 2),
            "a .tfvars.json file must hold one JSON object",
            Some("wrap the values in an object: {\"name\": value, ...}".into()),
        ),
    }
    out.extend(sink.out);
    None
}

/// Lint one module: all `.tf` files of one directory together, with the values of its
/// auto-loaded variable files (`tfvars`).
pub fn lint_module(
    files: &[(&str, &str)],
    tfvars: &[(&str, &str)],
    lock: Option<&str>,
    facts: Option<&ClusterFacts>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let parsed: Vec<TfFile> = files
        .iter()
        .filter_map(|(path, text)| parse(path, text, &mut out))
        .collect();
    // terraform.tfvars, terraform.tfvars.json, then *.auto.tfvars(.json) in lexical order of
    // their names: later values win.
    let mut vars: Vec<&(&str, &str)> = tfvars.iter().collect();
    vars.sort_by_key(|(p, _)| {
        let name = p.rsplit('/').next().unwrap_or(p).to_ascii_lowercase();
        let first = name == "terraform.tfvars" || name == "terraform.tfvars.json";
        (!first, name)
    });
    let var_files: Vec<VarFile> = vars
        .iter()
        .filter_map(|(path, text)| parse_var_file(path, text, &mut out))
        .collect();

    // Declarations across the module.
    let mut decls = Decls::default();
    let mut resource_types = BTreeSet::new();
    let mut seen: BTreeMap<String, (String, u32)> = BTreeMap::new();
    let mut dup = |sink: &mut Sink, kind: &str, name: String, span: Span, file: &str| {
        let key = format!("{kind} {name}");
        if let Some((f, l)) = seen.get(&key) {
            sink.push(
                Code::PV023,
                span,
                format!("{kind} `{name}` is declared twice (first at {f}:{l})"),
                Some(if kind == "provider configuration" {
                    "give one of them an `alias = \"...\"` and select it with `provider = NAME.ALIAS`, or remove the duplicate".into()
                } else {
                    "rename one of them or remove the duplicate".into()
                }),
            );
        } else {
            seen.insert(key, (file.to_string(), span.0));
        }
    };
    for (fi, f) in parsed.iter().enumerate() {
        let mut sink = Sink::new(f.path);
        for b in f.body.blocks() {
            let h = f.header(b);
            match (b.ident.as_str(), label(b, 0), label(b, 1)) {
                ("variable", Some(n), _) => {
                    dup(&mut sink, "variable", n.to_string(), h, f.path);
                    decls
                        .variables
                        .entry(n.to_string())
                        .or_insert((fi, b.clone()));
                }
                ("output", Some(n), _) => dup(&mut sink, "output", n.to_string(), h, f.path),
                ("locals", _, _) => {
                    for a in b.body.attributes() {
                        dup(
                            &mut sink,
                            "local",
                            a.key.to_string(),
                            f.attr_span(a),
                            f.path,
                        );
                        decls
                            .locals
                            .entry(a.key.to_string())
                            .or_insert((fi, a.value.clone()));
                    }
                }
                ("import", _, _) => {
                    let to = b.body.get_attribute("to").and_then(|a| match &a.value {
                        Expression::Traversal(t) => {
                            match (&t.expr, t.operators.first().map(|o| o.value())) {
                                (
                                    Expression::Variable(ty),
                                    Some(TraversalOperator::GetAttr(name)),
                                ) => Some(format!("{}.{}", ty.as_str(), name.as_str())),
                                _ => None,
                            }
                        }
                        _ => None,
                    });
                    let vmid = match b.body.get_attribute("id").map(|a| literal(&a.value)) {
                        Some(Lit::Str(id)) => {
                            id.rsplit('/').next().and_then(|v| v.parse::<u32>().ok())
                        }
                        _ => None,
                    };
                    if let (Some(to), Some(vmid)) = (to, vmid) {
                        decls.imports.insert(to, vmid);
                    }
                }
                ("resource", Some(t), Some(n)) => {
                    dup(&mut sink, "resource", format!("{t}.{n}"), h, f.path);
                    decls.resources.insert(format!("{t}.{n}"));
                    resource_types.insert(t.to_string());
                }
                ("data", Some(t), Some(n)) => {
                    dup(&mut sink, "data source", format!("{t}.{n}"), h, f.path);
                    decls.data.insert(format!("{t}.{n}"));
                }
                ("module", Some(n), _) => {
                    dup(&mut sink, "module", n.to_string(), h, f.path);
                    decls.modules.insert(n.to_string());
                }
                ("ephemeral", Some(t), Some(n)) => {
                    dup(
                        &mut sink,
                        "ephemeral resource",
                        format!("{t}.{n}"),
                        h,
                        f.path,
                    );
                    decls.ephemeral.insert(format!("{t}.{n}"));
                }
                ("provider", Some(n), _) => {
                    if let Some(Lit::Str(v)) =
                        b.body.get_attribute("version").map(|a| literal(&a.value))
                    {
                        decls
                            .provider_versions
                            .entry(n.to_string())
                            .or_default()
                            .push(v);
                    }
                    match b.body.get_attribute("alias") {
                        Some(a) => {
                            if let Lit::Str(alias) = literal(&a.value) {
                                let key = format!("{n}.{alias}");
                                dup(&mut sink, "provider configuration", key.clone(), h, f.path);
                                decls.provider_aliases.insert(key);
                            }
                        }
                        None => dup(
                            &mut sink,
                            "provider configuration",
                            n.to_string(),
                            h,
                            f.path,
                        ),
                    }
                }
                ("terraform", _, _) => {
                    for enc in b.body.get_blocks("encryption") {
                        for kb in enc.body.blocks() {
                            let kind = kb.ident.as_str();
                            if let ("key_provider" | "method", Some(t), Some(n)) =
                                (kind, label(kb, 0), label(kb, 1))
                            {
                                decls.encryption.insert(format!("{kind} {t}.{n}"));
                            }
                        }
                    }
                    for rp in b.body.get_blocks("required_providers") {
                        for a in rp.body.attributes() {
                            if let Expression::Object(o) = &a.value {
                                for (key, _, v) in object_entries(o) {
                                    if key == "configuration_aliases" {
                                        if let Expression::Array(items) = v {
                                            for e in items.iter() {
                                                if let Some(r) = provider_ref(e) {
                                                    decls.provider_aliases.insert(r);
                                                }
                                            }
                                        }
                                    }
                                    if key == "version" {
                                        if let Lit::Str(s) = literal(v) {
                                            decls
                                                .provider_versions
                                                .entry(a.key.to_string())
                                                .or_default()
                                                .push(s);
                                        }
                                    }
                                    if key == "source" {
                                        if let Lit::Str(s) = literal(v) {
                                            let name = a.key.to_string();
                                            match decls.provider_sources.get(&name) {
                                                Some(old) if !old.eq_ignore_ascii_case(&s) => sink.push(
                                                    Code::PV023,
                                                    f.attr_span(a),
                                                    format!("provider `{name}` is required as `{s}` here but as `{old}` elsewhere in this module"),
                                                    Some("one module has one source per provider name: split the files into separate directories".into()),
                                                ),
                                                Some(_) => {}
                                                None => {
                                                    decls.provider_sources.insert(name, s);
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        out.extend(sink.out);
    }
    // Values of the auto-loaded variable files. Terraform warns about a value for a variable
    // the module does not declare (usually a misspelt name, so the default is used instead).
    for f in &var_files {
        let mut sink = Sink::new(f.path);
        for (name, span, value) in &f.entries {
            let name = name.clone();
            if !decls.variables.contains_key(&name) {
                let names: Vec<String> = decls.variables.keys().cloned().collect();
                let hint = match did_you_mean(&name, names.iter()) {
                    Some(n) => format!("did you mean `{n}`? Otherwise declare `variable \"{name}\" {{}}` or remove the line"),
                    None => format!("declare `variable \"{name}\" {{}}` or remove the line"),
                };
                sink.push_as(
                    Severity::Warning,
                    Code::PV020,
                    *span,
                    format!("`{}` sets `{name}`, but the module declares no variable `{name}`: Terraform ignores the value (with a warning)", f.path.rsplit('/').next().unwrap_or(f.path)),
                    Some(hint),
                );
            } else if let Some((fi, b)) = decls.variables.get(&name) {
                // A secret written into an auto-loaded variable file: the file sits in the
                // working directory and is easily committed (a warning; the value is never
                // echoed).
                let sensitive = b
                    .body
                    .get_attribute("sensitive")
                    .is_some_and(|a| literal(&a.value) == Lit::Bool(true));
                let secret = sensitive || security::secret_name(&name);
                if secret && matches!(literal(value), Lit::Str(ref v) if !v.is_empty()) {
                    let file = f.path.rsplit('/').next().unwrap_or(f.path);
                    sink.push_as(
                        Severity::Warning,
                        Code::PV030,
                        *span,
                        format!("`{file}` holds the secret `{name}` as a literal: Terraform reads the file from the working directory, where it is easily committed"),
                        Some(format!("pass it in the environment (`export TF_VAR_{name}=...`) or keep `{file}` out of version control")),
                    );
                }
                if let Some(want) = declared_type(&parsed[*fi], b) {
                    let got = literal(value);
                    if !want.admits(&got) {
                        sink.push(
                            Code::PV012,
                            *span,
                            format!("`{}` sets `{name}` to {}, but the variable's type is `{}`: `plan` fails (\"Invalid value for input variable\")", f.path.rsplit('/').next().unwrap_or(f.path), got.describe(), want.text),
                            Some(format!("give `{name}` {}", want.class.needs())),
                        );
                    }
                }
            }
            decls.tfvars.insert(name, value.clone());
        }
        out.extend(sink.out);
    }

    // The release of each Proxmox provider this module pins, resolved once.
    let pins: Vec<(&'static Provider, std::cell::OnceCell<Pinned>)> = schema::providers()
        .iter()
        .map(|p| (p, std::cell::OnceCell::new()))
        .collect();
    let pin_of = |base: &'static Provider| -> &Pinned {
        let (_, cell) = pins
            .iter()
            .find(|(p, _)| p.source == base.source)
            .expect("every provider is listed");
        cell.get_or_init(|| pinned(&decls, base, lock))
    };
    for f in &parsed {
        let mut sink = Sink::new(f.path);
        for b in f.body.blocks() {
            if b.ident.as_str() == "resource" {
                security::connections(f, &mut sink, b);
            }
            match (b.ident.as_str(), label(b, 0)) {
                ("provider", Some(name)) => {
                    if let Some(base) = provider_for(&decls, name, &resource_types) {
                        let pinned = pin_of(base);
                        let p = pinned.provider;
                        let doc = p.doc_uri(&p.config_doc);
                        let mut sub = Sink::new(f.path);
                        check_body(
                            f,
                            &mut sub,
                            &b.body,
                            &p.config,
                            &format!("provider \"{name}\""),
                            Meta::Provider,
                            &doc,
                            f.header(b),
                        );
                        pinned.annotate(&mut sub.out);
                        sink.out.append(&mut sub.out);
                        security::provider_block(f, &mut sink, b, p, &decls);
                        providers::endpoint(f, &mut sink, b, p, &decls);
                    }
                }
                ("resource", Some(t)) => match schema::provider_of_resource(t) {
                    Some((base, _)) => {
                        let pinned = pin_of(base);
                        let p = pinned.provider;
                        let Some(r) = p.resources.get(t) else {
                            let mut sub = Sink::new(f.path);
                            sub.push(
                                Code::PV016,
                                f.header(b),
                                format!("resource type `{t}` does not exist in {} {}: `plan` fails (\"The provider does not support resource type\")", base.source, p.version),
                                Some("use a resource type of that release, or pin a release that has it".into()),
                            );
                            pinned.annotate(&mut sub.out);
                            sink.out.extend(sub.out);
                            continue;
                        };
                        // schema findings, which name the release they were judged against
                        let mut sub = Sink::new(f.path);
                        let doc = p.doc_uri(&r.doc);
                        if let Some(d) = &r.deprecated {
                            sub.push_doc(
                                Code::PV013,
                                f.header(b),
                                format!("resource type `{t}` is deprecated: {d}"),
                                None,
                                Some(doc.clone()),
                            );
                        }
                        check_body(
                            f,
                            &mut sub,
                            &b.body,
                            &r.block,
                            t,
                            Meta::Resource,
                            &doc,
                            f.header(b),
                        );
                        pinned.annotate(&mut sub.out);
                        sink.out.append(&mut sub.out);
                        target_node(&mut sink, b, t, f.header(b), &doc);
                        security::resource_block(f, &mut sink, b, &r.block, &decls);
                        values::check(f, &mut sink, b, t, &decls, &p.version);
                        network::check(f, &mut sink, b, t, &decls);
                        if let Some(facts) = facts {
                            cluster::resource(f, &mut sink, b, p, &decls, facts);
                        }
                        cluster::best_practice(f, &mut sink, b, p, &decls, facts);
                    }
                    None if t.starts_with("proxmox_") => {
                        unknown_type(&mut sink, f.header(b), t, false)
                    }
                    None => {}
                },
                ("data", Some(t)) if t.starts_with("proxmox_") => {
                    unknown_type(&mut sink, f.header(b), t, true)
                }
                ("variable", Some(n)) => {
                    security::variable_block(f, &mut sink, b);
                    variable_default(f, &mut sink, b);
                    validation::check(f, &mut sink, b, n, &decls);
                }
                ("terraform", _) => security::terraform_block(f, &mut sink, b),
                _ => {}
            }
        }
        refs::check(f, &mut sink, &decls);
        out.extend(sink.out);
    }
    security::sensitive_variables(&parsed, &decls, &mut out);
    providers::check(&parsed, &decls, &mut out);
    cluster::across_resources(&parsed, &decls, &mut out);
    out
}

fn syntax_message(e: &hcl_edit::parser::Error) -> String {
    let line = e.line();
    let col = e.location().column();
    let at: String = line.chars().skip(col.saturating_sub(1)).take(12).collect();
    let msg = e.message().replace('\n', "; ");
    if at.starts_with(',') {
        format!("unexpected comma after an argument ({msg})")
    } else {
        format!("{msg} at `{}`", at.trim_end())
    }
}

fn syntax_fix(line: &str, col: usize) -> String {
    let at: String = line.chars().skip(col.saturating_sub(1)).collect();
    let before = line[..line
        .char_indices()
        .nth(col.saturating_sub(1))
        .map_or(line.len(), |(i, _)| i)]
        .trim();
    if at.starts_with(',') {
        "arguments in a block are separated by newlines, not commas: remove the comma".into()
    } else if at.starts_with('\'') {
        "HCL strings take double quotes: write \"...\" instead of '...'".into()
    } else if at.starts_with(':') {
        "a block's arguments are set with `=`, not `:` (`name = value`)".into()
    } else if !before.is_empty()
        && before
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        format!("put `=` between the argument `{before}` and its value")
    } else if at.trim().is_empty() {
        "check for an unclosed brace, bracket or string on this or an earlier line".into()
    } else {
        "fix the syntax here (`terraform validate` shows the same position)".into()
    }
}

#[derive(Clone, Copy, PartialEq)]
pub enum Meta {
    Resource,
    Provider,
    Nested,
}

const RESOURCE_META_ATTRS: &[&str] = &["count", "for_each", "depends_on", "provider"];
const RESOURCE_META_BLOCKS: &[&str] = &["lifecycle", "provisioner", "connection", "timeouts"];
const PROVIDER_META_ATTRS: &[&str] = &["alias", "version"];

fn names(schema: &schema::Block) -> Vec<String> {
    schema
        .attrs
        .keys()
        .chain(schema.blocks.keys())
        .cloned()
        .collect()
}

/// Check a body against a schema block. `header` is the span of the block's opening line (for
/// missing-required findings).
#[allow(clippy::too_many_arguments)]
pub fn check_body(
    f: &TfFile,
    sink: &mut Sink,
    body: &Body,
    schema: &schema::Block,
    path: &str,
    meta: Meta,
    doc: &str,
    header: Span,
) {
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    let mut dynamic: BTreeSet<String> = BTreeSet::new();
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => {
                let k = a.key.as_str();
                let span = f.attr_span(a);
                if (meta == Meta::Resource && RESOURCE_META_ATTRS.contains(&k))
                    || (meta == Meta::Provider && PROVIDER_META_ATTRS.contains(&k))
                {
                    continue;
                }
                if let Some(attr) = schema.attrs.get(k) {
                    if attr.computed && !attr.required {
                        sink.push_doc(Code::PV014, span, format!("`{path}.{k}` is read-only (computed by the provider) and cannot be set"), Some(format!("remove `{k}`")), Some(doc.into()));
                    }
                    if let Some(d) = &attr.deprecated {
                        sink.push_doc(
                            Code::PV013,
                            span,
                            format!("`{k}` is deprecated in {path}: {d}"),
                            Some(d.clone()),
                            Some(doc.into()),
                        );
                    }
                    check_type(
                        f,
                        sink,
                        span,
                        &a.value,
                        &attr.ty,
                        &format!("{path}.{k}"),
                        doc,
                    );
                } else if schema.blocks.contains_key(k) {
                    sink.push_doc(
                        Code::PV012,
                        span,
                        format!("`{k}` is a block in {path}, not an argument"),
                        Some(format!("write `{k} {{ ... }}` without `=`")),
                        Some(doc.into()),
                    );
                    *counts.entry(k.to_string()).or_default() += 1;
                } else {
                    unknown(sink, span, k, path, schema, doc);
                }
            }
            Structure::Block(b) => {
                let k = b.ident.as_str();
                let span = f.header(b);
                if meta == Meta::Resource && k == "lifecycle" {
                    lifecycle(f, sink, b, schema, path, doc);
                }
                if meta == Meta::Resource && RESOURCE_META_BLOCKS.contains(&k) {
                    continue;
                }
                if k == "dynamic" {
                    let Some(name) = label(b, 0) else { continue };
                    match schema.blocks.get(name) {
                        Some(nb) => {
                            dynamic.insert(name.to_string());
                            for c in b.body.get_blocks("content") {
                                check_body(
                                    f,
                                    sink,
                                    &c.body,
                                    &nb.block,
                                    &format!("{path}.{name}"),
                                    Meta::Nested,
                                    doc,
                                    f.header(c),
                                );
                            }
                        }
                        None => unknown(sink, span, name, path, schema, doc),
                    }
                    continue;
                }
                if let Some(nb) = schema.blocks.get(k) {
                    let n = counts.entry(k.to_string()).or_default();
                    *n += 1;
                    if nb.max.is_some_and(|m| *n > m) {
                        sink.push_doc(
                            Code::PV015,
                            span,
                            format!(
                                "block `{k}` may appear at most {} time(s) in {path}",
                                nb.max.unwrap_or(1)
                            ),
                            Some(format!("merge the `{k}` blocks into one")),
                            Some(doc.into()),
                        );
                    }
                    if let Some(d) = &nb.deprecated {
                        sink.push_doc(
                            Code::PV013,
                            span,
                            format!("block `{k}` is deprecated in {path}: {d}"),
                            Some(d.clone()),
                            Some(doc.into()),
                        );
                    }
                    check_body(
                        f,
                        sink,
                        &b.body,
                        &nb.block,
                        &format!("{path}.{k}"),
                        Meta::Nested,
                        doc,
                        span,
                    );
                } else if schema.attrs.contains_key(k) {
                    sink.push_doc(
                        Code::PV012,
                        span,
                        format!("`{k}` is an argument in {path}, not a block"),
                        Some(format!("write `{k} = ...`")),
                        Some(doc.into()),
                    );
                } else {
                    unknown(sink, span, k, path, schema, doc);
                }
            }
        }
    }
    for (k, a) in &schema.attrs {
        if a.required && !body.has_attribute(k) {
            sink.push_doc(
                Code::PV011,
                header,
                format!("{path} lacks the required argument `{k}`"),
                Some(format!("add `{k} = ...` ({})", a.ty.describe())),
                Some(doc.into()),
            );
        }
    }
    for (k, b) in &schema.blocks {
        if b.required && !body.has_blocks(k) && !dynamic.contains(k) {
            sink.push_doc(
                Code::PV011,
                header,
                format!("{path} lacks the required block `{k}`"),
                Some(format!("add a `{k} {{ ... }}` block")),
                Some(doc.into()),
            );
        }
    }
}

/// A resource's `lifecycle` block: its arguments, the two flags' types, and the attribute
/// names `ignore_changes` lists (Terraform refuses a name the resource does not have).
fn lifecycle(
    f: &TfFile,
    sink: &mut Sink,
    b: &Block,
    schema: &schema::Block,
    path: &str,
    doc: &str,
) {
    // `enabled` and `destroy` are OpenTofu's (1.11; `destroy = false` keeps the object when
    // the resource leaves the configuration).
    const ARGS: &[&str] = &[
        "create_before_destroy",
        "prevent_destroy",
        "ignore_changes",
        "replace_triggered_by",
        "enabled",
        "destroy",
    ];
    const BLOCKS: &[&str] = &["precondition", "postcondition"];
    for s in b.body.iter() {
        let (k, span) = match s {
            Structure::Attribute(a) => (a.key.as_str(), f.attr_span(a)),
            Structure::Block(x) => (x.ident.as_str(), f.header(x)),
        };
        let known = match s {
            Structure::Attribute(_) => ARGS.contains(&k),
            Structure::Block(_) => BLOCKS.contains(&k),
        };
        if !known {
            let all: Vec<String> = ARGS.iter().chain(BLOCKS).map(|x| x.to_string()).collect();
            let hint = did_you_mean(k, all.iter());
            sink.push(
                Code::PV010,
                span,
                format!(
                    "`{k}` is not an argument of a lifecycle block{}",
                    hint.as_ref()
                        .map(|h| format!("; did you mean `{h}`?"))
                        .unwrap_or_default()
                ),
                Some(match hint {
                    Some(h) => format!("rename `{k}` to `{h}`"),
                    None => format!("use one of: {}", all.join(", ")),
                }),
            );
        }
    }
    for k in [
        "create_before_destroy",
        "prevent_destroy",
        "enabled",
        "destroy",
    ] {
        if let Some(a) = b.body.get_attribute(k) {
            check_type(
                f,
                sink,
                f.attr_span(a),
                &a.value,
                &Ty::Bool,
                &format!("lifecycle.{k}"),
                doc,
            );
        }
    }
    let Some(a) = b.body.get_attribute("ignore_changes") else {
        return;
    };
    let Expression::Array(items) = &a.value else {
        // `ignore_changes = all`.
        return;
    };
    for item in items.iter() {
        let root = match item {
            Expression::Variable(v) => v.as_str().to_string(),
            Expression::Traversal(t) => match &t.expr {
                Expression::Variable(v) => v.as_str().to_string(),
                _ => continue,
            },
            // The legacy quoted form ("tags", "disk[0].size").
            Expression::String(s) => s
                .as_str()
                .split(['.', '['])
                .next()
                .unwrap_or_default()
                .to_string(),
            _ => continue,
        };
        if root.is_empty() || schema.attrs.contains_key(&root) || schema.blocks.contains_key(&root)
        {
            continue;
        }
        let all = names(schema);
        let hint = did_you_mean(&root, all.iter());
        let span = f.span(item.span());
        sink.push_doc(
            Code::PV010,
            span,
            format!(
                "`ignore_changes` names `{root}`, which is not an argument or block of {path}{}; Terraform refuses the configuration",
                hint.as_ref().map(|h| format!(" (did you mean `{h}`?)")).unwrap_or_default()
            ),
            Some(match hint {
                Some(h) => format!("write `{h}`"),
                None => "list the resource's argument names (see its docs)".into(),
            }),
            Some(doc.into()),
        );
    }
}

fn unknown(sink: &mut Sink, span: Span, k: &str, path: &str, schema: &schema::Block, doc: &str) {
    let all = names(schema);
    let hint = did_you_mean(k, all.iter());
    let msg = match &hint {
        Some(h) => format!("`{k}` is not an argument or block of {path}; did you mean `{h}`?"),
        None => format!("`{k}` is not an argument or block of {path}"),
    };
    let fix = match hint {
        Some(h) => Some(format!("rename `{k}` to `{h}`")),
        None => Some("remove it, or check the provider docs for the right name".into()),
    };
    sink.push_doc(Code::PV010, span, msg, fix, Some(doc.into()));
}

/// Nested attributes of an object literal against their schema: unknown keys, required keys
/// missing, read-only keys set, and each value's type.
fn check_object(
    f: &TfFile,
    sink: &mut Sink,
    span: Span,
    o: &hcl_edit::expr::Object,
    schema: &schema::Block,
    what: &str,
    doc: &str,
) {
    let mut seen = BTreeSet::new();
    for (key, k, v) in object_entries(o) {
        let kspan = match k.span() {
            Some(r) => f.span(Some(r)),
            None => span,
        };
        seen.insert(key.clone());
        match schema.attrs.get(&key) {
            Some(a) => {
                if a.computed && !a.required {
                    sink.push_doc(
                        Code::PV014,
                        kspan,
                        format!("`{what}.{key}` is read-only (computed by the provider) and cannot be set"),
                        Some(format!("remove `{key}`")),
                        Some(doc.into()),
                    );
                }
                check_type(f, sink, kspan, v, &a.ty, &format!("{what}.{key}"), doc);
            }
            None => unknown(sink, kspan, &key, what, schema, doc),
        }
    }
    for (k, a) in &schema.attrs {
        if a.required && !seen.contains(k) {
            sink.push_doc(
                Code::PV011,
                span,
                format!("{what} lacks the required attribute `{k}`"),
                Some(format!("add `{k} = ...` ({})", a.ty.describe())),
                Some(doc.into()),
            );
        }
    }
}

fn check_type(
    f: &TfFile,
    sink: &mut Sink,
    span: Span,
    e: &Expression,
    ty: &Ty,
    what: &str,
    doc: &str,
) {
    let lit = literal(e);
    let bad = |sink: &mut Sink, got: &str, fix: String| {
        sink.push_doc(
            Code::PV012,
            span,
            format!("`{what}` is {} but {got}", article(ty)),
            Some(fix),
            Some(doc.into()),
        );
    };
    match (ty, &lit) {
        (_, Lit::Unknown) | (_, Lit::Null) | (Ty::Any, _) => {}
        (Ty::Number, Lit::Str(s)) if s.trim().parse::<f64>().is_err() => {
            let fix = match size_to_mib(s) {
                Some(m) if what.contains("memory") || what.contains("dedicated") => {
                    format!("use a plain number of MiB: {m}")
                }
                _ => "use a plain number without units or quotes".into(),
            };
            bad(
                sink,
                &format!("the string \"{s}\" cannot be converted to a number"),
                fix,
            )
        }
        (Ty::Number, Lit::Bool(_)) => bad(sink, "a bool was given", "use a number".into()),
        // Terraform converts "true"/"false" and "1"/"0" to a bool.
        (Ty::Bool, Lit::Str(s)) if !matches!(s.as_str(), "true" | "false" | "1" | "0") => bad(
            sink,
            &format!("the string \"{s}\" is not true or false"),
            "use true or false".into(),
        ),
        (Ty::Bool, Lit::Num(_)) => bad(sink, "a number was given", "use true or false".into()),
        (Ty::Number | Ty::Bool | Ty::String, Lit::Array(_)) => {
            bad(sink, "a list was given", "give a single value".into())
        }
        (Ty::Number | Ty::Bool | Ty::String, Lit::Object) => {
            bad(sink, "an object was given", "give a single value".into())
        }
        (Ty::List(_) | Ty::Set(_), Lit::Str(_) | Lit::Num(_) | Lit::Bool(_)) => bad(
            sink,
            "a single value was given",
            "wrap it in brackets: [ ... ]".into(),
        ),
        (Ty::List(_) | Ty::Set(_), Lit::Object) => {
            bad(sink, "an object was given", "give a list: [ ... ]".into())
        }
        (Ty::Map(_) | Ty::Object(_), Lit::Str(_) | Lit::Num(_) | Lit::Bool(_) | Lit::Array(_)) => {
            bad(
                sink,
                "not an object",
                "give an object: { key = value }".into(),
            )
        }
        (Ty::List(inner) | Ty::Set(inner), Lit::Array(_)) => {
            if let Expression::Array(a) = e {
                for el in a.iter() {
                    check_type(f, sink, span, el, inner, &format!("{what}[]"), doc);
                }
            }
        }
        (Ty::Object(schema), Lit::Object) => {
            if let Expression::Object(o) = e {
                check_object(f, sink, span, o, schema, what, doc);
            }
        }
        (Ty::Map(inner), Lit::Object) => {
            if let (Ty::Object(_), Expression::Object(o)) = (inner.as_ref(), e) {
                for (key, k, v) in object_entries(o) {
                    let kspan = match k.span() {
                        Some(r) => f.span(Some(r)),
                        None => span,
                    };
                    check_type(f, sink, kspan, v, inner, &format!("{what}.{key}"), doc);
                }
            }
        }
        _ => {}
    }
}

fn article(ty: &Ty) -> String {
    match ty {
        Ty::Number => "a number".into(),
        Ty::Bool => "a bool".into(),
        Ty::String => "a string".into(),
        t => format!("a {}", t.describe()),
    }
}

/// `8GiB`, `8G`, `512M` → MiB.
pub fn size_to_mib(s: &str) -> Option<u64> {
    let s = s.trim();
    let i = s.find(|c: char| !c.is_ascii_digit() && c != '.')?;
    let (n, unit) = s.split_at(i);
    let n: f64 = n.parse().ok()?;
    let m = match unit.trim().to_ascii_lowercase().as_str() {
        "k" | "kb" | "kib" => n / 1024.0,
        "m" | "mb" | "mib" => n,
        "g" | "gb" | "gib" => n * 1024.0,
        "t" | "tb" | "tib" => n * 1024.0 * 1024.0,
        _ => return None,
    };
    Some(m as u64)
}

/// PV016: a `proxmox_*` resource type (or data source) whose arguments provisio does not keep.
/// One the provider has is an info; one close to a type it has is a typo that `init`/`validate`
/// refuses ("The provider ... does not support resource type"), an error; any other may come from
/// a newer provider release, a warning.
fn unknown_type(sink: &mut Sink, at: Span, t: &str, data: bool) {
    let what = if data { "data source" } else { "resource type" };
    let providers = schema::providers();
    let listed = |p: &schema::Provider| {
        if data {
            p.data_sources.contains(t)
        } else {
            p.other_resources.contains(t)
        }
    };
    if let Some(p) = providers.iter().find(|p| listed(p)) {
        if data {
            // Data sources only read: nothing to report when the provider has it.
            return;
        }
        sink.push_as(
            Severity::Info,
            Code::PV016,
            at,
            format!("{what} `{t}` of {} is not checked: provisio keeps the arguments of its VM, container, clone and file resources only", p.source),
            None,
        );
        return;
    }
    let known: Vec<String> = providers
        .iter()
        .flat_map(|p| {
            let names: Vec<String> = if data {
                p.data_sources.iter().cloned().collect()
            } else {
                p.resources
                    .keys()
                    .chain(p.other_resources.iter())
                    .cloned()
                    .collect()
            };
            names
        })
        .collect();
    let releases: Vec<String> = providers
        .iter()
        .map(|p| format!("{} {}", p.source, p.version))
        .collect();
    // Compare what follows the shared prefixes: every name starts `proxmox_`, many
    // `proxmox_virtual_environment_`, which would make any two names look alike.
    let core = |n: &str| -> String {
        n.trim_start_matches("proxmox_")
            .trim_start_matches("virtual_environment_")
            .to_string()
    };
    let cores: Vec<String> = known.iter().map(|k| core(k)).collect();
    let near = did_you_mean(&core(t), cores.iter()).and_then(|c| {
        known
            .iter()
            .filter(|k| core(k) == c)
            .min_by_key(|k| strsim::levenshtein(k, t))
            .cloned()
    });
    match near {
        Some(m) => {
            sink.push_as(
                Severity::Error,
                Code::PV016,
                at,
                format!("`{t}` is not a {what} of {}: Terraform refuses it (\"does not support {what}\")", releases.join(" or ")),
                Some(format!("did you mean `{m}`?")),
            );
        }
        None => sink.push(
            Code::PV016,
            at,
            format!("{what} `{t}` is not in {}: a newer provider release, or a typo; its arguments were not checked", releases.join(" or ")),
            None,
        ),
    }
}

/// PV011: a Telmate guest without a node. The schema marks `target_node` optional (the VM may
/// name `target_nodes` instead), but the docs call the node required ("the name and target node
/// of the VM are the only required parameters"; `proxmox_lxc`: "Required: target_node"), and
/// Proxmox VE creates a guest only on a node: the apply fails.
fn target_node(sink: &mut Sink, b: &Block, ty: &str, header: Span, doc: &str) {
    let names: &[&str] = match ty {
        "proxmox_vm_qemu" => &["target_node", "target_nodes"],
        "proxmox_lxc" => &["target_node"],
        _ => return,
    };
    if names.iter().any(|n| b.body.has_attribute(n)) {
        return;
    }
    sink.push_doc(
        Code::PV011,
        header,
        format!("{ty} names no node: set `{}`; Proxmox VE creates a guest only on a node, so the apply fails", names.join("` or `")),
        Some("add `target_node = \"NODE\"`".into()),
        Some(doc.into()),
    );
}
