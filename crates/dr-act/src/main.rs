//! dr-act Lambda: moves a global database's writer, once, if the plan still says so.
use failback_core::dr::observe::DrServices;
use failback_core::dr::resource::dr_act;
use lambda_runtime::Error;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let aws = DrServices::from_conf(&config);
    failback_core::lambda::serve(move |payload, home| {
        let aws = aws.clone();
        async move { dr_act(&aws, &home, payload).await }
    })
    .await
}
