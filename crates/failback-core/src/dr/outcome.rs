//! What a DR run came to: each resource's result as the machine reports it, the ledger's
//! records of them, and the run's outcome (which resources finished, which failed and
//! with what error, which never started). Pure.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock::{iso8601, parse_iso8601, EpochSeconds};
use crate::dr::payload::ValidPayload;
use crate::dr::plan::{ResourcePlan, SwitchCheck};
use crate::outcome::Outcome;

/// Partition of the DR run records; `#` cannot occur in a cluster identifier.
pub const DR_RUNS_PARTITION: &str = "#dr-runs";

/// Partition of a resource's DR lease and per-resource records, by its resource key (a
/// global cluster's identifier, or `instance/<identifier>`).
pub fn resource_partition(resource_key: &str) -> String {
    format!("#dr:{resource_key}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceOutcome {
    /// The run moved the writer, and AWS shows it moved.
    Done,
    /// AWS already showed the target as the writer.
    AlreadyDone,
    /// A dry run: the plan only.
    Planned,
    Failed,
    /// An earlier layer failed, or the run stopped before this resource.
    NeverStarted,
}

/// A caught Step Functions error, as the machine puts it in `$.error`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepFailure {
    #[serde(rename = "Error")]
    pub error: String,
    #[serde(rename = "Cause", default)]
    pub cause: Option<String>,
}

/// One resource's result, the last state of its iteration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceResult {
    pub resource_name: String,
    pub resource_type: String,
    pub resource_key: String,
    pub layer: u32,
    pub outcome: ResourceOutcome,
    /// The resource's resolved parameters, as dr-validate checked them.
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    pub started_at: String,
    pub ended_at: String,
    pub error: Option<StepFailure>,
    pub plan: Option<ResourcePlan>,
    pub act: Option<Value>,
    pub check: Option<SwitchCheck>,
    /// The failback run the DR run started for a cluster left with a small writer, or
    /// why it could not start; null when none was needed.
    #[serde(default)]
    pub handoff: Option<HandoffResult>,
}

/// What StartExecution of the failback workflow answered (ResultSelector), or the error
/// the machine caught.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoffResult {
    #[serde(rename = "executionArn", default)]
    pub execution_arn: Option<String>,
    #[serde(rename = "startDate", default)]
    pub start_date: Option<Value>,
    #[serde(rename = "Error", default)]
    pub error: Option<String>,
    #[serde(rename = "Cause", default)]
    pub cause: Option<String>,
}

/// One resource of one run as the ledger keeps it (partition: its resource key).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrResourceRecord {
    pub cluster_id: String,
    pub execution_arn: String,
    pub run_name: String,
    pub layer: u32,
    pub resource_name: String,
    pub resource_type: String,
    pub resource_key: String,
    pub outcome: String,
    /// The resolved parameters, as JSON text.
    pub parameters: Option<String>,
    pub summary: Option<String>,
    pub error: Option<String>,
    pub error_cause: Option<String>,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub seconds_to_recover: Option<f64>,
    pub writer_before: Option<String>,
    pub writer_after: Option<String>,
    pub data_loss_allowed: Option<bool>,
    pub failed_over_from: Option<String>,
    /// The replication lag AWS reported when the run planned the resource.
    #[serde(default)]
    pub replication_lag_ms: Option<u64>,
    /// The failback run started to restore the writer class of the cluster this resource
    /// left taking writes: its execution ARN, or why it did not start.
    #[serde(default)]
    pub handoff_execution_arn: Option<String>,
    #[serde(default)]
    pub handoff_error: Option<String>,
}

/// The record of a resource result. Durations are worked out only from times that parse
/// and run forward.
pub fn resource_record(
    result: &ResourceResult,
    execution_arn: &str,
    run_name: &str,
) -> DrResourceRecord {
    let seconds = match (
        parse_iso8601(&result.started_at),
        parse_iso8601(&result.ended_at),
    ) {
        (Some(start), Some(end)) if end >= start && result.outcome == ResourceOutcome::Done => {
            Some(((end - start) * 10.0).round() / 10.0)
        }
        _ => None,
    };
    let check = result.check.as_ref();
    let writer_before = result.plan.as_ref().and_then(|p| p.writer_before.clone());
    let requested = result
        .act
        .as_ref()
        .and_then(|a| a.get("requested"))
        .and_then(Value::as_bool)
        == Some(true);
    let failover = result.resource_type == "UnPlannedFailoverAurora";
    // Already done: the target is the writer (a switch, a failover, a promotion);
    // a creation leaves the writer where it was.
    let creation = ["CreateAuroraSecondaryDBCluster", "CreateRDSReadReplica"]
        .contains(&result.resource_type.as_str());
    let writer_after = match (check, &result.plan) {
        (Some(check), _) => check.writer.clone(),
        (None, Some(plan)) if result.outcome == ResourceOutcome::AlreadyDone => {
            if creation {
                writer_before.clone()
            } else {
                Some(plan.target_cluster_arn.clone())
            }
        }
        _ => None,
    };
    let handoff = result.handoff.as_ref();
    let summary = match (&result.check, &result.plan, &result.error) {
        (Some(check), _, _) => Some(check.summary.clone()),
        (None, Some(plan), _) => Some(plan.summary.clone()),
        (None, None, Some(error)) => error.cause.clone(),
        _ => None,
    };
    DrResourceRecord {
        cluster_id: resource_partition(&result.resource_key),
        execution_arn: execution_arn.to_string(),
        run_name: run_name.to_string(),
        layer: result.layer,
        resource_name: result.resource_name.clone(),
        resource_type: result.resource_type.clone(),
        resource_key: result.resource_key.clone(),
        parameters: serde_json::to_string(&result.parameters).ok(),
        outcome: serde_json::to_value(result.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        summary,
        error: result.error.as_ref().map(|e| e.error.clone()),
        error_cause: result.error.as_ref().and_then(|e| e.cause.clone()),
        started_at: Some(result.started_at.clone()),
        ended_at: Some(result.ended_at.clone()),
        seconds_to_recover: seconds,
        writer_before: writer_before.clone(),
        writer_after,
        // The last check may come after AWS cleared its FailoverState: what this run
        // asked for says the same.
        data_loss_allowed: check
            .and_then(|c| c.data_loss_allowed)
            .or_else(|| (failover && requested).then_some(true)),
        failed_over_from: check
            .and_then(|c| c.failed_over_from.clone())
            .or_else(|| writer_before.filter(|_| failover && requested)),
        replication_lag_ms: result.plan.as_ref().and_then(|p| p.replication_lag_ms),
        handoff_execution_arn: handoff.and_then(|h| h.execution_arn.clone()),
        handoff_error: handoff.and_then(|h| match h.error.as_deref()? {
            // The name is this run's and the cluster's: an earlier attempt started it.
            "StepFunctions.ExecutionAlreadyExistsException" => None,
            error => Some(format!(
                "{error}: {}",
                h.cause.as_deref().unwrap_or_default()
            )),
        }),
    }
}

/// What dr-start answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrStart {
    pub lease_acquired: bool,
    pub held_by: Option<String>,
}

/// The machine's state when it reaches dr-finish.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DrRunState {
    pub execution_arn: String,
    pub run_name: String,
    pub started_at: String,
    #[serde(default)]
    pub payload: Value,
    #[serde(default)]
    pub limits: Value,
    pub valid: Option<ValidPayload>,
    pub run: Option<DrStart>,
    pub error: Option<StepFailure>,
}

/// One resource in the run's summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSummary {
    pub resource_name: String,
    pub layer: u32,
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What dr-finish answers, and the run-finished event carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrRunFinished {
    pub outcome: Outcome,
    pub summary: String,
    pub resources: Vec<ResourceSummary>,
}

/// The run's ledger record (partition `#dr-runs`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrRunRecord {
    pub cluster_id: String,
    pub execution_arn: String,
    pub run_name: String,
    pub outcome: Outcome,
    pub summary: Option<String>,
    pub dry_run: Option<bool>,
    /// The per-resource summary as JSON text.
    pub resources: Option<String>,
    pub error: Option<String>,
    pub error_cause: Option<String>,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
}

/// The run's outcome from its state and the records its layers wrote (by resource name).
pub fn finish_dr_run(
    state: &DrRunState,
    recorded: &BTreeMap<String, DrResourceRecord>,
    now: EpochSeconds,
) -> (DrRunRecord, DrRunFinished) {
    let record = |outcome: Outcome, summary: String, resources: &[ResourceSummary]| DrRunRecord {
        cluster_id: DR_RUNS_PARTITION.to_string(),
        execution_arn: state.execution_arn.clone(),
        run_name: state.run_name.clone(),
        outcome,
        summary: Some(summary),
        dry_run: state.valid.as_ref().map(|v| v.dry_run),
        resources: serde_json::to_string(resources).ok(),
        error: state.error.as_ref().map(|e| e.error.clone()),
        error_cause: state.error.as_ref().and_then(|e| e.cause.clone()),
        started_at: Some(state.started_at.clone()),
        ended_at: Some(iso8601(now)),
    };
    let Some(valid) = &state.valid else {
        let why = state
            .error
            .as_ref()
            .map(|e| format!("{}: {}", e.error, e.cause.as_deref().unwrap_or("")))
            .unwrap_or_else(|| "the payload was not checked".into());
        let summary = format!("nothing was changed; the payload was refused ({why})");
        return (
            record(Outcome::Failed, summary.clone(), &[]),
            DrRunFinished {
                outcome: Outcome::Failed,
                summary,
                resources: Vec::new(),
            },
        );
    };
    let resources: Vec<ResourceSummary> = valid
        .layers
        .iter()
        .flat_map(|layer| &layer.resources)
        .map(|resource| match recorded.get(&resource.resource_name) {
            Some(found) => ResourceSummary {
                resource_name: resource.resource_name.clone(),
                layer: resource.layer,
                outcome: found.outcome.clone(),
                error: found.error.clone(),
            },
            None => ResourceSummary {
                resource_name: resource.resource_name.clone(),
                layer: resource.layer,
                outcome: "never-started".into(),
                error: None,
            },
        })
        .collect();
    let count = |outcome: &str| resources.iter().filter(|r| r.outcome == outcome).count();
    let (failed, never) = (count("failed"), count("never-started"));
    let lease_held_elsewhere = state.run.as_ref().is_some_and(|r| !r.lease_acquired);
    let (outcome, summary) = if lease_held_elsewhere {
        let holder = state
            .run
            .as_ref()
            .and_then(|r| r.held_by.clone())
            .unwrap_or_else(|| "another run".into());
        (
            Outcome::Skipped,
            format!("skipped: {holder} holds a lease on a global cluster of this payload"),
        )
    } else if failed > 0 || never > 0 || state.error.is_some() {
        let mut parts = vec![format!("{failed} failed")];
        if never > 0 {
            parts.push(format!("{never} never started"));
        }
        if let Some(error) = &state.error {
            parts.push(format!("stopped by {}", error.error));
        }
        (Outcome::Failed, parts.join(", "))
    } else if valid.dry_run {
        (
            Outcome::DryRun,
            format!(
                "dry run: {} planned, nothing changed",
                resources_word(resources.len())
            ),
        )
    } else if count("already-done") == resources.len() {
        (
            Outcome::NoOp,
            "every resource already was where the payload wants it".into(),
        )
    } else {
        (
            Outcome::Restored,
            format!(
                "{} done, {} already in place",
                resources_word(count("done")),
                count("already-done")
            ),
        )
    };
    (
        record(outcome, summary.clone(), &resources),
        DrRunFinished {
            outcome,
            summary,
            resources,
        },
    )
}

/// "1 resource", "3 resources".
fn resources_word(count: usize) -> String {
    format!("{count} resource{}", if count == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests;
