//! Plain data the decisions work on, read from RDS by the adapter.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Cluster tag that opts a cluster in to automatic restores.
pub const TAG_ENABLED: &str = "aurora-failback:enabled";
/// Cluster tag naming the class the writer should have.
pub const TAG_WRITER_CLASS: &str = "aurora-failback:writer-class";
/// Instance tag naming the run that created the instance.
pub const TAG_RUN: &str = "aurora-failback:run";
/// Cluster tag: the classes a creation may fall back to, in order, when AWS has no
/// capacity for the desired one (comma-separated; never smaller than the writer's).
pub const TAG_FALLBACK_CLASSES: &str = "aurora-failback:fallback-classes";
/// Cluster tag: after a failover to a bigger reader, bring the old writer to the same
/// class too, so the next failover does not shrink capacity.
pub const TAG_SCALE_OLD_WRITER: &str = "aurora-failback:scale-old-writer";
/// Cluster tag: keep a reader a run created and gave up on, instead of deleting it.
pub const TAG_KEEP_ON_FAILURE: &str = "aurora-failback:keep-on-failure";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterView {
    pub cluster_id: String,
    #[serde(default)]
    pub arn: Option<String>,
    pub engine: String,
    #[serde(default)]
    pub engine_version: Option<String>,
    pub engine_mode: Option<String>,
    pub status: String,
    pub global_cluster_id: Option<String>,
    /// ReplicationSourceIdentifier: set while the cluster is a cross-region read replica
    /// of another cluster (binlog replication).
    #[serde(default)]
    pub replication_source: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub members: Vec<MemberView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    pub instance_id: String,
    pub class: String,
    pub status: String,
    pub is_writer: bool,
    pub promotion_tier: i32,
    pub availability_zone: Option<String>,
}

impl ClusterView {
    pub fn writer(&self) -> Option<&MemberView> {
        self.members.iter().find(|m| m.is_writer)
    }

    pub fn member(&self, instance_id: &str) -> Option<&MemberView> {
        self.members.iter().find(|m| m.instance_id == instance_id)
    }

    /// Whether the deployment may change the cluster: it is tagged, or the deployment
    /// allows untagged clusters (for manual runs; its IAM policy is widened to match).
    /// The mutating steps ask this again before they act, so IAM is the second line.
    pub fn may_change(&self, untagged_allowed: bool) -> bool {
        self.is_opted_in() || untagged_allowed
    }

    /// The engine and its version, as a person reads them ("aurora-postgresql 15.2").
    pub fn engine_label(&self) -> String {
        format!(
            "{} {}",
            self.engine,
            self.engine_version.as_deref().unwrap_or("(any version)")
        )
    }

    pub fn is_opted_in(&self) -> bool {
        self.tags
            .get(TAG_ENABLED)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }
}

/// An ElastiCache global datastore as DescribeGlobalReplicationGroups reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheGlobalView {
    pub global_group_id: String,
    /// creating, available, modifying, primary-only, deleting, ...
    pub status: String,
    pub members: Vec<CacheMemberView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheMemberView {
    pub replication_group_id: String,
    pub region: String,
    /// PRIMARY or SECONDARY.
    pub role: String,
    pub status: String,
}

impl CacheGlobalView {
    pub fn primary(&self) -> Option<&CacheMemberView> {
        self.members.iter().find(|m| m.role == "PRIMARY")
    }

    pub fn member(&self, replication_group_id: &str, region: &str) -> Option<&CacheMemberView> {
        self.members
            .iter()
            .find(|m| m.replication_group_id == replication_group_id && m.region == region)
    }
}

/// An RDS (not Aurora) instance as a DR promotion reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceView {
    pub instance_id: String,
    pub arn: Option<String>,
    pub status: String,
    pub engine: String,
    /// ReadReplicaSourceDBInstanceIdentifier: set while the instance is a read replica.
    pub replica_source: Option<String>,
    pub backup_retention_period: Option<i32>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// Tag on a cluster or instance a DR restore created, naming the resource key it was
/// created for: a re-run finds it, and anything without it is never taken over.
pub const TAG_RESTORE: &str = "aurora-failback:restore";

/// A DB or cluster snapshot as DescribeDBSnapshots or DescribeDBClusterSnapshots reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotView {
    pub snapshot_id: String,
    pub arn: Option<String>,
    /// The cluster or instance it was taken of (a copy keeps the source's identifier).
    pub source_id: String,
    /// creating, copying, available, ...
    pub status: String,
    /// SnapshotCreateTime, ISO 8601.
    pub created_at: Option<String>,
    pub engine: String,
    /// automated, manual, awsbackup.
    pub snapshot_type: Option<String>,
}

/// An Aurora global database as DescribeGlobalClusters reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GlobalClusterView {
    pub global_cluster_id: String,
    pub status: String,
    pub engine: Option<String>,
    pub members: Vec<GlobalMemberView>,
    /// Set once SwitchoverGlobalCluster or FailoverGlobalCluster was called; its status
    /// says whether that is still under way.
    pub failover: Option<GlobalFailoverView>,
}

/// Which call moves a global database's writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GlobalSwitch {
    /// SwitchoverGlobalCluster: planned, no data loss.
    Switchover,
    /// FailoverGlobalCluster with AllowDataLoss: the primary region is impaired.
    FailoverAllowingDataLoss,
}

impl GlobalSwitch {
    pub fn call(self) -> &'static str {
        match self {
            Self::Switchover => "SwitchoverGlobalCluster",
            Self::FailoverAllowingDataLoss => "FailoverGlobalCluster (AllowDataLoss)",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GlobalMemberView {
    pub cluster_arn: String,
    pub is_writer: bool,
}

/// The global cluster's `FailoverState`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GlobalFailoverView {
    /// pending, failing-over, switching-over or cancelling.
    pub status: String,
    pub from_cluster_arn: Option<String>,
    pub to_cluster_arn: Option<String>,
    pub data_loss_allowed: bool,
}

/// FailoverState statuses while a switchover or failover is under way.
pub const GLOBAL_SWITCH_UNDER_WAY: &[&str] =
    &["pending", "failing-over", "switching-over", "cancelling"];

impl GlobalClusterView {
    /// The switchover or failover under way, if any.
    pub fn switch_under_way(&self) -> Option<&GlobalFailoverView> {
        self.failover
            .as_ref()
            .filter(|f| GLOBAL_SWITCH_UNDER_WAY.contains(&f.status.as_str()))
    }

    pub fn writer(&self) -> Option<&GlobalMemberView> {
        self.members.iter().find(|m| m.is_writer)
    }

    pub fn member(&self, cluster_arn: &str) -> Option<&GlobalMemberView> {
        self.members.iter().find(|m| m.cluster_arn == cluster_arn)
    }
}

/// create-reader's answer: the instance the run made (or found again on a retry).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateReaderOutput {
    pub instance_id: String,
    /// False when the instance already existed: a retry after a crash or a repeated call.
    pub created: bool,
    pub status: String,
    /// The class the reader has or is getting (a capacity fallback may make it another
    /// than the plan's); the reader check waits for at least this.
    #[serde(default)]
    pub instance_class: Option<String>,
    /// Each (class, zone) tried before the one that worked, and why it did not (an
    /// instance replaced included); always present, since the replacement passes it on.
    #[serde(default)]
    pub attempts: Vec<String>,
    /// Which of the run's own instances this is (1 for the first it created, 2 for the one
    /// that replaced it, ...; `identifier::placement_instance_id`); 0 for an instance the
    /// run did not create (a reader changed in place). Only a run's own may be deleted.
    #[serde(default)]
    pub placement: u8,
    /// Every (class, zone) this run has asked AWS for, the one that was accepted last:
    /// a replacement never asks for one of them again.
    #[serde(default)]
    pub tried: Vec<Placement>,
}

/// A class in a zone, as asked of CreateDBInstance or ModifyDBInstance; no zone lets
/// Aurora choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Placement {
    pub class: String,
    pub availability_zone: Option<String>,
}

impl Placement {
    pub fn new(class: &str, availability_zone: Option<&str>) -> Self {
        Self {
            class: class.to_string(),
            availability_zone: availability_zone.map(str::to_string),
        }
    }
}

/// The answer to a check: the state machine's Choice reads it as `ready` or `pending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Readiness {
    Ready,
    Pending,
}

impl From<bool> for Readiness {
    fn from(ready: bool) -> Self {
        if ready {
            Self::Ready
        } else {
            Self::Pending
        }
    }
}

/// check-status's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckStatusOutput {
    pub state: Readiness,
    /// The cluster the check looked at, so the record can tell whose writer moved.
    #[serde(default)]
    pub cluster_id: String,
    pub instance_status: String,
    pub cluster_status: Option<String>,
    pub writer_instance_id: Option<String>,
}

/// How an instance's status bears on the restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceHealth {
    Available,
    /// On its way somewhere; worth waiting for.
    Transient,
    /// Needs a person; waiting will not help.
    Terminal,
}

/// Statuses after which an instance will not become available without a person.
pub const TERMINAL_INSTANCE_STATUSES: &[&str] = &[
    "failed",
    "insufficient-capacity",
    "inaccessible-encryption-credentials",
    "inaccessible-encryption-credentials-recoverable",
    "storage-full",
    "restore-error",
    "deleting",
    "stopped",
];

pub fn instance_health(status: &str) -> InstanceHealth {
    if status == "available" {
        InstanceHealth::Available
    } else if status.starts_with("incompatible-") || TERMINAL_INSTANCE_STATUSES.contains(&status) {
        InstanceHealth::Terminal
    } else {
        InstanceHealth::Transient
    }
}

/// Cluster statuses the workflow waits out (retrying) rather than skipping.
pub const SETTLING_CLUSTER_STATUSES: &[&str] = &[
    "failing-over",
    "modifying",
    "backing-up",
    "maintenance",
    "renaming",
    "resetting-master-credentials",
    "upgrading",
    "backtracking",
    "migrating",
    "update-iam-db-auth",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_classify() {
        let cases = [
            ("available", InstanceHealth::Available),
            ("creating", InstanceHealth::Transient),
            ("backing-up", InstanceHealth::Transient),
            ("configuring-enhanced-monitoring", InstanceHealth::Transient),
            ("rebooting", InstanceHealth::Transient),
            ("modifying", InstanceHealth::Transient),
            ("failed", InstanceHealth::Terminal),
            ("insufficient-capacity", InstanceHealth::Terminal),
            ("incompatible-parameters", InstanceHealth::Terminal),
            ("incompatible-network", InstanceHealth::Terminal),
            ("incompatible-restore", InstanceHealth::Terminal),
            (
                "inaccessible-encryption-credentials",
                InstanceHealth::Terminal,
            ),
            ("storage-full", InstanceHealth::Terminal),
            ("restore-error", InstanceHealth::Terminal),
        ];
        for (status, expected) in cases {
            assert_eq!(instance_health(status), expected, "{status}");
        }
    }
}
