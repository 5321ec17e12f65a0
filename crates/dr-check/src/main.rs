//! dr-check Lambda: what a DR resource needs now, and whether it is done. Reads only.
use failback_core::dr::observe::DrServices;
use failback_core::dr::resource::dr_check;
use lambda_runtime::Error;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let aws = DrServices::from_conf(&config);
    failback_core::lambda::serve(move |payload, home| {
        let aws = aws.clone();
        async move { dr_check(&aws, &home, payload).await }
    })
    .await
}
