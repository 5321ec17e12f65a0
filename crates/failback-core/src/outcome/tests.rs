//! The outcome table and the audit rules: what each state is recorded as, and which
//! states are refused because they do not agree with themselves.

use serde_json::json;

use super::*;
use crate::failback::plan::{ClassSource, SkipReason};
use crate::identifier::placement_instance_id;

fn home() -> Home {
    Home::from_function_arn("arn:aws:lambda:us-east-1:123456789012:function:record-run")
        .unwrap_or_else(|e| panic!("{e}"))
}

fn plan(action: Action, dry_run: bool) -> Plan {
    Plan {
        cluster_id: "orders".into(),
        dry_run,
        writer_instance_id: Some("orders-2".into()),
        writer_class: Some("db.r6g.large".into()),
        desired_class: Some("db.r6g.2xlarge".into()),
        desired_class_source: Some(ClassSource::Tag),
        action,
        summary: "the plan".into(),
        scale_old_writer: false,
    }
}

fn failback() -> Action {
    Action::Failback {
        target_instance_id: "orders-1".into(),
        target_status: "available".into(),
    }
}

fn writer_check(ready: bool, writer: &str) -> CheckStatusOutput {
    CheckStatusOutput {
        state: ready.into(),
        cluster_id: "orders".into(),
        instance_status: "available".into(),
        cluster_status: Some("available".into()),
        writer_instance_id: Some(writer.into()),
    }
}

fn state(plan_action: Option<Action>, moved: Option<bool>) -> RunState {
    RunState {
        execution_arn: "arn:aws:states:us-east-1:123456789012:execution:aurora-failback:run-1"
            .into(),
        run_name: "run-1".into(),
        started_at: "2026-11-21T10:00:00.000Z".into(),
        trigger: json!({"clusterId": "orders"}),
        run: Some(RunStart {
            cluster_id: "orders".into(),
            lease_acquired: true,
            held_by: None,
        }),
        plan: plan_action.map(|a| plan(a, false)),
        reader: None,
        writer_check: moved.map(|m| writer_check(m, "orders-1")),
        error: None,
        cleanup: None,
        cleanup_error: None,
        old_writer: None,
        old_writer_error: None,
    }
}

#[test]
fn outcome_table() {
    let mut dry = state(Some(failback()), None);
    dry.plan = Some(plan(failback(), true));
    let mut held = state(None, None);
    held.run = Some(RunStart {
        cluster_id: "orders".into(),
        lease_acquired: false,
        held_by: Some("exec-a".into()),
    });
    let mut caught = state(Some(failback()), None);
    caught.error = Some(CaughtError {
        error: "TargetFailed".into(),
        cause: Some(
            r#"{"errorType":"TargetFailed","errorMessage":"instance x is insufficient-capacity"}"#
                .into(),
        ),
    });
    let mut not_started = state(None, None);
    not_started.run = None;
    let mut other_writer = state(Some(failback()), None);
    other_writer.writer_check = Some(writer_check(true, "orders-3"));

    let cases = [
        (
            "restored",
            state(Some(failback()), Some(true)),
            Outcome::Restored,
            "writer is now orders-1",
        ),
        (
            "writer never moved",
            state(Some(failback()), Some(false)),
            Outcome::Failed,
            "before orders-1 became",
        ),
        (
            "ready, but another writer",
            other_writer,
            Outcome::Failed,
            "not the planned orders-1",
        ),
        (
            "no-op",
            state(Some(Action::None), None),
            Outcome::NoOp,
            "the plan",
        ),
        (
            "skip",
            state(
                Some(Action::Skip {
                    reason: SkipReason::NotOptedIn,
                }),
                None,
            ),
            Outcome::Skipped,
            "the plan",
        ),
        ("dry run", dry, Outcome::DryRun, "dry run: the plan"),
        (
            "lease held",
            held,
            Outcome::Skipped,
            "exec-a is already restoring",
        ),
        (
            "caught error",
            caught,
            Outcome::Failed,
            "TargetFailed: instance x is insufficient-capacity",
        ),
        (
            "never started",
            not_started,
            Outcome::Failed,
            "before it started",
        ),
    ];
    for (name, state, outcome, needle) in cases {
        assert!(
            check_run_state(&state, &home()).is_ok(),
            "{name} is consistent"
        );
        let (got, summary) = derive_outcome(&state);
        assert_eq!(got, outcome, "{name}");
        assert!(summary.contains(needle), "{name}: {summary}");
    }
}

/// States that Step Functions never sends but a mistaken or forged invocation could:
/// each is refused whole, so nothing is written.
#[test]
fn states_that_disagree_with_themselves_are_refused() {
    let base = || state(Some(failback()), Some(true));
    type Change = Box<dyn Fn(&mut RunState)>;
    let cases: Vec<(&str, Change, &str)> = vec![
        (
            "name is not the ARN's",
            Box::new(|s| s.run_name = "run-2".into()),
            "does not end with",
        ),
        (
            "execution in another account",
            Box::new(|s| {
                s.execution_arn =
                    "arn:aws:states:us-east-1:999999999999:execution:aurora-failback:run-1".into()
            }),
            "another account",
        ),
        (
            "not an execution ARN",
            Box::new(|s| s.execution_arn = "run-1".into()),
            "not a Step Functions",
        ),
        (
            "escape codes in startedAt",
            Box::new(|s| s.started_at = "\u{1b}[31mnow".into()),
            "startedAt",
        ),
        (
            "plan for another cluster",
            Box::new(|s| {
                if let Some(p) = s.plan.as_mut() {
                    p.cluster_id = "payments".into()
                }
            }),
            "the plan names cluster",
        ),
        (
            "start for a hostile cluster id",
            Box::new(|s| {
                if let Some(r) = s.run.as_mut() {
                    r.cluster_id = "../orders".into()
                }
            }),
            "cluster identifier",
        ),
        (
            "Cyrillic look-alike",
            Box::new(|s| {
                if let Some(r) = s.run.as_mut() {
                    r.cluster_id = "\u{43e}rders".into()
                }
            }),
            "cluster identifier",
        ),
        (
            "writer check of another cluster",
            Box::new(|s| {
                if let Some(c) = s.writer_check.as_mut() {
                    c.cluster_id = "payments".into()
                }
            }),
            "the writer check names",
        ),
        (
            "reader the plan does not name",
            Box::new(|s| {
                s.reader = Some(CreateReaderOutput {
                    instance_id: "orders-9".into(),
                    created: true,
                    status: "creating".into(),
                    ..CreateReaderOutput::default()
                })
            }),
            "neither the instance the plan names",
        ),
        (
            "error that is not a name",
            Box::new(|s| {
                s.error = Some(CaughtError {
                    error: "x\ny".into(),
                    cause: None,
                })
            }),
            "not an error name",
        ),
        (
            "steps for a refused trigger",
            Box::new(|s| s.trigger = json!({"clusterId": "../orders"})),
            "refused",
        ),
    ];
    for (name, change, needle) in cases {
        let mut state = base();
        change(&mut state);
        match check_run_state(&state, &home()) {
            Err(InvalidInput(message)) => assert!(message.contains(needle), "{name}: {message}"),
            Ok(cluster) => panic!("{name}: accepted for {cluster}"),
        }
    }
    // A run that failed on its own input has nothing but the trigger: recorded apart.
    let mut refused = base();
    refused.trigger = json!({"clusterId": "../orders"});
    refused.run = None;
    refused.plan = None;
    refused.writer_check = None;
    assert_eq!(
        check_run_state(&refused, &home()),
        Ok(INVALID_INPUT_PARTITION.to_string())
    );
}

#[test]
fn a_failed_run_says_what_it_created_and_left() {
    let create = Action::Create {
        target_instance_id: "orders-fb-1".into(),
        reference_instance_id: "orders-1".into(),
        availability_zone: None,
    };
    let mut failed = state(Some(create), None);
    failed.reader = Some(CreateReaderOutput {
        instance_id: "orders-fb-1".into(),
        created: true,
        status: "creating".into(),
        placement: 1,
        ..CreateReaderOutput::default()
    });
    failed.error = Some(CaughtError {
        error: "ReaderWaitExhausted".into(),
        cause: Some("not ready".into()),
    });
    assert_eq!(check_run_state(&failed, &home()), Ok("orders".into()));
    let (record, _) = finished_record(&failed, "orders", 0.0);
    assert_eq!(record.outcome, Outcome::Failed);
    assert!(record
        .summary
        .unwrap_or_default()
        .ends_with("instance orders-fb-1 that this run created is left in place"));
    assert_eq!(record.created_instance_id.as_deref(), Some("orders-fb-1"));
}

#[test]
fn a_replacement_put_elsewhere_is_the_target_the_record_names() {
    let planned = placement_instance_id("orders", "run-1", 1);
    let replacement = placement_instance_id("orders", "run-1", 2);
    let create = Action::Create {
        target_instance_id: planned.clone(),
        reference_instance_id: "orders-1".into(),
        availability_zone: None,
    };
    let mut restored = state(Some(create), None);
    restored.writer_check = Some(writer_check(true, &replacement));
    restored.reader = Some(CreateReaderOutput {
        instance_id: replacement.clone(),
        created: true,
        status: "creating".into(),
        instance_class: Some("db.r6g.2xlarge".into()),
        placement: 2,
        ..CreateReaderOutput::default()
    });
    assert_eq!(check_run_state(&restored, &home()), Ok("orders".into()));
    let (record, _) = finished_record(&restored, "orders", 0.0);
    assert_eq!(record.outcome, Outcome::Restored, "{:?}", record.summary);
    assert_eq!(
        record.target_instance_id.as_deref(),
        Some(replacement.as_str())
    );
    assert_eq!(
        record.created_instance_id.as_deref(),
        Some(replacement.as_str())
    );

    // Another run's instance is not one of this run's placements.
    let mut foreign = restored.clone();
    if let Some(reader) = foreign.reader.as_mut() {
        reader.instance_id = placement_instance_id("orders", "run-2", 2);
    }
    assert!(check_run_state(&foreign, &home()).is_err());
}

#[test]
fn finished_record_measures_time_to_restore() {
    let start = parse_iso8601("2026-11-21T10:00:00.000Z").unwrap_or_default();
    let (record, finished) =
        finished_record(&state(Some(failback()), Some(true)), "orders", start + 95.0);
    assert_eq!(record.outcome, Outcome::Restored);
    assert_eq!(record.seconds_to_restore, Some(95.0));
    assert_eq!(record.action.as_deref(), Some("failback"));
    assert_eq!(record.from_class.as_deref(), Some("db.r6g.large"));
    assert_eq!(record.target_instance_id.as_deref(), Some("orders-1"));
    assert_eq!(finished.seconds_to_restore, Some(95.0));
}

#[test]
fn emf_line_names_its_metrics() {
    use crate::emf::emf_line;
    let finished = RunFinished {
        outcome: Outcome::Restored,
        cluster_id: "orders".into(),
        summary: String::new(),
        seconds_to_restore: Some(12.0),
        error: None,
    };
    let line: Value =
        serde_json::from_str(&emf_line(&finished, "run-1", 1_700_000_000.0)).unwrap_or_default();
    assert_eq!(line["Outcome"], "restored");
    assert_eq!(line["SecondsToRestore"], 12.0);
    assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000_i64);
    assert_eq!(
        line["_aws"]["CloudWatchMetrics"][0]["Metrics"][1]["Name"],
        "SecondsToRestore"
    );
    let failed = RunFinished {
        outcome: Outcome::Failed,
        seconds_to_restore: None,
        ..finished
    };
    let line: Value = serde_json::from_str(&emf_line(&failed, "run-1", 0.0)).unwrap_or_default();
    assert_eq!(
        line["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert!(line.get("SecondsToRestore").is_none());
}

#[test]
fn outcomes_serialise_to_the_ledger_words() {
    for (outcome, word) in [
        (Outcome::Running, "running"),
        (Outcome::Restored, "restored"),
        (Outcome::NoOp, "no-op"),
        (Outcome::Skipped, "skipped"),
        (Outcome::DryRun, "dry-run"),
        (Outcome::Failed, "failed"),
    ] {
        assert_eq!(serde_json::to_value(outcome).ok(), Some(json!(word)));
        assert_eq!(outcome.as_str(), word);
    }
}
