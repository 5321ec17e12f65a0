//! record-run's DR actions: the leases and the run record at the start of a DR run, each
//! layer's resource records, and the run's record at its end. The same audit-trail rules
//! as the failback run: a finished record is never overwritten, and leases are taken and
//! freed only by the execution (ARN and name) that holds them.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::{json, Value};

use crate::clock::{parse_iso8601, EpochSeconds};
use crate::dr::outcome::{
    finish_dr_run, resource_partition, resource_record, DrRunRecord, DrRunState, DrStart,
    ResourceOutcome, ResourceResult, DR_RUNS_PARTITION,
};
use crate::dr::payload::{valid_resource_key, ValidPayload};
use crate::ledger::{LeaseOutcome, Ledger};
use crate::outcome::{check_execution, valid_run_name, Outcome};
use crate::trigger::{Home, InvalidInput};

/// As for the failback run: a crashed run must not hold a global cluster for long.
const MAX_LEASE_SECONDS: i64 = 6 * 3600;
/// A layer carries at most this many results (the payload's bound).
const MAX_RESULTS: usize = crate::dr::payload::MAX_RESOURCES_PER_LAYER;

#[derive(Debug)]
pub enum DrRecordRequest {
    Start {
        record: DrRunRecord,
        resource_keys: BTreeSet<String>,
        lease_seconds: i64,
    },
    Layer {
        execution_arn: String,
        run_name: String,
        layer: u32,
        results: Vec<ResourceResult>,
    },
    Finish(Box<DrRunState>),
    /// The execution ended abnormally (a Step Functions status-change event) before its
    /// finishing step.
    ExecutionEnded(DrRunRecord),
}

/// The payload's resource keys, each checked: made by this version, and matching the
/// action it stands for.
fn checked_resource_keys(payload: &ValidPayload) -> Result<BTreeSet<String>, InvalidInput> {
    payload
        .layers
        .iter()
        .flat_map(|l| &l.resources)
        .map(|r| {
            if valid_resource_key(&r.resource_key) && r.resource_key == r.action.resource_key() {
                Ok(r.resource_key.clone())
            } else {
                Err(InvalidInput(format!(
                    "resource key {:?} does not match {:?}",
                    r.resource_key, r.resource_name
                )))
            }
        })
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StartInput {
    execution_arn: String,
    run_name: String,
    started_at: String,
    payload: ValidPayload,
    lease_seconds: i64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LayerInput {
    execution_arn: String,
    run_name: String,
    layer: u32,
    results: Vec<ResourceResult>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FinishInput {
    state: Box<DrRunState>,
}

fn parse<T: serde::de::DeserializeOwned>(fields: Value, what: &str) -> Result<T, InvalidInput> {
    serde_json::from_value(fields).map_err(|e| InvalidInput(format!("record-run {what}: {e}")))
}

/// Reads and checks a DR record-run payload (its `action` already removed) without
/// touching the ledger. Pure, so it can be fuzzed.
pub fn read_dr_input(
    action: &str,
    fields: Value,
    home: &Home,
) -> Result<DrRecordRequest, InvalidInput> {
    match action {
        "dr-start" => {
            let input: StartInput = parse(fields, action)?;
            let run_name = valid_run_name(&input.run_name)?;
            check_execution(&input.execution_arn, &run_name, home)?;
            if !(60..=MAX_LEASE_SECONDS).contains(&input.lease_seconds) {
                return Err(InvalidInput(format!(
                    "leaseSeconds {} is outside 60..={MAX_LEASE_SECONDS}",
                    input.lease_seconds
                )));
            }
            if parse_iso8601(&input.started_at).is_none() {
                return Err(InvalidInput(format!(
                    "startedAt {:?} is not an ISO 8601 time",
                    input.started_at
                )));
            }
            let resource_keys = checked_resource_keys(&input.payload)?;
            Ok(DrRecordRequest::Start {
                record: DrRunRecord {
                    cluster_id: DR_RUNS_PARTITION.into(),
                    execution_arn: input.execution_arn,
                    run_name,
                    outcome: Outcome::Running,
                    dry_run: Some(input.payload.dry_run),
                    started_at: Some(input.started_at),
                    ..DrRunRecord::default()
                },
                resource_keys,
                lease_seconds: input.lease_seconds,
            })
        }
        "dr-layer" => {
            let input: LayerInput = parse(fields, action)?;
            let run_name = valid_run_name(&input.run_name)?;
            check_execution(&input.execution_arn, &run_name, home)?;
            if input.results.len() > MAX_RESULTS {
                return Err(InvalidInput(format!(
                    "{} results, more than a layer may hold ({MAX_RESULTS})",
                    input.results.len()
                )));
            }
            for result in &input.results {
                if !valid_resource_key(&result.resource_key) {
                    return Err(InvalidInput(format!(
                        "resource key {:?} is not one this version makes",
                        result.resource_key
                    )));
                }
                if result.layer != input.layer {
                    return Err(InvalidInput(format!(
                        "{:?} is of layer {}, not {}",
                        result.resource_name, result.layer, input.layer
                    )));
                }
            }
            Ok(DrRecordRequest::Layer {
                execution_arn: input.execution_arn,
                run_name,
                layer: input.layer,
                results: input.results,
            })
        }
        "dr-finish" => {
            let input: FinishInput = parse(fields, action)?;
            let run_name = valid_run_name(&input.state.run_name)?;
            check_execution(&input.state.execution_arn, &run_name, home)?;
            if let Some(valid) = &input.state.valid {
                checked_resource_keys(valid)?;
            }
            Ok(DrRecordRequest::Finish(input.state))
        }
        other => Err(InvalidInput(format!("record-run has no action {other:?}"))),
    }
}

pub async fn record_dr(
    ledger: &Ledger,
    now: EpochSeconds,
    request: DrRecordRequest,
) -> Result<Value, crate::errors::AwsFailure> {
    match request {
        DrRecordRequest::Start {
            record,
            resource_keys,
            lease_seconds,
        } => start(ledger, now, record, resource_keys, lease_seconds).await,
        DrRecordRequest::Layer {
            execution_arn,
            run_name,
            layer,
            results,
        } => {
            let mut failed = 0_usize;
            for result in &results {
                let record = resource_record(result, &execution_arn, &run_name);
                if !ledger.put_dr_resource(&record).await? {
                    tracing::warn!(resource = %result.resource_name, "another execution's record is there; kept");
                }
                if result.outcome == ResourceOutcome::Failed {
                    failed = failed.saturating_add(1);
                }
            }
            Ok(json!({
                "layer": layer,
                "succeeded": results.len().saturating_sub(failed),
                "failed": failed,
            }))
        }
        DrRecordRequest::Finish(state) => finish(ledger, now, &state).await,
        DrRecordRequest::ExecutionEnded(mut record) => {
            record.ended_at = Some(crate::clock::iso8601(now));
            let written = ledger.put_dr_run_if_open(&record).await?;
            Ok(json!({ "recorded": written, "outcome": Outcome::Failed }))
        }
    }
}

async fn start(
    ledger: &Ledger,
    now: EpochSeconds,
    record: DrRunRecord,
    resource_keys: BTreeSet<String>,
    lease_seconds: i64,
) -> Result<Value, crate::errors::AwsFailure> {
    if !ledger.put_dr_run_if_open(&record).await? {
        // Another execution recorded this run name, or it is finished: act on nothing.
        return Ok(json!(DrStart {
            lease_acquired: false,
            held_by: Some(format!(
                "the finished or foreign record of run {}",
                record.run_name
            )),
        }));
    }
    let now_whole = now.floor() as i64;
    let expires_at = now_whole.saturating_add(lease_seconds);
    let mut taken = Vec::new();
    // Sorted, so that two runs naming the same resources meet on the first one.
    for key in &resource_keys {
        let partition = resource_partition(key);
        match ledger
            .acquire_lease(
                &partition,
                &record.execution_arn,
                &record.run_name,
                now_whole,
                expires_at,
            )
            .await?
        {
            LeaseOutcome::Acquired => taken.push(partition),
            LeaseOutcome::HeldBy { execution_arn } => {
                for partition in &taken {
                    ledger
                        .release_lease(partition, &record.execution_arn, &record.run_name)
                        .await?;
                }
                return Ok(json!(DrStart {
                    lease_acquired: false,
                    held_by: Some(execution_arn),
                }));
            }
        }
    }
    Ok(json!(DrStart {
        lease_acquired: true,
        held_by: None,
    }))
}

async fn finish(
    ledger: &Ledger,
    now: EpochSeconds,
    state: &DrRunState,
) -> Result<Value, crate::errors::AwsFailure> {
    let mut recorded = BTreeMap::new();
    let keys: BTreeSet<&str> = state
        .valid
        .iter()
        .flat_map(|v| &v.layers)
        .flat_map(|l| &l.resources)
        .map(|r| r.resource_key.as_str())
        .collect();
    for key in &keys {
        if let Some(record) = ledger.dr_resource(key, &state.run_name).await? {
            if record.execution_arn == state.execution_arn {
                recorded.insert(record.resource_name.clone(), record);
            }
        }
    }
    let (record, finished) = finish_dr_run(state, &recorded, now);
    let written = ledger.put_dr_run_if_open(&record).await?;
    if state.run.as_ref().is_some_and(|r| r.lease_acquired) {
        for key in &keys {
            ledger
                .release_lease(
                    &resource_partition(key),
                    &state.execution_arn,
                    &state.run_name,
                )
                .await?;
        }
    }
    if written {
        for line in crate::emf::dr_emf_lines(&finished, recorded.values(), &state.run_name, now) {
            println!("{line}");
        }
    }
    Ok(json!(finished))
}
