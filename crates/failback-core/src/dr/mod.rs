//! The cross-region DR workflow: a DR Orchestrator payload, checked whole, then run layer
//! by layer. It shares the foundation with the failback workflow: the error vocabulary,
//! the identifier and class checks, the AWS adapters and the ledger.

pub mod backup_watch;
pub mod observe;
pub mod outcome;
pub mod payload;
pub mod plan;
pub mod readiness;
pub mod record;
pub mod request;
pub mod resource;
pub mod rpo;
pub mod validate;
