//! dr-check and dr-act: one DR resource, planned, acted on once, and checked until done.
//!
//! Both take the resource as dr-validate produced it, and check it again here: a Lambda
//! can be invoked by anyone allowed to, not only by the machine.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::dr::payload::{
    is_backup_window, is_subnet_group, ClusterRef, DrAction, DrResource, ReplicaSpec,
    SecondaryClusterSpec,
};
use crate::dr::plan::{
    check_global_switch, check_promotion, check_replica, check_secondary, plan_global_switch,
    plan_promotion, plan_replica, plan_secondary, DrRefusal, ResourcePlan, ResourceState,
    SwitchCheck,
};
use crate::errors::{AwsFailure, StepError};
use crate::identifier::validate_identifier;
use crate::model::{ClusterView, GlobalClusterView, GlobalSwitch};
use crate::rds::{CreateInstanceFailure, GlobalSwitchFailure, Rds};
use crate::trigger::{is_region, parse_cluster_arn, Home, InvalidInput};

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

/// A global switch, its identifiers checked again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwitchRequest {
    pub how: GlobalSwitch,
    pub global_cluster_id: String,
    pub target: ClusterRef,
}

/// A read replica to promote, checked again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromoteRequest {
    pub instance_id: String,
    pub backup_retention_period: Option<i32>,
    pub preferred_backup_window: Option<String>,
}

/// What a DR resource asks for, checked again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrRequest {
    Switch(SwitchRequest),
    Secondary(Box<SecondaryClusterSpec>),
    Promote(PromoteRequest),
    /// A read replica to create, with the source's ARN worked out for this deployment.
    Replica {
        spec: Box<ReplicaSpec>,
        source_arn: String,
    },
}

fn invalid(what: &str, raw: &str, why: impl std::fmt::Display) -> InvalidInput {
    InvalidInput(format!("{what} {raw:?} {why}"))
}

fn identifier(what: &str, raw: &str) -> Result<String, InvalidInput> {
    validate_identifier(raw).map_err(|e| invalid(what, raw, e))
}

fn checked_request(resource: &DrResource, home: &Home) -> Result<DrRequest, DrStepError> {
    if resource.resource_key != resource.action.resource_key() {
        return Err(invalid(
            "resource key",
            &resource.resource_key,
            format!("does not match {:?}", resource.resource_name),
        )
        .into());
    }
    let Some((how, global_cluster_id, target)) = resource.action.switch() else {
        return match &resource.action {
            DrAction::CreateSecondary(spec) => {
                Ok(DrRequest::Secondary(checked_secondary(spec, home)?))
            }
            DrAction::PromoteReplica {
                instance_id,
                backup_retention_period,
                preferred_backup_window,
            } => {
                if backup_retention_period.is_some_and(|days| !(0..=35).contains(&days)) {
                    return Err(InvalidInput(format!(
                        "BackupRetentionPeriod {backup_retention_period:?} is outside 0..=35"
                    ))
                    .into());
                }
                if let Some(window) = preferred_backup_window.as_deref() {
                    if !is_backup_window(window) {
                        return Err(invalid(
                            "PreferredBackupWindow",
                            window,
                            "is not hh24:mi-hh24:mi",
                        )
                        .into());
                    }
                }
                Ok(DrRequest::Promote(PromoteRequest {
                    instance_id: identifier("instance", instance_id)?,
                    backup_retention_period: *backup_retention_period,
                    preferred_backup_window: preferred_backup_window.clone(),
                }))
            }
            DrAction::CreateReplica(spec) => checked_replica(spec, home),
            DrAction::Switchover { .. } | DrAction::GlobalFailover { .. } => {
                Err(InvalidInput("a switch without its target".into()).into())
            }
        };
    };
    let global = identifier("global cluster", global_cluster_id)?;
    let cluster_id = identifier("target cluster", &target.cluster_id)?;
    if let Some(arn) = &target.arn {
        let parsed = parse_cluster_arn(arn)?;
        let ours = parsed.partition == home.partition
            && parsed.region == home.region
            && home.account.as_ref().is_none_or(|a| *a == parsed.account)
            && parsed.cluster_id == cluster_id;
        if !ours {
            return Err(invalid(
                "target cluster",
                arn,
                format!("is not cluster {cluster_id} of this deployment ({home})"),
            )
            .into());
        }
    }
    Ok(DrRequest::Switch(SwitchRequest {
        how,
        global_cluster_id: global,
        target: ClusterRef {
            cluster_id,
            arn: target.arn.clone(),
        },
    }))
}

fn checked_replica(spec: &ReplicaSpec, home: &Home) -> Result<DrRequest, DrStepError> {
    let mut checked = spec.clone();
    checked.instance_id = identifier("instance", &spec.instance_id)?;
    checked.source_instance_id = identifier("source instance", &spec.source_instance_id)?;
    crate::class_rank::check_requested_class(&spec.instance_class)
        .map_err(|e| invalid("instance class", &spec.instance_class, e))?;
    if !is_region(&spec.source_region) || spec.source_region == home.region {
        return Err(invalid(
            "SourceRegion",
            &spec.source_region,
            format!("must be a region other than this run's ({})", home.region),
        )
        .into());
    }
    if let Some(group) = spec.subnet_group.as_deref().filter(|g| !is_subnet_group(g)) {
        return Err(invalid("subnet group", group, "is not a DB subnet group name").into());
    }
    // A cross-region source is named by its ARN, in this deployment's partition and
    // account; the CLI, which does not know the account, only plans.
    let source_arn = format!(
        "arn:{}:rds:{}:{}:db:{}",
        home.partition,
        checked.source_region,
        home.account.as_deref().unwrap_or("*"),
        checked.source_instance_id
    );
    Ok(DrRequest::Replica {
        spec: Box::new(checked),
        source_arn,
    })
}

fn checked_secondary(
    spec: &SecondaryClusterSpec,
    home: &Home,
) -> Result<Box<SecondaryClusterSpec>, InvalidInput> {
    let mut checked = spec.clone();
    checked.global_cluster_id = identifier("global cluster", &spec.global_cluster_id)?;
    checked.cluster_id = identifier("cluster", &spec.cluster_id)?;
    checked.instance_id = identifier("instance", &spec.instance_id)?;
    if !is_subnet_group(&spec.subnet_group) {
        return Err(invalid(
            "subnet group",
            &spec.subnet_group,
            "is not a DB subnet group name",
        ));
    }
    crate::class_rank::check_requested_class(&spec.instance_class)
        .map_err(|e| invalid("instance class", &spec.instance_class, e))?;
    if !is_region(&spec.source_region) || spec.source_region == home.region {
        return Err(invalid(
            "SourceRegion",
            &spec.source_region,
            format!("must be a region other than this run's ({})", home.region),
        ));
    }
    Ok(Box::new(checked))
}

/// dr-check's validated input. Pure, so it can be fuzzed.
pub fn read_check_input(payload: Value, home: &Home) -> Result<(Question, DrRequest), DrStepError> {
    let input: CheckInput = crate::failback::steps::parse_input(payload, "dr-check")?;
    Ok((input.question, checked_request(&input.resource, home)?))
}

/// dr-act's validated input. Pure, so it can be fuzzed.
pub fn read_act_input(payload: Value, home: &Home) -> Result<DrRequest, DrStepError> {
    let input: ActInput = crate::failback::steps::parse_input(payload, "dr-act")?;
    checked_request(&input.resource, home)
}

/// What AWS reports now about the request's global database and its cluster here.
/// What AWS reports now about a global database and a cluster of it here.
async fn cluster_views(
    rds: &Rds,
    global_id: &str,
    cluster_id: &str,
) -> Result<(Option<GlobalClusterView>, Option<ClusterView>), AwsFailure> {
    Ok((
        rds.global_cluster(global_id).await?,
        rds.cluster(cluster_id).await?,
    ))
}

async fn plan_now(
    rds: &Rds,
    home: &Home,
    request: &DrRequest,
) -> Result<ResourcePlan, DrStepError> {
    Ok(match request {
        DrRequest::Switch(switch) => {
            let (global, cluster) =
                cluster_views(rds, &switch.global_cluster_id, &switch.target.cluster_id).await?;
            plan_global_switch(
                switch.how,
                &switch.global_cluster_id,
                global.as_ref(),
                cluster.as_ref(),
                &switch.target.cluster_id,
            )?
        }
        DrRequest::Secondary(spec) => {
            let (global, cluster) =
                cluster_views(rds, &spec.global_cluster_id, &spec.cluster_id).await?;
            plan_secondary(spec, global.as_ref(), cluster.as_ref(), &home.region)?
        }
        DrRequest::Promote(promote) => {
            let instance = rds.instance_view(&promote.instance_id).await?;
            plan_promotion(&promote.instance_id, instance.as_ref())?
        }
        DrRequest::Replica { spec, .. } => {
            let instance = rds.instance_view(&spec.instance_id).await?;
            plan_replica(spec, instance.as_ref(), home.account.as_deref())?
        }
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum CheckOutput {
    Plan(ResourcePlan),
    Done(SwitchCheck),
}

/// dr-check: reads only.
pub async fn dr_check(rds: &Rds, home: &Home, payload: Value) -> Result<CheckOutput, DrStepError> {
    let (question, request) = read_check_input(payload, home)?;
    if question == Question::Plan {
        return Ok(CheckOutput::Plan(plan_now(rds, home, &request).await?));
    }
    Ok(CheckOutput::Done(match &request {
        DrRequest::Switch(switch) => {
            let (global, cluster) =
                cluster_views(rds, &switch.global_cluster_id, &switch.target.cluster_id).await?;
            check_global_switch(
                switch.how,
                &switch.global_cluster_id,
                global.as_ref(),
                cluster.as_ref(),
                &switch.target.cluster_id,
            )?
        }
        DrRequest::Secondary(spec) => {
            let (global, cluster) =
                cluster_views(rds, &spec.global_cluster_id, &spec.cluster_id).await?;
            check_secondary(spec, global.as_ref(), cluster.as_ref())?
        }
        DrRequest::Promote(promote) => {
            let instance = rds.instance_view(&promote.instance_id).await?;
            check_promotion(&promote.instance_id, instance.as_ref())?
        }
        DrRequest::Replica { spec, .. } => {
            let instance = rds.instance_view(&spec.instance_id).await?;
            check_replica(spec, instance.as_ref(), home.account.as_deref())?
        }
    }))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActOutput {
    /// False when there was nothing to call: already done, or already under way (a retry
    /// after a lost answer, or a re-run of the payload).
    pub requested: bool,
    pub plan: ResourcePlan,
}

/// dr-act: plans again from what AWS reports now, and makes the calls only if the plan
/// says act. Each call is sent once; a lost answer shows as "in progress" (or, for a
/// creation, as the resource found by its identifier) next time.
pub async fn dr_act(rds: &Rds, home: &Home, payload: Value) -> Result<ActOutput, DrStepError> {
    let request = read_act_input(payload, home)?;
    let plan = plan_now(rds, home, &request).await?;
    if plan.state != ResourceState::Act {
        tracing::info!(global = %plan.resource_key, state = ?plan.state, "nothing to call");
        return Ok(ActOutput {
            requested: false,
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
            .map_err(|failure| match failure {
                GlobalSwitchFailure::ClusterBusy(message) => DrRefusal::ClusterBusy(message).into(),
                GlobalSwitchFailure::NotFound(_) => {
                    DrRefusal::TargetNotFound(format!("instance {}", promote.instance_id)).into()
                }
                GlobalSwitchFailure::Aws(aws) => DrStepError::from(aws),
            })?,
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
        plan,
    })
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
