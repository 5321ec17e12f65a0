//! What a run came to: the outcome vocabulary, the state the machine carries to its
//! finishing step, and the pure rules that turn that state into the ledger's record.
//!
//! The ledger is the audit trail operators and the next run trust, so the record is
//! derived only from state that agrees with itself: the run is the execution it says it
//! is, every identifier passes the trigger's validation, the plan, the created reader and
//! the writer check all name the run's cluster, and "restored" needs a writer check that
//! names the planned target as the writer.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::class_rank::is_class_name;
use crate::clock::{iso8601, parse_iso8601, EpochSeconds};
use crate::failback::plan::{Action, Plan};
use crate::identifier::placement_of;
use crate::model::{CheckStatusOutput, CreateReaderOutput, Readiness};
use crate::trigger::{parse_trigger, valid_cluster_id, valid_instance_id, Home, InvalidInput};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The run has started and not finished; the only outcome that may be replaced.
    #[default]
    Running,
    Restored,
    NoOp,
    Skipped,
    DryRun,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Restored => "restored",
            Self::NoOp => "no-op",
            Self::Skipped => "skipped",
            Self::DryRun => "dry-run",
            Self::Failed => "failed",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Partition for runs whose input named no valid cluster; `#` cannot occur in a cluster id.
pub const INVALID_INPUT_PARTITION: &str = "#invalid-input";

/// One run as the ledger keeps it (ledger.rs stores it; this module derives it). Nested data (the plan) is kept as JSON text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    pub cluster_id: String,
    pub execution_arn: String,
    pub run_name: String,
    pub outcome: Outcome,
    pub summary: Option<String>,
    pub trigger: Option<String>,
    pub plan: Option<String>,
    pub action: Option<String>,
    pub from_class: Option<String>,
    pub to_class: Option<String>,
    pub writer_before: Option<String>,
    pub target_instance_id: Option<String>,
    pub created_instance_id: Option<String>,
    /// The reader this run created, gave up on, and deleted (or kept, or found gone).
    #[serde(default)]
    pub cleanup: Option<String>,
    /// The old writer brought to the same class after the failover (or why not).
    #[serde(default)]
    pub old_writer: Option<String>,
    /// Every zone and class the run asked for before the reader it ended with, and why
    /// each did not serve (refused for capacity, or accepted and then replaced).
    /// One line each, joined by "; " (the ledger keeps scalars).
    #[serde(default)]
    pub attempts: Option<String>,
    pub error: Option<String>,
    pub error_cause: Option<String>,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub seconds_to_restore: Option<f64>,
}

/// The state machine's state when it reaches the finishing step; every part after the
/// first is absent when the run ended before the step that writes it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunState {
    pub execution_arn: String,
    pub run_name: String,
    pub started_at: String,
    #[serde(default)]
    pub trigger: Value,
    pub run: Option<RunStart>,
    pub plan: Option<Plan>,
    pub reader: Option<CreateReaderOutput>,
    pub writer_check: Option<CheckStatusOutput>,
    pub error: Option<CaughtError>,
    /// What CleanUpReader did with a reader this run created and gave up on.
    pub cleanup: Option<CreateReaderOutput>,
    pub cleanup_error: Option<CaughtError>,
    /// What ScaleOldWriter did with the old writer after the failover.
    pub old_writer: Option<CreateReaderOutput>,
    pub old_writer_error: Option<CaughtError>,
}

/// What a Catch puts at its ResultPath.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CaughtError {
    #[serde(rename = "Error", default)]
    pub error: String,
    #[serde(rename = "Cause", default)]
    pub cause: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunStart {
    pub cluster_id: String,
    pub lease_acquired: bool,
    pub held_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunFinished {
    pub outcome: Outcome,
    pub cluster_id: String,
    pub summary: String,
    pub seconds_to_restore: Option<f64>,
    pub error: Option<String>,
}

/// Execution names are at most 80 characters of a restricted set; refuse anything else
/// before it reaches a tag, a ledger key or a log line.
pub fn valid_run_name(raw: &str) -> Result<String, InvalidInput> {
    let fits = !raw.is_empty()
        && raw.len() <= 80
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if fits {
        Ok(raw.to_string())
    } else {
        Err(InvalidInput(format!(
            "run name {raw:?} is not an execution name"
        )))
    }
}

/// The execution ARN must be a Step Functions execution of this deployment's partition,
/// region and account, and its last part must be the run's name: the lease and the
/// record name their holder by both, so neither can be borrowed.
pub fn check_execution(
    execution_arn: &str,
    run_name: &str,
    home: &Home,
) -> Result<(), InvalidInput> {
    let parts: Vec<&str> = execution_arn.split(':').collect();
    let not_ours = |why: &str| {
        InvalidInput(format!(
            "execution {execution_arn:?} {why} (run {run_name:?}, deployment {home})"
        ))
    };
    let ["arn", partition, "states", region, account, "execution", machine, name] =
        parts.as_slice()
    else {
        return Err(not_ours("is not a Step Functions execution ARN"));
    };
    let machine_ok = !machine.is_empty()
        && machine.len() <= 80
        && machine
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !machine_ok {
        return Err(not_ours("names no state machine"));
    }
    if *partition != home.partition || *region != home.region {
        return Err(not_ours("is in another partition or region"));
    }
    if home.account.as_deref().is_some_and(|a| a != *account) {
        return Err(not_ours("is in another account"));
    }
    if *name != run_name {
        return Err(not_ours("does not end with the run's name"));
    }
    Ok(())
}

/// Checks that the finishing state agrees with itself and returns the cluster the run
/// is recorded under. A state that does not is refused whole: nothing is written.
pub fn check_run_state(state: &RunState, home: &Home) -> Result<String, InvalidInput> {
    valid_run_name(&state.run_name)?;
    check_execution(&state.execution_arn, &state.run_name, home)?;
    if parse_iso8601(&state.started_at).is_none() {
        return Err(InvalidInput(format!(
            "startedAt {:?} is not an ISO 8601 time",
            state.started_at
        )));
    }
    let cluster_id = match parse_trigger(&state.trigger, home) {
        Ok(request) => request.cluster_id,
        // The run failed on its own input; nothing after the start can exist.
        Err(_) if state.run.is_none() && state.plan.is_none() && state.reader.is_none() => {
            return Ok(INVALID_INPUT_PARTITION.to_string())
        }
        Err(e) => {
            return Err(InvalidInput(format!(
                "the state has steps for a trigger that is refused: {e}"
            )))
        }
    };
    let mismatch = |what: &str, named: &str| {
        InvalidInput(format!(
            "{what} names cluster {named:?}, but the run is for {cluster_id}"
        ))
    };
    if let Some(run) = &state.run {
        if valid_cluster_id(&run.cluster_id)? != cluster_id {
            return Err(mismatch("the start", &run.cluster_id));
        }
    }
    if let Some(plan) = &state.plan {
        if valid_cluster_id(&plan.cluster_id)? != cluster_id {
            return Err(mismatch("the plan", &plan.cluster_id));
        }
        check_plan_identifiers(plan)?;
    }
    if let Some(caught) = &state.error {
        let named = !caught.error.is_empty()
            && caught.error.len() <= 64
            && caught
                .error
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
        if !named {
            return Err(InvalidInput(format!(
                "error {:?} is not an error name",
                caught.error
            )));
        }
    }
    if let Some(check) = &state.writer_check {
        if check.cluster_id != cluster_id {
            return Err(mismatch("the writer check", &check.cluster_id));
        }
    }
    if let Some(reader) = &state.reader {
        let planned = state.plan.as_ref().and_then(|p| match &p.action {
            Action::Create {
                target_instance_id, ..
            }
            | Action::Modify {
                target_instance_id, ..
            } => Some(target_instance_id.as_str()),
            _ => None,
        });
        // A capacity fallback may have put another of the run's own instances in place.
        let own = placement_of(&cluster_id, &state.run_name, &reader.instance_id).is_some();
        if planned != Some(reader.instance_id.as_str()) && !own {
            return Err(InvalidInput(format!(
                "the created reader {:?} is neither the instance the plan names nor one of the run's own",
                reader.instance_id
            )));
        }
    }
    Ok(cluster_id)
}

fn check_plan_identifiers(plan: &Plan) -> Result<(), InvalidInput> {
    let instance = |id: &str| valid_instance_id(id, "the plan's instance").map(|_| ());
    let class = |c: &str| {
        is_class_name(c)
            .then_some(())
            .ok_or_else(|| InvalidInput(format!("class {c:?} in the plan is not a class")))
    };
    plan.writer_instance_id
        .as_deref()
        .map(instance)
        .transpose()?;
    plan.writer_class
        .as_deref()
        .filter(|c| *c != "db.serverless")
        .map(class)
        .transpose()?;
    plan.desired_class.as_deref().map(class).transpose()?;
    match &plan.action {
        Action::Failback {
            target_instance_id, ..
        } => instance(target_instance_id),
        Action::Modify {
            target_instance_id,
            target_class,
            ..
        } => instance(target_instance_id).and_then(|()| class(target_class)),
        Action::Create {
            target_instance_id,
            reference_instance_id,
            ..
        } => instance(target_instance_id).and_then(|()| instance(reference_instance_id)),
        Action::None | Action::Skip { .. } => Ok(()),
    }
}

/// What became of the old writer after the failover, in words for the record.
fn old_writer_words(state: &RunState) -> Option<String> {
    if let Some(done) = &state.old_writer {
        let class = done.instance_class.as_deref().unwrap_or("the class");
        return Some(if done.created {
            format!(
                "old writer {} is changing to {class} (promotion tier 1)",
                done.instance_id
            )
        } else {
            format!("old writer {} already has {class}", done.instance_id)
        });
    }
    state.old_writer_error.as_ref().map(|e| {
        format!(
            "could not change the old writer: {}: {}",
            e.error,
            cause_message(e)
        )
    })
}

/// What became of a reader the run created and gave up on, in words for the record.
fn cleanup_words(state: &RunState) -> Option<String> {
    if let Some(done) = &state.cleanup {
        return Some(match done.status.as_str() {
            "deleting" => format!(
                "deleted {}, which this run created and gave up on",
                done.instance_id
            ),
            "kept" => format!(
                "kept {} (aurora-failback:keep-on-failure=true)",
                done.instance_id
            ),
            _ => format!("{} was already gone", done.instance_id),
        });
    }
    state.cleanup_error.as_ref().map(|e| {
        format!(
            "could not delete the reader this run created: {}: {}",
            e.error,
            cause_message(e)
        )
    })
}

/// What the run came to, and one sentence saying why. Pure.
pub fn derive_outcome(state: &RunState) -> (Outcome, String) {
    if let Some(caught) = &state.error {
        return (
            Outcome::Failed,
            format!("{}: {}", caught.error, cause_message(caught)),
        );
    }
    let Some(run) = &state.run else {
        return (Outcome::Failed, "the run ended before it started".into());
    };
    if !run.lease_acquired {
        let holder = run.held_by.as_deref().unwrap_or("another run");
        return (
            Outcome::Skipped,
            format!("{holder} is already restoring cluster {}", run.cluster_id),
        );
    }
    let Some(plan) = &state.plan else {
        return (Outcome::Failed, "the run ended before it planned".into());
    };
    if plan.dry_run {
        return (Outcome::DryRun, format!("dry run: {}", plan.summary));
    }
    match &plan.action {
        Action::None => (Outcome::NoOp, plan.summary.clone()),
        Action::Skip { .. } => (Outcome::Skipped, plan.summary.clone()),
        Action::Failback {
            target_instance_id, ..
        }
        | Action::Modify {
            target_instance_id, ..
        }
        | Action::Create {
            target_instance_id, ..
        } => {
            // A capacity fallback may have given the reader another class than the plan's,
            // or put another instance in place.
            let class = state
                .reader
                .as_ref()
                .and_then(|r| r.instance_class.as_deref())
                .or(plan.desired_class.as_deref())
                .unwrap_or("the desired class");
            let target = state
                .reader
                .as_ref()
                .map_or(target_instance_id.as_str(), |r| r.instance_id.as_str());
            writer_moved(state.writer_check.as_ref(), plan, target, class)
        }
    }
}

/// "Restored" only where the writer check saw the planned target as the writer of the
/// planned cluster, and the cluster available.
fn writer_moved(
    check: Option<&CheckStatusOutput>,
    plan: &Plan,
    target: &str,
    class: &str,
) -> (Outcome, String) {
    match check {
        Some(check)
            if check.state == Readiness::Ready
                && check.cluster_id == plan.cluster_id
                && check.writer_instance_id.as_deref() == Some(target) =>
        {
            (
                Outcome::Restored,
                format!("writer is now {target} ({class})"),
            )
        }
        Some(check) if check.state == Readiness::Ready => (
            Outcome::Failed,
            format!(
                "the writer check saw writer {:?} of cluster {}, not the planned {target}",
                check.writer_instance_id, check.cluster_id
            ),
        ),
        _ => (
            Outcome::Failed,
            format!("the run ended before {target} became the writer"),
        ),
    }
}

/// Step Functions puts a Lambda error's JSON (`errorMessage`, `errorType`) in `Cause`.
pub fn cause_message(caught: &CaughtError) -> String {
    let cause = caught.cause.clone().unwrap_or_default();
    serde_json::from_str::<Value>(&cause)
        .ok()
        .and_then(|v| {
            v.get("errorMessage")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or(cause)
}

/// The ledger record and the run-finished summary for a checked state.
pub fn finished_record(
    state: &RunState,
    cluster_id: &str,
    now: EpochSeconds,
) -> (RunRecord, RunFinished) {
    let (outcome, mut summary) = derive_outcome(state);
    let plan = state.plan.as_ref();
    // The instance the run made itself, if any (not a reader changed in place).
    let created = state.reader.as_ref().filter(|r| r.placement > 0);
    match (cleanup_words(state), created) {
        (Some(cleanup), _) if outcome == Outcome::Failed => {
            summary.push_str(&format!("; {cleanup}"));
        }
        // Created, healthy, and the run failed after (the failover): kept, since a later
        // run fails back to it.
        (None, Some(reader)) if outcome == Outcome::Failed => {
            summary.push_str(&format!(
                "; instance {} that this run created is left in place",
                reader.instance_id
            ));
        }
        _ => {}
    }
    if let Some(words) = old_writer_words(state).filter(|_| outcome == Outcome::Restored) {
        summary.push_str(&format!("; {words}"));
    }
    let target = plan.and_then(|p| match &p.action {
        Action::Failback {
            target_instance_id, ..
        }
        | Action::Modify {
            target_instance_id, ..
        }
        | Action::Create {
            target_instance_id, ..
        } => Some(
            state
                .reader
                .as_ref()
                .map_or(target_instance_id, |r| &r.instance_id)
                .clone(),
        ),
        _ => None,
    });
    let seconds_to_restore = (outcome == Outcome::Restored)
        .then(|| {
            parse_iso8601(&state.started_at)
                .map(|start| ((now - start) * 10.0).round().max(0.0) / 10.0)
        })
        .flatten();
    let record = RunRecord {
        cluster_id: cluster_id.to_string(),
        execution_arn: state.execution_arn.clone(),
        run_name: state.run_name.clone(),
        outcome,
        summary: Some(summary.clone()),
        trigger: Some(state.trigger.to_string()),
        plan: plan.and_then(|p| serde_json::to_string(p).ok()),
        action: plan
            .and_then(|p| serde_json::to_value(&p.action).ok())
            .and_then(|a| a["action"].as_str().map(String::from)),
        from_class: plan.and_then(|p| p.writer_class.clone()),
        // A capacity fallback may have given the reader another class than the plan's.
        to_class: state
            .reader
            .as_ref()
            .and_then(|r| r.instance_class.clone())
            .or_else(|| plan.and_then(|p| p.desired_class.clone())),
        writer_before: plan.and_then(|p| p.writer_instance_id.clone()),
        target_instance_id: target,
        // A reader changed in place was not created: its id is the target's.
        created_instance_id: created.map(|r| r.instance_id.clone()),
        cleanup: cleanup_words(state),
        old_writer: old_writer_words(state),
        attempts: state
            .reader
            .as_ref()
            .filter(|r| !r.attempts.is_empty())
            .map(|r| r.attempts.join("; ")),
        error: state.error.as_ref().map(|e| e.error.clone()),
        error_cause: state.error.as_ref().map(cause_message),
        started_at: Some(state.started_at.clone()),
        ended_at: Some(iso8601(now)),
        seconds_to_restore,
    };
    let finished = RunFinished {
        outcome,
        cluster_id: cluster_id.to_string(),
        summary,
        seconds_to_restore,
        error: record.error.clone(),
    };
    (record, finished)
}

#[cfg(test)]
mod tests;
