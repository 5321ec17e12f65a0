//! `aurora-failback dr`: plan, start and follow a DR Orchestrator payload in this region,
//! with the same payload checks and plan as the DR machine's Lambdas.

use std::path::Path;

use aws_config::SdkConfig;
use failback_core::dr::observe::{DrServices, Lag};
use failback_core::dr::payload::{read_payload, resolve_payload, DrResource, Lookups};
use failback_core::dr::plan::{plan_request, readiness_of, ResourcePlan, ResourceReadiness};
use failback_core::dr::request::checked_request;
use failback_core::identifier::short_hash;
use failback_core::outcome::Outcome;
use failback_core::payload::parse_strict;
use failback_core::references::References;
use serde::Serialize;
use serde_json::Value;

use crate::cli::{AwsArgs, DrCommand};
use crate::commands::{execution_arn, exit_code, follow, show_status};
use crate::deployment::{Executions, StartFailure};
use crate::failure::Failure;
use crate::render;
use crate::setup;

/// A payload file larger than this is not a payload (Step Functions' input limit is 256 KiB).
const MAX_PAYLOAD_BYTES: u64 = 256 * 1024;
/// A second `dr start` of the same payload within this window is the same run.
const START_DEDUPLICATION_SECONDS: u64 = 600;

pub async fn run(config: &SdkConfig, args: &AwsArgs, command: DrCommand) -> Result<u8, Failure> {
    match command {
        DrCommand::Plan {
            payload,
            json,
            max_lag_seconds,
        } => plan(config, &payload, json, max_lag_seconds).await,
        DrCommand::Start {
            payload,
            dry_run,
            wait,
        } => start(config, args, &payload, dry_run, wait).await,
        DrCommand::Status { execution } => {
            let machine = if execution.starts_with("arn:") {
                None
            } else {
                Some(setup::dr_state_machine_arn(config, args).await?)
            };
            show_status(config, &execution_arn(machine.as_deref(), &execution)).await
        }
    }
}

fn read_file(path: &Path) -> Result<Value, Failure> {
    let unreadable = |e: std::io::Error| Failure::InvalidInput(format!("{}: {e}", path.display()));
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    if size > MAX_PAYLOAD_BYTES {
        return Err(Failure::InvalidInput(format!(
            "{}: {size} bytes, more than a DR payload may be ({MAX_PAYLOAD_BYTES})",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path).map_err(unreadable)?;
    Ok(parse_strict(&text)?)
}

/// The payload checked whole, as dr-validate checks it, with this region's references.
async fn checked(config: &SdkConfig, payload: &Value) -> Result<Vec<DrResource>, Failure> {
    let read = read_payload(payload)?;
    let references = References::from_conf(config);
    let mut lookups = Lookups::default();
    if !read.imports().is_empty() {
        lookups.exports = references.exports().await?;
    }
    if !read.ssm_names().is_empty() {
        lookups.ssm = references.ssm_parameters(&read.ssm_names()).await?;
    }
    let layers = resolve_payload(&read, &lookups, &setup::home(config))?;
    Ok(layers
        .into_iter()
        .flat_map(|(_, resources)| resources)
        .collect())
}

/// One resource of `dr plan`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedResource {
    pub resource: DrResource,
    /// The plan, or why the resource cannot go on now.
    pub plan: Result<ResourcePlan, String>,
    /// Whether a DR run started now would go through, as the scheduled check reports it.
    pub readiness: ResourceReadiness,
}

async fn plan(
    config: &SdkConfig,
    path: &Path,
    as_json: bool,
    max_lag_seconds: u64,
) -> Result<u8, Failure> {
    let payload = read_file(path)?;
    let aws = DrServices::from_conf(config);
    let home = setup::home(config);
    let mut planned = Vec::new();
    for resource in checked(config, &payload).await? {
        // The same request, reads and plan as dr-check's (the CLI does not know the
        // account, so a replica's source is matched by region and name).
        let request = checked_request(&resource, &home)?;
        let seen = aws.observe(&request, Lag::Read).await?;
        let plan = plan_request(&request, &seen, &home)
            .map_err(|refusal| (refusal.error_type(), refusal.to_string()));
        let readiness = readiness_of(
            &resource,
            &plan,
            seen.lag_ms,
            max_lag_seconds.saturating_mul(1000),
        );
        planned.push(PlannedResource {
            resource,
            plan: plan.map_err(|(name, message)| format!("{name}: {message}")),
            readiness,
        });
    }
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&planned).unwrap_or_default()
        );
    } else {
        print!("{}", render::dr_plan(&planned));
    }
    // Ready only if every resource is: a readiness check for scripts.
    Ok(if planned.iter().all(|p| p.readiness.ready) {
        0
    } else {
        crate::failure::EXIT_NOT_RESTORED
    })
}

async fn start(
    config: &SdkConfig,
    args: &AwsArgs,
    path: &Path,
    dry_run: bool,
    wait: bool,
) -> Result<u8, Failure> {
    let mut payload = read_file(path)?;
    if dry_run {
        if let Some(object) = payload.as_object_mut() {
            object.insert("dryRun".into(), Value::Bool(true));
        }
    }
    // Refuse here what the machine would refuse, before starting anything.
    let resources = checked(config, &payload).await?;
    let input = serde_json::to_string(&payload).unwrap_or_default();
    let machine = setup::dr_state_machine_arn(config, args).await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let run_name = format!(
        "dr-{}-{}",
        short_hash(&input),
        now / START_DEDUPLICATION_SECONDS
    );
    let executions = Executions::from_conf(config);
    let execution = match executions.start(&machine, &run_name, &input).await {
        Ok(arn) => arn,
        Err(StartFailure::AlreadyExists(_)) => {
            return Err(Failure::InvalidInput(format!(
                "DR run {run_name} already ran in the last {} minutes; see `aurora-failback dr status {run_name}`",
                START_DEDUPLICATION_SECONDS / 60
            )))
        }
        Err(other) => return Err(other.into()),
    };
    println!(
        "Started DR run {run_name} ({} resources)\n  {execution}",
        resources.len()
    );
    if !wait {
        return Ok(0);
    }
    follow(&executions, &execution).await?;
    let described = executions.describe(&execution).await?;
    let output = described.output.unwrap_or_default();
    let outcome = output
        .pointer("/result/outcome")
        .and_then(|o| serde_json::from_value::<Outcome>(o.clone()).ok())
        .unwrap_or(Outcome::Failed);
    let summary = output
        .pointer("/result/summary")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| format!("execution {}", described.status));
    println!("Outcome: {outcome} ({})", render::printable(&summary));
    Ok(exit_code(outcome))
}
