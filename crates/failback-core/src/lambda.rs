//! How every step Lambda is served: the raw payload read strictly, the handler run on
//! its own task, and every failure reported under one of our error names.

use std::future::Future;

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde::Serialize;
use serde_json::Value;

use crate::errors::{to_diagnostic, StepError, INTERNAL, INVALID_INPUT};
use crate::payload::RawPayload;
use crate::trigger::Home;

/// Runs `handler` for every invocation until the runtime stops. The handler gets the
/// parsed payload and where the function runs (from its own ARN, no AWS call).
pub async fn serve<H, Fut, T, E>(handler: H) -> Result<(), lambda_runtime::Error>
where
    H: Fn(Value, Home) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: Serialize + Send + 'static,
    E: StepError + Send + 'static,
{
    lambda_runtime::run(service_fn(move |event: LambdaEvent<RawPayload>| {
        let handler = handler.clone();
        async move { invoke(handler, event).await }
    }))
    .await
}

async fn invoke<H, Fut, T, E>(handler: H, event: LambdaEvent<RawPayload>) -> Result<T, Diagnostic>
where
    H: Fn(Value, Home) -> Fut,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: StepError + Send + 'static,
{
    let payload = event.payload.parse().map_err(|e| Diagnostic {
        error_type: INVALID_INPUT.into(),
        error_message: e.0,
    })?;
    let home =
        Home::from_function_arn(&event.context.invoked_function_arn).map_err(|e| Diagnostic {
            error_type: INTERNAL.into(),
            error_message: format!("cannot tell where this function runs: {e}"),
        })?;
    // On its own task, so that a panic (there should be none) ends this invocation with
    // an error named `Internal` rather than a Rust type path.
    match tokio::spawn(handler(payload, home)).await {
        Ok(Ok(output)) => Ok(output),
        Ok(Err(error)) => Err(to_diagnostic(error)),
        Err(joined) => {
            tracing::error!(error = %joined, "the handler panicked");
            Err(Diagnostic {
                error_type: INTERNAL.into(),
                error_message: format!("the handler failed unexpectedly: {joined}"),
            })
        }
    }
}

/// Reads a true/false setting from the environment; anything else stops the function
/// at start-up with a clear message.
pub fn env_flag(name: &str) -> Result<bool, lambda_runtime::Error> {
    match std::env::var(name).as_deref() {
        Err(_) | Ok("") | Ok("false") => Ok(false),
        Ok("true") => Ok(true),
        Ok(other) => Err(format!("{name} must be true or false, not {other:?}").into()),
    }
}

/// Reads a whole number of seconds from the environment, with a default.
pub fn env_seconds(name: &str, default: u64) -> Result<u64, lambda_runtime::Error> {
    match std::env::var(name).as_deref() {
        Err(_) | Ok("") => Ok(default),
        Ok(text) => text
            .parse()
            .map_err(|_| format!("{name} must be a whole number of seconds, not {text:?}").into()),
    }
}
