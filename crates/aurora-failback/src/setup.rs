//! AWS configuration, checked before anything else, and where the deployment is.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;

use failback_core::failback::plan::PlanPolicy;
use failback_core::trigger::Home;

use crate::cli::AwsArgs;
use crate::deployment::Stacks;
use crate::failure::Failure;

/// Loads the standard AWS configuration (profile, region, AWS_ENDPOINT_URL) and makes sure
/// it has a region and credentials, so those problems are named, not reported as a
/// failed call.
pub async fn connect(args: &AwsArgs) -> Result<SdkConfig, Failure> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = &args.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &args.region {
        loader = loader.region(Region::new(region.clone()));
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return Err(Failure::NoRegion);
    }
    let provider = config
        .credentials_provider()
        .ok_or_else(|| Failure::NoCredentials("no credentials provider".into()))?;
    provider
        .provide_credentials()
        .await
        .map_err(|e| Failure::NoCredentials(first_line(&e)))?;
    Ok(config)
}

fn first_line(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    if let Some(source) = error.source() {
        text = format!("{text}: {source}");
    }
    text.lines().next().unwrap_or_default().to_string()
}

/// The state machine: the flag or environment variable, else the stack's output.
pub async fn state_machine_arn(config: &SdkConfig, args: &AwsArgs) -> Result<String, Failure> {
    if let Some(arn) = &args.state_machine {
        return Ok(arn.clone());
    }
    stack_output(config, &args.stack, "StateMachineArn").await?.ok_or_else(|| {
        Failure::StateMachineNotFound(format!(
            "pass --state-machine, set AURORA_FAILBACK_STATE_MACHINE, or deploy stack {} (see --stack)",
            args.stack
        ))
    })
}

/// The DR state machine: the flag or environment variable, else the stack's output.
pub async fn dr_state_machine_arn(config: &SdkConfig, args: &AwsArgs) -> Result<String, Failure> {
    if let Some(arn) = &args.dr_state_machine {
        return Ok(arn.clone());
    }
    stack_output(config, &args.stack, "DrStateMachineArn").await?.ok_or_else(|| {
        Failure::StateMachineNotFound(format!(
            "pass --dr-state-machine, set AURORA_FAILBACK_DR_STATE_MACHINE, or deploy stack {} (see --stack) in this region",
            args.stack
        ))
    })
}

/// The ledger table: the flag or environment variable, else the stack's output.
pub async fn ledger_table(config: &SdkConfig, args: &AwsArgs) -> Result<String, Failure> {
    if let Some(table) = &args.table {
        return Ok(table.clone());
    }
    stack_output(config, &args.stack, "LedgerTableName")
        .await?
        .ok_or_else(|| {
            Failure::TableNotFound(format!(
                "pass --table, set AURORA_FAILBACK_TABLE, or deploy stack {} (see --stack)",
                args.stack
            ))
        })
}

/// Where the CLI runs: the configured region (the account is not known without a call).
pub fn home(config: &SdkConfig) -> Home {
    Home::for_region(config.region().map(|r| r.as_ref()).unwrap_or_default())
}

/// What the deployed stack allows, so that `plan` answers as the workflow would: its
/// AllowUntaggedManualRuns parameter ("false" where the stack or parameter is missing).
pub async fn deployment_policy(config: &SdkConfig, args: &AwsArgs) -> Result<PlanPolicy, Failure> {
    let stack = Stacks::from_conf(config).stack(&args.stack).await?;
    let allowed = stack.and_then(|s| s.parameters.get("AllowUntaggedManualRuns").cloned());
    Ok(PlanPolicy {
        allow_untagged_manual_runs: allowed.as_deref() == Some("true"),
        ..PlanPolicy::default()
    })
}

async fn stack_output(
    config: &SdkConfig,
    stack: &str,
    key: &str,
) -> Result<Option<String>, Failure> {
    let stack = Stacks::from_conf(config).stack(stack).await?;
    Ok(stack.and_then(|s| s.outputs.get(key).cloned()))
}
