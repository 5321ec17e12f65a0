//! The CloudWatch Embedded Metric Format line a finished run prints.

use serde_json::json;

use crate::clock::EpochSeconds;
use crate::dr::outcome::{DrResourceRecord, DrRunFinished};
use crate::dr::plan::ResourceReadiness;
use crate::dr::rpo::CopyAge;
use crate::outcome::RunFinished;

/// One EMF line: a count per outcome, and the time to restore when there was one.
pub fn emf_line(finished: &RunFinished, run_name: &str, now: EpochSeconds) -> String {
    let mut metrics = vec![json!({"Name": "Runs", "Unit": "Count"})];
    let mut line = json!({
        "Outcome": finished.outcome.as_str(),
        "ClusterId": finished.cluster_id,
        "RunName": run_name,
        "Runs": 1,
    });
    if let Some(seconds) = finished.seconds_to_restore {
        metrics.push(json!({"Name": "SecondsToRestore", "Unit": "Seconds"}));
        line["SecondsToRestore"] = json!(seconds);
    }
    line["_aws"] = json!({
        "Timestamp": (now * 1000.0) as i64,
        "CloudWatchMetrics": [{"Namespace": "AuroraFailback", "Dimensions": [["Outcome"]], "Metrics": metrics}],
    });
    line.to_string()
}

/// A DR run's lines: the run, counted by outcome, and each resource the run moved, with
/// its time to recover by resource type.
pub fn dr_emf_lines<'a>(
    finished: &DrRunFinished,
    resources: impl Iterator<Item = &'a DrResourceRecord>,
    run_name: &str,
    now: EpochSeconds,
) -> Vec<String> {
    let timestamp = (now * 1000.0) as i64;
    let mut lines = vec![json!({
        "Outcome": finished.outcome.as_str(),
        "RunName": run_name,
        "DrRuns": 1,
        "_aws": {
            "Timestamp": timestamp,
            "CloudWatchMetrics": [{"Namespace": "AuroraFailback", "Dimensions": [["Outcome"]],
                "Metrics": [{"Name": "DrRuns", "Unit": "Count"}]}],
        },
    })
    .to_string()];
    for resource in resources {
        let Some(seconds) = resource.seconds_to_recover else {
            continue;
        };
        lines.push(
            json!({
                "ResourceType": resource.resource_type,
                "ResourceKey": resource.resource_key,
                "RunName": run_name,
                "SecondsToRecover": seconds,
                "_aws": {
                    "Timestamp": timestamp,
                    "CloudWatchMetrics": [{"Namespace": "AuroraFailback", "Dimensions": [["ResourceType"]],
                        "Metrics": [{"Name": "SecondsToRecover", "Unit": "Seconds"}]}],
                },
            })
            .to_string(),
        );
    }
    lines
}

/// A readiness check's lines: per resource, ready (1) or not (0) and its replication lag
/// where AWS reports one; and for the payload, how many resources are not ready (the
/// stack's alarm watches that one).
pub fn readiness_emf_lines(
    payload_name: &str,
    resources: &[ResourceReadiness],
    now: EpochSeconds,
) -> Vec<String> {
    let timestamp = (now * 1000.0) as i64;
    let not_ready = resources.iter().filter(|r| !r.ready).count();
    let mut lines = vec![json!({
        "Payload": payload_name,
        "ResourcesNotReady": not_ready,
        "_aws": {
            "Timestamp": timestamp,
            "CloudWatchMetrics": [{"Namespace": "AuroraFailback", "Dimensions": [["Payload"]],
                "Metrics": [{"Name": "ResourcesNotReady", "Unit": "Count"}]}],
        },
    })
    .to_string()];
    for resource in resources {
        let mut metrics = vec![json!({"Name": "ResourceReady", "Unit": "Count"})];
        let mut line = json!({
            "Payload": payload_name,
            "ResourceKey": resource.resource_key,
            "ResourceType": resource.resource_type,
            "ResourceReady": u8::from(resource.ready),
            "Reason": resource.reason,
        });
        if let Some(lag) = resource.replication_lag_seconds {
            metrics.push(json!({"Name": "ReplicationLagSeconds", "Unit": "Seconds"}));
            line["ReplicationLagSeconds"] = json!(lag);
        }
        line["_aws"] = json!({
            "Timestamp": timestamp,
            "CloudWatchMetrics": [{"Namespace": "AuroraFailback",
                "Dimensions": [["Payload", "ResourceKey"]], "Metrics": metrics}],
        });
        lines.push(line.to_string());
    }
    lines
}

/// The backup watch's lines: per protected resource the age of its newest copy in the
/// copy region (none when there is no copy), and how many are outside the RPO (the
/// stack's alarm watches that one).
pub fn backup_emf_lines(resources: &[CopyAge], now: EpochSeconds) -> Vec<String> {
    let timestamp = (now * 1000.0) as i64;
    let outside = resources.iter().filter(|r| !r.within_rpo).count();
    let mut lines = vec![json!({
        "CopiesOutsideRpo": outside,
        "_aws": {
            "Timestamp": timestamp,
            "CloudWatchMetrics": [{"Namespace": "AuroraFailback", "Dimensions": [[]],
                "Metrics": [{"Name": "CopiesOutsideRpo", "Unit": "Count"}]}],
        },
    })
    .to_string()];
    for resource in resources {
        let Some(age) = resource.age_seconds else {
            continue;
        };
        lines.push(
            json!({
                "ResourceId": resource.resource_id,
                "NewestCopyAgeSeconds": age,
                "NewestCopy": resource.newest,
                "_aws": {
                    "Timestamp": timestamp,
                    "CloudWatchMetrics": [{"Namespace": "AuroraFailback", "Dimensions": [["ResourceId"]],
                        "Metrics": [{"Name": "NewestCopyAgeSeconds", "Unit": "Seconds"}]}],
                },
            })
            .to_string(),
        );
    }
    lines
}
