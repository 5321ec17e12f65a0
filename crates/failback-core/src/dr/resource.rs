//! dr-check and dr-act: one DR resource, planned, acted on once, and checked until done.
//!
//! Both take the resource as dr-validate produced it, and check it again here: a Lambda
//! can be invoked by anyone allowed to, not only by the machine.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::dr::observe::{DrServices, Lag};
use crate::dr::payload::{DrResource, RestoreSource};
use crate::dr::plan::{
    check_request, first_check_after_seconds, plan_request, DrRefusal, ResourcePlan, ResourceState,
    SwitchCheck,
};
use crate::dr::request::{checked_request, DrRequest};
use crate::errors::{AwsFailure, StepError};
use crate::rds::{CreateInstanceFailure, GlobalSwitchFailure};
use crate::trigger::{Home, InvalidInput};

/// Every error name these steps can return besides the common ones.
pub const ERROR_NAMES: &[&str] = &[
    "GlobalClusterNotFound",
    "TargetNotFound",
    "TargetNotInGlobalCluster",
    "ClusterBusy",
    "WrongRegion",
    "InsufficientCapacity",
    "QuotaExceeded",
    "TargetFailed",
    "IdentifierConflict",
    "SourceNotProtected",
];

#[derive(Debug, thiserror::Error)]
pub enum DrStepError {
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    #[error(transparent)]
    Refused(#[from] DrRefusal),
    /// No capacity for the secondary's class or storage in this region.
    #[error("{0}")]
    InsufficientCapacity(String),
    #[error("{0}")]
    QuotaExceeded(String),
    #[error(transparent)]
    Aws(#[from] AwsFailure),
}

impl StepError for DrStepError {
    fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => crate::errors::INVALID_INPUT,
            Self::Refused(refusal) => refusal.error_type(),
            Self::InsufficientCapacity(_) => "InsufficientCapacity",
            Self::QuotaExceeded(_) => "QuotaExceeded",
            Self::Aws(aws) => aws.error_type(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Question {
    /// What does the resource need now?
    Plan,
    /// Is it done (the writer really moved, everything available)?
    Done,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CheckInput {
    question: Question,
    resource: DrResource,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ActInput {
    resource: DrResource,
}

/// dr-check's validated input. Pure, so it can be fuzzed.
pub fn read_check_input(payload: Value, home: &Home) -> Result<(Question, DrRequest), DrStepError> {
    let input: CheckInput = crate::failback::steps::parse_input(payload, "dr-check")?;
    Ok((input.question, checked_request(&input.resource, home)?))
}

/// dr-act's validated input. Pure, so it can be fuzzed.
pub fn read_act_input(payload: Value, home: &Home) -> Result<DrRequest, DrStepError> {
    let input: ActInput = crate::failback::steps::parse_input(payload, "dr-act")?;
    Ok(checked_request(&input.resource, home)?)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum CheckOutput {
    Plan(ResourcePlan),
    Done(SwitchCheck),
}

/// dr-check: reads only. A plan reads the replication lag too, for the record; the
/// checks of the wait loop do not.
pub async fn dr_check(
    aws: &DrServices,
    home: &Home,
    payload: Value,
) -> Result<CheckOutput, DrStepError> {
    let (question, request) = read_check_input(payload, home)?;
    Ok(match question {
        Question::Plan => {
            let seen = aws.observe(&request, Lag::Read).await?;
            CheckOutput::Plan(plan_request(&request, &seen, home)?)
        }
        Question::Done => {
            let seen = aws.observe(&request, Lag::Skip).await?;
            CheckOutput::Done(check_request(&request, &seen, home)?)
        }
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActOutput {
    /// False when there was nothing to call: already done, or already under way (a retry
    /// after a lost answer, or a re-run of the payload).
    pub requested: bool,
    pub plan: ResourcePlan,
    /// When the machine first checks the resource after this step (its
    /// `WaitForResourceCall` state): about as long as the call usually takes.
    pub first_check_after_seconds: u32,
}

/// dr-act: plans again from what AWS reports now, and makes the calls only if the plan
/// says act. Each call is sent once; a lost answer shows as "in progress" (or, for a
/// creation, as the resource found by its identifier) next time.
pub async fn dr_act(
    aws: &DrServices,
    home: &Home,
    payload: Value,
) -> Result<ActOutput, DrStepError> {
    let request = read_act_input(payload, home)?;
    let seen = aws.observe(&request, Lag::Skip).await?;
    let plan = plan_request(&request, &seen, home)?;
    let rds = &aws.rds;
    if plan.state != ResourceState::Act {
        tracing::info!(global = %plan.resource_key, state = ?plan.state, "nothing to call");
        return Ok(ActOutput {
            requested: false,
            first_check_after_seconds: first_check_after_seconds(&request, None, false),
            plan,
        });
    }
    match &request {
        DrRequest::Switch(switch) => rds
            .switch_global_writer(
                switch.how,
                &switch.global_cluster_id,
                &plan.target_cluster_arn,
            )
            .await
            .map_err(|failure| match failure {
                GlobalSwitchFailure::ClusterBusy(message) => DrRefusal::ClusterBusy(message).into(),
                GlobalSwitchFailure::NotFound(_) => {
                    DrRefusal::GlobalClusterNotFound(switch.global_cluster_id.clone()).into()
                }
                GlobalSwitchFailure::Aws(aws) => DrStepError::from(aws),
            })?,
        DrRequest::Promote(promote) => rds
            .promote_read_replica(
                &promote.instance_id,
                promote.backup_retention_period,
                promote.preferred_backup_window.as_deref(),
            )
            .await
            .map_err(|failure| {
                switch_refused(failure, format!("instance {}", promote.instance_id))
            })?,
        DrRequest::PromoteCluster { cluster_id } => rds
            .promote_read_replica_cluster(cluster_id)
            .await
            .map_err(|failure| switch_refused(failure, format!("cluster {cluster_id}")))?,
        DrRequest::CacheFailover {
            global_group_id,
            target_group_id,
        } => aws
            .cache
            .fail_over_global_datastore(global_group_id, &home.region, target_group_id)
            .await
            .map_err(|failure| {
                switch_refused(failure, format!("global datastore {global_group_id}"))
            })?,
        DrRequest::RestoreCluster(spec) => {
            let key = request.resource_key();
            let step = plan.restore.as_ref().ok_or_else(|| {
                DrStepError::from(InvalidInput("a restore plan without its steps".into()))
            })?;
            if let Some(from) = &step.from {
                let gone = DrRefusal::TargetNotFound(format!("restore source {from}"));
                let restored = match &spec.source {
                    RestoreSource::PointInTime { time, .. } => {
                        rds.restore_cluster_to_point_in_time(spec, from, time.as_deref(), &key)
                            .await
                    }
                    _ => {
                        rds.restore_cluster_from_snapshot(spec, from, &step.engine, &key)
                            .await
                    }
                };
                created(restored, gone)?;
            } else {
                for instance_id in &step.create_instances {
                    let gone = DrRefusal::TargetNotFound(format!("cluster {}", spec.cluster_id));
                    let answer = rds
                        .create_restored_instance(spec, &step.engine, instance_id, &key)
                        .await;
                    created(answer, gone)?;
                }
            }
        }
        DrRequest::RestoreInstance(spec) => {
            let from = plan
                .restore
                .as_ref()
                .and_then(|step| step.from.clone())
                .ok_or_else(|| {
                    DrStepError::from(InvalidInput("a restore plan without its snapshot".into()))
                })?;
            let gone = DrRefusal::TargetNotFound(format!("snapshot {from}"));
            let answer = rds
                .restore_instance_from_snapshot(spec, &from, &request.resource_key())
                .await;
            created(answer, gone)?;
        }
        DrRequest::Replica { spec, source_arn } => {
            let gone = DrRefusal::TargetNotFound(format!("source instance {source_arn}"));
            created(rds.create_read_replica(spec, source_arn).await, gone)?
        }
        DrRequest::Secondary(spec) => {
            if plan.call.starts_with("CreateDBCluster") {
                let gone = DrRefusal::GlobalClusterNotFound(spec.global_cluster_id.clone());
                created(rds.create_secondary_cluster(spec).await, gone)?;
            }
            let gone = DrRefusal::GlobalClusterNotFound(spec.global_cluster_id.clone());
            created(rds.create_secondary_instance(spec).await, gone)?;
        }
    }
    tracing::info!(global = %plan.resource_key, call = plan.call, "requested");
    Ok(ActOutput {
        requested: true,
        first_check_after_seconds: first_check_after_seconds(&request, plan.restore.as_ref(), true),
        plan,
    })
}

/// A refused switch or promotion of `what`, in the machine's words.
fn switch_refused(failure: GlobalSwitchFailure, what: String) -> DrStepError {
    match failure {
        GlobalSwitchFailure::ClusterBusy(message) => DrRefusal::ClusterBusy(message).into(),
        GlobalSwitchFailure::NotFound(_) => DrRefusal::TargetNotFound(what).into(),
        GlobalSwitchFailure::Aws(aws) => DrStepError::from(aws),
    }
}

/// A creation that found its resource already there (a retry) succeeded. `gone` names
/// what the creation joins when AWS says it does not exist (the global cluster, or the
/// replica's source).
fn created(answer: Result<(), CreateInstanceFailure>, gone: DrRefusal) -> Result<(), DrStepError> {
    match answer {
        Ok(()) | Err(CreateInstanceFailure::AlreadyExists(_)) => Ok(()),
        Err(CreateInstanceFailure::ClusterBusy(m)) => Err(DrRefusal::ClusterBusy(m).into()),
        Err(CreateInstanceFailure::ClusterNotFound(_)) => Err(gone.into()),
        Err(CreateInstanceFailure::InsufficientCapacity(m)) => {
            Err(DrStepError::InsufficientCapacity(m))
        }
        Err(CreateInstanceFailure::QuotaExceeded(m)) => Err(DrStepError::QuotaExceeded(m)),
        Err(CreateInstanceFailure::Aws(aws)) => Err(aws.into()),
    }
}
