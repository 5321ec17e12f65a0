//! failover: moves the writer to the target, once.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::errors::{AwsFailure, StepError};
use crate::model::{instance_health, InstanceHealth};
use crate::rds::{FailoverCallFailure, Rds};
use crate::trigger::{valid_cluster_id, valid_instance_id, InvalidInput};

use super::parse_input;

/// Every error name this step can return, for the state machine's Retry and Catch.
pub const ERROR_NAMES: &[&str] = &[
    "ClusterNotFound",
    "NotOptedIn",
    "TargetNotInCluster",
    "TargetFailed",
    "ClusterBusy",
];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FailoverInput {
    cluster_id: String,
    instance_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailoverOutput {
    /// False when the target already was the writer (a retry after success).
    pub failover_requested: bool,
    pub from_instance_id: Option<String>,
    pub to_instance_id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum FailoverError {
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    #[error("cluster {0} does not exist")]
    ClusterNotFound(String),
    #[error(
        "cluster {0} is not opted in (tag aurora-failback:enabled=true); no failover was requested"
    )]
    NotOptedIn(String),
    #[error("instance {instance_id} is not a member of cluster {cluster_id}")]
    TargetNotInCluster {
        instance_id: String,
        cluster_id: String,
    },
    #[error("instance {instance_id} is {status}; it cannot become the writer")]
    TargetFailed { instance_id: String, status: String },
    /// Retryable: the cluster or the target is busy, or AWS said so.
    #[error("{0}")]
    ClusterBusy(String),
    #[error(transparent)]
    Aws(#[from] AwsFailure),
}

impl StepError for FailoverError {
    fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => "InvalidInput",
            Self::ClusterNotFound(_) => "ClusterNotFound",
            Self::NotOptedIn(_) => "NotOptedIn",
            Self::TargetNotInCluster { .. } => "TargetNotInCluster",
            Self::TargetFailed { .. } => "TargetFailed",
            Self::ClusterBusy(_) => "ClusterBusy",
            Self::Aws(aws) => aws.error_type(),
        }
    }
}

/// The validated input, (cluster, target instance). Pure, so it can be fuzzed.
pub fn read_input(payload: Value) -> Result<(String, String), InvalidInput> {
    let input: FailoverInput = parse_input(payload, "failover")?;
    let cluster_id = valid_cluster_id(&input.cluster_id)?;
    let instance_id = valid_instance_id(&input.instance_id, "instance identifier")?;
    Ok((cluster_id, instance_id))
}

pub async fn failover(
    rds: &Rds,
    untagged_allowed: bool,
    payload: Value,
) -> Result<FailoverOutput, FailoverError> {
    let (cluster_id, instance_id) = read_input(payload)?;
    let cluster = rds
        .cluster(&cluster_id)
        .await?
        .ok_or_else(|| FailoverError::ClusterNotFound(cluster_id.clone()))?;
    if !cluster.may_change(untagged_allowed) {
        return Err(FailoverError::NotOptedIn(cluster_id));
    }
    // RDS refuses a target from another cluster; checking here keeps that true wherever
    // the API is less strict, and names the problem.
    let target = cluster
        .member(&instance_id)
        .ok_or_else(|| FailoverError::TargetNotInCluster {
            instance_id: instance_id.clone(),
            cluster_id: cluster_id.clone(),
        })?;
    let from_instance_id = cluster.writer().map(|w| w.instance_id.clone());
    if target.is_writer {
        tracing::info!(cluster = %cluster_id, writer = %instance_id, "target is already the writer");
        return Ok(FailoverOutput {
            failover_requested: false,
            from_instance_id,
            to_instance_id: instance_id,
        });
    }
    if instance_health(&target.status) == InstanceHealth::Terminal {
        return Err(FailoverError::TargetFailed {
            instance_id,
            status: target.status.clone(),
        });
    }
    if cluster.status != "available" || target.status != "available" {
        return Err(FailoverError::ClusterBusy(format!(
            "cluster {cluster_id} is {} and instance {instance_id} is {}; both must be available",
            cluster.status, target.status
        )));
    }
    match rds.failover(&cluster_id, &instance_id).await {
        Ok(()) => {
            tracing::info!(cluster = %cluster_id, to = %instance_id, "failover requested");
            Ok(FailoverOutput {
                failover_requested: true,
                from_instance_id,
                to_instance_id: instance_id,
            })
        }
        Err(FailoverCallFailure::ClusterBusy(message)) => Err(FailoverError::ClusterBusy(message)),
        Err(FailoverCallFailure::ClusterNotFound(_)) => {
            Err(FailoverError::ClusterNotFound(cluster_id))
        }
        Err(FailoverCallFailure::Aws(aws)) => Err(aws.into()),
    }
}
