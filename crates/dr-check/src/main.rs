//! dr-check Lambda: what a DR resource needs now, and whether it is done. Reads only.
use failback_core::dr::resource::dr_check;
use failback_core::rds::Rds;
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let rds = Rds::from_conf(&config);
    failback_core::lambda::serve(move |payload, home| {
        let rds = rds.clone();
        async move { dr_check(&rds, &home, payload).await }
    })
    .await
}
