//! check-status: is the target reader available; has the writer moved to it.

use serde::Deserialize;
use serde_json::Value;

use crate::class_rank::has_at_least;
use crate::errors::{AwsFailure, StepError};
use crate::model::{instance_health, InstanceHealth};
pub use crate::model::{CheckStatusOutput, Readiness};
use crate::rds::Rds;
use crate::trigger::{valid_cluster_id, valid_instance_id, valid_writer_class, InvalidInput};

use super::parse_input;

/// Every error name this step can return, for the state machine's Retry and Catch.
pub const ERROR_NAMES: &[&str] = &[
    "ClusterNotFound",
    "TargetNotFound",
    "TargetNotInCluster",
    "TargetFailed",
    "TargetOutOfCapacity",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Question {
    /// Is the target reader available?
    ReaderAvailable,
    /// Is the target the writer, and the cluster available?
    WriterMoved,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CheckStatusInput {
    check: Question,
    cluster_id: String,
    instance_id: String,
    /// For `reader-available`: the class the reader must have reached (a reader changed
    /// in place is `available` again only with its new class, but asking costs nothing).
    minimum_class: Option<String>,
}

/// check-status's validated input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRequest {
    pub check: Question,
    pub cluster_id: String,
    pub instance_id: String,
    pub minimum_class: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckStatusError {
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    #[error("cluster {0} does not exist")]
    ClusterNotFound(String),
    #[error("instance {0} does not exist")]
    TargetNotFound(String),
    #[error("instance {instance_id} is not a member of cluster {cluster_id}")]
    TargetNotInCluster {
        instance_id: String,
        cluster_id: String,
    },
    #[error("instance {instance_id} is {status}; it will not become available without a person")]
    TargetFailed { instance_id: String, status: String },
    /// AWS accepted the reader but has no capacity for it (`insufficient-capacity`): the
    /// machine puts one elsewhere rather than waiting.
    #[error(
        "instance {0} is insufficient-capacity: AWS has no capacity for its class in its zone"
    )]
    TargetOutOfCapacity(String),
    #[error(transparent)]
    Aws(#[from] AwsFailure),
}

impl StepError for CheckStatusError {
    fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => "InvalidInput",
            Self::ClusterNotFound(_) => "ClusterNotFound",
            Self::TargetNotFound(_) => "TargetNotFound",
            Self::TargetNotInCluster { .. } => "TargetNotInCluster",
            Self::TargetFailed { .. } => "TargetFailed",
            Self::TargetOutOfCapacity(_) => "TargetOutOfCapacity",
            Self::Aws(aws) => aws.error_type(),
        }
    }
}

fn refuse_terminal(instance_id: &str, status: &str) -> Result<(), CheckStatusError> {
    if instance_health(status) == InstanceHealth::Terminal {
        return Err(CheckStatusError::TargetFailed {
            instance_id: instance_id.into(),
            status: status.into(),
        });
    }
    Ok(())
}

/// The validated input: which question, about which cluster and instance. Pure.
pub fn read_input(payload: Value) -> Result<CheckRequest, InvalidInput> {
    let input: CheckStatusInput = parse_input(payload, "check-status")?;
    Ok(CheckRequest {
        check: input.check,
        cluster_id: valid_cluster_id(&input.cluster_id)?,
        instance_id: valid_instance_id(&input.instance_id, "instance identifier")?,
        minimum_class: input
            .minimum_class
            .map(|c| valid_writer_class(&c, "check-status's minimumClass"))
            .transpose()?,
    })
}

pub async fn check_status(
    rds: &Rds,
    payload: Value,
) -> Result<CheckStatusOutput, CheckStatusError> {
    let CheckRequest {
        check,
        cluster_id,
        instance_id,
        minimum_class,
    } = read_input(payload)?;
    match check {
        Question::ReaderAvailable => {
            let instance = rds
                .instance(&instance_id)
                .await?
                .ok_or_else(|| CheckStatusError::TargetNotFound(instance_id.clone()))?;
            if instance.cluster_id.as_deref() != Some(cluster_id.as_str()) {
                return Err(CheckStatusError::TargetNotInCluster {
                    instance_id,
                    cluster_id,
                });
            }
            if instance.status == "insufficient-capacity" {
                return Err(CheckStatusError::TargetOutOfCapacity(instance_id));
            }
            refuse_terminal(&instance_id, &instance.status)?;
            let big_enough = minimum_class
                .as_deref()
                .is_none_or(|class| has_at_least(&instance.class, class));
            Ok(CheckStatusOutput {
                state: (instance.status == "available" && big_enough).into(),
                cluster_id,
                instance_status: instance.status,
                cluster_status: None,
                writer_instance_id: None,
            })
        }
        Question::WriterMoved => {
            let cluster = rds
                .cluster(&cluster_id)
                .await?
                .ok_or_else(|| CheckStatusError::ClusterNotFound(cluster_id.clone()))?;
            let target = cluster.member(&instance_id).ok_or_else(|| {
                CheckStatusError::TargetNotInCluster {
                    instance_id: instance_id.clone(),
                    cluster_id: cluster_id.clone(),
                }
            })?;
            refuse_terminal(&instance_id, &target.status)?;
            let writer = cluster.writer().map(|w| w.instance_id.clone());
            let moved = target.is_writer && cluster.status == "available";
            Ok(CheckStatusOutput {
                state: moved.into(),
                cluster_id,
                instance_status: target.status.clone(),
                cluster_status: Some(cluster.status.clone()),
                writer_instance_id: writer,
            })
        }
    }
}
