//! record-run Lambda: the per-cluster lease and the run ledger.
use failback_core::errors::to_diagnostic;
use failback_core::steps::record_run;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let table = std::env::var("LEDGER_TABLE")
        .map_err(|_| "LEDGER_TABLE must name the ledger DynamoDB table")?;
    let ledger = failback_core::ledger::Ledger::from_conf(&config, table);
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let ledger = &ledger;
        async move {
            record_run::record_run(ledger, record_run::epoch_now(), event.payload)
                .await
                .map_err(to_diagnostic)
        }
    }))
    .await
}
