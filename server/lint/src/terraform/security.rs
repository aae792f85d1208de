//! Security rules: literal secrets (provider credentials, passwords, tokens, cloud-init),
//! disabled TLS verification, secret variables without `sensitive = true`.
//!
//! Rules reported here: PV030 plaintext-secret, PV031 tls-verification-disabled,
//!   PV032 secret-variable-not-sensitive.
use std::collections::BTreeMap;

use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::{Block, Body, Structure};
use hcl_edit::template::Element;
use hcl_edit::visit::{self, Visit};

use super::{label, literal, Decls, Lit, TfFile};
use crate::finding::{Finding, Sink, Span};
use crate::rules::Code;
use crate::schema::{self, Provider};

/// Environment variable each provider reads a credential from.
fn env_for(attr: &str) -> Option<&'static str> {
    Some(match attr {
        "api_token" => "PROXMOX_VE_API_TOKEN",
        "password" => "PROXMOX_VE_PASSWORD",
        "auth_ticket" => "PROXMOX_VE_AUTH_TICKET",
        "pm_api_token_secret" => "PM_API_TOKEN_SECRET",
        "pm_password" => "PM_PASS",
        _ => return None,
    })
}

/// `user@realm!token=uuid` or a bare UUID-like token secret.
fn looks_like_token(s: &str) -> bool {
    let uuidish = |t: &str| {
        let parts: Vec<&str> = t.split('-').collect();
        parts.len() == 5
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_hexdigit()))
    };
    match s.split_once('=') {
        Some((id, secret)) if id.contains('@') && id.contains('!') => uuidish(secret),
        _ => false,
    }
}

fn is_literal_secret(lit: &Lit) -> bool {
    matches!(lit, Lit::Str(s) if !s.is_empty())
}

fn secret_fix(var: &str, env: Option<&str>) -> String {
    match env {
        Some(e) => format!("declare `variable \"{var}\" {{ sensitive = true }}` and use `var.{var}`, or leave it out and set {e}"),
        None => format!("declare `variable \"{var}\" {{ sensitive = true }}` and use `var.{var}`"),
    }
}

pub fn provider_block(f: &TfFile, sink: &mut Sink, b: &Block, p: &Provider, decls: &Decls) {
    let _ = decls;
    for a in b.body.attributes() {
        let k = a.key.as_str();
        let span = f.attr_span(a);
        let lit = literal(&a.value);
        let sensitive = p.config.attrs.get(k).is_some_and(|x| x.sensitive);
        let doc = Some(p.doc_uri(&p.config_doc));
        if sensitive && is_literal_secret(&lit) {
            sink.push_doc(
                Code::PV030,
                span,
                format!("`{k}` is a credential written as a literal in the provider block; it ends up in version control and plan output"),
                Some(secret_fix(&format!("proxmox_{}", k.trim_start_matches("pm_")), env_for(k))),
                doc.clone(),
            );
        }
        if matches!(k, "insecure" | "pm_tls_insecure") && lit == Lit::Bool(true) {
            sink.push_doc(
                Code::PV031,
                span,
                format!("provider sets `{k} = true`: TLS certificate verification of the Proxmox API is disabled"),
                Some("remove it and trust the node's certificate (add the PVE CA to the system store) instead".into()),
                doc.clone(),
            );
        }
    }
    for sb in b.body.blocks() {
        if sb.ident.as_str() == "ssh" {
            for a in sb.body.attributes() {
                let k = a.key.as_str();
                if matches!(k, "password" | "private_key" | "socks5_password")
                    && is_literal_secret(&literal(&a.value))
                {
                    sink.push(
                        Code::PV030,
                        f.attr_span(a),
                        format!("ssh `{k}` is written as a literal"),
                        Some(secret_fix(&format!("proxmox_ssh_{k}"), None)),
                    );
                }
            }
        }
    }
}

/// Sensitive attributes set to literals, tokens anywhere, cloud-init passwords.
pub fn resource_block(
    f: &TfFile,
    sink: &mut Sink,
    b: &Block,
    schema: &schema::Block,
    decls: &Decls,
) {
    let _ = decls;
    walk_sensitive(f, sink, &b.body, schema);
    // Cloud-init documents inlined in the configuration.
    let ty = label(b, 0).unwrap_or("");
    let mut docs: Vec<(&Expression, Span)> = Vec::new();
    if ty.ends_with("_file") {
        for raw in b.body.get_blocks("source_raw") {
            if let Some(a) = raw.body.get_attribute("data") {
                docs.push((&a.value, f.attr_span(a)));
            }
        }
    }
    if ty == "proxmox_cloud_init_disk" {
        for k in ["user_data", "vendor_data"] {
            if let Some(a) = b.body.get_attribute(k) {
                docs.push((&a.value, f.attr_span(a)));
            }
        }
    }
    for (e, span) in docs {
        cloud_init_text(f, sink, e, span);
    }
    // File sources fetched without TLS verification.
    for sf in b.body.get_blocks("source_file") {
        if let Some(a) = sf.body.get_attribute("insecure") {
            if literal(&a.value) == Lit::Bool(true) {
                sink.push(
                    Code::PV031,
                    f.attr_span(a),
                    "source_file.insecure = true: the download skips TLS verification",
                    Some(
                        "remove it, or host the file on a server with a trusted certificate".into(),
                    ),
                );
            }
        }
    }
}

/// Literal passwords and private keys in `connection` blocks (of the resource or of one of its
/// provisioners), for any resource type.
pub fn connections(f: &TfFile, sink: &mut Sink, b: &Block) {
    let mut blocks: Vec<&Block> = b.body.get_blocks("connection").collect();
    for p in b.body.get_blocks("provisioner") {
        blocks.extend(p.body.get_blocks("connection"));
    }
    for c in blocks {
        for k in [
            "password",
            "private_key",
            "bastion_password",
            "bastion_private_key",
        ] {
            let Some(a) = c.body.get_attribute(k) else {
                continue;
            };
            if is_literal_secret(&literal(&a.value)) {
                sink.push(
                    Code::PV030,
                    f.attr_span(a),
                    format!("`connection.{k}` is a secret written as a literal: it is stored in the configuration and in the state"),
                    Some(secret_fix(k, None)),
                );
            }
        }
    }
}

fn walk_sensitive(f: &TfFile, sink: &mut Sink, body: &Body, schema: &schema::Block) {
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => {
                let k = a.key.as_str();
                let lit = literal(&a.value);
                if schema.attrs.get(k).is_some_and(|x| x.sensitive) && is_literal_secret(&lit) {
                    sink.push(
                        Code::PV030,
                        f.attr_span(a),
                        format!("`{k}` is a secret written as a literal"),
                        Some(secret_fix(k, None)),
                    );
                } else if let Lit::Str(s) = &lit {
                    if looks_like_token(s) {
                        sink.push(
                            Code::PV030,
                            f.attr_span(a),
                            "an API token (user@realm!id=secret) is written as a literal",
                            Some(secret_fix(
                                "proxmox_api_token",
                                Some("PROXMOX_VE_API_TOKEN"),
                            )),
                        );
                    }
                }
            }
            Structure::Block(b) => {
                if let Some(nb) = schema.blocks.get(b.ident.as_str()) {
                    walk_sensitive(f, sink, &b.body, &nb.block);
                }
            }
        }
    }
}

/// A cloud-init user-data document: `password:`, `plain_text_passwd:` or `chpasswd` entries
/// with literal values are secrets in the configuration.
fn cloud_init_text(f: &TfFile, sink: &mut Sink, e: &Expression, span: Span) {
    // Literal text with interpolations replaced by a marker.
    let mut text = String::new();
    let elements: Vec<&Element> = match e {
        Expression::String(s) => {
            text.push_str(s.value());
            vec![]
        }
        Expression::StringTemplate(t) => t.iter().collect(),
        Expression::HeredocTemplate(h) => h.template.iter().collect(),
        _ => return,
    };
    for el in elements {
        match el {
            Element::Literal(l) => text.push_str(l.value()),
            _ => text.push_str("${}"),
        }
    }
    let _ = f;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start().trim_start_matches("- ");
        let Some((key, value)) = t.split_once(':') else {
            continue;
        };
        let key = key.trim();
        let value = value.trim().trim_matches('"').trim_matches('\'');
        if matches!(key, "password" | "plain_text_passwd" | "passwd")
            && !value.is_empty()
            && !value.starts_with("${")
        {
            let line_no = span.0 + i as u32;
            sink.push(
                Code::PV030,
                (line_no, 1, line_no, line.len() as u32 + 1),
                format!("cloud-init `{key}` holds a literal password"),
                Some(
                    "use SSH keys, or pass a sensitive variable: `passwd: ${var.vm_password_hash}`"
                        .into(),
                ),
            );
        }
    }
}

/// Variable blocks: secret defaults.
pub fn variable_block(f: &TfFile, sink: &mut Sink, b: &Block) {
    let Some(name) = label(b, 0) else { return };
    if !secret_name(name) {
        return;
    }
    if let Some(d) = b.body.get_attribute("default") {
        if is_literal_secret(&literal(&d.value)) {
            sink.push(Code::PV030, f.attr_span(d), format!("variable `{name}` has a secret as its default value"), Some("remove the default; pass the value in terraform.tfvars (not committed) or TF_VAR_".to_string() + name));
        }
    }
}

/// The `terraform` block: literal secrets in a backend's settings (`password`, `secret_key`,
/// `access_key`, a `conn_str` with a password) and in OpenTofu state-encryption key
/// providers (`passphrase`). Anyone with the repository could read the state with them.
pub fn terraform_block(f: &TfFile, sink: &mut Sink, b: &Block) {
    let mut check = |body: &Body, what: &str, fix: &dyn Fn(&str) -> String| {
        for a in body.attributes() {
            let k = a.key.as_str();
            let Lit::Str(v) = literal(&a.value) else {
                continue;
            };
            let named = secret_name(k)
                || matches!(
                    k,
                    "passphrase" | "access_key" | "secret_key" | "sas_token" | "client_secret"
                );
            let url_password = k == "conn_str" && url_has_password(&v);
            if v.is_empty() || !(named || url_password) {
                continue;
            }
            sink.push(
                Code::PV030,
                f.attr_span(a),
                format!(
                    "`{k}` of the {what} is written as a literal; it ends up in version control"
                ),
                Some(fix(k)),
            );
        }
    };
    for bk in b.body.get_blocks("backend") {
        let ty = label(bk, 0).unwrap_or("?");
        check(&bk.body, &format!("`{ty}` backend"), &|k| {
            format!("leave `{k}` out and supply it at init: `-backend-config=FILE` (a file not committed) or the backend's environment variable")
        });
    }
    for enc in b.body.get_blocks("encryption") {
        for kp in enc.body.get_blocks("key_provider") {
            check(&kp.body, "state encryption key provider", &|k| {
                format!("use `var.state_{k}` with `variable \"state_{k}\" {{ sensitive = true }}`, or configure the encryption through the TF_ENCRYPTION environment variable")
            });
        }
    }
}

/// `scheme://user:password@host...`
fn url_has_password(s: &str) -> bool {
    s.split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .is_some_and(|(cred, _)| cred.contains(':'))
}

/// Names that carry secrets: passwords, token secrets, private keys (not public keys, ids,
/// file paths or flags). Judged by words (`snake_case`, `kebab-case`, `camelCase`), so
/// `hotplug` is not an `otp` and `pm_api_token_id` names a token without being one.
pub fn secret_name(name: &str) -> bool {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let Some(last) = words.last() else {
        return false;
    };
    let harmless_last = [
        "id",
        "ids",
        "hash",
        "file",
        "files",
        "path",
        "name",
        "names",
        "length",
        "enabled",
        "enable",
        "policy",
        "ttl",
        "prompt",
        "url",
        "user",
        "username",
        "expiry",
        "expires",
        "expiration",
        "required",
        "set",
        "use",
        "count",
        "min",
        "max",
        "type",
        "format",
        "rotation",
        "version",
        "ref",
        "arn",
        "key_id",
    ];
    if harmless_last.contains(&last.as_str()) || words.iter().any(|w| w == "public" || w == "pub") {
        return false;
    }
    // flags and counters: `use_secret`, `enable_password_auth`, `generate_password`
    if words.len() > 1
        && [
            "use", "enable", "enabled", "disable", "is", "has", "create", "generate", "with",
            "manage", "allow", "random", "rotate", "show", "num", "no",
        ]
        .contains(&words[0].as_str())
    {
        return false;
    }
    let w = |i: usize| words.get(i).map(String::as_str);
    words.iter().enumerate().any(|(i, t)| {
        let t = t.as_str();
        t.ends_with("password")
            || t.ends_with("passwd")
            || t == "pwd"
            || t == "secret"
            || t.ends_with("secret")
            || t == "otp"
            || t == "token"
            || t == "privatekey"
            || (t == "private" && w(i + 1) == Some("key"))
    })
}

struct VarUses {
    /// Variables used in sensitive attributes.
    out: BTreeMap<String, ()>,
}

fn vars_in(e: &Expression) -> Vec<String> {
    struct V(Vec<String>);
    impl Visit for V {
        // Values flow from a condition's branches, not from the condition; comparisons,
        // negations and tests such as `length()` or `can()` give numbers and bools.
        fn visit_conditional(&mut self, c: &hcl_edit::expr::Conditional) {
            self.visit_expr(&c.true_expr);
            self.visit_expr(&c.false_expr);
        }
        fn visit_binary_op(&mut self, _: &hcl_edit::expr::BinaryOp) {}
        fn visit_unary_op(&mut self, _: &hcl_edit::expr::UnaryOp) {}
        fn visit_func_call(&mut self, call: &hcl_edit::expr::FuncCall) {
            let name = call.name.name.as_str();
            if matches!(
                name,
                "length"
                    | "can"
                    | "contains"
                    | "startswith"
                    | "endswith"
                    | "fileexists"
                    | "anytrue"
                    | "alltrue"
                    | "keys"
                    | "type"
                    | "sha256"
                    | "sha1"
                    | "md5"
                    | "bcrypt"
                    | "sha512"
                    | "base64sha256"
                    | "base64sha512"
            ) {
                return;
            }
            visit::visit_func_call(self, call);
        }
        fn visit_traversal(&mut self, t: &hcl_edit::expr::Traversal) {
            if let (Expression::Variable(r), Some(TraversalOperator::GetAttr(n))) =
                (&t.expr, t.operators.first().map(|o| o.value()))
            {
                if r.as_str() == "var" {
                    self.0.push(n.to_string());
                }
            }
            visit::visit_traversal(self, t);
        }
    }
    let mut v = V(Vec::new());
    v.visit_expr(e);
    v.0
}

impl VarUses {
    fn body(&mut self, body: &Body, schema: &schema::Block) {
        for s in body.iter() {
            match s {
                Structure::Attribute(a) => {
                    if schema
                        .attrs
                        .get(a.key.as_str())
                        .is_some_and(|x| x.sensitive)
                    {
                        for v in vars_in(&a.value) {
                            self.out.insert(v, ());
                        }
                    }
                }
                Structure::Block(b) => {
                    if let Some(nb) = schema.blocks.get(b.ident.as_str()) {
                        self.body(&b.body, &nb.block);
                    }
                }
            }
        }
    }
}

/// Variables passed to sensitive arguments, or named like secrets, must be `sensitive = true`.
pub fn sensitive_variables(files: &[TfFile], decls: &Decls, out: &mut Vec<Finding>) {
    let mut uses = VarUses {
        out: BTreeMap::new(),
    };
    for f in files {
        for b in f.body.blocks() {
            match (b.ident.as_str(), label(b, 0)) {
                ("provider", Some(_)) => {
                    // Either provider's config: sensitive names do not clash between them.
                    for p in schema::providers() {
                        uses.body(&b.body, &p.config);
                    }
                }
                ("resource", Some(t)) => {
                    if let Some((_, r)) = schema::provider_of_resource(t) {
                        uses.body(&b.body, &r.block);
                    }
                }
                _ => {}
            }
        }
    }
    for (name, (fi, b)) in &decls.variables {
        let sensitive = b
            .body
            .get_attribute("sensitive")
            .is_some_and(|a| literal(&a.value) == Lit::Bool(true));
        if sensitive {
            continue;
        }
        let used = uses.out.contains_key(name);
        // a bool or a number is not a secret, whatever its name
        let scalar = b
            .body
            .get_attribute("type")
            .is_some_and(|t| matches!(t.value.to_string().trim(), "bool" | "number"));
        if used || (secret_name(name) && !scalar) {
            let f = &files[*fi];
            let mut sink = Sink::new(f.path);
            let why = if used {
                "is passed to a sensitive argument"
            } else {
                "looks like a secret"
            };
            sink.push(Code::PV032, f.header(b), format!("variable `{name}` {why} but is not marked `sensitive = true`: its value would show in plan output"), Some(format!("add `sensitive = true` to variable \"{name}\"")));
            out.extend(sink.out);
        }
    }
}
