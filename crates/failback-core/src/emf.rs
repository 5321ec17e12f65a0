//! The CloudWatch Embedded Metric Format line a finished run prints.

use serde_json::json;

use crate::clock::EpochSeconds;
use crate::dr::outcome::{DrResourceRecord, DrRunFinished};
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
