//! create-reader: puts a tier-0 reader of the desired class in the cluster, once.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::errors::{AwsFailure, StepError};
use crate::failback::plan::not_orderable_reason;
use crate::identifier::replacement_instance_id;
use crate::model::ClusterView;
pub use crate::model::CreateReaderOutput;
use crate::model::TAG_RUN;
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
    })
}

pub async fn create_reader(
    rds: &Rds,
    untagged_allowed: bool,
    payload: Value,
) -> Result<CreateReaderOutput, CreateReaderError> {
    let request = read_input(payload)?;
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
    let reader = NewReader {
        instance_id: instance_id.clone(),
        cluster_id: cluster_id.clone(),
        class,
        availability_zone: request.availability_zone,
        tags: reader_tags(&reference.tags, &run_name),
        reference,
    };
    match rds.create_reader(&reader).await {
        Ok(()) => {
            tracing::info!(instance = %instance_id, cluster = %cluster_id, "created reader");
            Ok(CreateReaderOutput {
                instance_id,
                created: true,
                status: "creating".into(),
            })
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
            adopt_existing(existing, &cluster_id, &run_name)
        }
        Err(CreateInstanceFailure::InsufficientCapacity(m)) => {
            Err(CreateReaderError::InsufficientCapacity(m))
        }
        Err(CreateInstanceFailure::QuotaExceeded(m)) => Err(CreateReaderError::QuotaExceeded(m)),
        Err(CreateInstanceFailure::ClusterBusy(m)) => Err(CreateReaderError::ClusterBusy(m)),
        Err(CreateInstanceFailure::ClusterNotFound(_)) => {
            Err(CreateReaderError::ClusterNotFound(cluster_id))
        }
        Err(CreateInstanceFailure::Aws(aws)) => Err(aws.into()),
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
