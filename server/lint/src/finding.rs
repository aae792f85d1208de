//! Findings are data: a stable rule code, a severity, a span and a fix hint.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::rules::Code;
pub use crate::severity::Severity;

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// The file as given.
    pub file: String,
    /// 1-based line and column of the start of the span.
    pub line: u32,
    pub column: u32,
    /// 1-based line and column just past the end of the span.
    pub end_line: u32,
    pub end_column: u32,
    /// Stable rule code (`PV010`); `provisio lint --rules` lists them.
    pub code: String,
    /// Short rule name (`unknown-argument`).
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    /// How to fix it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The doc section behind the rule (`provisio://docs/...`, readable with `resources/read`
    /// or `search_docs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// Upstream URL of that doc section (set when the knowledge base resolved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_url: Option<String>,
}

/// Positions in one source text (byte offset → 1-based line/column, columns in characters).
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// (line, column), both 1-based.
    pub fn pos(&self, text: &str, offset: usize) -> (u32, u32) {
        let offset = offset.min(text.len());
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line];
        let col = text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - start);
        (line as u32 + 1, col as u32 + 1)
    }
}

/// Span of a finding: (line, column, end_line, end_column).
pub type Span = (u32, u32, u32, u32);

/// Collects the findings of one file.
pub struct Sink<'a> {
    pub file: &'a str,
    pub out: Vec<Finding>,
}

impl<'a> Sink<'a> {
    pub fn new(file: &'a str) -> Self {
        Sink {
            file,
            out: Vec::new(),
        }
    }

    /// A finding of rule `code` at its default severity.
    pub fn push(
        &mut self,
        code: Code,
        span: Span,
        message: impl Into<String>,
        fix: Option<String>,
    ) {
        self.push_as(code.rule().severity, code, span, message, fix);
    }

    /// Like `push`, for a case of the rule that is surer or less sure than its default
    /// severity (a spelled-out exception, not a rewrite after the fact).
    pub fn push_as(
        &mut self,
        severity: Severity,
        code: Code,
        span: Span,
        message: impl Into<String>,
        fix: Option<String>,
    ) {
        let r = code.rule();
        self.out.push(Finding {
            file: self.file.to_string(),
            line: span.0,
            column: span.1,
            end_line: span.2,
            end_column: span.3,
            code: r.code.to_string(),
            rule: r.name.to_string(),
            severity,
            message: message.into(),
            fix,
            doc: r.doc.map(str::to_string),
            doc_url: None,
        });
    }

    /// Like `push`, with the doc of a specific provider page rather than the rule's default.
    pub fn push_doc(
        &mut self,
        code: Code,
        span: Span,
        message: impl Into<String>,
        fix: Option<String>,
        doc: Option<String>,
    ) {
        self.push(code, span, message, fix);
        if let (Some(d), Some(last)) = (doc, self.out.last_mut()) {
            last.doc = Some(d);
        }
    }
}
