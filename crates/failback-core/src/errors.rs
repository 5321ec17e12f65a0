//! Failures of AWS calls, sorted by what the state machine should do about them, and
//! the conversion of every step's error into the Lambda `Diagnostic` whose
//! `errorType` the state machine's Retry and Catch match.

use aws_sdk_rds::config::http::HttpResponse;
use aws_sdk_rds::error::{ProvideErrorMetadata, SdkError};
use lambda_runtime::Diagnostic;

/// A failed AWS call that no step-specific rule explains.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsFailure {
    #[error("throttled by AWS ({0})")]
    Throttled(String),
    #[error("AWS did not answer in time or answered with a server error ({0})")]
    Unavailable(String),
    #[error("access denied ({0})")]
    AccessDenied(String),
    #[error("AWS refused the call: {code}: {message}")]
    Refused { code: String, message: String },
}

const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "SlowDown",
];

const ACCESS_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
];

impl AwsFailure {
    /// Sorts an SDK error: throttling and server-side trouble are retryable, access and
    /// validation problems are not.
    pub fn from_sdk<E>(err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let code = err.code().unwrap_or_default().to_string();
        let message = err
            .message()
            .map(str::to_string)
            .unwrap_or_else(|| describe_chain(err));
        let status = err.raw_response().map(|r| r.status().as_u16());
        match err {
            SdkError::TimeoutError(_)
            | SdkError::DispatchFailure(_)
            | SdkError::ResponseError(_) => Self::Unavailable(describe_chain(err)),
            _ if THROTTLING_CODES.contains(&code.as_str()) || status == Some(429) => {
                Self::Throttled(message)
            }
            _ if ACCESS_CODES.contains(&code.as_str()) || status == Some(403) => {
                Self::AccessDenied(message)
            }
            _ if status.is_some_and(|s| s >= 500) => {
                Self::Unavailable(format!("HTTP {}: {message}", status.unwrap_or(500)))
            }
            _ => Self::Refused {
                code: if code.is_empty() {
                    "Unknown".into()
                } else {
                    code
                },
                message,
            },
        }
    }

    pub fn error_type(&self) -> &'static str {
        match self {
            Self::Throttled(_) => "Throttled",
            Self::Unavailable(_) => "AwsUnavailable",
            Self::AccessDenied(_) => "AccessDenied",
            Self::Refused { .. } => "AwsRefused",
        }
    }
}

/// The error and its sources in one line; the SDK's Display alone says only "dispatch failure".
fn describe_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The input was malformed or refused by the documented rules; nothing was changed.
pub const INVALID_INPUT: &str = "InvalidInput";
/// A failure that should never happen (a panic); reported under our name, not a type path.
pub const INTERNAL: &str = "Internal";
/// The names every Lambda may return whatever its step: its input refused, a panic, and
/// the four kinds of AWS failure.
pub const COMMON_ERROR_NAMES: &[&str] = &[
    INVALID_INPUT,
    INTERNAL,
    "Throttled",
    "AwsUnavailable",
    "AccessDenied",
    "AwsRefused",
];

/// A step's error with a stable name for Step Functions.
pub trait StepError: std::fmt::Display {
    fn error_type(&self) -> &'static str;
}

/// The Diagnostic a Lambda reports for a step error: `errorType` is the stable name,
/// not a Rust type path that no Retry or Catch could match.
pub fn to_diagnostic<E: StepError>(error: E) -> Diagnostic {
    Diagnostic {
        error_type: error.error_type().to_string(),
        error_message: error.to_string(),
    }
}
