//! describe-writer: reads the run's trigger and the cluster, and returns the plan.

use serde::Deserialize;
use serde_json::Value;

use crate::errors::{AwsFailure, StepError};
use crate::failback::plan::{not_orderable_reason, plan_restore, ClusterBusy, Plan, PlanPolicy};
use crate::rds::Rds;
use crate::trigger::{parse_trigger, ForeignCluster, Home, InvalidInput, RunRequest, TriggerError};

use super::{parse_input, valid_run_name};

/// Every error name this step can return, for the state machine's Retry and Catch.
pub const ERROR_NAMES: &[&str] = &["ForeignCluster", "ClusterNotFound", "ClusterBusy"];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DescribeWriterInput {
    trigger: Value,
    run_name: String,
}

/// What the deployment allows, from its environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct DescribeSettings {
    /// Every run only plans, whatever its input says.
    pub dry_run_only: bool,
    pub policy: PlanPolicy,
}

#[derive(Debug, thiserror::Error)]
pub enum DescribeWriterError {
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    #[error(transparent)]
    ForeignCluster(#[from] ForeignCluster),
    #[error("cluster {0} does not exist")]
    ClusterNotFound(String),
    #[error(transparent)]
    ClusterBusy(#[from] ClusterBusy),
    #[error(transparent)]
    Aws(#[from] AwsFailure),
}

impl From<TriggerError> for DescribeWriterError {
    fn from(error: TriggerError) -> Self {
        match error {
            TriggerError::InvalidInput(e) => e.into(),
            TriggerError::ForeignCluster(e) => e.into(),
        }
    }
}

impl StepError for DescribeWriterError {
    fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => crate::errors::INVALID_INPUT,
            Self::ForeignCluster(_) => "ForeignCluster",
            Self::ClusterNotFound(_) => "ClusterNotFound",
            Self::ClusterBusy(_) => "ClusterBusy",
            Self::Aws(aws) => aws.error_type(),
        }
    }
}

/// The validated input: the run's request and name. Pure, so it can be fuzzed.
pub fn read_input(
    payload: Value,
    home: &Home,
) -> Result<(RunRequest, String), DescribeWriterError> {
    let input: DescribeWriterInput = parse_input(payload, "describe-writer")?;
    let run_name = valid_run_name(&input.run_name)?;
    let request = parse_trigger(&input.trigger, home)?;
    Ok((request, run_name))
}

pub async fn describe_writer(
    rds: &Rds,
    settings: DescribeSettings,
    home: &Home,
    now: f64,
    payload: Value,
) -> Result<Plan, DescribeWriterError> {
    let (mut request, run_name) = read_input(payload, home)?;
    request.dry_run |= settings.dry_run_only;
    let cluster = rds
        .cluster(&request.cluster_id)
        .await?
        .ok_or_else(|| DescribeWriterError::ClusterNotFound(request.cluster_id.clone()))?;
    let mut plan = plan_restore(&cluster, &request, &run_name, &settings.policy, now)?;
    if let Some((class, zone)) = plan.class_to_order() {
        let version = cluster.engine_version.as_deref();
        let zones = rds
            .orderable_zones(&cluster.engine, version, &class)
            .await?;
        let engine = cluster.engine_label();
        if let Some(why) = not_orderable_reason(&class, &engine, &zones, zone.as_deref()) {
            let why = if zones.is_empty() {
                let offered = rds.orderable_classes(&cluster.engine, version).await?;
                format!("{why}; orderable classes: {}", summarise_classes(&offered))
            } else {
                why
            };
            plan = plan.not_orderable(why);
        }
    }
    tracing::info!(cluster = %plan.cluster_id, dry_run = plan.dry_run, summary = %plan.summary, "planned");
    Ok(plan)
}

fn summarise_classes(classes: &[String]) -> String {
    const SHOWN: usize = 40;
    match classes.len() {
        0 => "none".into(),
        n if n <= SHOWN => classes.join(", "),
        n => format!("{}, and {} more", classes[..SHOWN].join(", "), n - SHOWN),
    }
}
