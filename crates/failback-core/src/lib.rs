//! aurora-failback's core: two workflows on one foundation. `failback/` restores a
//! cluster's writer class after a failover; `dr/` runs a cross-region DR payload. Both use
//! the same error vocabulary (errors), input checks (trigger, payload, identifier,
//! class_rank), AWS adapters (rds, ledger, references), run outcomes (outcome, emf) and
//! Lambda runtime (lambda). ARCHITECTURE.md says which module may use which.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod class_rank;
pub mod clock;
pub mod cloudwatch;
pub mod dr;
pub mod elasticache;
pub mod emf;
pub mod errors;
pub mod failback;
pub mod identifier;
pub mod lambda;
pub mod ledger;
pub mod model;
pub mod outcome;
pub mod payload;
pub mod rds;
pub mod references;
pub mod trigger;
