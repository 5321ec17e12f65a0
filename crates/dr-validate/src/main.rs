//! dr-validate Lambda: reads a DR Orchestrator payload, looks up its references, checks it whole.
use failback_core::dr::validate::{validate, ValidateSettings};
use failback_core::references::References;
use lambda_runtime::Error;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let references = References::from_conf(&config);
    let settings = ValidateSettings {
        ssm_path_prefix: std::env::var("DR_PARAMETER_PATH_PREFIX")
            .ok()
            .filter(|p| !p.is_empty()),
    };
    failback_core::lambda::serve(move |payload, home| {
        let references = references.clone();
        let settings = settings.clone();
        async move { validate(&references, &home, &settings, payload).await }
    })
    .await
}
