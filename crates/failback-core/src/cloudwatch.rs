//! The one place that reads CloudWatch: the replication lag AWS reports as a metric.

use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Statistic};
use aws_sdk_cloudwatch::Client;

use crate::errors::AwsFailure;

/// A metric of one resource, named as CloudWatch names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LagMetric {
    pub namespace: &'static str,
    pub metric_name: &'static str,
    pub dimension: &'static str,
    /// What one unit of the metric is in seconds' thousandths (1000 for seconds, 1 for
    /// milliseconds).
    pub milliseconds_per_unit: u32,
}

/// An RDS read replica's lag behind its source, in seconds (AWS/RDS ReplicaLag).
pub const RDS_REPLICA_LAG: LagMetric = LagMetric {
    namespace: "AWS/RDS",
    metric_name: "ReplicaLag",
    dimension: "DBInstanceIdentifier",
    milliseconds_per_unit: 1000,
};

/// A global database secondary's lag, in milliseconds, reported by the secondary cluster.
pub const AURORA_GLOBAL_LAG: LagMetric = LagMetric {
    namespace: "AWS/RDS",
    metric_name: "AuroraGlobalDBReplicationLag",
    dimension: "DBClusterIdentifier",
    milliseconds_per_unit: 1,
};

/// An Aurora MySQL binlog replica cluster's lag, in seconds.
pub const AURORA_BINLOG_LAG: LagMetric = LagMetric {
    namespace: "AWS/RDS",
    metric_name: "AuroraBinlogReplicaLag",
    dimension: "DBClusterIdentifier",
    milliseconds_per_unit: 1000,
};

/// How far back a data point still counts as "now": RDS publishes these every minute.
const RECENT: Duration = Duration::from_secs(10 * 60);

#[derive(Debug, Clone)]
pub struct CloudWatch {
    client: Client,
}

impl CloudWatch {
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    pub fn from_conf(config: &aws_config::SdkConfig) -> Self {
        Self::new(Client::new(config))
    }

    /// The newest one-minute maximum of `metric` for `resource_id` in the last ten
    /// minutes, in milliseconds; `None` when nothing was published (a stopped replica,
    /// or a metric not yet reported).
    pub async fn latest_lag_ms(
        &self,
        metric: LagMetric,
        resource_id: &str,
    ) -> Result<Option<u64>, AwsFailure> {
        let now = SystemTime::now();
        let output = self
            .client
            .get_metric_statistics()
            .namespace(metric.namespace)
            .metric_name(metric.metric_name)
            .dimensions(
                Dimension::builder()
                    .name(metric.dimension)
                    .value(resource_id)
                    .build(),
            )
            .start_time(DateTime::from(now.checked_sub(RECENT).unwrap_or(now)))
            // One period past now, so the minute under way is a whole period and its
            // newest data point is not cut off by period alignment.
            .end_time(DateTime::from(now + Duration::from_secs(60)))
            .period(60)
            .statistics(Statistic::Maximum)
            .send()
            .await
            .map_err(|e| AwsFailure::from_sdk(&e))?;
        let newest = output
            .datapoints()
            .iter()
            .filter_map(|p| Some((p.timestamp()?, p.maximum()?)))
            .max_by(|a, b| a.0.cmp(b.0));
        Ok(newest.map(|(_, value)| lag_ms(value, metric.milliseconds_per_unit)))
    }
}

/// A reported value in the metric's unit as whole milliseconds; a negative or not-a-number
/// value (never expected) counts as no lag rather than failing the check.
pub fn lag_ms(value: f64, milliseconds_per_unit: u32) -> u64 {
    let ms = value * f64::from(milliseconds_per_unit);
    if ms.is_finite() && ms > 0.0 {
        // Saturates at u64::MAX for absurd values, by the semantics of `as` on floats.
        ms.round() as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reported_values_become_whole_milliseconds() {
        for (value, per_unit, expected) in [
            (1.5, 1000, 1500),
            (250.0, 1, 250),
            (0.0, 1000, 0),
            (-3.0, 1000, 0),
            (f64::NAN, 1000, 0),
            (f64::INFINITY, 1, 0),
            (1e300, 1000, u64::MAX),
        ] {
            assert_eq!(lag_ms(value, per_unit), expected, "{value} x {per_unit}");
        }
    }
}
