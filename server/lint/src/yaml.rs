//! YAML with positions: yaml-rust2's event parser into a small tree where every node knows
//! its line and column. Multi-document streams give one tree per document.
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

#[derive(Debug, Clone, PartialEq)]
pub enum Y {
    /// A scalar and whether it was quoted (plain scalars may be numbers, bools or null).
    Scalar(String, bool),
    Seq(Vec<N>),
    Map(Vec<(N, N)>),
    Alias,
}

#[derive(Debug, Clone, PartialEq)]
pub struct N {
    pub y: Y,
    /// 1-based.
    pub line: u32,
    pub col: u32,
}

impl N {
    pub fn get(&self, key: &str) -> Option<&N> {
        match &self.y {
            Y::Map(m) => m.iter().find(|(k, _)| k.str() == Some(key)).map(|(_, v)| v),
            _ => None,
        }
    }
    /// The key node of `key` (for positions of a mapping entry).
    pub fn key(&self, key: &str) -> Option<&N> {
        match &self.y {
            Y::Map(m) => m.iter().find(|(k, _)| k.str() == Some(key)).map(|(k, _)| k),
            _ => None,
        }
    }
    pub fn path(&self, keys: &[&str]) -> Option<&N> {
        keys.iter().try_fold(self, |n, k| n.get(k))
    }
    pub fn str(&self) -> Option<&str> {
        match &self.y {
            Y::Scalar(s, _) => Some(s),
            _ => None,
        }
    }
    pub fn seq(&self) -> &[N] {
        match &self.y {
            Y::Seq(v) => v,
            _ => &[],
        }
    }
    pub fn entries(&self) -> &[(N, N)] {
        match &self.y {
            Y::Map(m) => m,
            _ => &[],
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(&self.y, Y::Scalar(s, false) if s.is_empty() || s == "~" || s == "null")
    }
    pub fn span(&self) -> (u32, u32, u32, u32) {
        let w = self
            .str()
            .map(|s| s.chars().count() as u32)
            .unwrap_or(1)
            .max(1);
        (self.line, self.col, self.line, self.col + w)
    }
}

enum Frame {
    Seq(N),
    Map(N, Option<N>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    docs: Vec<(N, u32)>,
    doc_line: u32,
}

impl Builder {
    fn add(&mut self, n: N) {
        match self.stack.last_mut() {
            Some(Frame::Seq(s)) => {
                if let Y::Seq(v) = &mut s.y {
                    v.push(n);
                }
            }
            Some(Frame::Map(m, key)) => match key.take() {
                None => *key = Some(n),
                Some(k) => {
                    if let Y::Map(v) = &mut m.y {
                        v.push((k, n));
                    }
                }
            },
            None => self.docs.push((n, self.doc_line)),
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let (line, col) = (mark.line() as u32, mark.col() as u32 + 1);
        match ev {
            Event::DocumentStart => self.doc_line = line,
            Event::Scalar(v, style, _, _) => self.add(N {
                y: Y::Scalar(v, style != TScalarStyle::Plain),
                line,
                col,
            }),
            Event::Alias(_) => self.add(N {
                y: Y::Alias,
                line,
                col,
            }),
            Event::SequenceStart(..) => self.stack.push(Frame::Seq(N {
                y: Y::Seq(vec![]),
                line,
                col,
            })),
            Event::MappingStart(..) => self.stack.push(Frame::Map(
                N {
                    y: Y::Map(vec![]),
                    line,
                    col,
                },
                None,
            )),
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(f) = self.stack.pop() {
                    let n = match f {
                        Frame::Seq(n) | Frame::Map(n, _) => n,
                    };
                    self.add(n);
                }
            }
            _ => {}
        }
    }
}

/// A syntax error: (line, column, message).
pub type SyntaxError = (u32, u32, String);

/// Parse a (multi-document) YAML text. Each document comes with the line where it starts.
/// Flow collections (`[...]`, `{...}`) continued on lines indented no deeper than their key are
/// accepted as go-yaml and PyYAML accept them.
pub fn parse(text: &str) -> Result<Vec<(N, u32)>, SyntaxError> {
    match parse_strict(text) {
        Ok(d) => Ok(d),
        Err(e) => match flow_indented(text) {
            Some(fixed) => parse_strict(&fixed).map_err(|_| e),
            None => Err(e),
        },
    }
}

/// The text with each continuation line of a multi-line flow collection indented one column
/// deeper than the block the collection belongs to; None when nothing changes. Lines keep their
/// numbers.
fn flow_indented(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut depth: i32 = 0;
    let mut need = 0usize;
    let mut changed = false;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if depth > 0 && indent < need && !line.trim().is_empty() {
            out.push_str(&" ".repeat(need - indent));
            changed = true;
        }
        out.push_str(line);
        if depth == 0 {
            // the block indentation of this line: past any `- ` sequence markers
            let rest = &line[indent..];
            let mut block = indent;
            let mut r = rest;
            while let Some(x) = r.strip_prefix("- ") {
                block += 2 + (x.len() - x.trim_start_matches(' ').len());
                r = x.trim_start_matches(' ');
            }
            need = block + 1;
        }
        let (mut sq, mut dq) = (false, false);
        let mut prev = ' ';
        for c in line.chars() {
            match c {
                '\'' if !dq => sq = !sq,
                '"' if !sq && prev != '\\' => dq = !dq,
                '#' if !sq && !dq && (prev == ' ' || prev == '\t') => break,
                '[' | '{' if !sq && !dq => depth += 1,
                ']' | '}' if !sq && !dq => depth = (depth - 1).max(0),
                _ => {}
            }
            prev = c;
        }
    }
    changed.then_some(out)
}

fn parse_strict(text: &str) -> Result<Vec<(N, u32)>, SyntaxError> {
    let mut b = Builder {
        doc_line: 1,
        ..Default::default()
    };
    let mut p = Parser::new_from_str(text);
    p.load(&mut b, true).map_err(|e| {
        (
            e.marker().line() as u32,
            e.marker().col() as u32 + 1,
            e.info().to_string(),
        )
    })?;
    Ok(b.docs)
}

/// A syntax error as a finding: line, column, message and fix. The parser reports where it
/// noticed; two common slips are noticed a line late and are moved to where they are: a tab in
/// the indentation (YAML forbids tabs there), and a key without its `:` (the parser reads the
/// line as a scalar running on into the next one).
pub fn syntax_finding(text: &str, err: SyntaxError) -> (u32, u32, String, String) {
    let (l, c, m) = err;
    let lines: Vec<&str> = text.lines().collect();
    if m.contains("found a tab") || m.contains("tab") && m.contains("indent") {
        let from = l.saturating_sub(1) as usize;
        if let Some((i, line)) = lines
            .iter()
            .enumerate()
            .skip(from)
            .take(3)
            .find(|(_, s)| s.trim_start_matches(' ').starts_with('\t'))
        {
            let col = line.find('\t').unwrap_or(0) as u32 + 1;
            return (
                i as u32 + 1,
                col,
                "YAML syntax error: a tab in the indentation (YAML indents with spaces only)"
                    .into(),
                "indent this line with spaces".into(),
            );
        }
    }
    if m.contains("expect ':'")
        || m.contains("could not find expected ':'")
        || m.contains("mapping values are not allowed")
    {
        // The key without its colon is the last non-blank, non-comment line before this one.
        let prev = (0..l.saturating_sub(1) as usize).rev().find(|&i| {
            let t = lines.get(i).map_or("", |s| s.trim());
            !t.is_empty() && !t.starts_with('#')
        });
        if let Some(i) = prev {
            let t = lines[i].trim().trim_start_matches("- ");
            let word = t.split_whitespace().next().unwrap_or("");
            if !t.contains(':')
                && t.split_whitespace().count() >= 2
                && !word.is_empty()
                && word
                    .chars()
                    .all(|x| x.is_ascii_alphanumeric() || matches!(x, '_' | '-' | '.' | '/'))
            {
                let col = lines[i].find(word).unwrap_or(0) as u32 + 1;
                return (
                    i as u32 + 1,
                    col,
                    format!("YAML syntax error: `{t}` has no `:` after its key, so it runs into the next line ({m})"),
                    format!("write `{word}: {}`", t[word.len()..].trim()),
                );
            }
        }
    }
    let indent = |i: usize| {
        lines
            .get(i)
            .map(|s| s.len() - s.trim_start_matches(' ').len())
    };
    let fix = if m.contains("quoted scalar") {
        "a quoted value is not closed: add its closing quote on this line".into()
    } else if m.contains("mapping values are not allowed") {
        let this = indent(l.saturating_sub(1) as usize);
        let above = (0..l.saturating_sub(1) as usize).rev().find(|&i| {
            let t = lines.get(i).map_or("", |s| s.trim());
            !t.is_empty() && !t.starts_with('#')
        });
        match (this, above.and_then(indent)) {
            (Some(a), Some(b)) if a != b => format!(
                "this line is indented {a} spaces and the line above {b}: line up the keys of one mapping, or quote a value that holds `: `"
            ),
            _ => "quote a value that holds `: `, or fix the indentation".into(),
        }
    } else {
        "fix the indentation or quoting here".into()
    };
    (l, c, format!("YAML syntax error: {m}"), fix)
}
