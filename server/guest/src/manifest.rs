//! Reading a Terraform module the way `plan` would see it, as far as it can be known without
//! a state: variables (default, then `terraform.tfvars` and `*.auto.tfvars`), locals, `count`
//! and `for_each` with known keys, `dynamic` blocks and the common functions. Each resource
//! instance becomes a tree of evaluated attributes; what cannot be known stays marked unknown
//! with the reason, and is not compared.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
use hcl::{Block, Body, Expression, Value};

use crate::Error;

/// An evaluated attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Known(Value),
    /// Not known before apply or not evaluable here; the reason.
    Unknown(String),
}

/// An evaluated block body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Node {
    pub attrs: BTreeMap<String, Val>,
    pub blocks: Vec<(String, Node)>,
}

impl Node {
    pub fn attr(&self, k: &str) -> Option<&Val> {
        self.attrs.get(k)
    }
    pub fn block(&self, name: &str) -> Option<&Node> {
        self.blocks.iter().find(|(n, _)| n == name).map(|(_, b)| b)
    }
    pub fn blocks<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.blocks
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, b)| b)
    }
}

/// One resource instance: `TYPE.NAME`, `TYPE.NAME[0]` or `TYPE.NAME["key"]`.
#[derive(Debug, Clone)]
pub struct Instance {
    pub rtype: String,
    pub address: String,
    pub file: String,
    pub body: Node,
}

/// A module read for drift.
#[derive(Debug, Default)]
pub struct Module {
    pub instances: Vec<Instance>,
    /// Resources that could not be expanded (`count`/`for_each` not known), with the reason.
    pub skipped: Vec<(String, String)>,
    /// `required_providers` version constraints by provider source (lower case).
    pub constraints: BTreeMap<String, String>,
    /// The module's `.terraform.lock.hcl`, when there is one.
    pub lock: Option<String>,
}

/// The resource types read (others are ignored).
pub const GUEST_TYPES: &[&str] = &[
    "proxmox_virtual_environment_vm",
    "proxmox_virtual_environment_container",
    "proxmox_vm_qemu",
    "proxmox_lxc",
    "proxmox_virtual_environment_haresource",
    "proxmox_haresource",
];

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

fn parse(path: &Path, text: &str) -> Result<Body, Error> {
    hcl::parse(text).map_err(|e| Error::Input {
        field: path.display().to_string(),
        message: format!("not valid HCL: {e}"),
    })
}

/// The `.tf` files and auto-loaded variable files of a module directory (or one `.tf` file).
fn files(path: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>), Error> {
    if path.is_file() {
        return Ok((vec![path.to_path_buf()], Vec::new()));
    }
    let mut tf = Vec::new();
    let mut vars = Vec::new();
    let rd = std::fs::read_dir(path).map_err(|e| Error::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    for e in rd.flatten() {
        let p = e.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !p.is_file() || name.starts_with('.') {
            continue;
        }
        if name.ends_with(".tf") {
            tf.push(p);
        } else if name == "terraform.tfvars" || name.ends_with(".auto.tfvars") {
            vars.push(p);
        }
    }
    tf.sort();
    // terraform.tfvars first, then *.auto.tfvars in lexical order: later ones win.
    vars.sort_by_key(|p| (!p.ends_with("terraform.tfvars"), p.clone()));
    if tf.is_empty() {
        return Err(Error::Input {
            field: "PATH".into(),
            message: format!(
                "no .tf files in {}; give a Terraform module directory or a .tf file",
                path.display()
            ),
        });
    }
    Ok((tf, vars))
}

fn obj(pairs: impl IntoIterator<Item = (String, Value)>) -> Value {
    Value::Object(pairs.into_iter().collect())
}

/// Load a module from disk: parse, evaluate variables and locals, expand the guest resources.
pub fn load(path: &Path) -> Result<Module, Error> {
    let (tf, var_files) = files(path)?;
    let mut texts = Vec::new();
    for p in &tf {
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        texts.push((name, read(p)?));
    }
    let mut vars = Vec::new();
    for p in &var_files {
        vars.push((p.display().to_string(), read(p)?));
    }
    let dir = if path.is_file() {
        path.parent().unwrap_or(Path::new("."))
    } else {
        path
    };
    let lock = std::fs::read_to_string(dir.join(".terraform.lock.hcl")).ok();
    load_texts(&texts, &vars, lock)
}

/// Load a module from its texts: `.tf` files as (name, text), then the variable files in the
/// order they apply (`terraform.tfvars`, then `*.auto.tfvars` in lexical order), and the
/// `.terraform.lock.hcl` text when there is one.
pub fn load_texts(
    tf: &[(String, String)],
    var_files: &[(String, String)],
    lock: Option<String>,
) -> Result<Module, Error> {
    let mut bodies = Vec::new();
    for (name, text) in tf {
        bodies.push((name.clone(), parse(Path::new(name), text)?));
    }
    let base = base_context();
    // Variables: defaults, then variable files; then each value through its declared type,
    // so `optional(T, default)` attributes the value leaves out get their default.
    let mut vars: BTreeMap<String, Value> = BTreeMap::new();
    let mut types: BTreeMap<String, Expression> = BTreeMap::new();
    for (_, body) in &bodies {
        for b in body.blocks().filter(|b| b.identifier() == "variable") {
            let Some(name) = b.labels.first() else {
                continue;
            };
            if let Some(t) = b.body.attributes().find(|a| a.key() == "type") {
                types.insert(name.as_str().to_string(), t.expr.clone());
            }
            if let Some(d) = b.body.attributes().find(|a| a.key() == "default") {
                if let Ok(v) = d.expr.evaluate(&base) {
                    vars.insert(name.as_str().to_string(), v);
                }
            }
        }
    }
    for (name, text) in var_files {
        let body = parse(Path::new(name), text)?;
        for a in body.attributes() {
            if let Ok(v) = a.expr.evaluate(&base) {
                vars.insert(a.key().to_string(), v);
            }
        }
    }
    for (name, v) in vars.iter_mut() {
        if let Some(t) = types.get(name) {
            *v = typed(t, std::mem::take(v), &base);
        }
    }
    let mut ctx = base.clone();
    ctx.declare_var("var", obj(vars));
    ctx.declare_var(
        "path",
        obj([
            ("module".into(), Value::from(".")),
            ("root".into(), Value::from(".")),
            ("cwd".into(), Value::from(".")),
        ]),
    );
    ctx.declare_var(
        "terraform",
        obj([("workspace".into(), Value::from("default"))]),
    );
    // Locals, in passes until nothing more can be evaluated (they may refer to each other).
    let local_exprs: Vec<(String, Expression)> = bodies
        .iter()
        .flat_map(|(_, b)| b.blocks().filter(|b| b.identifier() == "locals"))
        .flat_map(|b| {
            b.body
                .attributes()
                .map(|a| (a.key().to_string(), a.expr.clone()))
        })
        .collect();
    let mut locals: BTreeMap<String, Value> = BTreeMap::new();
    loop {
        let mut progress = false;
        let mut lctx = ctx.clone();
        lctx.declare_var("local", obj(locals.clone()));
        for (k, e) in &local_exprs {
            if locals.contains_key(k) {
                continue;
            }
            if let Ok(v) = e.evaluate(&lctx) {
                locals.insert(k.clone(), v);
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
    ctx.declare_var("local", obj(locals));

    let mut m = Module {
        lock,
        ..Module::default()
    };
    for (_, body) in &bodies {
        for rp in body
            .blocks()
            .filter(|b| b.identifier() == "terraform")
            .flat_map(|b| {
                b.body
                    .blocks()
                    .filter(|b| b.identifier() == "required_providers")
            })
        {
            for a in rp.body.attributes() {
                if let Ok(Value::Object(o)) = a.expr.evaluate(&ctx) {
                    if let (Some(Value::String(src)), Some(Value::String(v))) =
                        (o.get("source"), o.get("version"))
                    {
                        m.constraints.insert(src.to_ascii_lowercase(), v.clone());
                    }
                }
            }
        }
    }
    for (file, body) in &bodies {
        for b in body.blocks().filter(|b| b.identifier() == "resource") {
            let (Some(t), Some(n)) = (b.labels.first(), b.labels.get(1)) else {
                continue;
            };
            let (t, n) = (t.as_str(), n.as_str());
            if !GUEST_TYPES.contains(&t) {
                continue;
            }
            expand(&ctx, file, t, n, b, &mut m);
        }
    }
    Ok(m)
}

/// A value through a type constraint: `object({a = optional(number, 2)})` gives a missing `a`
/// its default, inside `map(...)`, `list(...)`, `set(...)`, `tuple([...])` and `optional(...)`.
fn typed(ty: &Expression, v: Value, ctx: &Context) -> Value {
    let Expression::FuncCall(f) = ty else {
        return v;
    };
    match (f.name.name.as_str(), v) {
        ("optional", v) => match f.args.first() {
            Some(inner) => typed(inner, v, ctx),
            None => v,
        },
        ("map" | "list" | "set", Value::Object(o)) => match f.args.first() {
            Some(inner) => Value::Object(
                o.into_iter()
                    .map(|(k, x)| (k, typed(inner, x, ctx)))
                    .collect(),
            ),
            None => Value::Object(o),
        },
        ("map" | "list" | "set", Value::Array(a)) => match f.args.first() {
            Some(inner) => Value::Array(a.into_iter().map(|x| typed(inner, x, ctx)).collect()),
            None => Value::Array(a),
        },
        ("object", Value::Object(mut o)) => {
            if let Some(Expression::Object(attrs)) = f.args.first() {
                for (k, t) in attrs.iter() {
                    let key = match k {
                        hcl::ObjectKey::Identifier(i) => i.as_str().to_string(),
                        hcl::ObjectKey::Expression(Expression::String(s)) => s.clone(),
                        _ => continue,
                    };
                    match o.shift_remove(&key) {
                        Some(x) => {
                            o.insert(key, typed(t, x, ctx));
                        }
                        None => {
                            if let Expression::FuncCall(opt) = t {
                                if opt.name.name.as_str() == "optional" {
                                    let d = match opt.args.get(1) {
                                        Some(d) => d.evaluate(ctx).unwrap_or(Value::Null),
                                        None => Value::Null,
                                    };
                                    let d = match opt.args.first() {
                                        Some(inner) if !matches!(d, Value::Null) => {
                                            typed(inner, d, ctx)
                                        }
                                        _ => d,
                                    };
                                    o.insert(key, d);
                                }
                            }
                        }
                    }
                }
            }
            Value::Object(o)
        }
        (_, v) => v,
    }
}

fn expand(ctx: &Context, file: &str, t: &str, n: &str, b: &Block, m: &mut Module) {
    let attr = |k: &str| b.body.attributes().find(|a| a.key() == k).map(|a| &a.expr);
    let mut push = |address: String, ictx: &Context| {
        m.instances.push(Instance {
            rtype: t.to_string(),
            address,
            file: file.to_string(),
            body: eval_body(ictx, &b.body),
        })
    };
    if let Some(e) = attr("count") {
        match e.evaluate(ctx) {
            Ok(Value::Number(c)) => {
                let c = c.as_f64().unwrap_or(0.0).max(0.0) as u64;
                for i in 0..c {
                    let mut ictx = ctx.clone();
                    ictx.declare_var("count", obj([("index".into(), Value::from(i))]));
                    push(format!("{t}.{n}[{i}]"), &ictx);
                }
            }
            Ok(v) => m
                .skipped
                .push((format!("{t}.{n}"), format!("count is {v}, not a number"))),
            Err(e) => m
                .skipped
                .push((format!("{t}.{n}"), format!("count is not known: {e}"))),
        }
    } else if let Some(e) = attr("for_each") {
        let items: Option<Vec<(String, Value)>> = match e.evaluate(ctx) {
            Ok(Value::Object(o)) => Some(o.into_iter().collect()),
            Ok(Value::Array(a)) => a
                .into_iter()
                .map(|v| v.as_str().map(|s| (s.to_string(), v.clone())))
                .collect(),
            _ => None,
        };
        match items {
            Some(items) => {
                for (k, v) in items {
                    let mut ictx = ctx.clone();
                    ictx.declare_var(
                        "each",
                        obj([("key".into(), Value::from(k.clone())), ("value".into(), v)]),
                    );
                    push(format!("{t}.{n}[{k:?}]"), &ictx);
                }
            }
            None => m.skipped.push((
                format!("{t}.{n}"),
                "for_each is not a map or set of strings known before apply".into(),
            )),
        }
    } else {
        push(format!("{t}.{n}"), ctx);
    }
}

/// Evaluate a block body attribute by attribute; `dynamic` blocks are expanded.
pub fn eval_body(ctx: &Context, body: &Body) -> Node {
    let mut node = Node::default();
    for a in body.attributes() {
        let v = match a.expr.evaluate(ctx) {
            Ok(v) => Val::Known(v),
            Err(e) => Val::Unknown(e.to_string()),
        };
        node.attrs.insert(a.key().to_string(), v);
    }
    for b in body.blocks() {
        if b.identifier() == "dynamic" {
            let Some(label) = b.labels.first().map(|l| l.as_str().to_string()) else {
                continue;
            };
            let iter_name = b
                .body
                .attributes()
                .find(|a| a.key() == "iterator")
                .and_then(|a| match &a.expr {
                    Expression::Variable(v) => Some(v.as_str().to_string()),
                    _ => None,
                })
                .unwrap_or_else(|| label.clone());
            let items: Vec<(Value, Value)> = match b
                .body
                .attributes()
                .find(|a| a.key() == "for_each")
                .map(|a| a.expr.evaluate(ctx))
            {
                Some(Ok(Value::Object(o))) => {
                    o.into_iter().map(|(k, v)| (Value::from(k), v)).collect()
                }
                Some(Ok(Value::Array(a))) => a
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (Value::from(i as u64), v))
                    .collect(),
                _ => {
                    // Not known: one block whose every attribute is unknown.
                    let mut n = Node::default();
                    n.attrs.insert(
                        "*".into(),
                        Val::Unknown("dynamic block with unknown for_each".into()),
                    );
                    node.blocks.push((label, n));
                    continue;
                }
            };
            let Some(content) = b.body.blocks().find(|c| c.identifier() == "content") else {
                continue;
            };
            for (k, v) in items {
                let mut c = ctx.clone();
                c.declare_var(
                    iter_name.as_str(),
                    obj([("key".into(), k), ("value".into(), v)]),
                );
                node.blocks
                    .push((label.clone(), eval_body(&c, &content.body)));
            }
        } else {
            node.blocks
                .push((b.identifier().to_string(), eval_body(ctx, &b.body)));
        }
    }
    node
}

// ---- functions: the Terraform built-ins manifests use for guest settings ----

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => crate::fields::number(n.as_f64().unwrap_or(0.0)),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn f_join(a: FuncArgs) -> Result<Value, String> {
    let sep = s(&a[0]);
    let mut parts = Vec::new();
    for v in a.iter().skip(1) {
        match v {
            Value::Array(xs) => parts.extend(xs.iter().map(s)),
            other => return Err(format!("join: not a list: {other}")),
        }
    }
    Ok(Value::from(parts.join(&sep)))
}
fn f_split(a: FuncArgs) -> Result<Value, String> {
    Ok(Value::Array(
        s(&a[1]).split(&s(&a[0])).map(Value::from).collect(),
    ))
}
fn f_lower(a: FuncArgs) -> Result<Value, String> {
    Ok(Value::from(s(&a[0]).to_lowercase()))
}
fn f_upper(a: FuncArgs) -> Result<Value, String> {
    Ok(Value::from(s(&a[0]).to_uppercase()))
}
fn f_tostring(a: FuncArgs) -> Result<Value, String> {
    Ok(Value::from(s(&a[0])))
}
fn f_tonumber(a: FuncArgs) -> Result<Value, String> {
    match &a[0] {
        Value::Number(_) => Ok(a[0].clone()),
        v => s(v)
            .parse::<f64>()
            .ok()
            .and_then(hcl::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("tonumber: `{}` is not a number", s(v))),
    }
}
fn f_trimspace(a: FuncArgs) -> Result<Value, String> {
    Ok(Value::from(s(&a[0]).trim()))
}
fn f_replace(a: FuncArgs) -> Result<Value, String> {
    Ok(Value::from(s(&a[0]).replace(&s(&a[1]), &s(&a[2]))))
}
fn f_lookup(a: FuncArgs) -> Result<Value, String> {
    let key = s(&a[1]);
    match &a[0] {
        Value::Object(o) => o
            .get(&key)
            .cloned()
            .or_else(|| a.get(2).cloned())
            .ok_or_else(|| format!("lookup: no key `{key}`")),
        _ => Err("lookup: not a map".into()),
    }
}
fn f_element(a: FuncArgs) -> Result<Value, String> {
    match (&a[0], &a[1]) {
        (Value::Array(xs), Value::Number(i)) if !xs.is_empty() => {
            let i = i.as_f64().unwrap_or(0.0) as usize;
            Ok(xs[i % xs.len()].clone())
        }
        _ => Err("element: needs a non-empty list and an index".into()),
    }
}
fn f_length(a: FuncArgs) -> Result<Value, String> {
    Ok(Value::from(match &a[0] {
        Value::Array(x) => x.len() as u64,
        Value::Object(o) => o.len() as u64,
        v => s(v).chars().count() as u64,
    }))
}
fn f_concat(a: FuncArgs) -> Result<Value, String> {
    let mut out = Vec::new();
    for v in a.iter() {
        match v {
            Value::Array(xs) => out.extend(xs.iter().cloned()),
            other => return Err(format!("concat: not a list: {other}")),
        }
    }
    Ok(Value::Array(out))
}
fn f_merge(a: FuncArgs) -> Result<Value, String> {
    let mut out = hcl::Map::new();
    for v in a.iter() {
        match v {
            Value::Object(o) => out.extend(o.clone()),
            Value::Null => {}
            other => return Err(format!("merge: not a map: {other}")),
        }
    }
    Ok(Value::Object(out))
}
fn f_coalesce(a: FuncArgs) -> Result<Value, String> {
    a.iter()
        .find(|v| !matches!(v, Value::Null) && !matches!(v, Value::String(s) if s.is_empty()))
        .cloned()
        .ok_or_else(|| "coalesce: no non-null argument".into())
}
fn numbers(a: &FuncArgs) -> Vec<f64> {
    a.iter().filter_map(|v| v.as_f64()).collect()
}
fn f_max(a: FuncArgs) -> Result<Value, String> {
    numbers(&a)
        .into_iter()
        .reduce(f64::max)
        .and_then(hcl::Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| "max: no numbers".into())
}
fn f_min(a: FuncArgs) -> Result<Value, String> {
    numbers(&a)
        .into_iter()
        .reduce(f64::min)
        .and_then(hcl::Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| "min: no numbers".into())
}
fn f_cidrhost(a: FuncArgs) -> Result<Value, String> {
    let net = provisio_plan::net::Net::parse(&s(&a[0]))
        .ok_or_else(|| format!("cidrhost: `{}` is not an IPv4 prefix", s(&a[0])))?;
    let n = a[1].as_f64().ok_or("cidrhost: host number")? as i64;
    let ip = if n >= 0 {
        i64::from(net.network()) + n
    } else {
        i64::from(net.broadcast()) + 1 + n
    };
    if ip < i64::from(net.network()) || ip > i64::from(net.broadcast()) {
        return Err(format!("cidrhost: host {n} is outside {}", s(&a[0])));
    }
    Ok(Value::from(std::net::Ipv4Addr::from(ip as u32).to_string()))
}
fn f_format(a: FuncArgs) -> Result<Value, String> {
    let fmt = s(&a[0]);
    let mut args = a.iter().skip(1);
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // %s %d %v %%, with an optional zero-padded width (%02d)
        let mut width = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            width.push(*d);
            chars.next();
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(v @ ('s' | 'd' | 'v')) => {
                let arg = args.next().ok_or("format: too few arguments")?;
                let text = if v == 'd' {
                    format!(
                        "{}",
                        arg.as_f64().ok_or("format: %d needs a number")? as i64
                    )
                } else {
                    s(arg)
                };
                let w: usize = width.parse().unwrap_or(0);
                if width.starts_with('0') && text.len() < w {
                    out.push_str(&"0".repeat(w - text.len()));
                } else if text.len() < w {
                    out.push_str(&" ".repeat(w - text.len()));
                }
                out.push_str(&text);
            }
            other => {
                return Err(format!(
                    "format: verb %{} is not supported here",
                    other.unwrap_or(' ')
                ))
            }
        }
    }
    Ok(Value::from(out))
}

fn base_context() -> Context<'static> {
    let mut ctx = Context::new();
    let any = || ParamType::Any;
    let def = |n: usize, variadic: bool, f: fn(FuncArgs) -> Result<Value, String>| {
        let mut b = FuncDef::builder();
        for _ in 0..n {
            b = b.param(any());
        }
        if variadic {
            b = b.variadic_param(any());
        }
        b.build(f)
    };
    ctx.declare_func("join", def(1, true, f_join));
    ctx.declare_func("split", def(2, false, f_split));
    ctx.declare_func("lower", def(1, false, f_lower));
    ctx.declare_func("upper", def(1, false, f_upper));
    ctx.declare_func("tostring", def(1, false, f_tostring));
    ctx.declare_func("tonumber", def(1, false, f_tonumber));
    ctx.declare_func("trimspace", def(1, false, f_trimspace));
    ctx.declare_func("replace", def(3, false, f_replace));
    ctx.declare_func("lookup", def(2, true, f_lookup));
    ctx.declare_func("element", def(2, false, f_element));
    ctx.declare_func("length", def(1, false, f_length));
    ctx.declare_func("concat", def(0, true, f_concat));
    ctx.declare_func("merge", def(0, true, f_merge));
    ctx.declare_func("coalesce", def(0, true, f_coalesce));
    ctx.declare_func("max", def(0, true, f_max));
    ctx.declare_func("min", def(0, true, f_min));
    ctx.declare_func("cidrhost", def(2, false, f_cidrhost));
    ctx.declare_func("format", def(1, true, f_format));
    ctx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(files: &[(&str, &str)]) -> Module {
        let d = std::env::temp_dir().join(format!(
            "provisio-guest-manifest-{}-{}",
            std::process::id(),
            files.len() + files.iter().map(|f| f.1.len()).sum::<usize>()
        ));
        std::fs::create_dir_all(&d).expect("temp dir");
        for (n, t) in files {
            std::fs::write(d.join(n), t).expect("write");
        }
        let m = load(&d).expect("load");
        std::fs::remove_dir_all(&d).ok();
        m
    }

    fn known(n: &Node, k: &str) -> Value {
        match n.attr(k) {
            Some(Val::Known(v)) => v.clone(),
            other => panic!("{k}: {other:?}"),
        }
    }

    #[test]
    fn variables_tfvars_locals_count_and_functions() {
        let m = module(&[
            (
                "main.tf",
                r#"
variable "mem" { default = 2048 }
variable "prefix" { default = "web" }
variable "secret" {}
locals {
  name = "${local.base}-x"
  base = upper(var.prefix)
}
resource "proxmox_vm_qemu" "w" {
  count  = 2
  name   = format("%s-%02d", local.name, count.index + 1)
  memory = var.mem
  ipconfig0 = "ip=${cidrhost("10.0.0.0/24", 10 + count.index)}/24"
  cipassword = var.secret
  other = timestamp()
}
"#,
            ),
            ("terraform.tfvars", "mem = 4096\n"),
        ]);
        assert_eq!(m.instances.len(), 2);
        let b = &m.instances[1].body;
        assert_eq!(m.instances[1].address, "proxmox_vm_qemu.w[1]");
        assert_eq!(known(b, "name"), Value::from("WEB-x-02"));
        assert_eq!(known(b, "memory"), Value::from(4096));
        assert_eq!(known(b, "ipconfig0"), Value::from("ip=10.0.0.11/24"));
        assert!(matches!(b.attr("cipassword"), Some(Val::Unknown(_))));
        assert!(matches!(b.attr("other"), Some(Val::Unknown(_))));
    }

    #[test]
    fn optional_attributes_get_their_type_default() {
        let m = module(&[
            (
                "main.tf",
                r#"
variable "vms" {
  type = map(object({
    vm_id  = number
    cores  = optional(number, 2)
    disks  = optional(list(object({ size = number, datastore = optional(string, "local-lvm") })), [{ size = 20 }])
  }))
}
resource "proxmox_virtual_environment_vm" "vm" {
  for_each = var.vms
  vm_id    = each.value.vm_id
  cpu { cores = each.value.cores }
  dynamic "disk" {
    for_each = each.value.disks
    content {
      size         = disk.value.size
      datastore_id = disk.value.datastore
    }
  }
}
"#,
            ),
            (
                "terraform.tfvars",
                "vms = {\n  a = { vm_id = 1 }\n  b = { vm_id = 2, cores = 8, disks = [{ size = 50, datastore = \"ceph\" }] }\n}\n",
            ),
        ]);
        assert_eq!(m.instances.len(), 2);
        let a = &m.instances[0].body;
        let cpu = a.block("cpu").expect("cpu");
        assert_eq!(known(cpu, "cores"), Value::from(2));
        let disk = a.block("disk").expect("disk");
        assert_eq!(known(disk, "size"), Value::from(20));
        assert_eq!(known(disk, "datastore_id"), Value::from("local-lvm"));
        let b = &m.instances[1].body;
        assert_eq!(known(b.block("cpu").expect("cpu"), "cores"), Value::from(8));
        assert_eq!(
            known(b.block("disk").expect("disk"), "datastore_id"),
            Value::from("ceph")
        );
    }

    #[test]
    fn for_each_and_dynamic_blocks() {
        let m = module(&[(
            "main.tf",
            r#"
locals {
  vms = { a = { nics = [10, 20] }, b = { nics = [] } }
}
resource "proxmox_virtual_environment_vm" "v" {
  for_each = local.vms
  name = each.key
  dynamic "network_device" {
    for_each = each.value.nics
    content { vlan_id = network_device.value }
  }
}
resource "proxmox_virtual_environment_vm" "u" {
  for_each = toset(data.x.y)
}
"#,
        )]);
        assert_eq!(m.instances.len(), 2);
        let a = &m.instances[0];
        assert_eq!(a.address, "proxmox_virtual_environment_vm.v[\"a\"]");
        let nics: Vec<_> = a.body.blocks("network_device").collect();
        assert_eq!(nics.len(), 2);
        assert_eq!(known(nics[1], "vlan_id"), Value::from(20));
        assert_eq!(m.skipped.len(), 1);
    }
}
