//! A DR resource checked again where it is acted on: dr-check, dr-act, dr-readiness and
//! the CLI take a resource as dr-validate produced it, but a Lambda can be invoked by
//! anyone allowed to, so every identifier, region and ARN is checked once more, giving
//! the request the planning reads. Pure.

use crate::dr::payload::{
    is_backup_window, is_cache_group_id, is_snapshot_id, is_subnet_group, ClusterRef,
    ClusterRestoreSpec, DrAction, DrResource, InstanceRestoreSpec, ReplicaSpec, RestoreSource,
    SecondaryClusterSpec, CACHE_KEY_PREFIX, CLUSTER_KEY_PREFIX, INSTANCE_KEY_PREFIX,
};
use crate::identifier::validate_identifier;
use crate::model::GlobalSwitch;
use crate::trigger::{is_region, parse_cluster_arn, Home, InvalidInput};

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
    /// A global datastore to fail over to its replication group in this region.
    CacheFailover {
        global_group_id: String,
        target_group_id: String,
    },
    /// An Aurora cross-region replica cluster to promote.
    PromoteCluster {
        cluster_id: String,
    },
    /// A new Aurora cluster to restore, with its instances.
    RestoreCluster(Box<ClusterRestoreSpec>),
    /// A new RDS instance to restore.
    RestoreInstance(Box<InstanceRestoreSpec>),
}

impl DrRequest {
    /// The resource key of what the request acts on (as `DrAction::resource_key`).
    pub fn resource_key(&self) -> String {
        match self {
            Self::Switch(switch) => switch.global_cluster_id.clone(),
            Self::Secondary(spec) => spec.global_cluster_id.clone(),
            Self::Promote(promote) => format!("{INSTANCE_KEY_PREFIX}{}", promote.instance_id),
            Self::Replica { spec, .. } => format!("{INSTANCE_KEY_PREFIX}{}", spec.instance_id),
            Self::CacheFailover {
                global_group_id, ..
            } => format!("{CACHE_KEY_PREFIX}{global_group_id}"),
            Self::PromoteCluster { cluster_id } => format!("{CLUSTER_KEY_PREFIX}{cluster_id}"),
            Self::RestoreCluster(spec) => format!("{CLUSTER_KEY_PREFIX}{}", spec.cluster_id),
            Self::RestoreInstance(spec) => format!("{INSTANCE_KEY_PREFIX}{}", spec.instance_id),
        }
    }
}

fn invalid(what: &str, raw: &str, why: impl std::fmt::Display) -> InvalidInput {
    InvalidInput(format!("{what} {raw:?} {why}"))
}

fn identifier(what: &str, raw: &str) -> Result<String, InvalidInput> {
    validate_identifier(raw).map_err(|e| invalid(what, raw, e))
}

/// The request `resource` makes, every identifier, region and ARN checked again against
/// this deployment (`home`).
pub fn checked_request(resource: &DrResource, home: &Home) -> Result<DrRequest, InvalidInput> {
    if resource.resource_key != resource.action.resource_key() {
        return Err(invalid(
            "resource key",
            &resource.resource_key,
            format!("does not match {:?}", resource.resource_name),
        ));
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
                    )));
                }
                if let Some(window) = preferred_backup_window.as_deref() {
                    if !is_backup_window(window) {
                        return Err(invalid(
                            "PreferredBackupWindow",
                            window,
                            "is not hh24:mi-hh24:mi",
                        ));
                    }
                }
                Ok(DrRequest::Promote(PromoteRequest {
                    instance_id: identifier("instance", instance_id)?,
                    backup_retention_period: *backup_retention_period,
                    preferred_backup_window: preferred_backup_window.clone(),
                }))
            }
            DrAction::CreateReplica(spec) => checked_replica(spec, home),
            DrAction::CacheFailover {
                global_group_id,
                target_group_id,
            } => {
                for (what, id) in [
                    ("global datastore", global_group_id),
                    ("replication group", target_group_id),
                ] {
                    if !is_cache_group_id(id) {
                        return Err(invalid(what, id, "is not an ElastiCache group identifier"));
                    }
                }
                Ok(DrRequest::CacheFailover {
                    global_group_id: global_group_id.clone(),
                    target_group_id: target_group_id.clone(),
                })
            }
            DrAction::PromoteReplicaCluster { target } => Ok(DrRequest::PromoteCluster {
                cluster_id: local_cluster(target, home)?,
            }),
            DrAction::RestoreCluster(spec) => {
                // Checked before the instances are named: each reader is one identifier.
                if !(0..=15).contains(&spec.reader_count) {
                    return Err(InvalidInput(format!(
                        "ReaderCount {} is outside 0..=15 (Aurora's limit with the writer)",
                        spec.reader_count
                    )));
                }
                let mut checked = spec.clone();
                checked.cluster_id = identifier("cluster", &spec.cluster_id)?;
                checked.source = checked_source(&spec.source)?;
                for id in spec.instance_ids() {
                    identifier("instance", &id)?;
                }
                if !is_subnet_group(&spec.subnet_group) {
                    return Err(invalid(
                        "subnet group",
                        &spec.subnet_group,
                        "is not a DB subnet group name",
                    ));
                }
                crate::class_rank::check_requested_class(&spec.instance_class)
                    .map_err(|e| invalid("instance class", &spec.instance_class, e))?;
                Ok(DrRequest::RestoreCluster(checked))
            }
            DrAction::RestoreInstance(spec) => {
                let mut checked = spec.clone();
                checked.instance_id = identifier("instance", &spec.instance_id)?;
                checked.source = checked_source(&spec.source)?;
                crate::class_rank::check_requested_class(&spec.instance_class)
                    .map_err(|e| invalid("instance class", &spec.instance_class, e))?;
                Ok(DrRequest::RestoreInstance(checked))
            }
            DrAction::Switchover { .. } | DrAction::GlobalFailover { .. } => {
                Err(InvalidInput("a switch without its target".into()))
            }
        };
    };
    let global = identifier("global cluster", global_cluster_id)?;
    let cluster_id = local_cluster(target, home)?;
    Ok(DrRequest::Switch(SwitchRequest {
        how,
        global_cluster_id: global,
        target: ClusterRef {
            cluster_id,
            arn: target.arn.clone(),
        },
    }))
}

fn checked_source(source: &RestoreSource) -> Result<RestoreSource, InvalidInput> {
    Ok(match source {
        RestoreSource::NewestSnapshotOf { source_id } => RestoreSource::NewestSnapshotOf {
            source_id: identifier("source", source_id)?,
        },
        RestoreSource::Snapshot { snapshot_id } if is_snapshot_id(snapshot_id) => source.clone(),
        RestoreSource::Snapshot { snapshot_id } => {
            return Err(invalid(
                "snapshot",
                snapshot_id,
                "is not a snapshot identifier",
            ))
        }
        RestoreSource::PointInTime { source_id, time } => {
            if let Some(time) = time.as_deref() {
                if !time.ends_with('Z') || crate::clock::parse_iso8601(time).is_none() {
                    return Err(invalid(
                        "RestoreToTime",
                        time,
                        "is not an ISO 8601 time in UTC",
                    ));
                }
            }
            RestoreSource::PointInTime {
                source_id: identifier("source cluster", source_id)?,
                time: time.clone(),
            }
        }
    })
}

/// A cluster of this deployment's region (and account, when known), by identifier or ARN.
fn local_cluster(target: &ClusterRef, home: &Home) -> Result<String, InvalidInput> {
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
            ));
        }
    }
    Ok(cluster_id)
}

fn checked_replica(spec: &ReplicaSpec, home: &Home) -> Result<DrRequest, InvalidInput> {
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
        ));
    }
    if let Some(group) = spec.subnet_group.as_deref().filter(|g| !is_subnet_group(g)) {
        return Err(invalid(
            "subnet group",
            group,
            "is not a DB subnet group name",
        ));
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
