//! AsciiDoc (the Proxmox VE docs): section titles in both styles (`== Title` and a title line
//! underlined with `=-~^+`), attributes (`:name: value`, substituted in the search text),
//! conditionals (`ifdef::x[]` content is dropped, `ifndef::x[]` kept: no attribute is set),
//! delimited blocks (`----` / `....` listings as code, `|===` tables as option tables, others
//! as prose), comments, anchors and includes skipped, and definition-list entries
//! (`` `option`: ... :: ``) as option blocks labelled with the option name.
use super::{Block, ChunkKind, ParsedDoc};

const UNDERLINES: [char; 5] = ['=', '-', '~', '^', '+'];

fn underline_level(line: &str) -> Option<usize> {
    let mut chars = line.chars();
    let c = chars.next()?;
    let lv = UNDERLINES.iter().position(|u| *u == c)?;
    if line.len() >= 2 && line.chars().all(|x| x == c) {
        Some(lv)
    } else {
        None
    }
}

fn delimiter(line: &str) -> Option<(&'static str, ChunkKind)> {
    let t = line.trim_end();
    let kind = |c: char, min: usize| t.len() >= min && t.chars().all(|x| x == c);
    if kind('-', 4) {
        Some(("----", ChunkKind::Code))
    } else if kind('.', 4) {
        Some(("....", ChunkKind::Code))
    } else if kind('+', 4) {
        Some(("++++", ChunkKind::Code))
    } else if kind('=', 4) {
        Some(("====", ChunkKind::Prose))
    } else if kind('*', 4) {
        Some(("****", ChunkKind::Prose))
    } else if kind('_', 4) {
        Some(("____", ChunkKind::Prose))
    } else if kind('/', 4) {
        Some(("////", ChunkKind::Prose))
    } else if t.starts_with("|===") {
        Some(("|===", ChunkKind::Option))
    } else {
        None
    }
}

fn is_directive(line: &str) -> bool {
    let t = line.trim();
    (t.starts_with("[[") && t.ends_with("]]"))
        || t.starts_with("include::")
        || t.starts_with("image::")
        || t.starts_with("endif::")
        || (t.starts_with(':') && t[1..].contains(": ")
            || t.starts_with(':') && t.ends_with(':') && t.len() > 2 && !t.contains(' '))
        || (t.starts_with("//") && !t.starts_with("////"))
}

/// `` `agent`: `[enabled=]<1|0> ...` :: `` → `agent`; a plain `term::` → `term`.
fn definition_label(line: &str) -> Option<String> {
    let t = line.trim_end();
    let body = t.strip_suffix("::")?;
    if body.is_empty() || body.ends_with(':') || body.starts_with("include") || body.contains("::")
    {
        return None;
    }
    let body = body.trim();
    if let Some(rest) = body.strip_prefix('`') {
        let end = rest.find('`')?;
        return Some(rest[..end].to_string());
    }
    if body.len() <= 60 {
        Some(
            body.trim_matches(|c| c == '\'' || c == '*' || c == '_')
                .to_string(),
        )
    } else {
        None
    }
}

fn title_text(line: &str) -> String {
    line.trim().to_string()
}

struct Builder<'a> {
    lines: Vec<&'a str>,
    heads: Vec<(usize, String)>,
    blocks: Vec<Block>,
    cur: Option<(u32, ChunkKind, Option<String>, Vec<String>)>,
    cur_lines: Vec<(u32, &'a str)>,
}

impl<'a> Builder<'a> {
    fn headings(&self) -> Vec<String> {
        self.heads.iter().map(|(_, h)| h.clone()).collect()
    }
    fn begin(&mut self, ln: u32, kind: ChunkKind, label: Option<String>) {
        self.flush();
        let h = self.headings();
        self.cur = Some((ln, kind, label, h));
    }
    fn add(&mut self, ln: u32, line: &'a str) {
        if self.cur.is_none() {
            let h = self.headings();
            self.cur = Some((ln, ChunkKind::Prose, None, h));
        }
        self.cur_lines.push((ln, line));
    }
    fn flush(&mut self) {
        if let Some((start, kind, label, headings)) = self.cur.take() {
            let lines = std::mem::take(&mut self.cur_lines);
            // Trim trailing blank lines.
            let last = lines.iter().rposition(|(_, l)| !l.trim().is_empty());
            let Some(last) = last else { return };
            let first = lines
                .iter()
                .position(|(_, l)| !l.trim().is_empty())
                .unwrap_or(0);
            let slice = &lines[first..=last];
            // Rebuild text over the exact line span so split points map to source lines;
            // skipped directive lines inside become empty lines.
            let s = slice[0].0;
            let e = slice[slice.len() - 1].0;
            let mut text_lines = vec![""; (e - s + 1) as usize];
            for (ln, l) in slice {
                text_lines[(ln - s) as usize] = l;
            }
            let _ = start;
            self.blocks.push(Block {
                kind,
                headings,
                label,
                start: s,
                end: e,
                text: text_lines.join("\n"),
            });
        }
    }
    fn heading(&mut self, level: usize, title: String) {
        self.flush();
        while self.heads.last().is_some_and(|(l, _)| *l >= level) {
            self.heads.pop();
        }
        self.heads.push((level, title));
    }
}

pub fn parse(text: &str, fallback_title: &str) -> ParsedDoc {
    let mut b = Builder {
        lines: text.lines().collect(),
        heads: Vec::new(),
        blocks: Vec::new(),
        cur: None,
        cur_lines: Vec::new(),
    };
    let mut attributes: Vec<(String, String)> = vec![
        ("pve".into(), "Proxmox VE".into()),
        ("pmg".into(), "Proxmox Mail Gateway".into()),
        ("pbs".into(), "Proxmox Backup Server".into()),
    ];
    let mut title: Option<String> = None;
    let mut skip_depth = 0usize; // inside ifdef::x[] (attribute unset: content dropped)
    let mut i = 0usize;
    let n = b.lines.len();
    while i < n {
        let line = b.lines[i];
        let ln = i as u32 + 1;
        let t = line.trim_end();
        // Conditionals.
        if let Some(rest) = t.strip_prefix("ifdef::") {
            if !rest.ends_with("[]") {
                i += 1; // single-line form with inline content: dropped
                continue;
            }
            skip_depth += 1;
            i += 1;
            continue;
        }
        if t.starts_with("ifndef::") {
            i += 1;
            continue;
        }
        if t.starts_with("endif::") {
            skip_depth = skip_depth.saturating_sub(1);
            i += 1;
            continue;
        }
        if skip_depth > 0 {
            i += 1;
            continue;
        }
        // Attribute definitions.
        if let Some(rest) = t.strip_prefix(':') {
            if let Some((name, value)) = rest.split_once(": ") {
                if !name.contains(' ') {
                    attributes.push((name.to_string(), value.trim().to_string()));
                    i += 1;
                    continue;
                }
            }
        }
        // `= Title` style headings.
        if t.starts_with('=') && !t.starts_with("====")
            || t.starts_with("== ")
            || t.starts_with("=== ")
        {
            let eqs = t.chars().take_while(|c| *c == '=').count();
            if t[eqs..].starts_with(' ') && eqs <= 6 {
                let h = title_text(&t[eqs..]);
                if eqs == 1 && title.is_none() {
                    title = Some(h.clone());
                }
                b.heading(eqs - 1, h);
                b.add(ln, line);
                b.flush();
                i += 1;
                continue;
            }
        }
        // Underlined title: this line text, next line underline of similar length.
        if i + 1 < n
            && !t.is_empty()
            && !is_directive(t)
            && !t.starts_with('[')
            && !t.starts_with('.')
        {
            if let Some(lv) = underline_level(b.lines[i + 1].trim_end()) {
                let ul = b.lines[i + 1].trim_end().chars().count() as isize;
                let tl = t.chars().count() as isize;
                let paragraph_start = b.cur_lines.last().is_none_or(|(_, l)| l.trim().is_empty())
                    || i == 0
                    || b.lines[i - 1].trim().is_empty()
                    || is_directive(b.lines[i - 1]);
                if (ul - tl).abs() <= 2 && paragraph_start && tl >= 2 {
                    let h = title_text(t);
                    if lv == 0 && title.is_none() {
                        title = Some(h.clone());
                    }
                    b.heading(lv, h);
                    b.add(ln, line);
                    b.add(ln + 1, b.lines[i + 1]);
                    b.flush();
                    i += 2;
                    continue;
                }
            }
        }
        if is_directive(t) {
            i += 1;
            continue;
        }
        // Delimited blocks.
        if let Some((delim, kind)) = delimiter(t) {
            // A `[source,...]` or `.Title` line right before belongs to the block.
            let mut pre: Vec<(u32, &str)> = Vec::new();
            while let Some((pl, l)) = b.cur_lines.last().copied() {
                let lt = l.trim();
                if !lt.is_empty()
                    && (lt.starts_with('[') || lt.starts_with('.'))
                    && pl + 1 + pre.len() as u32 == ln
                {
                    pre.insert(0, (pl, l));
                    b.cur_lines.pop();
                } else {
                    break;
                }
            }
            let is_comment = delim == "////";
            let start_ln = pre.first().map(|(l, _)| *l).unwrap_or(ln);
            if !is_comment {
                b.begin(start_ln, kind, None);
                for (pl, l) in pre {
                    b.add(pl, l);
                }
                b.add(ln, line);
            } else {
                b.flush();
            }
            let mut j = i + 1;
            while j < n {
                let l = b.lines[j];
                let close = if delim == "|===" {
                    l.trim_end().starts_with("|===")
                } else {
                    l.trim_end() == t
                };
                if !is_comment {
                    b.add(j as u32 + 1, l);
                }
                j += 1;
                if close {
                    break;
                }
            }
            if !is_comment {
                b.flush();
            }
            i = j;
            continue;
        }
        // Definition-list entries start option blocks.
        if let Some(label) = definition_label(t) {
            let kind = if t.starts_with('`') {
                ChunkKind::Option
            } else {
                ChunkKind::Prose
            };
            b.begin(
                ln,
                kind,
                if kind == ChunkKind::Option {
                    Some(label)
                } else {
                    None
                },
            );
            b.add(ln, line);
            i += 1;
            continue;
        }
        // Blank line ends a paragraph unless we are inside an option entry (which spans
        // its description paragraphs).
        if t.is_empty() {
            let in_entry = b.cur.as_ref().is_some_and(|c| c.2.is_some());
            if in_entry {
                b.add(ln, line);
            } else {
                b.flush();
            }
            i += 1;
            continue;
        }
        b.add(ln, line);
        i += 1;
    }
    b.flush();
    let title = title.unwrap_or_else(|| fallback_title.to_string());
    let mut blocks = b.blocks;
    for blk in &mut blocks {
        if blk.headings.first() != Some(&title) {
            blk.headings.insert(0, title.clone());
        }
    }
    // Longer attribute names first so `{pve}` does not eat `{pve-foo}`.
    attributes.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
    ParsedDoc {
        title,
        blocks,
        attributes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_heading_styles_and_blocks() {
        let a = "[[chapter_x]]\nifdef::manvolnum[]\nqm(1)\n=====\nendif::manvolnum[]\nifndef::manvolnum[]\nVirtual Machines\n================\nendif::manvolnum[]\n\nIntro {pve} text.\n\n[[sec]]\nCloud-Init\n----------\n\nSome text\nmore text.\n\n[source,bash]\n----\nqm set 9000 --ide2 local-lvm:cloudinit\n----\n\n=== Custom Config\n\n`agent`: `<boolean>` ::\n\nEnable the agent.\n\n`acpi`: `<boolean>` ::\n\nACPI.\n";
        let d = parse(a, "qm.adoc");
        assert_eq!(d.title, "Virtual Machines");
        let got: Vec<_> = d
            .blocks
            .iter()
            .map(|b| {
                (
                    b.kind,
                    b.headings.join(" > "),
                    b.label.clone(),
                    b.start,
                    b.end,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (ChunkKind::Prose, "Virtual Machines".into(), None, 7, 8),
                (ChunkKind::Prose, "Virtual Machines".into(), None, 11, 11),
                (
                    ChunkKind::Prose,
                    "Virtual Machines > Cloud-Init".into(),
                    None,
                    14,
                    15
                ),
                (
                    ChunkKind::Prose,
                    "Virtual Machines > Cloud-Init".into(),
                    None,
                    17,
                    18
                ),
                (
                    ChunkKind::Code,
                    "Virtual Machines > Cloud-Init".into(),
                    None,
                    20,
                    23
                ),
                (
                    ChunkKind::Prose,
                    "Virtual Machines > Cloud-Init > Custom Config".into(),
                    None,
                    25,
                    25
                ),
                (
                    ChunkKind::Option,
                    "Virtual Machines > Cloud-Init > Custom Config".into(),
                    Some("agent".into()),
                    27,
                    29
                ),
                (
                    ChunkKind::Option,
                    "Virtual Machines > Cloud-Init > Custom Config".into(),
                    Some("acpi".into()),
                    31,
                    33
                ),
            ]
        );
    }
}
