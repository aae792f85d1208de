//! The PVE config a resource instance implies, built field by field by the provider readers.
use std::collections::{BTreeMap, BTreeSet};

use hcl::Value;

use crate::fields::{self, Fields, Kind};
use crate::manifest::{Node, Val};

/// What one resource instance says about its guest.
#[derive(Debug, Clone)]
pub struct Implied {
    pub kind: Kind,
    pub fields: Fields,
    /// Fields whose value is not known here, with the reason (not compared).
    pub unknown: BTreeMap<String, String>,
    /// Fields that come from the provider's default, not from the manifest.
    pub defaulted: BTreeSet<String>,
}

/// A value as field text: strings as they are, numbers without trailing zeros, booleans `1`/`0`.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => n.as_f64().map(fields::number),
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.into()),
        _ => None,
    }
}

/// A list of strings (a single string counts as a one-item list).
pub fn strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Array(xs) => xs.iter().map(text).collect(),
        Value::String(s) => Some(vec![s.clone()]),
        _ => None,
    }
}

impl Implied {
    pub fn new(kind: Kind) -> Self {
        Implied {
            kind,
            fields: Fields::new(),
            unknown: BTreeMap::new(),
            defaulted: BTreeSet::new(),
        }
    }

    /// Set `field` from `node.attr`, converted by `conv`; an unknown value or one `conv`
    /// refuses is recorded as unknown. Absent: nothing.
    pub fn from(
        &mut self,
        field: &str,
        node: &Node,
        attr: &str,
        conv: impl Fn(&Value) -> Option<String>,
    ) {
        match node.attr(attr) {
            None | Some(Val::Known(Value::Null)) => {}
            Some(Val::Known(v)) => match conv(v) {
                Some(t) => {
                    self.fields.insert(field.to_string(), t);
                }
                None => {
                    self.unknown
                        .insert(field.to_string(), format!("`{attr}` = {v} is not read"));
                }
            },
            Some(Val::Unknown(why)) => {
                self.unknown.insert(field.to_string(), why.clone());
            }
        }
    }

    /// A text attribute.
    pub fn text(&mut self, field: &str, node: &Node, attr: &str) {
        self.from(field, node, attr, text)
    }

    /// A boolean attribute as `1`/`0`.
    pub fn flag(&mut self, field: &str, node: &Node, attr: &str) {
        self.from(field, node, attr, |v| {
            text(v).and_then(|t| fields::flag(&t).map(str::to_string))
        })
    }

    /// The provider's default for a field the manifest leaves out.
    pub fn default(&mut self, field: &str, value: &str) {
        if !self.fields.contains_key(field) && !self.unknown.contains_key(field) {
            self.fields.insert(field.to_string(), value.to_string());
            self.defaulted.insert(field.to_string());
        }
    }

    pub fn set(&mut self, field: &str, value: impl Into<String>) {
        self.fields.insert(field.to_string(), value.into());
    }

    /// Known text of an attribute (for keys and slots that decide field names).
    pub fn key(node: &Node, attr: &str) -> Option<String> {
        match node.attr(attr) {
            Some(Val::Known(v)) => text(v),
            _ => None,
        }
    }

    /// A block whose every attribute is unknown (a `dynamic` block with unknown `for_each`).
    pub fn opaque(node: &Node) -> bool {
        node.attrs.contains_key("*")
    }
}
