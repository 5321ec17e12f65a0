//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "aurora-failback",
    version,
    about = "Restore an Aurora cluster's writer class after a failover",
    after_long_help = LONG_HELP_FOOTER
)]
pub struct Cli {
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Shown by `--help` after the options; `-h` stays short.
pub const LONG_HELP_FOOTER: &str = "\
Examples:
  aurora-failback plan orders                  what a restore would do now (reads only)
  aurora-failback start orders --wait          restore now and follow the run to its end
  aurora-failback dr plan payload.json         what a DR payload would do here now (reads only)

Exit codes:
  0   done: restored, nothing needed, or a dry run
  1   AWS failed the call          2   the input was refused
  3   start --wait: the run skipped the cluster (see its reason)
  4   start --wait: the run failed
  10  no AWS credentials           11  no region
  12  cluster not found            13  state machine not found
  14  access denied                15  throttled, even after retries
  16  ledger table not found       17  execution not found";

#[derive(Debug, Args)]
#[command(next_help_heading = "AWS and deployment")]
pub struct AwsArgs {
    /// AWS profile (else the standard chain: AWS_PROFILE, environment, instance role).
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// AWS region (else AWS_REGION or the profile's region).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// The deployed state machine's ARN (else read from the stack's outputs).
    #[arg(long, global = true, env = "AURORA_FAILBACK_STATE_MACHINE")]
    pub state_machine: Option<String>,
    /// The deployed DR state machine's ARN (else read from the stack's outputs).
    #[arg(long, global = true, env = "AURORA_FAILBACK_DR_STATE_MACHINE")]
    pub dr_state_machine: Option<String>,
    /// The ledger table's name (else read from the stack's outputs).
    #[arg(long, global = true, env = "AURORA_FAILBACK_TABLE")]
    pub table: Option<String>,
    /// The CloudFormation stack aurora-failback was deployed as (the name the README's SAM
    /// and CDK instructions deploy).
    #[arg(
        long,
        global = true,
        env = "AURORA_FAILBACK_STACK",
        default_value = "aurora-failback"
    )]
    pub stack: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// What a restore would do to CLUSTER now. Reads only.
    Plan {
        /// The Aurora cluster: its identifier or ARN.
        cluster: String,
        /// The class the writer should have (else the cluster's tag, else its largest instance).
        #[arg(long)]
        writer_class: Option<String>,
        /// Print the plan as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Opt CLUSTER in to automatic restores (sets its aurora-failback tags).
    Enable {
        /// The Aurora cluster: its identifier or ARN.
        cluster: String,
        /// Also record the class the writer should have (tag aurora-failback:writer-class).
        #[arg(long)]
        writer_class: Option<String>,
    },
    /// Opt CLUSTER out (removes its aurora-failback tags).
    Disable {
        /// The Aurora cluster: its identifier or ARN.
        cluster: String,
    },
    /// Start a restore of CLUSTER on the deployed state machine.
    Start {
        /// The Aurora cluster: its identifier or ARN.
        cluster: String,
        /// Plan only; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// The class the writer should have (else the cluster's tag, else its largest instance).
        #[arg(long)]
        writer_class: Option<String>,
        /// Follow the run until it ends; exit 0 only if the writer was restored or nothing was needed.
        #[arg(long)]
        wait: bool,
    },
    /// Planned scale-up without downtime: give CLUSTER a writer of CLASS. Changes a spare
    /// reader in place (or creates one when none can be spared), then fails over to it
    /// once: typically 20-40 s of dropped connections.
    ScaleUp {
        /// The cluster to scale up.
        cluster: String,
        /// The writer class to end with, e.g. db.r6g.4xlarge.
        #[arg(long = "to")]
        to: String,
        /// How: change a spare reader in place (modify) or add a new reader (create);
        /// by default the plan chooses modify when a reader can be spared.
        #[arg(long, value_parser = ["modify", "create"])]
        method: Option<String>,
        /// After the failover, change the old writer to CLASS too (promotion tier 1), so
        /// the next failover does not shrink capacity.
        #[arg(long)]
        scale_old_writer: bool,
        /// Plan only; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Follow the run until it ends; exit 0 only if the writer now has the class.
        #[arg(long)]
        wait: bool,
    },
    /// Where a run is, step by step (execution ARN or name).
    Status {
        /// The run: its execution ARN, or its name on the deployed state machine.
        execution: String,
    },
    /// Cross-region disaster recovery: run a DR Orchestrator payload in this region.
    Dr {
        #[command(subcommand)]
        command: DrCommand,
    },
    /// Cold standby: for each protected cluster and instance (tag
    /// aurora-failback:backup=true), the newest restorable copy here and in the copy
    /// region, how old it is, and whether the RPO holds. Reads only; exit 3 when a copy
    /// in the copy region is missing or too old.
    Backups {
        /// Only this cluster or instance (identifier).
        resource: Option<String>,
        /// The region the copies are kept in (the DR region).
        #[arg(long)]
        copy_region: String,
        /// The recovery point objective: how old the newest copy may be, in minutes.
        #[arg(long, default_value_t = 180)]
        rpo_minutes: u32,
        /// Print the copies as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The ledger's history of runs.
    Runs {
        /// Only this cluster's runs (identifier); else every cluster's, newest first.
        #[arg(long)]
        cluster: Option<String>,
        /// How many runs to show at most.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Print the run records as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DrCommand {
    /// What running PAYLOAD here would do now, resource by resource: its resolved
    /// parameters, the state of each global database, the call it would make and whether
    /// its preconditions hold. Reads only; doubles as a readiness check.
    Plan {
        /// A DR Orchestrator payload file ({"StatePayload": [...]}).
        payload: PathBuf,
        /// Print the plan as JSON.
        #[arg(long)]
        json: bool,
        /// A resource whose replication lag (as CloudWatch reports it) is above this is
        /// not ready.
        #[arg(long, default_value_t = 60)]
        max_lag_seconds: u64,
    },
    /// Start PAYLOAD on the deployed DR state machine of this region.
    Start {
        /// A DR Orchestrator payload file ({"StatePayload": [...]}).
        payload: PathBuf,
        /// Plan every resource; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Follow the run layer by layer and resource by resource; exit 0 only if every
        /// resource reached its target (or the run was a dry run).
        #[arg(long)]
        wait: bool,
    },
    /// Where a DR run is, step by step (execution ARN or name).
    Status {
        /// The DR run: its execution ARN, or its name on the deployed DR state machine.
        execution: String,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every argument and flag of every subcommand says what it does in `--help`.
    #[test]
    fn every_argument_has_help_text() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in command.get_subcommands() {
                if sub.get_about().is_none() {
                    missing.push(format!("{path} {} (the subcommand)", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "aurora-failback", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:?}");
        Cli::command().debug_assert();
    }
}
