//! failover Lambda: moves the writer to the target, once.
use failback_core::failback::steps::failover::failover;
use failback_core::lambda::env_flag;
use failback_core::rds::Rds;
use lambda_runtime::Error;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let untagged_allowed = env_flag("ALLOW_UNTAGGED_MANUAL_RUNS")?;
    let rds = Rds::from_conf(&config);
    failback_core::lambda::serve(move |payload, _home| {
        let rds = rds.clone();
        async move { failover(&rds, untagged_allowed, payload).await }
    })
    .await
}
