//! dr-validate: the DR machine's first step. Reads the payload, looks up every
//! reference it makes, and checks the whole; the run goes on only if all of it holds.
//! Reads only: nothing is changed, whatever the payload says.

use serde_json::Value;

use crate::dr::payload::{read_payload, resolve_payload, Lookups, ValidLayer, ValidPayload};
use crate::errors::{AwsFailure, StepError};
use crate::references::References;
use crate::trigger::{Home, InvalidInput};

/// Every error name this step can return besides the common ones.
pub const ERROR_NAMES: &[&str] = &[];

#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    #[error(transparent)]
    Aws(#[from] AwsFailure),
}

impl StepError for ValidateError {
    fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => crate::errors::INVALID_INPUT,
            Self::Aws(aws) => aws.error_type(),
        }
    }
}

/// What the deployment lets a payload read: SSM parameters under this path only (the
/// function's IAM policy says the same; checking here names the problem instead of
/// failing the whole lookup with AccessDenied).
#[derive(Debug, Clone, Default)]
pub struct ValidateSettings {
    pub ssm_path_prefix: Option<String>,
}

pub async fn validate(
    references: &References,
    home: &Home,
    settings: &ValidateSettings,
    payload: Value,
) -> Result<ValidPayload, ValidateError> {
    // Structure first: a malformed payload costs no AWS call.
    let read = read_payload(&payload)?;
    if let Some(prefix) = &settings.ssm_path_prefix {
        let outside: Vec<String> = read
            .ssm_names()
            .into_iter()
            .filter(|name| !name.starts_with(prefix.as_str()))
            .collect();
        if !outside.is_empty() {
            return Err(InvalidInput(format!(
                "this deployment reads SSM parameters under {prefix} only (DrParameterPathPrefix); outside it: {}",
                outside.join(", ")
            ))
            .into());
        }
    }
    let mut lookups = Lookups::default();
    if !read.imports().is_empty() {
        lookups.exports = references.exports().await?;
    }
    let ssm_names = read.ssm_names();
    if !ssm_names.is_empty() {
        lookups.ssm = references.ssm_parameters(&ssm_names).await?;
    }
    let layers = resolve_payload(&read, &lookups, home)?;
    Ok(ValidPayload {
        dry_run: read.dry_run,
        layers: layers
            .into_iter()
            .map(|(layer, resources)| ValidLayer { layer, resources })
            .collect(),
    })
}
