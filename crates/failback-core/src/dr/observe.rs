//! What AWS reports now about one DR resource, read through the adapters: the views its
//! kind needs and, when asked, the replication lag CloudWatch has for it; and the copies
//! of the protected resources a cold standby restores from. Reads only.

use crate::clock::EpochSeconds;
use crate::cloudwatch::{
    CloudWatch, LagMetric, AURORA_BINLOG_LAG, AURORA_GLOBAL_LAG, RDS_REPLICA_LAG,
};
use crate::dr::payload::RestoreSource;
use crate::dr::plan::Observed;
use crate::dr::request::DrRequest;
use crate::dr::rpo::{copy_age, is_protected, CopyAge, ProtectedKind, TAG_BACKUP};
use crate::elasticache::ElastiCache;
use crate::errors::AwsFailure;
use crate::rds::Rds;

/// The services a DR resource may touch, in the region the run acts in.
#[derive(Debug, Clone)]
pub struct DrServices {
    pub rds: Rds,
    pub cache: ElastiCache,
    pub metrics: CloudWatch,
}

/// Whether to ask CloudWatch for the resource's replication lag (plans and readiness
/// checks do; the checks of a wait loop do not, to keep each poll to one read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lag {
    Read,
    Skip,
}

impl DrServices {
    pub fn from_conf(config: &aws_config::SdkConfig) -> Self {
        Self {
            rds: Rds::from_conf(config),
            cache: ElastiCache::from_conf(config),
            metrics: CloudWatch::from_conf(config),
        }
    }

    pub async fn observe(&self, request: &DrRequest, lag: Lag) -> Result<Observed, AwsFailure> {
        let mut seen = Observed::default();
        let lag_source: Option<(LagMetric, String)> = match request {
            DrRequest::Switch(switch) => {
                seen.global = self.rds.global_cluster(&switch.global_cluster_id).await?;
                seen.cluster = self.rds.cluster(&switch.target.cluster_id).await?;
                Some((AURORA_GLOBAL_LAG, switch.target.cluster_id.clone()))
            }
            DrRequest::Secondary(spec) => {
                seen.global = self.rds.global_cluster(&spec.global_cluster_id).await?;
                seen.cluster = self.rds.cluster(&spec.cluster_id).await?;
                None
            }
            DrRequest::Promote(promote) => {
                seen.instance = self.rds.instance_view(&promote.instance_id).await?;
                Some((RDS_REPLICA_LAG, promote.instance_id.clone()))
            }
            DrRequest::Replica { spec, .. } => {
                seen.instance = self.rds.instance_view(&spec.instance_id).await?;
                Some((RDS_REPLICA_LAG, spec.instance_id.clone()))
            }
            DrRequest::CacheFailover {
                global_group_id, ..
            } => {
                seen.datastore = self.cache.global_datastore(global_group_id).await?;
                None
            }
            DrRequest::PromoteCluster { cluster_id } => {
                seen.cluster = self.rds.cluster(cluster_id).await?;
                Some((AURORA_BINLOG_LAG, cluster_id.clone()))
            }
            DrRequest::RestoreCluster(spec) => {
                seen.cluster = self.rds.cluster(&spec.cluster_id).await?;
                // The source is read only while there is something to restore.
                if seen.cluster.is_none() {
                    match &spec.source {
                        RestoreSource::NewestSnapshotOf { source_id } => {
                            seen.snapshots = self.rds.cluster_snapshots_of(source_id).await?;
                        }
                        RestoreSource::Snapshot { snapshot_id } => {
                            seen.snapshots = self
                                .rds
                                .cluster_snapshot(snapshot_id)
                                .await?
                                .into_iter()
                                .collect();
                        }
                        RestoreSource::PointInTime { source_id, .. } => {
                            seen.source_cluster = self.rds.cluster(source_id).await?;
                        }
                    }
                }
                None
            }
            DrRequest::RestoreInstance(spec) => {
                seen.instance = self.rds.instance_view(&spec.instance_id).await?;
                if seen.instance.is_none() {
                    seen.snapshots = match &spec.source {
                        RestoreSource::NewestSnapshotOf { source_id } => {
                            self.rds.instance_snapshots_of(source_id).await?
                        }
                        RestoreSource::Snapshot { snapshot_id } => self
                            .rds
                            .instance_snapshot(snapshot_id)
                            .await?
                            .into_iter()
                            .collect(),
                        RestoreSource::PointInTime { .. } => Vec::new(),
                    };
                }
                None
            }
        };
        if let (Lag::Read, Some((metric, id))) = (lag, lag_source) {
            // The lag is what the record tells the operator, never a reason to stop: a
            // CloudWatch refusal (no permission, throttled) leaves it unknown.
            seen.lag_ms = match self.metrics.latest_lag_ms(metric, &id).await {
                Ok(lag) => lag,
                Err(failure) => {
                    tracing::warn!(metric = metric.metric_name, %id, %failure, "replication lag unknown");
                    None
                }
            };
        }
        Ok(seen)
    }
}

/// The protected resources of `home` (by their tag), and the age of each one's newest
/// restorable copy among `snapshots_region`'s snapshots.
pub async fn copy_ages(
    home: &Rds,
    snapshots_region: &Rds,
    region_name: &str,
    only: Option<&str>,
    now: EpochSeconds,
    rpo_seconds: f64,
) -> Result<Vec<CopyAge>, AwsFailure> {
    let (clusters, instances) = home.tagged_resources(TAG_BACKUP, is_protected).await?;
    let keep = |id: &&String| only.is_none_or(|o| o == id.as_str());
    let mut ages = Vec::new();
    for (kind, ids) in [
        (ProtectedKind::Cluster, clusters),
        (ProtectedKind::Instance, instances),
    ] {
        let wanted: Vec<&String> = ids.iter().filter(keep).collect();
        if wanted.is_empty() {
            continue;
        }
        let snapshots = match kind {
            ProtectedKind::Cluster => snapshots_region.cluster_snapshots().await?,
            ProtectedKind::Instance => snapshots_region.instance_snapshots().await?,
        };
        ages.extend(
            wanted
                .into_iter()
                .map(|id| copy_age(id, kind, region_name, &snapshots, now, rpo_seconds)),
        );
    }
    Ok(ages)
}
