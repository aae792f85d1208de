//! `apply_plan`: a plan becomes a preview (the exact change set with what it expects to find,
//! a digest, an expiry and a single-use approval handle); a human approves it (elicitation or
//! `provisio approve`); the native executor runs it over the PVE API only if the live state
//! still matches, polling each task, reporting progress, stopping on cancel, and never
//! duplicating a VM. Every step goes to a hash-chained audit log.
pub mod approval;
pub mod audit;
pub mod changeset;
pub mod error;
pub mod exec;

pub use approval::{Approvals, Pending};
pub use audit::Audit;
pub use changeset::{preview, ChangeSet, Expect, Step, StepKind};
pub use error::{Error, Result};
pub use exec::{execute, ApplyReport, Progress, StepResult, StepStatus};
