//! describe-writer: reads the run's trigger and the cluster, and returns the plan.

use serde::Deserialize;
use serde_json::Value;

use crate::errors::{AwsFailure, StepError};
use crate::plan::{plan_restore, ClusterSettling, Plan};
use crate::rds::Rds;
use crate::trigger::{parse_trigger, InvalidInput};

use super::{parse_input, valid_run_name};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DescribeWriterInput {
    trigger: Value,
    run_name: String,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct DescribeSettings {
    /// Every run only plans, whatever its input says.
    pub dry_run_only: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DescribeWriterError {
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    #[error("cluster {0} does not exist")]
    ClusterNotFound(String),
    #[error(transparent)]
    ClusterBusy(#[from] ClusterSettling),
    #[error(transparent)]
    Aws(#[from] AwsFailure),
}

impl StepError for DescribeWriterError {
    fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => "InvalidInput",
            Self::ClusterNotFound(_) => "ClusterNotFound",
            Self::ClusterBusy(_) => "ClusterBusy",
            Self::Aws(aws) => aws.error_type(),
        }
    }
}

pub async fn describe_writer(
    rds: &Rds,
    settings: DescribeSettings,
    payload: Value,
) -> Result<Plan, DescribeWriterError> {
    let input: DescribeWriterInput = parse_input(payload, "describe-writer")?;
    let run_name = valid_run_name(&input.run_name)?;
    let mut request = parse_trigger(&input.trigger)?;
    request.dry_run |= settings.dry_run_only;
    let cluster = rds
        .cluster(&request.cluster_id)
        .await?
        .ok_or_else(|| DescribeWriterError::ClusterNotFound(request.cluster_id.clone()))?;
    let plan = plan_restore(&cluster, &request, &run_name)?;
    tracing::info!(cluster = %plan.cluster_id, dry_run = plan.dry_run, summary = %plan.summary, "planned");
    Ok(plan)
}
