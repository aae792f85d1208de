//! Code and configuration files (`.tf`, `.yml`, `.ini`, `.sh`, ...): one code block per
//! blank-line separated group, the file name as the heading. Comments (often the only prose in a
//! sample inventory) stay with the lines they describe.
use super::{Block, ChunkKind, ParsedDoc};

pub fn parse(text: &str, title: &str) -> ParsedDoc {
    let mut blocks = Vec::new();
    let mut start: Option<u32> = None;
    let mut cur: Vec<&str> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let ln = i as u32 + 1;
        if line.trim().is_empty() {
            if let Some(s) = start.take() {
                blocks.push(block(title, s, &cur));
                cur.clear();
            }
            continue;
        }
        if start.is_none() {
            start = Some(ln);
        }
        cur.push(line);
    }
    if let Some(s) = start {
        blocks.push(block(title, s, &cur));
    }
    ParsedDoc {
        title: title.to_string(),
        blocks,
        attributes: Vec::new(),
    }
}

fn block(title: &str, start: u32, lines: &[&str]) -> Block {
    Block {
        kind: ChunkKind::Code,
        headings: vec![title.to_string()],
        label: None,
        start,
        end: start + lines.len() as u32 - 1,
        text: lines.join("\n"),
    }
}
