//! The one place that talks to the RDS API.

use std::collections::BTreeMap;

use aws_sdk_rds::types::{DbCluster, DbInstance, Filter, OrderableDbInstanceOption, Tag};
use aws_sdk_rds::Client;

use crate::dr::payload::{
    ClusterRestoreSpec, InstanceRestoreSpec, ReplicaSpec, SecondaryClusterSpec,
};
use crate::errors::AwsFailure;
use crate::model::{
    ClusterView, GlobalClusterView, GlobalFailoverView, GlobalMemberView, GlobalSwitch,
    InstanceView, MemberView, SnapshotView, TAG_RESTORE,
};

/// What both Aurora restores set the same way, on either call's builder (two SDK types
/// with the same setters).
macro_rules! restored_cluster_settings {
    ($request:expr, $spec:expr, $resource_key:expr) => {
        $request
            .db_subnet_group_name(&$spec.subnet_group)
            .set_vpc_security_group_ids(Some($spec.security_group_ids.clone()))
            .set_kms_key_id($spec.kms_key_id.clone())
            .set_db_cluster_parameter_group_name($spec.cluster_parameter_group.clone())
            .set_port($spec.port)
            .set_deletion_protection($spec.deletion_protection)
            .set_enable_iam_database_authentication($spec.iam_database_authentication)
            .set_copy_tags_to_snapshot($spec.copy_tags_to_snapshot)
            .tags(restore_tag($resource_key))
    };
}

#[derive(Debug, Clone)]
pub struct Rds {
    client: Client,
}

/// What an instance is and how it is configured: the fields a new reader copies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceDetail {
    pub instance_id: String,
    pub cluster_id: Option<String>,
    pub class: String,
    pub status: String,
    pub engine: String,
    pub availability_zone: Option<String>,
    pub promotion_tier: Option<i32>,
    pub parameter_group: Option<String>,
    pub monitoring_interval: Option<i32>,
    pub monitoring_role_arn: Option<String>,
    pub performance_insights_enabled: Option<bool>,
    pub performance_insights_kms_key_id: Option<String>,
    pub performance_insights_retention_days: Option<i32>,
    pub auto_minor_version_upgrade: Option<bool>,
    pub ca_certificate: Option<String>,
    pub publicly_accessible: Option<bool>,
    pub preferred_maintenance_window: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// The class a pending modification will give it (PendingModifiedValues).
    pub pending_class: Option<String>,
}

/// A reader to create, fully decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReader {
    pub instance_id: String,
    pub cluster_id: String,
    pub class: String,
    pub availability_zone: Option<String>,
    pub reference: InstanceDetail,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateInstanceFailure {
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error("no capacity for the class in that zone: {0}")]
    InsufficientCapacity(String),
    #[error("the account's instance or storage quota is used up: {0}")]
    QuotaExceeded(String),
    #[error("the cluster cannot take a new instance now: {0}")]
    ClusterBusy(String),
    #[error("the cluster is gone: {0}")]
    ClusterNotFound(String),
    #[error(transparent)]
    Aws(AwsFailure),
}

/// Why SwitchoverGlobalCluster, FailoverGlobalCluster or PromoteReadReplica was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GlobalSwitchFailure {
    #[error("the global cluster or a member is not in a state to switch: {0}")]
    ClusterBusy(String),
    #[error("the global cluster or the target cluster is gone: {0}")]
    NotFound(String),
    #[error(transparent)]
    Aws(AwsFailure),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FailoverCallFailure {
    #[error("the cluster or the target is not in a state to fail over: {0}")]
    ClusterBusy(String),
    #[error("the cluster is gone: {0}")]
    ClusterNotFound(String),
    #[error(transparent)]
    Aws(AwsFailure),
}

impl Rds {
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    pub fn from_conf(config: &aws_config::SdkConfig) -> Self {
        Self::new(Client::new(config))
    }

    /// The cluster with its members' classes and statuses; `None` if it does not exist.
    pub async fn cluster(&self, cluster_id: &str) -> Result<Option<ClusterView>, AwsFailure> {
        let Some(cluster) = self.described_cluster(cluster_id).await? else {
            return Ok(None);
        };
        let instances = self.cluster_instances(cluster_id).await?;
        let members = cluster
            .db_cluster_members()
            .iter()
            .filter_map(|member| {
                let id = member.db_instance_identifier()?;
                // A member without a describable instance is being deleted; it cannot take part.
                let instance = instances
                    .iter()
                    .find(|i| i.db_instance_identifier() == Some(id))?;
                Some(MemberView {
                    instance_id: id.to_string(),
                    class: instance.db_instance_class().unwrap_or_default().to_string(),
                    status: instance
                        .db_instance_status()
                        .unwrap_or_default()
                        .to_string(),
                    is_writer: member.is_cluster_writer().unwrap_or(false),
                    promotion_tier: member
                        .promotion_tier()
                        .or(instance.promotion_tier())
                        .unwrap_or(1),
                    availability_zone: instance.availability_zone().map(str::to_string),
                })
            })
            .collect();
        Ok(Some(ClusterView {
            cluster_id: cluster
                .db_cluster_identifier()
                .unwrap_or(cluster_id)
                .to_string(),
            arn: cluster.db_cluster_arn().map(str::to_string),
            engine: cluster.engine().unwrap_or_default().to_string(),
            engine_version: cluster.engine_version().map(str::to_string),
            engine_mode: cluster.engine_mode().map(str::to_string),
            status: cluster.status().unwrap_or_default().to_string(),
            global_cluster_id: cluster
                .global_cluster_identifier()
                .filter(|g| !g.is_empty())
                .map(str::to_string),
            replication_source: cluster
                .replication_source_identifier()
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            tags: tag_map(cluster.tag_list()),
            members,
        }))
    }

    /// DescribeDBClusters for one cluster; `None` if it does not exist.
    async fn described_cluster(&self, cluster_id: &str) -> Result<Option<DbCluster>, AwsFailure> {
        match self
            .client
            .describe_db_clusters()
            .db_cluster_identifier(cluster_id)
            .send()
            .await
        {
            Ok(output) => Ok(output.db_clusters().first().cloned()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_db_cluster_not_found_fault()) =>
            {
                Ok(None)
            }
            Err(err) => Err(AwsFailure::from_sdk(&err)),
        }
    }

    async fn cluster_instances(&self, cluster_id: &str) -> Result<Vec<DbInstance>, AwsFailure> {
        let filter = Filter::builder()
            .name("db-cluster-id")
            .values(cluster_id)
            .build();
        let instances: Result<Vec<DbInstance>, _> = self
            .client
            .describe_db_instances()
            .filters(filter)
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        instances.map_err(|e| AwsFailure::from_sdk(&e))
    }

    /// One instance and its configuration; `None` if it does not exist.
    pub async fn instance(&self, instance_id: &str) -> Result<Option<InstanceDetail>, AwsFailure> {
        Ok(self
            .described_instance(instance_id)
            .await?
            .as_ref()
            .map(instance_detail))
    }

    /// An RDS instance as a DR promotion reads it; `None` if it does not exist.
    pub async fn instance_view(
        &self,
        instance_id: &str,
    ) -> Result<Option<InstanceView>, AwsFailure> {
        Ok(self
            .described_instance(instance_id)
            .await?
            .map(|i| InstanceView {
                instance_id: i
                    .db_instance_identifier()
                    .unwrap_or(instance_id)
                    .to_string(),
                arn: i.db_instance_arn().map(str::to_string),
                status: i.db_instance_status().unwrap_or_default().to_string(),
                engine: i.engine().unwrap_or_default().to_string(),
                replica_source: i
                    .read_replica_source_db_instance_identifier()
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                backup_retention_period: i.backup_retention_period(),
                tags: tag_map(i.tag_list()),
            }))
    }

    async fn described_instance(
        &self,
        instance_id: &str,
    ) -> Result<Option<DbInstance>, AwsFailure> {
        let described = self
            .client
            .describe_db_instances()
            .db_instance_identifier(instance_id)
            .send()
            .await;
        match described {
            Ok(output) => Ok(output.db_instances().first().cloned()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_db_instance_not_found_fault()) =>
            {
                Ok(None)
            }
            Err(err) => Err(AwsFailure::from_sdk(&err)),
        }
    }

    /// Creates a tier-0 reader configured like `reader.reference`.
    pub async fn create_reader(&self, reader: &NewReader) -> Result<(), CreateInstanceFailure> {
        let reference = &reader.reference;
        let monitoring = reference
            .monitoring_interval
            .filter(|interval| *interval > 0);
        let insights = reference.performance_insights_enabled.unwrap_or(false);
        let tags = reader
            .tags
            .iter()
            .map(|(key, value)| Tag::builder().key(key).value(value).build());
        let request = self
            .client
            .create_db_instance()
            .db_instance_identifier(&reader.instance_id)
            .db_cluster_identifier(&reader.cluster_id)
            .db_instance_class(&reader.class)
            .engine(&reference.engine)
            .promotion_tier(0)
            .set_availability_zone(reader.availability_zone.clone())
            .set_db_parameter_group_name(reference.parameter_group.clone())
            .set_monitoring_interval(monitoring)
            .set_monitoring_role_arn(monitoring.and(reference.monitoring_role_arn.clone()))
            .enable_performance_insights(insights)
            .set_performance_insights_kms_key_id(
                reference
                    .performance_insights_kms_key_id
                    .clone()
                    .filter(|_| insights),
            )
            .set_performance_insights_retention_period(
                reference
                    .performance_insights_retention_days
                    .filter(|_| insights),
            )
            .set_auto_minor_version_upgrade(reference.auto_minor_version_upgrade)
            .set_ca_certificate_identifier(reference.ca_certificate.clone())
            .set_publicly_accessible(reference.publicly_accessible)
            .set_preferred_maintenance_window(reference.preferred_maintenance_window.clone())
            .set_tags(Some(tags.collect()));
        request
            .send()
            .await
            .map(drop)
            .map_err(|err| create_instance_failure(&err, &reader.instance_id))
    }

    /// The secondary cluster of a global database, in this region, as the payload
    /// describes it. Sent once; a retry finds it by its identifier (AlreadyExists).
    pub async fn create_secondary_cluster(
        &self,
        spec: &SecondaryClusterSpec,
    ) -> Result<(), CreateInstanceFailure> {
        self.client
            .create_db_cluster()
            .db_cluster_identifier(&spec.cluster_id)
            .global_cluster_identifier(&spec.global_cluster_id)
            .engine(&spec.engine)
            .engine_version(&spec.engine_version)
            .db_subnet_group_name(&spec.subnet_group)
            .set_vpc_security_group_ids(Some(spec.security_group_ids.clone()))
            .set_kms_key_id(spec.kms_key_id.clone())
            .set_storage_encrypted(spec.storage_encrypted)
            .set_enable_iam_database_authentication(spec.iam_database_authentication)
            .set_deletion_protection(spec.deletion_protection)
            .set_backup_retention_period(spec.backup_retention_period)
            .set_copy_tags_to_snapshot(spec.copy_tags_to_snapshot)
            .set_port(spec.port)
            .customize()
            .config_override(sent_once())
            .send()
            .await
            .map(drop)
            .map_err(|err| {
                let fault = err.as_service_error().and_then(|e| {
                    if e.is_db_cluster_already_exists_fault() {
                        Some(CreateFault::AlreadyExists)
                    } else if e.is_db_cluster_quota_exceeded_fault()
                        || e.is_storage_quota_exceeded_fault()
                    {
                        Some(CreateFault::Quota)
                    } else if e.is_insufficient_storage_cluster_capacity_fault() {
                        Some(CreateFault::NoCapacity)
                    } else if e.is_invalid_global_cluster_state_fault()
                        || e.is_invalid_db_cluster_state_fault()
                    {
                        Some(CreateFault::Busy)
                    } else if e.is_global_cluster_not_found_fault() {
                        Some(CreateFault::Gone)
                    } else {
                        None
                    }
                });
                create_failure(&err, &spec.cluster_id, fault)
            })
    }

    /// Promotes the read replica to a standalone instance. Sent once: a lost answer shows
    /// next time as an instance that no longer names a source, or one still `modifying`.
    pub async fn promote_read_replica(
        &self,
        instance_id: &str,
        backup_retention_period: Option<i32>,
        preferred_backup_window: Option<&str>,
    ) -> Result<(), GlobalSwitchFailure> {
        self.client
            .promote_read_replica()
            .db_instance_identifier(instance_id)
            .set_backup_retention_period(backup_retention_period)
            .set_preferred_backup_window(preferred_backup_window.map(str::to_string))
            .customize()
            .config_override(sent_once())
            .send()
            .await
            .map(drop)
            .map_err(|err| {
                let (busy, gone) = err.as_service_error().map_or((false, false), |e| {
                    (
                        e.is_invalid_db_instance_state_fault(),
                        e.is_db_instance_not_found_fault(),
                    )
                });
                global_switch_failure(&err, busy, gone)
            })
    }

    /// Deletes an Aurora instance (no final snapshot: the cluster keeps the data). Sent
    /// once; `false` when it was already gone or deleting.
    pub async fn delete_instance(&self, instance_id: &str) -> Result<bool, AwsFailure> {
        match self
            .client
            .delete_db_instance()
            .db_instance_identifier(instance_id)
            .customize()
            .config_override(sent_once())
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(err)
                if err.as_service_error().is_some_and(|e| {
                    e.is_db_instance_not_found_fault() || e.is_invalid_db_instance_state_fault()
                }) =>
            {
                // Gone, or already deleting: what the caller wanted.
                Ok(false)
            }
            Err(err) => Err(AwsFailure::from_sdk(&err)),
        }
    }

    /// Changes the instance's class now (ApplyImmediately) and sets its promotion tier
    /// (0 for the reader about to become the writer, 1 for the old writer behind it). Sent once: a lost answer shows next time as a pending class or the instance
    /// `modifying`, never as a reason to send again.
    pub async fn modify_instance_class(
        &self,
        instance_id: &str,
        class: &str,
        promotion_tier: i32,
    ) -> Result<(), CreateInstanceFailure> {
        self.client
            .modify_db_instance()
            .db_instance_identifier(instance_id)
            .db_instance_class(class)
            .promotion_tier(promotion_tier)
            .apply_immediately(true)
            .customize()
            .config_override(sent_once())
            .send()
            .await
            .map(drop)
            .map_err(|err| {
                let fault = err.as_service_error().and_then(|e| {
                    if e.is_insufficient_db_instance_capacity_fault() {
                        Some(CreateFault::NoCapacity)
                    } else if e.is_invalid_db_instance_state_fault()
                        || e.is_invalid_db_cluster_state_fault()
                    {
                        Some(CreateFault::Busy)
                    } else if e.is_db_instance_not_found_fault() {
                        Some(CreateFault::Gone)
                    } else {
                        None
                    }
                });
                create_failure(&err, instance_id, fault)
            })
    }

    /// Promotes the cross-region replica cluster to a standalone cluster. Sent once: a lost
    /// answer shows next time as a cluster `promoting`, or one without a source.
    pub async fn promote_read_replica_cluster(
        &self,
        cluster_id: &str,
    ) -> Result<(), GlobalSwitchFailure> {
        self.client
            .promote_read_replica_db_cluster()
            .db_cluster_identifier(cluster_id)
            .customize()
            .config_override(sent_once())
            .send()
            .await
            .map(drop)
            .map_err(|err| {
                let (busy, gone) = err.as_service_error().map_or((false, false), |e| {
                    (
                        e.is_invalid_db_cluster_state_fault(),
                        e.is_db_cluster_not_found_fault(),
                    )
                });
                global_switch_failure(&err, busy, gone)
            })
    }

    /// The cluster snapshots of `source_cluster_id` in this region (see
    /// [`Rds::cluster_snapshots`]).
    pub async fn cluster_snapshots_of(
        &self,
        source_cluster_id: &str,
    ) -> Result<Vec<SnapshotView>, AwsFailure> {
        let mut all = self.cluster_snapshots().await?;
        all.retain(|s| s.source_id == source_cluster_id);
        Ok(all)
    }

    /// Every cluster snapshot of this region, automated and manual (AWS Backup's Aurora
    /// recovery points among them). Listed whole and filtered by the caller: a copy's
    /// source cluster usually does not exist in this region, and
    /// DescribeDBClusterSnapshots refuses a DBClusterIdentifier that does not.
    pub async fn cluster_snapshots(&self) -> Result<Vec<SnapshotView>, AwsFailure> {
        let listed: Result<Vec<_>, _> = self
            .client
            .describe_db_cluster_snapshots()
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        Ok(listed
            .map_err(|e| AwsFailure::from_sdk(&e))?
            .iter()
            .map(cluster_snapshot_view)
            .collect())
    }

    /// One cluster snapshot by identifier or ARN; `None` if it does not exist.
    pub async fn cluster_snapshot(
        &self,
        snapshot_id: &str,
    ) -> Result<Option<SnapshotView>, AwsFailure> {
        match self
            .client
            .describe_db_cluster_snapshots()
            .db_cluster_snapshot_identifier(snapshot_id)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .db_cluster_snapshots()
                .first()
                .map(cluster_snapshot_view)),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_db_cluster_snapshot_not_found_fault()) =>
            {
                Ok(None)
            }
            Err(err) => Err(AwsFailure::from_sdk(&err)),
        }
    }

    /// The DB snapshots of `source_instance_id` in this region (see
    /// [`Rds::instance_snapshots`]).
    pub async fn instance_snapshots_of(
        &self,
        source_instance_id: &str,
    ) -> Result<Vec<SnapshotView>, AwsFailure> {
        let mut all = self.instance_snapshots().await?;
        all.retain(|s| s.source_id == source_instance_id);
        Ok(all)
    }

    /// Every DB snapshot of this region: automated, manual, and AWS Backup's
    /// (`awsbackup`, which RDS lists only when asked for by type).
    pub async fn instance_snapshots(&self) -> Result<Vec<SnapshotView>, AwsFailure> {
        let mut found = Vec::new();
        for snapshot_type in [None, Some("awsbackup")] {
            let listed: Result<Vec<_>, _> = self
                .client
                .describe_db_snapshots()
                .set_snapshot_type(snapshot_type.map(str::to_string))
                .into_paginator()
                .items()
                .send()
                .collect()
                .await;
            found.extend(
                listed
                    .map_err(|e| AwsFailure::from_sdk(&e))?
                    .iter()
                    .map(instance_snapshot_view),
            );
        }
        Ok(found)
    }

    /// The clusters and (non-Aurora) instances of this region whose tag `tag` says
    /// protected, by `protected`.
    pub async fn tagged_resources(
        &self,
        tag: &str,
        protected: impl Fn(Option<&str>) -> bool,
    ) -> Result<(Vec<String>, Vec<String>), AwsFailure> {
        let clusters: Result<Vec<_>, _> = self
            .client
            .describe_db_clusters()
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        let instances: Result<Vec<_>, _> = self
            .client
            .describe_db_instances()
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        let value = |tags: &[Tag]| {
            tags.iter()
                .find(|t| t.key() == Some(tag))
                .and_then(|t| t.value())
                .map(str::to_string)
        };
        let clusters = clusters
            .map_err(|e| AwsFailure::from_sdk(&e))?
            .iter()
            .filter(|c| protected(value(c.tag_list()).as_deref()))
            .filter_map(|c| c.db_cluster_identifier().map(str::to_string))
            .collect();
        let instances = instances
            .map_err(|e| AwsFailure::from_sdk(&e))?
            .iter()
            // An Aurora instance is backed up with its cluster.
            .filter(|i| i.db_cluster_identifier().is_none())
            .filter(|i| protected(value(i.tag_list()).as_deref()))
            .filter_map(|i| i.db_instance_identifier().map(str::to_string))
            .collect();
        Ok((clusters, instances))
    }

    /// One DB snapshot by identifier or ARN; `None` if it does not exist.
    pub async fn instance_snapshot(
        &self,
        snapshot_id: &str,
    ) -> Result<Option<SnapshotView>, AwsFailure> {
        match self
            .client
            .describe_db_snapshots()
            .db_snapshot_identifier(snapshot_id)
            .send()
            .await
        {
            Ok(out) => Ok(out.db_snapshots().first().map(instance_snapshot_view)),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_db_snapshot_not_found_fault()) =>
            {
                Ok(None)
            }
            Err(err) => Err(AwsFailure::from_sdk(&err)),
        }
    }

    /// A new cluster from `snapshot` (identifier or ARN), tagged as the restore of
    /// `resource_key`. Sent once; a retry finds it by its identifier (AlreadyExists).
    pub async fn restore_cluster_from_snapshot(
        &self,
        spec: &ClusterRestoreSpec,
        snapshot: &str,
        engine: &str,
        resource_key: &str,
    ) -> Result<(), CreateInstanceFailure> {
        let request = self
            .client
            .restore_db_cluster_from_snapshot()
            .db_cluster_identifier(&spec.cluster_id)
            .snapshot_identifier(snapshot)
            .engine(engine)
            .set_engine_version(spec.engine_version.clone());
        restored_cluster_settings!(request, spec, resource_key)
            .customize()
            .config_override(sent_once())
            .send()
            .await
            .map(drop)
            .map_err(|err| {
                let fault = err.as_service_error().and_then(|e| {
                    if e.is_db_cluster_already_exists_fault() {
                        Some(CreateFault::AlreadyExists)
                    } else if e.is_insufficient_db_cluster_capacity_fault()
                        || e.is_insufficient_storage_cluster_capacity_fault()
                    {
                        Some(CreateFault::NoCapacity)
                    } else if e.is_db_cluster_quota_exceeded_fault()
                        || e.is_storage_quota_exceeded_fault()
                    {
                        Some(CreateFault::Quota)
                    } else if e.is_invalid_db_cluster_snapshot_state_fault() {
                        Some(CreateFault::Busy)
                    } else if e.is_db_cluster_snapshot_not_found_fault()
                        || e.is_db_snapshot_not_found_fault()
                    {
                        Some(CreateFault::Gone)
                    } else {
                        None
                    }
                });
                create_failure(&err, &spec.cluster_id, fault)
            })
    }

    /// A new cluster from `source_cluster_id` at `time` (or its latest restorable time),
    /// tagged as the restore of `resource_key`; the source is only read. Sent once.
    pub async fn restore_cluster_to_point_in_time(
        &self,
        spec: &ClusterRestoreSpec,
        source_cluster_id: &str,
        time: Option<&str>,
        resource_key: &str,
    ) -> Result<(), CreateInstanceFailure> {
        let restore_time = time
            .map(|t| {
                aws_sdk_rds::primitives::DateTime::from_str(
                    t,
                    aws_sdk_rds::primitives::DateTimeFormat::DateTime,
                )
            })
            .transpose()
            .map_err(|e| {
                CreateInstanceFailure::Aws(AwsFailure::Refused {
                    code: "InvalidParameterValue".into(),
                    message: format!("RestoreToTime: {e}"),
                })
            })?;
        let request = self
            .client
            .restore_db_cluster_to_point_in_time()
            .db_cluster_identifier(&spec.cluster_id)
            .source_db_cluster_identifier(source_cluster_id)
            .set_restore_to_time(restore_time)
            .use_latest_restorable_time(time.is_none());
        restored_cluster_settings!(request, spec, resource_key)
            .customize()
            .config_override(sent_once())
            .send()
            .await
            .map(drop)
            .map_err(|err| {
                let fault = err.as_service_error().and_then(|e| {
                    if e.is_db_cluster_already_exists_fault() {
                        Some(CreateFault::AlreadyExists)
                    } else if e.is_insufficient_db_cluster_capacity_fault()
                        || e.is_insufficient_storage_cluster_capacity_fault()
                    {
                        Some(CreateFault::NoCapacity)
                    } else if e.is_db_cluster_quota_exceeded_fault()
                        || e.is_storage_quota_exceeded_fault()
                    {
                        Some(CreateFault::Quota)
                    } else if e.is_invalid_db_cluster_state_fault() {
                        Some(CreateFault::Busy)
                    } else if e.is_db_cluster_not_found_fault() {
                        Some(CreateFault::Gone)
                    } else {
                        None
                    }
                });
                create_failure(&err, &spec.cluster_id, fault)
            })
    }

    /// An instance of the restored cluster (its writer, or reader `instance_id`), tagged
    /// as the restore of `resource_key`. Sent once; a retry finds it (AlreadyExists).
    pub async fn create_restored_instance(
        &self,
        spec: &ClusterRestoreSpec,
        engine: &str,
        instance_id: &str,
        resource_key: &str,
    ) -> Result<(), CreateInstanceFailure> {
        self.client
            .create_db_instance()
            .db_instance_identifier(instance_id)
            .db_cluster_identifier(&spec.cluster_id)
            .db_instance_class(&spec.instance_class)
            .engine(engine)
            .set_db_parameter_group_name(spec.instance_parameter_group.clone())
            .promotion_tier(if instance_id == spec.instance_id {
                0
            } else {
                1
            })
            .publicly_accessible(false)
            .tags(restore_tag(resource_key))
            .customize()
            .config_override(sent_once())
            .send()
            .await
            .map(drop)
            .map_err(|err| create_instance_failure(&err, instance_id))
    }

    /// A new instance from `snapshot`, tagged as the restore of `resource_key`. Sent once.
    pub async fn restore_instance_from_snapshot(
        &self,
        spec: &InstanceRestoreSpec,
        snapshot: &str,
        resource_key: &str,
    ) -> Result<(), CreateInstanceFailure> {
        self.client
            .restore_db_instance_from_db_snapshot()
            .db_instance_identifier(&spec.instance_id)
            .db_snapshot_identifier(snapshot)
            .db_instance_class(&spec.instance_class)
            .set_db_subnet_group_name(spec.subnet_group.clone())
            .set_vpc_security_group_ids(spec.security_group_ids.clone())
            .set_multi_az(spec.multi_az)
            .set_db_parameter_group_name(spec.parameter_group.clone())
            .set_port(spec.port)
            .set_deletion_protection(spec.deletion_protection)
            .set_enable_iam_database_authentication(spec.iam_database_authentication)
            .set_copy_tags_to_snapshot(spec.copy_tags_to_snapshot)
            .publicly_accessible(false)
            .tags(restore_tag(resource_key))
            .customize()
            .config_override(sent_once())
            .send()
            .await
            .map(drop)
            .map_err(|err| {
                let fault = err.as_service_error().and_then(|e| {
                    if e.is_db_instance_already_exists_fault() {
                        Some(CreateFault::AlreadyExists)
                    } else if e.is_insufficient_db_instance_capacity_fault() {
                        Some(CreateFault::NoCapacity)
                    } else if e.is_instance_quota_exceeded_fault()
                        || e.is_storage_quota_exceeded_fault()
                    {
                        Some(CreateFault::Quota)
                    } else if e.is_invalid_db_snapshot_state_fault() {
                        Some(CreateFault::Busy)
                    } else if e.is_db_snapshot_not_found_fault() {
                        Some(CreateFault::Gone)
                    } else {
                        None
                    }
                });
                create_failure(&err, &spec.instance_id, fault)
            })
    }

    /// A cross-region read replica of `source_arn` in this region, as the payload
    /// describes it. Sent once; a retry finds it by its identifier (AlreadyExists).
    pub async fn create_read_replica(
        &self,
        spec: &ReplicaSpec,
        source_arn: &str,
    ) -> Result<(), CreateInstanceFailure> {
        let monitoring = spec.monitoring_interval.filter(|interval| *interval > 0);
        self.client
            .create_db_instance_read_replica()
            .db_instance_identifier(&spec.instance_id)
            .source_db_instance_identifier(source_arn)
            .db_instance_class(&spec.instance_class)
            .set_multi_az(spec.multi_az)
            .publicly_accessible(false)
            .set_db_subnet_group_name(spec.subnet_group.clone())
            .set_vpc_security_group_ids(spec.security_group_ids.clone())
            .set_kms_key_id(spec.kms_key_id.clone())
            .set_auto_minor_version_upgrade(spec.auto_minor_version_upgrade)
            .set_port(spec.port)
            .set_copy_tags_to_snapshot(spec.copy_tags_to_snapshot)
            .set_monitoring_interval(monitoring)
            .set_monitoring_role_arn(monitoring.and(spec.monitoring_role_arn.clone()))
            .set_enable_iam_database_authentication(spec.iam_database_authentication)
            .set_db_parameter_group_name(spec.parameter_group.clone())
            .customize()
            .config_override(sent_once())
            .send()
            .await
            .map(drop)
            .map_err(|err| {
                let fault = err.as_service_error().and_then(|e| {
                    if e.is_db_instance_already_exists_fault() {
                        Some(CreateFault::AlreadyExists)
                    } else if e.is_insufficient_db_instance_capacity_fault() {
                        Some(CreateFault::NoCapacity)
                    } else if e.is_instance_quota_exceeded_fault()
                        || e.is_storage_quota_exceeded_fault()
                    {
                        Some(CreateFault::Quota)
                    } else if e.is_invalid_db_instance_state_fault() {
                        Some(CreateFault::Busy)
                    } else if e.is_db_instance_not_found_fault() {
                        Some(CreateFault::Gone)
                    } else {
                        None
                    }
                });
                create_failure(&err, &spec.instance_id, fault)
            })
    }

    /// The secondary cluster's first instance (a reader; a secondary has no writer).
    pub async fn create_secondary_instance(
        &self,
        spec: &SecondaryClusterSpec,
    ) -> Result<(), CreateInstanceFailure> {
        let monitoring = spec.monitoring_interval.filter(|interval| *interval > 0);
        self.client
            .create_db_instance()
            .db_instance_identifier(&spec.instance_id)
            .db_cluster_identifier(&spec.cluster_id)
            .db_instance_class(&spec.instance_class)
            .engine(&spec.engine)
            .set_monitoring_interval(monitoring)
            .set_monitoring_role_arn(monitoring.and(spec.monitoring_role_arn.clone()))
            .set_auto_minor_version_upgrade(spec.auto_minor_version_upgrade)
            .customize()
            .config_override(sent_once())
            .send()
            .await
            .map(drop)
            .map_err(|err| create_instance_failure(&err, &spec.instance_id))
    }

    /// Sets tags on a resource (a cluster's opt-in tags).
    pub async fn add_tags(
        &self,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), AwsFailure> {
        let tags = tags
            .iter()
            .map(|(key, value)| Tag::builder().key(key).value(value).build());
        self.client
            .add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(tags.collect()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsFailure::from_sdk(&e))
    }

    pub async fn remove_tags(&self, arn: &str, keys: &[&str]) -> Result<(), AwsFailure> {
        self.client
            .remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(keys.iter().map(|k| k.to_string()).collect()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsFailure::from_sdk(&e))
    }

    /// The availability zones in which AWS sells `class` for the engine and version; an
    /// empty list means the class is not orderable there (DescribeOrderableDBInstanceOptions).
    pub async fn orderable_zones(
        &self,
        engine: &str,
        engine_version: Option<&str>,
        class: &str,
    ) -> Result<Vec<String>, AwsFailure> {
        let options = self.orderable(engine, engine_version, Some(class)).await?;
        let mut zones: Vec<String> = options
            .iter()
            .filter(|option| option.db_instance_class() == Some(class))
            .flat_map(|option| option.availability_zones().iter())
            .filter_map(|zone| zone.name().map(str::to_string))
            .collect();
        zones.sort();
        zones.dedup();
        Ok(zones)
    }

    /// The Availability Zones of the cluster's DB subnet group: every zone where Aurora may
    /// place one of its instances. Empty when the cluster or its group cannot be described
    /// (the caller then knows only its members' zones).
    pub async fn subnet_group_zones(&self, cluster_id: &str) -> Result<Vec<String>, AwsFailure> {
        let cluster = self.described_cluster(cluster_id).await?;
        let Some(group) = cluster.as_ref().and_then(|c| c.db_subnet_group()) else {
            return Ok(Vec::new());
        };
        let groups = self
            .client
            .describe_db_subnet_groups()
            .db_subnet_group_name(group)
            .send()
            .await;
        let output = match groups {
            Ok(output) => output,
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_db_subnet_group_not_found_fault()) =>
            {
                return Ok(Vec::new())
            }
            Err(err) => return Err(AwsFailure::from_sdk(&err)),
        };
        let mut zones: Vec<String> = output
            .db_subnet_groups()
            .iter()
            .flat_map(|g| g.subnets())
            .filter_map(|subnet| subnet.subnet_availability_zone()?.name())
            .map(str::to_string)
            .collect();
        zones.sort();
        zones.dedup();
        Ok(zones)
    }

    /// Every class AWS sells for the engine and version, to name the alternatives when
    /// the desired class is not one of them.
    pub async fn orderable_classes(
        &self,
        engine: &str,
        engine_version: Option<&str>,
    ) -> Result<Vec<String>, AwsFailure> {
        let options = self.orderable(engine, engine_version, None).await?;
        let mut classes: Vec<String> = options
            .iter()
            .filter_map(|option| option.db_instance_class().map(str::to_string))
            .collect();
        classes.sort();
        classes.dedup();
        Ok(classes)
    }

    async fn orderable(
        &self,
        engine: &str,
        engine_version: Option<&str>,
        class: Option<&str>,
    ) -> Result<Vec<OrderableDbInstanceOption>, AwsFailure> {
        let options: Result<Vec<_>, _> = self
            .client
            .describe_orderable_db_instance_options()
            .engine(engine)
            .set_engine_version(engine_version.map(str::to_string))
            .set_db_instance_class(class.map(str::to_string))
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        options.map_err(|e| AwsFailure::from_sdk(&e))
    }

    /// Asks RDS to fail over to the target, exactly once: a failover is not idempotent,
    /// so the SDK's own retries are off for this call. If the answer is lost, the step
    /// fails with a retryable error, and its retry first looks at the cluster (the writer
    /// may already have moved) before it asks again.
    pub async fn failover(
        &self,
        cluster_id: &str,
        target_instance_id: &str,
    ) -> Result<(), FailoverCallFailure> {
        let called = self
            .client
            .failover_db_cluster()
            .db_cluster_identifier(cluster_id)
            .target_db_instance_identifier(target_instance_id)
            .customize()
            .config_override(sent_once())
            .send()
            .await;
        match called {
            Ok(_) => Ok(()),
            Err(err) => {
                let message = err
                    .as_service_error()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                Err(match err.as_service_error() {
                    Some(e)
                        if e.is_invalid_db_cluster_state_fault()
                            || e.is_invalid_db_instance_state_fault() =>
                    {
                        FailoverCallFailure::ClusterBusy(message)
                    }
                    Some(e) if e.is_db_cluster_not_found_fault() => {
                        FailoverCallFailure::ClusterNotFound(message)
                    }
                    _ => FailoverCallFailure::Aws(AwsFailure::from_sdk(&err)),
                })
            }
        }
    }
}

impl Rds {
    /// The global cluster, or None if it does not exist. The answer is filtered by
    /// identifier here too: some endpoints (moto) ignore the request's filter.
    pub async fn global_cluster(
        &self,
        global_cluster_id: &str,
    ) -> Result<Option<GlobalClusterView>, AwsFailure> {
        let described = self
            .client
            .describe_global_clusters()
            .global_cluster_identifier(global_cluster_id)
            .send()
            .await;
        let output = match described {
            Ok(output) => output,
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_global_cluster_not_found_fault()) =>
            {
                return Ok(None)
            }
            Err(err) => return Err(AwsFailure::from_sdk(&err)),
        };
        Ok(output
            .global_clusters()
            .iter()
            .find(|g| g.global_cluster_identifier() == Some(global_cluster_id))
            .map(|global| GlobalClusterView {
                global_cluster_id: global_cluster_id.to_string(),
                status: global.status().unwrap_or_default().to_string(),
                engine: global.engine().map(str::to_string),
                members: global
                    .global_cluster_members()
                    .iter()
                    .filter_map(|m| {
                        Some(GlobalMemberView {
                            cluster_arn: m.db_cluster_arn()?.to_string(),
                            is_writer: m.is_writer().unwrap_or(false),
                        })
                    })
                    .collect(),
                failover: global.failover_state().map(|f| GlobalFailoverView {
                    status: f
                        .status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    from_cluster_arn: f.from_db_cluster_arn().map(str::to_string),
                    to_cluster_arn: f.to_db_cluster_arn().map(str::to_string),
                    data_loss_allowed: f.is_data_loss_allowed().unwrap_or(false),
                }),
            }))
    }

    /// Moves the global database's writer to `target_cluster_arn`. Sent once: a lost
    /// answer is found out by describing the global cluster, never by sending again.
    pub async fn switch_global_writer(
        &self,
        how: GlobalSwitch,
        global_cluster_id: &str,
        target_cluster_arn: &str,
    ) -> Result<(), GlobalSwitchFailure> {
        match how {
            GlobalSwitch::Switchover => self
                .client
                .switchover_global_cluster()
                .global_cluster_identifier(global_cluster_id)
                .target_db_cluster_identifier(target_cluster_arn)
                .customize()
                .config_override(sent_once())
                .send()
                .await
                .map(drop)
                .map_err(|err| {
                    let (busy, gone) = err.as_service_error().map_or((false, false), |e| {
                        (
                            e.is_invalid_global_cluster_state_fault()
                                || e.is_invalid_db_cluster_state_fault(),
                            e.is_global_cluster_not_found_fault()
                                || e.is_db_cluster_not_found_fault(),
                        )
                    });
                    global_switch_failure(&err, busy, gone)
                }),
            GlobalSwitch::FailoverAllowingDataLoss => self
                .client
                .failover_global_cluster()
                .global_cluster_identifier(global_cluster_id)
                .target_db_cluster_identifier(target_cluster_arn)
                .allow_data_loss(true)
                .customize()
                .config_override(sent_once())
                .send()
                .await
                .map(drop)
                .map_err(|err| {
                    let (busy, gone) = err.as_service_error().map_or((false, false), |e| {
                        (
                            e.is_invalid_global_cluster_state_fault()
                                || e.is_invalid_db_cluster_state_fault(),
                            e.is_global_cluster_not_found_fault()
                                || e.is_db_cluster_not_found_fault(),
                        )
                    });
                    global_switch_failure(&err, busy, gone)
                }),
        }
    }
}

/// A refused switch, promotion or failover, sorted: `busy` and `gone` come from the
/// operation's own typed error (each service names them differently).
pub(crate) fn global_switch_failure<E>(
    err: &aws_sdk_rds::error::SdkError<E, aws_sdk_rds::config::http::HttpResponse>,
    busy: bool,
    gone: bool,
) -> GlobalSwitchFailure
where
    E: aws_sdk_rds::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    let message = err
        .as_service_error()
        .map(|e| e.to_string())
        .unwrap_or_default();
    if busy {
        GlobalSwitchFailure::ClusterBusy(message)
    } else if gone {
        GlobalSwitchFailure::NotFound(message)
    } else {
        GlobalSwitchFailure::Aws(AwsFailure::from_sdk(err))
    }
}

/// How a refused CreateDBInstance is sorted.
fn create_instance_failure(
    err: &aws_sdk_rds::error::SdkError<
        aws_sdk_rds::operation::create_db_instance::CreateDBInstanceError,
        aws_sdk_rds::config::http::HttpResponse,
    >,
    instance_id: &str,
) -> CreateInstanceFailure {
    let fault = err.as_service_error().and_then(|e| {
        if e.is_db_instance_already_exists_fault() {
            Some(CreateFault::AlreadyExists)
        } else if e.is_insufficient_db_instance_capacity_fault() {
            Some(CreateFault::NoCapacity)
        } else if e.is_instance_quota_exceeded_fault() || e.is_storage_quota_exceeded_fault() {
            Some(CreateFault::Quota)
        } else if e.is_invalid_db_cluster_state_fault() {
            Some(CreateFault::Busy)
        } else if e.is_db_cluster_not_found_fault() {
            Some(CreateFault::Gone)
        } else {
            None
        }
    });
    create_failure(err, instance_id, fault)
}

/// What a creation's refusal means, read from the operation's own typed error; each
/// creation (cluster, instance, read replica) has its own error type with its own names
/// for the same few cases.
#[derive(Debug, Clone, Copy)]
enum CreateFault {
    AlreadyExists,
    NoCapacity,
    Quota,
    Busy,
    Gone,
}

/// A refused creation of `name`, sorted; anything without a `fault` keeps the general
/// sorting (throttling, access, server errors).
fn create_failure<E>(
    err: &aws_sdk_rds::error::SdkError<E, aws_sdk_rds::config::http::HttpResponse>,
    name: &str,
    fault: Option<CreateFault>,
) -> CreateInstanceFailure
where
    E: aws_sdk_rds::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    let message = err
        .as_service_error()
        .map(|e| e.to_string())
        .unwrap_or_default();
    match fault {
        Some(CreateFault::AlreadyExists) => CreateInstanceFailure::AlreadyExists(name.to_string()),
        Some(CreateFault::NoCapacity) => CreateInstanceFailure::InsufficientCapacity(message),
        Some(CreateFault::Quota) => CreateInstanceFailure::QuotaExceeded(message),
        Some(CreateFault::Busy) => CreateInstanceFailure::ClusterBusy(message),
        Some(CreateFault::Gone) => CreateInstanceFailure::ClusterNotFound(message),
        None => CreateInstanceFailure::Aws(AwsFailure::from_sdk(err)),
    }
}

/// Configuration for a mutation that must not be re-sent by the SDK.
fn sent_once() -> aws_sdk_rds::config::Builder {
    aws_sdk_rds::config::Builder::default()
        .retry_config(aws_sdk_rds::config::retry::RetryConfig::disabled())
}

fn restore_tag(resource_key: &str) -> Tag {
    Tag::builder().key(TAG_RESTORE).value(resource_key).build()
}

fn cluster_snapshot_view(s: &aws_sdk_rds::types::DbClusterSnapshot) -> SnapshotView {
    SnapshotView {
        snapshot_id: s
            .db_cluster_snapshot_identifier()
            .unwrap_or_default()
            .to_string(),
        arn: s.db_cluster_snapshot_arn().map(str::to_string),
        source_id: s.db_cluster_identifier().unwrap_or_default().to_string(),
        status: s.status().unwrap_or_default().to_string(),
        created_at: s.snapshot_create_time().and_then(iso_time),
        engine: s.engine().unwrap_or_default().to_string(),
        snapshot_type: s.snapshot_type().map(str::to_string),
    }
}

fn instance_snapshot_view(s: &aws_sdk_rds::types::DbSnapshot) -> SnapshotView {
    SnapshotView {
        snapshot_id: s.db_snapshot_identifier().unwrap_or_default().to_string(),
        arn: s.db_snapshot_arn().map(str::to_string),
        source_id: s.db_instance_identifier().unwrap_or_default().to_string(),
        status: s.status().unwrap_or_default().to_string(),
        // A copy's SnapshotCreateTime is when it was copied; the data is as old as the
        // original's (OriginalSnapshotCreateTime, DBSnapshot API reference).
        created_at: s
            .original_snapshot_create_time()
            .or(s.snapshot_create_time())
            .and_then(iso_time),
        engine: s.engine().unwrap_or_default().to_string(),
        snapshot_type: s.snapshot_type().map(str::to_string),
    }
}

fn iso_time(time: &aws_sdk_rds::primitives::DateTime) -> Option<String> {
    time.fmt(aws_sdk_rds::primitives::DateTimeFormat::DateTime)
        .ok()
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

fn instance_detail(instance: &DbInstance) -> InstanceDetail {
    let text = |value: Option<&str>| value.map(str::to_string);
    InstanceDetail {
        instance_id: instance
            .db_instance_identifier()
            .unwrap_or_default()
            .to_string(),
        cluster_id: text(instance.db_cluster_identifier()),
        class: instance.db_instance_class().unwrap_or_default().to_string(),
        status: instance
            .db_instance_status()
            .unwrap_or_default()
            .to_string(),
        engine: instance.engine().unwrap_or_default().to_string(),
        availability_zone: text(instance.availability_zone()),
        promotion_tier: instance.promotion_tier(),
        parameter_group: instance
            .db_parameter_groups()
            .first()
            .and_then(|g| text(g.db_parameter_group_name())),
        monitoring_interval: instance.monitoring_interval(),
        monitoring_role_arn: text(instance.monitoring_role_arn()),
        performance_insights_enabled: instance.performance_insights_enabled(),
        performance_insights_kms_key_id: text(instance.performance_insights_kms_key_id()),
        performance_insights_retention_days: instance.performance_insights_retention_period(),
        auto_minor_version_upgrade: instance.auto_minor_version_upgrade(),
        ca_certificate: text(instance.ca_certificate_identifier()),
        publicly_accessible: instance.publicly_accessible(),
        preferred_maintenance_window: text(instance.preferred_maintenance_window()),
        tags: tag_map(instance.tag_list()),
        pending_class: instance
            .pending_modified_values()
            .and_then(|p| text(p.db_instance_class())),
    }
}
