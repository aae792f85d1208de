//! Provider requirements. PV004: a version constraint Terraform/OpenTofu cannot parse
//! (`required_version`, a provider's or a module's `version`). PV019: the provider a resource
//! needs is not the one the module requires: a source that is a misspelling of a Proxmox
//! provider, a resource type of the other Proxmox provider, or no `required_providers` entry at
//! all (Terraform then looks for `hashicorp/proxmox`, which does not exist).
//!
//! Rules reported here: PV004 invalid-version-constraint, PV005 provider-endpoint,
//!   PV006 provider-version-unchecked, PV019 provider-mismatch.
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Attribute, Block};
use hcl_edit::Span as _;

use super::{label, literal, object_entries, Decls, Lit, TfFile};
use crate::finding::{Finding, Severity, Sink, Span};
use crate::rules::Code;
use crate::schema::{self, Provider};

const OPERATORS: &[&str] = &["~>", ">=", "<=", "!=", "=", ">", "<"];

/// Why a version constraint string does not parse, with the fix, or `Ok`.
pub fn constraint(s: &str) -> Result<(), (String, String)> {
    if s.trim().is_empty() {
        return Ok(());
    }
    for part in s.split(',') {
        let p = part.trim();
        if p.is_empty() {
            return Err((
                "has an empty condition (a stray comma)".into(),
                "separate conditions with single commas, like \">= 1.6.0, < 2.0.0\"".into(),
            ));
        }
        let common = [
            ("=>", ">="),
            ("=<", "<="),
            ("^", "~>"),
            ("~=", "~>"),
            ("==", "="),
        ];
        if let Some((bad, good)) = common.iter().find(|(b, _)| p.starts_with(b)) {
            let v = p[bad.len()..].trim();
            return Err((
                format!("uses `{bad}`, which is not a version operator"),
                format!("write `{good} {v}` (operators: =, !=, >, >=, <, <=, ~>)"),
            ));
        }
        if p.starts_with('~') && !p.starts_with("~>") {
            let v = p[1..].trim();
            return Err((
                "uses `~`, which is not a version operator".into(),
                format!("write `~> {v}` (operators: =, !=, >, >=, <, <=, ~>)"),
            ));
        }
        let op = OPERATORS.iter().find(|o| p.starts_with(*o)).copied();
        let v = p[op.map_or(0, str::len)..].trim();
        if !version(v) {
            let fix = if v.contains(['*', 'x', 'X']) && v.chars().any(|c| c.is_ascii_digit()) {
                let base: String = v
                    .split('.')
                    .take_while(|c| c.chars().all(|d| d.is_ascii_digit()) && !c.is_empty())
                    .collect::<Vec<_>>()
                    .join(".");
                format!("there are no wildcards: write `~> {base}.0` for any {base}.x release")
            } else {
                "write an operator and a version number, like \">= 1.6.0\" or \"~> 0.111\"".into()
            };
            return Err((format!("has `{p}`, which is not a version condition"), fix));
        }
    }
    Ok(())
}

/// `1`, `1.2`, `1.2.3` (at most four numbers), with an optional `-prerelease` and `+build`; a
/// leading `v` is accepted as Terraform's `required_version` parser does.
fn version(v: &str) -> bool {
    let v = v.strip_prefix('v').unwrap_or(v);
    let (core, _build) = v.split_once('+').unwrap_or((v, ""));
    // The prerelease follows a dash (`1.2.0-rc1`) or directly (`1.2.0rc1`, which Terraform's
    // `go-version` parser also takes).
    let (nums, pre) = match core.split_once('-') {
        Some((n, p)) => (n, Some(p)),
        None => match core.find(|c: char| c.is_ascii_alphabetic()) {
            Some(i) if i > 0 => (&core[..i], Some(&core[i..])),
            _ => (core, None),
        },
    };
    let parts: Vec<&str> = nums.split('.').collect();
    parts.len() <= 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && pre.is_none_or(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        })
}

/// `NAMESPACE/TYPE` of a source on a public registry (no host, or the Terraform or OpenTofu
/// registry); None for a private registry, whose names we cannot judge.
fn public_source(s: &str) -> Option<&str> {
    let parts: Vec<&str> = s.split('/').collect();
    match parts.len() {
        3 if ["registry.terraform.io", "registry.opentofu.org"]
            .contains(&parts[0].to_ascii_lowercase().as_str()) =>
        {
            Some(&s[parts[0].len() + 1..])
        }
        3 => None,
        _ => Some(s),
    }
}

fn check_constraint(sink: &mut Sink, span: Span, what: &str, v: &str) {
    if let Err((why, fix)) = constraint(v) {
        sink.push(
            Code::PV004,
            span,
            format!("{what} \"{v}\" {why}; `tofu init` / `terraform init` stops here"),
            Some(fix),
        );
    }
}

/// The same kind of guest in the other Proxmox provider.
const COUNTERPARTS: &[(&str, &str)] = &[
    ("proxmox_vm_qemu", "proxmox_virtual_environment_vm"),
    ("proxmox_lxc", "proxmox_virtual_environment_container"),
];

fn counterpart(t: &str) -> Option<&'static str> {
    COUNTERPARTS.iter().find_map(|(a, b)| {
        if *a == t {
            Some(*b)
        } else if *b == t {
            Some(*a)
        } else {
            None
        }
    })
}

/// The provider local name a resource uses: its `provider = NAME[.ALIAS]`, else the type's
/// prefix.
fn local_name(b: &Block, ty: &str) -> String {
    if let Some(a) = b.body.get_attribute("provider") {
        if let Expression::Traversal(t) = &a.value {
            if let Expression::Variable(v) = &t.expr {
                return v.to_string();
            }
        }
        if let Expression::Variable(v) = &a.value {
            return v.to_string();
        }
    }
    ty.split('_').next().unwrap_or(ty).to_string()
}

/// PV004 and PV019 over one module.
pub fn check(parsed: &[TfFile], decls: &Decls, out: &mut Vec<Finding>) {
    let known: Vec<&'static Provider> = schema::providers().iter().collect();
    // local name → the Proxmox providers its resources belong to
    let mut used: Vec<(String, &'static Provider)> = Vec::new();
    for f in parsed {
        for b in f.body.blocks() {
            if let ("resource", Some(t)) = (b.ident.as_str(), label(b, 0)) {
                if let Some((p, _)) = schema::provider_of_resource(t) {
                    let n = local_name(b, t);
                    if !used.iter().any(|(m, q)| *m == n && std::ptr::eq(*q, p)) {
                        used.push((n, p));
                    }
                }
            }
        }
    }
    let mut has_terraform_block = false;
    // The first resource whose provider no `required_providers` entry names.
    let mut first_resource: Option<(usize, Span, String, &'static Provider)> = None;
    for (fi, f) in parsed.iter().enumerate() {
        let mut sink = Sink::new(f.path);
        for b in f.body.blocks() {
            match (b.ident.as_str(), label(b, 0)) {
                ("terraform", _) => {
                    has_terraform_block = true;
                    if let Some(a) = b.body.get_attribute("required_version") {
                        if let Lit::Str(v) = literal(&a.value) {
                            check_constraint(&mut sink, f.attr_span(a), "`required_version`", &v);
                        }
                    }
                    for rp in b.body.get_blocks("required_providers") {
                        for a in rp.body.attributes() {
                            requirement(f, &mut sink, a, &known, &used);
                        }
                    }
                }
                ("module", Some(n)) => {
                    if let Some(a) = b.body.get_attribute("version") {
                        if let Lit::Str(v) = literal(&a.value) {
                            check_constraint(
                                &mut sink,
                                f.attr_span(a),
                                &format!("module `{n}`'s `version`"),
                                &v,
                            );
                        }
                    }
                }
                ("resource", Some(t)) => {
                    let Some((p, _)) = schema::provider_of_resource(t) else {
                        continue;
                    };
                    let name = local_name(b, t);
                    match decls.provider_sources.get(&name) {
                        Some(src) => {
                            let Some(req) = schema::provider_by_source(src) else {
                                continue;
                            };
                            if !std::ptr::eq(req, p) {
                                let alt = counterpart(t)
                                    .filter(|c| req.resources.contains_key(*c))
                                    .map(|c| format!(" (`{c}`)"))
                                    .unwrap_or_default();
                                sink.push(
                                    Code::PV019,
                                    f.header(b),
                                    format!("`{t}` is a resource type of {}, but this module requires provider `{name}` as `{src}`, which has no such type: `terraform validate` fails", p.source),
                                    Some(format!("write the resource for {src}{alt}, or require `source = \"{}\"` for `{name}`", p.source.to_ascii_lowercase())),
                                );
                            }
                        }
                        None => {
                            if first_resource.is_none() {
                                first_resource = Some((fi, f.header(b), name, p));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        out.extend(sink.out);
    }
    if let Some((fi, span, name, p)) = first_resource {
        if decls.provider_sources.contains_key(&name) {
            return;
        }
        let f = &parsed[fi];
        let mut sink = Sink::new(f.path);
        sink.push(
            Code::PV019,
            span,
            format!("no `required_providers` entry names provider `{name}`, so Terraform looks for `hashicorp/{name}`, which does not exist; this resource needs `{}`", p.source),
            Some(format!(
                "add `terraform {{ required_providers {{ {name} = {{ source = \"{}\" }} }} }}`",
                p.source.to_ascii_lowercase()
            )),
        );
        // With no `terraform` block at all the files may be part of a larger module (or be a
        // snippet): say it, without calling it a defect.
        if !has_terraform_block {
            for x in &mut sink.out {
                x.severity = Severity::Info;
                x.message.push_str(" (no `terraform` block among the linted files: if another file of the module has it, ignore this)");
            }
        }
        out.extend(sink.out);
    }
}

/// One `NAME = { source = ..., version = ... }` entry of `required_providers`.
fn requirement(
    f: &TfFile,
    sink: &mut Sink,
    a: &Attribute,
    known: &[&'static Provider],
    used: &[(String, &'static Provider)],
) {
    let name = a.key.to_string();
    let Expression::Object(o) = &a.value else {
        return;
    };
    let source_text = object_entries(o)
        .into_iter()
        .find(|(k, _, _)| k == "source")
        .and_then(|(_, _, v)| match literal(v) {
            Lit::Str(s) => Some(s),
            _ => None,
        });
    let source = source_text.as_deref().and_then(schema::provider_by_source);
    // From the public registry (not a mirror or an in-house build under another host).
    let public = source_text
        .as_deref()
        .is_some_and(|s| public_source(s).is_some());
    for (key, _, v) in object_entries(o) {
        let Lit::Str(s) = literal(v) else {
            continue;
        };
        let span = match v.span() {
            Some(r) => f.span(Some(r)),
            None => f.attr_span(a),
        };
        match key.as_str() {
            "version" => {
                check_constraint(sink, span, &format!("provider `{name}`'s `version`"), &s);
                let Some(p) = source else { continue };
                if constraint(&s).is_err() {
                    continue;
                }
                let Some(h) = schema::history::of(&p.source) else {
                    continue;
                };
                let r = crate::versions::resolve(&h.versions, Some(&s), None);
                if !r.certain && public {
                    let fix = if crate::versions::Constraint::parse(&s)
                        .is_some_and(|c| c.ranged_prerelease().is_some())
                    {
                        format!("name the prerelease exactly: `version = \"{}\"`", r.version)
                    } else {
                        format!(
                            "pin a release from {} to {}, or check the arguments against the pinned release's docs",
                            h.versions.first().map_or("", String::as_str),
                            h.versions.last().map_or("", String::as_str)
                        )
                    };
                    sink.push(
                        Code::PV006,
                        span,
                        format!("{} version \"{s}\": {}", p.source, r.why),
                        Some(fix),
                    );
                }
            }
            "source" => {
                if schema::provider_by_source(&s).is_some() {
                    continue;
                }
                let Some(short) = public_source(&s).map(str::to_ascii_lowercase) else {
                    continue;
                };
                let close = |p: &&&'static Provider| {
                    let want = p.source.to_ascii_lowercase();
                    strsim::levenshtein(&short, &want) <= 2
                        || short == format!("hashicorp/{}", want.rsplit('/').next().unwrap_or(""))
                };
                // Prefer the provider this local name's resources belong to.
                let by_use = used
                    .iter()
                    .filter(|(n, _)| *n == name)
                    .map(|(_, p)| p)
                    .find(|p| close(p));
                let near = by_use.or_else(|| known.iter().find(|p| close(p)));
                if let Some(p) = near {
                    sink.push(
                        Code::PV019,
                        span,
                        format!("provider source \"{s}\" is not a published provider (no such registry address): `init` fails; did you mean `{}`?", p.source.to_ascii_lowercase()),
                        Some(format!("write `source = \"{}\"`", p.source.to_ascii_lowercase())),
                    );
                }
            }
            _ => {}
        }
    }
}

/// PV005: the API URL in a provider block. bpg's `endpoint` is the base URL
/// (`https://pve:8006/`; the provider adds `/api2/json` itself, and its docs say not to write
/// it); Telmate's `pm_api_url` is the API root including `/api2/json`. Proxmox VE's API
/// (pveproxy) answers HTTPS only. Values from the environment are not judged.
pub fn endpoint(f: &TfFile, sink: &mut Sink, b: &Block, p: &Provider, decls: &Decls) {
    let telmate = p.source.eq_ignore_ascii_case("Telmate/proxmox");
    let key = if telmate { "pm_api_url" } else { "endpoint" };
    let Some(a) = b.body.get_attribute(key) else {
        return;
    };
    let Lit::Str(url) = decls.resolve(&a.value) else {
        return;
    };
    let url = url.trim();
    if url.is_empty() || url.contains("${") {
        return;
    }
    let span = f.attr_span(a);
    let doc = Some(p.doc_uri(&p.config_doc));
    let example = |host: &str| match telmate {
        true => format!("https://{host}:8006/api2/json"),
        false => format!("https://{host}:8006/"),
    };
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => {
            let host = url.split(['/', ':']).next().unwrap_or(url);
            sink.push_doc(
                Code::PV005,
                span,
                format!("`{key}` = \"{url}\" is not a URL: the provider needs the scheme, host and port"),
                Some(format!("write \"{}\"", example(host))),
                doc,
            );
            return;
        }
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, h)| h)
        .to_string();
    let fixed = |path: &str| {
        let mut u = format!("https://{host}");
        u.push_str(path);
        u
    };
    if scheme != "https" {
        let why = match scheme.as_str() {
            "http" => "Proxmox VE's API answers HTTPS only (pveproxy on port 8006)".to_string(),
            other => {
                format!("`{other}` is not a scheme the provider speaks; Proxmox VE's API is HTTPS")
            }
        };
        sink.push_doc(
            Code::PV005,
            span,
            format!("`{key}` = \"{url}\": {why}"),
            Some(format!("write \"{}\"", fixed(path))),
            doc,
        );
        return;
    }
    if host.is_empty() {
        sink.push_doc(
            Code::PV005,
            span,
            format!("`{key}` = \"{url}\" has no host"),
            Some(format!("write \"{}\"", example("pve.example.com"))),
            doc,
        );
        return;
    }
    let trimmed = path.trim_end_matches('/');
    let has_api = trimmed.ends_with("/api2/json");
    if telmate && !has_api {
        let want = format!("{trimmed}/api2/json");
        sink.push_doc(
            Code::PV005,
            span,
            format!("`pm_api_url` = \"{url}\" does not end in /api2/json: the Telmate provider sends its requests to this URL as the API root"),
            Some(format!("write \"{}\"", fixed(&want))),
            doc,
        );
    } else if !telmate && trimmed.contains("/api2/json") {
        let base = trimmed.trim_end_matches("/api2/json");
        sink.push_doc(
            Code::PV005,
            span,
            format!("`endpoint` = \"{url}\" includes /api2/json: the bpg provider adds it itself, so requests go to /api2/json/api2/json (its docs: do not include /api2/json)"),
            Some(format!("write \"{}\"", fixed(&format!("{base}/")))),
            doc,
        );
    }
}
