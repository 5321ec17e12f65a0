//! What the CLI prints, as pure functions of plain data (so golden tests can hold it).

use failback_core::failback::plan::{Action, ClassSource, Plan};
use failback_core::model::ClusterView;
use failback_core::outcome::RunRecord;
use serde_json::Value;

use failback_core::dr::payload::DrAction;
use failback_core::dr::rpo::CopyAge;

use crate::deployment::{RunEvent, RunEventKind};
use crate::dr::PlannedResource;

/// Text from AWS or the ledger made safe for a terminal: every control character but
/// the newline is shown escaped (`\u{1b}`), so a stored escape sequence cannot move the
/// cursor, recolour or hide what follows.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Left-aligned columns, two spaces apart; no trailing spaces. Cells are made printable.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|cell| printable(cell)).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<width$}", width = widths[i]))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut out = vec![line(headers.to_vec())];
    out.extend(
        rows.iter()
            .map(|r| line(r.iter().map(String::as_str).collect())),
    );
    out.join("\n") + "\n"
}

fn class_source(source: Option<ClassSource>) -> &'static str {
    match source {
        Some(ClassSource::Input) => "from --writer-class",
        Some(ClassSource::Tag) => "from the aurora-failback:writer-class tag",
        Some(ClassSource::LargestMember) => "the largest instance in the cluster",
        None => "not worked out",
    }
}

pub fn plan(cluster: &ClusterView, plan: &Plan) -> String {
    let opted_in = if cluster.is_opted_in() {
        "opted in".to_string()
    } else {
        "not opted in: a failover event would skip it; a run started by hand plans it, but the deployed roles change only tagged clusters (`aurora-failback enable`)"
            .to_string()
    };
    let writer = match (&plan.writer_instance_id, &plan.writer_class) {
        (Some(id), Some(class)) => format!("{id}  {class}"),
        _ => "none".into(),
    };
    let desired = plan
        .desired_class
        .as_ref()
        .map(|c| format!("{c}  ({})", class_source(plan.desired_class_source)))
        .unwrap_or_else(|| "-".into());
    let action = match &plan.action {
        Action::None => "none: the writer is big enough".to_string(),
        Action::Failback { target_instance_id, target_status } => {
            format!("failback: fail over to reader {target_instance_id} ({target_status}); nothing is created")
        }
        Action::Modify { target_instance_id, target_class, .. } => format!(
            "modify: change reader {target_instance_id} from {target_class} to {} in place (ApplyImmediately); then fail over to it; nothing is created",
            plan.desired_class.as_deref().unwrap_or("?")
        ),
        Action::Create { reference_instance_id, availability_zone, .. } => format!(
            "create: a new reader {}-fb-<run>, {}, promotion tier 0, configured like {reference_instance_id}, in {}; then fail over to it",
            cluster.cluster_id,
            plan.desired_class.as_deref().unwrap_or("?"),
            availability_zone.as_deref().unwrap_or("any zone")
        ),
        Action::Skip { reason } => format!("skip ({})", serde_json::to_value(reason).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()),
    };
    // Outside a run the new instance's name is not known yet: show its pattern.
    let why = match &plan.action {
        Action::Create {
            target_instance_id, ..
        } => plan.summary.replace(
            target_instance_id,
            &format!("{}-fb-<run>", cluster.cluster_id),
        ),
        _ => plan.summary.clone(),
    };
    let mut out = String::new();
    out += &format!(
        "Cluster      {}  {}, {}, {opted_in}\n",
        cluster.cluster_id, cluster.engine, cluster.status
    );
    out += &format!("Writer now   {writer}\n");
    out += &format!("Should be    {desired}\n");
    out += &format!("Action       {action}\n");
    out += &format!("Why          {why}\n\n");
    let rows: Vec<Vec<String>> = cluster
        .members
        .iter()
        .map(|m| {
            vec![
                m.instance_id.clone(),
                m.class.clone(),
                m.promotion_tier.to_string(),
                if m.is_writer {
                    "yes".into()
                } else {
                    String::new()
                },
                m.availability_zone.clone().unwrap_or_default(),
                m.status.clone(),
            ]
        })
        .collect();
    out += &table(
        &["instance", "class", "tier", "writer", "zone", "status"],
        &rows,
    );
    out
}

fn took(run: &RunRecord) -> String {
    let seconds = run.seconds_to_restore.or_else(|| {
        let parse = |t: &Option<String>| {
            t.as_deref().and_then(|t| {
                aws_sdk_dynamodb::primitives::DateTime::from_str(
                    t,
                    aws_sdk_dynamodb::primitives::DateTimeFormat::DateTime,
                )
                .ok()
            })
        };
        Some(parse(&run.ended_at)?.as_secs_f64() - parse(&run.started_at)?.as_secs_f64())
    });
    match seconds {
        Some(s) if s >= 60.0 => format!("{}m {:02}s", (s / 60.0) as u64, (s % 60.0) as u64),
        Some(s) => format!("{s:.0}s"),
        None => "-".into(),
    }
}

/// A duration of whole seconds as a person reads it: `45s`, `12m 05s`, `3h 20m`, `2d 04h`.
fn age(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        3600..=86399 => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d {:02}h", s / 86400, (s % 86400) / 3600),
    }
}

/// `backups`: one row per resource and region.
pub fn backups(ages: &[CopyAge], rpo_minutes: u32) -> String {
    if ages.is_empty() {
        return "No protected clusters or instances here (tag aurora-failback:backup=true).\n"
            .into();
    }
    let rows: Vec<Vec<String>> = ages
        .iter()
        .map(|a| {
            vec![
                a.resource_id.clone(),
                serde_json::to_value(a.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                a.region.clone(),
                a.newest.clone().unwrap_or_else(|| "none".into()),
                a.taken_at.clone().unwrap_or_else(|| "-".into()),
                a.age_seconds.map_or_else(|| "-".into(), age),
                if a.within_rpo { "yes" } else { "NO" }.to_string(),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "resource",
            "kind",
            "region",
            "newest copy",
            "taken",
            "age",
            "within RPO",
        ],
        &rows,
    );
    out += &format!(
        "\nRPO: {rpo_minutes} minutes (newest available copy, by the time it was taken).\n"
    );
    printable(&out)
}

pub fn runs(records: &[RunRecord]) -> String {
    if records.is_empty() {
        return "No runs recorded.\n".into();
    }
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            let when = r
                .started_at
                .as_deref()
                .map(|t| t.replace('T', " "))
                .unwrap_or_default();
            let when = when
                .split('.')
                .next()
                .unwrap_or_default()
                .trim_end_matches('Z')
                .to_string()
                + "Z";
            let classes = match (&r.from_class, &r.to_class) {
                (Some(from), Some(to)) => format!("{from} -> {to}"),
                _ => "-".into(),
            };
            vec![
                when,
                r.cluster_id.clone(),
                r.outcome.to_string(),
                classes,
                took(r),
                r.run_name.clone(),
            ]
        })
        .collect();
    let mut out = table(
        &["when", "cluster", "outcome", "classes", "took", "run"],
        &rows,
    );
    // What a row has no room for: why a run failed, and where a reader was tried before
    // one was put in place (`attempts`); the whole cause is in `runs --json`.
    let notes: Vec<String> = records
        .iter()
        .flat_map(|r| {
            let error = r.error.as_ref().map(|e| format!("  {}: {e}", r.run_name));
            let attempts = r
                .attempts
                .as_ref()
                .map(|a| format!("  {}: attempts: {a}", r.run_name));
            error.into_iter().chain(attempts)
        })
        .collect();
    if !notes.is_empty() {
        out += &printable(&format!("\n{}\n", notes.join("\n")));
    }
    out
}

/// A history event as one line of `status` and `start --wait`, when it is worth one.
/// `started` is when the execution began, so lines show seconds into the run.
pub fn run_event(event: &RunEvent, started: f64) -> Option<String> {
    let at = event.at - started;
    match &event.kind {
        RunEventKind::StateExited { state, output } => Some(
            format!(
                "  [{at:>7.1}s] {state:<20} ok {}",
                step_result(state, output)
            )
            .trim_end()
            .to_string(),
        ),
        RunEventKind::StepFailed { error } => {
            Some(format!("  [{at:>7.1}s] {:<20} error {error}", ""))
        }
        RunEventKind::ExecutionFailed { error, cause } => {
            Some(format!("  [{at:>7.1}s] execution failed: {error} {cause}"))
        }
        RunEventKind::ExecutionEnded { how } if how == "ExecutionSucceeded" => {
            Some(format!("  [{at:>7.1}s] execution succeeded"))
        }
        RunEventKind::ExecutionEnded { how } => Some(format!("  [{at:>7.1}s] {how}")),
        RunEventKind::StateEntered { .. } | RunEventKind::Other => None,
    }
}

/// `dr plan`: one row per resource, in run order, then each resource's resolved
/// parameters.
pub fn dr_plan(planned: &[PlannedResource]) -> String {
    let rows: Vec<Vec<String>> = planned
        .iter()
        .map(|p| {
            let r = &p.resource;
            let (global, target) = match (r.action.switch(), &r.action) {
                (Some((_, global, target)), _) => (global.to_string(), target.cluster_id.clone()),
                (None, DrAction::CreateSecondary(spec)) => {
                    (spec.global_cluster_id.clone(), spec.cluster_id.clone())
                }
                (None, DrAction::PromoteReplica { instance_id, .. }) => {
                    ("-".to_string(), instance_id.clone())
                }
                (None, DrAction::CreateReplica(spec)) => {
                    ("-".to_string(), spec.instance_id.clone())
                }
                (
                    None,
                    DrAction::CacheFailover {
                        global_group_id,
                        target_group_id,
                    },
                ) => (global_group_id.clone(), target_group_id.clone()),
                (None, DrAction::PromoteReplicaCluster { target }) => {
                    ("-".to_string(), target.cluster_id.clone())
                }
                (None, DrAction::RestoreCluster(spec)) => {
                    ("-".to_string(), spec.cluster_id.clone())
                }
                (None, DrAction::RestoreInstance(spec)) => {
                    ("-".to_string(), spec.instance_id.clone())
                }
                (None, _) => (String::new(), String::new()),
            };
            let ready = &p.readiness;
            let lag = ready
                .replication_lag_seconds
                .map_or_else(|| "-".to_string(), |s| format!("{s} s"));
            let (state, call, writer) = match &p.plan {
                Ok(plan) => (
                    serde_json::to_value(plan.state)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    plan.call.clone(),
                    plan.writer_before
                        .as_deref()
                        .map(|arn| arn.rsplit(':').next().unwrap_or(arn).to_string())
                        .unwrap_or_else(|| "-".into()),
                ),
                Err(why) => (
                    format!("refused ({})", why.split(':').next().unwrap_or_default()),
                    "-".into(),
                    "-".into(),
                ),
            };
            vec![
                r.layer.to_string(),
                r.resource_name.clone(),
                r.resource_type.name().to_string(),
                global,
                target,
                writer,
                state,
                call,
                if ready.ready { "yes" } else { "no" }.to_string(),
                lag,
            ]
        })
        .collect();
    let mut out = table(
        &[
            "layer",
            "resource",
            "type",
            "global cluster",
            "target",
            "writer now",
            "plan",
            "call",
            "ready",
            "lag",
        ],
        &rows,
    );
    for p in planned {
        let parameters: Vec<String> = p
            .resource
            .parameters
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        out += &printable(&format!(
            "\n{}\n  {}\n",
            p.resource.resource_name,
            parameters.join("\n  ")
        ));
        out += &printable(&match &p.plan {
            Ok(plan) if !p.readiness.ready => format!(
                "  -> {}\n  !! not ready: {}\n",
                plan.summary, p.readiness.reason
            ),
            Ok(plan) => format!("  -> {}\n", plan.summary),
            Err(why) => format!("  !! {why}\n"),
        });
    }
    out
}

/// One line for a finished step: what the step's result says, read where the state
/// machine puts it.
pub fn step_result(state: &str, output: &Value) -> String {
    let at = |path: &str| {
        output
            .pointer(path)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    match state {
        "StartRun" if output.pointer("/run/leaseAcquired") == Some(&Value::Bool(true)) => {
            "lease taken".into()
        }
        "StartRun" => format!(
            "lease held by {}",
            at("/run/heldBy").rsplit(':').next().unwrap_or_default()
        ),
        "DescribeWriter" => {
            let target = at("/plan/targetInstanceId");
            let reason = at("/plan/reason");
            let dry = if output.pointer("/plan/dryRun") == Some(&Value::Bool(true)) {
                " (dry run)"
            } else {
                ""
            };
            format!(
                "plan: {} {}{dry}",
                at("/plan/action"),
                if target.is_empty() { reason } else { target }
            )
            .replace("  ", " ")
        }
        "CreateReader" => format!(
            "{} {}",
            at("/reader/instanceId"),
            if output.pointer("/reader/created") == Some(&Value::Bool(true)) {
                "created"
            } else {
                "found"
            }
        ),
        "CheckReader" => format!(
            "{} ({})",
            at("/readerCheck/state"),
            at("/readerCheck/instanceStatus")
        ),
        "CheckWriter" => format!(
            "{} (cluster {}, writer {})",
            at("/writerCheck/state"),
            at("/writerCheck/clusterStatus"),
            at("/writerCheck/writerInstanceId")
        ),
        "Failover" if output.pointer("/failover/failoverRequested") == Some(&Value::Bool(true)) => {
            "failover requested".into()
        }
        "Failover" => "already the writer".into(),
        "FinishRun" => format!("outcome: {}", at("/result/outcome")),
        // The DR machine's states.
        "ValidatePayload" => {
            let layers = output.pointer("/valid/layers").and_then(Value::as_array);
            let resources: usize = layers
                .map(|l| {
                    l.iter()
                        .filter_map(|layer| layer["resources"].as_array().map(Vec::len))
                        .sum()
                })
                .unwrap_or_default();
            format!(
                "payload checked: {} layers, {resources} resources",
                layers.map(Vec::len).unwrap_or_default()
            )
        }
        "PlanResource" => format!(
            "{}: {} ({})",
            at("/resource/resourceName"),
            at("/plan/state"),
            at("/plan/summary")
        ),
        "ActOnResource" if output.pointer("/act/requested") == Some(&Value::Bool(true)) => {
            format!(
                "{}: {} requested",
                at("/resource/resourceName"),
                at("/act/plan/call")
            )
        }
        "ActOnResource" => format!("{}: nothing to call", at("/resource/resourceName")),
        "CheckResource" => format!(
            "{}: {} ({})",
            at("/resource/resourceName"),
            at("/check/state"),
            at("/check/summary")
        ),
        "ResourceSucceeded" | "ResourceAlreadyDone" | "ResourcePlanned" | "ResourceFailed" => {
            format!(
                "{}: {} {}",
                at("/resourceName"),
                at("/outcome"),
                at("/error/Error")
            )
            .trim_end()
            .to_string()
        }
        "RecordLayer" => format!(
            "layer {}: {} ok, {} failed",
            output
                .pointer("/recorded/layer")
                .map(Value::to_string)
                .unwrap_or_default(),
            output
                .pointer("/recorded/succeeded")
                .map(Value::to_string)
                .unwrap_or_default(),
            output
                .pointer("/recorded/failed")
                .map(Value::to_string)
                .unwrap_or_default()
        ),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(printable("ok\nline"), "ok\nline");
        assert_eq!(printable("\u{1b}[31mred\u{7}"), "\\u{1b}[31mred\\u{7}");
        let shown = table(&["when"], &[vec!["2026\u{1b}[2J".into()]]);
        assert!(!shown.contains('\u{1b}'), "{shown}");
    }

    #[test]
    fn tables_align_and_trim() {
        let text = table(
            &["a", "bb"],
            &[
                vec!["long".into(), "x".into()],
                vec!["s".into(), String::new()],
            ],
        );
        assert_eq!(text, "a     bb\nlong  x\ns\n");
    }

    #[test]
    fn step_results_read_where_the_machine_writes() {
        let cases = [
            (
                "StartRun",
                json!({"run": {"leaseAcquired": true}}),
                "lease taken",
            ),
            (
                "StartRun",
                json!({"run": {"leaseAcquired": false, "heldBy": "arn:x:execution:m:other"}}),
                "lease held by other",
            ),
            (
                "DescribeWriter",
                json!({"plan": {"action": "failback", "targetInstanceId": "orders-1"}}),
                "plan: failback orders-1",
            ),
            (
                "DescribeWriter",
                json!({"plan": {"action": "skip", "reason": "not-opted-in"}}),
                "plan: skip not-opted-in",
            ),
            (
                "CheckReader",
                json!({"readerCheck": {"state": "pending", "instanceStatus": "creating"}}),
                "pending (creating)",
            ),
            (
                "FinishRun",
                json!({"result": {"outcome": "restored"}}),
                "outcome: restored",
            ),
            ("WaitForReader", json!({}), ""),
        ];
        for (state, output, expected) in cases {
            assert_eq!(step_result(state, &output), expected, "{state}");
        }
    }

    #[test]
    fn run_events_read_as_seconds_into_the_run() {
        let at = |seconds: f64, kind: RunEventKind| RunEvent {
            at: 1_000.0 + seconds,
            kind,
        };
        let cases = [
            (
                at(
                    2.5,
                    RunEventKind::StateExited {
                        state: "StartRun".into(),
                        output: json!({"run": {"leaseAcquired": true}}),
                    },
                ),
                Some("  [    2.5s] StartRun             ok lease taken"),
            ),
            (
                at(
                    3.0,
                    RunEventKind::StateExited {
                        state: "WaitForReader".into(),
                        output: json!({}),
                    },
                ),
                Some("  [    3.0s] WaitForReader        ok"),
            ),
            (
                at(
                    4.0,
                    RunEventKind::StepFailed {
                        error: "ClusterBusy".into(),
                    },
                ),
                Some("  [    4.0s]                      error ClusterBusy"),
            ),
            (
                at(
                    9.0,
                    RunEventKind::ExecutionFailed {
                        error: "ClusterNotFound".into(),
                        cause: "gone".into(),
                    },
                ),
                Some("  [    9.0s] execution failed: ClusterNotFound gone"),
            ),
            (
                at(
                    9.0,
                    RunEventKind::ExecutionEnded {
                        how: "ExecutionSucceeded".into(),
                    },
                ),
                Some("  [    9.0s] execution succeeded"),
            ),
            (
                at(
                    9.0,
                    RunEventKind::ExecutionEnded {
                        how: "ExecutionTimedOut".into(),
                    },
                ),
                Some("  [    9.0s] ExecutionTimedOut"),
            ),
            (
                at(
                    1.0,
                    RunEventKind::StateEntered {
                        state: "StartRun".into(),
                    },
                ),
                None,
            ),
        ];
        for (event, expected) in cases {
            assert_eq!(run_event(&event, 1_000.0).as_deref(), expected, "{event:?}");
        }
    }

    #[test]
    fn ages_read_at_the_scale_that_matters() {
        for (seconds, expected) in [
            (0.0, "0s"),
            (59.4, "59s"),
            (65.0, "1m 05s"),
            (3600.0 * 3.0 + 20.0 * 60.0, "3h 20m"),
            (86400.0 * 2.0 + 3600.0 * 4.0, "2d 04h"),
            (-5.0, "0s"),
        ] {
            assert_eq!(age(seconds), expected, "{seconds}");
        }
    }

    #[test]
    fn runs_say_why_a_run_failed_and_where_a_reader_was_tried() {
        use failback_core::outcome::Outcome;
        let restored = RunRecord {
            run_name: "run-a".into(),
            cluster_id: "orders".into(),
            outcome: Outcome::Restored,
            attempts: Some(
                "db.r6g.2xlarge in us-east-1b: refused (no capacity); created in us-east-1c".into(),
            ),
            ..RunRecord::default()
        };
        let failed = RunRecord {
            run_name: "run-b".into(),
            cluster_id: "billing".into(),
            outcome: Outcome::Failed,
            error: Some("TargetFailed\u{1b}[2J".into()),
            error_cause: Some("a long cause".into()),
            ..RunRecord::default()
        };
        let quiet = RunRecord {
            run_name: "run-c".into(),
            cluster_id: "orders".into(),
            outcome: Outcome::NoOp,
            ..RunRecord::default()
        };
        let text = runs(&[restored, failed, quiet]);
        let notes: Vec<&str> = text.lines().skip(5).collect();
        assert_eq!(
            notes,
            [
                "  run-a: attempts: db.r6g.2xlarge in us-east-1b: refused (no capacity); created in us-east-1c",
                "  run-b: TargetFailed\\u{1b}[2J",
            ],
            "{text}"
        );
        assert!(!text.contains("a long cause"), "{text}");
        assert!(!runs(&[RunRecord::default()]).contains("attempts"));
    }

    #[test]
    fn durations_read_as_minutes_and_seconds() {
        let run = RunRecord {
            seconds_to_restore: Some(95.0),
            ..RunRecord::default()
        };
        assert_eq!(took(&run), "1m 35s");
        let run = RunRecord {
            started_at: Some("2026-11-21T10:00:00.000Z".into()),
            ended_at: Some("2026-11-21T10:00:12Z".into()),
            ..RunRecord::default()
        };
        assert_eq!(took(&run), "12s");
    }
}
