//! create-reader: puts a tier-0 reader of the desired class in the cluster, once: a new
//! instance (with capacity fallback), or a spare reader changed in place; and the
//! follow-ups on what it put there (replace or delete an instance the run gave up on,
//! scale the old writer).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::class_rank::has_at_least;
use crate::errors::{AwsFailure, StepError};
use crate::failback::plan::{capacity_candidates, fallback_classes, not_orderable_reason};
use crate::identifier::{placement_instance_id, MAX_PLACEMENTS};
use crate::model::ClusterView;
pub use crate::model::CreateReaderOutput;
use crate::model::{Placement, TAG_FALLBACK_CLASSES, TAG_KEEP_ON_FAILURE, TAG_RUN};
use crate::rds::{CreateInstanceFailure, InstanceDetail, NewReader, Rds};
use crate::trigger::{
    valid_availability_zone, valid_cluster_id, valid_instance_id, valid_writer_class, InvalidInput,
};

use super::{parse_input, valid_run_name};

/// Every error name this step can return, for the state machine's Retry and Catch.
pub const ERROR_NAMES: &[&str] = &[
    "ClusterNotFound",
    "NotOptedIn",
    "IdentifierConflict",
    "InsufficientCapacity",
    "QuotaExceeded",
    "ClusterBusy",
    "NotASpareReader",
];

/// RDS allows 50 tags on a resource; one is ours.
const MAX_COPIED_TAGS: usize = 49;

/// More placements than one run can ask for (zones × classes, bounded by the tag's 8
/// fallback classes) are not a state this step made.
const MAX_TRIED: usize = 64;

/// An attempt's line: a class, a zone and AWS's message, which is short.
const MAX_ATTEMPT_CHARS: usize = 1000;

/// The status AWS gives an instance it accepted but has no capacity to create.
const OUT_OF_CAPACITY: &str = "insufficient-capacity";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateReaderInput {
    cluster_id: String,
    run_name: String,
    instance_class: String,
    reference_instance_id: String,
    availability_zone: Option<String>,
    /// `create` (the default), `modify`, `replace-abandoned`, `delete-abandoned` or
    /// `scale-old-writer`.
    method: Option<ReaderMethod>,
    /// For `modify` and `scale-old-writer`: the instance to change; for
    /// `replace-abandoned` of a reader changed in place (placement 0): that reader.
    target_instance_id: Option<String>,
    /// For `replace-abandoned` and `delete-abandoned`: which of the run's instances
    /// (create-reader's `placement`); 1 when absent.
    placement: Option<u8>,
    /// For `replace-abandoned`: create-reader's `tried`, every placement asked for so far.
    tried: Option<Vec<Placement>>,
    /// For `replace-abandoned`: create-reader's `attempts`, carried on so the record
    /// lists every one of the run.
    attempts: Option<Vec<String>>,
}

/// How the reader of the desired class is put in place, or what is done with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReaderMethod {
    Create,
    Modify,
    /// The instance AWS accepted ended `insufficient-capacity`: delete it (if the run
    /// made it) and put the next placement elsewhere.
    ReplaceAbandoned,
    /// Delete the reader this run created and gave up on.
    DeleteAbandoned,
    /// After the failover, change the old writer (now a reader) to the class too, at
    /// promotion tier 1, behind the new writer.
    ScaleOldWriter,
}

/// What the validated input asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderTask {
    /// Create the run's first instance.
    Create,
    /// Change the spare reader `target` in place, at promotion tier 0; refused for
    /// capacity, create a new reader instead.
    Modify { target: String },
    /// Change the old writer `target` in place, at promotion tier 1.
    ScaleOldWriter { target: String },
    /// The run's `placement`th instance (0: the reader `target` changed in place) ended
    /// `insufficient-capacity`: the next placement, never one of `tried`.
    ReplaceAbandoned {
        placement: u8,
        target: Option<String>,
        tried: Vec<Placement>,
        attempts: Vec<String>,
    },
    /// Delete the run's `placement`th instance.
    DeleteAbandoned { placement: u8 },
}

#[derive(Debug, thiserror::Error)]
pub enum CreateReaderError {
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    #[error("cluster {0} does not exist")]
    ClusterNotFound(String),
    #[error("cluster {0} is not opted in (tag aurora-failback:enabled=true); nothing was created")]
    NotOptedIn(String),
    #[error("instance {instance_id} exists but was not created by run {run_name}: {detail}")]
    IdentifierConflict {
        instance_id: String,
        run_name: String,
        detail: String,
    },
    #[error("{0}")]
    InsufficientCapacity(String),
    #[error("{0}")]
    QuotaExceeded(String),
    #[error("{0}")]
    ClusterBusy(String),
    /// The reader the plan chose to change is no longer a reader of the cluster (it left,
    /// or became the writer): nothing is changed.
    #[error("{0}")]
    NotASpareReader(String),
    #[error(transparent)]
    Aws(#[from] AwsFailure),
}

impl StepError for CreateReaderError {
    fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => "InvalidInput",
            Self::ClusterNotFound(_) => "ClusterNotFound",
            Self::NotOptedIn(_) => "NotOptedIn",
            Self::IdentifierConflict { .. } => "IdentifierConflict",
            Self::InsufficientCapacity(_) => "InsufficientCapacity",
            Self::QuotaExceeded(_) => "QuotaExceeded",
            Self::ClusterBusy(_) => "ClusterBusy",
            Self::NotASpareReader(_) => "NotASpareReader",
            Self::Aws(aws) => aws.error_type(),
        }
    }
}

/// The new reader's tags: the reference's user tags (AWS refuses `aws:` keys, and the
/// run tag must be this run's), capped to leave room, plus the run tag.
pub fn reader_tags(
    reference: &BTreeMap<String, String>,
    run_name: &str,
) -> BTreeMap<String, String> {
    let mut tags: BTreeMap<String, String> = reference
        .iter()
        .filter(|(key, _)| !key.to_ascii_lowercase().starts_with("aws:") && key.as_str() != TAG_RUN)
        .take(MAX_COPIED_TAGS)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    tags.insert(TAG_RUN.to_string(), run_name.to_string());
    tags
}

/// The validated input. Pure, so it can be fuzzed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateReaderRequest {
    pub cluster_id: String,
    pub run_name: String,
    pub class: String,
    pub reference_id: String,
    pub availability_zone: Option<String>,
    pub task: ReaderTask,
}

pub fn read_input(payload: Value) -> Result<CreateReaderRequest, InvalidInput> {
    let input: CreateReaderInput = parse_input(payload, "create-reader")?;
    let placement = input.placement.unwrap_or(1);
    let task = match input.method.unwrap_or(ReaderMethod::Create) {
        ReaderMethod::Create => ReaderTask::Create,
        ReaderMethod::Modify => ReaderTask::Modify {
            target: target_of(input.target_instance_id.as_deref(), "the reader to change")?,
        },
        ReaderMethod::ScaleOldWriter => ReaderTask::ScaleOldWriter {
            target: target_of(input.target_instance_id.as_deref(), "the old writer")?,
        },
        ReaderMethod::ReplaceAbandoned => {
            if placement >= MAX_PLACEMENTS {
                return Err(InvalidInput(format!(
                    "create-reader's placement {placement} leaves no other: a run creates at most {MAX_PLACEMENTS} instances"
                )));
            }
            let tried = input.tried.unwrap_or_default();
            let attempts = input.attempts.unwrap_or_default();
            if tried.len() > MAX_TRIED || attempts.len() > MAX_TRIED {
                return Err(InvalidInput(format!(
                    "create-reader's tried or attempts list more than the {MAX_TRIED} placements a run asks for",
                )));
            }
            ReaderTask::ReplaceAbandoned {
                placement,
                target: match placement {
                    0 => Some(target_of(
                        input.target_instance_id.as_deref(),
                        "the reader changed in place",
                    )?),
                    _ => None,
                },
                tried: tried
                    .iter()
                    .map(valid_placement)
                    .collect::<Result<_, _>>()?,
                attempts: attempts
                    .into_iter()
                    .map(valid_attempt)
                    .collect::<Result<_, _>>()?,
            }
        }
        ReaderMethod::DeleteAbandoned => {
            if !(1..=MAX_PLACEMENTS).contains(&placement) {
                return Err(InvalidInput(format!(
                    "create-reader's placement {placement} names none of the run's instances (1 to {MAX_PLACEMENTS})"
                )));
            }
            ReaderTask::DeleteAbandoned { placement }
        }
    };
    Ok(CreateReaderRequest {
        cluster_id: valid_cluster_id(&input.cluster_id)?,
        run_name: valid_run_name(&input.run_name)?,
        class: valid_writer_class(&input.instance_class, "create-reader's instanceClass")?,
        reference_id: valid_instance_id(&input.reference_instance_id, "reference instance")?,
        availability_zone: input
            .availability_zone
            .map(|az| valid_availability_zone(&az))
            .transpose()?,
        task,
    })
}

fn target_of(target: Option<&str>, what: &str) -> Result<String, InvalidInput> {
    let target = target.ok_or_else(|| {
        InvalidInput(format!(
            "create-reader needs targetInstanceId, {what}, for this method"
        ))
    })?;
    valid_instance_id(target, what)
}

/// An attempt is a line this step wrote: bounded, printable, one line.
fn valid_attempt(attempt: String) -> Result<String, InvalidInput> {
    if attempt.chars().count() > MAX_ATTEMPT_CHARS || attempt.chars().any(char::is_control) {
        return Err(InvalidInput(
            "create-reader's attempts hold a line this step did not write".into(),
        ));
    }
    Ok(attempt)
}

fn valid_placement(placement: &Placement) -> Result<Placement, InvalidInput> {
    Ok(Placement {
        class: valid_writer_class(&placement.class, "a tried placement's class")?,
        availability_zone: placement
            .availability_zone
            .as_deref()
            .map(valid_availability_zone)
            .transpose()?,
    })
}

pub async fn create_reader(
    rds: &Rds,
    untagged_allowed: bool,
    payload: Value,
) -> Result<CreateReaderOutput, CreateReaderError> {
    let request = read_input(payload)?;
    let step = ReaderStep {
        rds,
        untagged_allowed,
        request: &request,
    };
    match &request.task {
        ReaderTask::Create => step.place(1, Vec::new(), Vec::new()).await,
        ReaderTask::Modify { target } => step.modify(target, 0).await,
        ReaderTask::ScaleOldWriter { target } => step.modify(target, 1).await,
        ReaderTask::ReplaceAbandoned {
            placement,
            target,
            tried,
            attempts,
        } => {
            step.replace(
                *placement,
                target.as_deref(),
                tried.clone(),
                attempts.clone(),
            )
            .await
        }
        ReaderTask::DeleteAbandoned { placement } => step.delete_abandoned(*placement).await,
    }
}

/// One call of the step: the adapter, the deployment's setting and the checked input.
struct ReaderStep<'a> {
    rds: &'a Rds,
    untagged_allowed: bool,
    request: &'a CreateReaderRequest,
}

impl ReaderStep<'_> {
    fn instance_id(&self, placement: u8) -> String {
        placement_instance_id(&self.request.cluster_id, &self.request.run_name, placement)
    }

    /// The cluster, which must exist and be opted in.
    async fn cluster(&self) -> Result<ClusterView, CreateReaderError> {
        let cluster_id = &self.request.cluster_id;
        let cluster = self
            .rds
            .cluster(cluster_id)
            .await?
            .ok_or_else(|| CreateReaderError::ClusterNotFound(cluster_id.clone()))?;
        // IAM allows changes only on opted-in clusters; asking first names the refusal and
        // keeps that true wherever the policy is wider than it should be.
        if !cluster.may_change(self.untagged_allowed) {
            return Err(CreateReaderError::NotOptedIn(cluster_id.clone()));
        }
        Ok(cluster)
    }

    /// Creates the run's `placement`th instance, once: the desired class in the planned
    /// zone, else the cluster's other zones, then the classes the operator allows (tag),
    /// each asked for once and never one of `tried`, every refusal recorded.
    async fn place(
        &self,
        placement: u8,
        mut tried: Vec<Placement>,
        mut attempts: Vec<String>,
    ) -> Result<CreateReaderOutput, CreateReaderError> {
        let request = self.request;
        let (cluster_id, run_name, class) =
            (&request.cluster_id, &request.run_name, &request.class);
        // The name is a function of the cluster, the run and the placement, never taken
        // from the input: that is what lets a retry find the instance an earlier attempt
        // created.
        let instance_id = self.instance_id(placement);
        if let Some(existing) = self.rds.instance(&instance_id).await? {
            return self.adopt(existing, placement, tried, attempts);
        }
        let cluster = self.cluster().await?;
        let mut orderable: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let desired_zones = self.orderable_zones(&cluster, class).await?;
        if let Some(why) = not_orderable_reason(
            class,
            &cluster.engine_label(),
            &desired_zones,
            request.availability_zone.as_deref(),
        ) {
            // A zone name from the input reaches AWS only once AWS has listed it.
            return Err(InvalidInput(why).into());
        }
        orderable.insert(class.clone(), desired_zones);
        // The reference may have gone since the plan (a failed old writer being replaced);
        // the current writer's configuration is the next best.
        let reference = match self.rds.instance(&request.reference_id).await? {
            Some(detail) if detail.cluster_id.as_deref() == Some(cluster_id.as_str()) => detail,
            _ => current_writer(self.rds, &cluster).await?,
        };
        let writer_class = cluster
            .writer()
            .map(|w| w.class.clone())
            .unwrap_or_else(|| class.clone());
        let (fallbacks, refused) = fallback_classes(
            cluster.tags.get(TAG_FALLBACK_CLASSES).map(String::as_str),
            &writer_class,
        );
        attempts.extend(
            refused
                .into_iter()
                .map(|why| format!("fallback class refused: {why}")),
        );
        let member_zones: Vec<String> = cluster
            .members
            .iter()
            .filter_map(|m| m.availability_zone.clone())
            .collect();
        // The subnet group's zones are read only once a zone has refused: most creations
        // succeed at the first try and need not pay for the two calls.
        let mut subnet_group_zones: Option<Vec<String>> = None;
        // Placements passed over without asking AWS (not sold there): never asked for.
        let mut passed_over: Vec<Placement> = Vec::new();
        loop {
            let asked_or_passed: Vec<Placement> =
                tried.iter().chain(&passed_over).cloned().collect();
            let Some(candidate) = capacity_candidates(
                class,
                request.availability_zone.as_deref(),
                &member_zones,
                subnet_group_zones.as_deref().unwrap_or_default(),
                &fallbacks,
                &asked_or_passed,
            )
            .into_iter()
            .next() else {
                break;
            };
            let zone = candidate.availability_zone.as_deref();
            let where_ = zone.unwrap_or("any zone");
            if !orderable.contains_key(&candidate.class) {
                let zones = self.orderable_zones(&cluster, &candidate.class).await?;
                orderable.insert(candidate.class.clone(), zones);
            }
            let offered = orderable.get(&candidate.class).map(Vec::as_slice);
            if let Some(why) = not_orderable_reason(
                &candidate.class,
                &cluster.engine_label(),
                offered.unwrap_or_default(),
                zone,
            ) {
                attempts.push(format!("{} in {where_}: {why}", candidate.class));
                passed_over.push(candidate);
                continue;
            }
            let reader = NewReader {
                instance_id: instance_id.clone(),
                cluster_id: cluster_id.clone(),
                class: candidate.class.clone(),
                availability_zone: candidate.availability_zone.clone(),
                tags: reader_tags(&reference.tags, run_name),
                reference: reference.clone(),
            };
            tried.push(candidate.clone());
            match self.rds.create_reader(&reader).await {
                Ok(()) => {
                    tracing::info!(instance = %instance_id, cluster = %cluster_id, class = %candidate.class, zone = %where_, placement, tried = tried.len(), "created reader");
                    return Ok(CreateReaderOutput {
                        instance_id,
                        created: true,
                        status: "creating".into(),
                        instance_class: Some(candidate.class),
                        attempts,
                        placement,
                        tried,
                    });
                }
                Err(CreateInstanceFailure::InsufficientCapacity(m)) => {
                    tracing::warn!(class = %candidate.class, zone = %where_, "no capacity; trying the next");
                    attempts.push(format!(
                        "{} in {where_}: no capacity ({m})",
                        candidate.class
                    ));
                    if subnet_group_zones.is_none() {
                        subnet_group_zones = Some(self.subnet_group_zones().await);
                    }
                }
                Err(CreateInstanceFailure::AlreadyExists(_)) => {
                    // Lost a race with an earlier attempt of this same step: adopt its instance.
                    let existing = self.rds.instance(&instance_id).await?.ok_or_else(|| {
                        CreateReaderError::IdentifierConflict {
                            instance_id: instance_id.clone(),
                            run_name: run_name.clone(),
                            detail: "RDS says it exists but does not describe it".into(),
                        }
                    })?;
                    return self.adopt(existing, placement, tried, attempts);
                }
                Err(CreateInstanceFailure::QuotaExceeded(m)) => {
                    return Err(CreateReaderError::QuotaExceeded(m))
                }
                Err(CreateInstanceFailure::ClusterBusy(m)) => {
                    return Err(CreateReaderError::ClusterBusy(m))
                }
                Err(CreateInstanceFailure::ClusterNotFound(_)) => {
                    return Err(CreateReaderError::ClusterNotFound(cluster_id.clone()))
                }
                Err(CreateInstanceFailure::Aws(aws)) => return Err(aws.into()),
            }
        }
        Err(CreateReaderError::InsufficientCapacity(format!(
            "no capacity for {class} anywhere the cluster allows, nor for a fallback class{}: tried {}",
            if fallbacks.is_empty() {
                " (none allowed: tag aurora-failback:fallback-classes)"
            } else {
                ""
            },
            if attempts.is_empty() {
                "nothing new (every placement was asked for already)".to_string()
            } else {
                attempts.join("; ")
            }
        )))
    }

    /// Changes the reader `target` to the desired class in place, once: a reader that
    /// already has the class, or is being changed to it, is left as it is (a retry after a
    /// lost answer). For the plan's modify (tier 0), no capacity for the class in the
    /// reader's zone means a new reader is created instead, elsewhere.
    async fn modify(
        &self,
        target: &str,
        promotion_tier: i32,
    ) -> Result<CreateReaderOutput, CreateReaderError> {
        let request = self.request;
        let cluster_id = &request.cluster_id;
        let falls_back_to_create = promotion_tier == 0;
        if falls_back_to_create {
            // An earlier attempt of this step fell back to creating: carry on with that.
            if let Some(existing) = self.rds.instance(&self.instance_id(1)).await? {
                return self.adopt(existing, 1, Vec::new(), Vec::new());
            }
        }
        let cluster = self.cluster().await?;
        let not_spare = |why: &str| {
            CreateReaderError::NotASpareReader(format!(
                "{target} {why} of cluster {cluster_id}; nothing was changed"
            ))
        };
        let member = cluster
            .member(target)
            .ok_or_else(|| not_spare("is not a member"))?;
        if member.is_writer {
            return Err(not_spare("is now the writer, not a reader"));
        }
        let detail = self
            .rds
            .instance(target)
            .await?
            .ok_or_else(|| not_spare("does not exist as an instance"))?;
        let asked = Placement::new(&request.class, detail.availability_zone.as_deref());
        let output = |requested: bool, status: String| CreateReaderOutput {
            instance_id: target.to_string(),
            created: requested,
            status,
            instance_class: Some(request.class.clone()),
            attempts: Vec::new(),
            placement: 0,
            tried: vec![asked.clone()],
        };
        if has_at_least(&detail.class, &request.class)
            || detail.pending_class.as_deref() == Some(request.class.as_str())
        {
            tracing::info!(instance = %target, class = %detail.class, pending = ?detail.pending_class, "reader already has or is getting the class");
            return Ok(output(false, detail.status));
        }
        let zones = self.orderable_zones(&cluster, &request.class).await?;
        if let Some(why) =
            not_orderable_reason(&request.class, &cluster.engine_label(), &zones, None)
        {
            return Err(InvalidInput(why).into());
        }
        match self
            .rds
            .modify_instance_class(target, &request.class, promotion_tier)
            .await
        {
            Ok(()) => {
                tracing::info!(instance = %target, from = %detail.class, to = %request.class, "changing reader in place");
                Ok(output(true, "modifying".into()))
            }
            Err(CreateInstanceFailure::InsufficientCapacity(m)) if falls_back_to_create => {
                let where_ = detail.availability_zone.as_deref().unwrap_or("its zone");
                tracing::warn!(instance = %target, zone = %where_, "no capacity to change the reader; creating one elsewhere");
                let attempts = vec![format!(
                    "{} for {target} in {where_}: no capacity to change it in place ({m})",
                    request.class
                )];
                self.place(1, vec![asked], attempts).await
            }
            Err(CreateInstanceFailure::InsufficientCapacity(m)) => {
                Err(CreateReaderError::InsufficientCapacity(m))
            }
            Err(CreateInstanceFailure::ClusterBusy(m)) => Err(CreateReaderError::ClusterBusy(m)),
            Err(CreateInstanceFailure::ClusterNotFound(_)) => Err(not_spare("is gone")),
            Err(CreateInstanceFailure::QuotaExceeded(m)) => {
                Err(CreateReaderError::QuotaExceeded(m))
            }
            Err(CreateInstanceFailure::AlreadyExists(m)) => Err(CreateReaderError::ClusterBusy(m)),
            Err(CreateInstanceFailure::Aws(aws)) => Err(aws.into()),
        }
    }

    /// The reader put in place ended `insufficient-capacity` after AWS accepted it: the
    /// run's instance is deleted (kept under keep-on-failure; a reader changed in place is
    /// never deleted), and the next placement is created where the run has not asked yet.
    /// A retry finds the next instance and carries on with it.
    async fn replace(
        &self,
        placement: u8,
        target: Option<&str>,
        mut tried: Vec<Placement>,
        mut attempts: Vec<String>,
    ) -> Result<CreateReaderOutput, CreateReaderError> {
        let next = placement.saturating_add(1);
        if let Some(existing) = self.rds.instance(&self.instance_id(next)).await? {
            return self.adopt(existing, next, tried, attempts);
        }
        let abandoned_id = match target {
            Some(target) => target.to_string(),
            None => self.instance_id(placement),
        };
        if let Some(abandoned) = self.rds.instance(&abandoned_id).await? {
            let (class, zone) = (abandoned.class.clone(), abandoned.availability_zone.clone());
            let where_ = zone.as_deref().unwrap_or("its zone").to_string();
            let ended = abandoned.status == OUT_OF_CAPACITY || abandoned.status == "deleting";
            if !ended {
                return Err(InvalidInput(format!(
                    "{abandoned_id} is {}, not {OUT_OF_CAPACITY}; nothing was changed",
                    abandoned.status
                ))
                .into());
            }
            // A reader changed in place ran out of capacity at the class it was asked for.
            let asked_class = if placement == 0 {
                self.request.class.clone()
            } else {
                class
            };
            let asked = Placement::new(&asked_class, zone.as_deref());
            if !tried.contains(&asked) {
                tried.push(asked);
            }
            let fate = if placement == 0 {
                "left as it is (the run did not create it)".to_string()
            } else {
                self.delete_own(abandoned, placement).await?
            };
            attempts.push(format!(
                "{asked_class} in {where_}: {abandoned_id} was accepted, then {OUT_OF_CAPACITY}; {fate}"
            ));
        }
        self.place(next, tried, attempts).await
    }

    /// Deletes the reader this run created and gave up on (it failed, never became
    /// available, or ran out of capacity), so it neither costs money nor confuses the next
    /// run. Safe to retry: an instance deleting or gone is done.
    async fn delete_abandoned(
        &self,
        placement: u8,
    ) -> Result<CreateReaderOutput, CreateReaderError> {
        let instance_id = self.instance_id(placement);
        let output = |status: String| CreateReaderOutput {
            instance_id: instance_id.clone(),
            created: false,
            status,
            placement,
            ..CreateReaderOutput::default()
        };
        let Some(existing) = self.rds.instance(&instance_id).await? else {
            return Ok(output("gone".into()));
        };
        let fate = self.delete_own(existing, placement).await?;
        Ok(output(fate))
    }

    /// Deletes `existing`, the run's `placement`th instance: only an instance of that
    /// deterministic name that carries this run's tag is deleted; a cluster tagged
    /// `aurora-failback:keep-on-failure=true` keeps it for a person to look at. Answers
    /// what became of it: `deleting`, `kept` or `gone`.
    async fn delete_own(
        &self,
        existing: InstanceDetail,
        placement: u8,
    ) -> Result<String, CreateReaderError> {
        let instance_id = existing.instance_id.clone();
        // Never delete what this run did not create: the same check a retry of the creation makes.
        self.adopt(existing.clone(), placement, Vec::new(), Vec::new())?;
        if existing.status == "deleting" {
            return Ok("deleting".into());
        }
        let keep = match self.rds.cluster(&self.request.cluster_id).await? {
            Some(cluster) => cluster
                .tags
                .get(TAG_KEEP_ON_FAILURE)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
            None => false,
        };
        if keep {
            tracing::info!(instance = %instance_id, "kept for a person: the cluster says keep-on-failure");
            return Ok("kept".into());
        }
        match self.rds.delete_instance(&instance_id).await {
            Ok(true) => {
                tracing::info!(instance = %instance_id, "deleted the reader this run gave up on");
                Ok("deleting".into())
            }
            Ok(false) => Ok("gone".into()),
            Err(failure) => Err(failure.into()),
        }
    }

    /// The zones of the cluster's DB subnet group; none when they cannot be read (not
    /// knowing them narrows the fallback to the members' zones; it does not stop it).
    async fn subnet_group_zones(&self) -> Vec<String> {
        match self.rds.subnet_group_zones(&self.request.cluster_id).await {
            Ok(zones) => zones,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the cluster's DB subnet group; trying its members' zones");
                Vec::new()
            }
        }
    }

    /// The zones where AWS sells `class` for the cluster's engine and version (none: not
    /// orderable).
    async fn orderable_zones(
        &self,
        cluster: &ClusterView,
        class: &str,
    ) -> Result<Vec<String>, CreateReaderError> {
        Ok(self
            .rds
            .orderable_zones(&cluster.engine, cluster.engine_version.as_deref(), class)
            .await?)
    }

    /// The run's own instance found again (a retry, or a lost race): carried on with, if
    /// it is this run's (its cluster and run tag); anything else is a conflict.
    fn adopt(
        &self,
        existing: InstanceDetail,
        placement: u8,
        mut tried: Vec<Placement>,
        attempts: Vec<String>,
    ) -> Result<CreateReaderOutput, CreateReaderError> {
        let (cluster_id, run_name) = (&self.request.cluster_id, &self.request.run_name);
        let ours = existing.cluster_id.as_deref() == Some(cluster_id.as_str())
            && existing.tags.get(TAG_RUN) == Some(run_name);
        if !ours {
            return Err(CreateReaderError::IdentifierConflict {
                instance_id: existing.instance_id,
                run_name: run_name.clone(),
                detail: format!(
                    "it belongs to cluster {} with run tag {:?}",
                    existing.cluster_id.as_deref().unwrap_or("none"),
                    existing.tags.get(TAG_RUN)
                ),
            });
        }
        tracing::info!(instance = %existing.instance_id, status = %existing.status, "reader already exists; carrying on");
        let placed = Placement::new(&existing.class, existing.availability_zone.as_deref());
        if !tried.contains(&placed) {
            tried.push(placed);
        }
        Ok(CreateReaderOutput {
            instance_id: existing.instance_id,
            created: false,
            status: existing.status,
            instance_class: Some(existing.class),
            attempts,
            placement,
            tried,
        })
    }
}

async fn current_writer(
    rds: &Rds,
    cluster: &ClusterView,
) -> Result<InstanceDetail, CreateReaderError> {
    let no_writer = || {
        CreateReaderError::ClusterBusy(format!(
            "cluster {} has no writer to copy",
            cluster.cluster_id
        ))
    };
    let writer = cluster.writer().ok_or_else(no_writer)?;
    rds.instance(&writer.instance_id)
        .await?
        .ok_or_else(no_writer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copied_tags_drop_aws_keys_and_name_the_run() {
        let reference: BTreeMap<String, String> = [
            ("team", "payments"),
            ("aws:cloudformation:stack-name", "db"),
            ("AWS:Other", "x"),
            (TAG_RUN, "an-older-run"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let tags = reader_tags(&reference, "run-7");
        let expected: BTreeMap<String, String> = [("team", "payments"), (TAG_RUN, "run-7")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(tags, expected);

        let many: BTreeMap<String, String> = (0..80)
            .map(|i| (format!("k{i:02}"), "v".to_string()))
            .collect();
        assert_eq!(reader_tags(&many, "r").len(), 50);
    }
}
