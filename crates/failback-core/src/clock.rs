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

/// Always three digits of milliseconds (`2026-11-30T05:35:37.440Z`), as Step Functions
/// writes `$$.Execution.StartTime`; the SDK's formatter drops trailing zeros.
pub fn iso8601(epoch_seconds: EpochSeconds) -> String {
    let millis = (epoch_seconds * 1000.0).round() as i64;
    let whole = DateTime::from_secs(millis.div_euclid(1000))
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_default();
    format!(
        "{}.{:03}Z",
        whole.trim_end_matches('Z'),
        millis.rem_euclid(1000)
    )
}

pub fn parse_iso8601(text: &str) -> Option<EpochSeconds> {
    DateTime::from_str(text, DateTimeFormat::DateTime)
        .ok()
        .map(|t| t.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_carry_three_digits_of_milliseconds_and_read_back() {
        for (epoch, text) in [
            (1_795_230_825.0, "2026-11-21T03:13:45.000Z"),
            (1_795_230_825.44, "2026-11-21T03:13:45.440Z"),
            (1_795_230_825.000_4, "2026-11-21T03:13:45.000Z"),
            (0.5, "1970-01-01T00:00:00.500Z"),
        ] {
            assert_eq!(iso8601(epoch), text);
            let back = parse_iso8601(text).unwrap();
            assert!((back - epoch).abs() < 0.001, "{text}");
        }
    }
}
