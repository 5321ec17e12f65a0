//! describe-writer Lambda: reads the trigger and the cluster, returns the restore plan.
use failback_core::clock::epoch_now;
use failback_core::failback::plan::PlanPolicy;
use failback_core::failback::steps::describe_writer::{describe_writer, DescribeSettings};
use failback_core::lambda::{env_flag, env_seconds};
use failback_core::rds::Rds;
use lambda_runtime::Error;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let settings = DescribeSettings {
        dry_run_only: env_flag("DRY_RUN_ONLY")?,
        policy: PlanPolicy {
            max_event_age_seconds: env_seconds(
                "MAX_EVENT_AGE_SECONDS",
                PlanPolicy::DEFAULT_MAX_EVENT_AGE_SECONDS,
            )?,
            allow_untagged_manual_runs: env_flag("ALLOW_UNTAGGED_MANUAL_RUNS")?,
        },
    };
    let rds = Rds::from_conf(&config);
    failback_core::lambda::serve(move |payload, home| {
        let rds = rds.clone();
        async move { describe_writer(&rds, settings, &home, epoch_now(), payload).await }
    })
    .await
}
