//! failover Lambda: moves the writer to the target reader, once.
use failback_core::errors::to_diagnostic;
use failback_core::steps::failover;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let rds = failback_core::rds::Rds::from_conf(&config);
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let rds = &rds;
        async move {
            failover::failover(rds, event.payload)
                .await
                .map_err(to_diagnostic)
        }
    }))
    .await
}
