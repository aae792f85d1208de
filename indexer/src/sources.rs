//! `corpus/sources.toml`: which upstream sources make up the corpus, pinned, with their licenses
//! and the URL scheme used for citations.
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use crate::error::{io, Error, Result};

/// The whole sources file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SourcesFile {
    #[serde(rename = "source")]
    pub sources: Vec<Source>,
}

/// One upstream documentation source: one folder in the corpus directory.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Folder name in the corpus directory, also the `source` filter value.
    pub name: String,
    /// Upstream repository, e.g. `https://github.com/proxmox/pve-docs`.
    pub repository: String,
    /// Pinned upstream commit the corpus folder was taken from (an archive of the repository
    /// at this commit). Empty when the source is pinned file by file (`files`).
    #[serde(default)]
    pub commit: String,
    /// Files pinned one by one, each at its own commit, for sources assembled from several
    /// upstream revisions (fetched as raw files instead of one archive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<PinnedFile>,
    /// `sha256:` digest of the source's kept files, as `provisio corpus digest` computes it
    /// (sorted paths, each with its length and bytes); `corpus fetch` checks it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Licence files of the upstream repository (paths from its root) that `corpus fetch`
    /// copies beside the documents.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub license_files: Vec<String>,
    /// Path of the corpus folder inside the upstream repository (prefix for citations), may be empty.
    #[serde(default)]
    pub upstream_prefix: String,
    /// SPDX license of the documents.
    pub license: String,
    /// Globs (relative to the source folder) of files to index.
    pub include: Vec<String>,
    /// Globs of files to skip.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Citation URL template; `{path}` is the path inside the upstream repository,
    /// `{start}`/`{end}` the line range. Default: GitHub blob URL at the pinned commit.
    #[serde(default)]
    pub doc_url: Option<String>,
    /// Short human description.
    #[serde(default)]
    pub description: String,
    /// Words that name this source in a question (`bpg`, `tofu`, `metallb`), matched whole and
    /// case-insensitively: when a question uses one, this source's hits get a bonus.
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl SourcesFile {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(io(path))?;
        Self::parse(&text).map_err(|message| Error::Sources {
            path: path.to_path_buf(),
            message,
        })
    }

    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let file: SourcesFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut seen = std::collections::BTreeSet::new();
        for s in &file.sources {
            if !seen.insert(s.name.clone()) {
                return Err(format!("source `{}` is listed twice", s.name));
            }
            if s.include.is_empty() {
                return Err(format!(
                    "source `{}`: `include` must list at least one glob",
                    s.name
                ));
            }
            s.matcher()
                .map_err(|e| format!("source `{}`: {e}", s.name))?;
            match (s.commit.is_empty(), s.files.is_empty()) {
                (true, true) => {
                    return Err(format!(
                        "source `{}`: pin it with `commit = \"<sha>\"` or a `files = [{{ path, commit }}]` list",
                        s.name
                    ))
                }
                (false, false) => {
                    return Err(format!(
                        "source `{}`: give either `commit` or `files`, not both",
                        s.name
                    ))
                }
                _ => {}
            }
            for f in &s.files {
                if !f.path.starts_with(&s.upstream_prefix) {
                    return Err(format!(
                        "source `{}`: file `{}` is not under upstream_prefix `{}`",
                        s.name, f.path, s.upstream_prefix
                    ));
                }
            }
        }
        Ok(file)
    }

    /// The sources file that ships with the repository (`corpus/sources.toml`).
    pub fn builtin() -> Self {
        #[allow(clippy::expect_used)]
        Self::parse(include_str!("../../corpus/sources.toml"))
            .expect("corpus/sources.toml is valid")
    }

    pub fn get(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }
}

/// One file of a source pinned file by file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PinnedFile {
    /// Path inside the upstream repository (and inside the source folder, after
    /// `upstream_prefix`).
    pub path: String,
    pub commit: String,
}

/// Compiled include/exclude globs of a source.
pub struct SourceMatcher {
    include: GlobSet,
    exclude: GlobSet,
}

impl SourceMatcher {
    pub fn matches(&self, rel: &str) -> bool {
        self.include.is_match(rel) && !self.exclude.is_match(rel)
    }
}

fn globset(globs: &[String]) -> std::result::Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).map_err(|e| format!("bad glob `{g}`: {e}"))?);
    }
    b.build().map_err(|e| e.to_string())
}

impl Source {
    pub fn matcher(&self) -> std::result::Result<SourceMatcher, String> {
        Ok(SourceMatcher {
            include: globset(&self.include)?,
            exclude: globset(&self.exclude)?,
        })
    }

    /// The commit a file (path relative to the source folder) was taken at.
    pub fn commit_of(&self, rel: &str) -> &str {
        if self.files.is_empty() {
            return &self.commit;
        }
        let upstream = self.upstream_path(rel);
        self.files
            .iter()
            .find(|f| f.path == upstream)
            .map(|f| f.commit.as_str())
            .unwrap_or("HEAD")
    }

    /// Path of a file (relative to the source folder) inside the upstream repository.
    pub fn upstream_path(&self, rel: &str) -> String {
        let upstream: PathBuf = Path::new(&self.upstream_prefix).join(rel);
        upstream.to_string_lossy().into_owned()
    }

    /// `owner/repo` of a GitHub repository URL.
    pub fn github_repo(&self) -> Option<(String, String)> {
        let rest = self
            .repository
            .trim_end_matches('/')
            .trim_end_matches(".git")
            .strip_prefix("https://github.com/")?;
        let (owner, repo) = rest.split_once('/')?;
        (!owner.is_empty() && !repo.is_empty() && !repo.contains('/'))
            .then(|| (owner.to_string(), repo.to_string()))
    }

    /// Citation URL for a file (path relative to the source folder) and a line range.
    pub fn citation(&self, rel: &str, start: u32, end: u32) -> String {
        let upstream = self.upstream_path(rel).replace(' ', "%20");
        match &self.doc_url {
            Some(t) => t
                .replace("{path}", &upstream)
                .replace("{start}", &start.to_string())
                .replace("{end}", &end.to_string()),
            None => format!(
                "{}/blob/{}/{}#L{}-L{}",
                self.repository.trim_end_matches('/'),
                self.commit_of(rel),
                upstream,
                start,
                end
            ),
        }
    }
}
