use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    /// The plan cannot be previewed (invalid, or questions open).
    #[error("{0}")]
    Plan(String),
    #[error("approval refused: {message}")]
    Approval { message: String, fix: String },
    #[error("{0}")]
    Pve(#[from] provisio_pve::Error),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("audit log: {0}")]
    Audit(String),
}

impl Error {
    pub fn io(path: &std::path::Path, e: impl std::fmt::Display) -> Self {
        Error::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
