//! The commands: what each one reads and decides. AWS calls go through the adapters
//! (the core's for RDS and DynamoDB, deployment.rs for CloudFormation and Step
//! Functions); what is printed is made in render.rs.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use aws_config::SdkConfig;
use failback_core::clock::epoch_now;
use failback_core::dr::observe::copy_ages;
use failback_core::errors::AwsFailure;
use failback_core::failback::plan::plan_restore;
use failback_core::identifier::short_hash;
use failback_core::ledger::Ledger;
use failback_core::model::{ClusterView, TAG_ENABLED, TAG_WRITER_CLASS};
use failback_core::outcome::{Outcome, RunRecord};
use failback_core::rds::Rds;
use failback_core::trigger::{parse_trigger, valid_cluster_id, valid_writer_class};
use serde_json::{json, Value};

use crate::cli::{AwsArgs, Cli, Command};
use crate::deployment::{Executions, RunEvent, RunEventKind, StartFailure};
use crate::failure::{Failure, EXIT_NOT_RESTORED, EXIT_RUN_FAILED};
use crate::render;
use crate::setup;

/// Run name used when planning outside a run; it only names the instance a create would make.
const PLAN_RUN_NAME: &str = "cli-plan";
/// A second `start` of the same request within this window reuses the first's execution.
const START_DEDUPLICATION_SECONDS: u64 = 600;

pub async fn run(cli: Cli) -> Result<u8, Failure> {
    let config = setup::connect(&cli.aws).await?;
    match cli.command {
        Command::Plan {
            cluster,
            writer_class,
            json,
        } => plan(&config, &cli.aws, &cluster, writer_class, json).await,
        Command::Enable {
            cluster,
            writer_class,
        } => enable(&config, &cluster, writer_class).await,
        Command::Disable { cluster } => disable(&config, &cluster).await,
        Command::Start {
            cluster,
            dry_run,
            writer_class,
            wait,
        } => {
            let request = StartRequest {
                writer_class,
                ..StartRequest::default()
            };
            start(&config, &cli.aws, &cluster, dry_run, request, wait).await
        }
        Command::ScaleUp {
            cluster,
            to,
            method,
            scale_old_writer,
            dry_run,
            wait,
        } => {
            let request = StartRequest {
                writer_class: Some(to),
                method,
                scale_old_writer,
            };
            start(&config, &cli.aws, &cluster, dry_run, request, wait).await
        }
        Command::Status { execution } => status(&config, &cli.aws, &execution).await,
        Command::Runs {
            cluster,
            limit,
            json,
        } => runs(&config, &cli.aws, cluster, limit, json).await,
        Command::Dr { command } => crate::dr::run(&config, &cli.aws, command).await,
        Command::Backups {
            resource,
            copy_region,
            rpo_minutes,
            json,
        } => {
            backups(
                &config,
                resource.as_deref(),
                &copy_region,
                rpo_minutes,
                json,
            )
            .await
        }
    }
}

/// `backups`: the protected resources of this region, and their newest copies here and
/// in the copy region.
async fn backups(
    config: &SdkConfig,
    resource: Option<&str>,
    copy_region: &str,
    rpo_minutes: u32,
    as_json: bool,
) -> Result<u8, Failure> {
    if !failback_core::trigger::is_region(copy_region) {
        return Err(Failure::InvalidInput(format!(
            "--copy-region {copy_region:?} is not a region name"
        )));
    }
    if let Some(id) = resource {
        failback_core::identifier::validate_identifier(id)
            .map_err(|e| Failure::InvalidInput(format!("{id:?}: {e}")))?;
    }
    let here = config.region().map(|r| r.to_string()).unwrap_or_default();
    let home = Rds::from_conf(config);
    let copies = Rds::from_conf(
        &config
            .clone()
            .into_builder()
            .region(aws_config::Region::new(copy_region.to_string()))
            .build(),
    );
    let now = failback_core::clock::epoch_now();
    let rpo = f64::from(rpo_minutes) * 60.0;
    let mut ages = copy_ages(&home, &home, &here, resource, now, rpo).await?;
    let copied = copy_ages(&home, &copies, copy_region, resource, now, rpo).await?;
    let holds = !copied.is_empty() && copied.iter().all(|c| c.within_rpo);
    ages.extend(copied);
    if resource.is_some() && ages.is_empty() {
        return Err(Failure::InvalidInput(format!(
            "{} is not a protected cluster or instance here (tag {}=true)",
            resource.unwrap_or_default(),
            failback_core::dr::rpo::TAG_BACKUP
        )));
    }
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&ages).unwrap_or_default()
        );
    } else {
        print!("{}", render::backups(&ages, rpo_minutes));
    }
    Ok(if holds {
        0
    } else {
        crate::failure::EXIT_NOT_RESTORED
    })
}

async fn cluster(rds: &Rds, cluster_id: &str) -> Result<ClusterView, Failure> {
    let cluster_id = valid_cluster_id(cluster_id)?;
    rds.cluster(&cluster_id)
        .await?
        .ok_or(Failure::ClusterNotFound(cluster_id))
}

async fn plan(
    config: &SdkConfig,
    args: &AwsArgs,
    cluster_id: &str,
    writer_class: Option<String>,
    as_json: bool,
) -> Result<u8, Failure> {
    let rds = Rds::from_conf(config);
    let cluster = cluster(&rds, cluster_id).await?;
    // The same input a person gives StartExecution, through the same parser and planner.
    let request = parse_trigger(
        &json!({"clusterId": cluster.cluster_id, "writerClass": writer_class, "dryRun": true}),
        &setup::home(config),
    )?;
    let policy = setup::deployment_policy(config, args).await?;
    match plan_restore(&cluster, &request, PLAN_RUN_NAME, &policy, epoch_now()) {
        Ok(plan) if as_json => println!(
            "{}",
            serde_json::to_string_pretty(&plan).unwrap_or_default()
        ),
        Ok(plan) => print!("{}", render::printable(&render::plan(&cluster, &plan))),
        Err(settling) => println!("{settling}"),
    }
    Ok(0)
}

async fn enable(
    config: &SdkConfig,
    cluster_id: &str,
    writer_class: Option<String>,
) -> Result<u8, Failure> {
    let writer_class = writer_class
        .map(|c| valid_writer_class(&c, "--writer-class"))
        .transpose()?;
    let rds = Rds::from_conf(config);
    let cluster = cluster(&rds, cluster_id).await?;
    let mut wanted = BTreeMap::from([(TAG_ENABLED.to_string(), "true".to_string())]);
    if let Some(class) = writer_class {
        wanted.insert(TAG_WRITER_CLASS.to_string(), class);
    }
    let changes: BTreeMap<String, String> = wanted
        .into_iter()
        .filter(|(key, value)| cluster.tags.get(key) != Some(value))
        .collect();
    if !changes.is_empty() {
        rds.add_tags(&cluster_arn(&cluster)?, &changes).await?;
    }
    for (key, value) in &tag_change_report(&cluster, &changes) {
        println!("{}: {key}  {value}", cluster.cluster_id);
    }
    Ok(0)
}

fn tag_change_report(
    cluster: &ClusterView,
    changes: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let mut report: Vec<(String, String)> = changes
        .iter()
        .map(|(key, new)| {
            let old = cluster
                .tags
                .get(key)
                .map(String::as_str)
                .unwrap_or("(unset)");
            (key.clone(), format!("{old} -> {new}"))
        })
        .collect();
    if changes.is_empty() {
        report.push((
            TAG_ENABLED.to_string(),
            "already true; nothing changed".to_string(),
        ));
    }
    report
}

async fn disable(config: &SdkConfig, cluster_id: &str) -> Result<u8, Failure> {
    let rds = Rds::from_conf(config);
    let cluster = cluster(&rds, cluster_id).await?;
    let present: Vec<&str> = [TAG_ENABLED, TAG_WRITER_CLASS]
        .into_iter()
        .filter(|k| cluster.tags.contains_key(*k))
        .collect();
    if present.is_empty() {
        println!("{}: not enabled; nothing changed", cluster.cluster_id);
        return Ok(0);
    }
    rds.remove_tags(&cluster_arn(&cluster)?, &present).await?;
    for key in present {
        println!(
            "{}: {key}  {} -> (removed)",
            cluster.cluster_id,
            cluster
                .tags
                .get(key)
                .map(String::as_str)
                .unwrap_or_default()
        );
    }
    Ok(0)
}

fn cluster_arn(cluster: &ClusterView) -> Result<String, Failure> {
    cluster.arn.clone().ok_or_else(|| {
        Failure::Aws(format!(
            "RDS returned no ARN for cluster {}",
            cluster.cluster_id
        ))
    })
}

/// `cli-<cluster>-<hash of the input>-<10-minute window>`: the same request started twice
/// in a window has one name, and Step Functions answers the second start with the first
/// execution instead of starting another.
pub fn start_run_name(cluster_id: &str, input: &str, now_seconds: u64) -> String {
    let cluster: String = cluster_id.chars().take(48).collect();
    format!(
        "cli-{cluster}-{}-{}",
        short_hash(input),
        now_seconds / START_DEDUPLICATION_SECONDS
    )
}

/// What a manual start asks for besides the cluster.
#[derive(Debug, Default)]
struct StartRequest {
    writer_class: Option<String>,
    method: Option<String>,
    scale_old_writer: bool,
}

async fn start(
    config: &SdkConfig,
    args: &AwsArgs,
    cluster_id: &str,
    dry_run: bool,
    request: StartRequest,
    wait: bool,
) -> Result<u8, Failure> {
    let mut input = json!({"clusterId": cluster_id, "dryRun": dry_run});
    if let Some(class) = request.writer_class {
        input["writerClass"] = json!(class);
    }
    if let Some(method) = request.method {
        input["method"] = json!(method);
    }
    if request.scale_old_writer {
        input["scaleOldWriter"] = json!(true);
    }
    // Refuse here what the workflow would refuse.
    let request = parse_trigger(&input, &setup::home(config))?;
    let input = serde_json::to_string(&input).unwrap_or_default();
    let state_machine = setup::state_machine_arn(config, args).await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let run_name = start_run_name(&request.cluster_id, &input, now);
    let executions = Executions::from_conf(config);
    let execution_arn = match executions.start(&state_machine, &run_name, &input).await {
        Ok(arn) => arn,
        Err(StartFailure::AlreadyExists(_)) => {
            return Err(Failure::InvalidInput(format!(
                "run {run_name} already ran in the last {} minutes; see `aurora-failback status {run_name}`",
                START_DEDUPLICATION_SECONDS / 60
            )));
        }
        Err(other) => return Err(other.into()),
    };
    println!("Started run {run_name}\n  {execution_arn}");
    if !wait {
        return Ok(0);
    }
    follow(&executions, &execution_arn).await?;
    let (outcome, summary) = outcome_of(
        config,
        args,
        &executions,
        &execution_arn,
        &request.cluster_id,
        &run_name,
    )
    .await?;
    println!("Outcome: {} ({})", outcome, render::printable(&summary));
    Ok(exit_code(outcome))
}

/// `start --wait`'s exit code by the run's outcome.
pub fn exit_code(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Restored | Outcome::NoOp | Outcome::DryRun => 0,
        Outcome::Skipped => EXIT_NOT_RESTORED,
        Outcome::Failed | Outcome::Running => EXIT_RUN_FAILED,
    }
}

fn poll_interval() -> Duration {
    // Tests shorten it; a person's terminal polls every two seconds.
    let millis = std::env::var("AURORA_FAILBACK_POLL_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    Duration::from_millis(millis)
}

pub async fn follow(executions: &Executions, execution_arn: &str) -> Result<(), Failure> {
    let mut shown = 0;
    let terminal = std::io::stdout().is_terminal();
    let begun = std::time::Instant::now();
    loop {
        let events = executions.history(execution_arn).await?;
        let started = events.first().map(|e| e.at).unwrap_or_default();
        if terminal {
            print!("\r\x1b[2K");
        }
        for event in events.iter().skip(shown) {
            if let Some(line) = render::run_event(event, started) {
                println!("{}", render::printable(&line));
            }
        }
        shown = events.len();
        if events.iter().any(RunEvent::ends_execution) {
            return Ok(());
        }
        if terminal {
            let current = events.iter().rev().find_map(|e| match &e.kind {
                RunEventKind::StateEntered { state } => Some(state.as_str()),
                _ => None,
            });
            print!(
                "  ... {:.0}s, in {}",
                begun.elapsed().as_secs_f64(),
                render::printable(current.unwrap_or("start"))
            );
            let _ = std::io::stdout().flush();
        }
        tokio::time::sleep(poll_interval()).await;
    }
}

/// The run's outcome: from the execution's output, else the ledger, else its status.
async fn outcome_of(
    config: &SdkConfig,
    args: &AwsArgs,
    executions: &Executions,
    execution_arn: &str,
    cluster_id: &str,
    run_name: &str,
) -> Result<(Outcome, String), Failure> {
    let described = executions.describe(execution_arn).await?;
    let output = described.output.unwrap_or_default();
    let from_output = output
        .pointer("/result/outcome")
        .and_then(|o| serde_json::from_value::<Outcome>(o.clone()).ok());
    if let Some(outcome) = from_output {
        let summary = output
            .pointer("/result/summary")
            .and_then(Value::as_str)
            .unwrap_or_default();
        return Ok((outcome, summary.to_string()));
    }
    if let Ok(table) = setup::ledger_table(config, args).await {
        let ledger = Ledger::from_conf(config, table);
        if let Ok(records) = ledger.runs(cluster_id).await {
            if let Some(record) = records.iter().find(|r| r.run_name == run_name) {
                return Ok((record.outcome, record.summary.clone().unwrap_or_default()));
            }
        }
    }
    Ok((Outcome::Failed, format!("execution {}", described.status)))
}

async fn status(config: &SdkConfig, args: &AwsArgs, execution: &str) -> Result<u8, Failure> {
    let machine = if execution.starts_with("arn:") {
        None
    } else {
        Some(setup::state_machine_arn(config, args).await?)
    };
    show_status(config, &execution_arn(machine.as_deref(), execution)).await
}

/// The execution's ARN: as given, or its name on `machine`.
pub fn execution_arn(machine: Option<&str>, execution: &str) -> String {
    match machine {
        Some(machine) if !execution.starts_with("arn:") => {
            machine.replacen(":stateMachine:", ":execution:", 1) + ":" + execution
        }
        _ => execution.to_string(),
    }
}

/// Prints where an execution is, step by step.
pub async fn show_status(config: &SdkConfig, execution_arn: &str) -> Result<u8, Failure> {
    let executions = Executions::from_conf(config);
    let described = executions.describe(execution_arn).await?;
    println!("Run {}: {}", described.name, described.status);
    println!("  input {}", render::printable(&described.input));
    let events = executions.history(execution_arn).await?;
    let started = events.first().map(|e| e.at).unwrap_or_default();
    for line in events.iter().filter_map(|e| render::run_event(e, started)) {
        println!("{}", render::printable(&line));
    }
    Ok(0)
}

async fn runs(
    config: &SdkConfig,
    args: &AwsArgs,
    cluster_id: Option<String>,
    limit: usize,
    as_json: bool,
) -> Result<u8, Failure> {
    let table = setup::ledger_table(config, args).await?;
    let ledger = Ledger::from_conf(config, &table);
    let found = match &cluster_id {
        Some(id) => ledger.runs(&valid_cluster_id(id)?).await,
        None => ledger.all_runs().await,
    };
    let mut records: Vec<RunRecord> = match found {
        Ok(records) => records,
        Err(AwsFailure::Refused { code, .. }) if code == "ResourceNotFoundException" => {
            return Err(Failure::TableNotFound(table))
        }
        Err(other) => return Err(other.into()),
    };
    records.truncate(limit);
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&records).unwrap_or_default()
        );
    } else {
        print!("{}", render::runs(&records));
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_start_in_the_same_window_has_the_same_name() {
        let input = r#"{"clusterId":"orders","dryRun":false}"#;
        let first = start_run_name("orders", input, 1_000_200);
        assert_eq!(first, start_run_name("orders", input, 1_000_399));
        assert_ne!(
            first,
            start_run_name("orders", input, 1_000_800),
            "next window"
        );
        assert_ne!(
            first,
            start_run_name(
                "orders",
                r#"{"clusterId":"orders","dryRun":true}"#,
                1_000_200
            )
        );
        assert!(first.len() <= 80);
        assert!(start_run_name(&"a".repeat(63), input, u64::MAX).len() <= 80);
    }
}
