use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    #[error("provider schema: {0}")]
    Schema(String),
    #[error("cluster facts: {field}: {message}")]
    Facts { field: String, message: String },
    #[error("{path}: {message}")]
    Io { path: String, message: String },
}

pub type Result<T> = std::result::Result<T, Error>;
