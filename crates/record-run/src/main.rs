//! record-run Lambda: the per-cluster lease and the run ledger.
use failback_core::clock::epoch_now;
use failback_core::failback::steps::record_run::record_run;
use failback_core::ledger::Ledger;
use lambda_runtime::Error;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let table = std::env::var("LEDGER_TABLE")
        .map_err(|_| "LEDGER_TABLE must name the ledger DynamoDB table")?;
    let ledger = Ledger::from_conf(&config, table);
    failback_core::lambda::serve(move |payload, home| {
        let ledger = ledger.clone();
        async move { record_run(&ledger, &home, epoch_now(), payload).await }
    })
    .await
}
