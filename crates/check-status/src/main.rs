//! check-status Lambda: answers pending or ready for the reader and the writer questions.
use failback_core::failback::steps::check_status::check_status;
use failback_core::rds::Rds;
use lambda_runtime::Error;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let rds = Rds::from_conf(&config);
    failback_core::lambda::serve(move |payload, _home| {
        let rds = rds.clone();
        async move { check_status(&rds, payload).await }
    })
    .await
}
