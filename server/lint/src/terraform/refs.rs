//! References to undeclared variables, locals, resources, data sources, ephemeral resources,
//! modules, provider configurations and (OpenTofu) state-encryption key providers and methods.
//!
//! Addresses that by design name nothing declared are not references: `moved.from`,
//! `removed.from`, `lifecycle.ignore_changes` and a module's `configuration_aliases`. A `check` block's scoped data sources are
//! visible inside that block only.
//!
//! Rules reported here: PV020 undefined-variable, PV021 undefined-local, PV022 undefined-resource.
use std::collections::BTreeSet;

use hcl_edit::expr::{Expression, ForExpr, Traversal, TraversalOperator};
use hcl_edit::structure::{Attribute, Block};
use hcl_edit::template::ForTemplateExpr;
use hcl_edit::visit::{self, Visit};
use hcl_edit::Span as _;

use super::{label, provider_ref, Decls, TfFile};
use crate::finding::Sink;
use crate::rules::Code;
use crate::schema::did_you_mean;

/// Names that are not references to declarations.
const BUILTIN_ROOTS: &[&str] = &["each", "count", "self", "path", "terraform"];

struct Refs<'a, 'b, 'c> {
    f: &'a TfFile<'a>,
    sink: &'b mut Sink<'c>,
    decls: &'a Decls,
    /// Names bound by `for` expressions, `for` directives and dynamic block iterators.
    bound: BTreeSet<String>,
    /// Identifiers of the enclosing blocks, outermost first.
    blocks: Vec<String>,
    /// Data sources declared in the enclosing `check` block, as `TYPE.NAME`.
    scoped_data: BTreeSet<String>,
    /// Inside an `import` block's `to`.
    import_to: bool,
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
                            Code::PV020,
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
                            Code::PV021,
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
                            Code::PV022,
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
                    if !self.decls.data.contains(&key) && !self.scoped_data.contains(&key) {
                        self.sink.push(
                            Code::PV022,
                            span,
                            format!("reference to undeclared data source `data.{key}`"),
                            Some("declare the data source or fix the name".into()),
                        );
                    }
                }
            }
            "ephemeral" => {
                if let (Some(ty), Some(n)) = (attr(0), attr(1)) {
                    let key = format!("{ty}.{n}");
                    if !self.decls.ephemeral.contains(&key) {
                        self.sink.push(
                            Code::PV022,
                            span,
                            format!("reference to undeclared ephemeral resource `ephemeral.{key}`"),
                            Some("declare the ephemeral resource or fix the name".into()),
                        );
                    }
                }
            }
            kind @ ("key_provider" | "method")
                if self.blocks.first().map(String::as_str) == Some("terraform") =>
            {
                if let (Some(ty), Some(n)) = (attr(0), attr(1)) {
                    if !self.decls.encryption.contains(&format!("{kind} {ty}.{n}")) {
                        self.sink.push(
                            Code::PV022,
                            span,
                            format!("reference to undeclared {kind} `{kind}.{ty}.{n}` in the state encryption"),
                            Some(format!("declare `{kind} \"{ty}\" \"{n}\" {{ ... }}` inside `terraform {{ encryption {{ }} }}` or fix the name")),
                        );
                    }
                }
            }
            ty => {
                // `TYPE.NAME...` or `resource.TYPE.NAME...`: a managed resource.
                let prefixed = ty == "resource";
                let (ty, n) = if prefixed {
                    match attr(0) {
                        Some(t) => (t, attr(1)),
                        None => return,
                    }
                } else {
                    (ty.to_string(), attr(0))
                };
                let ty = ty.as_str();
                if let Some(n) = n {
                    let key = format!("{ty}.{n}");
                    if !self.decls.resources.contains(&key) {
                        let hint = did_you_mean(&key, self.decls.resources.iter());
                        let what = if self.import_to {
                            "import target"
                        } else {
                            "reference to undeclared resource"
                        };
                        let tail = if self.import_to {
                            " has no resource block in this module"
                        } else {
                            ""
                        };
                        let msg = match &hint {
                            Some(h) => format!("{what} `{key}`{tail}; did you mean `{h}`?"),
                            None => format!("{what} `{key}`{tail}"),
                        };
                        let fix = if self.import_to {
                            "write the `resource` block for it, or let tofu write one: `tofu plan -generate-config-out=generated.tf`"
                        } else {
                            "declare the resource or fix the reference"
                        };
                        self.sink.push(Code::PV022, span, msg, Some(fix.into()));
                    } else if !self.import_to && !prefixed {
                        self.check_attribute(ty, &key, t);
                    }
                }
            }
        }
    }

    /// `TYPE.NAME[...].ATTR` of a resource type provisio has the schema of: `ATTR` must be one
    /// of its arguments, blocks or read-only attributes (or `id`); Terraform refuses others
    /// ("Unsupported attribute").
    fn check_attribute(&mut self, ty: &str, key: &str, t: &Traversal) {
        let Some((_, res)) = crate::schema::provider_of_resource(ty) else {
            return;
        };
        let Some(op) = t.operators.iter().skip(1).find(|o| {
            !matches!(
                o.value(),
                TraversalOperator::Index(_)
                    | TraversalOperator::LegacyIndex(_)
                    | TraversalOperator::AttrSplat(_)
                    | TraversalOperator::FullSplat(_)
            )
        }) else {
            return;
        };
        let TraversalOperator::GetAttr(a) = op.value() else {
            return;
        };
        let a = a.as_str();
        if a == "id" || res.block.attrs.contains_key(a) || res.block.blocks.contains_key(a) {
            return;
        }
        let names: Vec<String> = res
            .block
            .attrs
            .keys()
            .chain(res.block.blocks.keys())
            .cloned()
            .chain(["id".to_string()])
            .collect();
        let hint = did_you_mean(a, names.iter());
        let span = self.f.span(op.span());
        self.sink.push(
            Code::PV022,
            span,
            match &hint {
                Some(h) => format!("`{key}` has no attribute `{a}` (a {ty} has none by that name); did you mean `{h}`?"),
                None => format!("`{key}` has no attribute `{a}`: {ty} has no argument, block or read-only attribute by that name"),
            },
            Some(match hint {
                Some(h) => format!("write `{key}.{h}`"),
                None => format!("use one of {ty}'s attributes (see its docs)"),
            }),
        );
    }
}

impl Refs<'_, '_, '_> {
    /// `provider = NAME.ALIAS` (or a module's `providers = { child = NAME.ALIAS }`): the
    /// configuration must exist.
    fn check_provider(&mut self, e: &Expression) {
        let Some(r) = provider_ref(e) else {
            return;
        };
        if self.decls.provider_aliases.contains(&r) {
            return;
        }
        let (name, alias) = r.split_once('.').unwrap_or((&r, ""));
        let hint = did_you_mean(&r, self.decls.provider_aliases.iter());
        let msg = match &hint {
            Some(h) => format!("no provider configuration `{r}`; did you mean `{h}`?"),
            None => format!("no provider configuration `{r}` (no `provider \"{name}\"` block with `alias = \"{alias}\"`)"),
        };
        let span = match e {
            Expression::Traversal(t) => self.f.span(t.span()),
            _ => self.f.span(e.span()),
        };
        self.sink.push(
            Code::PV022,
            span,
            msg,
            Some(format!(
                "add `provider \"{name}\" {{ alias = \"{alias}\" ... }}` (or `configuration_aliases` in a child module) or fix the name"
            )),
        );
    }
}

impl Visit for Refs<'_, '_, '_> {
    fn visit_attr(&mut self, node: &Attribute) {
        let key = node.key.as_str();
        let parent = self.blocks.last().map(String::as_str).unwrap_or("");
        match (parent, key) {
            // Addresses of what is gone, and attribute paths: not references.
            ("moved" | "removed", "from")
            | ("lifecycle", "ignore_changes")
            | ("required_providers", _) => {}
            ("resource" | "data" | "ephemeral", "provider") => self.check_provider(&node.value),
            ("module", "providers") => {
                if let Expression::Object(o) = &node.value {
                    for (_, v) in o.iter() {
                        self.check_provider(v.expr());
                    }
                }
            }
            ("import", "to") => {
                self.import_to = true;
                visit::visit_attr(self, node);
                self.import_to = false;
            }
            _ => visit::visit_attr(self, node),
        }
    }

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
        let check = node.ident.as_str() == "check";
        if check {
            for d in node.body.get_blocks("data") {
                if let (Some(t), Some(n)) = (label(d, 0), label(d, 1)) {
                    self.scoped_data.insert(format!("{t}.{n}"));
                }
            }
        }
        self.blocks.push(node.ident.to_string());
        visit::visit_block(self, node);
        self.blocks.pop();
        if check {
            self.scoped_data.clear();
        }
    }
}

pub fn check(f: &TfFile, sink: &mut Sink, decls: &Decls) {
    let mut r = Refs {
        f,
        sink,
        decls,
        bound: BTreeSet::new(),
        blocks: Vec::new(),
        scoped_data: BTreeSet::new(),
        import_to: false,
    };
    r.visit_body(&f.body);
}
