//! Query-focused passages: what a hit shows of its passage for one question, within a word
//! budget. Pure: the caller gives the passage's lines, the question's analysed terms with their
//! weights, and the analyser.
//!
//! A passage is cut into units a reader would keep together: an option entry
//! (`` - `name` - ... `` with its continuation lines, or AsciiDoc's `` `name`: ... :: ``
//! definition and its text), a list item, a table row, a code block, a heading, or a
//! paragraph; a paragraph that is one long line is cut into sentences. Each unit is scored by
//! the question terms it holds (weighted by IDF, each term counted once per unit), with a small
//! bonus inside the chunk the retrievers ranked best. Terms in code count half, and a long code
//! block scores as its best window of lines (an example's many names match by chance; answers
//! are mostly sentences). A prose unit right after a matching one gets half its score: the text
//! after "If you want X ..." is often the answer, in words the question does not use. The best units are kept until the budget
//! is spent; a matched option entry and a short code block are kept whole, a long code block
//! only around its matching lines. Kept units are shown in line order; a `…` line marks what
//! was left out, and the shown line ranges are returned.

/// One unit of a passage: the lines `first..=last` (indexes into the passage's lines), or a
/// part of one long line (`part`: byte range).
#[derive(Debug, Clone, PartialEq)]
struct Unit {
    first: usize,
    last: usize,
    kind: UnitKind,
    /// A byte range inside line `first` when the unit is one sentence of a long line.
    part: Option<(usize, usize)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnitKind {
    Heading,
    Option,
    Item,
    Row,
    Code,
    Prose,
}

/// What a hit shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Focused {
    pub text: String,
    /// Line ranges (file lines, inclusive) of what is shown.
    pub lines: Vec<[u32; 2]>,
    pub words: usize,
    /// Whether anything of the passage was left out.
    pub elided: bool,
}

/// Words of a text, as the budget counts them.
pub fn count_words(text: &str) -> usize {
    text.split_whitespace().count()
}

fn indent(l: &str) -> usize {
    l.len() - l.trim_start().len()
}

fn is_fence(t: &str) -> bool {
    t.starts_with("```") || t.starts_with("~~~")
}

/// AsciiDoc block delimiters: listing `----`, literal `....`, passthrough `++++`.
fn is_adoc_delim(t: &str) -> bool {
    t.len() >= 4
        && (t.chars().all(|c| c == '-')
            || t.chars().all(|c| c == '.')
            || t.chars().all(|c| c == '+'))
}

/// `u` underlines the title `t`: one repeated character of `-~=^+`, within two characters of
/// the title's length (AsciiDoc's rule; Markdown's setext `---`/`===` too).
fn is_underline(u: &str, t: &str) -> bool {
    let Some(c) = u.chars().next() else {
        return false;
    };
    if !matches!(c, '-' | '~' | '=' | '^' | '+') || !u.chars().all(|x| x == c) || u.len() < 2 {
        return false;
    }
    let tl = t.chars().count() as isize;
    let ul = u.chars().count() as isize;
    !t.starts_with(['-', '~', '=', '^', '+', '`', '|', '*', '.'])
        && (c != '-' || (tl - ul).abs() <= 2)
        && (tl - ul).abs() <= 2
}

fn list_marker(t: &str) -> bool {
    if t.starts_with("- ") || t.starts_with("* ") || t.starts_with("+ ") {
        return true;
    }
    let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
    digits > 0 && (t[digits..].starts_with(". ") || t[digits..].starts_with(") "))
}

/// An option entry's first line: a list item naming an identifier in backticks, or an
/// AsciiDoc definition term (`` `name`: `<x>` :: ``, `term::`).
fn option_head(t: &str) -> bool {
    let item = t
        .strip_prefix("- ")
        .or_else(|| t.strip_prefix("* "))
        .map(str::trim_start);
    if let Some(rest) = item {
        return rest.starts_with('`') || rest.starts_with("**`") || rest.starts_with("<a ");
    }
    t.ends_with("::") || t.contains(":: ")
}

fn is_heading(t: &str) -> bool {
    (t.starts_with('#') && t.trim_start_matches('#').starts_with(' '))
        || (t.starts_with('=') && t.trim_start_matches('=').starts_with(' '))
        // An AsciiDoc block title (`.Avoid RAID`) or anchor (`[[id]]`).
        || (t.starts_with('.') && t[1..].starts_with(|c: char| c.is_alphabetic()))
        || (t.starts_with("[[") && t.ends_with("]]"))
}

/// Split a passage's lines into units.
fn segment(lines: &[&str]) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut i = 0;
    let n = lines.len();
    let unit = |first, last, kind| Unit {
        first,
        last,
        kind,
        part: None,
    };
    while i < n {
        let t = lines[i].trim();
        if t.is_empty() {
            i += 1;
            continue;
        }
        // A two-line title: text underlined by a line of one character (`----`, `~~~~`, `====`,
        // `^^^^`) about as long as the text.
        if i + 1 < n && is_underline(lines[i + 1].trim(), t) {
            units.push(unit(i, i + 1, UnitKind::Heading));
            i += 2;
            continue;
        }
        // Code: a fence or an AsciiDoc delimiter up to its closing twin (or the end).
        if is_fence(t) || is_adoc_delim(t) {
            let open = &t[..3];
            let mut j = i + 1;
            while j < n {
                let u = lines[j].trim();
                if (is_fence(t) && u.starts_with(open)) || (!is_fence(t) && u == t) {
                    break;
                }
                j += 1;
            }
            let last = j.min(n - 1);
            units.push(unit(i, last, UnitKind::Code));
            i = last + 1;
            continue;
        }
        if is_heading(t) {
            units.push(unit(i, i, UnitKind::Heading));
            i += 1;
            continue;
        }
        if t.starts_with('|') {
            units.push(unit(i, i, UnitKind::Row));
            i += 1;
            continue;
        }
        // A list item or option entry: its continuation lines are indented deeper than its
        // marker, or (AsciiDoc) follow the term up to a blank line.
        if list_marker(t) || option_head(t) {
            let kind = if option_head(t) {
                UnitKind::Option
            } else {
                UnitKind::Item
            };
            let base = indent(lines[i]);
            let adoc_term = !list_marker(t);
            let mut j = i + 1;
            while j < n {
                let u = lines[j];
                let ut = u.trim();
                if ut.is_empty() {
                    // An AsciiDoc definition takes the paragraph after its term (PVE's option
                    // lists leave a blank line between them) and ends at the next blank line.
                    if adoc_term {
                        let text_seen = (i + 1..j).any(|k| !lines[k].trim().is_empty());
                        if text_seen {
                            break;
                        }
                        j += 1;
                        continue;
                    }
                    // A list item goes on when the next line is indented deeper (a second
                    // paragraph of the item).
                    if j + 1 >= n || lines[j + 1].trim().is_empty() || indent(lines[j + 1]) <= base
                    {
                        break;
                    }
                    j += 1;
                    continue;
                }
                if adoc_term {
                    if option_head(ut) || is_heading(ut) || is_adoc_delim(ut) {
                        break;
                    }
                } else if indent(u) <= base && (list_marker(ut) || !ut.is_empty()) {
                    // A sibling item, or text back at the item's indentation (a lazy
                    // continuation is taken only when it is not a new item).
                    if list_marker(ut) || indent(u) < base || is_heading(ut) || is_fence(ut) {
                        break;
                    }
                    if indent(u) == base {
                        break;
                    }
                } else if list_marker(ut) || is_fence(ut) {
                    // A nested item or a code block inside the item: its own unit.
                    break;
                }
                j += 1;
            }
            let mut last = j.saturating_sub(1).max(i);
            while last > i && lines[last].trim().is_empty() {
                last -= 1;
            }
            units.push(unit(i, last, kind));
            i = last + 1;
            continue;
        }
        // A paragraph: up to a blank line or a line that starts another kind of unit.
        let mut j = i + 1;
        while j < n {
            let u = lines[j].trim();
            if u.is_empty()
                || is_fence(u)
                || is_adoc_delim(u)
                || is_heading(u)
                || list_marker(u)
                || u.starts_with('|')
            {
                break;
            }
            j += 1;
        }
        let last = j - 1;
        if last == i && count_words(lines[i]) > LONG_LINE_WORDS {
            for (a, b) in sentences(lines[i]) {
                units.push(Unit {
                    first: i,
                    last: i,
                    kind: UnitKind::Prose,
                    part: Some((a, b)),
                });
            }
        } else {
            units.push(unit(i, last, UnitKind::Prose));
        }
        i = last + 1;
    }
    units
}

/// A line longer than this (in words) is cut into sentences.
const LONG_LINE_WORDS: usize = 60;

/// Byte ranges of the sentences of one line: a sentence ends at `.`, `!` or `?` followed by a
/// space and an upper-case letter, a digit or a markup character.
fn sentences(line: &str) -> Vec<(usize, usize)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + 2 < b.len() {
        if matches!(b[i], b'.' | b'!' | b'?')
            && b[i + 1] == b' '
            && (b[i + 2].is_ascii_uppercase()
                || b[i + 2].is_ascii_digit()
                || matches!(b[i + 2], b'`' | b'*' | b'[' | b'(' | b'"'))
            // Not an abbreviation such as "e.g. " or "i.e. ".
            && !(i >= 2 && b[i - 2] == b'.')
        {
            out.push((start, i + 1));
            start = i + 2;
            i += 2;
            continue;
        }
        i += 1;
    }
    if start < line.len() {
        out.push((start, line.len()));
    }
    out
}

/// The question's stems that occur in `text`: a word holds a stem when it is the stem, or
/// (stems of four letters or more) starts with it, a final `i` of the stem read as `y`/`ie`
/// (`polici` ← `policy`, `policies`). A cheap stand-in for stemming every passage word, which
/// took over a millisecond per search.
pub fn matching_terms(text: &str, stems: &[String]) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    if stems.is_empty() {
        return found;
    }
    let lower = text.to_lowercase();
    for word in lower.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        for s in stems {
            if found.iter().any(|f| f == s) {
                continue;
            }
            let hit = if word == s {
                true
            } else if s.chars().count() >= 4 {
                let p = if s.len() > 4 {
                    s.strip_suffix('i').unwrap_or(s)
                } else {
                    s
                };
                word.starts_with(p)
            } else {
                false
            };
            if hit {
                found.push(s.clone());
            }
        }
        if found.len() == stems.len() {
            break;
        }
    }
    found
}

/// The question, analysed: weighted terms (stemmed, as the full-text index analyses) and
/// identifiers matched verbatim (`pm_tls_insecure`, `--cluster-init`).
#[derive(Debug, Clone, Default)]
pub struct QueryTerms {
    pub terms: Vec<(String, f32)>,
    pub identifiers: Vec<(String, f32)>,
}

/// Settings of the focusing of one hit.
pub struct FocusInput<'a> {
    /// The passage's lines with their file line numbers.
    pub lines: &'a [(u32, &'a str)],
    /// File lines of the chunk the retrievers ranked best (a small bonus inside it).
    pub best: (u32, u32),
    /// Words this hit may show.
    pub budget: usize,
}

/// Score of each unit for the question. `analyze` gives a text's analysed terms.
fn score_units(
    units: &[Unit],
    lines: &[(u32, &str)],
    q: &QueryTerms,
    analyze: &dyn Fn(&str) -> Vec<String>,
    best: (u32, u32),
) -> Vec<f32> {
    units
        .iter()
        .map(|u| {
            let text = unit_text(u, lines);
            let score_of = |text: &str| -> f32 {
                let terms = analyze(text);
                q.terms
                    .iter()
                    .filter(|(t, _)| terms.iter().any(|x| x == t))
                    .map(|(_, w)| *w)
                    .sum()
            };
            let win = CODE_SCORE_WINDOW;
            let mut s: f32 = if u.kind == UnitKind::Code && u.last - u.first + 1 > win {
                // A long code block is shown around its matches: scored by its best window.
                // Each line is matched once; a window's terms are the union of its lines'.
                let per_line: Vec<Vec<String>> = lines[u.first..=u.last]
                    .iter()
                    .map(|(_, l)| analyze(l))
                    .collect();
                (0..=per_line.len() - win)
                    .map(|a| {
                        q.terms
                            .iter()
                            .filter(|(t, _)| per_line[a..a + win].iter().any(|ts| ts.contains(t)))
                            .map(|(_, w)| *w)
                            .sum::<f32>()
                    })
                    .fold(0.0, f32::max)
            } else {
                score_of(&text)
            };
            // Answers are mostly sentences: the question's words in a code example count less
            // (identifiers it names verbatim count in full, below).
            if u.kind == UnitKind::Code {
                s *= CODE_WEIGHT;
            }
            let lower = text.to_lowercase();
            s += q
                .identifiers
                .iter()
                .filter(|(id, _)| lower.contains(id.as_str()))
                .map(|(_, w)| *w)
                .sum::<f32>();
            if s > 0.0 {
                let line = lines[u.first].0;
                if line >= best.0 && line <= best.1 {
                    s *= 1.1;
                }
                if u.kind == UnitKind::Heading {
                    s *= 0.5;
                }
            }
            s
        })
        .collect()
}

fn unit_text(u: &Unit, lines: &[(u32, &str)]) -> String {
    match u.part {
        Some((a, b)) => lines[u.first].1[a..b].to_string(),
        None => lines[u.first..=u.last]
            .iter()
            .map(|(_, l)| *l)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn unit_words(u: &Unit, lines: &[(u32, &str)]) -> usize {
    count_words(&unit_text(u, lines))
}

/// Share of the best unit's score the lead paragraph of a section gets.
const LEAD_SHARE: f32 = 0.3;
/// A unit before a kept code block is shown with it when it has at most this many words.
const LEAD_IN_WORDS: usize = 40;
/// Code blocks up to this many words are shown whole; longer ones around their matches.
const SHORT_CODE_WORDS: usize = 80;
/// Lines shown on each side of a matching line in a long code block.
const CODE_CONTEXT: usize = 3;
/// A long code block scores as its best window of this many lines: what `code_window` shows
/// around a match, not every word of the block.
const CODE_SCORE_WINDOW: usize = 2 * CODE_CONTEXT + 1;
/// Weight of the question's terms inside code (an example's many names match by chance).
const CODE_WEIGHT: f32 = 0.5;
/// Share of a matching prose unit's score the next prose unit gets.
const NEXT_SHARE: f32 = 0.5;

/// A passage cut into units and scored for the question, once: the budget allocation reads its
/// best score, [`focus`] picks from it.
pub struct Prepared {
    units: Vec<Unit>,
    scores: Vec<f32>,
}

impl Prepared {
    pub fn new(input: &FocusInput, q: &QueryTerms, analyze: &dyn Fn(&str) -> Vec<String>) -> Self {
        let raw: Vec<&str> = input.lines.iter().map(|(_, l)| *l).collect();
        let units = segment(&raw);
        let scores = score_units(&units, input.lines, q, analyze, input.best);
        Prepared { units, scores }
    }

    /// How well the best unit matches the question (0: nothing matches).
    pub fn best(&self) -> f32 {
        self.scores.iter().copied().fold(0.0, f32::max)
    }
}

/// What to show of one passage for the question.
pub fn focus(input: &FocusInput, q: &QueryTerms, analyze: &dyn Fn(&str) -> Vec<String>) -> Focused {
    focus_prepared(input, &Prepared::new(input, q, analyze), q, analyze)
}

/// [`focus`] on a passage already cut and scored.
pub fn focus_prepared(
    input: &FocusInput,
    prepared: &Prepared,
    q: &QueryTerms,
    analyze: &dyn Fn(&str) -> Vec<String>,
) -> Focused {
    let lines = input.lines;
    let raw: Vec<&str> = lines.iter().map(|(_, l)| *l).collect();
    let total_words: usize = raw.iter().map(|l| count_words(l)).sum();
    // A passage within the budget is shown whole.
    if total_words <= input.budget {
        return render(lines, &whole(lines), total_words);
    }
    let units = &prepared.units;
    if units.is_empty() {
        return render(lines, &[], 0);
    }
    let mut scores = prepared.scores.clone();
    // The lead: a section's first paragraph often says what the section is for, in other
    // words than the question's. It gets a share of the best score.
    let top = scores.iter().copied().fold(0.0f32, f32::max);
    if let Some(lead) = units
        .iter()
        .position(|u| matches!(u.kind, UnitKind::Prose | UnitKind::Item | UnitKind::Option))
    {
        if lead > 0 && units[..lead].iter().all(|u| u.kind == UnitKind::Heading) {
            scores[lead] += LEAD_SHARE * top;
        }
    }
    // The text after a matching paragraph often answers it ("If you want X ..." then "do
    // Y"): the next prose unit gets a share of its score.
    {
        let base = scores.clone();
        for i in 0..units.len().saturating_sub(1) {
            let prose = |k: usize| units[k].kind == UnitKind::Prose;
            if base[i] > 0.0 && prose(i) && prose(i + 1) {
                scores[i + 1] += NEXT_SHARE * base[i];
            }
        }
    }
    // Best first; ties in passage order.
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    // (unit, kept line subset for a long code block, kept words)
    let mut kept: Vec<Shown> = Vec::new();
    let mut used = 0usize;
    for &ui in &order {
        let u = &units[ui];
        if scores[ui] <= 0.0 && !kept.is_empty() {
            break;
        }
        let words = unit_words(u, lines);
        let shown = if u.kind == UnitKind::Code && words > SHORT_CODE_WORDS {
            code_window(u, lines, q, analyze, input.budget.saturating_sub(used))
        } else {
            Shown::from_unit(u)
        };
        let mut w = shown.words(lines);
        // A code block comes with the sentence that introduces it ("for example:").
        let mut lead_in = None;
        if u.kind == UnitKind::Code && ui > 0 {
            let prev = &units[ui - 1];
            let pw = unit_words(prev, lines);
            let taken = kept
                .iter()
                .any(|k| k.first == prev.first && k.part == prev.part);
            if matches!(
                prev.kind,
                UnitKind::Prose | UnitKind::Item | UnitKind::Option
            ) && pw <= LEAD_IN_WORDS
                && !taken
                && used + w + pw <= input.budget
            {
                lead_in = Some(Shown::from_unit(prev));
                w += pw;
            }
        }
        if used + w > input.budget {
            if kept.is_empty() {
                // The best unit alone is larger than the budget: show as much of it as fits.
                kept.push(shown.truncated(lines, input.budget));
                break;
            }
            continue;
        }
        used += w;
        kept.push(shown);
        kept.extend(lead_in);
        if used >= input.budget {
            break;
        }
    }
    // Nothing matched at all: the beginning of the passage.
    if kept.iter().all(|s| s.words(lines) == 0) {
        kept = vec![Shown::from_unit(&units[0]).truncated(lines, input.budget)];
    }
    // A kept option entry or list item nested in a parent item gets the parent's first line
    // as context when it is not shown already and the budget allows.
    let words: usize = kept.iter().map(|s| s.words(lines)).sum();
    let mut extra = Vec::new();
    let mut spare = input.budget.saturating_sub(words);
    for s in &kept {
        if let Some(parent) = parent_line(&raw, s.first) {
            let w = count_words(raw[parent]);
            if w <= spare
                && !kept.iter().any(|k| k.covers(parent))
                && !extra.iter().any(|e: &Shown| e.covers(parent))
            {
                spare -= w;
                extra.push(Shown::line(parent));
            }
        }
    }
    kept.extend(extra);
    kept.sort_by_key(|s| (s.first, s.part.map(|p| p.0).unwrap_or(0)));
    let words = kept.iter().map(|s| s.words(lines)).sum();
    render(lines, &kept, words)
}

/// A piece of the passage that is shown: lines `first..=last`, or part of line `first`.
#[derive(Debug, Clone)]
struct Shown {
    first: usize,
    last: usize,
    part: Option<(usize, usize)>,
    /// For a long code block: only these line indexes (plus the fences).
    only: Option<Vec<usize>>,
}

impl Shown {
    fn from_unit(u: &Unit) -> Self {
        Shown {
            first: u.first,
            last: u.last,
            part: u.part,
            only: None,
        }
    }
    fn line(i: usize) -> Self {
        Shown {
            first: i,
            last: i,
            part: None,
            only: None,
        }
    }
    fn covers(&self, i: usize) -> bool {
        i >= self.first && i <= self.last && self.part.is_none()
    }
    fn line_indexes(&self) -> Vec<usize> {
        match &self.only {
            Some(v) => v.clone(),
            None => (self.first..=self.last).collect(),
        }
    }
    fn words(&self, lines: &[(u32, &str)]) -> usize {
        match self.part {
            Some((a, b)) => count_words(&lines[self.first].1[a..b]),
            None => self
                .line_indexes()
                .iter()
                .map(|&i| count_words(lines[i].1))
                .sum(),
        }
    }
    /// At most `budget` words of it, whole lines first (a single long line is cut at a word).
    fn truncated(mut self, lines: &[(u32, &str)], budget: usize) -> Self {
        if self.words(lines) <= budget {
            return self;
        }
        if let Some((a, b)) = self.part {
            let cut = word_cut(&lines[self.first].1[a..b], budget);
            self.part = Some((a, a + cut));
            return self;
        }
        let mut keep = Vec::new();
        let mut used = 0;
        for i in self.line_indexes() {
            let w = count_words(lines[i].1);
            if used + w > budget {
                if keep.is_empty() {
                    let cut = word_cut(lines[i].1, budget);
                    return Shown {
                        first: i,
                        last: i,
                        part: Some((0, cut)),
                        only: None,
                    };
                }
                break;
            }
            used += w;
            keep.push(i);
        }
        self.last = *keep.last().unwrap_or(&self.first);
        self.only = Some(keep);
        self
    }
}

/// Byte length of the first `n` words of `s`.
fn word_cut(s: &str, n: usize) -> usize {
    let mut count = 0;
    let mut in_word = false;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            if in_word {
                count += 1;
                if count == n {
                    return i;
                }
            }
            in_word = false;
        } else {
            in_word = true;
        }
    }
    s.len()
}

/// The line of the list item that `i`'s item is nested in, if any.
fn parent_line(raw: &[&str], i: usize) -> Option<usize> {
    let t = raw[i].trim_start();
    if !list_marker(t) {
        return None;
    }
    let ind = indent(raw[i]);
    if ind == 0 {
        return None;
    }
    (0..i).rev().find(|&j| {
        let u = raw[j].trim_start();
        list_marker(u) && indent(raw[j]) < ind
    })
}

/// The lines of a long code block worth showing: its fences, and each matching line with
/// `CODE_CONTEXT` lines around it, within `budget` words (at least the best match).
fn code_window(
    u: &Unit,
    lines: &[(u32, &str)],
    q: &QueryTerms,
    analyze: &dyn Fn(&str) -> Vec<String>,
    budget: usize,
) -> Shown {
    let mut hits: Vec<(f32, usize)> = (u.first..=u.last)
        .map(|i| {
            let terms = analyze(lines[i].1);
            let lower = lines[i].1.to_lowercase();
            let s: f32 = q
                .terms
                .iter()
                .filter(|(t, _)| terms.contains(t))
                .map(|(_, w)| *w)
                .sum::<f32>()
                + q.identifiers
                    .iter()
                    .filter(|(id, _)| lower.contains(id.as_str()))
                    .map(|(_, w)| *w)
                    .sum::<f32>();
            (s, i)
        })
        .filter(|(s, _)| *s > 0.0)
        .collect();
    hits.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut keep: std::collections::BTreeSet<usize> = [u.first, u.last].into_iter().collect();
    let words = |k: &std::collections::BTreeSet<usize>| -> usize {
        k.iter().map(|&i| count_words(lines[i].1)).sum()
    };
    if hits.is_empty() {
        // No match inside: its first lines.
        for i in u.first..=u.last.min(u.first + 2 * CODE_CONTEXT) {
            keep.insert(i);
        }
    }
    for (n, (_, i)) in hits.iter().enumerate() {
        let mut trial = keep.clone();
        for j in i.saturating_sub(CODE_CONTEXT).max(u.first)..=(i + CODE_CONTEXT).min(u.last) {
            trial.insert(j);
        }
        if n > 0 && words(&trial) > budget {
            break;
        }
        keep = trial;
    }
    Shown {
        first: u.first,
        last: u.last,
        part: None,
        only: Some(keep.into_iter().collect()),
    }
}

fn whole(lines: &[(u32, &str)]) -> Vec<Shown> {
    if lines.is_empty() {
        return Vec::new();
    }
    vec![Shown {
        first: 0,
        last: lines.len() - 1,
        part: None,
        only: None,
    }]
}

/// Join the shown pieces in passage order, with `…` where lines were left out.
fn render(lines: &[(u32, &str)], shown: &[Shown], words: usize) -> Focused {
    let mut text = String::new();
    let mut ranges: Vec<[u32; 2]> = Vec::new();
    let mut prev: Option<usize> = None;
    let mut elided = false;
    let mut emitted = std::collections::BTreeSet::new();
    for s in shown {
        if let Some((a, b)) = s.part {
            let line = lines[s.first].1;
            let cut_before = a > 0;
            let cut_after = b < line.len();
            let gap = prev.is_some_and(|p| s.first > p + 1) || (prev.is_none() && s.first > 0);
            if gap {
                push_elision(&mut text);
                elided = true;
            }
            let continuing = prev == Some(s.first) && text.ends_with(' ');
            if cut_before && !continuing {
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                }
                text.push_str("… ");
                elided = true;
            }
            text.push_str(line[a..b].trim());
            if cut_after {
                text.push(' ');
            } else {
                text.push('\n');
            }
            add_range(&mut ranges, lines[s.first].0);
            prev = Some(s.first);
            continue;
        }
        for i in s.line_indexes() {
            if !emitted.insert(i) {
                continue;
            }
            if !text.is_empty() && !text.ends_with('\n') {
                text.push_str("…\n");
                elided = true;
            }
            let gap = match prev {
                Some(p) => i > p + 1,
                None => i > 0,
            };
            if gap && !only_blank(lines, prev.map(|p| p + 1).unwrap_or(0), i) {
                push_elision(&mut text);
                elided = true;
            }
            // Lines the chunker left out are empty: one empty line stands for a run of them.
            let repeated_blank =
                lines[i].1.trim().is_empty() && (text.is_empty() || text.ends_with("\n\n"));
            if !repeated_blank {
                text.push_str(lines[i].1);
                text.push('\n');
            }
            add_range(&mut ranges, lines[i].0);
            prev = Some(i);
        }
    }
    if let Some(p) = prev {
        if p + 1 < lines.len() && !only_blank(lines, p + 1, lines.len()) {
            elided = true;
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str("…\n");
        }
    }
    Focused {
        text: text.trim_end().to_string(),
        lines: ranges,
        words,
        elided,
    }
}

fn only_blank(lines: &[(u32, &str)], from: usize, to: usize) -> bool {
    lines[from.min(lines.len())..to.min(lines.len())]
        .iter()
        .all(|(_, l)| l.trim().is_empty())
}

fn push_elision(text: &mut String) {
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("…\n");
}

fn add_range(ranges: &mut Vec<[u32; 2]>, line: u32) {
    if let Some(last) = ranges.last_mut() {
        if line == last[1] || line == last[1] + 1 {
            last[1] = line;
            return;
        }
    }
    ranges.push([line, line]);
}

/// Share of the total budget for each hit: proportional to its weight, at least a tenth of an
/// even share, and never more than its passage needs; what a short passage does not use goes
/// to the others.
pub fn allocate(budget: usize, scores: &[f32], needs: &[usize]) -> Vec<usize> {
    let n = scores.len();
    let mut out = vec![0usize; n];
    if n == 0 {
        return out;
    }
    let mut open: Vec<usize> = (0..n).collect();
    let mut left = budget;
    // A few rounds: give each open hit its share; hits that need less keep what they need and
    // leave the rest to the next round.
    for _ in 0..n {
        if open.is_empty() || left == 0 {
            break;
        }
        let floor = 0.1 / open.len() as f32;
        let total: f32 = open.iter().map(|&i| scores[i].max(0.0)).sum();
        let weights: Vec<f32> = open
            .iter()
            .map(|&i| {
                let w = if total > 0.0 {
                    scores[i].max(0.0) / total
                } else {
                    1.0 / open.len() as f32
                };
                w.max(floor)
            })
            .collect();
        let wsum: f32 = weights.iter().sum();
        let mut satisfied = Vec::new();
        let mut given = 0usize;
        for (k, &i) in open.iter().enumerate() {
            let share = ((weights[k] / wsum) * left as f32).floor() as usize;
            let want = needs[i].saturating_sub(out[i]);
            if want <= share {
                out[i] += want;
                given += want;
                satisfied.push(i);
            }
        }
        if satisfied.is_empty() {
            // Everyone needs more than their share: hand out the shares and stop.
            for (k, &i) in open.iter().enumerate() {
                let share = ((weights[k] / wsum) * left as f32).floor() as usize;
                out[i] += share;
            }
            break;
        }
        left -= given;
        open.retain(|i| !satisfied.contains(i));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyze(t: &str) -> Vec<String> {
        t.split(|c: char| !c.is_alphanumeric() && c != '_')
            .filter(|w| !w.is_empty())
            .map(|w| w.to_lowercase())
            .collect()
    }

    fn q(words: &[&str]) -> QueryTerms {
        QueryTerms {
            terms: words.iter().map(|w| (w.to_string(), 1.0)).collect(),
            identifiers: Vec::new(),
        }
    }

    fn numbered(text: &str) -> Vec<(u32, &str)> {
        text.lines()
            .enumerate()
            .map(|(i, l)| (i as u32 + 10, l))
            .collect()
    }

    /// The sentence after the one that states the question's situation is the answer, though
    /// it shares no word with the question.
    #[test]
    fn the_paragraph_after_a_matching_one_comes_with_it() {
        let mut doc = String::from("Source NAT Example\n~~~~~~~~~~~~~~~~~~\n\n");
        doc.push_str("If you want to allow outgoing connections for guests in the simple zone\nthe zone offers a Source NAT option.\n\n");
        doc.push_str("Add a subnet to the VNet, set a gateway IP and enable SNAT.\n\n");
        for i in 0..12 {
            doc.push_str(&format!(
                "Filler paragraph {i} about something else entirely, with several words in it.\n\n"
            ));
        }
        doc.push_str("Guests in other zones are not affected by this.\n");
        let lines = numbered(&doc);
        let f = focus(
            &FocusInput {
                lines: &lines,
                best: (0, 0),
                budget: 40,
            },
            &q(&["guests", "zone", "outgoing"]),
            &analyze,
        );
        assert!(
            f.text.contains("enable SNAT"),
            "the answer after the matching paragraph: {}",
            f.text
        );
        assert!(f.words <= 40, "{}", f.words);
    }

    /// An example whose many names happen to hold the question's words does not crowd out the
    /// sentence that answers it.
    #[test]
    fn a_sentence_beats_a_code_example_that_matches_by_chance() {
        let mut doc = String::from("## Guest agent\n\n");
        doc.push_str("Many cloud images do not have the guest agent installed, so the addresses\nstay empty until you install it.\n\n");
        for i in 0..8 {
            doc.push_str(&format!(
                "Filler paragraph {i} about something else entirely, with several words in it.\n\n"
            ));
        }
        doc.push_str("```hcl\nresource \"vm\" \"ubuntu\" {\n  cloud = \"ubuntu\"\n");
        for i in 0..20 {
            doc.push_str(&format!("  setting_{i} = {i}\n"));
        }
        doc.push_str("  image = \"noble\"\n  empty = false\n");
        for i in 20..30 {
            doc.push_str(&format!("  setting_{i} = {i}\n"));
        }
        doc.push_str("}\noutput \"addresses\" {\n  value = vm.ubuntu.addresses\n}\n```\n");
        let lines = numbered(&doc);
        let f = focus(
            &FocusInput {
                lines: &lines,
                best: (0, 0),
                budget: 30,
            },
            &q(&["addresses", "empty", "ubuntu", "cloud", "image"]),
            &analyze,
        );
        assert!(f.text.contains("do not have the guest agent"), "{}", f.text);
    }

    #[test]
    fn stems_match_their_words() {
        let stems: Vec<String> = ["control", "polici", "node", "vm"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let m = matching_terms("RAID Controllers and a policy for VMs on nodes", &stems);
        assert_eq!(m, ["control", "polici", "node"]);
        assert_eq!(matching_terms("the vm", &stems), ["vm"]);
        assert!(matching_terms("nothing here", &stems).is_empty());
    }

    #[test]
    fn option_entry_is_shown_whole() {
        let mut doc = String::from("## Argument Reference\n\n");
        for i in 0..30 {
            doc.push_str(&format!(
                "- `arg{i}` - (Optional) Filler text about setting number {i} that says little.\n"
            ));
        }
        doc.push_str("- `tls_insecure` - (Optional) Whether to skip the TLS verification step.\n    Defaults to `false`. Use it only in a lab.\n");
        for i in 30..40 {
            doc.push_str(&format!(
                "- `arg{i}` - (Optional) More filler about setting {i}.\n"
            ));
        }
        let lines = numbered(&doc);
        let f = focus(
            &FocusInput {
                lines: &lines,
                best: (0, 0),
                budget: 40,
            },
            &q(&["tls", "verification"]),
            &analyze,
        );
        assert!(f.text.contains("- `tls_insecure` - (Optional) Whether to skip the TLS verification step.\n    Defaults to `false`. Use it only in a lab."), "{}", f.text);
        assert!(f.words <= 40, "{}", f.words);
        assert!(f.elided);
        // The entry's two lines, and at most the section's lead entry besides.
        assert!(f.lines.contains(&[10 + 32, 10 + 33]), "{:?}", f.lines);
        assert!(f.lines.len() <= 2, "{:?}", f.lines);
        assert!(f.text.contains("…\n- `tls_insecure`"), "{}", f.text);
    }

    #[test]
    fn long_code_block_is_cut_around_the_match() {
        let mut doc = String::from("Example:\n\n```hcl\n");
        for i in 0..60 {
            doc.push_str(&format!("  setting_{i} = \"value {i}\"\n"));
        }
        doc.push_str("  cluster_init = true\n");
        for i in 60..80 {
            doc.push_str(&format!("  setting_{i} = \"value {i}\"\n"));
        }
        doc.push_str("```\n");
        let lines = numbered(&doc);
        let f = focus(
            &FocusInput {
                lines: &lines,
                best: (0, 0),
                budget: 60,
            },
            &q(&["cluster_init"]),
            &analyze,
        );
        assert!(f.text.contains("```hcl"), "{}", f.text);
        assert!(f.text.contains("cluster_init = true"), "{}", f.text);
        assert!(
            f.text.contains("setting_57") && f.text.contains("setting_62"),
            "{}",
            f.text
        );
        assert!(!f.text.contains("setting_10 "), "{}", f.text);
        assert!(f.text.trim_end().ends_with("```"), "{}", f.text);
        assert!(f.text.contains("…"));
        assert!(f.words <= 60);
    }

    #[test]
    fn short_code_block_is_shown_whole() {
        let doc = "Some prose about nothing in particular, repeated a few times to take space in the passage here.\n\n```sh\ncurl -sfL https://get.k3s.io | sh -s - server --cluster-init\nk3s kubectl get nodes\n```\n\nMore prose about other things that do not matter to the question at all.\n";
        let lines = numbered(doc);
        let f = focus(
            &FocusInput {
                lines: &lines,
                best: (0, 0),
                budget: 20,
            },
            &QueryTerms {
                terms: vec![],
                identifiers: vec![("--cluster-init".into(), 2.0)],
            },
            &analyze,
        );
        assert_eq!(
            f.text,
            "…\n```sh\ncurl -sfL https://get.k3s.io | sh -s - server --cluster-init\nk3s kubectl get nodes\n```\n…"
        );
    }

    #[test]
    fn long_line_is_cut_to_its_sentences() {
        let mut line = String::new();
        for i in 0..12 {
            line.push_str(&format!(
                "Sentence number {i} talks about unrelated storage matters here. "
            ));
        }
        line.push_str("The snapshot mode gives the lowest downtime of all modes. ");
        for i in 12..20 {
            line.push_str(&format!(
                "Sentence number {i} talks about other network matters here. "
            ));
        }
        let lines = vec![(5u32, line.as_str())];
        let f = focus(
            &FocusInput {
                lines: &lines,
                best: (5, 5),
                budget: 25,
            },
            &q(&["snapshot", "downtime"]),
            &analyze,
        );
        assert!(
            f.text
                .contains("The snapshot mode gives the lowest downtime of all modes."),
            "{}",
            f.text
        );
        assert!(f.words <= 25);
        assert_eq!(f.lines, vec![[5, 5]]);
    }

    #[test]
    fn passage_within_budget_is_whole() {
        let doc = "# Title\n\nOne short paragraph.\n";
        let lines = numbered(doc);
        let f = focus(
            &FocusInput {
                lines: &lines,
                best: (0, 0),
                budget: 100,
            },
            &q(&["nothing"]),
            &analyze,
        );
        assert_eq!(f.text, "# Title\n\nOne short paragraph.");
        assert!(!f.elided);
        assert_eq!(f.lines, vec![[10, 12]]);
    }

    #[test]
    fn budget_goes_by_score_and_unused_words_move_on() {
        let a = allocate(600, &[3.0, 1.0, 1.0], &[1000, 1000, 1000]);
        assert!(a[0] > a[1] && a[1] == a[2], "{a:?}");
        assert!(a.iter().sum::<usize>() <= 600);
        // A short first passage leaves its words to the others.
        let b = allocate(600, &[3.0, 1.0, 1.0], &[50, 1000, 1000]);
        assert_eq!(b[0], 50);
        assert!(b[1] + b[2] >= 540, "{b:?}");
        assert_eq!(allocate(100, &[], &[]), Vec::<usize>::new());
    }

    #[test]
    fn segments_adoc_definitions_and_tables() {
        let raw = vec![
            "`cores`: `<integer> (1 - N)` ('default =' `1`)::",
            "",
            "The number of cores per socket.",
            "",
            "|===",
            "| a | b",
            "|===",
        ];
        let units = segment(&raw);
        assert_eq!(units[0].kind, UnitKind::Option);
        // The definition's text belongs to it.
        assert_eq!((units[0].first, units[0].last), (0, 2));
        assert!(units
            .iter()
            .any(|u| u.kind == UnitKind::Row && u.first == 5));
    }
}
