//! `aurora-failback dr`: plan, start and follow a DR Orchestrator payload in this region,
//! with the same payload checks and plan as the DR machine's Lambdas.

use std::path::Path;

use aws_config::SdkConfig;
use failback_core::dr::payload::{read_payload, resolve_payload, DrAction, DrResource, Lookups};
use failback_core::dr::plan::{
    plan_global_switch, plan_promotion, plan_replica, plan_secondary, DrRefusal, ResourcePlan,
};
use failback_core::identifier::short_hash;
use failback_core::outcome::Outcome;
use failback_core::payload::parse_strict;
use failback_core::rds::Rds;
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
        DrCommand::Plan { payload, json } => plan(config, &payload, json).await,
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
}

async fn plan(config: &SdkConfig, path: &Path, as_json: bool) -> Result<u8, Failure> {
    let payload = read_file(path)?;
    let rds = Rds::from_conf(config);
    let home = setup::home(config);
    let mut planned = Vec::new();
    for resource in checked(config, &payload).await? {
        let refused = |refusal: DrRefusal| format!("{}: {refusal}", refusal.error_type());
        let plan = match (resource.action.switch(), &resource.action) {
            (Some((how, global_cluster_id, target)), _) => {
                let global = rds.global_cluster(global_cluster_id).await?;
                let cluster = rds.cluster(&target.cluster_id).await?;
                plan_global_switch(
                    how,
                    global_cluster_id,
                    global.as_ref(),
                    cluster.as_ref(),
                    &target.cluster_id,
                )
                .map_err(refused)
            }
            (None, DrAction::CreateSecondary(spec)) => {
                let global = rds.global_cluster(&spec.global_cluster_id).await?;
                let cluster = rds.cluster(&spec.cluster_id).await?;
                plan_secondary(spec, global.as_ref(), cluster.as_ref(), &home.region)
                    .map_err(refused)
            }
            (None, DrAction::PromoteReplica { instance_id, .. }) => {
                let instance = rds.instance_view(instance_id).await?;
                plan_promotion(instance_id, instance.as_ref()).map_err(refused)
            }
            (None, DrAction::CreateReplica(spec)) => {
                let instance = rds.instance_view(&spec.instance_id).await?;
                // The CLI does not know the account: the source is matched by region and name.
                plan_replica(spec, instance.as_ref(), home.account.as_deref()).map_err(refused)
            }
            (None, _) => Err("an action of no kind this version knows".to_string()),
        };
        planned.push(PlannedResource { resource, plan });
    }
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&planned).unwrap_or_default()
        );
    } else {
        print!("{}", render::dr_plan(&planned));
    }
    // Ready only if every resource can go on: a readiness check for scripts.
    Ok(if planned.iter().all(|p| p.plan.is_ok()) {
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
