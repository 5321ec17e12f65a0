//! Cold standby: how old the newest restorable copy of each protected cluster or instance
//! is in a region, and whether that is within the recovery point objective. Pure.

use serde::{Deserialize, Serialize};

use crate::clock::{parse_iso8601, EpochSeconds};
use crate::model::SnapshotView;

/// Tag that puts a cluster or instance under the stack's backup plan (and this watch).
pub const TAG_BACKUP: &str = "aurora-failback:backup";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProtectedKind {
    Cluster,
    Instance,
}

/// The newest restorable copy of one protected resource in one region.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CopyAge {
    pub resource_id: String,
    pub kind: ProtectedKind,
    pub region: String,
    /// The newest available snapshot's identifier; `None` when there is none.
    pub newest: Option<String>,
    pub taken_at: Option<String>,
    pub age_seconds: Option<f64>,
    /// False when there is no copy, or the newest is older than the RPO.
    pub within_rpo: bool,
}

/// The newest available snapshot of `resource_id` among `snapshots` (a region's), its age
/// at `now`, and whether it is within `rpo_seconds`. A snapshot whose time cannot be read
/// does not count: a copy of unknown age does not prove the RPO.
pub fn copy_age(
    resource_id: &str,
    kind: ProtectedKind,
    region: &str,
    snapshots: &[SnapshotView],
    now: EpochSeconds,
    rpo_seconds: f64,
) -> CopyAge {
    let newest = snapshots
        .iter()
        .filter(|s| s.source_id == resource_id && s.status == "available")
        .filter_map(|s| Some((s, s.created_at.as_deref().and_then(parse_iso8601)?)))
        .max_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal));
    // A copy stamped a little in the future (clock skew) is as fresh as now.
    let age = newest.map(|(_, taken)| (now - taken).max(0.0));
    CopyAge {
        resource_id: resource_id.to_string(),
        kind,
        region: region.to_string(),
        newest: newest.map(|(s, _)| s.snapshot_id.clone()),
        taken_at: newest.and_then(|(s, _)| s.created_at.clone()),
        age_seconds: age,
        within_rpo: age.is_some_and(|a| a <= rpo_seconds),
    }
}

/// Whether the backup tag's value says protected: `true` in any case, nothing else.
pub fn is_protected(tag_value: Option<&str>) -> bool {
    tag_value.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(id: &str, source: &str, status: &str, taken: Option<&str>) -> SnapshotView {
        SnapshotView {
            snapshot_id: id.into(),
            source_id: source.into(),
            status: status.into(),
            created_at: taken.map(str::to_string),
            ..SnapshotView::default()
        }
    }

    #[test]
    fn the_newest_available_copy_of_the_resource_decides_the_rpo() {
        let now = parse_iso8601("2026-11-30T06:00:00Z").unwrap();
        let two_hours = 2.0 * 3600.0;
        let copies = vec![
            snapshot("old", "orders", "available", Some("2026-11-30T01:00:00Z")),
            snapshot(
                "recent",
                "orders",
                "available",
                Some("2026-11-30T05:00:00Z"),
            ),
            snapshot("copying", "orders", "copying", Some("2026-11-30T05:55:00Z")),
            snapshot(
                "other",
                "billing",
                "available",
                Some("2026-11-30T05:59:00Z"),
            ),
            snapshot("unknown-time", "orders", "available", None),
            snapshot(
                "skewed",
                "ledger",
                "available",
                Some("2026-11-30T06:00:30Z"),
            ),
        ];
        // (resource, rpo seconds, newest, age, within)
        let cases = [
            ("orders", two_hours, Some("recent"), Some(3600.0), true),
            ("orders", 1800.0, Some("recent"), Some(3600.0), false),
            ("billing", 30.0, Some("other"), Some(60.0), false),
            ("billing", 60.0, Some("other"), Some(60.0), true),
            ("payments", two_hours, None, None, false),
            ("ledger", 1.0, Some("skewed"), Some(0.0), true),
        ];
        for (resource, rpo, newest, age, within) in cases {
            let got = copy_age(
                resource,
                ProtectedKind::Cluster,
                "us-west-2",
                &copies,
                now,
                rpo,
            );
            assert_eq!(
                (got.newest.as_deref(), got.age_seconds, got.within_rpo),
                (newest, age, within),
                "{resource} with {rpo} s"
            );
        }
    }

    #[test]
    fn only_true_protects() {
        for (value, protected) in [
            (Some("true"), true),
            (Some(" TRUE "), true),
            (Some("yes"), false),
            (Some(""), false),
            (None, false),
        ] {
            assert_eq!(is_protected(value), protected, "{value:?}");
        }
    }
}
