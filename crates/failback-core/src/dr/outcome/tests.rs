use serde_json::json;

use super::*;

const ARN: &str = "arn:aws:states:us-west-2:123456789012:execution:aurora-failback-dr:dr-1";

fn valid(dry_run: bool) -> ValidPayload {
    let resource = |layer: u32, name: &str, global: &str| {
        json!({"layer": layer, "resourceType": "PlannedFailoverAurora", "resourceName": name,
               "parameters": {}, "action": {"kind": "switchover", "globalClusterId": global,
               "target": {"clusterId": format!("{global}-west"), "arn": null}},
               "resourceKey": global})
    };
    serde_json::from_value(json!({"dryRun": dry_run, "layers": [
        {"layer": 1, "resources": [resource(1, "mysql", "g-mysql"), resource(1, "postgres", "g-postgres")]},
        {"layer": 2, "resources": [resource(2, "reporting", "g-reporting")]},
    ]}))
    .unwrap()
}

fn state(
    valid: Option<ValidPayload>,
    run: Option<DrStart>,
    error: Option<StepFailure>,
) -> DrRunState {
    DrRunState {
        execution_arn: ARN.into(),
        run_name: "dr-1".into(),
        started_at: "2026-11-30T05:00:00Z".into(),
        payload: json!({}),
        limits: json!({}),
        valid,
        run,
        error,
    }
}

fn held(lease_acquired: bool) -> Option<DrStart> {
    Some(DrStart {
        lease_acquired,
        held_by: (!lease_acquired).then(|| "arn:other".to_string()),
    })
}

fn recorded(outcomes: &[(&str, &str)]) -> BTreeMap<String, DrResourceRecord> {
    outcomes
        .iter()
        .map(|(name, outcome)| {
            (
                name.to_string(),
                DrResourceRecord {
                    resource_name: name.to_string(),
                    outcome: outcome.to_string(),
                    error: (*outcome == "failed").then(|| "TargetNotInGlobalCluster".to_string()),
                    ..DrResourceRecord::default()
                },
            )
        })
        .collect()
}

/// (name, the machine's state, what its layers recorded, the outcome, how the summary starts)
type Case = (
    &'static str,
    DrRunState,
    BTreeMap<String, DrResourceRecord>,
    Outcome,
    &'static str,
);

#[test]
fn a_runs_outcome_says_what_finished_failed_and_never_started() {
    let stopped = Some(StepFailure {
        error: "ResourceFailed".into(),
        cause: None,
    });
    let cases: Vec<Case> = vec![
        (
            "refused payload",
            state(None, None, Some(StepFailure { error: "InvalidInput".into(), cause: Some("the DR payload has 2 problems".into()) })),
            BTreeMap::new(),
            Outcome::Failed,
            "nothing was changed; the payload was refused (InvalidInput: the DR payload has 2 problems)",
        ),
        ("lease held", state(Some(valid(false)), held(false), None), BTreeMap::new(), Outcome::Skipped, "skipped: arn:other holds"),
        (
            "all moved",
            state(Some(valid(false)), held(true), None),
            recorded(&[("mysql", "done"), ("postgres", "done"), ("reporting", "already-done")]),
            Outcome::Restored,
            "2 resources done, 1 already in place",
        ),
        (
            "all in place",
            state(Some(valid(false)), held(true), None),
            recorded(&[("mysql", "already-done"), ("postgres", "already-done"), ("reporting", "already-done")]),
            Outcome::NoOp,
            "every resource already was",
        ),
        (
            "dry run",
            state(Some(valid(true)), held(true), None),
            recorded(&[("mysql", "planned"), ("postgres", "planned"), ("reporting", "planned")]),
            Outcome::DryRun,
            "dry run: 3 resources planned",
        ),
        (
            "layer 1 failed",
            state(Some(valid(false)), held(true), stopped),
            recorded(&[("mysql", "done"), ("postgres", "failed")]),
            Outcome::Failed,
            "1 failed, 1 never started, stopped by ResourceFailed",
        ),
    ];
    for (name, state, recorded, outcome, summary) in cases {
        let (record, finished) = finish_dr_run(&state, &recorded, 1_795_000_000.0);
        assert_eq!(finished.outcome, outcome, "{name}");
        assert!(
            finished.summary.starts_with(summary),
            "{name}: {}",
            finished.summary
        );
        assert_eq!(record.outcome, outcome, "{name}");
        assert_eq!(record.cluster_id, DR_RUNS_PARTITION);
    }
}

#[test]
fn the_summary_lists_every_resource_with_its_error() {
    let (_, finished) = finish_dr_run(
        &state(Some(valid(false)), held(true), None),
        &recorded(&[("mysql", "done"), ("postgres", "failed")]),
        1_795_000_000.0,
    );
    let listed: Vec<(&str, &str, Option<&str>)> = finished
        .resources
        .iter()
        .map(|r| {
            (
                r.resource_name.as_str(),
                r.outcome.as_str(),
                r.error.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("mysql", "done", None),
            ("postgres", "failed", Some("TargetNotInGlobalCluster")),
            ("reporting", "never-started", None),
        ]
    );
}

#[test]
fn a_resource_record_keeps_what_aws_reported_and_a_sane_duration() {
    let result: ResourceResult = serde_json::from_value(json!({
        "resourceName": "mysql", "resourceType": "UnPlannedFailoverAurora", "resourceKey": "g-mysql",
        "layer": 1, "outcome": "done", "parameters": {"TargetClusterIdentifier": "arn:aws:rds:us-east-1:1:db:x"},
        "startedAt": "2026-11-30T05:00:00Z", "endedAt": "2026-11-30T05:01:30.5Z",
        "plan": {"state": "act", "call": "FailoverGlobalCluster (AllowDataLoss)", "resourceKey": "g-mysql",
                 "targetClusterArn": "arn:west", "writerBefore": "arn:east", "summary": "s"},
        "act": {"requested": true},
        "check": {"state": "ready", "globalStatus": "available", "writer": "arn:west", "targetStatus": "available",
                  "failoverStatus": null, "failedOverFrom": "arn:east", "dataLossAllowed": true, "summary": "moved"}
    }))
    .unwrap();
    let record = resource_record(&result, ARN, "dr-1");
    assert_eq!(record.cluster_id, "#dr:g-mysql");
    assert!(
        record
            .parameters
            .as_deref()
            .is_some_and(|p| p.contains("TargetClusterIdentifier")),
        "{record:?}"
    );
    assert_eq!(record.seconds_to_recover, Some(90.5));
    assert_eq!(record.writer_before.as_deref(), Some("arn:east"));
    assert_eq!(record.writer_after.as_deref(), Some("arn:west"));
    assert_eq!(record.data_loss_allowed, Some(true));
    let mut backwards = result.clone();
    backwards.ended_at = "2026-11-30T04:00:00Z".into();
    assert_eq!(
        resource_record(&backwards, ARN, "dr-1").seconds_to_recover,
        None
    );
}

#[test]
fn a_failover_record_says_data_loss_was_allowed_even_after_aws_cleared_its_state() {
    let result: ResourceResult = serde_json::from_value(json!({
        "resourceName": "orders", "resourceType": "UnPlannedFailoverAurora", "resourceKey": "g-orders",
        "layer": 1, "outcome": "done",
        "startedAt": "2026-11-30T05:00:00.000Z", "endedAt": "2026-11-30T05:00:40.000Z",
        "plan": {"state": "act", "call": "FailoverGlobalCluster (AllowDataLoss)", "resourceKey": "g-orders",
                 "targetClusterArn": "arn:west", "writerBefore": "arn:east", "summary": "s"},
        "act": {"requested": true},
        "check": {"state": "ready", "globalStatus": "available", "writer": "arn:west", "targetStatus": "available",
                  "failoverStatus": null, "failedOverFrom": null, "dataLossAllowed": null, "summary": "moved"}
    }))
    .unwrap();
    let record = resource_record(&result, ARN, "dr-1");
    assert_eq!(record.data_loss_allowed, Some(true));
    assert_eq!(record.failed_over_from.as_deref(), Some("arn:east"));

    let mut switchover = result.clone();
    switchover.resource_type = "PlannedFailoverAurora".into();
    let record = resource_record(&switchover, ARN, "dr-1");
    assert_eq!(record.data_loss_allowed, None, "a switchover loses nothing");

    let mut already = result;
    already.outcome = ResourceOutcome::AlreadyDone;
    already.act = None;
    already.check = None;
    let record = resource_record(&already, ARN, "dr-1");
    assert_eq!(record.writer_after.as_deref(), Some("arn:west"));
    assert_eq!(record.data_loss_allowed, None, "nothing was asked for");
}
