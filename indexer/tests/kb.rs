//! Knowledge-base behaviour on the fixture corpus: identifier queries, filters, degraded mode,
//! incremental and interrupted reindexing, and the vector store against an exact reference.
//! Dense search uses `HashEmbedder` here (no model needed); the real model is exercised in
//! `model.rs`.
use std::ops::ControlFlow;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use provisio_indexer::chunk::ChunkKind;
use provisio_indexer::embed::Embedder;
use provisio_indexer::expand::Glossary;
use provisio_indexer::store::{Progress, Stage};
use provisio_indexer::vector::{EdgeStore, FlatStore, VectorFilter, VectorStore};
use provisio_indexer::{index, DataDir, KnowledgeBase, Mode, SearchRequest};
use provisio_testkit::HashEmbedder;

mod common;
use common::*;

#[test]
fn identifier_queries_hit_exactly() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (data, _, emb) = built(tmp.path());
    let kb = KnowledgeBase::open(&data, hash_loader(emb)).expect("open");
    for (q, path, needle) in [
        ("pm_tls_insecure", "lab-tf/provider.md", "pm_tls_insecure"),
        ("--cluster-init", "lab-k3s/server.md", "--cluster-init"),
        ("ipconfig0", "lab-pve/vm-clone.adoc", "ipconfig0"),
    ] {
        let mut req = SearchRequest::new(q);
        req.mode = Mode::Bm25;
        let r = kb.search(&req).expect("search");
        let top = &r.hits[0];
        assert_eq!(top.path, path, "query {q}");
        let chunk = kb.chunk_by_id(&top.chunk_id).expect("chunk");
        assert!(chunk.text.contains(needle));
        assert!(top.text.contains(needle), "text for {q}: {}", top.text);
    }
    // A dash-prefixed identifier is not read as a negation; hybrid runs both retrievers and the
    // exact match is ranked first by BM25.
    let r = kb
        .search(&SearchRequest::new("--cluster-init"))
        .expect("search");
    let h = r
        .hits
        .iter()
        .find(|h| h.path == "lab-k3s/server.md")
        .expect("found in hybrid");
    assert_eq!(h.bm25_rank, Some(1));
    assert_eq!(r.retrievers, vec!["bm25", "dense"]);
    assert!(r.degraded.is_none());
}

#[test]
fn filters_by_source_and_kind() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (data, _, emb) = built(tmp.path());
    let kb = KnowledgeBase::open(&data, hash_loader(emb)).expect("open");
    for mode in [Mode::Hybrid, Mode::Bm25, Mode::Dense] {
        let mut req = SearchRequest::new("full clone target node storage");
        req.mode = mode;
        req.k = 10;
        req.sources = vec!["lab-pve".into()];
        let r = kb.search(&req).expect("search");
        assert!(!r.hits.is_empty(), "{mode:?}");
        assert!(r.hits.iter().all(|h| h.source == "lab-pve"), "{mode:?}");

        req.sources = vec![];
        req.query = "provider endpoint api_token".into();
        req.kinds = vec![ChunkKind::Code];
        let r = kb.search(&req).expect("search");
        assert!(!r.hits.is_empty(), "{mode:?}");
        assert!(r.hits.iter().all(|h| h.kind == ChunkKind::Code), "{mode:?}");
    }
    // Unknown source: an error naming the field.
    let mut req = SearchRequest::new("x");
    req.sources = vec!["nope".into()];
    let e = kb.search(&req).expect_err("unknown source");
    assert!(e.to_string().contains("`sources`"), "{e}");
    let mut req = SearchRequest::new("x");
    req.k = 0;
    assert!(kb
        .search(&req)
        .expect_err("k=0")
        .to_string()
        .contains("`k`"));
}

#[test]
fn degraded_mode_is_reported() {
    let tmp = tempfile::tempdir().expect("tmp");
    let corpus = corpus_copy(tmp.path());
    // Index without embeddings.
    let data = DataDir::new(tmp.path().join("lex"));
    index(&opts(&data, &corpus, None)).expect("index");
    let kb = KnowledgeBase::open(&data, None).expect("open");
    let r = kb
        .search(&SearchRequest::new("linked clone"))
        .expect("search");
    assert_eq!(r.retrievers, vec!["bm25"]);
    assert!(r
        .degraded
        .as_deref()
        .is_some_and(|d| d.starts_with("lexical-only")));
    assert!(!r.hits.is_empty());

    // Index with embeddings, but the model cannot be loaded at search time.
    let data = DataDir::new(tmp.path().join("dense"));
    index(&opts(&data, &corpus, Some(Arc::new(HashEmbedder::new(64))))).expect("index");
    let failing: Box<dyn Fn() -> provisio_indexer::Result<Arc<dyn Embedder>> + Send + Sync> =
        Box::new(|| {
            Err(provisio_indexer::Error::ModelUnavailable {
                what: "model files missing".into(),
                fix: "run scripts/setup.sh".into(),
            })
        });
    let kb = KnowledgeBase::open(&data, Some(failing)).expect("open");
    let mut req = SearchRequest::new("linked clone");
    req.mode = Mode::Dense;
    let r = kb.search(&req).expect("search");
    assert_eq!(r.retrievers, vec!["bm25"]);
    let d = r.degraded.expect("degraded");
    assert!(
        d.starts_with("lexical-only") && d.contains("scripts/setup.sh"),
        "{d}"
    );
    assert!(!r.hits.is_empty());
}

#[test]
fn incremental_reindex_embeds_only_changed_chunks() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (data, corpus, emb) = built(tmp.path());
    let first = emb.calls.load(Ordering::SeqCst);
    assert!(first > 0);

    // Nothing changed: no work.
    let r = index(&opts(&data, &corpus, Some(emb.clone()))).expect("reindex");
    assert_eq!(r.status, "unchanged");
    assert_eq!(emb.calls.load(Ordering::SeqCst), first);

    // Change one file: only its new chunks are embedded.
    let f = corpus.join("lab-k3s/server.md");
    let text = std::fs::read_to_string(&f).expect("read");
    std::fs::write(
        &f,
        text.replace(
            "same token",
            "same token from /var/lib/rancher/k3s/server/token",
        ),
    )
    .expect("write");
    let r = index(&opts(&data, &corpus, Some(emb.clone()))).expect("reindex");
    assert_eq!(r.status, "built");
    assert_eq!(r.files_changed, 1);
    let embedded_now = emb.calls.load(Ordering::SeqCst) - first;
    assert_eq!(embedded_now, r.windows_embedded);
    assert!(r.chunks_embedded >= 1 && r.chunks_embedded <= 2, "{r:?}");
    assert_eq!(r.chunks_cached + r.chunks_embedded, r.chunks);

    let kb = KnowledgeBase::open(&data, hash_loader(emb.clone())).expect("open");
    assert_eq!(kb.manifest.generation, 2);
    let mut req = SearchRequest::new("/var/lib/rancher/k3s/server/token");
    req.mode = Mode::Bm25;
    assert_eq!(
        kb.search(&req).expect("search").hits[0].path,
        "lab-k3s/server.md"
    );

    // Remove a file: its chunks are gone, nothing is embedded.
    std::fs::remove_file(corpus.join("lab-tf/lifecycle.mdx")).expect("rm");
    let before = emb.calls.load(Ordering::SeqCst);
    let r = index(&opts(&data, &corpus, Some(emb.clone()))).expect("reindex");
    assert_eq!(r.files_removed, 1);
    assert_eq!(emb.calls.load(Ordering::SeqCst), before);
    let kb = KnowledgeBase::open(&data, hash_loader(emb)).expect("open");
    assert!(kb.chunks().iter().all(|c| c.path != "lab-tf/lifecycle.mdx"));
}

#[test]
fn interrupted_reindex_leaves_the_old_index_serving() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (data, corpus, emb) = built(tmp.path());
    std::fs::write(
        corpus.join("lab-k3s/new.md"),
        "# New page\n\nA page about kube-vip and the API VIP.\n",
    )
    .expect("write");
    for stage in [Stage::Embed, Stage::Lexical, Stage::Vectors, Stage::Swap] {
        let stop = move |p: Progress| {
            if p.stage == stage {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let mut o = opts(&data, &corpus, Some(emb.clone()));
        o.progress = Some(&stop);
        assert!(index(&o).is_err(), "aborted at {stage:?}");
        // The old generation still serves, complete.
        let kb = KnowledgeBase::open(&data, hash_loader(emb.clone())).expect("open after abort");
        assert_eq!(kb.manifest.generation, 1);
        assert!(kb.chunks().iter().all(|c| c.path != "lab-k3s/new.md"));
        let r = kb
            .search(&SearchRequest::new("linked clone"))
            .expect("search");
        assert!(!r.hits.is_empty());
        assert!(r.degraded.is_none());
    }
    // Stale build folders (as a killed process leaves them) are cleaned by the next run.
    let stale = data.index_dir().join(".build-999999999-1");
    std::fs::create_dir_all(&stale).expect("mkdir");
    let r = index(&opts(&data, &corpus, Some(emb.clone()))).expect("reindex");
    assert_eq!(r.status, "built");
    assert!(!stale.exists());
    let leftovers: Vec<_> = std::fs::read_dir(data.index_dir())
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".build-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let kb = KnowledgeBase::open(&data, hash_loader(emb)).expect("open");
    assert!(kb.chunks().iter().any(|c| c.path == "lab-k3s/new.md"));
}

#[test]
fn edge_store_matches_exact_search() {
    let tmp = tempfile::tempdir().expect("tmp");
    let edge = EdgeStore::create(&tmp.path().join("v"), 16).expect("create");
    let flat = FlatStore::default();
    let points = sample_points(500, 16);
    edge.upsert(points.clone()).expect("upsert");
    flat.upsert(points.clone()).expect("upsert");
    edge.delete(&[1, 2, 3]).expect("delete");
    flat.delete(&[1, 2, 3]).expect("delete");
    edge.finish().expect("finish");
    assert_eq!(edge.len().expect("len"), 497);
    for (qi, filter) in sample_filters().into_iter().enumerate() {
        let q = &points[qi * 10 + 5].vector;
        let a: Vec<u64> = edge
            .search(q, 10, &filter)
            .expect("s")
            .into_iter()
            .map(|x| x.0)
            .collect();
        let b: Vec<u64> = flat
            .search(q, 10, &filter)
            .expect("s")
            .into_iter()
            .map(|x| x.0)
            .collect();
        assert_eq!(a, b, "filter {filter:?}");
    }
    // Reopened from disk it answers the same.
    drop(edge);
    let edge = EdgeStore::open(&tmp.path().join("v")).expect("open");
    let q = &points[42].vector;
    let a: Vec<u64> = edge
        .search(q, 5, &VectorFilter::default())
        .expect("s")
        .into_iter()
        .map(|x| x.0)
        .collect();
    let b: Vec<u64> = flat
        .search(q, 5, &VectorFilter::default())
        .expect("s")
        .into_iter()
        .map(|x| x.0)
        .collect();
    assert_eq!(a, b);
}

/// A long section is cut into several chunks; a hit is the passage around the best chunk: its
/// line range and URL span the passage, its snippet may come from any chunk of it, one passage
/// gives one hit, and the retrieval evaluation counts evidence anywhere in the passage.
#[test]
fn hits_are_passages_of_neighbouring_chunks() {
    let tmp = tempfile::tempdir().expect("tmp");
    let corpus = corpus_copy(tmp.path());
    // One section of 24 paragraphs (about 1,200 word-pieces): four or five chunks, two passages.
    let mut doc = String::from("# Storage notes\n\n## Long section\n\n");
    for i in 0..24 {
        let marker = match i {
            1 => " The zebrafish volume keeps scratch data.",
            9 => " The quokka flag excludes it from backups.",
            _ => "",
        };
        doc.push_str(&format!(
            "Paragraph {i} talks about disks, pools and replication in a lab cluster with three \
             nodes and shared storage for the guests.{marker} It goes on about thin provisioning \
             and snapshots.\n\n"
        ));
    }
    std::fs::write(corpus.join("lab-tf/long.md"), &doc).expect("write");
    let data = DataDir::new(tmp.path().join("data"));
    let emb = Arc::new(HashEmbedder::new(64));
    index(&opts(&data, &corpus, Some(emb.clone()))).expect("index");
    let kb = KnowledgeBase::open(&data, hash_loader(emb)).expect("open");
    let long: Vec<_> = kb
        .chunks()
        .iter()
        .filter(|c| c.path == "lab-tf/long.md")
        .collect();
    assert!(long.len() >= 4, "the section should need several chunks");

    let mut req = SearchRequest::new("zebrafish");
    req.mode = Mode::Bm25;
    req.k = 10;
    let r = kb.search(&req).expect("search");
    let top = &r.hits[0];
    assert_eq!(top.path, "lab-tf/long.md");
    let best = kb.chunk_by_id(&top.chunk_id).expect("chunk");
    assert!(best.text.contains("zebrafish"));
    // The passage is wider than its best chunk, and its URL carries the passage's lines.
    assert!(top.start_line <= best.start_line && best.end_line < top.end_line);
    assert!(top
        .url
        .ends_with(&format!("#L{}-L{}", top.start_line, top.end_line)));
    // The quokka line is in another chunk of the same passage.
    let quokka = long
        .iter()
        .find(|c| c.text.contains("quokka"))
        .expect("quokka chunk");
    assert_ne!(quokka.id, best.id);
    assert!(top.start_line <= quokka.start_line && quokka.end_line <= top.end_line);
    // A query for both markers gives one hit for the passage, with the snippet drawn from it.
    let mut req = SearchRequest::new("zebrafish quokka");
    req.mode = Mode::Bm25;
    req.k = 10;
    let r = kb.search(&req).expect("search");
    let from_long: Vec<_> = r
        .hits
        .iter()
        .filter(|h| h.path == "lab-tf/long.md")
        .collect();
    assert_eq!(from_long.len(), 1, "one passage, one hit: {from_long:?}");
    assert!(from_long[0].text.contains("zebrafish") || from_long[0].text.contains("quokka"));
    // Hits of one file never overlap.
    for (i, a) in r.hits.iter().enumerate() {
        for b in &r.hits[i + 1..] {
            if a.path == b.path {
                assert!(a.end_line < b.start_line || b.end_line < a.start_line);
            }
        }
    }
    // The evaluation counts the quokka evidence as found by the zebrafish query's first hit.
    let qfile = tmp.path().join("q.jsonl");
    std::fs::write(
        &qfile,
        r#"{"id":"p1","question":"zebrafish","gold":[{"path":"lab-tf/long.md","heading":"Long section","evidence":"The quokka flag excludes it from backups."}],"kind":"fact"}"#,
    )
    .expect("write");
    let qs = provisio_indexer::eval::load_questions(&qfile).expect("questions");
    let (summary, details) =
        provisio_indexer::eval::evaluate(&kb, &corpus, &qs, Mode::Bm25).expect("eval");
    assert_eq!(details[0].rank, Some(1), "{details:?}");
    assert_eq!(summary.recall_at_1, 1.0);

    // A gold given by lines: found when a hit covers them, not when no hit does.
    let line = from_long[0].start_line;
    std::fs::write(
        &qfile,
        format!(
            "{}\n{}\n",
            format_args!(r#"{{"id":"l1","question":"zebrafish","gold":[{{"path":"lab-tf/long.md","lines":[{line},{line}]}}]}}"#),
            r#"{"id":"l2","question":"zebrafish","gold":[{"path":"lab-tf/long.md","lines":[90000,90001]}]}"#
        ),
    )
    .expect("write");
    let qs = provisio_indexer::eval::load_questions(&qfile).expect("questions");
    let (_, details) =
        provisio_indexer::eval::evaluate(&kb, &corpus, &qs, Mode::Bm25).expect("eval");
    assert_eq!(details[0].rank, Some(1), "{details:?}");
    assert_eq!(details[1].rank, None, "{details:?}");
    // A gold with neither evidence nor lines is refused, naming what to add.
    std::fs::write(
        &qfile,
        r#"{"id":"bad","question":"zebrafish","gold":[{"path":"lab-tf/long.md"}]}"#,
    )
    .expect("write");
    let err = provisio_indexer::eval::load_questions(&qfile)
        .unwrap_err()
        .to_string();
    assert!(err.contains("`lines") && err.contains("bad"), "{err}");
}

/// A question that names a source by one of its aliases (sources.toml) ranks that source's hits
/// up; the response says which sources it named. The bonus only reorders candidates: a named
/// source with no matching passage adds nothing.
#[test]
fn named_sources_rank_up() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (data, _, emb) = built(tmp.path());
    let mut kb = KnowledgeBase::open(&data, hash_loader(emb)).expect("open");
    assert_eq!(
        kb.manifest.aliases.get("lab-tf"),
        Some(&vec!["tofu".to_string(), "opentofu".to_string()])
    );
    let ask = |kb: &KnowledgeBase, q: &str| {
        let mut req = SearchRequest::new(q);
        req.mode = Mode::Bm25;
        kb.search(&req).expect("search")
    };
    // Without the bonus the k3s page about etcd comes first; naming tofu puts the OpenTofu
    // lifecycle page (prevent_destroy for etcd servers) first.
    let q = "protect etcd servers in tofu";
    kb.fusion.source_hint = 0.0;
    let plain = ask(&kb, q);
    assert_eq!(plain.hits[0].source, "lab-k3s");
    kb.fusion.source_hint = 0.5;
    let hinted = ask(&kb, q);
    assert_eq!(hinted.source_hints, vec!["lab-tf"]);
    assert_eq!(hinted.hits[0].source, "lab-tf");
    assert_eq!(hinted.hits[0].path, "lab-tf/lifecycle.mdx");
    // Same candidates, other order.
    let mut a: Vec<_> = plain.hits.iter().map(|h| h.chunk_id.clone()).collect();
    let mut b: Vec<_> = hinted.hits.iter().map(|h| h.chunk_id.clone()).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    // `pve` names lab-pve, which says nothing about etcd: nothing from it is pulled in.
    let r = ask(&kb, "etcd in pve");
    assert_eq!(r.source_hints, vec!["lab-pve"]);
    assert!(r.hits.iter().all(|h| h.source != "lab-pve"));
    // No alias, no hint.
    assert!(ask(&kb, "etcd servers").source_hints.is_empty());
}

/// A copy of a page under another name (an alias page with a deprecation note) is folded into
/// the better hit's `also_in`; two distinct sections written from one template both stay.
#[test]
fn copies_fold_into_also_in_and_template_siblings_stay() {
    let tmp = tempfile::tempdir().expect("tmp");
    let corpus = corpus_copy(tmp.path());
    let body = "Manages an API token of a user in the lab cluster. The token secret is returned \
                only once, when the token is created, and is stored in the Terraform state. \
                Privilege separation limits the token to a subset of the user's permissions; \
                the expiration date is a UNIX epoch, zero means the token never expires. \
                Tokens are imported with the identifier user@realm!tokenname, and a comment \
                helps other operators find why the wombat token exists.\n";
    std::fs::write(
        corpus.join("lab-tf/user_token.md"),
        format!("# Resource: lab_user_token\n\n{body}"),
    )
    .expect("write");
    std::fs::write(
        corpus.join("lab-tf/legacy_user_token.md"),
        format!(
            "# Resource: lab_legacy_user_token\n\n~> **Deprecated:** Use lab_user_token instead. This \
             resource will be removed in the next major release of the provider.\n\n{body}"
        ),
    )
    .expect("write");
    // Two sections from one template that differ in a few words: not copies.
    // Each is long enough to be a chunk of its own.
    let block = |name: &str, extra: &str| {
        let row = |arg: &str, what: &str| format!("| `{arg}` | {what} for the {name} block. |\n");
        let mut b = format!("## {name} block\n\nThe wombat {name} block. {extra}\n\n");
        for (arg, what) in [
            ("cache", "The cache mode"),
            ("discard", "Whether to pass discard and trim requests on"),
            (
                "emulatessd",
                "Whether to expose the drive as an SSD rather than a spinning disk",
            ),
            ("backup", "Whether backups include the drive"),
            ("replicate", "Whether storage replication copies the drive"),
            ("mbps_r", "The read limit in megabytes per second"),
            ("mbps_wr", "The write limit in megabytes per second"),
            ("iops_r", "The read limit in operations per second"),
            ("iops_wr", "The write limit in operations per second"),
            (
                "iops_r_burst",
                "The read burst limit in operations per second",
            ),
            (
                "iops_wr_burst",
                "The write burst limit in operations per second",
            ),
            ("burst_length", "How long, in seconds, a burst may last"),
            ("serial", "The serial number shown to the guest"),
            ("wwn", "The world wide name shown to the guest"),
        ] {
            b.push_str(&row(arg, what));
        }
        b.push('\n');
        b
    };
    std::fs::write(
        corpus.join("lab-tf/disks.md"),
        format!(
            "# Disks\n\n{}{}",
            block(
                "Disk",
                "A disk image lives on a storage, in qcow2 or raw format, and can only grow."
            ),
            block(
                "Passthrough",
                "A passthrough needs the full unix path of the device."
            )
        ),
    )
    .expect("write");
    let data = DataDir::new(tmp.path().join("data"));
    let emb = Arc::new(HashEmbedder::new(64));
    index(&opts(&data, &corpus, Some(emb.clone()))).expect("index");
    let kb = KnowledgeBase::open(&data, hash_loader(emb)).expect("open");

    let hits_in = |query: &str, mode: Mode, wanted: &dyn Fn(&str) -> bool| {
        let mut req = SearchRequest::new(query);
        req.mode = mode;
        req.k = 10;
        let r = kb.search(&req).expect("search");
        r.hits
            .into_iter()
            .filter(|h| wanted(&h.path))
            .collect::<Vec<_>>()
    };
    for mode in [Mode::Bm25, Mode::Dense, Mode::Hybrid] {
        let tokens = hits_in("wombat token expiration privilege separation", mode, &|p| {
            p.ends_with("user_token.md")
        });
        assert_eq!(
            tokens.len(),
            1,
            "{mode:?}: one hit for the two copies: {tokens:?}"
        );
        let other = if tokens[0].path == "lab-tf/user_token.md" {
            "lab-tf/legacy_user_token.md"
        } else {
            "lab-tf/user_token.md"
        };
        assert_eq!(tokens[0].also_in.len(), 1, "{mode:?}: {:?}", tokens[0]);
        assert!(
            tokens[0].also_in[0].starts_with(&format!("{other}:")),
            "{mode:?}: {:?}",
            tokens[0].also_in
        );

        let blocks = hits_in("wombat block size cache discard burst", mode, &|p| {
            p == "lab-tf/disks.md"
        });
        assert_eq!(
            blocks.len(),
            2,
            "{mode:?}: both template sections stay: {blocks:?}"
        );
        assert!(
            blocks.iter().all(|h| h.also_in.is_empty()),
            "{mode:?}: {blocks:?}"
        );
    }
}

/// A deprecated alias page whose banner links to its replacement, with the resource renamed
/// throughout (so not a word-for-word copy): every retriever answers with the current page and
/// lists the old one in `also_in`, even when the question uses the old name.
#[test]
fn deprecated_alias_pages_answer_as_their_replacement() {
    let tmp = tempfile::tempdir().expect("tmp");
    let corpus = corpus_copy(tmp.path());
    let body = |name: &str| {
        format!(
            "Manages a quokka balloon device of a guest. `{name}` sets the minimum memory the \
             balloon driver may reclaim, in megabytes, and whether free page reporting is on. \
             The node must run a kernel with the balloon module; `{name}` refuses guests \
             without it. Import `{name}` with the identifier node/vmid.\n\n## Schema\n\n\
             - `minimum` (Number) The floor of the balloon for `{name}`.\n\
             - `reporting` (Boolean) Free page reporting of `{name}`.\n\
             - `node_name` (String) The node of the guest.\n"
        )
    };
    std::fs::create_dir_all(corpus.join("lab-tf/resources")).expect("mkdir");
    std::fs::write(
        corpus.join("lab-tf/resources/balloon.md"),
        format!("# Resource: lab_balloon\n\n{}", body("lab_balloon")),
    )
    .expect("write");
    std::fs::write(
        corpus.join("lab-tf/resources/legacy_balloon.md"),
        format!(
            "# Resource: lab_legacy_balloon\n\n~> **Deprecated:** Use [`lab_balloon`](balloon.md) \
             instead. This resource will be removed in v1.0.\n\n{}",
            body("lab_legacy_balloon")
        ),
    )
    .expect("write");
    let data = DataDir::new(tmp.path().join("data"));
    let emb = Arc::new(HashEmbedder::new(64));
    index(&opts(&data, &corpus, Some(emb.clone()))).expect("index");
    let kb = KnowledgeBase::open(&data, hash_loader(emb)).expect("open");
    for query in [
        "quokka balloon minimum memory reporting",
        "lab_legacy_balloon quokka balloon",
    ] {
        for mode in [Mode::Bm25, Mode::Dense, Mode::Hybrid] {
            let mut req = SearchRequest::new(query);
            req.mode = mode;
            req.k = 10;
            let r = kb.search(&req).expect("search");
            let hits: Vec<_> = r
                .hits
                .iter()
                .filter(|h| h.path.ends_with("balloon.md"))
                .collect();
            assert!(!hits.is_empty(), "{mode:?} {query}: {:?}", r.hits);
            assert!(
                hits.iter().all(|h| h.path == "lab-tf/resources/balloon.md"),
                "{mode:?} {query}: the current page answers: {hits:?}"
            );
            assert!(
                hits.iter().any(|h| h
                    .also_in
                    .iter()
                    .any(|a| a.starts_with("lab-tf/resources/legacy_balloon.md:"))),
                "{mode:?} {query}: {hits:?}"
            );
        }
    }
    // Under a kind filter every hit keeps the wanted kind.
    for kind in [ChunkKind::Option, ChunkKind::Prose, ChunkKind::Code] {
        let mut req = SearchRequest::new("lab_legacy_balloon quokka balloon minimum reporting");
        req.kinds = vec![kind];
        req.k = 10;
        for mode in [Mode::Bm25, Mode::Hybrid] {
            req.mode = mode;
            let r = kb.search(&req).expect("search");
            assert!(
                r.hits.iter().all(|h| h.kind == kind),
                "{kind:?} {mode:?}: {:?}",
                r.hits
            );
        }
    }
}

/// An operator's word that the docs do not use ("recreate") finds the page through the
/// glossary (`-replace`), which the response reports; without the glossary it does not.
#[test]
fn glossary_expansion_bridges_operator_words() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (data, _, emb) = built(tmp.path());
    let mut kb = KnowledgeBase::open(&data, hash_loader(emb)).expect("open");
    let ask = |kb: &KnowledgeBase, q: &str, mode: Mode| {
        let mut req = SearchRequest::new(q);
        req.mode = mode;
        kb.search(&req).expect("search")
    };
    let q = "How do I recreate it from scratch?";
    kb.set_glossary(Glossary::default());
    let plain = ask(&kb, q, Mode::Bm25);
    assert!(plain.expanded.is_empty());
    assert!(plain.hits.is_empty(), "{:?}", plain.hits.first());
    kb.set_glossary(
        Glossary::parse(
            "[[expand]]\nwhen = [\"recreate\", \"rebuild\"]\nadd = [\"-replace\", \"taint\"]\n",
        )
        .expect("glossary"),
    );
    let expanded = ask(&kb, q, Mode::Bm25);
    assert_eq!(expanded.expanded, vec!["-replace", "taint"]);
    assert_eq!(expanded.hits[0].path, "lab-tf/lifecycle.mdx");
    assert!(
        expanded.hits[0].text.contains("-replace="),
        "{}",
        expanded.hits[0].text
    );
    // Hybrid reports it too; dense alone does not expand.
    assert_eq!(
        ask(&kb, q, Mode::Hybrid).expanded,
        vec!["-replace", "taint"]
    );
    assert!(ask(&kb, q, Mode::Dense).expanded.is_empty());
    // The shipped glossary knows this phrasing.
    kb.set_glossary(Glossary::builtin());
    let shipped = ask(&kb, q, Mode::Bm25);
    assert!(
        shipped.expanded.iter().any(|a| a == "-replace"),
        "{:?}",
        shipped.expanded
    );
    assert_eq!(shipped.hits[0].path, "lab-tf/lifecycle.mdx");
    // Dense asked for but unavailable: the BM25 fallback expands too, and says so.
    drop(kb);
    let mut lexical_only = KnowledgeBase::open(&data, None).expect("open without a model");
    lexical_only.set_glossary(
        Glossary::parse("[[expand]]\nwhen = [\"recreate\"]\nadd = [\"-replace\"]\n")
            .expect("glossary"),
    );
    let fallback = ask(&lexical_only, q, Mode::Dense);
    assert!(fallback.degraded.is_some());
    assert_eq!(fallback.expanded, vec!["-replace"]);
    assert_eq!(fallback.hits[0].path, "lab-tf/lifecycle.mdx");
}

/// Passages within the word budget: every search's hits together stay within `max_words`,
/// whatever `k`, and each hit's `lines` and `words` describe its `text`.
#[test]
fn passages_respect_the_word_budget() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (data, _, emb) = built(tmp.path());
    let kb = KnowledgeBase::open(&data, hash_loader(emb)).expect("open");
    for (q, k, budget) in [
        ("pm_tls_insecure", 5, 20),
        ("clone a template with cloud-init", 10, 40),
        ("--cluster-init", 3, 600),
        ("lifecycle prevent_destroy", 8, 25),
    ] {
        let mut req = SearchRequest::new(q);
        req.mode = Mode::Bm25;
        req.k = k;
        req.max_words = Some(budget);
        let r = kb.search(&req).expect("search");
        assert!(!r.hits.is_empty(), "{q}");
        assert_eq!(r.max_words, budget);
        let words: usize = r.hits.iter().map(|h| h.words).sum();
        assert_eq!(words, r.words);
        assert!(
            words <= budget,
            "{q}: {words} words for a budget of {budget}"
        );
        for h in &r.hits {
            let counted: usize = h.text.split_whitespace().filter(|w| *w != "…").count();
            assert!(counted <= h.words + 1, "{q}: {h:?}");
            for [a, b] in &h.lines {
                assert!(
                    h.start_line <= *a && a <= b && *b <= h.end_line,
                    "{q}: {:?}",
                    h.lines
                );
            }
        }
    }
    // Out of range is an error naming the field.
    let mut req = SearchRequest::new("x");
    req.max_words = Some(5);
    let e = kb.search(&req).unwrap_err().to_string();
    assert!(e.contains("max_words"), "{e}");
}
