//! aurora-failback's domain: what starts a run, what the writer should be, what to do
//! about it, the AWS adapters, and one handler per Lambda step.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod class_rank;
pub mod clock;
pub mod emf;
pub mod errors;
pub mod identifier;
pub mod lambda;
pub mod ledger;
pub mod model;
pub mod outcome;
pub mod payload;
pub mod plan;
pub mod rds;
pub mod steps;
pub mod trigger;
