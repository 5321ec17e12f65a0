//! backup-watch: on a schedule, the age of the newest restorable copy of every protected
//! cluster and instance in the copy (DR) region, against the RPO. Reads only. Publishes
//! `NewestCopyAgeSeconds` per resource and `CopiesOutsideRpo`, which the stack's alarm
//! watches (a missing check counts as outside).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock::EpochSeconds;
use crate::dr::observe::copy_ages;
use crate::dr::rpo::CopyAge;
use crate::errors::{AwsFailure, StepError};
use crate::rds::Rds;
use crate::trigger::InvalidInput;

/// Every error name this step can return besides the common ones.
pub const ERROR_NAMES: &[&str] = &[];

#[derive(Debug, Clone)]
pub struct WatchSettings {
    /// Where the copies are (BACKUP_COPY_REGION).
    pub copy_region: String,
    /// BACKUP_RPO_MINUTES, in seconds.
    pub rpo_seconds: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    #[error(transparent)]
    Aws(#[from] AwsFailure),
}

impl StepError for WatchError {
    fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => crate::errors::INVALID_INPUT,
            Self::Aws(aws) => aws.error_type(),
        }
    }
}

/// The schedule sends `{}`; nothing else is accepted, so a mistyped option is not
/// silently ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WatchInput {}

/// backup-watch's validated input. Pure, so it can be fuzzed.
pub fn read_watch_input(payload: Value) -> Result<(), InvalidInput> {
    // serde reads an empty struct from `[]` too; the schedule sends an object.
    if !payload.is_object() {
        return Err(InvalidInput(format!(
            "backup-watch takes {{}}, not {}",
            payload.to_string().chars().take(80).collect::<String>()
        )));
    }
    let _: WatchInput = crate::failback::steps::parse_input(payload, "backup-watch")?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupReport {
    pub copy_region: String,
    pub rpo_seconds: f64,
    pub outside_rpo: usize,
    pub resources: Vec<CopyAge>,
}

pub async fn backup_watch(
    home: &Rds,
    copies: &Rds,
    settings: &WatchSettings,
    now: EpochSeconds,
    payload: Value,
) -> Result<BackupReport, WatchError> {
    read_watch_input(payload)?;
    let resources = copy_ages(
        home,
        copies,
        &settings.copy_region,
        None,
        now,
        settings.rpo_seconds,
    )
    .await?;
    for line in crate::emf::backup_emf_lines(&resources, now) {
        println!("{line}");
    }
    Ok(BackupReport {
        copy_region: settings.copy_region.clone(),
        rpo_seconds: settings.rpo_seconds,
        outside_rpo: resources.iter().filter(|r| !r.within_rpo).count(),
        resources,
    })
}
