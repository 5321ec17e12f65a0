//! describe-writer Lambda: reads the trigger and the cluster, returns the restore plan.
use failback_core::errors::to_diagnostic;
use failback_core::steps::describe_writer;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let dry_run_only = match std::env::var("DRY_RUN_ONLY").as_deref() {
        Err(_) | Ok("") | Ok("false") => false,
        Ok("true") => true,
        Ok(other) => {
            return Err(format!("DRY_RUN_ONLY must be true or false, not {other:?}").into())
        }
    };
    let settings = describe_writer::DescribeSettings { dry_run_only };
    let rds = failback_core::rds::Rds::from_conf(&config);
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let rds = &rds;
        async move {
            describe_writer::describe_writer(rds, settings, event.payload)
                .await
                .map_err(to_diagnostic)
        }
    }))
    .await
}
