//! Snapshot tests of the chunker on the fixture documents (corpus/fixtures/corpus).
use std::path::PathBuf;

use provisio_indexer::chunk::chunk_document;
use provisio_indexer::sources::SourcesFile;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus/fixtures")
}

fn chunks_of(source: &str, rel: &str) -> String {
    let sources = SourcesFile::load(&fixtures().join("sources.toml")).expect("fixture sources");
    let src = sources.get(source).expect("source");
    let text =
        std::fs::read_to_string(fixtures().join("corpus").join(source).join(rel)).expect("fixture");
    let chunks = chunk_document(src, rel, &text);
    // Every chunk's line range must point at its text in the file.
    let lines: Vec<&str> = text.lines().collect();
    for c in &chunks {
        let first = c.text.lines().next().unwrap_or("");
        assert!(
            lines[(c.start_line - 1) as usize..c.end_line as usize]
                .iter()
                .any(|l| l.contains(first.trim())),
            "chunk {}-{} does not start inside its range: {first:?}",
            c.start_line,
            c.end_line
        );
    }
    chunks
        .iter()
        .map(|c| {
            format!(
                "--- {} [{}] lines {}-{}\nurl: {}\n{}\n",
                c.heading_display(),
                c.kind.as_str(),
                c.start_line,
                c.end_line,
                c.url,
                c.text
            )
        })
        .collect()
}

#[test]
fn asciidoc_sections_blocks_and_options() {
    insta::assert_snapshot!(chunks_of("lab-pve", "vm-clone.adoc"));
}

#[test]
fn markdown_front_matter_and_argument_reference() {
    insta::assert_snapshot!(chunks_of("lab-tf", "provider.md"));
}

#[test]
fn mdx_imports_and_admonitions() {
    insta::assert_snapshot!(chunks_of("lab-tf", "lifecycle.mdx"));
}

#[test]
fn yaml_and_tables() {
    insta::assert_snapshot!(format!(
        "{}{}",
        chunks_of("lab-k3s", "inventory.yml"),
        chunks_of("lab-k3s", "server.md")
    ));
}

#[test]
fn attribute_substitution_only_in_search_text() {
    let sources = SourcesFile::load(&fixtures().join("sources.toml")).expect("sources");
    let text =
        std::fs::read_to_string(fixtures().join("corpus/lab-pve/vm-clone.adoc")).expect("fixture");
    let chunks = chunk_document(sources.get("lab-pve").expect("src"), "vm-clone.adoc", &text);
    let first = &chunks[0];
    assert!(first.text.contains("{pve} can copy"));
    assert!(first.search_text.contains("Proxmox VE can copy"));
    assert!(chunks
        .iter()
        .all(|c| !c.text.contains("not part of the guide")));
    assert!(chunks.iter().all(|c| !c.text.contains("A comment line")));
}

#[test]
fn chunks_fit_the_model_window() {
    // A long section in one of the fixtures' style: many paragraphs under one heading.
    let mut doc = String::from("# Big\n\n");
    for i in 0..400 {
        doc.push_str(&format!("Paragraph {i} explains one more detail about storage replication and its settings.\n\n"));
    }
    let sources = SourcesFile::load(&fixtures().join("sources.toml")).expect("sources");
    let chunks = chunk_document(sources.get("lab-tf").expect("src"), "big.md", &doc);
    assert!(chunks.len() > 10);
    for c in &chunks {
        let t = provisio_indexer::chunk::estimate_tokens(&c.text);
        assert!(t <= provisio_indexer::chunk::MAX_TOKENS, "{t}: {}", c.text);
    }
    // Consecutive chunks overlap by at most one paragraph and cover everything.
    for w in chunks.windows(2) {
        assert!(w[1].start_line <= w[0].end_line + 2);
    }
    assert_eq!(
        chunks.last().map(|c| c.end_line),
        Some(doc.lines().count() as u32 - 1)
    );
}
