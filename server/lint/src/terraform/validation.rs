//! PV024: a variable's value (its literal `default`, or the value an auto-loaded variable file
//! gives it) that fails one of its `validation` conditions, so `plan` stops with "Invalid value
//! for variable". The conditions are evaluated only when every part of them is understood:
//! literals, `var.NAME`, `!`, `-`, arithmetic, comparisons, `&&`, `||`, the conditional
//! operator and the functions `contains`, `length`, `lower`, `upper`, `startswith`,
//! `endswith`, `min`, `max`, `abs`, `regexall`, and `can(...)` around `regex(...)`,
//! `cidrhost(...)`, `cidrnetmask(...)` or anything else it can evaluate. Terraform's regular
//! expressions are RE2; a pattern the `regex` crate (also RE2 syntax) does not compile leaves
//! the condition unjudged, as do other variables and resources.
//!
//! Rules reported here: PV024 variable-validation-fails.
use hcl_edit::expr::{BinaryOperator, Expression, TraversalOperator, UnaryOperator};
use hcl_edit::structure::Block;
use hcl_edit::Span as _;

use super::{Decls, Lit, TfFile};
use crate::finding::Sink;
use crate::rules::Code;

/// A value the evaluator understands.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Num(f64),
    Bool(bool),
    Str(String),
    List(Vec<V>),
}

impl V {
    fn show(&self) -> String {
        match self {
            V::Num(n) => format!("{n}"),
            V::Bool(b) => format!("{b}"),
            V::Str(s) => format!("\"{s}\""),
            V::List(xs) => format!(
                "[{}]",
                xs.iter().map(V::show).collect::<Vec<_>>().join(", ")
            ),
        }
    }

    fn num(&self) -> Option<f64> {
        match self {
            V::Num(n) => Some(*n),
            V::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// Evaluate `e`, with `var.NAME` bound to `val`; None for anything not understood.
fn eval(e: &Expression, name: &str, val: Option<&V>) -> Option<V> {
    match e {
        // Scalars as the rest of the linter reads them.
        Expression::Number(_)
        | Expression::Bool(_)
        | Expression::String(_)
        | Expression::StringTemplate(_) => match super::literal(e) {
            Lit::Num(n) => Some(V::Num(n)),
            Lit::Bool(b) => Some(V::Bool(b)),
            Lit::Str(s) => Some(V::Str(s)),
            _ => None,
        },
        Expression::Array(a) => a
            .iter()
            .map(|x| eval(x, name, val))
            .collect::<Option<Vec<_>>>()
            .map(V::List),
        Expression::Parenthesis(p) => eval(p.inner(), name, val),
        Expression::Traversal(t) => {
            let Expression::Variable(root) = &t.expr else {
                return None;
            };
            match (root.as_str(), t.operators.first().map(|o| o.value())) {
                ("var", Some(TraversalOperator::GetAttr(n)))
                    if n.as_str() == name && t.operators.len() == 1 =>
                {
                    val.cloned()
                }
                _ => None,
            }
        }
        Expression::UnaryOp(u) => {
            let x = eval(&u.expr, name, val)?;
            match (u.operator.value(), x) {
                (UnaryOperator::Not, V::Bool(b)) => Some(V::Bool(!b)),
                (UnaryOperator::Neg, x) => x.num().map(|n| V::Num(-n)),
                _ => None,
            }
        }
        Expression::BinaryOp(b) => {
            let l = eval(&b.lhs_expr, name, val)?;
            let r = eval(&b.rhs_expr, name, val)?;
            use BinaryOperator::*;
            match b.operator.value() {
                And | Or => match (l, r) {
                    (V::Bool(x), V::Bool(y)) => Some(V::Bool(if *b.operator.value() == And {
                        x && y
                    } else {
                        x || y
                    })),
                    _ => None,
                },
                Eq => Some(V::Bool(l == r)),
                NotEq => Some(V::Bool(l != r)),
                op => {
                    let (x, y) = (l.num()?, r.num()?);
                    Some(match op {
                        Less => V::Bool(x < y),
                        LessEq => V::Bool(x <= y),
                        Greater => V::Bool(x > y),
                        GreaterEq => V::Bool(x >= y),
                        Plus => V::Num(x + y),
                        Minus => V::Num(x - y),
                        Mul => V::Num(x * y),
                        Div if y != 0.0 => V::Num(x / y),
                        Mod if y != 0.0 => V::Num(x % y),
                        _ => return None,
                    })
                }
            }
        }
        Expression::Conditional(c) => match eval(&c.cond_expr, name, val)? {
            V::Bool(true) => eval(&c.true_expr, name, val),
            V::Bool(false) => eval(&c.false_expr, name, val),
            _ => None,
        },
        Expression::FuncCall(f) => {
            if !f.name.namespace.is_empty() {
                return None;
            }
            if f.name.name.as_str() == "can" {
                let [inner] = f.args.iter().collect::<Vec<_>>()[..] else {
                    return None;
                };
                return can(inner, name, val).map(V::Bool);
            }
            let args = f
                .args
                .iter()
                .map(|a| eval(a, name, val))
                .collect::<Option<Vec<_>>>()?;
            match (f.name.name.as_str(), args.as_slice()) {
                ("contains", [V::List(xs), x]) => Some(V::Bool(xs.contains(x))),
                ("length", [V::Str(s)]) => Some(V::Num(s.chars().count() as f64)),
                ("length", [V::List(xs)]) => Some(V::Num(xs.len() as f64)),
                ("lower", [V::Str(s)]) => Some(V::Str(s.to_lowercase())),
                ("upper", [V::Str(s)]) => Some(V::Str(s.to_uppercase())),
                ("startswith", [V::Str(s), V::Str(p)]) => Some(V::Bool(s.starts_with(p.as_str()))),
                ("endswith", [V::Str(s), V::Str(p)]) => Some(V::Bool(s.ends_with(p.as_str()))),
                ("abs", [x]) => x.num().map(|n| V::Num(n.abs())),
                ("regexall", [V::Str(p), V::Str(s)]) => {
                    let re = regex::Regex::new(p).ok()?;
                    // Without capture groups each match is its text; with them, a list of
                    // the groups (not modelled).
                    if re.captures_len() > 1 {
                        return None;
                    }
                    Some(V::List(
                        re.find_iter(s).map(|m| V::Str(m.as_str().into())).collect(),
                    ))
                }
                ("min" | "max", xs) if !xs.is_empty() => {
                    let ns = xs.iter().map(V::num).collect::<Option<Vec<f64>>>()?;
                    let pick = if f.name.name.as_str() == "min" {
                        ns.into_iter().fold(f64::INFINITY, f64::min)
                    } else {
                        ns.into_iter().fold(f64::NEG_INFINITY, f64::max)
                    };
                    Some(V::Num(pick))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// `can(e)`: whether `e` evaluates without an error; None when that is not known.
fn can(e: &Expression, name: &str, val: Option<&V>) -> Option<bool> {
    if let Expression::FuncCall(f) = e {
        if f.name.namespace.is_empty() {
            let args = f
                .args
                .iter()
                .map(|a| eval(a, name, val))
                .collect::<Option<Vec<_>>>();
            match (f.name.name.as_str(), args.as_deref()) {
                // regex() fails when the pattern does not match.
                ("regex", Some([V::Str(p), V::Str(s)])) => {
                    return regex::Regex::new(p).ok().map(|re| re.is_match(s));
                }
                ("cidrhost", Some([V::Str(prefix), n])) => {
                    let n = n.num()?;
                    // A negative host number counts back from the end of the range.
                    return Some(cidr(prefix).is_some_and(|bits| {
                        let size = 2f64.powi(bits.min(1000) as i32);
                        n.fract() == 0.0 && if n >= 0.0 { n < size } else { -n <= size }
                    }));
                }
                ("cidrnetmask", Some([V::Str(prefix)])) => {
                    return Some(prefix.contains('.') && cidr(prefix).is_some());
                }
                _ => {}
            }
        }
    }
    eval(e, name, val).map(|_| true)
}

/// The host bits of an IPv4 or IPv6 prefix (`10.0.0.0/24` → 8), None when it is not one.
fn cidr(prefix: &str) -> Option<u32> {
    let (addr, len) = prefix.split_once('/')?;
    let len: u32 = len.parse().ok()?;
    let ip: std::net::IpAddr = addr.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (len <= max).then_some(max - len)
}

/// PV024 for one `variable` block: its value from the auto-loaded variable files, else its
/// literal default, against each `validation` condition.
pub fn check(f: &TfFile, sink: &mut Sink, b: &Block, name: &str, decls: &Decls) {
    let (value, from) = match decls.tfvars.get(name) {
        Some(v) => (v, "the value the variable files give it"),
        None => match b.body.get_attribute("default") {
            Some(d) => (&d.value, "its default"),
            None => return,
        },
    };
    let Some(val) = eval(value, "", None) else {
        return;
    };
    for v in b.body.get_blocks("validation") {
        let Some(cond) = v.body.get_attribute("condition") else {
            continue;
        };
        if eval(&cond.value, name, Some(&val)) != Some(V::Bool(false)) {
            continue;
        }
        let why = v
            .body
            .get_attribute("error_message")
            .and_then(|m| match eval(&m.value, "", None) {
                Some(V::Str(s)) => Some(format!(": \"{s}\"")),
                _ => None,
            })
            .unwrap_or_default();
        let text = cond
            .value
            .span()
            .and_then(|r| f.text.get(r))
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
        sink.push(
            Code::PV024,
            f.attr_span(cond),
            format!("variable `{name}`: {from}, {}, fails this validation (`{text}`){why}; `plan` stops with \"Invalid value for variable\"", val.show()),
            Some(format!("give `{name}` a value the condition accepts, or correct the condition")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cond: &str, val: &str) -> Option<V> {
        let c = hcl_edit::parser::parse_expr(cond).expect("cond");
        let v = eval(&hcl_edit::parser::parse_expr(val).expect("val"), "", None);
        eval(&c, "x", v.as_ref())
    }

    #[test]
    fn conditions_evaluate_or_stay_unknown() {
        assert_eq!(
            run("var.x >= 2048 && var.x <= 16384", "1024"),
            Some(V::Bool(false))
        );
        assert_eq!(
            run("var.x >= 2048 && var.x <= 16384", "\"4096\""),
            Some(V::Bool(true))
        );
        assert_eq!(
            run("contains([\"dev\", \"prod\"], var.x)", "\"stage\""),
            Some(V::Bool(false))
        );
        assert_eq!(run("length(var.x) > 0", "[]"), Some(V::Bool(false)));
        assert_eq!(
            run("var.x % 2 == 0 ? true : false", "3"),
            Some(V::Bool(false))
        );
        assert_eq!(
            run("!startswith(var.x, \"vm-\")", "\"vm-1\""),
            Some(V::Bool(false))
        );
        assert_eq!(run("max(var.x, 1) == 5", "5"), Some(V::Bool(true)));
        assert_eq!(
            run("can(regex(\"^[a-z]+$\", var.x))", "\"A\""),
            Some(V::Bool(false))
        );
        assert_eq!(
            run("can(regex(\"^[a-z]+$\", var.x))", "\"abc\""),
            Some(V::Bool(true))
        );
        assert_eq!(
            run("length(regexall(\"[0-9]\", var.x)) > 0", "\"web\""),
            Some(V::Bool(false))
        );
        assert_eq!(
            run("can(cidrhost(var.x, 0))", "\"10.0.0.0/24\""),
            Some(V::Bool(true))
        );
        assert_eq!(
            run("can(cidrhost(var.x, 0))", "\"10.0.0.300/24\""),
            Some(V::Bool(false))
        );
        assert_eq!(
            run("can(cidrhost(var.x, 300))", "\"10.0.0.0/24\""),
            Some(V::Bool(false))
        );
        assert_eq!(
            run("can(cidrnetmask(var.x))", "\"fd00::/64\""),
            Some(V::Bool(false))
        );
        assert_eq!(
            run("can(cidrhost(var.x, -1))", "\"10.0.0.0/24\""),
            Some(V::Bool(true))
        );
        assert_eq!(run("can(tonumber(var.x))", "\"a\""), None);
        // Not understood: no verdict.
        assert_eq!(run("can(regex(\"(?<=a)b\", var.x))", "\"ab\""), None);
        assert_eq!(run("var.x > var.y", "1"), None);
        assert_eq!(run("var.x > 1", "local.y"), None);
    }
}
