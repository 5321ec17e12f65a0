//! backup-watch Lambda: the age of the newest restorable copy of every protected cluster
//! and instance in the copy region, on a schedule. Reads only.
use aws_config::Region;
use failback_core::dr::backup_watch::{backup_watch, WatchSettings};
use failback_core::rds::Rds;
use lambda_runtime::Error;

/// The RPO when BACKUP_RPO_MINUTES is unset: the default schedule (every 2 hours) plus
/// an hour for the copy.
const DEFAULT_RPO_MINUTES: u32 = 180;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let copy_region = std::env::var("BACKUP_COPY_REGION")
        .map_err(|_| "BACKUP_COPY_REGION is not set: the region the copies are in")?;
    let rpo_minutes = match std::env::var("BACKUP_RPO_MINUTES") {
        Ok(text) => text.trim().parse::<u32>().map_err(|e| {
            format!("BACKUP_RPO_MINUTES {text:?} is not a whole number of minutes: {e}")
        })?,
        Err(_) => DEFAULT_RPO_MINUTES,
    };
    let home = Rds::from_conf(&config);
    let copies = Rds::from_conf(
        &config
            .clone()
            .into_builder()
            .region(Region::new(copy_region.clone()))
            .build(),
    );
    let settings = WatchSettings {
        copy_region,
        rpo_seconds: f64::from(rpo_minutes) * 60.0,
    };
    failback_core::lambda::serve(move |payload, _home| {
        let (home, copies, settings) = (home.clone(), copies.clone(), settings.clone());
        let now = failback_core::clock::epoch_now();
        async move { backup_watch(&home, &copies, &settings, now, payload).await }
    })
    .await
}
