//! The failback workflow: after an Aurora failover put a writer of the right class back.
//! Its plan (what to do about a cluster) and its five steps, one per Lambda. It shares
//! the foundation with the DR workflow (dr/): the error vocabulary, the identifier and
//! class checks, the AWS adapters, the ledger and the run outcomes.

pub mod plan;
pub mod steps;
