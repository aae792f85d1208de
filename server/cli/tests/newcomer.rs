//! A newcomer's first hour: the generated rules page is current, completions print, and
//! `provisio corpus fetch` works against a local mirror in GitHub's layout (archives and raw
//! files), with its digest check, resume and error messages.
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn provisio(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_provisio"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("PROVISIO_CORPUS_MIRROR")
        .env_remove("PROVISIO_CORPUS")
        .output()
        .expect("run provisio")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn lint_rules_page_is_current() {
    let tmp = tempfile::tempdir().expect("tmp");
    let md = ok(&provisio(
        tmp.path(),
        &["lint", "--rules", "--format", "markdown"],
    ));
    let page = std::fs::read_to_string(root().join("docs/lint-rules.md")).unwrap_or_default();
    assert!(
        md == page,
        "docs/lint-rules.md is stale: regenerate it with \
         `provisio lint --rules --format markdown > docs/lint-rules.md`"
    );
    assert!(md.contains("| PV001 | `hcl-syntax-error` | error |"));
}

#[test]
fn completions_for_each_shell() {
    let tmp = tempfile::tempdir().expect("tmp");
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef provisio"),
        ("fish", "complete -c provisio"),
    ] {
        let out = ok(&provisio(tmp.path(), &["completions", shell]));
        assert!(out.contains(marker), "{shell}: {out}");
        assert!(out.contains("corpus"), "{shell} completion knows `corpus`");
    }
}

/// A tiny HTTP/1.1 server for the mirror: serves files under `dir` by path, honours
/// `Range: bytes=N-`, and records the request paths.
struct Mirror {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

fn mirror(dir: PathBuf) -> Mirror {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", l.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut buf = Vec::new();
            let mut b = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut b) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&b[..n]),
                }
            }
            let req = String::from_utf8_lossy(&buf).into_owned();
            let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
            log.lock().expect("log").push(path.clone());
            let range: Option<usize> = req
                .lines()
                .find_map(|l| {
                    l.strip_prefix("Range: bytes=")
                        .or(l.strip_prefix("range: bytes="))
                })
                .and_then(|r| r.trim_end_matches('-').parse().ok());
            let file = dir.join(path.trim_start_matches('/'));
            let resp = match std::fs::read(&file) {
                Ok(body) => match range {
                    Some(from) if from < body.len() => {
                        let part = &body[from..];
                        let mut r = format!(
                            "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {}-{}/{}\r\nConnection: close\r\n\r\n",
                            part.len(), from, body.len() - 1, body.len()
                        ).into_bytes();
                        r.extend_from_slice(part);
                        r
                    }
                    _ => {
                        let mut r = format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .into_bytes();
                        r.extend_from_slice(&body);
                        r
                    }
                },
                Err(_) => {
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_vec()
                }
            };
            let _ = s.write_all(&resp);
        }
    });
    Mirror { url, seen }
}

/// A sources file with one archive source and one per-file source over a small corpus, the
/// mirror tree for it (GitHub's layout) and the corpus as `../shared/corpus` would hold it.
fn fixture_world(tmp: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let files = [
        (
            "docs/guide/clone.md",
            "# Clone\n\nLinked clones need a template.\n",
        ),
        ("docs/index.md", "# Index\n\nThe provider.\n"),
        ("docs/skip.txt", "not included\n"),
        ("README.md", "outside the prefix\n"),
        ("LICENSE", "MIT License\n"),
    ];
    let commit = "0123456789abcdef0123456789abcdef01234567";
    // The archive: top folder {repo}-{commit}/.
    let arch_dir = tmp.join("mirror/acme/prov/archive");
    std::fs::create_dir_all(&arch_dir).expect("mkdir");
    let tgz = std::fs::File::create(arch_dir.join(format!("{commit}.tar.gz"))).expect("tgz");
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        tgz,
        flate2::Compression::default(),
    ));
    for (p, text) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(text.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, format!("prov-{commit}/{p}"), text.as_bytes())
            .expect("append");
    }
    tar.into_inner().expect("gz").finish().expect("finish");
    // Raw files of the per-file source, each at its own commit.
    let raw = [
        (
            "aaaa000000000000000000000000000000000000",
            "content/a.md",
            "# A\n",
        ),
        (
            "bbbb000000000000000000000000000000000000",
            "content/sub/b.md",
            "# B\n\nbee\n",
        ),
    ];
    for (c, p, text) in raw {
        let f = tmp.join(format!("mirror/acme/site/raw/{c}/{p}"));
        std::fs::create_dir_all(f.parent().expect("parent")).expect("mkdir");
        std::fs::write(f, text).expect("write");
    }
    // The expected corpus.
    let corpus = tmp.join("expected");
    for (rel, text) in [
        ("prov-docs/guide/clone.md", files[0].1),
        ("prov-docs/index.md", files[1].1),
        ("site-docs/content/a.md", raw[0].2),
        ("site-docs/content/sub/b.md", raw[1].2),
    ] {
        let f = corpus.join(rel);
        std::fs::create_dir_all(f.parent().expect("parent")).expect("mkdir");
        std::fs::write(f, text).expect("write");
    }
    let sources = format!(
        r#"[[source]]
name = "prov-docs"
repository = "https://github.com/acme/prov"
commit = "{commit}"
upstream_prefix = "docs"
license = "MIT"
license_files = ["LICENSE"]
include = ["**/*.md"]
exclude = ["LICENSE-NOTE.md"]
DIGEST1

[[source]]
name = "site-docs"
repository = "https://github.com/acme/site"
files = [
  {{ path = "content/a.md", commit = "{a}" }},
  {{ path = "content/sub/b.md", commit = "{b}" }},
]
license = "CC-BY-4.0"
include = ["**/*.md"]
exclude = ["LICENSE-NOTE.md"]
DIGEST2
"#,
        a = raw[0].0,
        b = raw[1].0
    );
    let sf = tmp.join("sources.toml");
    std::fs::write(&sf, sources.replace("DIGEST1", "").replace("DIGEST2", "")).expect("write");
    (sf, corpus, tmp.join("mirror"))
}

fn pin_digests(data: &Path, sf: &Path, corpus: &Path) {
    let out = ok(&provisio(
        data,
        &[
            "corpus",
            "digest",
            corpus.to_str().expect("utf8"),
            "--sources",
            sf.to_str().expect("utf8"),
        ],
    ));
    let mut text = std::fs::read_to_string(sf).expect("read");
    for line in out.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols[3], "no pin", "{line}");
        let anchor = format!("name = \"{}\"\n", cols[0]);
        text = text.replacen(&anchor, &format!("{anchor}digest = \"{}\"\n", cols[2]), 1);
    }
    std::fs::write(sf, text).expect("write");
}

#[test]
fn corpus_fetch_from_a_mirror_matches_the_pinned_corpus() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sf, expected, tree) = fixture_world(tmp.path());
    let data = tmp.path().join("data");
    pin_digests(&data, &sf, &expected);
    let m = mirror(tree.clone());
    let sfs = sf.to_str().expect("utf8");

    // Fetch into the data directory's default corpus.
    let out = ok(&provisio(
        &data,
        &["corpus", "fetch", "--mirror", &m.url, "--sources", sfs],
    ));
    assert!(out.contains("2 sources, 4 files"), "{out}");
    let dest = data.join("corpus");
    for rel in [
        "prov-docs/guide/clone.md",
        "prov-docs/index.md",
        "site-docs/content/a.md",
        "site-docs/content/sub/b.md",
    ] {
        assert_eq!(
            std::fs::read(dest.join(rel)).expect(rel),
            std::fs::read(expected.join(rel)).expect(rel),
            "{rel}"
        );
    }
    assert!(!dest.join("prov-docs/skip.txt").exists());
    assert!(!dest.join("prov-docs/README.md").exists());
    assert_eq!(
        std::fs::read_to_string(dest.join("prov-docs/LICENSE")).expect("licence"),
        "MIT License\n"
    );
    let note = std::fs::read_to_string(dest.join("site-docs/LICENSE-NOTE.md")).expect("note");
    assert!(note.contains("`content/sub/b.md` at bbbb"), "{note}");
    // The digests of what landed equal the pins.
    let d = ok(&provisio(
        &data,
        &[
            "corpus",
            "digest",
            dest.to_str().expect("utf8"),
            "--sources",
            sfs,
        ],
    ));
    assert_eq!(d.matches("matches the pin").count(), 2, "{d}");
    let paths = m.seen.lock().expect("log").clone();
    assert!(
        paths
            .iter()
            .any(|p| p
                .ends_with("/acme/prov/archive/0123456789abcdef0123456789abcdef01234567.tar.gz")),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(
            |p| p == "/acme/site/raw/bbbb000000000000000000000000000000000000/content/sub/b.md"
        ),
        "{paths:?}"
    );

    // A second run downloads nothing.
    let before = m.seen.lock().expect("log").len();
    let again = provisio(
        &data,
        &["corpus", "fetch", "--mirror", &m.url, "--sources", sfs],
    );
    ok(&again);
    assert!(String::from_utf8_lossy(&again.stderr).contains("prov-docs: up to date"));
    assert_eq!(m.seen.lock().expect("log").len(), before);

    // `provisio index` without --corpus indexes the fetched corpus.
    let idx = ok(&provisio(
        &data,
        &["index", "--lexical-only", "--sources", sfs, "--json"],
    ));
    let v: serde_json::Value = serde_json::from_str(&idx).expect("json");
    assert_eq!(v["files"], 4, "{v}");
}

#[test]
fn corpus_fetch_resumes_a_broken_download() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sf, expected, tree) = fixture_world(tmp.path());
    let data = tmp.path().join("data");
    pin_digests(&data, &sf, &expected);
    let m = mirror(tree.clone());
    // Half an archive left by an interrupted run.
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let full = std::fs::read(tree.join(format!("acme/prov/archive/{commit}.tar.gz"))).expect("tgz");
    let part = data.join(format!("corpus/.download/prov-docs/{commit}.tar.gz.part"));
    std::fs::create_dir_all(part.parent().expect("parent")).expect("mkdir");
    std::fs::write(&part, &full[..full.len() / 2]).expect("write");
    let out = provisio(
        &data,
        &[
            "corpus",
            "fetch",
            "--mirror",
            &m.url,
            "--sources",
            sf.to_str().expect("utf8"),
            "--source",
            "prov-docs",
        ],
    );
    ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains(&format!("resuming at byte {}", full.len() / 2)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(data.join("corpus/prov-docs/guide/clone.md").exists());
}

#[test]
fn corpus_fetch_errors_name_the_source_and_the_fix() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sf, expected, tree) = fixture_world(tmp.path());
    let data = tmp.path().join("data");
    pin_digests(&data, &sf, &expected);
    let sfs = sf.to_str().expect("utf8").to_string();
    // A fetch that must fail with exit 2: its stderr.
    let fails = |mirror: &str, only: Option<&str>| {
        let mut args = vec!["corpus", "fetch", "--mirror", mirror, "--sources", &sfs];
        if let Some(o) = only {
            args.extend(["--source", o]);
        }
        let out = provisio(&data, &args);
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };

    // A tampered file on the mirror: the digest check names both digests; nothing is replaced.
    let m = mirror(tree.clone());
    let b = tree.join("acme/site/raw/bbbb000000000000000000000000000000000000/content/sub/b.md");
    std::fs::write(&b, "# B\n\nwasp\n").expect("write");
    let err = fails(&m.url, Some("site-docs"));
    assert!(err.contains("source `site-docs`: digest mismatch"), "{err}");
    assert_eq!(err.matches("sha256:").count(), 2, "{err}");
    assert!(!data.join("corpus/site-docs").exists());

    // A path the mirror does not have: 404 with the layout it must serve.
    std::fs::remove_dir_all(tree.join("acme/prov")).expect("rm");
    let err = fails(&m.url, Some("prov-docs"));
    assert!(
        err.contains("HTTP 404") && err.contains("archive/{commit}.tar.gz"),
        "{err}"
    );

    // Nothing listening: offline, with the mirror as the fix.
    let dead = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", l.local_addr().expect("addr"))
    };
    let err = fails(&dead, None);
    assert!(
        err.contains("cannot reach") && err.contains("--mirror"),
        "{err}"
    );

    // An unknown source.
    let err = fails(&dead, Some("nope"));
    assert!(
        err.contains("unknown source `nope`") && err.contains("prov-docs, site-docs"),
        "{err}"
    );

    // `index` with no corpus names `corpus fetch`.
    let out = provisio(&tmp.path().join("empty"), &["index", "--lexical-only"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("provisio corpus fetch"));
}
