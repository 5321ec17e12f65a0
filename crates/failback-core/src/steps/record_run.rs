//! record-run: the lease at the start of a run and the ledger record at its end.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::errors::{AwsFailure, StepError};
use crate::ledger::{LeaseOutcome, Ledger, RunRecord, INVALID_INPUT_PARTITION};
use crate::plan::{Action, Plan};
use crate::trigger::{parse_trigger, InvalidInput};

use super::check_status::CheckStatusOutput;
use super::create_reader::CreateReaderOutput;
use super::{parse_input, valid_run_name};

pub const OUTCOME_RUNNING: &str = "running";
/// A lease may not outlive this, whatever the input asks: a crashed run must not lock a
/// cluster for long.
const MAX_LEASE_SECONDS: i64 = 6 * 3600;
const STATUS_CHANGE_EVENT: &str = "Step Functions Execution Status Change";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Restored,
    NoOp,
    Skipped,
    DryRun,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Restored => "restored",
            Self::NoOp => "no-op",
            Self::Skipped => "skipped",
            Self::DryRun => "dry-run",
            Self::Failed => "failed",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
enum RecordRunInput {
    #[serde(rename_all = "camelCase")]
    Start {
        execution_id: String,
        run_name: String,
        started_at: String,
        trigger: Value,
        lease_seconds: i64,
    },
    Finish {
        state: Box<RunState>,
    },
}

/// The state machine's state when it reaches the finishing step; every part after the
/// first is absent when the run ended before the step that writes it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunState {
    pub execution_id: String,
    pub run_name: String,
    pub started_at: String,
    #[serde(default)]
    pub trigger: Value,
    pub run: Option<RunStart>,
    pub plan: Option<Plan>,
    pub reader: Option<CreateReaderOutput>,
    pub writer_check: Option<CheckStatusOutput>,
    pub error: Option<CaughtError>,
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

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecutionStatusDetail {
    execution_arn: String,
    name: String,
    status: String,
    start_date: Option<i64>,
    input: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordRunError {
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    #[error(transparent)]
    Aws(#[from] AwsFailure),
}

impl StepError for RecordRunError {
    fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => "InvalidInput",
            Self::Aws(aws) => aws.error_type(),
        }
    }
}

/// Seconds since the Unix epoch, with a fraction; a parameter so the handlers stay testable.
pub type EpochSeconds = f64;

pub fn epoch_now() -> EpochSeconds {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

pub async fn record_run(
    ledger: &Ledger,
    now: EpochSeconds,
    payload: Value,
) -> Result<Value, RecordRunError> {
    if payload.get("detail-type").is_some() {
        return finish_from_status_change(ledger, now, payload).await;
    }
    match parse_input::<RecordRunInput>(payload, "record-run")? {
        RecordRunInput::Start {
            execution_id,
            run_name,
            started_at,
            trigger,
            lease_seconds,
        } => {
            let run_name = valid_run_name(&run_name)?;
            if !(60..=MAX_LEASE_SECONDS).contains(&lease_seconds) {
                return Err(InvalidInput(format!(
                    "leaseSeconds {lease_seconds} is outside 60..={MAX_LEASE_SECONDS}"
                ))
                .into());
            }
            let request = parse_trigger(&trigger)?;
            let now_whole = now.floor() as i64;
            let lease = ledger
                .acquire_lease(
                    &request.cluster_id,
                    &execution_id,
                    now_whole,
                    now_whole + lease_seconds,
                )
                .await?;
            let start = RunStart {
                cluster_id: request.cluster_id.clone(),
                lease_acquired: lease == LeaseOutcome::Acquired,
                held_by: match lease {
                    LeaseOutcome::Acquired => None,
                    LeaseOutcome::HeldBy { execution_id } => Some(execution_id),
                },
            };
            ledger
                .put_run(&RunRecord {
                    cluster_id: request.cluster_id,
                    execution_id,
                    execution_name: run_name,
                    outcome: OUTCOME_RUNNING.into(),
                    trigger: Some(trigger.to_string()),
                    started_at: Some(started_at),
                    ..RunRecord::default()
                })
                .await?;
            tracing::info!(cluster = %start.cluster_id, lease = start.lease_acquired, "run started");
            Ok(json!(start))
        }
        RecordRunInput::Finish { state } => {
            valid_run_name(&state.run_name)?;
            let (record, finished) = finished_record(&state, now);
            ledger.put_run(&record).await?;
            if let Some(run) = state.run.as_ref().filter(|r| r.lease_acquired) {
                ledger
                    .release_lease(&run.cluster_id, &state.execution_id)
                    .await?;
            }
            println!("{}", emf_line(&finished, &state.run_name, now));
            Ok(json!(finished))
        }
    }
}

/// Finishes, as failed, a run whose execution died without reaching its own finishing
/// step (time-out, abort, an error outside every Catch), and frees its lease.
async fn finish_from_status_change(
    ledger: &Ledger,
    now: EpochSeconds,
    payload: Value,
) -> Result<Value, RecordRunError> {
    if payload.get("detail-type").and_then(Value::as_str) != Some(STATUS_CHANGE_EVENT) {
        return Err(InvalidInput(format!(
            "record-run does not handle {:?}",
            payload.get("detail-type")
        ))
        .into());
    }
    let detail: ExecutionStatusDetail = parse_input(
        payload.get("detail").cloned().unwrap_or_default(),
        "status change",
    )?;
    let run_name = valid_run_name(&detail.name)?;
    if !["FAILED", "TIMED_OUT", "ABORTED"].contains(&detail.status.as_str()) {
        return Err(InvalidInput(format!(
            "execution status {} is not an abnormal end",
            detail.status
        ))
        .into());
    }
    let trigger: Value = detail
        .input
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    let cluster_id = parse_trigger(&trigger)
        .map(|r| r.cluster_id)
        .unwrap_or_else(|_| INVALID_INPUT_PARTITION.into());
    let error = format!("Execution{}", pascal_case(&detail.status));
    let summary = format!(
        "the execution ended {} before it recorded an outcome",
        detail.status
    );
    let record = RunRecord {
        cluster_id: cluster_id.clone(),
        execution_id: detail.execution_arn.clone(),
        execution_name: run_name.clone(),
        outcome: Outcome::Failed.as_str().into(),
        summary: Some(summary.clone()),
        trigger: Some(trigger.to_string()),
        error: Some(error.clone()),
        started_at: detail.start_date.map(|ms| iso8601(ms as f64 / 1000.0)),
        ended_at: Some(iso8601(now)),
        ..RunRecord::default()
    };
    let written = ledger.put_run_unless_finished(&record).await?;
    ledger
        .release_lease(&cluster_id, &detail.execution_arn)
        .await?;
    let finished = RunFinished {
        outcome: Outcome::Failed,
        cluster_id,
        summary,
        seconds_to_restore: None,
        error: Some(error),
    };
    if written {
        println!("{}", emf_line(&finished, &run_name, now));
    }
    Ok(json!({ "recorded": written, "finished": finished }))
}

fn pascal_case(status: &str) -> String {
    status
        .split('_')
        .map(|word| {
            let lower = word.to_ascii_lowercase();
            let mut chars = lower.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
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
        | Action::Create {
            target_instance_id, ..
        } => {
            let moved = state
                .writer_check
                .as_ref()
                .is_some_and(|c| c.state == "ready");
            if moved {
                let to = plan.desired_class.as_deref().unwrap_or("the desired class");
                (
                    Outcome::Restored,
                    format!("writer is now {target_instance_id} ({to})"),
                )
            } else {
                (
                    Outcome::Failed,
                    format!("the run ended before {target_instance_id} became the writer"),
                )
            }
        }
    }
}

/// Step Functions puts a Lambda error's JSON (`errorMessage`, `errorType`) in `Cause`.
fn cause_message(caught: &CaughtError) -> String {
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

fn finished_record(state: &RunState, now: EpochSeconds) -> (RunRecord, RunFinished) {
    let (outcome, mut summary) = derive_outcome(state);
    if let Some(reader) = state.reader.as_ref().filter(|_| outcome == Outcome::Failed) {
        // Not deleted: it may still become available (a later run fails back to it), and a
        // person may want to see why it did not.
        summary.push_str(&format!(
            "; instance {} that this run created is left in place",
            reader.instance_id
        ));
    }
    let cluster_id = state
        .run
        .as_ref()
        .map(|r| r.cluster_id.clone())
        .or_else(|| parse_trigger(&state.trigger).ok().map(|r| r.cluster_id))
        .unwrap_or_else(|| INVALID_INPUT_PARTITION.into());
    let plan = state.plan.as_ref();
    let target = plan.and_then(|p| match &p.action {
        Action::Failback {
            target_instance_id, ..
        }
        | Action::Create {
            target_instance_id, ..
        } => Some(target_instance_id.clone()),
        _ => None,
    });
    let seconds_to_restore = (outcome == Outcome::Restored)
        .then(|| {
            parse_iso8601(&state.started_at)
                .map(|start| ((now - start) * 10.0).round().max(0.0) / 10.0)
        })
        .flatten();
    let record = RunRecord {
        cluster_id: cluster_id.clone(),
        execution_id: state.execution_id.clone(),
        execution_name: state.run_name.clone(),
        outcome: outcome.as_str().into(),
        summary: Some(summary.clone()),
        trigger: Some(state.trigger.to_string()),
        plan: plan.and_then(|p| serde_json::to_string(p).ok()),
        action: plan
            .and_then(|p| serde_json::to_value(&p.action).ok())
            .and_then(|a| a["action"].as_str().map(String::from)),
        from_class: plan.and_then(|p| p.writer_class.clone()),
        to_class: plan.and_then(|p| p.desired_class.clone()),
        writer_before: plan.and_then(|p| p.writer_instance_id.clone()),
        target_instance_id: target,
        created_instance_id: state.reader.as_ref().map(|r| r.instance_id.clone()),
        error: state.error.as_ref().map(|e| e.error.clone()),
        error_cause: state.error.as_ref().map(cause_message),
        started_at: Some(state.started_at.clone()),
        ended_at: Some(iso8601(now)),
        seconds_to_restore,
    };
    let finished = RunFinished {
        outcome,
        cluster_id,
        summary,
        seconds_to_restore,
        error: record.error.clone(),
    };
    (record, finished)
}

/// One CloudWatch Embedded Metric Format line: a count per outcome, and the time to
/// restore when there was one.
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

pub fn iso8601(epoch_seconds: EpochSeconds) -> String {
    use aws_sdk_dynamodb::primitives::{DateTime, DateTimeFormat};
    // Whole milliseconds, as Step Functions writes $$.Execution.StartTime.
    DateTime::from_millis((epoch_seconds * 1000.0).round() as i64)
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_default()
}

fn parse_iso8601(text: &str) -> Option<f64> {
    use aws_sdk_dynamodb::primitives::{DateTime, DateTimeFormat};
    DateTime::from_str(text, DateTimeFormat::DateTime)
        .ok()
        .map(|t| t.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{ClassSource, SkipReason};

    fn plan(action: Action, dry_run: bool) -> Plan {
        Plan {
            cluster_id: "orders".into(),
            dry_run,
            writer_instance_id: Some("orders-2".into()),
            writer_class: Some("db.r6g.large".into()),
            desired_class: Some("db.r6g.2xlarge".into()),
            desired_class_source: Some(ClassSource::Tag),
            action,
            summary: "the plan".into(),
        }
    }

    fn state(plan_action: Option<Action>, moved: Option<bool>) -> RunState {
        RunState {
            execution_id: "arn:aws:states:us-east-1:1:execution:m:run-1".into(),
            run_name: "run-1".into(),
            started_at: "2026-11-21T10:00:00.000Z".into(),
            trigger: json!({"clusterId": "orders"}),
            run: Some(RunStart {
                cluster_id: "orders".into(),
                lease_acquired: true,
                held_by: None,
            }),
            plan: plan_action.map(|a| plan(a, false)),
            reader: None,
            writer_check: moved.map(|m| CheckStatusOutput {
                state: if m { "ready" } else { "pending" }.into(),
                instance_status: "available".into(),
                cluster_status: Some("available".into()),
                writer_instance_id: Some("orders-1".into()),
            }),
            error: None,
        }
    }

    #[test]
    fn outcome_table() {
        let failback = Action::Failback {
            target_instance_id: "orders-1".into(),
            target_status: "available".into(),
        };
        let mut dry = state(Some(failback.clone()), None);
        dry.plan = Some(plan(failback.clone(), true));
        let mut held = state(None, None);
        held.run = Some(RunStart {
            cluster_id: "orders".into(),
            lease_acquired: false,
            held_by: Some("exec-a".into()),
        });
        let mut caught = state(Some(failback.clone()), None);
        caught.error = Some(CaughtError {
            error: "TargetFailed".into(),
            cause: Some(r#"{"errorType":"TargetFailed","errorMessage":"instance x is insufficient-capacity"}"#.into()),
        });
        let mut not_started = state(None, None);
        not_started.run = None;

        let cases = [
            (
                "restored",
                state(Some(failback.clone()), Some(true)),
                Outcome::Restored,
                "writer is now orders-1",
            ),
            (
                "writer never moved",
                state(Some(failback.clone()), Some(false)),
                Outcome::Failed,
                "before orders-1 became",
            ),
            (
                "no-op",
                state(Some(Action::None), None),
                Outcome::NoOp,
                "the plan",
            ),
            (
                "skip",
                state(
                    Some(Action::Skip {
                        reason: SkipReason::NotOptedIn,
                    }),
                    None,
                ),
                Outcome::Skipped,
                "the plan",
            ),
            ("dry run", dry, Outcome::DryRun, "dry run: the plan"),
            (
                "lease held",
                held,
                Outcome::Skipped,
                "exec-a is already restoring",
            ),
            (
                "caught error",
                caught,
                Outcome::Failed,
                "TargetFailed: instance x is insufficient-capacity",
            ),
            (
                "never started",
                not_started,
                Outcome::Failed,
                "before it started",
            ),
        ];
        for (name, state, outcome, needle) in cases {
            let (got, summary) = derive_outcome(&state);
            assert_eq!(got, outcome, "{name}");
            assert!(summary.contains(needle), "{name}: {summary}");
        }
    }

    #[test]
    fn a_failed_run_says_what_it_created_and_left() {
        let create = Action::Create {
            target_instance_id: "orders-fb-1".into(),
            reference_instance_id: "orders-1".into(),
            availability_zone: None,
        };
        let mut failed = state(Some(create), None);
        failed.reader = Some(CreateReaderOutput {
            instance_id: "orders-fb-1".into(),
            created: true,
            status: "creating".into(),
        });
        failed.error = Some(CaughtError {
            error: "ReaderWaitExhausted".into(),
            cause: Some("not ready".into()),
        });
        let (record, _) = finished_record(&failed, 0.0);
        assert_eq!(record.outcome, "failed");
        assert!(record
            .summary
            .unwrap_or_default()
            .ends_with("instance orders-fb-1 that this run created is left in place"));
        assert_eq!(record.created_instance_id.as_deref(), Some("orders-fb-1"));
    }

    #[test]
    fn finished_record_measures_time_to_restore() {
        let failback = Action::Failback {
            target_instance_id: "orders-1".into(),
            target_status: "available".into(),
        };
        let start = parse_iso8601("2026-11-21T10:00:00.000Z").unwrap_or_default();
        let (record, finished) = finished_record(&state(Some(failback), Some(true)), start + 95.0);
        assert_eq!(record.outcome, "restored");
        assert_eq!(record.seconds_to_restore, Some(95.0));
        assert_eq!(record.action.as_deref(), Some("failback"));
        assert_eq!(record.from_class.as_deref(), Some("db.r6g.large"));
        assert_eq!(record.target_instance_id.as_deref(), Some("orders-1"));
        assert_eq!(finished.seconds_to_restore, Some(95.0));
    }

    #[test]
    fn emf_line_names_its_metrics() {
        let finished = RunFinished {
            outcome: Outcome::Restored,
            cluster_id: "orders".into(),
            summary: String::new(),
            seconds_to_restore: Some(12.0),
            error: None,
        };
        let line: Value = serde_json::from_str(&emf_line(&finished, "run-1", 1_700_000_000.0))
            .unwrap_or_default();
        assert_eq!(line["Outcome"], "restored");
        assert_eq!(line["SecondsToRestore"], 12.0);
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000_i64);
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Metrics"][1]["Name"],
            "SecondsToRestore"
        );
        let failed = RunFinished {
            outcome: Outcome::Failed,
            seconds_to_restore: None,
            ..finished
        };
        let line: Value =
            serde_json::from_str(&emf_line(&failed, "run-1", 0.0)).unwrap_or_default();
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
        assert!(line.get("SecondsToRestore").is_none());
    }

    #[test]
    fn status_names_become_error_names() {
        assert_eq!(pascal_case("TIMED_OUT"), "TimedOut");
        assert_eq!(pascal_case("ABORTED"), "Aborted");
    }
}
