//! The CloudWatch Embedded Metric Format line a finished run prints.

use serde_json::json;

use crate::clock::EpochSeconds;
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
