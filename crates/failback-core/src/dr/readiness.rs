//! dr-readiness: the DR plan of a stored payload, run on a schedule, so that the day a
//! region fails is not the day someone learns a replica lags or a name is wrong. Reads
//! only. Publishes per resource whether a DR run started now would go through, why not,
//! and the replication lag AWS reports; the stack's alarm watches the count not ready.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::dr::observe::{DrServices, Lag};
use crate::dr::payload::is_ssm_name;
use crate::dr::plan::{plan_request, readiness_of, ResourceReadiness};
use crate::dr::request::checked_request;
use crate::dr::validate::{validate, ValidateError, ValidateSettings};
use crate::errors::{AwsFailure, StepError};
use crate::references::References;
use crate::trigger::{Home, InvalidInput};

/// Every error name this step can return besides the common ones.
pub const ERROR_NAMES: &[&str] = &[];

/// Where the payload to check is kept.
#[derive(Debug, Clone, PartialEq)]
pub enum PayloadSource {
    /// An SSM parameter holding the payload's JSON (the schedule's usual input).
    Parameter(String),
    /// The payload itself, as a schedule's input written from a file at deploy time.
    Inline(Value),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReadinessInput {
    payload_parameter: Option<String>,
    payload: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct ReadinessSettings {
    pub validate: ValidateSettings,
    /// Above this lag a resource is not ready (DR_READINESS_MAX_LAG_SECONDS).
    pub max_lag_ms: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadinessError {
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    #[error(transparent)]
    Aws(#[from] AwsFailure),
}

impl From<ValidateError> for ReadinessError {
    fn from(error: ValidateError) -> Self {
        match error {
            ValidateError::InvalidInput(invalid) => Self::InvalidInput(invalid),
            ValidateError::Aws(aws) => Self::Aws(aws),
        }
    }
}

impl StepError for ReadinessError {
    fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => crate::errors::INVALID_INPUT,
            Self::Aws(aws) => aws.error_type(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadinessReport {
    /// The parameter's name, or `inline`: the `Payload` dimension of the metrics.
    pub payload: String,
    pub ready: bool,
    pub not_ready: usize,
    pub resources: Vec<ResourceReadiness>,
}

/// The readiness check's validated input. Pure, so it can be fuzzed.
pub fn read_readiness_input(payload: Value) -> Result<PayloadSource, InvalidInput> {
    let input: ReadinessInput = crate::failback::steps::parse_input(payload, "dr-readiness")?;
    match (input.payload_parameter, input.payload) {
        (Some(name), None) if is_ssm_name(&name) => Ok(PayloadSource::Parameter(name)),
        (Some(name), None) => Err(InvalidInput(format!(
            "payloadParameter {:?} is not an SSM parameter name",
            name.chars().take(80).collect::<String>()
        ))),
        (None, Some(payload)) => Ok(PayloadSource::Inline(payload)),
        _ => Err(InvalidInput(
            "dr-readiness takes one of payloadParameter (an SSM parameter name) or payload".into(),
        )),
    }
}

/// The payload's text from its parameter, strictly parsed.
async fn stored_payload(references: &References, name: &str) -> Result<Value, ReadinessError> {
    let names = BTreeSet::from([name.to_string()]);
    let found = references.ssm_parameters(&names).await?;
    let text = found.get(name).ok_or_else(|| {
        InvalidInput(format!(
            "SSM parameter {name} does not exist (or this function may not read it)"
        ))
    })?;
    Ok(crate::payload::parse_strict(text)?)
}

pub async fn dr_readiness(
    aws: &DrServices,
    references: &References,
    home: &Home,
    settings: &ReadinessSettings,
    payload: Value,
) -> Result<ReadinessReport, ReadinessError> {
    let (name, payload) = match read_readiness_input(payload)? {
        PayloadSource::Parameter(name) => {
            let payload = stored_payload(references, &name).await?;
            (name, payload)
        }
        PayloadSource::Inline(payload) => ("inline".to_string(), payload),
    };
    // A payload that does not validate is the first thing that is not ready: it fails
    // the check (and the alarm's missing data counts as not ready).
    let valid = validate(references, home, &settings.validate, payload).await?;
    let mut resources = Vec::new();
    for resource in valid.layers.iter().flat_map(|l| &l.resources) {
        let planned = match checked_request(resource, home) {
            Ok(request) => match aws.observe(&request, Lag::Read).await {
                Ok(seen) => (
                    plan_request(&request, &seen, home)
                        .map_err(|refusal| (refusal.error_type(), refusal.to_string())),
                    seen.lag_ms,
                ),
                Err(failure) => (Err((failure.error_type(), failure.to_string())), None),
            },
            Err(invalid) => (Err((crate::errors::INVALID_INPUT, invalid.0)), None),
        };
        resources.push(readiness_of(
            resource,
            &planned.0,
            planned.1,
            settings.max_lag_ms,
        ));
    }
    for line in crate::emf::readiness_emf_lines(&name, &resources, crate::clock::epoch_now()) {
        println!("{line}");
    }
    let not_ready = resources.iter().filter(|r| !r.ready).count();
    Ok(ReadinessReport {
        payload: name,
        ready: not_ready == 0,
        not_ready,
        resources,
    })
}
