//! Where things live: data directory, embedding model, ONNX Runtime. Flags, then environment
//! variables, then defaults where `scripts/setup.sh` installs.
use std::path::PathBuf;

use provisio_indexer::embed::ModelPaths;
use provisio_indexer::DataDir;

pub const ORT_FILE: &str = "libonnxruntime.so.1.32.0";

#[derive(Debug, Clone)]
pub struct Paths {
    pub data: DataDir,
    pub model: ModelPaths,
    /// `--config` (else PROVISIO_CONFIG, else the user's config directory).
    pub config: Option<PathBuf>,
}

/// The user's data directory for Provisio (`$XDG_DATA_HOME/provisio` on Linux).
pub fn default_home() -> PathBuf {
    directories::ProjectDirs::from("", "", "provisio")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".provisio"))
}

impl Paths {
    /// The Proxmox VE configuration: the config file, then PROVISIO_PVE_* variables.
    pub fn pve_config(&self) -> anyhow::Result<provisio_pve::Config> {
        provisio_pve::Config::load(self.config.as_deref()).map_err(|e| {
            anyhow::anyhow!(
                "{e}{}",
                e.hint()
                    .map(|h| format!("\n  hint: {h}"))
                    .unwrap_or_default()
            )
        })
    }

    pub fn resolve(data_dir: Option<PathBuf>, config: Option<PathBuf>) -> Self {
        let home = default_home();
        let data = DataDir::new(data_dir.unwrap_or_else(|| home.clone()));
        let model_dir = std::env::var_os("PROVISIO_MODEL_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join("models").join("all-MiniLM-L6-v2"));
        let ort_dylib = std::env::var_os("ORT_DYLIB_PATH")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join("runtime").join(ORT_FILE));
        let threads = std::env::var("PROVISIO_EMBED_THREADS")
            .ok()
            .and_then(|t| t.parse().ok());
        Paths {
            config,
            data,
            model: ModelPaths {
                model_dir,
                ort_dylib,
                threads,
            },
        }
    }
}
