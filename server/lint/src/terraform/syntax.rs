//! Where a syntax error really is. The HCL parser reports where it gave up, which for an
//! unbalanced brace or an unterminated string is often far below the mistake: a missing `}`
//! shows at the end of the file, a missing `"` where the next string starts. When the parser
//! has failed, this scan looks for the earlier cause, the way a reader does: a quoted string
//! running past its line (HCL forbids that outside `${ }`), and braces whose indentation
//! disagrees with the block they close (files are written `terraform fmt` style).

/// An earlier cause of a syntax error: 1-based line and column, message, fix.
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    pub line: u32,
    pub col: u32,
    pub message: String,
    pub fix: String,
}

struct Open {
    line: u32,
    col: u32,
    indent: usize,
    /// The `{` ends its line: a block (or a multi-line object) whose lines are indented.
    multiline: bool,
    text: String,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

/// The first cause found before line `limit` (the parser's line), if any.
pub fn locate(text: &str, limit: u32) -> Option<Cause> {
    let mut stack: Vec<Open> = Vec::new();
    // Strings and the `${ }` / `%{ }` sequences inside them, innermost last.
    let mut ctx: Vec<Ctx> = Vec::new();
    let mut block_comment = false;
    let mut heredoc: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let ln = i as u32 + 1;
        if ln > limit {
            break;
        }
        if let Some(tag) = &heredoc {
            if raw.trim() == tag {
                heredoc = None;
            }
            continue;
        }
        let trimmed = raw.trim_start_matches([' ', '\t']);
        let indent = indent_of(raw);
        // A line that starts at or left of an open block's indentation must close it first.
        if ctx.is_empty() && !block_comment && !trimmed.is_empty() {
            if let Some(top) = stack.last() {
                let comment = trimmed.starts_with('#') || trimmed.starts_with("//");
                if top.multiline && indent <= top.indent && !trimmed.starts_with('}') && !comment {
                    return Some(Cause {
                        line: top.line,
                        col: top.col,
                        message: format!(
                            "HCL syntax error: the block opened here (`{}`) is not closed: line {ln} starts at its indentation before any `}}`",
                            top.text
                        ),
                        fix: format!("add the missing `}}` before line {ln}"),
                    });
                }
            }
        }
        let chars: Vec<char> = raw.chars().collect();
        let mut j = 0;
        while j < chars.len() {
            let c = chars[j];
            let next = chars.get(j + 1).copied();
            let col = j as u32 + 1;
            if block_comment {
                if c == '*' && next == Some('/') {
                    block_comment = false;
                    j += 1;
                }
                j += 1;
                continue;
            }
            if let Some(Ctx::Str { .. }) = ctx.last() {
                match c {
                    '\\' => j += 1,
                    // `$${` and `%%{` are a literal `${` and `%{`.
                    '$' | '%' if next == Some(c) && chars.get(j + 2) == Some(&'{') => j += 2,
                    '"' => {
                        ctx.pop();
                    }
                    '$' | '%' if next == Some('{') => {
                        ctx.push(Ctx::Interp { depth: stack.len() });
                        j += 1;
                    }
                    _ => {}
                }
                j += 1;
                continue;
            }
            match c {
                '#' => break,
                '/' if next == Some('/') => break,
                '/' if next == Some('*') => {
                    block_comment = true;
                    j += 1;
                }
                '"' => ctx.push(Ctx::Str { line: ln, col }),
                '<' if next == Some('<') && ctx.is_empty() => {
                    let rest: String = chars[j + 2..].iter().collect();
                    let tag = rest.trim_start_matches('-').trim();
                    if !tag.is_empty() && tag.chars().all(|x| x.is_alphanumeric() || x == '_') {
                        heredoc = Some(tag.to_string());
                        break;
                    }
                }
                '{' => {
                    let rest: String = chars[j + 1..].iter().collect();
                    let multiline = ctx.is_empty()
                        && rest.split('#').next().is_some_and(|r| r.trim().is_empty());
                    stack.push(Open {
                        line: ln,
                        col,
                        indent,
                        multiline,
                        text: raw.trim().to_string(),
                    });
                }
                '}' => {
                    if let Some(Ctx::Interp { depth }) = ctx.last() {
                        if *depth == stack.len() {
                            ctx.pop(); // back inside the string
                            j += 1;
                            continue;
                        }
                    }
                    let Some(open) = stack.pop() else {
                        return Some(Cause {
                            line: ln,
                            col,
                            message: "HCL syntax error: this `}` closes no block".into(),
                            fix: "remove it".into(),
                        });
                    };
                    let first_on_line = j == indent;
                    if open.multiline && first_on_line && indent != open.indent {
                        let how = if indent < open.indent { "less" } else { "more" };
                        return Some(Cause {
                            line: ln,
                            col,
                            message: format!(
                                "HCL syntax error: this `}}` closes the block of line {} (`{}`) but is indented {how} than it: an extra `}}` here, or one missing above",
                                open.line, open.text
                            ),
                            fix: "remove the extra `}`, or close the block it belongs to".into(),
                        });
                    }
                }
                _ => {}
            }
            j += 1;
        }
        if let Some(Ctx::Str { line, col }) = ctx.last() {
            return Some(Cause {
                line: *line,
                col: *col,
                message: "HCL syntax error: this quoted string is not closed on its line; quoted strings may not be split over lines".into(),
                fix: "add the closing `\"`; for text over several lines use a heredoc (`<<-EOT ... EOT`)".into(),
            });
        }
    }
    None
}

enum Ctx {
    Str { line: u32, col: u32 },
    Interp { depth: usize },
}

#[cfg(test)]
mod tests {
    use super::locate;

    const GOOD: &str = "resource \"x\" \"y\" {\n  name = \"a\"\n  cpu {\n    cores = 2\n  }\n  tags = [\"a\", \"b\"]\n  description = <<-EOT\n    {  \"not\n    code\n  EOT\n  labels = { a = \"${var.x}\" }\n  note = \"$${literal} %%{x} ${join(\", \", [\"a\"])}\"\n}\n";

    #[test]
    fn a_well_formed_file_has_no_cause() {
        assert_eq!(locate(GOOD, 100), None);
    }

    #[test]
    fn unclosed_string_is_found_on_its_line() {
        let t = GOOD.replace("name = \"a\"", "name = \"a");
        let c = locate(&t, 100).expect("cause");
        assert_eq!((c.line, c.col), (2, 10), "{c:?}");
    }

    #[test]
    fn missing_brace_is_found_at_its_block() {
        let t = GOOD.replace("    cores = 2\n  }\n", "    cores = 2\n");
        let c = locate(&t, 100).expect("cause");
        assert_eq!(c.line, 3, "{c:?}");
        assert!(c.message.contains("`cpu {`"), "{c:?}");
    }

    #[test]
    fn extra_brace_is_found_where_it_is() {
        let t = GOOD.replace("  }\n  tags", "  }\n  }\n  tags");
        let c = locate(&t, 100).expect("cause");
        assert_eq!(c.line, 6, "{c:?}");
    }

    #[test]
    fn nothing_past_the_parsers_line() {
        let t = GOOD.replace("  }\n  tags", "  }\n  }\n  tags");
        assert_eq!(locate(&t, 5), None);
    }
}
