//! The full-text side: a tantivy index with BM25 over three fields: `title` (heading path and
//! file name, stemmed), `body` (stemmed English, stop words removed) and `ident` (identifiers
//! kept whole, see [`crate::text::identifiers`]) so `pm_tls_insecure` or `--cluster-init` match
//! exactly. Queries are built programmatically (no query syntax: a `-` in `--cluster-init` is
//! not a negation), with per-field boosts and optional source/kind filters.
use std::path::Path;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
    TokenStream, WhitespaceTokenizer,
};
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, Term};

use crate::chunk::Chunk;
use crate::error::Result;
use crate::text::identifiers;

const STEM: &str = "provisio_en";
const IDENT: &str = "provisio_ident";

/// Field boosts (tuned on the dev questions; see the README's retrieval table).
#[derive(Debug, Clone, Copy)]
pub struct Boosts {
    pub title: f32,
    pub body: f32,
    pub ident: f32,
    /// Weight of a glossary expansion term relative to a question term (0: no expansion).
    pub expansion: f32,
}

impl Default for Boosts {
    fn default() -> Self {
        Boosts {
            title: 0.5,
            body: 1.0,
            ident: 1.0,
            expansion: 0.5,
        }
    }
}

impl Boosts {
    /// Defaults, overridden by `PROVISIO_BM25_BOOSTS=title,body,ident` and
    /// `PROVISIO_EXPANSION_WEIGHT` (for tuning runs).
    pub fn from_env() -> Self {
        let mut b = Boosts::default();
        if let Ok(v) = std::env::var("PROVISIO_BM25_BOOSTS") {
            let xs: Vec<f32> = v.split(',').filter_map(|x| x.trim().parse().ok()).collect();
            if let [t, bo, i] = xs[..] {
                b.title = t;
                b.body = bo;
                b.ident = i;
            }
        }
        if let Some(w) = std::env::var("PROVISIO_EXPANSION_WEIGHT")
            .ok()
            .and_then(|v| v.trim().parse().ok())
        {
            b.expansion = w;
        }
        b
    }
}

#[derive(Clone, Copy)]
struct Fields {
    ord: Field,
    source: Field,
    kind: Field,
    title: Field,
    body: Field,
    ident: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |name: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(name)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let ord = b.add_u64_field("ord", INDEXED | STORED | FAST);
    let source = b.add_text_field("source", STRING);
    let kind = b.add_text_field("kind", STRING);
    let title = b.add_text_field("title", text(STEM));
    let body = b.add_text_field("body", text(STEM));
    let ident = b.add_text_field("ident", text(IDENT));
    (
        b.build(),
        Fields {
            ord,
            source,
            kind,
            title,
            body,
            ident,
        },
    )
}

fn stem_analyzer() -> TextAnalyzer {
    let b = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser);
    match StopWordFilter::new(Language::English) {
        Some(sw) => b.filter(sw).filter(Stemmer::new(Language::English)).build(),
        None => b.filter(Stemmer::new(Language::English)).build(),
    }
}

/// The stemmer without the stop-word filter, for glossary phrases (word order and small words
/// matter there).
fn word_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::English))
        .build()
}

fn ident_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WhitespaceTokenizer::default())
        .filter(LowerCaser)
        .build()
}

fn register(index: &Index) {
    index.tokenizers().register(STEM, stem_analyzer());
    index.tokenizers().register(IDENT, ident_analyzer());
}

/// A built, searchable full-text index.
pub struct LexicalIndex {
    reader: IndexReader,
    fields: Fields,
    stem: TextAnalyzer,
    words: TextAnalyzer,
    pub boosts: Boosts,
}

/// Build the index for `chunks` (ordinal = position) in `dir`.
pub fn build(dir: &Path, chunks: &[Chunk]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(crate::error::io(dir))?;
    let (schema, f) = schema();
    let index = Index::create_in_dir(dir, schema)?;
    register(&index);
    let mut writer: IndexWriter = index.writer_with_num_threads(1, 64 * 1024 * 1024)?;
    for (i, c) in chunks.iter().enumerate() {
        let file = c.path.rsplit('/').next().unwrap_or("");
        let title = format!(
            "{} {}",
            c.heading_path.join(" "),
            file.replace(['_', '-', '.'], " ")
        );
        let mut ids = identifiers(&c.search_text);
        for h in &c.heading_path {
            ids.extend(identifiers(h));
        }
        writer.add_document(doc!(
            f.ord => i as u64,
            f.source => c.source.as_str(),
            f.kind => c.kind.as_str(),
            f.title => title,
            f.body => c.search_text.as_str(),
            f.ident => ids.join(" "),
        ))?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(())
}

impl LexicalIndex {
    pub fn open(dir: &Path) -> Result<Self> {
        let index = Index::open_in_dir(dir)?;
        register(&index);
        let (_, fields) = schema();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            reader,
            fields,
            stem: stem_analyzer(),
            words: word_analyzer(),
            boosts: Boosts::from_env(),
        })
    }

    /// Distinct analysed (lower-cased, stop-word-free, stemmed) terms of `text`.
    pub fn analyze(&self, text: &str) -> Vec<String> {
        let mut a = self.stem.clone();
        let mut ts = a.token_stream(text);
        let mut out: Vec<String> = Vec::new();
        while ts.advance() {
            let t = ts.token().text.clone();
            if !out.contains(&t) {
                out.push(t);
            }
        }
        out
    }

    /// The stemmed words of `text` in order, stop words kept (for glossary matching).
    pub fn words(&self, text: &str) -> Vec<String> {
        let mut a = self.words.clone();
        let mut ts = a.token_stream(text);
        let mut out = Vec::new();
        while ts.advance() {
            out.push(ts.token().text.clone());
        }
        out
    }

    /// The BM25 query for a user question, with optional filters. `expansion` (glossary
    /// phrases, see [`crate::expand`]) adds terms at `expansion_weight` of a question term's
    /// weight; a term the question has is not added again.
    pub fn query(
        &self,
        text: &str,
        expansion: &[String],
        sources: &[String],
        kinds: &[String],
    ) -> Option<Box<dyn Query>> {
        let f = self.fields;
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut terms: Vec<(String, f32)> =
            self.analyze(text).into_iter().map(|t| (t, 1.0)).collect();
        let mut ids: Vec<(String, f32)> = Vec::new();
        for id in identifiers(text) {
            if !ids.iter().any(|(i, _)| *i == id) {
                ids.push((id, 1.0));
            }
        }
        let w = self.boosts.expansion;
        if w > 0.0 {
            for phrase in expansion {
                for t in self.analyze(phrase) {
                    if !terms.iter().any(|(x, _)| *x == t) {
                        terms.push((t, w));
                    }
                }
                for id in identifiers(phrase) {
                    if !ids.iter().any(|(i, _)| *i == id) {
                        ids.push((id, w));
                    }
                }
            }
        }
        for (term, weight) in &terms {
            for (field, boost) in [(f.title, self.boosts.title), (f.body, self.boosts.body)] {
                let q = TermQuery::new(
                    Term::from_field_text(field, term),
                    IndexRecordOption::WithFreqs,
                );
                should.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(q), boost * weight)),
                ));
            }
        }
        for (id, weight) in &ids {
            let q = TermQuery::new(
                Term::from_field_text(f.ident, id),
                IndexRecordOption::WithFreqs,
            );
            should.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(q), self.boosts.ident * weight)),
            ));
        }
        if should.is_empty() {
            return None;
        }
        let text_q: Box<dyn Query> = Box::new(BooleanQuery::new(should));
        let mut must: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_q)];
        for (field, values) in [(f.source, sources), (f.kind, kinds)] {
            if values.is_empty() {
                continue;
            }
            let any: Vec<(Occur, Box<dyn Query>)> = values
                .iter()
                .map(|v| {
                    let q: Box<dyn Query> = Box::new(TermQuery::new(
                        Term::from_field_text(field, v),
                        IndexRecordOption::Basic,
                    ));
                    (Occur::Should, q)
                })
                .collect();
            must.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        Some(Box::new(BooleanQuery::new(must)))
    }

    /// Top `limit` chunk ordinals by BM25, best first.
    pub fn search(
        &self,
        text: &str,
        expansion: &[String],
        limit: usize,
        sources: &[String],
        kinds: &[String],
    ) -> Result<Vec<(u64, f32)>> {
        let Some(q) = self.query(text, expansion, sources, kinds) else {
            return Ok(Vec::new());
        };
        let searcher = self.reader.searcher();
        let top = searcher.search(&q, &TopDocs::with_limit(limit.max(1)).order_by_score())?;
        let mut out = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let seg = searcher.segment_reader(addr.segment_ord);
            let col = seg.fast_fields().u64("ord")?;
            if let Some(ord) = col.first(addr.doc_id) {
                out.push((ord, score));
            }
        }
        Ok(out)
    }

    /// The number of chunks, and in how many of them each analysed term occurs (the body
    /// field).
    pub fn doc_freqs(&self, terms: &[&str]) -> (u64, Vec<u64>) {
        let searcher = self.reader.searcher();
        let dfs = terms
            .iter()
            .map(|t| {
                searcher
                    .doc_freq(&Term::from_field_text(self.fields.body, t))
                    .unwrap_or(0)
            })
            .collect();
        (searcher.num_docs(), dfs)
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}
