//! The aurora-failback binary against moto on 127.0.0.1 (RDS, DynamoDB, Step Functions):
//! golden output of `plan` for each outcome, `enable` then `plan`, `runs`, `start` and
//! `status`, and each error a person can act on, from a real failing call.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../failback-core/tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::Command;

use failback_core::clock::iso8601;
use failback_core::failback::steps::record_run::record_run;
use failback_core::model::{TAG_ENABLED, TAG_WRITER_CLASS};
use serde_json::{json, Value};
use support::{moto_post, workspace_root, TestEnv, CLUSTER, REGION, TABLE};

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the CLI with nothing from this machine's AWS setup: only what `env` gives it.
fn cli_with(env: &[(&str, String)], args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_aurora-failback"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws-credentials",
        )
        .env("AURORA_FAILBACK_POLL_MS", "50")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("run aurora-failback");
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn aws_env(port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")),
        ("AWS_REGION", REGION.to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        ("AURORA_FAILBACK_TABLE", TABLE.to_string()),
    ]
}

fn cli(env: &TestEnv, args: &[&str]) -> Output {
    cli_with(&aws_env(env.port), args)
}

/// Compares with tests/golden/NAME.txt; UPDATE_GOLDEN=1 rewrites the file instead.
fn assert_golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        actual, expected,
        "golden {name} differs (UPDATE_GOLDEN=1 to accept)"
    );
}

#[tokio::test]
async fn plan_prints_each_outcome_as_a_person_reads_it() {
    let env = TestEnv::start().await;
    env.demo_cluster(&[(TAG_ENABLED, "true")]).await;
    let none = cli(&env, &["plan", CLUSTER]);
    assert_eq!(none.code, 0, "{}", none.stderr);
    assert_golden("plan-none", &none.stdout);

    env.fail_over_to_small_reader().await;
    let failback = cli(&env, &["plan", CLUSTER]);
    assert_golden("plan-failback", &failback.stdout);

    env.rds_client
        .delete_db_instance()
        .db_instance_identifier("orders-1")
        .send()
        .await
        .unwrap();
    let create = cli(&env, &["plan", CLUSTER, "--writer-class", "db.r6g.2xlarge"]);
    assert_golden("plan-create", &create.stdout);
    let as_json: Value = serde_json::from_str(
        &cli(
            &env,
            &[
                "plan",
                CLUSTER,
                "--writer-class",
                "db.r6g.2xlarge",
                "--json",
            ],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(as_json["action"], "create");
    assert_eq!(as_json["desiredClassSource"], "input");

    env.rds_client
        .stop_db_cluster()
        .db_cluster_identifier(CLUSTER)
        .send()
        .await
        .unwrap();
    let skip = cli(&env, &["plan", CLUSTER]);
    assert_golden("plan-skip", &skip.stdout);
}

#[tokio::test]
async fn enable_sets_the_tags_that_plan_then_reads_and_disable_removes_them() {
    let env = TestEnv::start().await;
    env.demo_cluster(&[]).await;
    env.fail_over_to_small_reader().await;
    assert!(cli(&env, &["plan", CLUSTER])
        .stdout
        .contains("not opted in"));

    let enabled = cli(
        &env,
        &["enable", CLUSTER, "--writer-class", "db.r6g.4xlarge"],
    );
    assert_eq!(enabled.code, 0, "{}", enabled.stderr);
    assert_golden("enable", &enabled.stdout);
    let tags = env.rds.cluster(CLUSTER).await.unwrap().unwrap().tags;
    assert_eq!(tags.get(TAG_ENABLED).map(String::as_str), Some("true"));
    assert_eq!(
        tags.get(TAG_WRITER_CLASS).map(String::as_str),
        Some("db.r6g.4xlarge")
    );
    assert!(cli(&env, &["enable", CLUSTER])
        .stdout
        .contains("nothing changed"));

    let planned = cli(&env, &["plan", CLUSTER]).stdout;
    assert!(planned.contains(", opted in"), "{planned}");
    assert!(
        planned.contains("db.r6g.4xlarge  (from the aurora-failback:writer-class tag)"),
        "{planned}"
    );
    // A manual run changes the spare reader orders-1 in place rather than create one.
    assert!(planned.contains("Action       modify:"), "{planned}");

    let disabled = cli(&env, &["disable", CLUSTER]);
    assert_eq!(disabled.code, 0);
    assert!(
        disabled
            .stdout
            .contains("aurora-failback:enabled  true -> (removed)"),
        "{}",
        disabled.stdout
    );
    assert!(env
        .rds
        .cluster(CLUSTER)
        .await
        .unwrap()
        .unwrap()
        .tags
        .is_empty());

    let refused = cli(&env, &["enable", CLUSTER, "--writer-class", "huge"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
}

#[tokio::test]
async fn runs_lists_the_ledger() {
    let env = TestEnv::start().await;
    let start = 1_763_700_000.0;
    for (run, trigger, minutes) in [
        ("run-a", json!({"clusterId": "orders"}), 0.0),
        ("run-b", json!({"clusterId": "billing"}), 60.0),
    ] {
        let started_at = start + minutes * 60.0;
        let input = json!({"action": "start", "executionArn": format!("arn:aws:states:us-east-1:123456789012:execution:m:{run}"),
            "runName": run, "startedAt": iso8601(started_at), "trigger": trigger, "leaseSeconds": 3900});
        let lease = record_run(&env.ledger, &support::home(), started_at, input)
            .await
            .unwrap();
        let state = json!({
            "executionArn": format!("arn:aws:states:us-east-1:123456789012:execution:m:{run}"), "runName": run,
            "startedAt": iso8601(started_at), "trigger": trigger, "run": lease,
            "plan": {"clusterId": trigger["clusterId"], "dryRun": false, "writerInstanceId": "x-2", "writerClass": "db.r6g.large",
                     "desiredClass": "db.r6g.2xlarge", "desiredClassSource": "tag", "action": "failback",
                     "targetInstanceId": "x-1", "targetStatus": "available", "summary": "s"},
            "writerCheck": {"state": "ready", "clusterId": trigger["clusterId"], "instanceStatus": "available", "writerInstanceId": "x-1"},
        });
        record_run(
            &env.ledger,
            &support::home(),
            started_at + 95.0,
            json!({"action": "finish", "state": state}),
        )
        .await
        .unwrap();
    }
    let all = cli(&env, &["runs"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    assert_golden("runs", &all.stdout);
    let one = cli(&env, &["runs", "--cluster", "orders", "--limit", "1"]);
    assert_eq!(one.stdout.lines().count(), 2, "{}", one.stdout);
    let records: Value = serde_json::from_str(&cli(&env, &["runs", "--json"]).stdout).unwrap();
    assert_eq!(records.as_array().map(Vec::len), Some(2));
    assert_eq!(records[0]["clusterId"], "billing", "newest first");
}

/// A Step Functions machine in moto with the deployed machine's state names, whose Pass
/// states write what our Lambdas would: moto cannot run the Lambda tasks themselves.
fn stand_in_machine(outcome: &str) -> String {
    json!({
        "StartAt": "StartRun",
        "States": {
            "StartRun": {"Type": "Pass", "Result": {"leaseAcquired": true}, "ResultPath": "$.run", "Next": "DescribeWriter"},
            "DescribeWriter": {"Type": "Pass", "Result": {"action": "failback", "targetInstanceId": "orders-1"}, "ResultPath": "$.plan", "Next": "FinishRun"},
            "FinishRun": {"Type": "Pass", "Result": {"outcome": outcome, "summary": "writer is now orders-1 (db.r6g.2xlarge)"}, "ResultPath": "$.result", "Next": "Done"},
            "Done": {"Type": "Succeed"}
        }
    })
    .to_string()
}

/// The very file that is deployed, with the substitutions CloudFormation makes.
fn deployed_definition(
    file: &str,
    region: &str,
    functions: &[&str],
    parameters: &[(&str, &str)],
) -> String {
    let mut definition =
        std::fs::read_to_string(workspace_root().join("statemachine").join(file)).unwrap();
    for name in functions {
        definition = definition.replace(
            &format!("${{{name}FunctionArn}}"),
            &format!("arn:aws:lambda:{region}:123456789012:function:{name}"),
        );
    }
    for (name, value) in parameters {
        definition = definition.replace(&format!("${{{name}}}"), value);
    }
    assert!(!definition.contains("${"), "every placeholder substituted");
    definition
}

async fn register(env: &TestEnv, name: &str, definition: String) -> String {
    let sfn = aws_sdk_sfn::Client::new(&env.config);
    sfn.create_state_machine()
        .name(name)
        .definition(definition)
        .role_arn("arn:aws:iam::123456789012:role/aurora-failback")
        .send()
        .await
        .unwrap()
        .state_machine_arn()
        .to_string()
}

#[tokio::test]
async fn start_registers_one_execution_per_request_and_status_follows_it() {
    let env = TestEnv::start().await;
    moto_post(
        env.port,
        "/moto-api/config",
        r#"{"stepfunctions": {"execute_state_machine": false}}"#,
    );
    let definition = deployed_definition(
        "failback.asl.json",
        REGION,
        &[
            "DescribeWriter",
            "CreateReader",
            "CheckStatus",
            "Failover",
            "RecordRun",
        ],
        &[
            ("ReaderCheckBudget", "60"),
            ("WriterCheckBudget", "60"),
            ("NewReaderWaitSeconds", "540"),
        ],
    );
    let machine = register(&env, "aurora-failback", definition).await;
    let mut with_machine = aws_env(env.port);
    with_machine.push(("AURORA_FAILBACK_STATE_MACHINE", machine.clone()));

    let first = cli_with(&with_machine, &["start", CLUSTER, "--dry-run"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let second = cli_with(&with_machine, &["start", CLUSTER, "--dry-run"]);
    assert_eq!(
        second.stdout, first.stdout,
        "a double start is the same execution"
    );
    let sfn = aws_sdk_sfn::Client::new(&env.config);
    let executions = sfn
        .list_executions()
        .state_machine_arn(&machine)
        .send()
        .await
        .unwrap();
    assert_eq!(executions.executions().len(), 1);
    let execution = &executions.executions()[0];
    let described = sfn
        .describe_execution()
        .execution_arn(execution.execution_arn())
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(described.input().unwrap()).unwrap(),
        json!({"clusterId": "orders", "dryRun": true})
    );

    let status = cli_with(&with_machine, &["status", execution.name()]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(
        status
            .stdout
            .starts_with(&format!("Run {}: RUNNING", execution.name())),
        "{}",
        status.stdout
    );

    let refused = cli_with(&with_machine, &["start", "orders;x"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);

    // scale-up is a start that names the class and, when asked, the method.
    let scaled = cli_with(
        &with_machine,
        &[
            "scale-up",
            CLUSTER,
            "--to",
            "db.r6g.4xlarge",
            "--method",
            "modify",
            "--scale-old-writer",
        ],
    );
    assert_eq!(scaled.code, 0, "{}", scaled.stderr);
    let executions = sfn
        .list_executions()
        .state_machine_arn(&machine)
        .send()
        .await
        .unwrap();
    let inputs: Vec<Value> = execution_inputs(&sfn, executions.executions()).await;
    assert!(
        inputs.contains(&json!({"clusterId": "orders", "dryRun": false,
                                "writerClass": "db.r6g.4xlarge", "method": "modify",
                                "scaleOldWriter": true})),
        "{inputs:?}"
    );
    for bad in [
        vec!["scale-up", CLUSTER, "--to", "db.r6g.huge"],
        vec![
            "scale-up",
            CLUSTER,
            "--to",
            "db.r6g.4xlarge",
            "--method",
            "replace",
        ],
    ] {
        let refused = cli_with(&with_machine, &bad);
        assert_eq!(refused.code, 2, "{bad:?}: {}", refused.stderr);
    }
}

/// Each execution's input, as JSON.
async fn execution_inputs(
    sfn: &aws_sdk_sfn::Client,
    executions: &[aws_sdk_sfn::types::ExecutionListItem],
) -> Vec<Value> {
    let mut inputs = Vec::new();
    for execution in executions {
        let described = sfn
            .describe_execution()
            .execution_arn(execution.execution_arn())
            .send()
            .await
            .unwrap();
        inputs.push(serde_json::from_str(described.input().unwrap_or("null")).unwrap());
    }
    inputs
}

#[tokio::test]
async fn start_wait_follows_the_run_and_exits_by_its_outcome() {
    let env = TestEnv::start().await;
    moto_post(
        env.port,
        "/moto-api/config",
        r#"{"stepfunctions": {"execute_state_machine": true}}"#,
    );
    for (outcome, code) in [("restored", 0), ("skipped", 3), ("failed", 4)] {
        let machine = register(
            &env,
            &format!("stand-in-{outcome}"),
            stand_in_machine(outcome),
        )
        .await;
        let mut with_machine = aws_env(env.port);
        with_machine.push(("AURORA_FAILBACK_STATE_MACHINE", machine));
        let waited = cli_with(&with_machine, &["start", CLUSTER, "--wait"]);
        assert_eq!(
            waited.code, code,
            "{outcome}: {}{}",
            waited.stdout, waited.stderr
        );
        assert!(
            waited
                .stdout
                .contains("DescribeWriter       ok plan: failback orders-1"),
            "{}",
            waited.stdout
        );
        assert!(
            waited
                .stdout
                .contains(&format!("Outcome: {outcome} (writer is now orders-1")),
            "{}",
            waited.stdout
        );
    }
    moto_post(
        env.port,
        "/moto-api/config",
        r#"{"stepfunctions": {"execute_state_machine": false}}"#,
    );
}

#[tokio::test]
async fn errors_a_person_can_act_on_have_their_own_exit_codes() {
    let env = TestEnv::start().await;
    env.demo_cluster(&[(TAG_ENABLED, "true")]).await;
    let base = aws_env(env.port);
    let without = |names: &[&str]| {
        base.iter()
            .filter(|(k, _)| !names.contains(k))
            .cloned()
            .collect::<Vec<_>>()
    };

    let no_credentials = cli_with(
        &without(&["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]),
        &["plan", CLUSTER],
    );
    assert_eq!(no_credentials.code, 10, "{}", no_credentials.stderr);
    assert!(
        no_credentials
            .stderr
            .starts_with("aurora-failback: no AWS credentials"),
        "{}",
        no_credentials.stderr
    );

    let no_region = cli_with(&without(&["AWS_REGION"]), &["plan", CLUSTER]);
    assert_eq!(no_region.code, 11, "{}", no_region.stderr);

    let missing = cli(&env, &["plan", "nope"]);
    assert_eq!(
        (missing.code, missing.stderr.as_str()),
        (
            12,
            "aurora-failback: cluster nope not found in this account and region\n"
        )
    );

    let mut unknown_machine = base.clone();
    unknown_machine.push((
        "AURORA_FAILBACK_STATE_MACHINE",
        "arn:aws:states:us-east-1:123456789012:stateMachine:gone".into(),
    ));
    let no_machine = cli_with(&unknown_machine, &["start", CLUSTER]);
    assert_eq!(no_machine.code, 13, "{}", no_machine.stderr);
    let no_stack = cli(&env, &["start", CLUSTER]);
    assert_eq!(no_stack.code, 13, "{}", no_stack.stderr);
    assert!(
        no_stack.stderr.contains("deploy stack aurora-failback"),
        "{}",
        no_stack.stderr
    );

    // moto with IAM checks on: these keys belong to no user, so every call is refused.
    let script = workspace_root()
        .join("tools/moto_lifeline.py")
        .display()
        .to_string();
    let (strict_port, _strict) =
        support::start_lifeline(&[script], &[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]);
    let denied = cli_with(&aws_env(strict_port), &["plan", CLUSTER]);
    assert_eq!(denied.code, 14, "{}", denied.stderr);
    assert!(
        denied.stderr.starts_with("aurora-failback: access denied"),
        "{}",
        denied.stderr
    );

    // Every call throttled (the drill's fault proxy in front of moto), even after the SDK's retries.
    let proxy = workspace_root()
        .join("tools/drill/fault_proxy.py")
        .display()
        .to_string();
    let (proxy_port, _proxy) =
        support::start_lifeline(&[proxy, env.port.to_string(), "--throttle-all".into()], &[]);
    let throttled = cli_with(&aws_env(proxy_port), &["plan", CLUSTER]);
    assert_eq!(throttled.code, 15, "{}", throttled.stderr);
}

fn dr_env(port: u16) -> Vec<(&'static str, String)> {
    let mut env = aws_env(port);
    env.retain(|(k, _)| *k != "AWS_REGION");
    env.push(("AWS_REGION", "us-west-2".to_string()));
    env
}

fn payload_file(name: &str, payload: &Value) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aurora-failback-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, payload.to_string()).unwrap();
    path
}

#[tokio::test]
async fn dr_plan_shows_each_resource_and_whether_it_can_go_on() {
    let env = TestEnv::start().await;
    env.global_databases(&["orders-global", "billing-global"])
        .await;
    // The pilot light: a MySQL instance in the east, its read replica here in the west.
    env.mysql_instance(&env.rds_client, "mysql").await;
    aws_sdk_rds::Client::new(&env.west_config())
        .create_db_instance_read_replica()
        .db_instance_identifier("mysql-replica")
        .source_db_instance_identifier("arn:aws:rds:us-east-1:123456789012:db:mysql")
        .send()
        .await
        .unwrap();
    // The replica lags two minutes, as CloudWatch reports it: not ready (60 s allowed).
    aws_sdk_cloudwatch::Client::new(&env.west_config())
        .put_metric_data()
        .namespace("AWS/RDS")
        .metric_data(
            aws_sdk_cloudwatch::types::MetricDatum::builder()
                .metric_name("ReplicaLag")
                .dimensions(
                    aws_sdk_cloudwatch::types::Dimension::builder()
                        .name("DBInstanceIdentifier")
                        .value("mysql-replica")
                        .build(),
                )
                .value(120.0)
                .unit(aws_sdk_cloudwatch::types::StandardUnit::Seconds)
                .timestamp(aws_sdk_cloudwatch::primitives::DateTime::from(
                    std::time::SystemTime::now() - std::time::Duration::from_secs(30),
                ))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let payload = json!({"StatePayload": [
        {"layer": 1, "resources": [
            {"resourceType": "PlannedFailoverAurora", "resourceName": "orders",
             "parameters": {"GlobalClusterIdentifier": "orders-global", "DBClusterIdentifier": "orders-global-west"}},
            {"resourceType": "PlannedFailoverAurora", "resourceName": "billing, wrong target",
             "parameters": {"GlobalClusterIdentifier": "billing-global", "DBClusterIdentifier": "orders-global-west"}}]},
        {"layer": 2, "resources": [
            {"resourceType": "PromoteRDSReadReplica", "resourceName": "pilot light",
             "parameters": {"RDSInstanceIdentifier": "mysql-replica", "BackupRetentionPeriod": 7}}]}]});
    let path = payload_file("plan.json", &payload);
    let planned = cli_with(&dr_env(env.port), &["dr", "plan", path.to_str().unwrap()]);
    assert_eq!(
        planned.code, 3,
        "one resource cannot go on: {}",
        planned.stderr
    );
    assert_golden("dr-plan", &planned.stdout);

    let refused = json!({"StatePayload": [{"layer": 1, "resources": [
        {"resourceType": "FailoverDynamoDB", "resourceName": "t", "parameters": {}},
        {"resourceType": "PlannedFailoverAurora", "resourceName": "g",
         "parameters": {"GlobalClusterIdentifier": "!Import nowhere", "DBClusterIdentifier": "c", "Extra": 1}}]}]});
    let path = payload_file("refused.json", &refused);
    let refused = cli_with(&dr_env(env.port), &["dr", "plan", path.to_str().unwrap()]);
    assert_eq!(refused.code, 2, "{}", refused.stdout);
    assert!(
        refused.stderr.contains("2 problems")
            && refused.stderr.contains("FailoverDynamoDB")
            && refused.stderr.contains("\"Extra\""),
        "{}",
        refused.stderr
    );
}

#[tokio::test]
async fn dr_start_registers_the_payload_once_and_status_follows_it() {
    let env = TestEnv::start().await;
    moto_post(
        env.port,
        "/moto-api/config",
        r#"{"stepfunctions": {"execute_state_machine": false}}"#,
    );
    env.global_databases(&["orders-global"]).await;
    let definition = deployed_definition(
        "dr.asl.json",
        "us-west-2",
        &["DrValidate", "DrCheck", "DrAct", "RecordRun"],
        &[
            ("ResourceCheckBudget", "120"),
            (
                "FailbackStateMachineArn",
                "arn:aws:states:us-west-2:123456789012:stateMachine:aurora-failback",
            ),
        ],
    );
    let sfn = aws_sdk_sfn::Client::new(&env.west_config());
    let machine = sfn
        .create_state_machine()
        .name("aurora-failback-dr")
        .definition(definition)
        .role_arn("arn:aws:iam::123456789012:role/aurora-failback")
        .send()
        .await
        .unwrap()
        .state_machine_arn()
        .to_string();
    let mut with_machine = dr_env(env.port);
    with_machine.push(("AURORA_FAILBACK_DR_STATE_MACHINE", machine.clone()));
    let payload = json!({"StatePayload": [{"layer": 1, "resources": [
        {"resourceType": "PlannedFailoverAurora", "resourceName": "orders",
         "parameters": {"GlobalClusterIdentifier": "orders-global", "DBClusterIdentifier": "orders-global-west"}}]}]});
    let path = payload_file("start.json", &payload);
    let args = ["dr", "start", path.to_str().unwrap(), "--dry-run"];
    let first = cli_with(&with_machine, &args);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stdout.starts_with("Started DR run dr-"),
        "{}",
        first.stdout
    );
    let second = cli_with(&with_machine, &args);
    assert_eq!(
        second.stdout, first.stdout,
        "a double start is the same execution"
    );
    let executions = sfn
        .list_executions()
        .state_machine_arn(&machine)
        .send()
        .await
        .unwrap();
    assert_eq!(executions.executions().len(), 1);
    let execution = &executions.executions()[0];
    let described = sfn
        .describe_execution()
        .execution_arn(execution.execution_arn())
        .send()
        .await
        .unwrap();
    let input: Value = serde_json::from_str(described.input().unwrap()).unwrap();
    assert_eq!(input["dryRun"], true, "--dry-run reaches the machine");
    let status = cli_with(&with_machine, &["dr", "status", execution.name()]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(status.stdout.contains(": RUNNING"), "{}", status.stdout);
}

#[tokio::test]
async fn backups_shows_each_protected_clusters_newest_copy_and_whether_the_rpo_holds() {
    let env = TestEnv::start().await;
    env.rds_client
        .create_db_cluster()
        .db_cluster_identifier("orders")
        .engine("aurora-mysql")
        .master_username("app")
        .master_user_password("not-a-real-password")
        .tags(
            aws_sdk_rds::types::Tag::builder()
                .key("aurora-failback:backup")
                .value("true")
                .build(),
        )
        .send()
        .await
        .unwrap();
    env.rds_client
        .create_db_cluster_snapshot()
        .db_cluster_identifier("orders")
        .db_cluster_snapshot_identifier("orders-snap")
        .send()
        .await
        .unwrap();
    // A copy at home only: the DR region has none, so the RPO does not hold.
    let missing = cli(&env, &["backups", "--copy-region", "us-west-2"]);
    assert_eq!(missing.code, 3, "{}{}", missing.stdout, missing.stderr);
    assert!(missing.stdout.contains("orders-snap"), "{}", missing.stdout);
    assert!(missing.stdout.contains("NO"), "{}", missing.stdout);

    aws_sdk_rds::Client::new(&env.west_config())
        .copy_db_cluster_snapshot()
        .source_db_cluster_snapshot_identifier(
            "arn:aws:rds:us-east-1:123456789012:cluster-snapshot:orders-snap",
        )
        .target_db_cluster_snapshot_identifier("orders-copy")
        .send()
        .await
        .unwrap();
    let copied = cli(
        &env,
        &["backups", "orders", "--copy-region", "us-west-2", "--json"],
    );
    assert_eq!(copied.code, 0, "{}{}", copied.stdout, copied.stderr);
    let rows: Value = serde_json::from_str(&copied.stdout).unwrap();
    let west = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == "us-west-2")
        .unwrap();
    assert_eq!(west["newest"], "orders-copy");
    assert_eq!(west["withinRpo"], true);

    let unknown = cli(&env, &["backups", "payments", "--copy-region", "us-west-2"]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    let bad_region = cli(&env, &["backups", "--copy-region", "mars"]);
    assert_eq!(bad_region.code, 2, "{}", bad_region.stderr);
}

/// First contact: the version, and every subcommand's help, with no AWS setup at all.
#[test]
fn version_and_help_need_no_aws() {
    let version = cli_with(&[], &["--version"]);
    assert_eq!(version.code, 0, "{}", version.stderr);
    assert_eq!(
        version.stdout.trim(),
        format!("aurora-failback {}", env!("CARGO_PKG_VERSION"))
    );
    for args in [
        &["plan", "--help"][..],
        &["start", "--help"],
        &["scale-up", "--help"],
        &["runs", "--help"],
        &["dr", "start", "--help"],
    ] {
        let help = cli_with(&[], args);
        assert_eq!(help.code, 0, "{args:?}: {}", help.stderr);
        assert!(help.stdout.contains("Usage: aurora-failback"), "{args:?}");
        assert!(
            help.stdout.contains("[default: aurora-failback]"),
            "{args:?}: the stack the README deploys is the default"
        );
    }
    let plan = cli_with(&[], &["plan", "--help"]);
    for said in ["<CLUSTER>", "identifier or ARN", "--writer-class", "--json"] {
        assert!(plan.stdout.contains(said), "plan --help lacks {said}");
    }
}
