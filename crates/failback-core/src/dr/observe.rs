//! What AWS reports now about one DR resource, read through the adapters: the views its
//! kind needs and, when asked, the replication lag CloudWatch has for it. Reads only.

use crate::cloudwatch::{
    CloudWatch, LagMetric, AURORA_BINLOG_LAG, AURORA_GLOBAL_LAG, RDS_REPLICA_LAG,
};
use crate::dr::plan::Observed;
use crate::dr::request::DrRequest;
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
