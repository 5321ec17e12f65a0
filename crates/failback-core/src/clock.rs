//! Time as the run records it: epoch seconds inside, ISO 8601 in the ledger.

use aws_sdk_dynamodb::primitives::{DateTime, DateTimeFormat};

/// Seconds since the Unix epoch, with a fraction; a parameter so the handlers stay testable.
pub type EpochSeconds = f64;

pub fn epoch_now() -> EpochSeconds {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

/// Whole milliseconds, as Step Functions writes `$$.Execution.StartTime`.
pub fn iso8601(epoch_seconds: EpochSeconds) -> String {
    DateTime::from_millis((epoch_seconds * 1000.0).round() as i64)
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_default()
}

pub fn parse_iso8601(text: &str) -> Option<EpochSeconds> {
    DateTime::from_str(text, DateTimeFormat::DateTime)
        .ok()
        .map(|t| t.as_secs_f64())
}
