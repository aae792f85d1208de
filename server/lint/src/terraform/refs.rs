//! References to undeclared variables, locals, resources, data sources and modules.
use std::collections::BTreeSet;

use hcl_edit::expr::{Expression, ForExpr, Traversal, TraversalOperator};
use hcl_edit::structure::Block;
use hcl_edit::template::ForTemplateExpr;
use hcl_edit::visit::{self, Visit};
use hcl_edit::Span as _;

use super::{label, Decls, TfFile};
use crate::finding::Sink;
use crate::schema::did_you_mean;

/// Names that are not references to declarations.
const BUILTIN_ROOTS: &[&str] = &["each", "count", "self", "path", "terraform"];

struct Refs<'a, 'b, 'c> {
    f: &'a TfFile<'a>,
    sink: &'b mut Sink<'c>,
    decls: &'a Decls,
    /// Names bound by `for` expressions, `for` directives and dynamic block iterators.
    bound: BTreeSet<String>,
}

impl Refs<'_, '_, '_> {
    fn check(&mut self, t: &Traversal) {
        let Expression::Variable(root) = &t.expr else {
            return;
        };
        let root = root.as_str();
        if BUILTIN_ROOTS.contains(&root) || self.bound.contains(root) {
            return;
        }
        let attr = |i: usize| match t.operators.get(i).map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(a)) => Some(a.as_str().to_string()),
            _ => None,
        };
        let span = self.f.span(t.span());
        match root {
            "var" => {
                if let Some(n) = attr(0) {
                    if !self.decls.variables.contains_key(&n) {
                        let hint = did_you_mean(&n, self.decls.variables.keys());
                        let msg = match &hint {
                            Some(h) => format!("reference to undeclared input variable `{n}`; did you mean `{h}`?"),
                            None => format!("reference to undeclared input variable `{n}` (no variable \"{n}\" block)"),
                        };
                        self.sink.push(
                            "PV020",
                            span,
                            msg,
                            Some(format!(
                                "declare `variable \"{n}\" {{ type = ... }}` or fix the name"
                            )),
                        );
                    }
                }
            }
            "local" => {
                if let Some(n) = attr(0) {
                    if !self.decls.locals.contains_key(&n) {
                        self.sink.push(
                            "PV021",
                            span,
                            format!("reference to undeclared local value `{n}`"),
                            Some(format!(
                                "add `{n} = ...` to a `locals` block or fix the name"
                            )),
                        );
                    }
                }
            }
            "module" => {
                if let Some(n) = attr(0) {
                    if !self.decls.modules.contains(&n) {
                        self.sink.push(
                            "PV022",
                            span,
                            format!("reference to undeclared module `{n}`"),
                            Some("declare the module or fix the name".into()),
                        );
                    }
                }
            }
            "data" => {
                if let (Some(ty), Some(n)) = (attr(0), attr(1)) {
                    let key = format!("{ty}.{n}");
                    if !self.decls.data.contains(&key) {
                        self.sink.push(
                            "PV022",
                            span,
                            format!("reference to undeclared data source `data.{key}`"),
                            Some("declare the data source or fix the name".into()),
                        );
                    }
                }
            }
            ty => {
                // `TYPE.NAME...`: a managed resource.
                if let Some(n) = attr(0) {
                    let key = format!("{ty}.{n}");
                    if !self.decls.resources.contains(&key) {
                        let hint = did_you_mean(&key, self.decls.resources.iter());
                        let msg = match &hint {
                            Some(h) => format!(
                                "reference to undeclared resource `{key}`; did you mean `{h}`?"
                            ),
                            None => format!("reference to undeclared resource `{key}`"),
                        };
                        self.sink.push(
                            "PV022",
                            span,
                            msg,
                            Some("declare the resource or fix the reference".into()),
                        );
                    }
                }
            }
        }
    }
}

impl Visit for Refs<'_, '_, '_> {
    fn visit_traversal(&mut self, node: &Traversal) {
        self.check(node);
        visit::visit_traversal(self, node);
    }
    fn visit_for_expr(&mut self, node: &ForExpr) {
        if let Some(k) = &node.intro.key_var {
            self.bound.insert(k.to_string());
        }
        self.bound.insert(node.intro.value_var.to_string());
        visit::visit_for_expr(self, node);
    }
    fn visit_for_template_expr(&mut self, node: &ForTemplateExpr) {
        if let Some(k) = &node.key_var {
            self.bound.insert(k.to_string());
        }
        self.bound.insert(node.value_var.to_string());
        visit::visit_for_template_expr(self, node);
    }
    fn visit_block(&mut self, node: &Block) {
        if node.ident.as_str() == "dynamic" {
            let it = node
                .body
                .get_attribute("iterator")
                .and_then(|a| match &a.value {
                    Expression::Variable(v) => Some(v.to_string()),
                    _ => None,
                })
                .or_else(|| label(node, 0).map(str::to_string));
            if let Some(it) = it {
                self.bound.insert(it);
            }
        }
        visit::visit_block(self, node);
    }
}

pub fn check(f: &TfFile, sink: &mut Sink, decls: &Decls) {
    let mut r = Refs {
        f,
        sink,
        decls,
        bound: BTreeSet::new(),
    };
    r.visit_body(&f.body);
}
