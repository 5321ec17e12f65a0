//! A structure-aware fuzz of every parser of outside input, kept in the repository.
//!
//! Seeds are the sample payloads in events/ (and events/invalid/payloads/, events/dr/); each round
//! mutates one (values replaced by hostile ones, keys dropped, added or duplicated,
//! nesting deepened, bytes flipped or cut) and feeds it to: the payload reader the
//! Lambdas use (as the runtime hands it bytes), the trigger, each step's input reader,
//! the class parser, the plan with the mutated value as the writer-class tag, and the DR
//! payload's two passes (structure, then resolved values). It
//! checks: no panic, every refusal a typed error, and nothing refused by the documented
//! rules ever planned (an accepted cluster id is a valid identifier, a class that is
//! acted on has a size, a foreign cluster is never accepted, a create never exceeds
//! Aurora's instance limit).
//!
//! `cargo test --test fuzz` runs it briefly; `FUZZ_SECONDS=600 make fuzz` as long as
//! asked (`FUZZ_SEED` repeats a run). A failing input is written to
//! tests/fuzz/regressions/, which every run replays first: keep it there as a
//! regression case once fixed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use failback_core::class_rank::{check_requested_class, measure_class};
use failback_core::dr::payload::is_cache_group_id;
use failback_core::dr::payload::{read_payload, resolve_payload, valid_resource_key, Lookups};
use failback_core::dr::readiness::{read_readiness_input, PayloadSource};
use failback_core::dr::request::DrRequest;
use failback_core::dr::resource as dr_resource;
use failback_core::failback::plan::{plan_restore, Action, PlanPolicy, MAX_CLUSTER_INSTANCES};
use failback_core::failback::steps::{
    check_status, create_reader, describe_writer, failover, record_run,
};
use failback_core::identifier::validate_identifier;
use failback_core::model::{ClusterView, MemberView, TAG_ENABLED, TAG_WRITER_CLASS};
use failback_core::payload::RawPayload;
use failback_core::trigger::{parse_trigger, Home, TriggerError};
use serde::Deserialize;
use serde_json::{json, Value};

/// xorshift64*: small, seeded, the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Values that have broken parsers before, or that the rules must refuse.
fn hostile_strings() -> Vec<String> {
    let mut list: Vec<String> = [
        "",
        "orders",
        "Orders",
        "../orders",
        "\u{43e}rders",
        "orders\u{1b}[2J",
        "orders;rm -rf",
        "a--b",
        "a-",
        "9lives",
        "db.r6g.2xlarge",
        "db.r6g.3xlarge",
        "db.serverless",
        "db.r6g.1000000000000000xlarge",
        "db.r6g.2305843009213693952xlarge",
        "db.x2iedn.99999999999999xlarge",
        "db.r6g.18446744073709551616xlarge",
        "db.r6g.0xlarge",
        "db.m5.4xlarge",
        "db..large",
        "us-east-1a",
        "us-east-1a;rm",
        "true",
        "false",
        "True",
        "RDS-EVENT-0071",
        "RDS-EVENT-0069",
        "RDS-EVENT-\u{0663}\u{0660}71",
        "CLUSTER",
        "DB_INSTANCE",
        "aws.rds",
        "RDS DB Cluster Event",
        "failover",
        "notification",
        "arn:aws:rds:us-east-1:123456789012:cluster:orders",
        "arn:aws:rds:us-east-1:999999999999:cluster:orders",
        "arn:aws:rds:eu-west-1:123456789012:cluster:orders",
        "arn:aws-cn:rds:us-east-1:123456789012:cluster:orders",
        "arn:aws:rds:us-east-1:123456789012:cluster:orders:extra",
        "arn:aws:rds:us-east-1:123456789012:db:orders-1",
        "arn:aws:states:us-east-1:123456789012:execution:aurora-failback:run-1",
        "arn:aws:states:us-east-1:123456789012:execution:aurora-failback:other",
        "2026-11-21T03:12:45Z",
        "2026-11-21T03:12:45.123Z",
        "9999-12-31T23:59:59Z",
        "yesterday",
        "start",
        "finish",
        "reader-available",
        "writer-moved",
        "FAILED",
        "TIMED_OUT",
        "SUCCEEDED",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    list.push("x".repeat(100_000));
    list.push(format!("a{}", "b".repeat(63)));
    list
}

fn hostile_value(rng: &mut Rng, strings: &[String]) -> Value {
    match rng.below(12) {
        0 => Value::Null,
        1 => json!(rng.below(2) == 0),
        2 => json!(*rng.pick(&[
            0_i64,
            -1,
            1,
            59,
            60,
            3900,
            21_600,
            21_601,
            i64::MAX,
            i64::MIN
        ])),
        3 => json!(*rng.pick(&[u64::MAX, 1 << 53])),
        4 => json!(*rng.pick(&[0.5_f64, -0.0, 1e308, 1.7976931348623157e308])),
        5 => json!([]),
        6 => json!({}),
        7 => json!([rng.pick(strings)]),
        _ => json!(rng.pick(strings)),
    }
}

/// One structural change somewhere in the tree.
fn mutate(value: &mut Value, rng: &mut Rng, strings: &[String], depth: usize) {
    let descend = depth < 6 && rng.below(3) != 0;
    match value {
        Value::Object(map) if !map.is_empty() && descend => {
            let key = map
                .keys()
                .nth(rng.below(map.len()))
                .cloned()
                .unwrap_or_default();
            if let Some(child) = map.get_mut(&key) {
                mutate(child, rng, strings, depth + 1);
            }
        }
        Value::Array(items) if !items.is_empty() && descend => {
            let i = rng.below(items.len());
            mutate(&mut items[i], rng, strings, depth + 1);
        }
        Value::Object(map) => match rng.below(4) {
            0 if !map.is_empty() => {
                let key = map
                    .keys()
                    .nth(rng.below(map.len()))
                    .cloned()
                    .unwrap_or_default();
                map.remove(&key);
            }
            1 => {
                let key = rng.pick(&[
                    "clusterId",
                    "dryRun",
                    "writerClass",
                    "availabilityZone",
                    "detail",
                    "source",
                    "detail-type",
                    "SourceArn",
                    "resources",
                    "EventID",
                    "extra",
                    "action",
                    "state",
                ]);
                map.insert(key.to_string(), hostile_value(rng, strings));
            }
            _ => *value = hostile_value(rng, strings),
        },
        _ => {
            *value = if rng.below(8) == 0 {
                json!([value.take()])
            } else {
                hostile_value(rng, strings)
            }
        }
    }
}

/// Text-level changes serde cannot express: duplicate keys, deep nesting, broken bytes.
fn mutate_text(text: &str, rng: &mut Rng) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    match rng.below(6) {
        0 if !bytes.is_empty() => {
            let at = rng.below(bytes.len());
            bytes[at] ^= 1 << rng.below(8);
        }
        1 => bytes.truncate(rng.below(bytes.len() + 1)),
        2 => {
            let depth = 100 + rng.below(200);
            bytes = format!("{}{}{}", "[".repeat(depth), text, "]".repeat(depth)).into_bytes();
        }
        3 => {
            if let Some(at) = text.find("\"clusterId\"") {
                let dup = "\"clusterId\": \"payments\", ";
                bytes = format!("{}{dup}{}", &text[..at], &text[at..]).into_bytes();
            }
        }
        4 => {
            let junk: &[&[u8]] = &[b"\\ud800", b"1e400", b"\xff", b"\x00", b"\"", b"}", b"-0"];
            let at = rng.below(bytes.len() + 1);
            let piece = rng.pick(junk);
            bytes.splice(at..at, piece.iter().copied());
        }
        _ => {}
    }
    bytes
}

fn home() -> Home {
    support::home()
}

/// Feeds one payload through every parser; returns a description of what broke.
fn check_one(bytes: &[u8]) -> Result<(), String> {
    let home = home();
    let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<(), String> {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let raw = RawPayload::deserialize(&mut deserializer)
            .map_err(|e| format!("the runtime-facing payload type failed: {e}"))?;
        let Ok(value) = raw.parse() else {
            return Ok(()); // a typed InvalidInput: the contract
        };
        check_value(&value, &home)
    }));
    outcome.unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Err(format!("panicked: {message}"))
    })
}

fn check_value(value: &Value, home: &Home) -> Result<(), String> {
    match parse_trigger(value, home) {
        Ok(request) => {
            let id = &request.cluster_id;
            if validate_identifier(id).as_deref() != Ok(id.as_str()) {
                return Err(format!("accepted an invalid cluster id {id:?}"));
            }
            if let Some(class) = &request.writer_class {
                if check_requested_class(class).is_err() {
                    return Err(format!("accepted a class the rules refuse: {class:?}"));
                }
            }
            let foreign = value.to_string().contains(":999999999999:")
                && value
                    .pointer("/detail/SourceArn")
                    .is_some_and(|a| a.to_string().contains("999999999999"));
            if foreign {
                return Err("accepted a cluster in another account".into());
            }
            check_plan(&request, value)?;
        }
        Err(TriggerError::InvalidInput(_)) | Err(TriggerError::ForeignCluster(_)) => {}
    }
    // Each step's input reader, on the value itself and wrapped the way it receives it.
    let wrapped = json!({"trigger": value, "runName": "fuzz-1"});
    let _ = describe_writer::read_input(value.clone(), home);
    let _ = describe_writer::read_input(wrapped, home);
    if let Ok(request) = create_reader::read_input(value.clone()) {
        if check_requested_class(&request.class).is_err() {
            return Err(format!("create-reader accepted class {:?}", request.class));
        }
        check_reader_task(&request.task)?;
    }
    let _ = check_status::read_input(value.clone());
    let _ = failover::read_input(value.clone());
    let _ = record_run::read_input(value.clone(), home);
    let _ = record_run::read_input(json!({"action": "finish", "state": value}), home);
    for text in value_strings(value) {
        let _ = measure_class(&text);
    }
    check_dr_payload(value, home)
}

/// The DR steps' input readers, on the value as a resource and as recorded results; an
/// accepted resource names a valid global cluster and a target of this deployment.
fn check_dr_steps(value: &Value, home: &Home) -> Result<(), String> {
    // A seed of dr-validate's output (events/dr/validated-*.json) holds resources.
    let resources = [Some(value), value.pointer("/layers/0/resources/0")];
    for resource in resources.into_iter().flatten() {
        for question in ["plan", "done"] {
            let input = json!({"question": question, "resource": resource});
            if let Ok((_, request)) = dr_resource::read_check_input(input, home) {
                check_switch_request(&request, home)?;
            }
        }
        if let Ok(request) = dr_resource::read_act_input(json!({"resource": resource}), home) {
            check_switch_request(&request, home)?;
        }
    }
    // The backup watch takes `{}` and nothing else.
    if failback_core::dr::backup_watch::read_watch_input(value.clone()).is_ok()
        && value.as_object().is_none_or(|o| !o.is_empty())
    {
        return Err(format!("backup-watch accepted {value}"));
    }
    // The scheduled readiness check: a parameter name it accepts is one SSM could hold.
    for input in [
        json!({"payloadParameter": value}),
        json!({"payload": value}),
        value.clone(),
    ] {
        if let Ok(PayloadSource::Parameter(name)) = read_readiness_input(input) {
            if name.is_empty() || name.chars().any(|c| c.is_control() || c == ' ') {
                return Err(format!("dr-readiness accepted the parameter name {name:?}"));
            }
        }
    }
    let execution = "arn:aws:states:us-east-1:123456789012:execution:aurora-failback-dr:fuzz-1";
    let _ = record_run::read_input(
        json!({"action": "dr-layer", "executionArn": execution, "runName": "fuzz-1", "layer": 1, "results": [value]}),
        home,
    );
    let _ = record_run::read_input(json!({"action": "dr-finish", "state": value}), home);
    let _ = record_run::read_input(
        json!({"action": "dr-start", "executionArn": execution, "runName": "fuzz-1",
               "startedAt": "2026-11-30T05:00:00Z", "payload": value, "leaseSeconds": 3600}),
        home,
    );
    Ok(())
}

fn check_switch_request(request: &DrRequest, home: &Home) -> Result<(), String> {
    let valid = |id: &str| validate_identifier(id).as_deref() == Ok(id);
    let accepted = match request {
        DrRequest::Switch(switch) => {
            valid(&switch.global_cluster_id)
                && valid(&switch.target.cluster_id)
                && switch
                    .target
                    .arn
                    .as_ref()
                    .is_none_or(|arn| arn.contains(&format!(":{}:", home.region)))
        }
        DrRequest::Replica { spec, source_arn } => {
            valid(&spec.instance_id)
                && valid(&spec.source_instance_id)
                && spec.source_region != home.region
                && source_arn.ends_with(&format!(":db:{}", spec.source_instance_id))
                && check_requested_class(&spec.instance_class).is_ok()
        }
        DrRequest::Promote(promote) => {
            valid(&promote.instance_id)
                && promote
                    .backup_retention_period
                    .is_none_or(|days| (0..=35).contains(&days))
        }
        DrRequest::CacheFailover {
            global_group_id,
            target_group_id,
        } => is_cache_group_id(global_group_id) && is_cache_group_id(target_group_id),
        DrRequest::PromoteCluster { cluster_id } => valid(cluster_id),
        DrRequest::RestoreCluster(spec) => {
            valid(&spec.cluster_id)
                && spec.instance_ids().iter().all(|id| valid(id))
                && check_requested_class(&spec.instance_class).is_ok()
        }
        DrRequest::RestoreInstance(spec) => {
            valid(&spec.instance_id) && check_requested_class(&spec.instance_class).is_ok()
        }
        DrRequest::Secondary(spec) => {
            valid(&spec.global_cluster_id)
                && valid(&spec.cluster_id)
                && valid(&spec.instance_id)
                && spec.source_region != home.region
                && check_requested_class(&spec.instance_class).is_ok()
        }
    };
    if accepted {
        Ok(())
    } else {
        Err(format!("a DR step accepted {request:?}"))
    }
}

/// The DR payload's two passes: references are answered with their own names and with a
/// cluster ARN of another account and region, which must never be accepted as a target.
fn check_dr_payload(value: &Value, home: &Home) -> Result<(), String> {
    check_dr_steps(value, home)?;
    let Ok(payload) = read_payload(value) else {
        return Ok(());
    };
    let foreign = "arn:aws:rds:eu-west-1:999999999999:cluster:elsewhere".to_string();
    for answer in [None, Some(foreign)] {
        let answer_for = |name: String| {
            let value = answer.clone().unwrap_or_else(|| name.clone());
            (name, value)
        };
        let lookups = Lookups {
            exports: payload.imports().into_iter().map(answer_for).collect(),
            ssm: payload.ssm_names().into_iter().map(answer_for).collect(),
        };
        let Ok(layers) = resolve_payload(&payload, &lookups, home) else {
            continue;
        };
        for resource in layers.iter().flat_map(|(_, r)| r) {
            if !valid_resource_key(&resource.resource_key) {
                return Err(format!(
                    "DR payload made the key {:?}",
                    resource.resource_key
                ));
            }
            let Some((_, global, target)) = resource.action.switch() else {
                continue;
            };
            let (global, target) = (global.to_string(), Some(target));
            if validate_identifier(&global).as_deref() != Ok(global.as_str()) {
                return Err(format!("DR payload accepted global cluster {global:?}"));
            }
            if let Some(target) = target {
                let in_home = target.arn.as_ref().is_none_or(|arn| {
                    arn.contains(&format!(":{}:", home.region)) && !arn.contains("999999999999")
                });
                if !in_home || validate_identifier(&target.cluster_id).is_err() {
                    return Err(format!("DR payload accepted target {target:?}"));
                }
            }
        }
    }
    Ok(())
}

/// The plan over a cluster whose writer-class tag is each string in the input, with
/// the cluster's size taken from the input too: nothing the rules refuse is acted on.
fn check_plan(request: &failback_core::trigger::RunRequest, value: &Value) -> Result<(), String> {
    let strings = value_strings(value);
    let size = 1 + strings.len() % (MAX_CLUSTER_INSTANCES + 2);
    for tag in strings.iter().take(4) {
        let mut members = vec![member("m-1", "db.r6g.large", true)];
        members.extend((2..=size).map(|i| member(&format!("m-{i}"), "db.r6g.large", false)));
        let cluster = ClusterView {
            cluster_id: request.cluster_id.clone(),
            arn: None,
            engine: "aurora-postgresql".into(),
            engine_version: Some("15.2".into()),
            engine_mode: Some("provisioned".into()),
            status: "available".into(),
            global_cluster_id: None,
            replication_source: None,
            tags: [
                (TAG_ENABLED.to_string(), "true".to_string()),
                (TAG_WRITER_CLASS.to_string(), tag.clone()),
            ]
            .into(),
            members,
        };
        let now = request.event_time.unwrap_or_default() + 60.0;
        let Ok(plan) = plan_restore(&cluster, request, "fuzz-1", &PlanPolicy::default(), now)
        else {
            continue;
        };
        if let Action::Create {
            target_instance_id, ..
        } = &plan.action
        {
            let class = plan.desired_class.clone().unwrap_or_default();
            if measure_class(&class).is_err() || check_requested_class(&class).is_err() {
                return Err(format!("planned a create of {class:?}"));
            }
            if cluster.members.len() >= MAX_CLUSTER_INSTANCES {
                return Err(format!("planned a create in a full cluster ({size})"));
            }
            if validate_identifier(target_instance_id).as_deref() != Ok(target_instance_id.as_str())
            {
                return Err(format!(
                    "planned an invalid instance id {target_instance_id:?}"
                ));
            }
        }
    }
    Ok(())
}

fn member(id: &str, class: &str, writer: bool) -> MemberView {
    MemberView {
        instance_id: id.into(),
        class: class.into(),
        status: "available".into(),
        is_writer: writer,
        promotion_tier: 1,
        availability_zone: Some("us-east-1a".into()),
    }
}

fn value_strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(value_strings).collect(),
        Value::Object(map) => map.values().flat_map(value_strings).collect(),
        _ => Vec::new(),
    }
}

/// An accepted follow-up names one of the run's own instances, and only placements a
/// run can ask for.
fn check_reader_task(task: &create_reader::ReaderTask) -> Result<(), String> {
    use failback_core::identifier::MAX_PLACEMENTS;
    match task {
        create_reader::ReaderTask::ReplaceAbandoned {
            placement, tried, ..
        } => {
            if *placement >= MAX_PLACEMENTS {
                return Err(format!("replace-abandoned accepted placement {placement}"));
            }
            for asked in tried {
                if check_requested_class(&asked.class).is_err() {
                    return Err(format!(
                        "replace-abandoned accepted class {:?}",
                        asked.class
                    ));
                }
            }
            Ok(())
        }
        create_reader::ReaderTask::DeleteAbandoned { placement }
            if *placement == 0 || *placement > MAX_PLACEMENTS =>
        {
            Err(format!("delete-abandoned accepted placement {placement}"))
        }
        _ => Ok(()),
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let root = support::workspace_root().join("events");
    let mut found = Vec::new();
    for dir in ["", "invalid", "invalid/payloads", "dr", "dr/invalid"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.path().extension().is_some_and(|e| e == "json") {
                found.push(std::fs::read(entry.path()).unwrap());
            }
        }
    }
    // Step inputs as the machines pass them, which no event in events/ looks like.
    for entry in std::fs::read_dir(seeds_dir()).unwrap().flatten() {
        found.push(std::fs::read(entry.path()).unwrap());
    }
    found.sort();
    found
}

fn seeds_dir() -> PathBuf {
    support::workspace_root().join("crates/failback-core/tests/fuzz/seeds")
}

fn regressions_dir() -> PathBuf {
    support::workspace_root().join("crates/failback-core/tests/fuzz/regressions")
}

#[test]
fn regressions_stay_fixed() {
    let mut replayed = 0;
    for entry in std::fs::read_dir(regressions_dir()).unwrap().flatten() {
        let bytes = std::fs::read(entry.path()).unwrap();
        if let Err(why) = check_one(&bytes) {
            panic!("{}: {why}", entry.path().display());
        }
        replayed += 1;
    }
    assert!(replayed > 0, "the regression corpus is empty");
}

#[test]
fn fuzz_every_parser() {
    let seconds: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15);
    let mut rng = Rng(seed | 1);
    let strings = hostile_strings();
    let seeds = seeds();
    assert!(!seeds.is_empty(), "no seeds in events/");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    // Quiet the default panic message: a panic is reported below with its input.
    std::panic::set_hook(Box::new(|_| {}));
    let mut inputs: u64 = 0;
    let mut failures = Vec::new();
    while Instant::now() < deadline && failures.len() < 5 {
        let seed_bytes = rng.pick(&seeds).clone();
        let bytes = match serde_json::from_slice::<Value>(&seed_bytes) {
            Ok(mut value) if rng.below(4) != 0 => {
                for _ in 0..=rng.below(4) {
                    mutate(&mut value, &mut rng, &strings, 0);
                }
                let text = value.to_string();
                if rng.below(3) == 0 {
                    mutate_text(&text, &mut rng)
                } else {
                    text.into_bytes()
                }
            }
            _ => mutate_text(&String::from_utf8_lossy(&seed_bytes), &mut rng),
        };
        inputs += 1;
        if let Err(why) = check_one(&bytes) {
            let file = regressions_dir().join(format!("found-{seed:x}-{inputs}.json"));
            std::fs::write(&file, &bytes).unwrap();
            failures.push(format!("{why} (kept as {})", file.display()));
        }
    }
    let _ = std::panic::take_hook();
    println!(
        "fuzz: {inputs} inputs in {seconds} s (seed {seed:#x}), {} failures",
        failures.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
}
