//! Retrieval evaluation on question files shaped like `dev-questions.jsonl`: each line has a
//! `question` and `gold` passages (`path` relative to the corpus directory, exact `evidence`).
//! A hit is a returned hit of the gold file whose text contains the evidence or whose line
//! range covers it (a hit is a passage: see [`crate::passage`]). A gold may give `lines`
//! (`[first, last]`, 1-based) instead of or beside `evidence`: then a hit's line range must cover
//! them. Reports Recall@1/5/10 and MRR@10.
use std::collections::HashMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{io, Error, Result};
use crate::search::{KnowledgeBase, Mode, SearchRequest};

#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    pub id: String,
    pub question: String,
    pub gold: Vec<Gold>,
    #[serde(default)]
    pub kind: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Gold {
    pub path: String,
    #[serde(default)]
    pub heading: String,
    /// An exact substring of the gold file.
    #[serde(default)]
    pub evidence: String,
    /// The gold lines, 1-based and inclusive, when no evidence is quoted.
    #[serde(default)]
    pub lines: Option<[u32; 2]>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct EvalSummary {
    pub n: usize,
    pub recall_at_1: f64,
    pub recall_at_5: f64,
    pub recall_at_10: f64,
    pub mrr_at_10: f64,
    pub mode: Mode,
    /// Share of questions whose gold evidence is inside the passage text one search with
    /// default arguments returns (whitespace- and markup-insensitive): what the model sees.
    pub answer_visible_at_k: f64,
    /// Hits that search returns (the default `k`).
    pub k: usize,
    /// Median words of passage text that search returns.
    pub median_words: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuestionResult {
    pub id: String,
    pub kind: String,
    /// 1-based rank of the first hit within the top 10.
    pub rank: Option<usize>,
    pub top: Vec<String>,
    /// Whether the default search shows the gold evidence in its passage text.
    pub visible: bool,
    /// Words of passage text the default search returned.
    pub words: usize,
}

/// Text for "is the evidence shown": lower-case, markup characters dropped, whitespace folded.
pub fn normalize_visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if matches!(
            c,
            '`' | '*' | '_' | '#' | '>' | '|' | '[' | ']' | '\\' | '…'
        ) {
            continue;
        }
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.extend(c.to_lowercase());
    }
    out
}

/// Whether a hit shows a gold: its text holds the evidence, or (a gold given as lines) its
/// shown line ranges cover the gold lines.
fn shows(hit: &crate::search::Hit, g: &Gold) -> bool {
    if hit.path != g.path {
        return false;
    }
    if !g.evidence.is_empty() {
        let e = normalize_visible(&g.evidence);
        return !e.is_empty() && normalize_visible(&hit.text).contains(&e);
    }
    match g.lines {
        Some([a, b]) => (a..=b).all(|l| hit.lines.iter().any(|[s, e]| *s <= l && l <= *e)),
        None => false,
    }
}

pub fn load_questions(path: &Path) -> Result<Vec<Question>> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let q: Question = serde_json::from_str(l).map_err(|e| Error::Json {
                path: path.to_path_buf(),
                source: e,
            })?;
            for g in &q.gold {
                let bad = match g.lines {
                    Some([a, b]) => a == 0 || b < a,
                    None => g.evidence.is_empty(),
                };
                if bad {
                    return Err(Error::InvalidRequest {
                        field: "gold",
                        message: format!(
                            "{}: question {}: gold {} needs a non-empty `evidence` or \
                             `lines: [first, last]` (1-based, first <= last)",
                            path.display(),
                            q.id,
                            g.path
                        ),
                    });
                }
            }
            Ok(q)
        })
        .collect()
}

/// Line range (1-based, inclusive) of `evidence` in `text`, if present.
fn evidence_lines(text: &str, evidence: &str) -> Option<(u32, u32)> {
    let pos = text.find(evidence)?;
    let start = text[..pos].matches('\n').count() as u32 + 1;
    let end = start + evidence.trim_end_matches('\n').matches('\n').count() as u32;
    Some((start, end))
}

/// Evaluate `questions` against `kb`, reading gold files from `corpus` to locate evidence.
pub fn evaluate(
    kb: &KnowledgeBase,
    corpus: &Path,
    questions: &[Question],
    mode: Mode,
) -> Result<(EvalSummary, Vec<QuestionResult>)> {
    let mut file_cache: HashMap<String, String> = HashMap::new();
    let mut results = Vec::new();
    let (mut r1, mut r5, mut r10, mut mrr) = (0usize, 0usize, 0usize, 0f64);
    let (mut seen, mut words) = (0usize, Vec::new());
    for q in questions {
        let mut gold_spans = Vec::new();
        for g in &q.gold {
            let text = match file_cache.get(&g.path) {
                Some(t) => t.clone(),
                None => {
                    let t = std::fs::read_to_string(corpus.join(&g.path)).unwrap_or_default();
                    file_cache.insert(g.path.clone(), t.clone());
                    t
                }
            };
            let span = match g.lines {
                Some([a, b]) => Some((a, b)),
                None => evidence_lines(&text, &g.evidence),
            };
            gold_spans.push((g, span));
        }
        let mut req = SearchRequest::new(q.question.clone());
        let depth: usize = std::env::var("PROVISIO_EVAL_DEPTH")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10);
        req.k = depth.clamp(10, 50);
        req.mode = mode;
        let r = kb.retrieve(&req)?;
        let chunks = kb.chunks();
        let mut rank = None;
        let mut top = Vec::new();
        for (i, rc) in r.ranked.iter().take(req.k).enumerate() {
            // A hit is its passage: its line span and the text of its chunks.
            let parts = kb.passage_chunks(rc);
            let c = &chunks[rc.ord];
            let (start, end) = (
                parts
                    .iter()
                    .map(|p| p.start_line)
                    .min()
                    .unwrap_or(c.start_line),
                parts.iter().map(|p| p.end_line).max().unwrap_or(c.end_line),
            );
            top.push(format!("{}:{}-{}", c.path, start, end));
            let hit = gold_spans.iter().any(|(g, span)| {
                c.path == g.path
                    && ((!g.evidence.is_empty()
                        && parts.iter().any(|p| p.text.contains(&g.evidence)))
                        || span.is_some_and(|(s, e)| start <= s && e <= end))
            });
            if hit && rank.is_none() {
                rank = Some(i + 1);
            }
        }
        // What the model sees: one search with default arguments.
        let mut shown = SearchRequest::new(q.question.clone());
        shown.mode = mode;
        let resp = kb.search(&shown)?;
        let visible = resp.hits.iter().any(|h| q.gold.iter().any(|g| shows(h, g)));
        if visible {
            seen += 1;
        }
        words.push(resp.words);
        if let Some(rk) = rank {
            if rk <= 1 {
                r1 += 1;
            }
            if rk <= 5 {
                r5 += 1;
            }
            if rk <= 10 {
                r10 += 1;
                mrr += 1.0 / rk as f64;
            }
        }
        results.push(QuestionResult {
            id: q.id.clone(),
            kind: q.kind.clone(),
            rank,
            top,
            visible,
            words: resp.words,
        });
    }
    let n = questions.len().max(1) as f64;
    words.sort_unstable();
    let median_words = words.get(words.len() / 2).copied().unwrap_or(0);
    Ok((
        EvalSummary {
            n: questions.len(),
            recall_at_1: r1 as f64 / n,
            recall_at_5: r5 as f64 / n,
            recall_at_10: r10 as f64 / n,
            mrr_at_10: mrr / n,
            mode,
            answer_visible_at_k: seen as f64 / n,
            k: SearchRequest::new("").k,
            median_words,
        },
        results,
    ))
}
