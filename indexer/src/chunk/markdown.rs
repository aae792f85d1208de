//! Markdown / MDX: headings build the path; top-level blocks (paragraphs, code fences, tables,
//! HTML) become blocks; top-level list items become blocks of their own, and an item that starts
//! with a `` `name` `` (an argument reference entry) becomes an option block labelled `name`.
//! YAML front matter gives the title; MDX `import`/`export` lines are dropped.
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::{Block, ChunkKind, ParsedDoc};

struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                starts.push(i + 1);
            }
        }
        Lines { starts }
    }
    /// 1-based line of a byte offset.
    fn line(&self, off: usize) -> u32 {
        match self.starts.binary_search(&off) {
            Ok(i) => i as u32 + 1,
            Err(i) => i as u32,
        }
    }
}

fn level(l: HeadingLevel) -> usize {
    match l {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

fn front_matter_title(text: &str) -> Option<String> {
    let rest = text.strip_prefix("---\n")?;
    let end = rest.find("\n---")?;
    for line in rest[..end].lines() {
        if let Some(v) = line.strip_prefix("title:") {
            let v = v.trim().trim_matches(|c| c == '"' || c == '\'').trim();
            if !v.is_empty() && v != ">-" && v != "|" {
                return Some(v.to_string());
            }
        }
        if let Some(v) = line.strip_prefix("sidebar_label:") {
            let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
            if !v.is_empty() {
                return Some(v.to_string());
            }
        }
    }
    None
}

/// `` - `name` - (Optional) ... `` → `name`.
fn option_label(item: &str) -> Option<String> {
    let t =
        item.trim_start_matches(|c: char| c == '-' || c == '*' || c == '+' || c.is_whitespace());
    let t = t.strip_prefix('`')?;
    let end = t.find('`')?;
    let name = &t[..end];
    if name.is_empty() || name.len() > 80 || name.contains(' ') && !name.starts_with("--") {
        return None;
    }
    Some(name.to_string())
}

pub fn parse(text: &str, fallback_title: &str) -> ParsedDoc {
    let lines = Lines::new(text);
    let fm_title = front_matter_title(text);
    let opts = Options::ENABLE_TABLES
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_GFM;
    let parser = Parser::new_ext(text, opts).into_offset_iter();

    let mut heads: Vec<(usize, String)> = Vec::new();
    let mut blocks: Vec<Block> = Vec::new();
    let mut depth = 0usize;
    let mut in_heading: Option<(usize, String)> = None;
    let mut block_start: Option<(usize, ChunkKind)> = None;
    let mut list_depth: Option<usize> = None; // depth at which a top-level list's items live
    let mut in_meta = false;
    let mut first_h1: Option<String> = None;
    let mut heading_range = 0..0;

    let mut push = |heads: &[(usize, String)], kind: ChunkKind, range: std::ops::Range<usize>| {
        let raw = text[range.clone()].trim_end_matches('\n');
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return;
        }
        // MDX import/export lines carry no content.
        if trimmed
            .lines()
            .all(|l| l.starts_with("import ") || l.starts_with("export ") || l.trim().is_empty())
        {
            return;
        }
        let start = lines.line(range.start);
        let end = lines
            .line(range.start + raw.len().saturating_sub(1))
            .max(start);
        let mut kind = kind;
        let mut label = None;
        if kind == ChunkKind::Prose {
            if let Some(l) = option_label(raw) {
                kind = ChunkKind::Option;
                label = Some(l);
            }
        }
        blocks.push(Block {
            kind,
            headings: heads.iter().map(|(_, h)| h.clone()).collect(),
            label,
            start,
            end,
            text: raw.to_string(),
        });
    };

    for (ev, range) in parser {
        match ev {
            Event::Start(Tag::MetadataBlock(_)) => in_meta = true,
            Event::End(TagEnd::MetadataBlock(_)) => in_meta = false,
            _ if in_meta => {}
            Event::Start(Tag::Heading { level: l, .. }) if depth == 0 => {
                in_heading = Some((level(l), String::new()));
                heading_range = range.clone();
                depth += 1;
            }
            Event::End(TagEnd::Heading(_)) if in_heading.is_some() => {
                depth -= 1;
                if let Some((lv, t)) = in_heading.take() {
                    let t = t.trim().to_string();
                    if lv == 1 && first_h1.is_none() {
                        first_h1 = Some(t.clone());
                    }
                    while heads.last().is_some_and(|(l, _)| *l >= lv) {
                        heads.pop();
                    }
                    heads.push((lv, t));
                    // The heading line itself opens its section's text.
                    push(&heads, ChunkKind::Prose, heading_range.clone());
                }
            }
            Event::Text(t) | Event::Code(t) if in_heading.is_some() => {
                if let Some((_, h)) = in_heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::Start(tag) => {
                if depth == 0 {
                    match tag {
                        Tag::List(_) => list_depth = Some(1),
                        Tag::CodeBlock(_) => block_start = Some((range.start, ChunkKind::Code)),
                        Tag::Table(_) => block_start = Some((range.start, ChunkKind::Option)),
                        _ => block_start = Some((range.start, ChunkKind::Prose)),
                    }
                } else if Some(depth) == list_depth && matches!(tag, Tag::Item) {
                    block_start = Some((range.start, ChunkKind::Prose));
                }
                depth += 1;
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    if list_depth.take().is_none() {
                        if let Some((s, k)) = block_start.take() {
                            push(&heads, k, s..range.end);
                        }
                    }
                } else if Some(depth) == list_depth {
                    if let Some((s, k)) = block_start.take() {
                        push(&heads, k, s..range.end);
                    }
                }
            }
            Event::Html(_) | Event::Rule | Event::Text(_) | Event::InlineHtml(_) if depth == 0 => {
                push(&heads, ChunkKind::Prose, range);
            }
            _ => {}
        }
    }
    let title = fm_title
        .or(first_h1)
        .unwrap_or_else(|| fallback_title.to_string());
    // The document title heads every path.
    for b in &mut blocks {
        if b.headings.first() != Some(&title) {
            if b.headings
                .first()
                .is_some_and(|h| h.eq_ignore_ascii_case(&title))
                || heads_is_h1_alias(&b.headings, &title)
            {
                continue;
            }
            b.headings.insert(0, title.clone());
        }
    }
    ParsedDoc {
        title,
        blocks,
        attributes: Vec::new(),
    }
}

/// The first heading is the H1 and the title came from it or front matter names the same page
/// (e.g. `title: proxmox_virtual_environment_vm` and `# Resource: proxmox_virtual_environment_vm`).
fn heads_is_h1_alias(headings: &[String], title: &str) -> bool {
    headings.first().is_some_and(|h| h.contains(title))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_items_and_code() {
        let md = "---\ntitle: My Page\n---\n\n# Resource: x\n\nIntro text.\n\n## Argument Reference\n\n- `agent` - (Optional) The agent.\n    - `enabled` - Enable.\n- `name` - (Required) Name.\n\n```hcl\nresource \"a\" \"b\" {}\n```\n";
        let d = parse(md, "f.md");
        assert_eq!(d.title, "My Page");
        let labels: Vec<_> = d.blocks.iter().map(|b| b.label.clone()).collect();
        assert_eq!(
            labels,
            vec![
                None,
                None,
                None,
                Some("agent".into()),
                Some("name".into()),
                None
            ]
        );
        assert_eq!(d.blocks[2].text, "## Argument Reference");
        assert_eq!(d.blocks[3].start, 11);
        assert_eq!(d.blocks[3].end, 12);
        assert_eq!(d.blocks[5].kind, ChunkKind::Code);
        assert_eq!(
            d.blocks[3].headings,
            vec!["My Page", "Resource: x", "Argument Reference"]
        );
    }
}
