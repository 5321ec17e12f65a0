//! dr-readiness Lambda: the DR plan of a stored payload, on a schedule. Reads only.
use failback_core::dr::observe::DrServices;
use failback_core::dr::readiness::{dr_readiness, ReadinessSettings};
use failback_core::dr::validate::ValidateSettings;
use failback_core::references::References;
use lambda_runtime::Error;

/// The lag allowed when DR_READINESS_MAX_LAG_SECONDS is unset.
const DEFAULT_MAX_LAG_SECONDS: u64 = 60;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let aws = DrServices::from_conf(&config);
    let references = References::from_conf(&config);
    let max_lag_seconds = match std::env::var("DR_READINESS_MAX_LAG_SECONDS") {
        Ok(text) => text.trim().parse::<u64>().map_err(|e| {
            format!("DR_READINESS_MAX_LAG_SECONDS {text:?} is not a whole number of seconds: {e}")
        })?,
        Err(_) => DEFAULT_MAX_LAG_SECONDS,
    };
    let settings = ReadinessSettings {
        validate: ValidateSettings {
            ssm_path_prefix: std::env::var("DR_PARAMETER_PATH_PREFIX")
                .ok()
                .filter(|p| !p.is_empty()),
        },
        max_lag_ms: max_lag_seconds.saturating_mul(1000),
    };
    failback_core::lambda::serve(move |payload, home| {
        let (aws, references, settings) = (aws.clone(), references.clone(), settings.clone());
        async move { dr_readiness(&aws, &references, &home, &settings, payload).await }
    })
    .await
}
