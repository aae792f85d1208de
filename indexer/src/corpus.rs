//! Loading a corpus directory: one folder per source (as named in the sources file), files
//! selected by each source's globs, read as UTF-8 (lossy), hashed for incremental reindexing.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::error::{io, Error, Result};
use crate::sources::{Source, SourcesFile};

/// One file of the corpus.
#[derive(Debug, Clone)]
pub struct CorpusFile {
    pub source: String,
    /// Path relative to the source folder.
    pub rel: String,
    /// Path relative to the corpus directory (`source/rel`).
    pub path: String,
    pub text: String,
    /// blake3 of the bytes.
    pub hash: String,
}

/// The files of a corpus directory, sorted by path.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    pub root: PathBuf,
    pub files: Vec<CorpusFile>,
    /// Sources found in the directory.
    pub sources: Vec<String>,
    /// Folders present in the directory that no source describes (reported, not indexed).
    pub unknown_folders: Vec<String>,
}

impl Corpus {
    pub fn load(root: &Path, sources: &SourcesFile) -> Result<Self> {
        let mut files = Vec::new();
        let mut found = Vec::new();
        let mut unknown = Vec::new();
        let entries = std::fs::read_dir(root).map_err(io(root))?;
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect();
        names.sort();
        for name in names {
            let Some(source) = sources.get(&name) else {
                if !name.starts_with('.') {
                    unknown.push(name);
                }
                continue;
            };
            found.push(name.clone());
            load_source(&root.join(&name), source, &mut files)?;
        }
        if found.is_empty() {
            return Err(Error::EmptyCorpus(root.to_path_buf()));
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Corpus {
            root: root.to_path_buf(),
            files,
            sources: found,
            unknown_folders: unknown,
        })
    }

    /// path → file hash, for change detection.
    pub fn file_hashes(&self) -> BTreeMap<String, String> {
        self.files
            .iter()
            .map(|f| (f.path.clone(), f.hash.clone()))
            .collect()
    }
}

fn load_source(dir: &Path, source: &Source, out: &mut Vec<CorpusFile>) -> Result<()> {
    let matcher = source.matcher().map_err(|message| Error::Sources {
        path: dir.to_path_buf(),
        message,
    })?;
    for entry in WalkDir::new(dir).follow_links(false).sort_by_file_name() {
        let entry = entry.map_err(|e| Error::Io {
            path: dir.to_path_buf(),
            source: e.into(),
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(dir) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        if !matcher.matches(&rel) {
            continue;
        }
        let bytes = std::fs::read(entry.path()).map_err(io(entry.path()))?;
        let hash = blake3::hash(&bytes).to_hex().to_string();
        let text = String::from_utf8_lossy(&bytes).replace("\r\n", "\n");
        out.push(CorpusFile {
            source: source.name.clone(),
            path: format!("{}/{}", source.name, rel),
            rel,
            text,
            hash,
        });
    }
    Ok(())
}
