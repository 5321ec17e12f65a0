//! Every handler against moto over HTTP, through the real SDK: the failback and create
//! paths end with a writer of the desired class, retries create nothing twice, and
//! what must not be touched is not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use failback_core::clock::iso8601;
use failback_core::errors::{AwsFailure, StepError};
use failback_core::failback::steps::check_status::check_status;
use failback_core::failback::steps::create_reader::create_reader;
use failback_core::failback::steps::describe_writer::{describe_writer, DescribeSettings};
use failback_core::failback::steps::failover::failover;
use failback_core::failback::steps::record_run::record_run;
use failback_core::model::{TAG_ENABLED, TAG_RUN};
use failback_core::outcome::Outcome;
use failback_core::rds::{FailoverCallFailure, Rds};
use serde_json::{json, Value};
use support::{read_event, TestEnv, CLUSTER};

/// A minute after the sample events in events/ (2026-11-21T03:12:45Z), so they are fresh.
const NOW: f64 = 1_795_230_825.0;

fn execution_arn(run: &str) -> String {
    format!("arn:aws:states:us-east-1:123456789012:execution:aurora-failback:{run}")
}

/// The state the machine carries, built up as each step answers.
struct Run {
    state: Value,
}

impl Run {
    fn new(run: &str, trigger: Value) -> Self {
        Self {
            state: json!({
                "trigger": trigger, "executionArn": execution_arn(run), "runName": run,
                "startedAt": iso8601(NOW), "polls": {"reader": 0, "writer": 0},
            }),
        }
    }

    async fn start(&mut self, env: &TestEnv) -> Value {
        let input = json!({
            "action": "start", "executionArn": self.state["executionArn"], "runName": self.state["runName"],
            "startedAt": self.state["startedAt"], "trigger": self.state["trigger"], "leaseSeconds": 3900,
        });
        let started = record_run(&env.ledger, &support::home(), NOW, input)
            .await
            .unwrap();
        self.state["run"] = started.clone();
        started
    }

    async fn plan(&mut self, env: &TestEnv) -> Value {
        let input = json!({"trigger": self.state["trigger"], "runName": self.state["runName"]});
        let plan = describe_writer(
            &env.rds,
            DescribeSettings::default(),
            &support::home(),
            NOW,
            input,
        )
        .await
        .unwrap();
        self.state["plan"] = serde_json::to_value(plan).unwrap();
        self.state["plan"].clone()
    }

    async fn create(&mut self, env: &TestEnv) -> Value {
        let plan = &self.state["plan"];
        let input = json!({
            "clusterId": plan["clusterId"], "runName": self.state["runName"],
            "instanceClass": plan["desiredClass"], "referenceInstanceId": plan["referenceInstanceId"],
            "availabilityZone": plan["availabilityZone"],
            "method": plan["action"], "targetInstanceId": plan["targetInstanceId"],
        });
        let created =
            serde_json::to_value(create_reader(&env.rds, false, input).await.unwrap()).unwrap();
        self.state["reader"] = created.clone();
        created
    }

    async fn check(&mut self, env: &TestEnv, question: &str) -> Value {
        let mut input = json!({"check": question, "clusterId": CLUSTER, "instanceId": self.state["plan"]["targetInstanceId"]});
        if question == "reader-available" {
            input["minimumClass"] = self.state["plan"]["desiredClass"].clone();
        }
        let answer = serde_json::to_value(check_status(&env.rds, input).await.unwrap()).unwrap();
        let slot = if question == "writer-moved" {
            "writerCheck"
        } else {
            "readerCheck"
        };
        self.state[slot] = answer.clone();
        answer
    }

    async fn fail_over(&mut self, env: &TestEnv) -> Value {
        let input =
            json!({"clusterId": CLUSTER, "instanceId": self.state["plan"]["targetInstanceId"]});
        serde_json::to_value(failover(&env.rds, false, input).await.unwrap()).unwrap()
    }

    async fn finish(&mut self, env: &TestEnv) -> Value {
        record_run(
            &env.ledger,
            &support::home(),
            NOW + 90.0,
            json!({"action": "finish", "state": self.state}),
        )
        .await
        .unwrap()
    }
}

async fn run_record(env: &TestEnv, run: &str) -> failback_core::outcome::RunRecord {
    let runs = env.ledger.runs(CLUSTER).await.unwrap();
    runs.into_iter()
        .find(|r| r.run_name == run)
        .unwrap_or_else(|| panic!("no ledger record for {run}"))
}

#[tokio::test]
async fn failback_path_moves_the_writer_back_to_the_old_writer() {
    let env = TestEnv::start().await;
    env.demo_cluster(&[(TAG_ENABLED, "true")]).await;
    env.fail_over_to_small_reader().await;
    assert_eq!(
        env.writer().await,
        ("orders-2".to_string(), "db.r6g.large".to_string())
    );

    let mut run = Run::new("run-failback", read_event("failover-completed.json"));
    assert_eq!(run.start(&env).await["leaseAcquired"], true);
    let plan = run.plan(&env).await;
    assert_eq!(plan["action"], "failback", "{plan}");
    assert_eq!(plan["targetInstanceId"], "orders-1");
    assert_eq!(plan["desiredClass"], "db.r6g.2xlarge");
    assert_eq!(run.check(&env, "reader-available").await["state"], "ready");
    assert_eq!(
        run.check(&env, "writer-moved").await["state"],
        "pending",
        "not moved before the failover"
    );
    assert_eq!(run.fail_over(&env).await["failoverRequested"], true);
    assert_eq!(run.check(&env, "writer-moved").await["state"], "ready");
    // A retry after the failover succeeded must not fail over again.
    assert_eq!(run.fail_over(&env).await["failoverRequested"], false);
    let finished = run.finish(&env).await;
    assert_eq!(finished["outcome"], "restored", "{finished}");

    assert_eq!(
        env.writer().await,
        ("orders-1".to_string(), "db.r6g.2xlarge".to_string())
    );
    assert_eq!(
        env.topology()
            .await
            .iter()
            .filter(|r| r.contains("available"))
            .count(),
        3,
        "no instance created"
    );
    let record = run_record(&env, "run-failback").await;
    assert_eq!(record.outcome, Outcome::Restored);
    assert_eq!(record.from_class.as_deref(), Some("db.r6g.large"));
    assert_eq!(record.to_class.as_deref(), Some("db.r6g.2xlarge"));
    assert_eq!(record.seconds_to_restore, Some(90.0));
    assert_eq!(
        env.ledger.lease_holder(CLUSTER).await.unwrap(),
        None,
        "lease released"
    );

    // The failover event our own failover causes must not start another restore.
    let mut echo = Run::new("run-echo", read_event("failover-completed.json"));
    echo.start(&env).await;
    assert_eq!(echo.plan(&env).await["action"], "none");
    assert_eq!(echo.finish(&env).await["outcome"], "no-op");
}

#[tokio::test]
async fn create_path_builds_a_tier0_reader_like_the_old_writer_and_fails_over_to_it() {
    let env = TestEnv::start().await;
    env.old_writer_gone().await;

    let mut run = Run::new("run-create", read_event("failover-completed.json"));
    run.start(&env).await;
    let plan = run.plan(&env).await;
    assert_eq!(plan["action"], "create", "{plan}");
    assert_eq!(plan["desiredClassSource"], "tag");
    assert_eq!(
        plan["availabilityZone"], "us-east-1b",
        "placed with the current writer"
    );
    let created = run.create(&env).await;
    assert_eq!(created["created"], true);
    let new_id = created["instanceId"].as_str().unwrap().to_string();
    assert_eq!(new_id, plan["targetInstanceId"].as_str().unwrap());
    assert!(new_id.starts_with("orders-fb-"), "{new_id}");

    // The step retried (a crash before its answer, or a Step Functions retry): it finds
    // the instance and creates nothing.
    let again = run.create(&env).await;
    assert_eq!(again["created"], false);
    assert_eq!(again["instanceId"], new_id.as_str());
    let instances = env.rds_client.describe_db_instances().send().await.unwrap();
    assert_eq!(
        instances.db_instances().len(),
        3,
        "orders-2, orders-3 and exactly one new reader"
    );

    let detail = env.rds.instance(&new_id).await.unwrap().unwrap();
    assert_eq!(detail.class, "db.r6g.2xlarge");
    assert_eq!(detail.promotion_tier, Some(0));
    assert_eq!(detail.cluster_id.as_deref(), Some(CLUSTER));
    assert_eq!(detail.availability_zone.as_deref(), Some("us-east-1b"));
    assert_eq!(detail.auto_minor_version_upgrade, Some(false));
    assert_eq!(detail.monitoring_interval, Some(60));
    // moto does not model Performance Insights; adapter_mocks.rs checks those fields.
    assert_eq!(
        detail.monitoring_role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/rds-monitoring")
    );
    assert_eq!(
        detail.ca_certificate,
        env.rds
            .instance("orders-2")
            .await
            .unwrap()
            .unwrap()
            .ca_certificate
    );
    assert_eq!(
        detail.tags.get("team").map(String::as_str),
        Some("payments")
    );
    assert_eq!(
        detail.tags.get(TAG_RUN).map(String::as_str),
        Some("run-create")
    );

    assert_eq!(run.check(&env, "reader-available").await["state"], "ready");
    assert_eq!(run.fail_over(&env).await["failoverRequested"], true);
    assert_eq!(run.check(&env, "writer-moved").await["state"], "ready");
    assert_eq!(run.finish(&env).await["outcome"], "restored");
    assert_eq!(
        env.writer().await,
        (new_id.clone(), "db.r6g.2xlarge".to_string())
    );
    let record = run_record(&env, "run-create").await;
    assert_eq!(record.created_instance_id.as_deref(), Some(new_id.as_str()));
    assert_eq!(record.action.as_deref(), Some("create"));
}

#[tokio::test]
async fn a_cluster_that_is_not_opted_in_is_skipped_and_left_alone() {
    let env = TestEnv::start().await;
    env.demo_cluster(&[]).await;
    env.fail_over_to_small_reader().await;
    let before = env.topology().await;

    let mut run = Run::new("run-not-opted-in", read_event("failover-completed.json"));
    run.start(&env).await;
    let plan = run.plan(&env).await;
    assert_eq!(plan["action"], "skip");
    assert_eq!(plan["reason"], "not-opted-in");
    assert_eq!(run.finish(&env).await["outcome"], "skipped");
    assert_eq!(env.topology().await, before);
}

#[tokio::test]
async fn a_dry_run_plans_and_changes_nothing() {
    let env = TestEnv::start().await;
    env.demo_cluster(&[(TAG_ENABLED, "true")]).await;
    env.fail_over_to_small_reader().await;
    let before = env.topology().await;

    let mut run = Run::new("run-dry", read_event("manual-dry-run.json"));
    run.start(&env).await;
    let plan = run.plan(&env).await;
    assert_eq!(plan["dryRun"], true);
    assert_eq!(plan["action"], "failback");
    let finished = run.finish(&env).await;
    assert_eq!(finished["outcome"], "dry-run");
    assert!(
        finished["summary"].as_str().unwrap().contains("orders-1"),
        "{finished}"
    );
    assert_eq!(env.topology().await, before);

    // The deployment-wide dry-run switch wins over an input that asks for a real run.
    let input = json!({"trigger": read_event("manual-start.json"), "runName": "run-forced-dry"});
    let forced = describe_writer(
        &env.rds,
        DescribeSettings {
            dry_run_only: true,
            ..DescribeSettings::default()
        },
        &support::home(),
        NOW,
        input,
    )
    .await
    .unwrap();
    assert!(forced.dry_run);
}

#[tokio::test]
async fn malformed_and_hostile_inputs_are_refused_and_change_nothing() {
    let env = TestEnv::start().await;
    env.demo_cluster(&[(TAG_ENABLED, "true")]).await;
    env.fail_over_to_small_reader().await;
    let before = env.topology().await;

    let hostile = [
        json!({"check": "reader-available", "clusterId": "orders", "instanceId": "orders-1; drop"}),
        json!({"check": "writer-moved", "clusterId": "../orders", "instanceId": "orders-1"}),
        json!({"check": "is-it-ready", "clusterId": "orders", "instanceId": "orders-1"}),
        json!(null),
    ];
    for input in hostile {
        let err = check_status(&env.rds, input.clone()).await.unwrap_err();
        assert_eq!(err.error_type(), "InvalidInput", "{input}: {err}");
    }
    let bad_create = [
        json!({"clusterId": "orders", "runName": "r1", "instanceClass": "db.serverless", "referenceInstanceId": "orders-1"}),
        json!({"clusterId": "orders", "runName": "r1 && rm", "instanceClass": "db.r6g.large", "referenceInstanceId": "orders-1"}),
        json!({"clusterId": "orders", "runName": "r1", "instanceClass": "db.r6g.large", "referenceInstanceId": "orders-1", "extra": 1}),
    ];
    for input in bad_create {
        let err = create_reader(&env.rds, false, input.clone())
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "InvalidInput", "{input}: {err}");
    }
    let err = failover(
        &env.rds,
        false,
        json!({"clusterId": "orders", "instanceId": "Orders--1"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "InvalidInput");
    let err = describe_writer(
        &env.rds,
        DescribeSettings::default(),
        &support::home(),
        NOW,
        json!({"trigger": {"clusterId": "nope"}, "runName": "r"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "ClusterNotFound");
    assert_eq!(env.topology().await, before);
}

#[tokio::test]
async fn a_failover_target_from_another_cluster_is_refused() {
    let env = TestEnv::start().await;
    env.demo_cluster(&[(TAG_ENABLED, "true")]).await;
    env.rds_client
        .create_db_cluster()
        .db_cluster_identifier("billing")
        .engine("aurora-postgresql")
        .master_username("app")
        .master_user_password("not-a-real-password")
        .send()
        .await
        .unwrap();
    env.rds_client
        .create_db_instance()
        .db_instance_identifier("billing-1")
        .db_cluster_identifier("billing")
        .engine("aurora-postgresql")
        .db_instance_class("db.r6g.4xlarge")
        .send()
        .await
        .unwrap();
    let before = env.topology().await;
    let err = failover(
        &env.rds,
        false,
        json!({"clusterId": "orders", "instanceId": "billing-1"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "TargetNotInCluster", "{err}");
    let err = check_status(
        &env.rds,
        json!({"check": "reader-available", "clusterId": "orders", "instanceId": "billing-1"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "TargetNotInCluster");
    assert_eq!(env.topology().await, before);

    // moto itself would accept this call; the drill's proxy refuses it, as AWS does.
    let proxy = support::workspace_root()
        .join("tools/drill/fault_proxy.py")
        .display()
        .to_string();
    let (proxy_port, _proxy) = support::start_lifeline(&[proxy, env.port.to_string()], &[]);
    let through_proxy = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(format!("http://127.0.0.1:{proxy_port}"))
        .region(aws_config::Region::new(support::REGION))
        .credentials_provider(aws_sdk_rds::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await;
    let refused = Rds::from_conf(&through_proxy)
        .failover(CLUSTER, "billing-1")
        .await;
    match refused {
        Err(FailoverCallFailure::Aws(AwsFailure::Refused { code, .. })) => {
            assert_eq!(code, "InvalidParameterCombination")
        }
        other => panic!("the proxy let a foreign failover target through: {other:?}"),
    }
    assert_eq!(env.topology().await, before);
}

#[tokio::test]
async fn two_runs_for_one_cluster_one_acts_the_other_is_skipped() {
    let env = TestEnv::start().await;
    env.demo_cluster(&[(TAG_ENABLED, "true")]).await;
    env.fail_over_to_small_reader().await;

    let mut first = Run::new("run-first", read_event("failover-started-cross-az.json"));
    let mut second = Run::new("run-second", read_event("failover-completed.json"));
    let (a, b) = tokio::join!(first.start(&env), second.start(&env));
    let acquired = [&a, &b]
        .iter()
        .filter(|s| s["leaseAcquired"] == true)
        .count();
    assert_eq!(acquired, 1, "exactly one lease: {a} {b}");
    let (winner, loser, winner_name) = if a["leaseAcquired"] == true {
        (&mut first, &mut second, "run-first")
    } else {
        (&mut second, &mut first, "run-second")
    };
    assert_eq!(loser.state["run"]["heldBy"], execution_arn(winner_name));
    let skipped = loser.finish(&env).await;
    assert_eq!(skipped["outcome"], "skipped");
    assert!(
        skipped["summary"].as_str().unwrap().contains(winner_name),
        "{skipped}"
    );
    assert_eq!(
        env.ledger.lease_holder(CLUSTER).await.unwrap(),
        Some(execution_arn(winner_name)),
        "the loser must not free it"
    );

    // A retried start by the holder keeps its lease; once it finishes, the cluster is free.
    assert_eq!(winner.start(&env).await["leaseAcquired"], true);
    winner.plan(&env).await;
    winner.finish(&env).await;
    assert_eq!(env.ledger.lease_holder(CLUSTER).await.unwrap(), None);
    let mut third = Run::new("run-third", read_event("failover-completed.json"));
    assert_eq!(third.start(&env).await["leaseAcquired"], true);
}

#[tokio::test]
async fn an_expired_lease_does_not_lock_the_cluster() {
    let env = TestEnv::start().await;
    env.ledger
        .acquire_lease(
            CLUSTER,
            &execution_arn("crashed"),
            "crashed",
            NOW as i64 - 8000,
            NOW as i64 - 4000,
        )
        .await
        .unwrap();
    let mut run = Run::new("run-after-crash", read_event("manual-start.json"));
    assert_eq!(run.start(&env).await["leaseAcquired"], true);
}

#[tokio::test]
async fn events_are_handled_as_documented() {
    let env = TestEnv::start().await;
    env.demo_cluster(&[(TAG_ENABLED, "true")]).await;
    env.fail_over_to_small_reader().await;
    let before = env.topology().await;

    // file → expected plan action, or expected error type
    let table: &[(&str, Result<&str, &str>)] = &[
        ("failover-completed.json", Ok("failback")),
        ("failover-started-same-az.json", Ok("failback")),
        ("failover-started-cross-az.json", Ok("failback")),
        ("failover-completed-docs-shape.json", Ok("failback")),
        ("manual-start.json", Ok("failback")),
        ("manual-dry-run.json", Ok("failback")),
        ("invalid/failover-failed-event.json", Err("InvalidInput")),
        ("invalid/instance-event.json", Err("InvalidInput")),
        ("invalid/hostile-cluster-id.json", Err("InvalidInput")),
        ("invalid/dry-run-as-string.json", Err("InvalidInput")),
        ("invalid/misspelt-field.json", Err("InvalidInput")),
        ("invalid/serverless-writer-class.json", Err("InvalidInput")),
        ("invalid/not-json-object.json", Err("InvalidInput")),
        ("invalid/foreign-account-event.json", Err("ForeignCluster")),
        ("invalid/foreign-region-event.json", Err("ForeignCluster")),
        (
            "invalid/source-identifier-mismatch.json",
            Err("ForeignCluster"),
        ),
        ("stale-event.json", Ok("skip")),
    ];
    for (file, expected) in table {
        let input = json!({"trigger": read_event(file), "runName": "run-events"});
        let got = describe_writer(
            &env.rds,
            DescribeSettings::default(),
            &support::home(),
            NOW,
            input,
        )
        .await;
        match (expected, got) {
            (Ok(action), Ok(plan)) => {
                let plan = serde_json::to_value(plan).unwrap();
                assert_eq!(plan["action"], *action, "{file}: {plan}");
                assert_eq!(plan["clusterId"], CLUSTER, "{file}");
                assert_eq!(plan["dryRun"], *file == "manual-dry-run.json", "{file}");
            }
            (Err(error_type), Err(err)) => {
                assert_eq!(err.error_type(), *error_type, "{file}: {err}")
            }
            (expected, got) => panic!("{file}: expected {expected:?}, got {got:?}"),
        }
    }

    // The status-change event finishes a run that died without its finishing step.
    let mut orphan = Run::new("run-timed-out", json!({"clusterId": "orders"}));
    orphan.start(&env).await;
    let recorded = record_run(
        &env.ledger,
        &support::home(),
        NOW + 3700.0,
        read_event("execution-timed-out.json"),
    )
    .await
    .unwrap();
    assert_eq!(recorded["recorded"], true, "{recorded}");
    let record = run_record(&env, "run-timed-out").await;
    assert_eq!(record.outcome, Outcome::Failed);
    assert_eq!(record.error.as_deref(), Some("ExecutionTimedOut"));
    assert_eq!(
        env.ledger.lease_holder(CLUSTER).await.unwrap(),
        None,
        "the dead run's lease is freed"
    );
    // Delivered twice (EventBridge is at-least-once): the finished record stays as it is.
    let again = record_run(
        &env.ledger,
        &support::home(),
        NOW + 3800.0,
        read_event("execution-timed-out.json"),
    )
    .await
    .unwrap();
    assert_eq!(again["recorded"], false);

    let mut covered: Vec<String> = table.iter().map(|(f, _)| f.to_string()).collect();
    covered.push("execution-timed-out.json".into());
    let mut present = Vec::new();
    for dir in ["", "invalid/"] {
        for entry in std::fs::read_dir(support::workspace_root().join("events").join(dir)).unwrap()
        {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".json") {
                present.push(format!("{dir}{name}"));
            }
        }
    }
    present.sort();
    covered.sort();
    assert_eq!(
        present, covered,
        "every file in events/ has a documented result here"
    );
    assert_eq!(env.topology().await, before, "planning changed nothing");
}

/// The ledger is an audit trail: a forged or mistaken invocation cannot take or free
/// another run's lease, and cannot rewrite a finished record.
#[tokio::test]
async fn the_ledger_cannot_be_rewritten_by_a_forged_invocation() {
    let env = TestEnv::start().await;
    env.demo_cluster(&[(TAG_ENABLED, "true")]).await;
    let mut holder = Run::new("run-holder", json!({"clusterId": "orders"}));
    assert_eq!(holder.start(&env).await["leaseAcquired"], true);

    // The holder's ARN under another run name: refused, the lease is untouched.
    let borrowed = json!({
        "action": "start", "executionArn": execution_arn("run-holder"), "runName": "run-thief",
        "startedAt": iso8601(NOW), "trigger": {"clusterId": "orders"}, "leaseSeconds": 3900,
    });
    let err = record_run(&env.ledger, &support::home(), NOW, borrowed)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "InvalidInput", "{err}");
    // A status change whose name is not its ARN's cannot free the lease.
    let mut mismatched = read_event("execution-timed-out.json");
    mismatched["detail"]["executionArn"] = json!(execution_arn("run-holder"));
    mismatched["detail"]["name"] = json!("run-other");
    let err = record_run(&env.ledger, &support::home(), NOW, mismatched)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "InvalidInput", "{err}");
    assert_eq!(
        env.ledger.lease_holder(CLUSTER).await.unwrap().as_deref(),
        Some(execution_arn("run-holder").as_str())
    );

    // The run times out; then a finish claiming success arrives: the record stays failed.
    let mut timed_out = read_event("execution-timed-out.json");
    timed_out["detail"]["executionArn"] = json!(execution_arn("run-holder"));
    timed_out["detail"]["name"] = json!("run-holder");
    timed_out["detail"]["input"] = json!(r#"{"clusterId": "orders"}"#);
    let ended = record_run(&env.ledger, &support::home(), NOW + 3700.0, timed_out)
        .await
        .unwrap();
    assert_eq!(ended["recorded"], true, "{ended}");
    holder.state["plan"] = json!({"clusterId": "orders", "dryRun": false, "writerInstanceId": "orders-2",
        "writerClass": "db.r6g.large", "desiredClass": "db.r6g.2xlarge", "desiredClassSource": "tag",
        "action": "failback", "targetInstanceId": "orders-1", "targetStatus": "available", "summary": "s"});
    holder.state["writerCheck"] = json!({"state": "ready", "clusterId": "orders",
        "instanceStatus": "available", "clusterStatus": "available", "writerInstanceId": "orders-1"});
    let claimed = holder.finish(&env).await;
    assert_eq!(
        claimed["outcome"], "restored",
        "the claim itself is consistent"
    );
    let record = run_record(&env, "run-holder").await;
    assert_eq!(
        record.outcome,
        Outcome::Failed,
        "a finished record is never overwritten"
    );
    assert_eq!(record.error.as_deref(), Some("ExecutionTimedOut"));

    // A finish whose plan names another cluster is refused whole.
    let mut other = Run::new("run-other-plan", json!({"clusterId": "orders"}));
    other.start(&env).await;
    other.state["plan"] = holder.state["plan"].clone();
    other.state["plan"]["clusterId"] = json!("payments");
    let finish = json!({"action": "finish", "state": other.state});
    let err = record_run(&env.ledger, &support::home(), NOW, finish)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "InvalidInput", "{err}");
    assert_eq!(
        run_record(&env, "run-other-plan").await.outcome,
        Outcome::Running
    );
}

#[tokio::test]
async fn a_planned_scale_up_changes_a_spare_reader_in_place_and_fails_over_once() {
    let env = TestEnv::start().await;
    env.demo_cluster(&[(TAG_ENABLED, "true")]).await;
    let before: Vec<String> = env.topology().await;
    let mut run = Run::new(
        "run-scale-up",
        json!({"clusterId": CLUSTER, "writerClass": "db.r6g.4xlarge"}),
    );
    run.start(&env).await;
    let plan = run.plan(&env).await;
    assert_eq!(plan["action"], "modify", "{plan}");
    let target = plan["targetInstanceId"].as_str().unwrap().to_string();
    assert!(
        ["orders-2", "orders-3"].contains(&target.as_str()),
        "{plan}"
    );

    let modified = run.create(&env).await;
    assert_eq!(modified["instanceId"], target.as_str());
    // Retried (a lost answer): the reader already has the class; nothing is sent again.
    let again = run.create(&env).await;
    assert_eq!(again["created"], false, "{again}");
    let detail = env.rds.instance(&target).await.unwrap().unwrap();
    assert_eq!(detail.class, "db.r6g.4xlarge");
    assert_eq!(detail.promotion_tier, Some(0));

    assert_eq!(run.check(&env, "reader-available").await["state"], "ready");
    assert_eq!(run.fail_over(&env).await["failoverRequested"], true);
    assert_eq!(run.check(&env, "writer-moved").await["state"], "ready");
    assert_eq!(run.finish(&env).await["outcome"], "restored");
    assert_eq!(
        env.writer().await,
        (target.clone(), "db.r6g.4xlarge".to_string())
    );
    let after = env.topology().await;
    assert_eq!(after.len(), before.len(), "nothing created: {after:?}");
    let record = run_record(&env, "run-scale-up").await;
    assert_eq!(record.action.as_deref(), Some("modify"));
    assert_eq!(record.created_instance_id, None);

    // The old writer, now a reader, brought to the same class behind the new writer.
    let old_writer = plan["writerInstanceId"].as_str().unwrap().to_string();
    let scale_old = json!({
        "clusterId": CLUSTER, "runName": "run-scale-up", "instanceClass": "db.r6g.4xlarge",
        "referenceInstanceId": old_writer, "availabilityZone": null,
        "method": "scale-old-writer", "targetInstanceId": old_writer,
    });
    let scaled = create_reader(&env.rds, false, scale_old.clone())
        .await
        .unwrap();
    assert!(scaled.created, "{scaled:?}");
    let detail = env.rds.instance(&old_writer).await.unwrap().unwrap();
    assert_eq!(
        (detail.class.as_str(), detail.promotion_tier),
        ("db.r6g.4xlarge", Some(1))
    );
    let again = create_reader(&env.rds, false, scale_old).await.unwrap();
    assert!(!again.created, "sent once");

    // A reader that became the writer meanwhile is not changed in place.
    let input = json!({
        "clusterId": CLUSTER, "runName": "run-scale-up", "instanceClass": "db.r6g.8xlarge",
        "referenceInstanceId": target, "availabilityZone": null,
        "method": "modify", "targetInstanceId": target,
    });
    let err = create_reader(&env.rds, false, input).await.unwrap_err();
    assert_eq!(err.error_type(), "NotASpareReader", "{err}");
}

#[tokio::test]
async fn a_reader_the_run_gave_up_on_is_deleted_once_and_only_if_it_is_the_runs() {
    let env = TestEnv::start().await;
    env.old_writer_gone().await;
    let mut run = Run::new("run-abandoned", read_event("failover-completed.json"));
    run.start(&env).await;
    let plan = run.plan(&env).await;
    assert_eq!(plan["action"], "create", "{plan}");
    let new_id = run.create(&env).await["instanceId"]
        .as_str()
        .unwrap()
        .to_string();
    // The machine gave up on it (it never became available): CleanUpReader.
    let cleanup_input = json!({
        "clusterId": CLUSTER, "runName": "run-abandoned", "instanceClass": plan["desiredClass"],
        "referenceInstanceId": plan["referenceInstanceId"], "availabilityZone": plan["availabilityZone"],
        "method": "delete-abandoned", "targetInstanceId": new_id,
    });
    let cleaned = create_reader(&env.rds, false, cleanup_input.clone())
        .await
        .unwrap();
    assert_eq!(cleaned.status, "deleting");
    assert!(
        env.rds.instance(&new_id).await.unwrap().is_none(),
        "deleted"
    );
    // Retried: nothing left to delete, and that is not an error.
    let again = create_reader(&env.rds, false, cleanup_input.clone())
        .await
        .unwrap();
    assert_eq!(again.status, "gone");

    run.state["error"] =
        json!({"Error": "ReaderWaitExhausted", "Cause": "not ready after 60 checks"});
    run.state["cleanup"] = serde_json::to_value(&cleaned).unwrap();
    assert_eq!(run.finish(&env).await["outcome"], "failed");
    let record = run_record(&env, "run-abandoned").await;
    assert_eq!(
        record.cleanup.as_deref(),
        Some(format!("deleted {new_id}, which this run created and gave up on").as_str())
    );

    // Another run's instance of that name, or one without the run tag, is never deleted.
    let stranger = json!({
        "clusterId": CLUSTER, "runName": "run-other", "instanceClass": "db.r6g.2xlarge",
        "referenceInstanceId": "orders-2", "availabilityZone": null,
        "method": "delete-abandoned", "targetInstanceId": "orders-2",
    });
    let mut run2 = Run::new("run-other", read_event("failover-completed.json"));
    run2.state["plan"] = plan.clone();
    run2.create(&env).await;
    let other_id = failback_core::identifier::replacement_instance_id(CLUSTER, "run-other");
    env.rds_client
        .remove_tags_from_resource()
        .resource_name(format!("arn:aws:rds:us-east-1:123456789012:db:{other_id}"))
        .tag_keys(TAG_RUN)
        .send()
        .await
        .unwrap();
    let err = create_reader(&env.rds, false, stranger).await.unwrap_err();
    assert_eq!(err.error_type(), "IdentifierConflict", "{err}");
    assert!(
        env.rds.instance(&other_id).await.unwrap().is_some(),
        "left alone"
    );
}

#[tokio::test]
async fn a_replacement_is_only_made_for_an_instance_that_ran_out_of_capacity() {
    let env = TestEnv::start().await;
    env.old_writer_gone().await;
    let mut run = Run::new("run-replace", read_event("failover-completed.json"));
    run.start(&env).await;
    let plan = run.plan(&env).await;
    let created = run.create(&env).await;
    assert_eq!(created["placement"], 1, "{created}");
    assert_eq!(
        created["tried"].as_array().map(Vec::len),
        Some(1),
        "{created}"
    );
    let before = env.topology().await;
    // The machine asks only after check-status said insufficient-capacity; moto's
    // instance is healthy, so a forged or mistaken call changes nothing.
    let replace = json!({
        "clusterId": CLUSTER, "runName": "run-replace", "instanceClass": plan["desiredClass"],
        "referenceInstanceId": plan["referenceInstanceId"], "availabilityZone": plan["availabilityZone"],
        "method": "replace-abandoned", "targetInstanceId": created["instanceId"],
        "placement": 1, "tried": created["tried"],
    });
    let err = create_reader(&env.rds, false, replace.clone())
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "InvalidInput", "{err}");
    assert!(
        err.to_string().contains("not insufficient-capacity"),
        "{err}"
    );
    assert_eq!(env.topology().await, before, "nothing changed");
    // No placement beyond the run's bound, and none that is not a number of it.
    for placement in [json!(4), json!(255), json!(-1), json!("2")] {
        let mut beyond = replace.clone();
        beyond["placement"] = placement.clone();
        let err = create_reader(&env.rds, false, beyond).await.unwrap_err();
        assert_eq!(err.error_type(), "InvalidInput", "{placement}: {err}");
    }
    assert_eq!(env.topology().await, before, "nothing changed");
}
