//! Packing blocks into chunks: sections stay together, long sections split at block
//! boundaries with one-block overlap, oversized blocks split at line (then sentence) boundaries,
//! tiny neighbouring sections merged.
use super::{Block, ChunkKind, ParsedDoc};

/// Upper bound of estimated word-pieces per chunk. MiniLM reads 256 word-pieces; chunks of up
/// to 300 estimated (median ≈ 230 real) retrieve markedly better on the dev questions than
/// chunks of 200 (hybrid Recall@5 0.70 vs 0.54, see README), at the cost of the embedding
/// seeing only the first 256 word-pieces of the longest chunks (their BM25 side sees all).
pub const MAX_TOKENS: usize = 300;
/// Sections smaller than this are merged with a neighbour under the same parent.
const MIN_TOKENS: usize = 100;
/// A trailing block up to this size is repeated at the start of the next chunk.
const OVERLAP_TOKENS: usize = 60;

/// A packed chunk before ids and URLs are attached.
#[derive(Debug, Clone, PartialEq)]
pub struct Packed {
    pub headings: Vec<String>,
    pub kind: ChunkKind,
    pub start: u32,
    pub end: u32,
    pub text: String,
}

/// Estimate BERT word-pieces: one per short word, more for long words, one per punctuation mark.
pub fn estimate_tokens(text: &str) -> usize {
    let mut n = 0usize;
    let mut run = 0usize;
    for c in text.chars() {
        if c.is_alphanumeric() {
            run += 1;
        } else {
            if run > 0 {
                n += 1 + run.saturating_sub(1) / 6;
                run = 0;
            }
            if !c.is_whitespace() {
                n += 1;
            }
        }
    }
    if run > 0 {
        n += 1 + run.saturating_sub(1) / 6;
    }
    n
}

#[derive(Debug, Clone)]
struct Piece {
    kind: ChunkKind,
    start: u32,
    end: u32,
    text: String,
    tokens: usize,
}

#[derive(Debug, Clone)]
struct Section {
    headings: Vec<String>,
    pieces: Vec<Piece>,
}

impl Section {
    fn tokens(&self) -> usize {
        self.pieces.iter().map(|p| p.tokens).sum()
    }
}

/// Pack a parsed document into chunks of at most `max` estimated tokens.
pub fn pack(doc: &ParsedDoc, max: usize) -> Vec<Packed> {
    let mut sections: Vec<Section> = Vec::new();
    for b in &doc.blocks {
        if b.text.trim().is_empty() {
            continue;
        }
        let mut headings = if b.headings.is_empty() {
            vec![doc.title.clone()]
        } else {
            b.headings.clone()
        };
        if let Some(label) = &b.label {
            headings.push(label.clone());
        }
        let pieces = split_block(b, max);
        match sections.last_mut() {
            Some(s) if s.headings == headings && b.label.is_none() => s.pieces.extend(pieces),
            _ => sections.push(Section { headings, pieces }),
        }
    }
    let sections = merge_small(sections, max);
    let mut out = Vec::new();
    for s in sections {
        emit_section(&s, max, &mut out);
    }
    out
}

fn common_prefix(a: &[String], b: &[String]) -> Vec<String> {
    a.iter()
        .zip(b)
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.clone())
        .collect()
}

/// Merge a tiny section into the next one when both sit under the same parent (or the next is
/// its child), as long as the result fits.
fn merge_small(sections: Vec<Section>, max: usize) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    for s in sections {
        if let Some(prev) = out.last_mut() {
            let prev_t = prev.tokens();
            let s_t = s.tokens();
            // Same document: any neighbour qualifies, the heading path becomes the common part.
            let related = prev.headings.first() == s.headings.first();
            if related && (prev_t < MIN_TOKENS || s_t < MIN_TOKENS) && prev_t + s_t <= max {
                let child = s.headings.starts_with(&prev.headings);
                if !child {
                    prev.headings = common_prefix(&prev.headings, &s.headings);
                    if prev.headings.is_empty() {
                        prev.headings = s.headings.clone();
                    }
                }
                prev.pieces.extend(s.pieces);
                continue;
            }
        }
        out.push(s);
    }
    out
}

fn emit_section(s: &Section, max: usize, out: &mut Vec<Packed>) {
    let head_tokens = estimate_tokens(&s.headings.join(" > "));
    let budget = max.saturating_sub(head_tokens).max(max / 2);
    // Balanced split: aim for equal chunks instead of filling greedily and leaving a tiny
    // tail (short chunks get an unfair BM25 length bonus and carry little context).
    let total: usize = s.pieces.iter().map(|p| p.tokens).sum();
    let parts = total.div_ceil(budget).max(1);
    let target = total.div_ceil(parts);
    let mut cur: Vec<&Piece> = Vec::new();
    let mut cur_t = 0usize;
    for p in &s.pieces {
        let full = cur_t + p.tokens > budget || (cur_t >= target && cur_t + p.tokens / 2 > target);
        if !cur.is_empty() && full {
            let last = cur[cur.len() - 1];
            out.push(make(&s.headings, &cur));
            cur.clear();
            cur_t = 0;
            // Overlap: carry the previous piece if it is small and leaves room.
            if last.tokens <= OVERLAP_TOKENS && last.tokens + p.tokens <= budget {
                cur.push(last);
                cur_t = last.tokens;
            }
        }
        cur.push(p);
        cur_t += p.tokens;
    }
    if !cur.is_empty() {
        out.push(make(&s.headings, &cur));
    }
}

fn make(headings: &[String], pieces: &[&Piece]) -> Packed {
    let mut text = String::new();
    let mut by_kind = [0usize; 3];
    let mut prev_end: Option<u32> = None;
    for p in pieces.iter() {
        // Line `i` of the text is source line `start + i`: lines left out between pieces
        // (skipped directives, comments) become empty lines, so passages and citations
        // number the lines as the file does.
        match prev_end {
            Some(e) if p.start > e => {
                text.extend(std::iter::repeat_n('\n', (p.start - e) as usize))
            }
            Some(_) => text.push_str("\n\n"),
            None => {}
        }
        prev_end = Some(p.end);
        text.push_str(&p.text);
        let k = match p.kind {
            ChunkKind::Prose => 0,
            ChunkKind::Code => 1,
            ChunkKind::Option => 2,
        };
        by_kind[k] += p.tokens;
    }
    let kind = if by_kind[2] > 0 && by_kind[2] * 2 >= by_kind[0] + by_kind[1] {
        ChunkKind::Option
    } else if by_kind[1] > by_kind[0] {
        ChunkKind::Code
    } else {
        ChunkKind::Prose
    };
    Packed {
        headings: headings.to_vec(),
        kind,
        start: pieces.iter().map(|p| p.start).min().unwrap_or(1),
        end: pieces.iter().map(|p| p.end).max().unwrap_or(1),
        text,
    }
}

/// Split a block into pieces that fit: whole if small, else at blank lines, then lines,
/// then sentences / words for a single overlong line.
fn split_block(b: &Block, max: usize) -> Vec<Piece> {
    let tokens = estimate_tokens(&b.text);
    if tokens <= max {
        return vec![Piece {
            kind: b.kind,
            start: b.start,
            end: b.end,
            text: b.text.clone(),
            tokens,
        }];
    }
    let limit = max * 9 / 10;
    let mut pieces = Vec::new();
    let mut cur = String::new();
    let mut cur_start = b.start;
    let mut cur_t = 0usize;
    let mut last_line = b.start;
    let lines: Vec<&str> = b.text.split('\n').collect();
    // Lines of a block map 1:1 onto source lines starting at b.start.
    for (i, line) in lines.iter().enumerate() {
        let ln = b.start + i as u32;
        let lt = estimate_tokens(line) + 1;
        let blank_break = line.trim().is_empty() && cur_t > limit / 2;
        if !cur.is_empty() && (cur_t + lt > limit || blank_break) {
            pieces.push(Piece {
                kind: b.kind,
                start: cur_start,
                end: last_line,
                text: std::mem::take(&mut cur).trim_end().to_string(),
                tokens: cur_t,
            });
            cur_t = 0;
        }
        if lt > limit {
            // A single overlong line: split on sentence ends, else on words.
            for part in split_long_line(line, limit) {
                let t = estimate_tokens(&part);
                pieces.push(Piece {
                    kind: b.kind,
                    start: ln,
                    end: ln,
                    text: part,
                    tokens: t,
                });
            }
            last_line = ln;
            continue;
        }
        if cur.is_empty() {
            if line.trim().is_empty() {
                continue;
            }
            cur_start = ln;
        } else {
            cur.push('\n');
        }
        cur.push_str(line);
        cur_t += lt;
        last_line = ln;
    }
    if !cur.trim().is_empty() {
        pieces.push(Piece {
            kind: b.kind,
            start: cur_start,
            end: last_line.max(cur_start),
            text: cur.trim_end().to_string(),
            tokens: cur_t,
        });
    }
    pieces
}

fn split_long_line(line: &str, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_t = 0;
    for word in line.split_inclusive(' ') {
        let t = estimate_tokens(word);
        let sentence_end = cur_t > limit / 2 && (cur.ends_with(". ") || cur.ends_with("; "));
        if !cur.is_empty() && (cur_t + t > limit || sentence_end) {
            out.push(std::mem::take(&mut cur).trim().to_string());
            cur_t = 0;
        }
        cur.push_str(word);
        cur_t += t;
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_counts_words_and_punctuation() {
        assert_eq!(estimate_tokens("hello world"), 2);
        assert_eq!(estimate_tokens("pm_tls_insecure = true"), 8);
        assert!(estimate_tokens("internationalization") >= 3);
    }

    #[test]
    fn packed_text_keeps_source_line_numbers_across_gaps() {
        let piece = |start: u32, end: u32, text: &str| Piece {
            kind: ChunkKind::Prose,
            start,
            end,
            tokens: estimate_tokens(text),
            text: text.to_string(),
        };
        // Lines 4-7 were left out (an `ifdef::wiki[]` block), line 8 was blank.
        let a = piece(2, 3, "Title\n-----");
        let b = piece(9, 10, "First line.\nSecond line.");
        let c = piece(11, 11, "Third line.");
        let p = make(&["T".to_string()], &[&a, &b, &c]);
        assert_eq!((p.start, p.end), (2, 11));
        let lines: Vec<&str> = p.text.lines().collect();
        assert_eq!(lines.len() as u32, p.end - p.start + 1);
        assert_eq!(lines[(9 - p.start) as usize], "First line.");
        assert_eq!(lines[(11 - p.start) as usize], "Third line.");
    }

    #[test]
    fn long_block_is_split_with_line_ranges() {
        let text = (0..100)
            .map(|i| format!("line number {i} has a few words in it"))
            .collect::<Vec<_>>()
            .join("\n");
        let b = Block {
            kind: ChunkKind::Prose,
            headings: vec!["T".into()],
            label: None,
            start: 10,
            end: 109,
            text,
        };
        let pieces = split_block(&b, 100);
        assert!(pieces.len() > 5);
        assert_eq!(pieces[0].start, 10);
        assert_eq!(pieces.last().map(|p| p.end), Some(109));
        for w in pieces.windows(2) {
            assert_eq!(w[0].end + 1, w[1].start);
        }
        assert!(pieces.iter().all(|p| p.tokens <= 100));
    }
}
