//! What one DR resource needs, decided from what AWS reports, and whether it is done.
//! Pure, so that a re-run after a partial run (or after a crash between a call and its
//! answer) converges: what is done is recognised as done, what is under way is waited
//! for, and nothing is switched back and forth.

use serde::{Deserialize, Serialize};

use crate::class_rank::{check_requested_class, has_at_least};
use crate::clock::parse_iso8601;
use crate::dr::payload::{
    ClusterRestoreSpec, DrResource, InstanceRestoreSpec, ReplicaSpec, RestoreSource,
    SecondaryClusterSpec, CACHE_KEY_PREFIX, CLUSTER_KEY_PREFIX, INSTANCE_KEY_PREFIX,
};
use crate::dr::request::DrRequest;
use crate::dr::rpo::{is_protected, TAG_BACKUP};
use crate::model::{
    instance_health, CacheGlobalView, ClusterView, GlobalClusterView, GlobalSwitch, InstanceHealth,
    InstanceView, Readiness, SnapshotView, TAG_RESTORE, TAG_WRITER_CLASS,
};
use crate::trigger::Home;

/// What the resource needs now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceState {
    /// Nothing to do: the target already is where the payload wants it.
    Done,
    /// The call must be made.
    Act,
    /// The call was made (by this run before a crash, or by someone else) and is under
    /// way to the same target: wait for it, do not call again.
    InProgress,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourcePlan {
    pub state: ResourceState,
    /// The AWS call the act step makes (for the dry run and the record).
    pub call: String,
    /// What the plan is about: the global cluster, or `instance/<identifier>`.
    pub resource_key: String,
    pub target_cluster_arn: String,
    /// The global writer before the run acted, as AWS reported it.
    pub writer_before: Option<String>,
    pub summary: String,
    /// The replication lag AWS reported just before the plan (ReplicaLag of an RDS
    /// replica, AuroraGlobalDBReplicationLag of a global secondary, AuroraBinlogReplicaLag
    /// of a replica cluster), in milliseconds: what a failover now may lose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication_lag_ms: Option<u64>,
    /// An Aurora cluster already at its target whose writer is smaller than its
    /// writer-class tag: the DR run starts the failback workflow for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff: Option<CapacityHandoff>,
    /// What a restore's act step creates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<RestoreStep>,
}

/// The calls a restore still needs: the restore itself (from a snapshot, or the source
/// cluster for a point in time) unless the target exists, then the instances missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreStep {
    /// The snapshot (its identifier) or source cluster to restore from; `None` when
    /// the target already exists.
    pub from: Option<String>,
    /// When the snapshot was taken, or the time restored to (`latest` for the latest
    /// restorable time): what the restore may lack.
    pub as_of: Option<String>,
    pub engine: String,
    /// The cluster's instances still to create, writer first. AWS creates a restored
    /// cluster's instances only once the cluster is available, so they are created by a
    /// later act (`act_again`), never with the restore call.
    pub create_instances: Vec<String>,
}

/// Why a resource cannot go on, with stable names for the machine's Retry and Catch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrRefusal {
    #[error("global cluster {0} does not exist")]
    GlobalClusterNotFound(String),
    #[error("{0} does not exist in this region")]
    TargetNotFound(String),
    #[error("cluster {cluster} is not a member of global cluster {global_cluster_id}")]
    TargetNotInGlobalCluster {
        cluster: String,
        global_cluster_id: String,
    },
    /// Retryable: something is under way or settling.
    #[error("{0}")]
    ClusterBusy(String),
    /// The payload's regions do not match where the global writer is.
    #[error("{0}")]
    WrongRegion(String),
    /// Something of that name is there and is not what the payload describes; it is
    /// neither deleted nor taken over.
    #[error("{0}")]
    IdentifierConflict(String),
    /// The instance is in a status that needs a person.
    #[error("instance {instance_id} is {status}; it will not become available without a person")]
    TargetFailed { instance_id: String, status: String },
    /// A point-in-time restore's source is not a protected cluster: the deployment may
    /// restore only those (its IAM policy says the same).
    #[error("cluster {0} is not protected (tag aurora-failback:backup=true); this deployment restores only protected clusters to a point in time")]
    SourceNotProtected(String),
}

impl DrRefusal {
    pub const ERROR_NAMES: &'static [&'static str] = &[
        "GlobalClusterNotFound",
        "TargetNotFound",
        "TargetNotInGlobalCluster",
        "ClusterBusy",
        "WrongRegion",
        "TargetFailed",
        "IdentifierConflict",
        "SourceNotProtected",
    ];

    pub fn error_type(&self) -> &'static str {
        match self {
            Self::GlobalClusterNotFound(_) => "GlobalClusterNotFound",
            Self::TargetNotFound(_) => "TargetNotFound",
            Self::TargetNotInGlobalCluster { .. } => "TargetNotInGlobalCluster",
            Self::ClusterBusy(_) => "ClusterBusy",
            Self::WrongRegion(_) => "WrongRegion",
            Self::TargetFailed { .. } => "TargetFailed",
            Self::IdentifierConflict(_) => "IdentifierConflict",
            Self::SourceNotProtected(_) => "SourceNotProtected",
        }
    }
}

/// A cluster that left its global database (FailoverGlobalCluster may detach the target
/// when the old primary cannot be reached) and now takes writes on its own.
fn standalone_writer(target: &ClusterView) -> bool {
    target.global_cluster_id.is_none() && target.status == "available" && target.writer().is_some()
}

/// The target's ARN, which both global calls require.
fn target_arn(target: &ClusterView) -> Result<String, DrRefusal> {
    target.arn.clone().ok_or_else(|| {
        DrRefusal::ClusterBusy(format!(
            "RDS reported no ARN for cluster {}; asking again",
            target.cluster_id
        ))
    })
}

/// Moves a global database's writer to `target` (a cluster in this region):
/// `Switchover` for a planned move, `FailoverAllowingDataLoss` when the primary region is
/// impaired. Only this region's view is read, so it works while every call to the
/// primary region fails.
pub fn plan_global_switch(
    how: GlobalSwitch,
    global_cluster_id: &str,
    global: Option<&GlobalClusterView>,
    target: Option<&ClusterView>,
    target_name: &str,
) -> Result<ResourcePlan, DrRefusal> {
    let target =
        target.ok_or_else(|| DrRefusal::TargetNotFound(format!("cluster {target_name}")))?;
    let arn = target_arn(target)?;
    let plan =
        |state: ResourceState, writer_before: Option<String>, summary: String| ResourcePlan {
            state,
            call: how.call().to_string(),
            resource_key: global_cluster_id.to_string(),
            target_cluster_arn: arn.clone(),
            writer_before,
            summary,
            replication_lag_ms: None,
            handoff: None,
            restore: None,
        };
    let Some(global) = global else {
        if how == GlobalSwitch::FailoverAllowingDataLoss && standalone_writer(target) {
            return Ok(plan(
                ResourceState::Done,
                Some(arn.clone()),
                format!(
                    "{} is a standalone writer: the failover detached it from {global_cluster_id}",
                    target.cluster_id
                ),
            ));
        }
        return Err(DrRefusal::GlobalClusterNotFound(
            global_cluster_id.to_string(),
        ));
    };
    let writer_before = global.writer().map(|w| w.cluster_arn.clone());
    if let Some(under_way) = global.switch_under_way() {
        return if under_way.to_cluster_arn.as_deref() == Some(arn.as_str())
            && under_way.status != "cancelling"
        {
            Ok(plan(
                ResourceState::InProgress,
                writer_before,
                format!(
                    "a {} to {} is already under way ({}); waiting for it",
                    if under_way.data_loss_allowed {
                        "failover"
                    } else {
                        "switchover"
                    },
                    target.cluster_id,
                    under_way.status
                ),
            ))
        } else {
            Err(DrRefusal::ClusterBusy(format!(
                "global cluster {global_cluster_id} is {} to {}; this run waits until that ends",
                under_way.status,
                under_way
                    .to_cluster_arn
                    .as_deref()
                    .unwrap_or("another cluster")
            )))
        };
    }
    let Some(member) = global.member(&arn) else {
        if how == GlobalSwitch::FailoverAllowingDataLoss && standalone_writer(target) {
            return Ok(plan(
                ResourceState::Done,
                writer_before,
                format!(
                    "{} is a standalone writer, detached from {global_cluster_id}",
                    target.cluster_id
                ),
            ));
        }
        return Err(DrRefusal::TargetNotInGlobalCluster {
            cluster: arn,
            global_cluster_id: global_cluster_id.to_string(),
        });
    };
    if member.is_writer {
        if global.status == "available" && target.status == "available" {
            return Ok(plan(
                ResourceState::Done,
                writer_before,
                format!(
                    "{} already is the writer of {global_cluster_id}",
                    target.cluster_id
                ),
            ));
        }
        return Ok(plan(
            ResourceState::InProgress,
            writer_before,
            format!(
                "{} is the writer; global cluster {}, cluster {}: waiting until both are available",
                target.cluster_id, global.status, target.status
            ),
        ));
    }
    if global.status != "available" || target.status != "available" {
        return Err(DrRefusal::ClusterBusy(format!(
            "global cluster {global_cluster_id} is {} and cluster {} is {}; both must be available",
            global.status, target.cluster_id, target.status
        )));
    }
    let from = writer_before.clone().unwrap_or_else(|| "no writer".into());
    Ok(plan(
        ResourceState::Act,
        writer_before,
        format!(
            "{} {global_cluster_id} from {from} to {}",
            how.call(),
            target.cluster_id
        ),
    ))
}

/// What the check step reports about a global switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SwitchCheck {
    pub state: Readiness,
    pub global_status: Option<String>,
    pub writer: Option<String>,
    pub target_status: String,
    /// What AWS reports of the failover: its status, where from, and whether data loss
    /// was allowed (what the operator may have lost).
    pub failover_status: Option<String>,
    pub failed_over_from: Option<String>,
    pub data_loss_allowed: Option<bool>,
    /// Set when the target is done but its writer is smaller than its writer-class tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff: Option<CapacityHandoff>,
    /// The resource needs another call now that AWS allows it (a restored cluster became
    /// available and its instances can be created): the machine acts again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub act_again: bool,
    pub summary: String,
}

/// Done only when AWS shows the target as the writer and everything available again: not
/// merely "status available". For a failover that detached the target, a standalone
/// writer that is available is done.
pub fn check_global_switch(
    how: GlobalSwitch,
    global_cluster_id: &str,
    global: Option<&GlobalClusterView>,
    target: Option<&ClusterView>,
    target_name: &str,
) -> Result<SwitchCheck, DrRefusal> {
    let target =
        target.ok_or_else(|| DrRefusal::TargetNotFound(format!("cluster {target_name}")))?;
    let arn = target_arn(target)?;
    let failover = global.and_then(|g| g.failover.as_ref());
    let writer = global
        .and_then(|g| g.writer())
        .map(|w| w.cluster_arn.clone());
    let moved = writer.as_deref() == Some(arn.as_str());
    let settled = global.is_some_and(|g| g.status == "available" && g.switch_under_way().is_none())
        && target.status == "available";
    let detached = how == GlobalSwitch::FailoverAllowingDataLoss
        && standalone_writer(target)
        && global.is_none_or(|g| g.member(&arn).is_none());
    if global.is_none() && !detached {
        return Err(DrRefusal::GlobalClusterNotFound(
            global_cluster_id.to_string(),
        ));
    }
    let (state, summary) = if detached {
        (
            Readiness::Ready,
            format!("{} is a standalone writer, available", target.cluster_id),
        )
    } else if moved && settled {
        (
            Readiness::Ready,
            format!(
                "{} is the writer of {global_cluster_id}, available",
                target.cluster_id
            ),
        )
    } else {
        (
            Readiness::Pending,
            format!(
                "writer {}, global cluster {}, cluster {} {}",
                writer.as_deref().unwrap_or("none"),
                global.map_or("gone", |g| g.status.as_str()),
                target.cluster_id,
                target.status
            ),
        )
    };
    Ok(SwitchCheck {
        state,
        global_status: global.map(|g| g.status.clone()),
        writer,
        target_status: target.status.clone(),
        failover_status: failover.map(|f| f.status.clone()),
        failed_over_from: failover.and_then(|f| f.from_cluster_arn.clone()),
        data_loss_allowed: failover.map(|f| f.data_loss_allowed),
        handoff: None,
        act_again: false,
        summary,
    })
}

/// The region of an ARN (`arn:partition:service:region:...`).
fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3)
}

/// Whether `cluster` is a member of `global`, by the global cluster's own member list: a
/// cluster's `GlobalClusterIdentifier` may still name it for a while after it was detached
/// (moto keeps it), and a detached cluster is a standalone writer, never a secondary.
fn is_member(cluster: &ClusterView, global: &GlobalClusterView) -> bool {
    cluster
        .arn
        .as_deref()
        .is_some_and(|arn| global.member(arn).is_some())
}

/// Failback preparation: this region (`home_region`) made a secondary of the global
/// database again, its cluster and first instance as the payload describes them.
/// Convergent: a secondary AWS already rebuilt, or this run made before a crash, is
/// recognised; a cluster of that name outside the global database is never deleted or
/// taken over.
pub fn plan_secondary(
    spec: &SecondaryClusterSpec,
    global: Option<&GlobalClusterView>,
    cluster: Option<&ClusterView>,
    home_region: &str,
) -> Result<ResourcePlan, DrRefusal> {
    let global_id = &spec.global_cluster_id;
    let global = global.ok_or_else(|| DrRefusal::GlobalClusterNotFound(global_id.clone()))?;
    if let Some(under_way) = global.switch_under_way() {
        return Err(DrRefusal::ClusterBusy(format!(
            "global cluster {global_id} is {}; the secondary is made once that ends",
            under_way.status
        )));
    }
    let writer = global.writer().ok_or_else(|| {
        DrRefusal::ClusterBusy(format!("global cluster {global_id} has no writer now"))
    })?;
    let writer_region = arn_region(&writer.cluster_arn).unwrap_or_default();
    if writer_region == home_region {
        return Err(DrRefusal::WrongRegion(format!(
            "the writer of {global_id} is in {home_region}, this run's own region: a secondary is made where the writer is not"
        )));
    }
    if writer_region != spec.source_region {
        return Err(DrRefusal::WrongRegion(format!(
            "the writer of {global_id} is in {writer_region}, not SourceRegion {}",
            spec.source_region
        )));
    }
    let plan = |state: ResourceState, call: &str, arn: String, summary: String| ResourcePlan {
        state,
        call: call.to_string(),
        resource_key: global_id.clone(),
        target_cluster_arn: arn,
        writer_before: Some(writer.cluster_arn.clone()),
        summary,
        replication_lag_ms: None,
        handoff: None,
        restore: None,
    };
    let Some(cluster) = cluster else {
        if global.status != "available" {
            return Err(DrRefusal::ClusterBusy(format!(
                "global cluster {global_id} is {}; it must be available",
                global.status
            )));
        }
        return Ok(plan(
            ResourceState::Act,
            "CreateDBCluster + CreateDBInstance",
            spec.cluster_id.clone(),
            format!(
                "create secondary cluster {} ({} {}) with instance {} ({}) in {home_region}, joined to {global_id}",
                spec.cluster_id, spec.engine, spec.engine_version, spec.instance_id, spec.instance_class
            ),
        ));
    };
    let arn = cluster
        .arn
        .clone()
        .unwrap_or_else(|| cluster.cluster_id.clone());
    if !is_member(cluster, global) {
        return Err(DrRefusal::TargetNotInGlobalCluster {
            cluster: format!(
                "{} (it exists in {home_region} outside the global database; it is neither deleted nor taken over)",
                cluster.cluster_id
            ),
            global_cluster_id: global_id.clone(),
        });
    }
    match cluster.member(&spec.instance_id) {
        None => Ok(plan(
            ResourceState::Act,
            "CreateDBInstance",
            arn,
            format!(
                "{} already is a secondary of {global_id}; create its instance {}",
                cluster.cluster_id, spec.instance_id
            ),
        )),
        Some(instance) if cluster.status == "available" && instance.status == "available" => {
            Ok(plan(
                ResourceState::Done,
                "none",
                arn,
                format!(
                    "{} already is a secondary of {global_id} with instance {}, available",
                    cluster.cluster_id, spec.instance_id
                ),
            ))
        }
        Some(instance) => Ok(plan(
            ResourceState::InProgress,
            "none",
            arn,
            format!(
                "{} is a secondary of {global_id}; cluster {}, instance {}: waiting",
                cluster.cluster_id, cluster.status, instance.status
            ),
        )),
    }
}

/// Done when the secondary cluster is a member of the global database (not its writer),
/// available, with its instance available.
pub fn check_secondary(
    spec: &SecondaryClusterSpec,
    global: Option<&GlobalClusterView>,
    cluster: Option<&ClusterView>,
) -> Result<SwitchCheck, DrRefusal> {
    let global_id = &spec.global_cluster_id;
    let global = global.ok_or_else(|| DrRefusal::GlobalClusterNotFound(global_id.clone()))?;
    let writer = global.writer().map(|w| w.cluster_arn.clone());
    let instance = cluster.and_then(|c| c.member(&spec.instance_id));
    let joined =
        cluster.is_some_and(|c| is_member(c, global) && c.arn.as_deref() != writer.as_deref());
    let ready = joined
        && cluster.is_some_and(|c| c.status == "available")
        && instance.is_some_and(|i| i.status == "available");
    let target_status = cluster.map_or("not yet created".to_string(), |c| c.status.clone());
    Ok(SwitchCheck {
        state: Readiness::from(ready),
        global_status: Some(global.status.clone()),
        writer,
        target_status: target_status.clone(),
        failover_status: global.failover.as_ref().map(|f| f.status.clone()),
        failed_over_from: None,
        data_loss_allowed: None,
        handoff: None,
        act_again: false,
        summary: if ready {
            format!(
                "{} is a secondary of {global_id}, available",
                spec.cluster_id
            )
        } else {
            format!(
                "secondary {} {target_status}, instance {}",
                spec.cluster_id,
                instance.map_or("not yet created", |i| i.status.as_str())
            )
        },
    })
}

/// The pilot light: the read replica `instance_id` in this region promoted to a
/// standalone instance. A replica already standalone is done, not an error; one that is
/// not available yet (backing up, modifying) is waited for.
pub fn plan_promotion(
    instance_id: &str,
    instance: Option<&InstanceView>,
) -> Result<ResourcePlan, DrRefusal> {
    let instance =
        instance.ok_or_else(|| DrRefusal::TargetNotFound(format!("instance {instance_id}")))?;
    if instance_health(&instance.status) == InstanceHealth::Terminal {
        return Err(DrRefusal::TargetFailed {
            instance_id: instance_id.to_string(),
            status: instance.status.clone(),
        });
    }
    let plan = |state: ResourceState, summary: String| ResourcePlan {
        state,
        call: "PromoteReadReplica".to_string(),
        resource_key: format!("{INSTANCE_KEY_PREFIX}{instance_id}"),
        target_cluster_arn: instance
            .arn
            .clone()
            .unwrap_or_else(|| instance_id.to_string()),
        writer_before: instance.replica_source.clone(),
        summary,
        replication_lag_ms: None,
        handoff: None,
        restore: None,
    };
    match (&instance.replica_source, instance.status.as_str()) {
        (None, "available") => Ok(plan(
            ResourceState::Done,
            format!("{instance_id} already is a standalone instance"),
        )),
        // Promotion takes the instance through `modifying` and a reboot, then clears its
        // source: a standalone instance that is not available yet is one being promoted.
        (None, status) => Ok(plan(
            ResourceState::InProgress,
            format!("{instance_id} is standalone and {status}: waiting"),
        )),
        (Some(source), "available") => Ok(plan(
            ResourceState::Act,
            format!("PromoteReadReplica {instance_id}, a replica of {source}"),
        )),
        // The promotion's own statuses: AWS may still name the source while it modifies
        // and reboots the instance (a call whose answer was lost, or a re-run), so wait
        // rather than call again.
        (Some(source), status @ ("modifying" | "rebooting")) => Ok(plan(
            ResourceState::InProgress,
            format!(
                "replica {instance_id} of {source} is {status}, as a promotion makes it: waiting"
            ),
        )),
        // Anything else (backing-up above all, which PromoteReadReplica refuses) is waited
        // out by the state machine's retries, and the call is made once it is available.
        (Some(source), status) => Err(DrRefusal::ClusterBusy(format!(
            "replica {instance_id} of {source} is {status}; it is promoted once available"
        ))),
    }
}

/// Done when the instance is available and no longer names a source.
pub fn check_promotion(
    instance_id: &str,
    instance: Option<&InstanceView>,
) -> Result<SwitchCheck, DrRefusal> {
    let instance =
        instance.ok_or_else(|| DrRefusal::TargetNotFound(format!("instance {instance_id}")))?;
    if instance_health(&instance.status) == InstanceHealth::Terminal {
        return Err(DrRefusal::TargetFailed {
            instance_id: instance_id.to_string(),
            status: instance.status.clone(),
        });
    }
    let ready = instance.replica_source.is_none() && instance.status == "available";
    Ok(SwitchCheck {
        state: Readiness::from(ready),
        global_status: None,
        writer: instance.arn.clone().filter(|_| ready),
        target_status: instance.status.clone(),
        failover_status: None,
        failed_over_from: instance.replica_source.clone(),
        data_loss_allowed: None,
        handoff: None,
        act_again: false,
        summary: match &instance.replica_source {
            None if ready => format!("{instance_id} is a standalone instance, available"),
            None => format!("{instance_id} is standalone, {}", instance.status),
            Some(source) => format!(
                "{instance_id} is {}, still a replica of {source}",
                instance.status
            ),
        },
    })
}

/// Whether a replica's source (an ARN across regions) is the payload's source instance:
/// its region and identifier, and its account where this deployment knows it.
fn replicates(instance: &InstanceView, spec: &ReplicaSpec, account: Option<&str>) -> bool {
    instance.replica_source.as_deref().is_some_and(|source| {
        let parts: Vec<&str> = source.split(':').collect();
        matches!(parts.as_slice(), ["arn", _, "rds", region, owner, "db", id]
            if *region == spec.source_region
                && *id == spec.source_instance_id
                && account.is_none_or(|a| a == *owner))
    })
}

fn not_ours(spec: &ReplicaSpec) -> DrRefusal {
    DrRefusal::IdentifierConflict(format!(
        "instance {} exists here but is not a read replica of {} in {}; it is neither deleted nor taken over",
        spec.instance_id, spec.source_instance_id, spec.source_region
    ))
}

/// Failback preparation for the pilot light: the read replica `spec.instance_id` in this
/// region, replicating `spec.source_instance_id` from `spec.source_region`. Found again
/// after a retry by its identifier; anything else holding the name is left alone.
pub fn plan_replica(
    spec: &ReplicaSpec,
    instance: Option<&InstanceView>,
    account: Option<&str>,
) -> Result<ResourcePlan, DrRefusal> {
    let plan = |state: ResourceState, call: &str, arn: String, summary: String| ResourcePlan {
        state,
        call: call.to_string(),
        resource_key: format!("{INSTANCE_KEY_PREFIX}{}", spec.instance_id),
        target_cluster_arn: arn,
        writer_before: None,
        summary,
        replication_lag_ms: None,
        handoff: None,
        restore: None,
    };
    let Some(instance) = instance else {
        return Ok(plan(
            ResourceState::Act,
            "CreateDBInstanceReadReplica",
            spec.instance_id.clone(),
            format!(
                "create read replica {} ({}) of {} in {}",
                spec.instance_id, spec.instance_class, spec.source_instance_id, spec.source_region
            ),
        ));
    };
    if !replicates(instance, spec, account) {
        return Err(not_ours(spec));
    }
    if instance_health(&instance.status) == InstanceHealth::Terminal {
        return Err(DrRefusal::TargetFailed {
            instance_id: spec.instance_id.clone(),
            status: instance.status.clone(),
        });
    }
    let arn = instance
        .arn
        .clone()
        .unwrap_or_else(|| spec.instance_id.clone());
    Ok(if instance.status == "available" {
        plan(
            ResourceState::Done,
            "none",
            arn,
            format!(
                "{} already replicates {}",
                spec.instance_id, spec.source_instance_id
            ),
        )
    } else {
        plan(
            ResourceState::InProgress,
            "none",
            arn,
            format!(
                "{} replicates {}, {}: waiting",
                spec.instance_id, spec.source_instance_id, instance.status
            ),
        )
    })
}

/// Done when the replica exists, replicates the payload's source, and is available. An
/// instance of that name that replicates something else (someone took the name between
/// the plan and the call) is refused, not waited for.
pub fn check_replica(
    spec: &ReplicaSpec,
    instance: Option<&InstanceView>,
    account: Option<&str>,
) -> Result<SwitchCheck, DrRefusal> {
    if let Some(instance) = instance {
        if !replicates(instance, spec, account) {
            return Err(not_ours(spec));
        }
        if instance_health(&instance.status) == InstanceHealth::Terminal {
            return Err(DrRefusal::TargetFailed {
                instance_id: spec.instance_id.clone(),
                status: instance.status.clone(),
            });
        }
    }
    let ready = instance.is_some_and(|i| i.status == "available");
    let status = instance.map_or("not yet created".to_string(), |i| i.status.clone());
    Ok(SwitchCheck {
        state: Readiness::from(ready),
        global_status: None,
        writer: instance.and_then(|i| i.replica_source.clone()),
        target_status: status.clone(),
        failover_status: None,
        failed_over_from: None,
        data_loss_allowed: None,
        handoff: None,
        act_again: false,
        summary: format!(
            "replica {} of {}: {status}",
            spec.instance_id, spec.source_instance_id
        ),
    })
}

/// A cluster that took over as writer with less capacity than its writer-class tag asks
/// for: the failback workflow restores its writer class (started by the DR machine).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapacityHandoff {
    pub cluster_id: String,
    pub writer_class: String,
    pub current_class: String,
}

/// Whether `cluster`, now taking writes, needs its writer class restored: it is opted in
/// (the failback workflow acts only on those), its writer-class tag names a valid class,
/// and its writer is smaller. Any doubt means no hand-off: the DR result stands alone.
pub fn capacity_handoff(cluster: &ClusterView) -> Option<CapacityHandoff> {
    let writer = cluster.writer()?;
    let desired = cluster.tags.get(TAG_WRITER_CLASS)?.trim();
    if !cluster.is_opted_in()
        || check_requested_class(desired).is_err()
        || has_at_least(&writer.class, desired)
    {
        return None;
    }
    Some(CapacityHandoff {
        cluster_id: cluster.cluster_id.clone(),
        writer_class: desired.to_string(),
        current_class: writer.class.clone(),
    })
}

fn cache_target_not_member(global_group_id: &str, target: &str, region: &str) -> DrRefusal {
    DrRefusal::TargetNotInGlobalCluster {
        cluster: format!("replication group {target} in {region}"),
        global_cluster_id: global_group_id.to_string(),
    }
}

/// An ElastiCache global datastore failed over to its replication group `target` in
/// `region` (this run's). Only the datastore's own view is read: any member region
/// answers, so this works while the old primary region is impaired.
pub fn plan_cache_failover(
    global_group_id: &str,
    target: &str,
    region: &str,
    datastore: Option<&CacheGlobalView>,
) -> Result<ResourcePlan, DrRefusal> {
    let datastore = datastore
        .ok_or_else(|| DrRefusal::TargetNotFound(format!("global datastore {global_group_id}")))?;
    let member = datastore
        .member(target, region)
        .ok_or_else(|| cache_target_not_member(global_group_id, target, region))?;
    let primary_before = datastore
        .primary()
        .map(|p| format!("{} ({})", p.replication_group_id, p.region));
    let plan = |state: ResourceState, summary: String| ResourcePlan {
        state,
        call: "FailoverGlobalReplicationGroup".to_string(),
        resource_key: format!("{CACHE_KEY_PREFIX}{global_group_id}"),
        target_cluster_arn: target.to_string(),
        writer_before: primary_before.clone(),
        summary,
        replication_lag_ms: None,
        handoff: None,
        restore: None,
    };
    let primary = member.role == "PRIMARY";
    match (primary, datastore.status.as_str()) {
        (true, "available") => Ok(plan(
            ResourceState::Done,
            format!("{target} already is the primary of {global_group_id}"),
        )),
        // A failover flips the roles, then the datastore is `modifying` until the new
        // primary takes writes: one under way to this target is waited for.
        (true, status) => Ok(plan(
            ResourceState::InProgress,
            format!("{target} is the primary of {global_group_id}, which is {status}: waiting"),
        )),
        (false, "available") => Ok(plan(
            ResourceState::Act,
            format!(
                "FailoverGlobalReplicationGroup {global_group_id} to {target} in {region} (primary now {})",
                primary_before.as_deref().unwrap_or("unknown")
            ),
        )),
        (false, status) => Err(DrRefusal::ClusterBusy(format!(
            "global datastore {global_group_id} is {status}; it is failed over once available"
        ))),
    }
}

/// Done when the datastore is available and this region's replication group is primary.
pub fn check_cache_failover(
    global_group_id: &str,
    target: &str,
    region: &str,
    datastore: Option<&CacheGlobalView>,
) -> Result<SwitchCheck, DrRefusal> {
    let datastore = datastore
        .ok_or_else(|| DrRefusal::TargetNotFound(format!("global datastore {global_group_id}")))?;
    let member = datastore
        .member(target, region)
        .ok_or_else(|| cache_target_not_member(global_group_id, target, region))?;
    let ready = member.role == "PRIMARY" && datastore.status == "available";
    Ok(SwitchCheck {
        state: Readiness::from(ready),
        global_status: Some(datastore.status.clone()),
        writer: datastore.primary().map(|p| p.replication_group_id.clone()),
        target_status: member.status.clone(),
        failover_status: None,
        failed_over_from: None,
        data_loss_allowed: None,
        handoff: None,
        act_again: false,
        summary: format!(
            "global datastore {global_group_id} is {}; {target} is {}",
            datastore.status,
            member.role.to_lowercase()
        ),
    })
}

/// An Aurora cluster that is a cross-region read replica of another cluster promoted to
/// a standalone cluster. One already standalone is done; one `promoting` is waited for.
pub fn plan_cluster_promotion(
    cluster_id: &str,
    cluster: Option<&ClusterView>,
) -> Result<ResourcePlan, DrRefusal> {
    let cluster =
        cluster.ok_or_else(|| DrRefusal::TargetNotFound(format!("cluster {cluster_id}")))?;
    if let Some(global) = &cluster.global_cluster_id {
        return Err(DrRefusal::IdentifierConflict(format!(
            "cluster {cluster_id} is a member of global database {global}, not a replica cluster: use PlannedFailoverAurora or UnPlannedFailoverAurora"
        )));
    }
    let plan = |state: ResourceState, summary: String| ResourcePlan {
        state,
        call: "PromoteReadReplicaDBCluster".to_string(),
        resource_key: format!("{CLUSTER_KEY_PREFIX}{cluster_id}"),
        target_cluster_arn: cluster
            .arn
            .clone()
            .unwrap_or_else(|| cluster_id.to_string()),
        writer_before: cluster.replication_source.clone(),
        summary,
        replication_lag_ms: None,
        handoff: None,
        restore: None,
    };
    match (&cluster.replication_source, cluster.status.as_str()) {
        (None, "available") => Ok(plan(
            ResourceState::Done,
            format!("{cluster_id} already is a standalone cluster"),
        )),
        (_, "promoting") | (None, _) => Ok(plan(
            ResourceState::InProgress,
            format!("{cluster_id} is {}: waiting", cluster.status),
        )),
        (Some(source), "available") => Ok(plan(
            ResourceState::Act,
            format!("PromoteReadReplicaDBCluster {cluster_id}, a replica of {source}"),
        )),
        (Some(source), status) => Err(DrRefusal::ClusterBusy(format!(
            "replica cluster {cluster_id} of {source} is {status}; it is promoted once available"
        ))),
    }
}

/// Done when the cluster no longer names a source, is available, and has an available
/// writer.
pub fn check_cluster_promotion(
    cluster_id: &str,
    cluster: Option<&ClusterView>,
) -> Result<SwitchCheck, DrRefusal> {
    let cluster =
        cluster.ok_or_else(|| DrRefusal::TargetNotFound(format!("cluster {cluster_id}")))?;
    let writer = cluster.writer().filter(|w| w.status == "available");
    let ready =
        cluster.replication_source.is_none() && cluster.status == "available" && writer.is_some();
    Ok(SwitchCheck {
        state: Readiness::from(ready),
        global_status: None,
        writer: writer.map(|w| w.instance_id.clone()),
        target_status: cluster.status.clone(),
        failover_status: None,
        failed_over_from: cluster.replication_source.clone(),
        data_loss_allowed: None,
        handoff: None,
        act_again: false,
        summary: match &cluster.replication_source {
            None if ready => {
                format!("{cluster_id} is a standalone cluster with an available writer")
            }
            None => format!("{cluster_id} is standalone, {}", cluster.status),
            Some(source) => format!(
                "{cluster_id} is {}, still a replica of {source}",
                cluster.status
            ),
        },
    })
}

/// The snapshot a restore uses: the named one, or the newest available copy of the
/// source. Missing or not available yet is refused before anything is created.
fn restorable_snapshot<'a>(
    source: &RestoreSource,
    snapshots: &'a [SnapshotView],
    kind: &str,
) -> Result<&'a SnapshotView, DrRefusal> {
    match source {
        RestoreSource::Snapshot { snapshot_id } => {
            let found = snapshots.first().ok_or_else(|| {
                DrRefusal::TargetNotFound(format!("{kind} snapshot {snapshot_id}"))
            })?;
            match found.status.as_str() {
                "available" => Ok(found),
                status @ ("creating" | "copying" | "pending") => {
                    Err(DrRefusal::ClusterBusy(format!(
                        "{kind} snapshot {snapshot_id} is {status}; it is restored once available"
                    )))
                }
                status => Err(DrRefusal::TargetNotFound(format!(
                    "an available {kind} snapshot {snapshot_id} (it is {status})"
                ))),
            }
        }
        RestoreSource::NewestSnapshotOf { source_id } => {
            let taken = |s: &SnapshotView| s.created_at.as_deref().and_then(parse_iso8601);
            snapshots
                .iter()
                .filter(|s| s.status == "available" && s.source_id == *source_id)
                .max_by(|a, b| {
                    taken(a)
                        .partial_cmp(&taken(b))
                        .unwrap_or(std::cmp::Ordering::Equal)
                })
                .ok_or_else(|| {
                    DrRefusal::TargetNotFound(format!(
                        "an available snapshot of {kind} {source_id}"
                    ))
                })
        }
        RestoreSource::PointInTime { .. } => Err(DrRefusal::TargetNotFound(
            "a snapshot (a point-in-time restore reads none)".into(),
        )),
    }
}

fn not_restored_here(what: &str, id: &str) -> DrRefusal {
    DrRefusal::IdentifierConflict(format!(
        "{what} {id} exists here but was not restored by aurora-failback for this resource (no {TAG_RESTORE} tag naming it); it is neither deleted nor taken over"
    ))
}

/// Whether the tag says the restore of `resource_key` made this.
fn restored_for(tags: &std::collections::BTreeMap<String, String>, resource_key: &str) -> bool {
    tags.get(TAG_RESTORE).map(String::as_str) == Some(resource_key)
}

/// The first member in a status that needs a person.
fn failed_member(cluster: &ClusterView) -> Result<(), DrRefusal> {
    match cluster
        .members
        .iter()
        .find(|m| instance_health(&m.status) == InstanceHealth::Terminal)
    {
        Some(failed) => Err(DrRefusal::TargetFailed {
            instance_id: failed.instance_id.clone(),
            status: failed.status.clone(),
        }),
        None => Ok(()),
    }
}

fn restore_plan(
    resource_key: &str,
    target: String,
    state: ResourceState,
    call: &str,
    restore: Option<RestoreStep>,
    summary: String,
) -> ResourcePlan {
    ResourcePlan {
        state,
        call: call.to_string(),
        resource_key: resource_key.to_string(),
        target_cluster_arn: target,
        writer_before: None,
        summary,
        replication_lag_ms: None,
        handoff: None,
        restore,
    }
}

/// A new Aurora cluster restored from a snapshot or to a point in time, with its writer
/// and readers. Found again by its identifier and tag after a retry or a re-run; a
/// cluster of that name without the tag is never taken over.
pub fn plan_cluster_restore(
    spec: &ClusterRestoreSpec,
    resource_key: &str,
    seen: &Observed,
) -> Result<ResourcePlan, DrRefusal> {
    let target = seen
        .cluster
        .as_ref()
        .and_then(|c| c.arn.clone())
        .unwrap_or_else(|| spec.cluster_id.clone());
    let plan = |state, call: &str, restore, summary| {
        restore_plan(resource_key, target.clone(), state, call, restore, summary)
    };
    if let Some(cluster) = &seen.cluster {
        if !restored_for(&cluster.tags, resource_key) {
            return Err(not_restored_here("cluster", &spec.cluster_id));
        }
        failed_member(cluster)?;
        let missing: Vec<String> = spec
            .instance_ids()
            .into_iter()
            .filter(|id| cluster.member(id).is_none())
            .collect();
        if !missing.is_empty() && cluster.status != "available" {
            // "You can create DB instances only after the restore operation has completed
            // and the DB cluster is available" (RestoreDBClusterFromSnapshot API reference).
            let summary = format!(
                "restored cluster {} is {}; its instances are created once it is available",
                spec.cluster_id, cluster.status
            );
            return Ok(plan(ResourceState::InProgress, "none", None, summary));
        }
        if !missing.is_empty() {
            let summary = format!(
                "restored cluster {} ({}) lacks instance(s) {}: create them ({})",
                spec.cluster_id,
                cluster.status,
                missing.join(", "),
                spec.instance_class
            );
            let step = RestoreStep {
                from: None,
                as_of: None,
                engine: cluster.engine.clone(),
                create_instances: missing,
            };
            return Ok(plan(
                ResourceState::Act,
                "CreateDBInstance",
                Some(step),
                summary,
            ));
        }
        let settled = cluster.status == "available"
            && cluster.members.iter().all(|m| m.status == "available");
        return Ok(if settled {
            let summary = format!("{} already is restored and available", spec.cluster_id);
            plan(ResourceState::Done, "none", None, summary)
        } else {
            let summary = format!(
                "restored cluster {} is {}: waiting",
                spec.cluster_id, cluster.status
            );
            plan(ResourceState::InProgress, "none", None, summary)
        });
    }
    let instances = spec.instance_ids();
    let (call, step, from_words) = match &spec.source {
        RestoreSource::PointInTime { source_id, time } => {
            let source = seen
                .source_cluster
                .as_ref()
                .ok_or_else(|| DrRefusal::TargetNotFound(format!("source cluster {source_id}")))?;
            if !is_protected(source.tags.get(TAG_BACKUP).map(String::as_str)) {
                return Err(DrRefusal::SourceNotProtected(source_id.clone()));
            }
            let step = RestoreStep {
                from: Some(source_id.clone()),
                as_of: Some(time.clone().unwrap_or_else(|| "latest".into())),
                engine: source.engine.clone(),
                create_instances: instances.clone(),
            };
            let words = format!(
                "cluster {source_id} at {}",
                time.as_deref().unwrap_or("its latest restorable time")
            );
            ("RestoreDBClusterToPointInTime", step, words)
        }
        source => {
            let snapshot = restorable_snapshot(source, &seen.snapshots, "cluster")?;
            let step = RestoreStep {
                // Listed in this region and account: its identifier names it.
                from: Some(snapshot.snapshot_id.clone()),
                as_of: snapshot.created_at.clone(),
                engine: spec
                    .engine
                    .clone()
                    .unwrap_or_else(|| snapshot.engine.clone()),
                create_instances: instances.clone(),
            };
            let words = format!(
                "snapshot {} (taken {})",
                snapshot.snapshot_id,
                snapshot
                    .created_at
                    .as_deref()
                    .unwrap_or("at an unknown time")
            );
            ("RestoreDBClusterFromSnapshot", step, words)
        }
    };
    let summary = format!(
        "{call} {} from {from_words}, then CreateDBInstance {} ({})",
        spec.cluster_id,
        instances.join(", "),
        spec.instance_class
    );
    Ok(plan(ResourceState::Act, call, Some(step), summary))
}

/// Done when the restored cluster is available with every instance available and the
/// payload's writer as its writer.
pub fn check_cluster_restore(
    spec: &ClusterRestoreSpec,
    resource_key: &str,
    cluster: Option<&ClusterView>,
) -> Result<SwitchCheck, DrRefusal> {
    if let Some(cluster) = cluster {
        if !restored_for(&cluster.tags, resource_key) {
            return Err(not_restored_here("cluster", &spec.cluster_id));
        }
        failed_member(cluster)?;
    }
    let ids = spec.instance_ids();
    let available = |c: &ClusterView| {
        ids.iter()
            .filter(|id| c.member(id).is_some_and(|m| m.status == "available"))
            .count()
    };
    let ready = cluster.is_some_and(|c| {
        c.status == "available"
            && c.writer()
                .is_some_and(|w| w.instance_id == spec.instance_id)
            && available(c) == ids.len()
    });
    let status = cluster.map_or("not yet restored".to_string(), |c| c.status.clone());
    let act_again = cluster
        .is_some_and(|c| c.status == "available" && ids.iter().any(|id| c.member(id).is_none()));
    Ok(SwitchCheck {
        state: Readiness::from(ready),
        global_status: None,
        writer: cluster
            .and_then(|c| c.writer())
            .map(|w| w.instance_id.clone()),
        target_status: status.clone(),
        failover_status: None,
        failed_over_from: None,
        data_loss_allowed: None,
        handoff: None,
        act_again,
        summary: format!(
            "restored cluster {}: {status}, {} of {} instances available",
            spec.cluster_id,
            cluster.map_or(0, available),
            ids.len()
        ),
    })
}

/// A new RDS instance restored from a snapshot; found again by identifier and tag.
pub fn plan_instance_restore(
    spec: &InstanceRestoreSpec,
    resource_key: &str,
    seen: &Observed,
) -> Result<ResourcePlan, DrRefusal> {
    let target = seen
        .instance
        .as_ref()
        .and_then(|i| i.arn.clone())
        .unwrap_or_else(|| spec.instance_id.clone());
    let plan = |state, call: &str, restore, summary| {
        restore_plan(resource_key, target.clone(), state, call, restore, summary)
    };
    if let Some(instance) = &seen.instance {
        if !restored_for(&instance.tags, resource_key) {
            return Err(not_restored_here("instance", &spec.instance_id));
        }
        if instance_health(&instance.status) == InstanceHealth::Terminal {
            return Err(DrRefusal::TargetFailed {
                instance_id: spec.instance_id.clone(),
                status: instance.status.clone(),
            });
        }
        return Ok(if instance.status == "available" {
            let summary = format!("{} already is restored and available", spec.instance_id);
            plan(ResourceState::Done, "none", None, summary)
        } else {
            let summary = format!(
                "restored instance {} is {}: waiting",
                spec.instance_id, instance.status
            );
            plan(ResourceState::InProgress, "none", None, summary)
        });
    }
    let snapshot = restorable_snapshot(&spec.source, &seen.snapshots, "instance")?;
    let step = RestoreStep {
        from: Some(snapshot.snapshot_id.clone()),
        as_of: snapshot.created_at.clone(),
        engine: snapshot.engine.clone(),
        create_instances: Vec::new(),
    };
    let summary = format!(
        "RestoreDBInstanceFromDBSnapshot {} ({}) from snapshot {} (taken {})",
        spec.instance_id,
        spec.instance_class,
        snapshot.snapshot_id,
        snapshot
            .created_at
            .as_deref()
            .unwrap_or("at an unknown time")
    );
    let call = "RestoreDBInstanceFromDBSnapshot";
    Ok(plan(ResourceState::Act, call, Some(step), summary))
}

/// Done when the restored instance is available.
pub fn check_instance_restore(
    spec: &InstanceRestoreSpec,
    resource_key: &str,
    instance: Option<&InstanceView>,
) -> Result<SwitchCheck, DrRefusal> {
    if let Some(instance) = instance {
        if !restored_for(&instance.tags, resource_key) {
            return Err(not_restored_here("instance", &spec.instance_id));
        }
        if instance_health(&instance.status) == InstanceHealth::Terminal {
            return Err(DrRefusal::TargetFailed {
                instance_id: spec.instance_id.clone(),
                status: instance.status.clone(),
            });
        }
    }
    let ready = instance.is_some_and(|i| i.status == "available");
    let status = instance.map_or("not yet restored".to_string(), |i| i.status.clone());
    Ok(SwitchCheck {
        state: Readiness::from(ready),
        global_status: None,
        writer: instance.filter(|_| ready).and_then(|i| i.arn.clone()),
        target_status: status.clone(),
        failover_status: None,
        failed_over_from: None,
        data_loss_allowed: None,
        handoff: None,
        act_again: false,
        summary: format!("restored instance {}: {status}", spec.instance_id),
    })
}

/// What AWS reports now about one DR resource: the views its kind reads (the others stay
/// empty), and the replication lag where AWS publishes one and it was asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    pub global: Option<GlobalClusterView>,
    pub cluster: Option<ClusterView>,
    pub instance: Option<InstanceView>,
    pub datastore: Option<CacheGlobalView>,
    /// A restore's candidate snapshots (the named one, or the source's).
    pub snapshots: Vec<SnapshotView>,
    /// A point-in-time restore's source cluster.
    pub source_cluster: Option<ClusterView>,
    pub lag_ms: Option<u64>,
}

/// The plan of any DR resource from what was observed. Pure: dr-check, dr-act, the
/// readiness check and the CLI all plan through here.
pub fn plan_request(
    request: &DrRequest,
    seen: &Observed,
    home: &Home,
) -> Result<ResourcePlan, DrRefusal> {
    let mut plan = match request {
        DrRequest::Switch(switch) => plan_global_switch(
            switch.how,
            &switch.global_cluster_id,
            seen.global.as_ref(),
            seen.cluster.as_ref(),
            &switch.target.cluster_id,
        )?,
        DrRequest::Secondary(spec) => plan_secondary(
            spec,
            seen.global.as_ref(),
            seen.cluster.as_ref(),
            &home.region,
        )?,
        DrRequest::Promote(promote) => {
            plan_promotion(&promote.instance_id, seen.instance.as_ref())?
        }
        DrRequest::Replica { spec, .. } => {
            plan_replica(spec, seen.instance.as_ref(), home.account.as_deref())?
        }
        DrRequest::CacheFailover {
            global_group_id,
            target_group_id,
        } => plan_cache_failover(
            global_group_id,
            target_group_id,
            &home.region,
            seen.datastore.as_ref(),
        )?,
        DrRequest::PromoteCluster { cluster_id } => {
            plan_cluster_promotion(cluster_id, seen.cluster.as_ref())?
        }
        DrRequest::RestoreCluster(spec) => {
            plan_cluster_restore(spec, &request.resource_key(), seen)?
        }
        DrRequest::RestoreInstance(spec) => {
            plan_instance_restore(spec, &request.resource_key(), seen)?
        }
    };
    plan.replication_lag_ms = seen.lag_ms;
    if plan.state == ResourceState::Done && takes_writes(request) {
        plan.handoff = seen.cluster.as_ref().and_then(capacity_handoff);
    }
    Ok(plan)
}

/// Whether the request leaves an Aurora cluster taking writes in this region.
fn takes_writes(request: &DrRequest) -> bool {
    matches!(
        request,
        DrRequest::Switch(_) | DrRequest::PromoteCluster { .. }
    )
}

/// Whether any DR resource is done, from what was observed. Pure.
pub fn check_request(
    request: &DrRequest,
    seen: &Observed,
    home: &Home,
) -> Result<SwitchCheck, DrRefusal> {
    let mut check = match request {
        DrRequest::Switch(switch) => check_global_switch(
            switch.how,
            &switch.global_cluster_id,
            seen.global.as_ref(),
            seen.cluster.as_ref(),
            &switch.target.cluster_id,
        )?,
        DrRequest::Secondary(spec) => {
            check_secondary(spec, seen.global.as_ref(), seen.cluster.as_ref())?
        }
        DrRequest::Promote(promote) => {
            check_promotion(&promote.instance_id, seen.instance.as_ref())?
        }
        DrRequest::Replica { spec, .. } => {
            check_replica(spec, seen.instance.as_ref(), home.account.as_deref())?
        }
        DrRequest::CacheFailover {
            global_group_id,
            target_group_id,
        } => check_cache_failover(
            global_group_id,
            target_group_id,
            &home.region,
            seen.datastore.as_ref(),
        )?,
        DrRequest::PromoteCluster { cluster_id } => {
            check_cluster_promotion(cluster_id, seen.cluster.as_ref())?
        }
        DrRequest::RestoreCluster(spec) => {
            check_cluster_restore(spec, &request.resource_key(), seen.cluster.as_ref())?
        }
        DrRequest::RestoreInstance(spec) => {
            check_instance_restore(spec, &request.resource_key(), seen.instance.as_ref())?
        }
    };
    if check.state == Readiness::Ready && takes_writes(request) {
        check.handoff = seen.cluster.as_ref().and_then(capacity_handoff);
    }
    Ok(check)
}

/// One resource's readiness for the DR run, as the scheduled check publishes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceReadiness {
    pub resource_key: String,
    pub resource_type: String,
    pub resource_name: String,
    pub layer: u32,
    pub ready: bool,
    /// act, done, in-progress, or refused (a refusal's error name is in the reason).
    pub state: String,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replication_lag_seconds: Option<f64>,
}

/// Ready means a DR run started now would go through: the resource can be acted on (or
/// already is where the payload wants it), and its replication lag, where AWS reports
/// one, is within `max_lag_ms`. Something under way, a refusal, or a larger lag is not.
/// `planned` is the plan, or why there is none: an error name and its message.
pub fn readiness_of(
    resource: &DrResource,
    planned: &Result<ResourcePlan, (&str, String)>,
    lag_ms: Option<u64>,
    max_lag_ms: u64,
) -> ResourceReadiness {
    let (ready, state, reason) = match planned {
        Ok(plan) => match plan.state {
            ResourceState::Act => (true, "act", plan.summary.clone()),
            ResourceState::Done => (true, "done", plan.summary.clone()),
            ResourceState::InProgress => (false, "in-progress", plan.summary.clone()),
        },
        Err((error_name, message)) => (false, "refused", format!("{error_name}: {message}")),
    };
    let lagging = lag_ms.filter(|lag| *lag > max_lag_ms);
    let (ready, reason) = match lagging {
        Some(lag) if ready => (
            false,
            format!(
                "replication lag {} s is above the {} s allowed; {reason}",
                seconds(lag),
                seconds(max_lag_ms)
            ),
        ),
        _ => (ready, reason),
    };
    ResourceReadiness {
        resource_key: resource.resource_key.clone(),
        resource_type: resource.resource_type.name().to_string(),
        resource_name: resource.resource_name.clone(),
        layer: resource.layer,
        ready,
        state: state.to_string(),
        reason,
        replication_lag_seconds: lag_ms.map(seconds),
    }
}

/// Milliseconds as seconds, to the millisecond (exact for any lag AWS reports).
fn seconds(ms: u64) -> f64 {
    // u64 -> f64 loses precision only above 2^53 ms (285,000 years).
    ms as f64 / 1000.0
}

/// The DR machine's checks after the first are this many seconds apart (its
/// `WaitForResource` state; `tests/state_machine.rs` holds the two equal).
pub const RESOURCE_POLL_SECONDS: u32 = 15;

/// A global database's switchover or failover, or a global datastore's failover: AWS
/// gives Aurora Global Database an RTO "in the order of minutes" (Aurora User Guide,
/// "Using switchover or failover in Amazon Aurora Global Database") and the AWS disaster
/// recovery workshop an RTO of one minute for an ElastiCache global datastore.
pub const REGION_SWITCH_SECONDS: u32 = 60;
/// A read replica (an RDS instance or an Aurora replica cluster) promoted: "RDS reboots
/// the DB instance before making it available. The promotion process can take several
/// minutes or longer" (RDS User Guide, "Promoting a read replica to be a standalone DB
/// instance"; the same words for Aurora MySQL replica clusters).
pub const PROMOTION_SECONDS: u32 = 180;
/// A cluster restored from a snapshot or to a point in time, before its instances: AWS
/// publishes no time; a restored cluster's storage is attached, not copied, so it is
/// checked after a minute.
pub const RESTORED_CLUSTER_SECONDS: u32 = 60;
/// A new instance (a secondary's, a replica, a restored instance or a restored cluster's
/// instances): AWS publishes no creation time; new instances commonly take about ten
/// minutes, so the first check comes at five, short of the failback workflow's 540 s
/// default because a DR run's recovery time matters more than a few extra checks.
pub const NEW_INSTANCE_SECONDS: u32 = 300;

/// How long after dr-act the DR machine first checks a resource: about as long as AWS
/// says its call usually takes, so a slow operation costs a few checks rather than dozens,
/// then every `RESOURCE_POLL_SECONDS`, so it is seen within one short poll of being done.
/// Nothing requested (already under way, or done) is checked after one poll.
pub fn first_check_after_seconds(
    request: &DrRequest,
    restore: Option<&RestoreStep>,
    requested: bool,
) -> u32 {
    if !requested {
        return RESOURCE_POLL_SECONDS;
    }
    match request {
        DrRequest::Switch(_) | DrRequest::CacheFailover { .. } => REGION_SWITCH_SECONDS,
        DrRequest::Promote(_) | DrRequest::PromoteCluster { .. } => PROMOTION_SECONDS,
        DrRequest::RestoreCluster(_) if restore.is_some_and(|step| step.from.is_some()) => {
            RESTORED_CLUSTER_SECONDS
        }
        DrRequest::RestoreCluster(_)
        | DrRequest::RestoreInstance(_)
        | DrRequest::Secondary(_)
        | DrRequest::Replica { .. } => NEW_INSTANCE_SECONDS,
    }
}

#[cfg(test)]
mod tests;
