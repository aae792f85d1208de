use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum Error {
    /// The kubeconfig cannot be read or has no usable context.
    #[error("kubeconfig {path}: {message}")]
    Config {
        path: String,
        message: String,
        hint: String,
    },
    /// The API answered with an error or could not be reached.
    #[error("Kubernetes API {server}: {message}")]
    Api {
        server: String,
        message: String,
        hint: Option<String>,
        /// What failed: `unreachable`, `tls`, `auth`, `forbidden`, `not-found`, `other`.
        kind: &'static str,
    },
}

impl Error {
    /// A fix the operator or the model can act on.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Config { hint, .. } => Some(hint.clone()),
            Error::Api { hint, .. } => hint.clone(),
        }
    }
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Config { .. } => "config",
            Error::Api { kind, .. } => kind,
        }
    }
}
