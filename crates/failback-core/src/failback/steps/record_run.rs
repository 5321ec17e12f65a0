//! record-run: the lease at the start of a run and the ledger record at its end.
//!
//! The ledger is an audit trail: a finished record is never overwritten, the lease is
//! taken, renewed and freed only by the execution (ARN and name) that holds it, and a
//! state that does not agree with itself is refused whole (see `outcome`).

use serde::Deserialize;
use serde_json::{json, Value};

use crate::clock::{iso8601, parse_iso8601, EpochSeconds};
use crate::dr::outcome::{DrRunRecord, DR_RUNS_PARTITION};
use crate::dr::record::{read_dr_input, record_dr, DrRecordRequest};
use crate::emf::emf_line;
use crate::errors::{AwsFailure, StepError};
use crate::ledger::{LeaseOutcome, Ledger};
use crate::outcome::{
    check_execution, check_run_state, finished_record, Outcome, RunFinished, RunRecord, RunStart,
    RunState, INVALID_INPUT_PARTITION,
};
use crate::trigger::{parse_trigger, ForeignCluster, Home, InvalidInput, TriggerError};

use super::{parse_input, valid_run_name};

/// Every error name this step can return, for the state machine's Retry and Catch.
pub const ERROR_NAMES: &[&str] = &["ForeignCluster"];

/// A lease may not outlive this, whatever the input asks: a crashed run must not lock a
/// cluster for long.
const MAX_LEASE_SECONDS: i64 = 6 * 3600;
const STATUS_CHANGE_EVENT: &str = "Step Functions Execution Status Change";

#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
enum RecordRunInput {
    #[serde(rename_all = "camelCase")]
    Start {
        execution_arn: String,
        run_name: String,
        started_at: String,
        trigger: Value,
        lease_seconds: i64,
    },
    Finish {
        state: Box<RunState>,
    },
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
    ForeignCluster(#[from] ForeignCluster),
    #[error(transparent)]
    Aws(#[from] AwsFailure),
}

impl From<TriggerError> for RecordRunError {
    fn from(error: TriggerError) -> Self {
        match error {
            TriggerError::InvalidInput(e) => e.into(),
            TriggerError::ForeignCluster(e) => e.into(),
        }
    }
}

impl StepError for RecordRunError {
    fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => crate::errors::INVALID_INPUT,
            Self::ForeignCluster(_) => "ForeignCluster",
            Self::Aws(aws) => aws.error_type(),
        }
    }
}

/// A checked request to record: pure, so it can be fuzzed.
#[derive(Debug)]
pub enum RecordRequest {
    Start {
        record: RunRecord,
        lease_seconds: i64,
    },
    Finish {
        state: Box<RunState>,
        cluster_id: String,
    },
    ExecutionEnded(RunRecord),
    /// One of the DR workflow's actions (dr-start, dr-layer, dr-finish).
    Dr(DrRecordRequest),
}

/// Reads and checks a record-run payload without touching the ledger.
pub fn read_input(payload: Value, home: &Home) -> Result<RecordRequest, RecordRunError> {
    if payload.get("detail-type").is_some() {
        return read_status_change(payload, home);
    }
    if let Value::Object(mut fields) = payload.clone() {
        if let Some(Value::String(action)) = fields.get("action").cloned() {
            if action.starts_with("dr-") {
                fields.remove("action");
                let request = read_dr_input(&action, Value::Object(fields), home)?;
                return Ok(RecordRequest::Dr(request));
            }
        }
    }
    match parse_input::<RecordRunInput>(payload, "record-run")? {
        RecordRunInput::Start {
            execution_arn,
            run_name,
            started_at,
            trigger,
            lease_seconds,
        } => {
            let run_name = valid_run_name(&run_name)?;
            check_execution(&execution_arn, &run_name, home)?;
            if !(60..=MAX_LEASE_SECONDS).contains(&lease_seconds) {
                return Err(InvalidInput(format!(
                    "leaseSeconds {lease_seconds} is outside 60..={MAX_LEASE_SECONDS}"
                ))
                .into());
            }
            if parse_iso8601(&started_at).is_none() {
                return Err(InvalidInput(format!(
                    "startedAt {started_at:?} is not an ISO 8601 time"
                ))
                .into());
            }
            let request = parse_trigger(&trigger, home)?;
            Ok(RecordRequest::Start {
                record: RunRecord {
                    cluster_id: request.cluster_id,
                    execution_arn,
                    run_name,
                    outcome: Outcome::Running,
                    trigger: Some(trigger.to_string()),
                    started_at: Some(started_at),
                    ..RunRecord::default()
                },
                lease_seconds,
            })
        }
        RecordRunInput::Finish { state } => {
            let cluster_id = check_run_state(&state, home)?;
            Ok(RecordRequest::Finish { state, cluster_id })
        }
    }
}

/// A Step Functions status-change event for an execution that ended abnormally. It
/// must agree with itself: its name is the last part of its ARN, in this deployment.
fn read_status_change(payload: Value, home: &Home) -> Result<RecordRequest, RecordRunError> {
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
    check_execution(&detail.execution_arn, &run_name, home)?;
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
        .and_then(|text| crate::payload::parse_strict(text).ok())
        .unwrap_or_default();
    let error = format!("Execution{}", pascal_case(&detail.status));
    let summary = format!(
        "the execution ended {} before it recorded an outcome",
        detail.status
    );
    let started_at = detail
        .start_date
        .filter(|ms| (0..=253_402_300_799_000).contains(ms))
        .map(|ms| iso8601(ms as f64 / 1000.0));
    if trigger.get("StatePayload").is_some() {
        // A DR run; its leases expire on their own (their global clusters are named by
        // the resolved payload, which the event does not carry).
        return Ok(RecordRequest::Dr(DrRecordRequest::ExecutionEnded(
            DrRunRecord {
                cluster_id: DR_RUNS_PARTITION.into(),
                execution_arn: detail.execution_arn,
                run_name,
                outcome: Outcome::Failed,
                summary: Some(summary),
                error: Some(error),
                started_at,
                ..DrRunRecord::default()
            },
        )));
    }
    let cluster_id = parse_trigger(&trigger, home)
        .map(|r| r.cluster_id)
        .unwrap_or_else(|_| INVALID_INPUT_PARTITION.into());
    Ok(RecordRequest::ExecutionEnded(RunRecord {
        cluster_id,
        execution_arn: detail.execution_arn,
        run_name,
        outcome: Outcome::Failed,
        summary: Some(summary),
        trigger: Some(trigger.to_string()),
        error: Some(error),
        started_at,
        ..RunRecord::default()
    }))
}

pub async fn record_run(
    ledger: &Ledger,
    home: &Home,
    now: EpochSeconds,
    payload: Value,
) -> Result<Value, RecordRunError> {
    match read_input(payload, home)? {
        RecordRequest::Start {
            record,
            lease_seconds,
        } => start(ledger, now, record, lease_seconds).await,
        RecordRequest::Finish { state, cluster_id } => {
            let (record, finished) = finished_record(&state, &cluster_id, now);
            let written = ledger.put_run_if_open(&record).await?;
            if !written {
                tracing::warn!(run = %state.run_name, "the run's record is already finished; kept as it was");
            }
            if let Some(run) = state.run.as_ref().filter(|r| r.lease_acquired) {
                ledger
                    .release_lease(&run.cluster_id, &state.execution_arn, &state.run_name)
                    .await?;
            }
            if written {
                println!("{}", emf_line(&finished, &state.run_name, now));
            }
            Ok(json!(finished))
        }
        RecordRequest::Dr(request) => Ok(record_dr(ledger, now, request).await?),
        RecordRequest::ExecutionEnded(mut record) => {
            record.ended_at = Some(iso8601(now));
            let written = ledger.put_run_if_open(&record).await?;
            ledger
                .release_lease(&record.cluster_id, &record.execution_arn, &record.run_name)
                .await?;
            let finished = RunFinished {
                outcome: Outcome::Failed,
                cluster_id: record.cluster_id.clone(),
                summary: record.summary.clone().unwrap_or_default(),
                seconds_to_restore: None,
                error: record.error.clone(),
            };
            if written {
                println!("{}", emf_line(&finished, &record.run_name, now));
            }
            Ok(json!({ "recorded": written, "finished": finished }))
        }
    }
}

async fn start(
    ledger: &Ledger,
    now: EpochSeconds,
    record: RunRecord,
    lease_seconds: i64,
) -> Result<Value, RecordRunError> {
    // The record first: a run name another execution has recorded is refused before
    // any lease is touched.
    if !ledger.put_run_if_open(&record).await? {
        return Err(InvalidInput(format!(
            "run {} is already recorded by another execution or finished",
            record.run_name
        ))
        .into());
    }
    let now_whole = now.floor() as i64;
    let expires_at = now_whole.saturating_add(lease_seconds);
    let lease = ledger
        .acquire_lease(
            &record.cluster_id,
            &record.execution_arn,
            &record.run_name,
            now_whole,
            expires_at,
        )
        .await?;
    let start = RunStart {
        cluster_id: record.cluster_id.clone(),
        lease_acquired: lease == LeaseOutcome::Acquired,
        held_by: match lease {
            LeaseOutcome::Acquired => None,
            LeaseOutcome::HeldBy { execution_arn } => Some(execution_arn),
        },
    };
    tracing::info!(cluster = %start.cluster_id, lease = start.lease_acquired, "run started");
    Ok(json!(start))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_become_error_names() {
        assert_eq!(pascal_case("TIMED_OUT"), "TimedOut");
        assert_eq!(pascal_case("ABORTED"), "Aborted");
    }
}
