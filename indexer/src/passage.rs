//! Passages: what a search hit points at.
//!
//! Retrieval scores chunks, which are sized for the embedding model (at most
//! [`MAX_TOKENS`](crate::chunk::MAX_TOKENS) estimated word-pieces). A long section is therefore
//! cut into several chunks, and a question about it often matches a neighbour of the chunk that
//! holds the answer. A passage is a run of neighbouring chunks of one section (same file, same
//! heading path), cut into balanced pieces of at most [`PASSAGE_TOKENS`]. Fusion ranks
//! passages: each retriever's chunk list collapses to a passage list (a passage takes the rank of
//! its best chunk), the passage lists are fused, and a hit spans its passage's lines.
//!
//! Measured on the dev questions (README, "Measured"): chunk-level hits gave hybrid R@5 0.70 and
//! MRR@10 0.48; passages of up to 900 estimated word-pieces (p99 about 440 words) gave 0.74 and
//! 0.58, with no index change.
use crate::chunk::{estimate_tokens, Chunk, MAX_TOKENS};

/// Upper bound of a passage, in estimated word-pieces: three chunks.
pub const PASSAGE_TOKENS: usize = 3 * MAX_TOKENS;

/// The passage of every chunk and the chunk range of every passage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Passages {
    /// Chunk ordinal → passage.
    of: Vec<u32>,
    /// Passage → first and last chunk ordinal (inclusive).
    spans: Vec<(u32, u32)>,
}

impl Passages {
    /// Group `chunks` (in index order) into passages of at most `budget` estimated word-pieces.
    /// A budget of 0 makes every chunk its own passage.
    pub fn build(chunks: &[Chunk], budget: usize) -> Self {
        let tokens: Vec<usize> = chunks.iter().map(|c| estimate_tokens(&c.text)).collect();
        let same = |a: &Chunk, b: &Chunk| a.path == b.path && a.heading_path == b.heading_path;
        let mut p = Passages::default();
        let mut i = 0;
        while i < chunks.len() {
            let mut j = i;
            while budget > 0 && j + 1 < chunks.len() && same(&chunks[i], &chunks[j + 1]) {
                j += 1;
            }
            // Balanced: as many passages as the budget needs, each near the run's mean; a chunk
            // goes to the passage its midpoint falls in.
            let total: usize = tokens[i..=j].iter().sum();
            let parts = total.div_ceil(budget.max(1)).max(1);
            let target = total.div_ceil(parts).max(1);
            let mut start = i;
            let mut part = 0usize;
            let mut before = 0usize;
            for k in i..=j {
                let this = ((before + tokens[k] / 2) / target).min(parts - 1);
                if k > start && this != part {
                    p.push(start, k - 1);
                    start = k;
                }
                part = this;
                before += tokens[k];
            }
            p.push(start, j);
            i = j + 1;
        }
        p
    }

    fn push(&mut self, first: usize, last: usize) {
        let id = self.spans.len() as u32;
        self.spans.push((first as u32, last as u32));
        self.of.extend(std::iter::repeat_n(id, last + 1 - first));
    }

    /// The passage holding chunk `ord`.
    pub fn of(&self, ord: usize) -> usize {
        self.of[ord] as usize
    }

    /// First and last chunk ordinal of passage `p`.
    pub fn members(&self, p: usize) -> (usize, usize) {
        let (a, b) = self.spans[p];
        (a as usize, b as usize)
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
}

/// The text of neighbouring chunks of one file (in line order, possibly overlapping) without
/// repeated lines, and the last line it covers.
pub fn join_chunks(parts: &[&Chunk]) -> (String, u32) {
    let mut text = String::new();
    let mut last_end = 0u32;
    for c in parts {
        if c.end_line <= last_end {
            continue;
        }
        let skip = last_end
            .saturating_sub(c.start_line)
            .saturating_add(if last_end >= c.start_line { 1 } else { 0 });
        for line in c.text.lines().skip(skip as usize) {
            text.push_str(line);
            text.push('\n');
        }
        last_end = c.end_line;
    }
    (text, last_end)
}

/// A citation URL for lines `start..=end`, derived from a chunk's URL when it carries the
/// chunk's line anchor (`#L10-L20`); otherwise the chunk's URL as is.
pub fn span_url(chunk: &Chunk, start: u32, end: u32) -> String {
    let anchor = format!("#L{}-L{}", chunk.start_line, chunk.end_line);
    match chunk.url.strip_suffix(&anchor) {
        Some(base) => format!("{base}#L{start}-L{end}"),
        None => chunk.url.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::ChunkKind;

    fn chunk(path: &str, heading: &str, start: u32, end: u32, words: usize) -> Chunk {
        Chunk {
            id: format!("{path}:{start}"),
            source: "s".into(),
            path: path.into(),
            title: "t".into(),
            heading_path: heading.split(" > ").map(String::from).collect(),
            kind: ChunkKind::Prose,
            start_line: start,
            end_line: end,
            url: format!("https://example.org/{path}#L{start}-L{end}"),
            text: vec!["word"; words].join(" "),
            search_text: String::new(),
            hash: format!("{path}:{start}"),
        }
    }

    #[test]
    fn runs_of_one_section_group_and_sections_do_not_mix() {
        let chunks = vec![
            chunk("a.md", "A > B", 1, 10, 200),
            chunk("a.md", "A > B", 9, 20, 200),
            chunk("a.md", "A > C", 21, 30, 50),
            chunk("b.md", "A > C", 1, 5, 50),
        ];
        let p = Passages::build(&chunks, 900);
        assert_eq!(p.len(), 3);
        assert_eq!(p.members(0), (0, 1));
        assert_eq!((p.of(0), p.of(1), p.of(2), p.of(3)), (0, 0, 1, 2));
    }

    #[test]
    fn long_sections_split_into_balanced_passages_under_the_budget() {
        // Five chunks of 200 tokens: 1,000 tokens need two passages; filling greedily up to 900
        // would give 800 + 200.
        let chunks: Vec<Chunk> = (0..5)
            .map(|i| chunk("a.md", "A", i * 10 + 1, i * 10 + 10, 200))
            .collect();
        let p = Passages::build(&chunks, 900);
        assert_eq!(p.len(), 2);
        let sizes: Vec<usize> = (0..p.len())
            .map(|i| {
                let (a, b) = p.members(i);
                b + 1 - a
            })
            .collect();
        assert_eq!(sizes, vec![2, 3]);
        // A budget of 0 keeps chunk-level hits.
        let single = Passages::build(&chunks, 0);
        assert_eq!(single.len(), 5);
        assert_eq!(single.members(4), (4, 4));
    }

    #[test]
    fn one_oversized_chunk_is_a_passage_of_its_own() {
        let chunks = vec![
            chunk("a.md", "A", 1, 10, 2000),
            chunk("a.md", "A", 11, 20, 100),
        ];
        let p = Passages::build(&chunks, 900);
        assert_eq!(p.len(), 2);
    }

    #[test]
    fn joined_text_skips_overlapping_lines_and_urls_follow_the_span() {
        let mut a = chunk("a.md", "A", 1, 3, 0);
        a.text = "one\ntwo\nthree".into();
        let mut b = chunk("a.md", "A", 3, 4, 0);
        b.text = "three\nfour".into();
        let (text, end) = join_chunks(&[&a, &b]);
        assert_eq!(text, "one\ntwo\nthree\nfour\n");
        assert_eq!(end, 4);
        assert_eq!(span_url(&a, 1, 4), "https://example.org/a.md#L1-L4");
        let mut odd = a.clone();
        odd.url = "https://docs.example.org/page".into();
        assert_eq!(span_url(&odd, 1, 4), "https://docs.example.org/page");
    }
}
