//! create-reader: puts a tier-0 reader of the desired class in the cluster, once.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::class_rank::has_at_least;
use crate::errors::{AwsFailure, StepError};
use crate::failback::plan::{capacity_candidates, fallback_classes, not_orderable_reason};
use crate::identifier::replacement_instance_id;
use crate::model::ClusterView;
pub use crate::model::CreateReaderOutput;
use crate::model::{TAG_FALLBACK_CLASSES, TAG_KEEP_ON_FAILURE, TAG_RUN};
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

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateReaderInput {
    cluster_id: String,
    run_name: String,
    instance_class: String,
    reference_instance_id: String,
    availability_zone: Option<String>,
    /// `create` (the default) or `modify`: the plan's action.
    method: Option<ReaderMethod>,
    /// For `modify`: the reader to change.
    target_instance_id: Option<String>,
}

/// How the reader of the desired class is put in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReaderMethod {
    Create,
    Modify,
    /// Delete the reader this run created and gave up on.
    DeleteAbandoned,
    /// After the failover, change the old writer (now a reader) to the class too, at
    /// promotion tier 1, behind the new writer.
    ScaleOldWriter,
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
    /// `Some((reader, promotion tier))` to change that reader in place instead of
    /// creating one.
    pub modify: Option<(String, i32)>,
    /// Delete the instance this run created (its deterministic name) instead.
    pub delete_abandoned: bool,
}

pub fn read_input(payload: Value) -> Result<CreateReaderRequest, InvalidInput> {
    let input: CreateReaderInput = parse_input(payload, "create-reader")?;
    Ok(CreateReaderRequest {
        cluster_id: valid_cluster_id(&input.cluster_id)?,
        run_name: valid_run_name(&input.run_name)?,
        class: valid_writer_class(&input.instance_class, "create-reader's instanceClass")?,
        reference_id: valid_instance_id(&input.reference_instance_id, "reference instance")?,
        availability_zone: input
            .availability_zone
            .map(|az| valid_availability_zone(&az))
            .transpose()?,
        modify: match (input.method, input.target_instance_id) {
            (Some(ReaderMethod::Modify), Some(target)) => {
                Some((valid_instance_id(&target, "the reader to change")?, 0))
            }
            (Some(ReaderMethod::ScaleOldWriter), Some(target)) => {
                Some((valid_instance_id(&target, "the old writer")?, 1))
            }
            (Some(ReaderMethod::Modify | ReaderMethod::ScaleOldWriter), None) => {
                return Err(InvalidInput(
                    "create-reader's modify needs targetInstanceId, the reader to change".into(),
                ))
            }
            _ => None,
        },
        delete_abandoned: input.method == Some(ReaderMethod::DeleteAbandoned),
    })
}

pub async fn create_reader(
    rds: &Rds,
    untagged_allowed: bool,
    payload: Value,
) -> Result<CreateReaderOutput, CreateReaderError> {
    let request = read_input(payload)?;
    if let Some((target, tier)) = &request.modify {
        return modify_reader(rds, untagged_allowed, &request, target, *tier).await;
    }
    if request.delete_abandoned {
        return delete_abandoned(rds, &request).await;
    }
    let CreateReaderRequest {
        cluster_id,
        run_name,
        class,
        ..
    } = request.clone();
    // The name is a function of the cluster and the run, never taken from the input:
    // that is what lets a retry find the instance an earlier attempt created.
    let instance_id = replacement_instance_id(&cluster_id, &run_name);

    if let Some(existing) = rds.instance(&instance_id).await? {
        return adopt_existing(existing, &cluster_id, &run_name);
    }
    let cluster = rds
        .cluster(&cluster_id)
        .await?
        .ok_or_else(|| CreateReaderError::ClusterNotFound(cluster_id.clone()))?;
    // IAM allows this only on opted-in clusters; asking first names the refusal and
    // keeps that true wherever the policy is wider than it should be.
    if !cluster.may_change(untagged_allowed) {
        return Err(CreateReaderError::NotOptedIn(cluster_id));
    }
    check_orderable(rds, &cluster, &class, request.availability_zone.as_deref()).await?;
    // The reference may have gone since the plan (a failed old writer being replaced);
    // the current writer's configuration is the next best.
    let reference = match rds.instance(&request.reference_id).await? {
        Some(detail) if detail.cluster_id.as_deref() == Some(cluster_id.as_str()) => detail,
        _ => current_writer(rds, &cluster).await?,
    };
    // No capacity for the class in the zone: the cluster's other zones, then the classes
    // the operator allows (tag), each tried once, every refusal recorded.
    let writer_class = cluster
        .writer()
        .map(|w| w.class.clone())
        .unwrap_or_else(|| class.clone());
    let (fallbacks, refused) = fallback_classes(
        cluster.tags.get(TAG_FALLBACK_CLASSES).map(String::as_str),
        &writer_class,
    );
    let mut member_zones: Vec<String> = cluster
        .members
        .iter()
        .filter_map(|m| m.availability_zone.clone())
        .collect();
    member_zones.sort();
    let mut attempts: Vec<String> = refused
        .into_iter()
        .map(|why| format!("fallback class refused: {why}"))
        .collect();
    let candidates = capacity_candidates(
        &class,
        request.availability_zone.as_deref(),
        &member_zones,
        &fallbacks,
    );
    for (try_class, zone) in candidates {
        let where_ = zone.as_deref().unwrap_or("any zone");
        if try_class != class {
            let zones = rds
                .orderable_zones(
                    &cluster.engine,
                    cluster.engine_version.as_deref(),
                    &try_class,
                )
                .await?;
            if let Some(why) =
                not_orderable_reason(&try_class, &cluster.engine_label(), &zones, zone.as_deref())
            {
                attempts.push(format!("{try_class} in {where_}: {why}"));
                continue;
            }
        }
        let reader = NewReader {
            instance_id: instance_id.clone(),
            cluster_id: cluster_id.clone(),
            class: try_class.clone(),
            availability_zone: zone.clone(),
            tags: reader_tags(&reference.tags, &run_name),
            reference: reference.clone(),
        };
        match rds.create_reader(&reader).await {
            Ok(()) => {
                tracing::info!(instance = %instance_id, cluster = %cluster_id, class = %try_class, zone = %where_, tried = attempts.len(), "created reader");
                return Ok(CreateReaderOutput {
                    instance_id,
                    created: true,
                    status: "creating".into(),
                    instance_class: Some(try_class),
                    attempts,
                });
            }
            Err(CreateInstanceFailure::InsufficientCapacity(m)) => {
                tracing::warn!(class = %try_class, zone = %where_, "no capacity; trying the next");
                attempts.push(format!("{try_class} in {where_}: no capacity ({m})"));
            }
            Err(CreateInstanceFailure::AlreadyExists(_)) => {
                // Lost a race with an earlier attempt of this same step: adopt its instance.
                let existing = rds.instance(&instance_id).await?.ok_or_else(|| {
                    CreateReaderError::IdentifierConflict {
                        instance_id: instance_id.clone(),
                        run_name: run_name.clone(),
                        detail: "RDS says it exists but does not describe it".into(),
                    }
                })?;
                return adopt_existing(existing, &cluster_id, &run_name);
            }
            Err(CreateInstanceFailure::QuotaExceeded(m)) => {
                return Err(CreateReaderError::QuotaExceeded(m))
            }
            Err(CreateInstanceFailure::ClusterBusy(m)) => {
                return Err(CreateReaderError::ClusterBusy(m))
            }
            Err(CreateInstanceFailure::ClusterNotFound(_)) => {
                return Err(CreateReaderError::ClusterNotFound(cluster_id))
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
        attempts.join("; ")
    )))
}

/// Changes the reader `target` to the desired class in place, once: a reader that already
/// has the class, or is being changed to it, is left as it is (a retry after a lost
/// answer).
async fn modify_reader(
    rds: &Rds,
    untagged_allowed: bool,
    request: &CreateReaderRequest,
    target: &str,
    promotion_tier: i32,
) -> Result<CreateReaderOutput, CreateReaderError> {
    let cluster_id = &request.cluster_id;
    let cluster = rds
        .cluster(cluster_id)
        .await?
        .ok_or_else(|| CreateReaderError::ClusterNotFound(cluster_id.clone()))?;
    if !cluster.may_change(untagged_allowed) {
        return Err(CreateReaderError::NotOptedIn(cluster_id.clone()));
    }
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
    let detail = rds
        .instance(target)
        .await?
        .ok_or_else(|| not_spare("does not exist as an instance"))?;
    let output = |requested: bool, status: String| CreateReaderOutput {
        instance_id: target.to_string(),
        created: requested,
        status,
        instance_class: Some(request.class.clone()),
        attempts: Vec::new(),
    };
    if has_at_least(&detail.class, &request.class)
        || detail.pending_class.as_deref() == Some(request.class.as_str())
    {
        tracing::info!(instance = %target, class = %detail.class, pending = ?detail.pending_class, "reader already has or is getting the class");
        return Ok(output(false, detail.status));
    }
    check_orderable(rds, &cluster, &request.class, None).await?;
    match rds
        .modify_instance_class(target, &request.class, promotion_tier)
        .await
    {
        Ok(()) => {
            tracing::info!(instance = %target, from = %detail.class, to = %request.class, "changing reader in place");
            Ok(output(true, "modifying".into()))
        }
        Err(CreateInstanceFailure::InsufficientCapacity(m)) => {
            Err(CreateReaderError::InsufficientCapacity(m))
        }
        Err(CreateInstanceFailure::ClusterBusy(m)) => Err(CreateReaderError::ClusterBusy(m)),
        Err(CreateInstanceFailure::ClusterNotFound(_)) => Err(not_spare("is gone")),
        Err(CreateInstanceFailure::QuotaExceeded(m)) => Err(CreateReaderError::QuotaExceeded(m)),
        Err(CreateInstanceFailure::AlreadyExists(m)) => Err(CreateReaderError::ClusterBusy(m)),
        Err(CreateInstanceFailure::Aws(aws)) => Err(aws.into()),
    }
}

/// Deletes the reader this run created and gave up on (it failed, never became available,
/// or ran out of capacity), so it neither costs money nor confuses the next run. Only the
/// instance of this run's deterministic name that carries this run's tag is deleted;
/// a cluster tagged `aurora-failback:keep-on-failure=true` keeps it for a person to look
/// at. Safe to retry: an instance deleting or gone is done.
async fn delete_abandoned(
    rds: &Rds,
    request: &CreateReaderRequest,
) -> Result<CreateReaderOutput, CreateReaderError> {
    let instance_id = replacement_instance_id(&request.cluster_id, &request.run_name);
    let output = |status: &str| CreateReaderOutput {
        instance_id: instance_id.clone(),
        created: false,
        status: status.to_string(),
        ..CreateReaderOutput::default()
    };
    let Some(existing) = rds.instance(&instance_id).await? else {
        return Ok(output("gone"));
    };
    // Never delete what this run did not create: the same check a retry of the creation makes.
    adopt_existing(existing.clone(), &request.cluster_id, &request.run_name)?;
    if existing.status == "deleting" {
        return Ok(output("deleting"));
    }
    let keep = match rds.cluster(&request.cluster_id).await? {
        Some(cluster) => cluster
            .tags
            .get(TAG_KEEP_ON_FAILURE)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
        None => false,
    };
    if keep {
        tracing::info!(instance = %instance_id, "kept for a person: the cluster says keep-on-failure");
        return Ok(output("kept"));
    }
    match rds.delete_instance(&instance_id).await {
        Ok(true) => {
            tracing::info!(instance = %instance_id, "deleted the reader this run gave up on");
            Ok(output("deleting"))
        }
        Ok(false) => Ok(output("gone")),
        Err(failure) => Err(failure.into()),
    }
}

/// The class must be orderable for the cluster's engine and version, and in the zone
/// asked for: a zone name from the input reaches AWS only once AWS has listed it.
async fn check_orderable(
    rds: &Rds,
    cluster: &ClusterView,
    class: &str,
    zone: Option<&str>,
) -> Result<(), CreateReaderError> {
    let zones = rds
        .orderable_zones(&cluster.engine, cluster.engine_version.as_deref(), class)
        .await?;
    match not_orderable_reason(class, &cluster.engine_label(), &zones, zone) {
        Some(why) => Err(InvalidInput(why).into()),
        None => Ok(()),
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

fn adopt_existing(
    existing: InstanceDetail,
    cluster_id: &str,
    run_name: &str,
) -> Result<CreateReaderOutput, CreateReaderError> {
    let ours = existing.cluster_id.as_deref() == Some(cluster_id)
        && existing.tags.get(TAG_RUN).map(String::as_str) == Some(run_name);
    if !ours {
        return Err(CreateReaderError::IdentifierConflict {
            instance_id: existing.instance_id,
            run_name: run_name.to_string(),
            detail: format!(
                "it belongs to cluster {} with run tag {:?}",
                existing.cluster_id.as_deref().unwrap_or("none"),
                existing.tags.get(TAG_RUN)
            ),
        });
    }
    tracing::info!(instance = %existing.instance_id, status = %existing.status, "reader already exists; carrying on");
    Ok(CreateReaderOutput {
        instance_id: existing.instance_id,
        created: false,
        status: existing.status,
        instance_class: Some(existing.class),
        attempts: Vec::new(),
    })
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
