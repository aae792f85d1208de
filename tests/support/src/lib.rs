//! Test doubles for Provisio's tests and measurements, outside product source: a Qdrant gRPC
//! stand-in and a meaning-free embedder. Never a dependency of the `provisio` binary.
pub mod embed;
pub mod qdrant_standin;

pub use embed::HashEmbedder;
pub use qdrant_standin::QdrantStandIn;
