//! One module per Lambda: its input, output, error type and handler. Each handler
//! takes the raw JSON payload so that malformed input is a typed `InvalidInput`
//! error, never a runtime deserialisation failure or a panic.

pub mod check_status;
pub mod create_reader;
pub mod describe_writer;
pub mod failover;
pub mod record_run;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::trigger::InvalidInput;

pub(crate) fn parse_input<T: DeserializeOwned>(
    payload: Value,
    step: &str,
) -> Result<T, InvalidInput> {
    serde_json::from_value(payload).map_err(|e| InvalidInput(format!("{step} input: {e}")))
}

pub(crate) use crate::outcome::valid_run_name;
