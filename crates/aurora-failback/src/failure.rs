//! Errors a person can act on, one line each, with distinct exit codes.

use failback_core::errors::AwsFailure;

use crate::deployment::{ExecutionFailure, StartFailure};

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("no AWS credentials found ({0}); set AWS_PROFILE or run `aws sso login`")]
    NoCredentials(String),
    #[error("no AWS region; pass --region or set AWS_REGION")]
    NoRegion,
    #[error("cluster {0} not found in this account and region")]
    ClusterNotFound(String),
    #[error("state machine not found: {0}")]
    StateMachineNotFound(String),
    #[error("ledger table not found: {0}")]
    TableNotFound(String),
    #[error("execution not found: {0}")]
    ExecutionNotFound(String),
    #[error("access denied: {0}")]
    AccessDenied(String),
    #[error("throttled by AWS, even after retries: {0}; try again in a minute")]
    Throttled(String),
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    Aws(String),
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Aws(_) => 1,
            Self::InvalidInput(_) => 2,
            Self::NoCredentials(_) => 10,
            Self::NoRegion => 11,
            Self::ClusterNotFound(_) => 12,
            Self::StateMachineNotFound(_) => 13,
            Self::AccessDenied(_) => 14,
            Self::Throttled(_) => 15,
            Self::TableNotFound(_) => 16,
            Self::ExecutionNotFound(_) => 17,
        }
    }
}

impl From<AwsFailure> for Failure {
    fn from(failure: AwsFailure) -> Self {
        match failure {
            AwsFailure::Throttled(m) => Self::Throttled(m),
            AwsFailure::AccessDenied(m) => Self::AccessDenied(m),
            other => Self::Aws(other.to_string()),
        }
    }
}

impl From<failback_core::trigger::InvalidInput> for Failure {
    fn from(invalid: failback_core::trigger::InvalidInput) -> Self {
        Self::InvalidInput(invalid.0)
    }
}

impl From<failback_core::trigger::TriggerError> for Failure {
    fn from(refused: failback_core::trigger::TriggerError) -> Self {
        Self::InvalidInput(refused.to_string())
    }
}

impl From<StartFailure> for Failure {
    fn from(refused: StartFailure) -> Self {
        match refused {
            StartFailure::StateMachineNotFound(arn) => Self::StateMachineNotFound(arn),
            StartFailure::AlreadyExists(name) => {
                Self::InvalidInput(format!("an execution named {name} already exists"))
            }
            StartFailure::Aws(aws) => aws.into(),
        }
    }
}

impl From<ExecutionFailure> for Failure {
    fn from(failure: ExecutionFailure) -> Self {
        match failure {
            ExecutionFailure::NotFound(arn) => Self::ExecutionNotFound(arn),
            ExecutionFailure::Aws(aws) => aws.into(),
        }
    }
}

/// Exit codes of `start --wait` by the run's outcome.
pub const EXIT_NOT_RESTORED: u8 = 3;
pub const EXIT_RUN_FAILED: u8 = 4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exit_code_is_explained_in_the_long_help() {
        let failures = [
            Failure::Aws(String::new()),
            Failure::InvalidInput(String::new()),
            Failure::NoCredentials(String::new()),
            Failure::NoRegion,
            Failure::ClusterNotFound(String::new()),
            Failure::StateMachineNotFound(String::new()),
            Failure::AccessDenied(String::new()),
            Failure::Throttled(String::new()),
            Failure::TableNotFound(String::new()),
            Failure::ExecutionNotFound(String::new()),
        ];
        let codes = failures
            .iter()
            .map(Failure::exit_code)
            .chain([EXIT_NOT_RESTORED, EXIT_RUN_FAILED]);
        for code in codes {
            assert!(
                crate::cli::LONG_HELP_FOOTER.contains(&format!(" {code}  ")),
                "exit code {code} is not in --help"
            );
        }
    }
}
