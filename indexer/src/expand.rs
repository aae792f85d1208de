//! Query expansion with a domain glossary: an operator's words ("stop managing a VM", "VIP",
//! "pods on the masters") mapped to the words the documentation uses (`state rm`, "virtual
//! IP", "taint"). The glossary is our own text, `corpus/glossary.toml`, compiled in.
//!
//! Matching is on stemmed words, so "managing", "managed" and "manage" all match `manage`. A
//! trigger of several words matches when they occur in the question in order, with at most a
//! few other words between them. Expansion terms are added to the BM25 query at a lower weight
//! than the question's own terms; they never replace them.
use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;

use crate::error::{Error, Result};

/// The glossary shipped with Provisio.
pub const GLOSSARY_TOML: &str = include_str!("../../corpus/glossary.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    same: Vec<Same>,
    #[serde(default)]
    expand: Vec<Expand>,
}

/// Interchangeable names: any one in a question adds the others.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Same {
    terms: Vec<String>,
}

/// One-way: operator phrasing (`when`) adds documentation words (`add`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expand {
    when: Vec<String>,
    add: Vec<String>,
}

/// A trigger and what it adds, both as written (analysed at match time).
#[derive(Debug, Clone)]
struct Rule {
    when: String,
    add: Vec<String>,
}

/// The parsed glossary.
#[derive(Debug, Clone, Default)]
pub struct Glossary {
    rules: Vec<Rule>,
}

/// What a question was expanded with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expansion {
    /// The glossary phrases that matched, as written in the glossary.
    pub matched: Vec<String>,
    /// The phrases added to the query, as written in the glossary.
    pub added: Vec<String>,
}

impl Expansion {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
    }
}

impl Glossary {
    /// Parse a glossary; errors name the entry and the field.
    pub fn parse(toml_text: &str) -> Result<Self> {
        let f: File = toml::from_str(toml_text).map_err(|e| Error::Glossary(e.to_string()))?;
        let mut rules = Vec::new();
        for (i, s) in f.same.iter().enumerate() {
            if s.terms.len() < 2 || s.terms.iter().any(|t| t.trim().is_empty()) {
                return Err(Error::Glossary(format!(
                    "same[{i}].terms needs two or more non-empty names"
                )));
            }
            for t in &s.terms {
                rules.push(Rule {
                    when: t.clone(),
                    add: s.terms.iter().filter(|o| *o != t).cloned().collect(),
                });
            }
        }
        for (i, e) in f.expand.iter().enumerate() {
            if e.when.is_empty() || e.add.is_empty() {
                return Err(Error::Glossary(format!(
                    "expand[{i}] needs at least one `when` phrase and one `add` phrase"
                )));
            }
            if let Some(w) = e.when.iter().chain(&e.add).find(|w| w.trim().is_empty()) {
                return Err(Error::Glossary(format!(
                    "expand[{i}] has an empty phrase `{w}`"
                )));
            }
            for w in &e.when {
                rules.push(Rule {
                    when: w.clone(),
                    add: e.add.clone(),
                });
            }
        }
        Ok(Glossary { rules })
    }

    /// The glossary compiled into Provisio.
    pub fn builtin() -> Self {
        // The shipped file is parsed by a unit test, so this cannot fail in a release.
        Self::parse(GLOSSARY_TOML).unwrap_or_default()
    }

    /// The glossary in the file `PROVISIO_GLOSSARY` names (a site's own vocabulary: copy
    /// `corpus/glossary.toml` and add to it), else the built-in one.
    pub fn from_env() -> Result<Self> {
        match std::env::var_os("PROVISIO_GLOSSARY").filter(|p| !p.is_empty()) {
            Some(p) => {
                let path = std::path::PathBuf::from(p);
                let text = std::fs::read_to_string(&path).map_err(crate::error::io(&path))?;
                Self::parse(&text).map_err(|e| {
                    Error::Glossary(format!("{} (PROVISIO_GLOSSARY={})", e, path.display()))
                })
            }
            None => Ok(Self::builtin()),
        }
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Expand one question (prepares the glossary each time: use [`Glossary::prepare`] for
    /// many).
    pub fn expand(&self, question: &str, words: &dyn Fn(&str) -> Vec<String>) -> Expansion {
        self.prepare(words).expand(question, words)
    }

    /// Analyse every phrase once. `words` turns text into its words as the full-text index
    /// stems them (lower-cased, stemmed, in order, stop words kept), so triggers match however
    /// a question inflects them.
    pub fn prepare(&self, words: &dyn Fn(&str) -> Vec<String>) -> Prepared {
        let mut p = Prepared::default();
        for (i, r) in self.rules.iter().enumerate() {
            let written = r.when.starts_with('-') || r.when.contains(['_', '/', '=']);
            let when_words = if written { Vec::new() } else { words(&r.when) };
            match (written, when_words.first()) {
                (true, _) => p.written.push(i),
                (false, Some(first)) => p.by_first.entry(first.clone()).or_default().push(i),
                (false, None) => {}
            }
            p.rules.push(PreparedRule {
                when: r.when.clone(),
                when_lower: r.when.to_lowercase(),
                when_words,
                add: r.add.iter().map(|a| (a.clone(), words(a))).collect(),
            });
        }
        p
    }
}

/// A glossary with its phrases analysed, indexed by a trigger's first word.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    rules: Vec<PreparedRule>,
    /// First analysed word of a trigger → rules.
    by_first: HashMap<String, Vec<usize>>,
    /// Rules whose trigger must be in the question as written (`--disable`, `vm_id`).
    written: Vec<usize>,
}

#[derive(Debug, Clone)]
struct PreparedRule {
    when: String,
    when_lower: String,
    when_words: Vec<String>,
    add: Vec<(String, Vec<String>)>,
}

impl Prepared {
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Expand a question; `words` must be the analyser the glossary was prepared with.
    pub fn expand(&self, question: &str, words: &dyn Fn(&str) -> Vec<String>) -> Expansion {
        let mut out = Expansion::default();
        if self.rules.is_empty() {
            return out;
        }
        let q = words(question);
        let lower = question.to_lowercase();
        let mut candidates: BTreeSet<usize> = BTreeSet::new();
        for w in &q {
            if let Some(rs) = self.by_first.get(w) {
                candidates.extend(rs);
            }
        }
        for &i in &self.written {
            // An option or a path: the written form must be there.
            if contains_word(&lower, &self.rules[i].when_lower) {
                candidates.insert(i);
            }
        }
        for i in candidates {
            let r = &self.rules[i];
            if !r.when_words.is_empty() && !phrase_in(&q, &r.when_words) {
                continue;
            }
            if !out.matched.contains(&r.when) {
                out.matched.push(r.when.clone());
            }
            for (a, aw) in &r.add {
                // Nothing the question already says.
                if phrase_in(&q, aw) && !a.contains(['_', '.', '/', '=']) {
                    continue;
                }
                if !out.added.contains(a) {
                    out.added.push(a.clone());
                }
            }
        }
        out
    }
}

/// Words a trigger's consecutive words may have between them in the question ("pods
/// schedulable on my masters" matches `pods on masters`).
const MAX_GAP: usize = 3;

/// `phrase` occurs in `q` in order, with at most [`MAX_GAP`] other words between neighbours.
fn phrase_in(q: &[String], phrase: &[String]) -> bool {
    let Some((first, rest)) = phrase.split_first() else {
        return false;
    };
    'start: for s in (0..q.len()).filter(|&i| q[i] == *first) {
        let mut at = s;
        for t in rest {
            let end = (at + 2 + MAX_GAP).min(q.len());
            match (at + 1..end).find(|&j| q[j] == *t) {
                Some(j) => at = j,
                None => continue 'start,
            }
        }
        return true;
    }
    false
}

/// `needle` occurs in `hay` with no word character on either side.
fn contains_word(hay: &str, needle: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    hay.match_indices(needle).any(|(i, m)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + m.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A crude stemmer for unit tests: lower-case words in order, a trailing `ing`/`ed`/`s`
    /// cut.
    fn analyze(t: &str) -> Vec<String> {
        t.to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut s = w.to_string();
                for suf in ["ing", "ed", "s"] {
                    if s.len() > suf.len() + 2 && s.ends_with(suf) {
                        s.truncate(s.len() - suf.len());
                        break;
                    }
                }
                s
            })
            .collect()
    }

    #[test]
    fn the_shipped_glossary_parses() {
        let g = Glossary::parse(GLOSSARY_TOML).expect("corpus/glossary.toml");
        assert!(g.len() > 100, "{} rules", g.len());
    }

    #[test]
    fn triggers_match_inflected_words_in_order_with_small_gaps() {
        let g = Glossary::parse(
            r#"
            [[expand]]
            when = ["stop managed"]
            add = ["state rm", "forget"]
            [[same]]
            terms = ["vip", "virtual ip"]
            "#,
        )
        .expect("glossary");
        let e = g.expand("How do I make tofu stop managing a VM?", &analyze);
        assert_eq!(e.added, vec!["state rm", "forget"]);
        let e = g.expand("stop Terraform from managing it", &analyze);
        assert_eq!(e.added, vec!["state rm", "forget"]);
        // Out of order, or too far apart: no match.
        assert!(g.expand("managing it, then stop", &analyze).is_empty());
        assert!(g
            .expand("stop the VM on node two, which tofu is managing", &analyze)
            .is_empty());
        let e = g.expand("the old VIP still answers", &analyze);
        assert_eq!(e.added, vec!["virtual ip"]);
        assert_eq!(e.matched, vec!["vip"]);
        let e = g.expand("which virtual IP does the API server use", &analyze);
        assert_eq!(e.added, vec!["vip"]);
        assert!(g.expand("start the VM", &analyze).is_empty());
    }

    #[test]
    fn nothing_the_question_already_says_is_added() {
        let g = Glossary::parse(
            r#"
            [[same]]
            terms = ["ha", "high availability"]
            "#,
        )
        .expect("glossary");
        let e = g.expand("HA, that is high availability groups", &analyze);
        assert!(e.added.is_empty(), "{e:?}");
    }

    #[test]
    fn punctuated_triggers_need_the_written_form() {
        let g = Glossary::parse(
            r#"
            [[expand]]
            when = ["--disable"]
            add = ["packaged components"]
            "#,
        )
        .expect("glossary");
        assert!(g.expand("disable the VM", &analyze).is_empty());
        assert_eq!(
            g.expand("k3s server --disable traefik", &analyze).added,
            vec!["packaged components"]
        );
    }

    #[test]
    fn bad_glossaries_name_the_entry() {
        let e = Glossary::parse("[[same]]\nterms = [\"x\"]\n").expect_err("invalid");
        assert!(e.to_string().contains("same[0].terms"), "{e}");
        let e = Glossary::parse("[[expand]]\nwhen = [\"x\"]\nadd = []\n").expect_err("invalid");
        assert!(e.to_string().contains("expand[0]"), "{e}");
        let e = Glossary::parse("[[expand]]\nwhen = [\"x\"]\nadd = [\"y\"]\nextra = 1\n")
            .expect_err("invalid");
        assert!(e.to_string().contains("extra"), "{e}");
    }
}
