//! Test doubles for the dense path: an embedder without a model.
use provisio_indexer::embed::{normalize, Embedder};
use provisio_indexer::Result;

/// A deterministic bag-of-words hashing embedder. It has no notion of meaning; it exists so
/// tests can exercise the dense path (cache, store, fusion) without the ONNX model.
pub struct HashEmbedder {
    pub dim: usize,
    pub calls: std::sync::atomic::AtomicUsize,
}

impl HashEmbedder {
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            calls: Default::default(),
        }
    }
}

impl Embedder for HashEmbedder {
    fn model_id(&self) -> &str {
        "hash-bow"
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.calls
            .fetch_add(texts.len(), std::sync::atomic::Ordering::SeqCst);
        Ok(texts
            .iter()
            .map(|t| {
                let mut v = vec![0f32; self.dim];
                for w in t
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                {
                    let h = blake3::hash(w.to_lowercase().as_bytes());
                    let b = h.as_bytes();
                    let i = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize % self.dim;
                    v[i] += 1.0;
                }
                if v.iter().all(|x| *x == 0.0) {
                    v[0] = 1.0;
                }
                normalize(&mut v);
                v
            })
            .collect())
    }
}
