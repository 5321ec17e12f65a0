//! describe-writer: reads the run's trigger and the cluster, and returns the plan.

use serde::Deserialize;
use serde_json::Value;

use crate::errors::{AwsFailure, StepError};
use crate::plan::{plan_restore, Action, ClassSource, ClusterSettling, Plan, PlanPolicy};
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
#[derive(Debug, Clone, Copy)]
pub struct DescribeSettings {
    /// Every run only plans, whatever its input says.
    pub dry_run_only: bool,
    pub max_event_age_seconds: u64,
    pub allow_untagged_manual_runs: bool,
}

impl Default for DescribeSettings {
    fn default() -> Self {
        Self {
            dry_run_only: false,
            max_event_age_seconds: PlanPolicy::DEFAULT_MAX_EVENT_AGE_SECONDS,
            allow_untagged_manual_runs: false,
        }
    }
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
    ClusterBusy(#[from] ClusterSettling),
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
    let policy = PlanPolicy {
        now,
        max_event_age_seconds: settings.max_event_age_seconds,
        allow_untagged_manual_runs: settings.allow_untagged_manual_runs,
    };
    let mut plan = plan_restore(&cluster, &request, &run_name, &policy)?;
    // A class the run would create, or one a person or a tag named, must be sold for
    // this engine and version before the run acts on it; an empty answer is AWS's "not
    // orderable". (A class only read off a member exists already.)
    let named = matches!(
        plan.desired_class_source,
        Some(ClassSource::Input) | Some(ClassSource::Tag)
    );
    let zone = match &plan.action {
        Action::Create {
            availability_zone, ..
        } => Some(availability_zone.clone()),
        Action::Failback { .. } if named => Some(None),
        _ => None,
    };
    if let (Some(zone), Some(class)) = (zone, plan.desired_class.clone()) {
        let version = cluster.engine_version.as_deref();
        let zones = rds
            .orderable_zones(&cluster.engine, version, &class)
            .await?;
        let engine = format!("{} {}", cluster.engine, version.unwrap_or("(any version)"));
        if zones.is_empty() {
            let offered = rds.orderable_classes(&cluster.engine, version).await?;
            plan = plan.not_orderable(format!(
                "{class} is not orderable for {engine}; orderable classes: {}",
                summarise_classes(&offered)
            ));
        } else if let Some(zone) = zone.filter(|z| !zones.contains(z)) {
            plan = plan.not_orderable(format!(
                "{class} is not offered in {zone} for {engine}; it is in {}",
                zones.join(", ")
            ));
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
