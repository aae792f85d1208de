//! `provisio corpus fetch`: the documentation corpus from its upstream repositories, at the
//! commits `corpus/sources.toml` pins, laid out as `provisio index --corpus` reads it (one
//! folder per source).
//!
//! - A source pinned by `commit` comes as GitHub's archive of the repository at that commit
//!   (`https://github.com/{owner}/{repo}/archive/{commit}.tar.gz`, top folder
//!   `{repo}-{commit}/`); only the files under `upstream_prefix` that the source's globs select
//!   are kept.
//! - A source pinned file by file (`files`) comes as raw files
//!   (`https://raw.githubusercontent.com/{owner}/{repo}/{commit}/{path}`).
//! - With a mirror URL the same paths are read under it: `{URL}/{owner}/{repo}/archive/{commit}.tar.gz`
//!   and `{URL}/{owner}/{repo}/raw/{commit}/{path}`.
//!
//! Each source's kept files are checked against its pinned [`digest`] before the folder is
//! swapped in, so a folder is either the pinned content or untouched. A source already in place
//! with its digest is skipped; an archive download that broke off resumes with an HTTP range.
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::sources::{Source, SourcesFile};

/// Written into a source folder once its content matched the pin: the digest it matched.
pub const SOURCE_MARK: &str = ".provisio-fetched";
/// Written at the corpus root once a fetch completed: the sources it holds.
pub const CORPUS_MARK: &str = ".provisio-corpus";

/// What can go wrong while fetching.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("cannot reach {url}: {message}. Fix: check the network, or fetch from a mirror with --mirror URL (PROVISIO_CORPUS_MIRROR)")]
    Offline { url: String, message: String },
    #[error("{url}: HTTP {status}. Fix: {fix}")]
    Http {
        url: String,
        status: u16,
        fix: String,
    },
    #[error("source `{source_name}`: digest mismatch: sources.toml pins {expected}, the fetched files give {actual}. Nothing was replaced. Fix: check the mirror serves commit {commit} unmodified, or update the pin with `provisio corpus digest`")]
    DigestMismatch {
        source_name: String,
        expected: String,
        actual: String,
        commit: String,
    },
    #[error("source `{0}`: no `digest` pinned in the sources file. Fix: add `digest = \"...\"` (print it with `provisio corpus digest DIR`)")]
    NoDigest(String),
    #[error("source `{source_name}`: {message}")]
    Source {
        source_name: String,
        message: String,
    },
    #[error("unknown source `{name}`. Known: {known}")]
    UnknownSource { name: String, known: String },
    #[error("archive {path}: {message}. Fix: delete it and fetch again")]
    Archive { path: PathBuf, message: String },
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

type Result<T> = std::result::Result<T, FetchError>;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FetchError + '_ {
    move |source| FetchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The digest of a set of files: SHA-256 over the files sorted by path, each as its path, a
/// NUL, its length in decimal, a NUL and its bytes. Written `sha256:<hex>`.
pub fn digest<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut sorted: Vec<(&str, &[u8])> = files.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut h = Sha256::new();
    for (path, bytes) in sorted {
        h.update(path.as_bytes());
        h.update([0u8]);
        h.update(bytes.len().to_string().as_bytes());
        h.update([0u8]);
        h.update(bytes);
    }
    let out = h.finalize();
    let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The files of a source folder that its globs select (paths relative to the folder).
pub fn kept_files(dir: &Path, source: &Source) -> Result<BTreeMap<String, Vec<u8>>> {
    let matcher = source.matcher().map_err(|message| FetchError::Source {
        source_name: source.name.clone(),
        message,
    })?;
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.map_err(|e| FetchError::Io {
            path: dir.to_path_buf(),
            source: e.into(),
        })?;
        if !e.file_type().is_file() {
            continue;
        }
        let Ok(rel) = e.path().strip_prefix(dir) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        // What `corpus fetch` itself writes beside the documents is not part of them.
        if rel == "LICENSE-NOTE.md" || rel == SOURCE_MARK {
            continue;
        }
        if matcher.matches(&rel) {
            let bytes = std::fs::read(e.path()).map_err(io(e.path()))?;
            out.insert(rel, bytes);
        }
    }
    Ok(out)
}

/// The digest of one source folder of a corpus directory.
pub fn folder_digest(dir: &Path, source: &Source) -> Result<(usize, String)> {
    let files = kept_files(dir, source)?;
    let d = digest(files.iter().map(|(p, b)| (p.as_str(), b.as_slice())));
    Ok((files.len(), d))
}

/// Progress of a fetch, for the caller to show.
#[derive(Debug, Clone)]
pub enum Event {
    /// A source is already in place with its pinned digest.
    UpToDate { source: String },
    /// Downloading: bytes so far and the total when known.
    Download {
        source: String,
        url: String,
        done: u64,
        total: Option<u64>,
    },
    /// A download resumes from this byte.
    Resume { source: String, from: u64 },
    /// A source is in place: files kept and their digest.
    Done {
        source: String,
        files: usize,
        digest: String,
    },
}

/// Settings of one fetch.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// The corpus directory to fill.
    pub dest: PathBuf,
    /// Only these sources (all when empty).
    pub only: Vec<String>,
    /// Base URL of a mirror (instead of github.com and raw.githubusercontent.com).
    pub mirror: Option<String>,
    /// Per request.
    pub timeout: std::time::Duration,
}

/// What a fetch did, per source.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Fetched {
    pub source: String,
    pub files: usize,
    pub digest: String,
    /// False when the source was already in place.
    pub downloaded: bool,
}

/// Fetch the sources into `opts.dest`.
pub fn fetch(
    sources: &SourcesFile,
    opts: &FetchOptions,
    progress: &mut dyn FnMut(Event),
) -> Result<Vec<Fetched>> {
    let chosen: Vec<&Source> = if opts.only.is_empty() {
        sources.sources.iter().collect()
    } else {
        let mut v = Vec::new();
        for n in &opts.only {
            match sources.get(n) {
                Some(s) => v.push(s),
                None => {
                    return Err(FetchError::UnknownSource {
                        name: n.clone(),
                        known: sources
                            .sources
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
                }
            }
        }
        v
    };
    std::fs::create_dir_all(&opts.dest).map_err(io(&opts.dest))?;
    let client = reqwest::blocking::Client::builder()
        .timeout(opts.timeout)
        .user_agent(concat!("provisio/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| FetchError::Offline {
            url: String::new(),
            message: e.to_string(),
        })?;
    let mut out = Vec::new();
    for s in chosen {
        out.push(fetch_source(&client, s, opts, progress)?);
    }
    let mark = opts.dest.join(CORPUS_MARK);
    let mut names: Vec<String> = std::fs::read_to_string(&mark)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    for f in &out {
        if !names.contains(&f.source) {
            names.push(f.source.clone());
        }
    }
    names.sort();
    std::fs::write(&mark, names.join("\n") + "\n").map_err(io(&mark))?;
    Ok(out)
}

fn fetch_source(
    client: &reqwest::blocking::Client,
    s: &Source,
    opts: &FetchOptions,
    progress: &mut dyn FnMut(Event),
) -> Result<Fetched> {
    let pinned = s
        .digest
        .clone()
        .ok_or_else(|| FetchError::NoDigest(s.name.clone()))?;
    let folder = opts.dest.join(&s.name);
    let mark = folder.join(SOURCE_MARK);
    if std::fs::read_to_string(&mark).is_ok_and(|d| d.trim() == pinned) {
        if let Ok((files, d)) = folder_digest(&folder, s) {
            if d == pinned {
                progress(Event::UpToDate {
                    source: s.name.clone(),
                });
                return Ok(Fetched {
                    source: s.name.clone(),
                    files,
                    digest: d,
                    downloaded: false,
                });
            }
        }
    }
    let (owner, repo) = s.github_repo().ok_or_else(|| FetchError::Source {
        source_name: s.name.clone(),
        message: format!(
            "repository `{}` is not a GitHub repository URL (https://github.com/OWNER/REPO)",
            s.repository
        ),
    })?;
    let work = opts.dest.join(".download");
    std::fs::create_dir_all(&work).map_err(io(&work))?;
    let job = Job {
        client,
        s,
        opts,
        owner: &owner,
        repo: &repo,
        work: &work,
    };
    let (kept, licenses) = if s.files.is_empty() {
        fetch_archive(&job, progress)?
    } else {
        fetch_files(&job, progress)?
    };
    let actual = digest(kept.iter().map(|(p, b)| (p.as_str(), b.as_slice())));
    if actual != pinned {
        return Err(FetchError::DigestMismatch {
            source_name: s.name.clone(),
            expected: pinned,
            actual,
            commit: if s.commit.is_empty() {
                "(per file)".into()
            } else {
                s.commit.clone()
            },
        });
    }
    // Build the folder beside the old one, then swap it in.
    let staging = opts.dest.join(format!(".staging-{}", s.name));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    for (rel, bytes) in kept.iter().chain(licenses.iter()) {
        let p = staging.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&p, bytes).map_err(io(&p))?;
    }
    let note = staging.join("LICENSE-NOTE.md");
    std::fs::write(&note, license_note(s, &licenses)).map_err(io(&note))?;
    let smark = staging.join(SOURCE_MARK);
    std::fs::write(&smark, format!("{actual}\n")).map_err(io(&smark))?;
    if folder.exists() {
        std::fs::remove_dir_all(&folder).map_err(io(&folder))?;
    }
    std::fs::rename(&staging, &folder).map_err(io(&folder))?;
    // The download is no longer needed once its content is in place.
    let _ = std::fs::remove_dir_all(work.join(&s.name));
    progress(Event::Done {
        source: s.name.clone(),
        files: kept.len(),
        digest: actual.clone(),
    });
    Ok(Fetched {
        source: s.name.clone(),
        files: kept.len(),
        digest: actual,
        downloaded: true,
    })
}

fn license_note(s: &Source, licenses: &BTreeMap<String, Vec<u8>>) -> String {
    let mut t = format!(
        "# {}\n\n{}\n\n- Source: {}\n- Licence: {} (SPDX)\n",
        s.name, s.description, s.repository, s.license
    );
    if s.files.is_empty() {
        t.push_str(&format!(
            "- Commit: {}\n- Path in the repository: `{}`\n",
            s.commit,
            if s.upstream_prefix.is_empty() {
                "/"
            } else {
                &s.upstream_prefix
            }
        ));
    } else {
        t.push_str("- Files, each at its own commit:\n");
        for f in &s.files {
            t.push_str(&format!("  - `{}` at {}\n", f.path, f.commit));
        }
    }
    if !licenses.is_empty() {
        let names: Vec<&str> = licenses.keys().map(String::as_str).collect();
        t.push_str(&format!(
            "- The upstream licence text, copied unmodified: {}\n",
            names.join(", ")
        ));
    }
    t.push_str(
        "\nThe documents are unmodified copies, fetched by `provisio corpus fetch` and checked \
         against the digest pinned in Provisio's `corpus/sources.toml`. They keep their own \
         licence; Provisio's licence does not apply to them.\n",
    );
    t
}

fn base(opts: &FetchOptions, default: &str) -> String {
    opts.mirror
        .as_deref()
        .unwrap_or(default)
        .trim_end_matches('/')
        .to_string()
}

fn http_error(url: &str, status: reqwest::StatusCode, mirror: bool) -> FetchError {
    let fix = match (status.as_u16(), mirror) {
        (404, true) => "the mirror does not hold this path: it must serve GitHub's layout ({URL}/{owner}/{repo}/archive/{commit}.tar.gz, {URL}/{owner}/{repo}/raw/{commit}/{path})".to_string(),
        (404, false) => "the repository or commit is not there (moved or deleted upstream): check `repository` and `commit` in the sources file".to_string(),
        (401 | 403, _) => "the server refuses the download (rate limit or access): wait and retry, or use --mirror".to_string(),
        _ => "retry later, or use --mirror URL".to_string(),
    };
    FetchError::Http {
        url: url.to_string(),
        status: status.as_u16(),
        fix,
    }
}

fn get(
    client: &reqwest::blocking::Client,
    url: &str,
    range_from: u64,
    mirror: bool,
) -> Result<reqwest::blocking::Response> {
    let mut req = client.get(url);
    if range_from > 0 {
        req = req.header(reqwest::header::RANGE, format!("bytes={range_from}-"));
    }
    let resp = req.send().map_err(|e| FetchError::Offline {
        url: url.to_string(),
        message: error_chain(&e),
    })?;
    let st = resp.status();
    if !st.is_success() {
        return Err(http_error(url, st, mirror));
    }
    Ok(resp)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

type Files = BTreeMap<String, Vec<u8>>;

/// One source's download: where from and where to.
struct Job<'a> {
    client: &'a reqwest::blocking::Client,
    s: &'a Source,
    opts: &'a FetchOptions,
    owner: &'a str,
    repo: &'a str,
    work: &'a Path,
}

fn fetch_archive(job: &Job, progress: &mut dyn FnMut(Event)) -> Result<(Files, Files)> {
    let Job {
        client,
        s,
        opts,
        owner,
        repo,
        work,
    } = *job;
    let url = format!(
        "{}/{owner}/{repo}/archive/{}.tar.gz",
        base(opts, "https://github.com"),
        s.commit
    );
    let dir = work.join(&s.name);
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let done = dir.join(format!("{}.tar.gz", s.commit));
    if !done.exists() {
        let part = dir.join(format!("{}.tar.gz.part", s.commit));
        let have = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        let mut resp = get(client, &url, have, opts.mirror.is_some())?;
        let resumed = have > 0 && resp.status() == reqwest::StatusCode::PARTIAL_CONTENT;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(resumed)
            .write(true)
            .truncate(!resumed)
            .open(&part)
            .map_err(io(&part))?;
        let mut so_far = if resumed { have } else { 0 };
        if resumed {
            progress(Event::Resume {
                source: s.name.clone(),
                from: have,
            });
        }
        let total = resp.content_length().map(|n| n + so_far);
        let mut buf = vec![0u8; 1 << 16];
        let mut last = 0u64;
        loop {
            let n = resp.read(&mut buf).map_err(|e| FetchError::Offline {
                url: url.clone(),
                message: format!(
                    "download broke off after {so_far} bytes ({e}); run the fetch again to resume"
                ),
            })?;
            if n == 0 {
                break;
            }
            file.write_all(&buf[..n]).map_err(io(&part))?;
            so_far += n as u64;
            if so_far - last >= 1 << 20 {
                last = so_far;
                progress(Event::Download {
                    source: s.name.clone(),
                    url: url.clone(),
                    done: so_far,
                    total,
                });
            }
        }
        file.flush().map_err(io(&part))?;
        progress(Event::Download {
            source: s.name.clone(),
            url: url.clone(),
            done: so_far,
            total: Some(so_far),
        });
        std::fs::rename(&part, &done).map_err(io(&done))?;
    }
    let matcher = s.matcher().map_err(|message| FetchError::Source {
        source_name: s.name.clone(),
        message,
    })?;
    let f = std::fs::File::open(&done).map_err(io(&done))?;
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(f));
    let bad = |e: std::io::Error| FetchError::Archive {
        path: done.clone(),
        message: e.to_string(),
    };
    let prefix = s.upstream_prefix.trim_matches('/');
    let mut kept = Files::new();
    let mut licenses = Files::new();
    for entry in ar.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().map_err(bad)?.to_string_lossy().into_owned();
        // Drop the archive's top folder (`{repo}-{commit}/`).
        let Some((_, in_repo)) = path.split_once('/') else {
            continue;
        };
        let in_repo = in_repo.to_string();
        let wanted_license = s.license_files.iter().any(|l| *l == in_repo);
        let rel = if prefix.is_empty() {
            Some(in_repo.as_str())
        } else {
            in_repo
                .strip_prefix(prefix)
                .and_then(|r| r.strip_prefix('/'))
        };
        let keep = rel.is_some_and(|r| matcher.matches(r));
        if !keep && !wanted_license {
            continue;
        }
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(bad)?;
        if wanted_license {
            let name = in_repo.rsplit('/').next().unwrap_or(&in_repo).to_string();
            licenses.insert(name, bytes.clone());
        }
        if let (true, Some(r)) = (keep, rel) {
            kept.insert(r.to_string(), bytes);
        }
    }
    Ok((kept, licenses))
}

fn fetch_files(job: &Job, progress: &mut dyn FnMut(Event)) -> Result<(Files, Files)> {
    let Job {
        client,
        s,
        opts,
        owner,
        repo,
        work,
    } = *job;
    let dir = work.join(&s.name);
    let prefix = s.upstream_prefix.trim_matches('/');
    let mut kept = Files::new();
    let total = s.files.len() as u64;
    for (i, f) in s.files.iter().enumerate() {
        let rel = if prefix.is_empty() {
            f.path.as_str()
        } else {
            f.path
                .strip_prefix(prefix)
                .map(|r| r.trim_start_matches('/'))
                .unwrap_or(&f.path)
        };
        // Files already downloaded by an earlier, interrupted run are kept.
        let local = dir.join(&f.commit).join(&f.path);
        let bytes = match std::fs::read(&local) {
            Ok(b) => b,
            Err(_) => {
                let url = match &opts.mirror {
                    Some(m) => format!(
                        "{}/{owner}/{repo}/raw/{}/{}",
                        m.trim_end_matches('/'),
                        f.commit,
                        f.path
                    ),
                    None => format!(
                        "https://raw.githubusercontent.com/{owner}/{repo}/{}/{}",
                        f.commit, f.path
                    ),
                };
                let resp = get(client, &url, 0, opts.mirror.is_some())?;
                let b = resp.bytes().map_err(|e| FetchError::Offline {
                    url: url.clone(),
                    message: error_chain(&e),
                })?;
                if let Some(parent) = local.parent() {
                    std::fs::create_dir_all(parent).map_err(io(parent))?;
                }
                std::fs::write(&local, &b).map_err(io(&local))?;
                progress(Event::Download {
                    source: s.name.clone(),
                    url,
                    done: i as u64 + 1,
                    total: Some(total),
                });
                b.to_vec()
            }
        };
        kept.insert(rel.to_string(), bytes);
    }
    Ok((kept, Files::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_order_independent_and_length_framed() {
        let a = digest([("b.md", &b"x"[..]), ("a.md", &b"yz"[..])]);
        let b = digest([("a.md", &b"yz"[..]), ("b.md", &b"x"[..])]);
        assert_eq!(a, b);
        assert!(a.starts_with("sha256:") && a.len() == 7 + 64);
        // Moving a byte from one file to the next changes the digest.
        let c = digest([("a.md", &b"yzx"[..]), ("b.md", &b""[..])]);
        assert_ne!(a, c);
        // The empty set has the digest of nothing.
        assert_eq!(
            digest(std::iter::empty()),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
