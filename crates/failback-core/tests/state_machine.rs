//! The deployed state machine and the Lambdas agree on error names: every name a
//! Lambda can return is named by its Task's Retry or Catch (so none falls through to
//! `States.ALL` by accident), and no Task names an error its Lambda never returns.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;

use failback_core::dr::{resource as dr_resource, validate as dr_validate};
use failback_core::errors::COMMON_ERROR_NAMES;
use failback_core::failback::steps::{
    check_status, create_reader, describe_writer, failover, record_run,
};
use serde_json::Value;

fn lambda_errors(resource: &str) -> Option<BTreeSet<&'static str>> {
    let specific: &[&str] = match resource {
        "${DescribeWriterFunctionArn}" => describe_writer::ERROR_NAMES,
        "${CreateReaderFunctionArn}" => create_reader::ERROR_NAMES,
        "${CheckStatusFunctionArn}" => check_status::ERROR_NAMES,
        "${FailoverFunctionArn}" => failover::ERROR_NAMES,
        "${RecordRunFunctionArn}" => record_run::ERROR_NAMES,
        "${DrValidateFunctionArn}" => dr_validate::ERROR_NAMES,
        "${DrCheckFunctionArn}" | "${DrActFunctionArn}" => dr_resource::ERROR_NAMES,
        _ => return None,
    };
    Some(COMMON_ERROR_NAMES.iter().chain(specific).copied().collect())
}

#[test]
fn every_error_a_lambda_returns_is_named_by_its_task() {
    let path = support::workspace_root().join("statemachine/failback.asl.json");
    let machine: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut tasks = 0;
    for (name, state) in machine["States"].as_object().unwrap() {
        let Some(returned) = state["Resource"].as_str().and_then(lambda_errors) else {
            continue;
        };
        tasks += 1;
        let named: BTreeSet<&str> = ["Retry", "Catch"]
            .iter()
            .flat_map(|list| state[*list].as_array().cloned().unwrap_or_default())
            .flat_map(|rule| rule["ErrorEquals"].as_array().cloned().unwrap_or_default())
            .filter_map(|e| e.as_str().map(str::to_string))
            .filter(|e| !e.starts_with("States.") && !e.starts_with("Lambda."))
            .map(|e| &*Box::leak(e.into_boxed_str()))
            .collect();
        let unnamed: Vec<_> = returned.difference(&named).collect();
        assert!(unnamed.is_empty(), "{name} does not name {unnamed:?}");
        let stale: Vec<_> = named.difference(&returned).collect();
        assert!(
            stale.is_empty(),
            "{name} names {stale:?}, which its Lambda never returns"
        );
    }
    assert_eq!(tasks, 10, "the ten Lambda Tasks were all checked");
}

#[test]
fn the_machine_replaces_a_reader_no_more_often_than_a_run_may_create_one() {
    let path = support::workspace_root().join("statemachine/failback.asl.json");
    let machine: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let bound = machine["States"]["PlaceElsewhere?"]["Choices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|rule| rule["Variable"] == "$.target.placement")
        .and_then(|rule| rule["NumericGreaterThanEquals"].as_u64())
        .unwrap();
    assert_eq!(
        bound,
        u64::from(failback_core::identifier::MAX_PLACEMENTS),
        "the machine's bound and create-reader's agree"
    );
}

/// Every state of a machine, the states of its Map iterations included.
fn all_states(states: &Value) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    for (name, state) in states.as_object().unwrap() {
        found.push((name.clone(), state.clone()));
        if let Some(inner) = state.pointer("/ItemProcessor/States") {
            found.extend(all_states(inner));
        }
    }
    found
}

/// The DR machine catches every error of a resource into that resource's failed result
/// (so the layer finishes and is recorded); what it must not do is retry an error name
/// its Lambda never returns, run a Task without a time-out, or leave a Task uncaught.
#[test]
fn the_dr_machine_retries_only_real_errors_and_bounds_every_task() {
    let path = support::workspace_root().join("statemachine/dr.asl.json");
    let machine: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(machine["TimeoutSeconds"].as_u64().is_some());
    let mut tasks = 0;
    for (name, state) in all_states(&machine["States"]) {
        if state["Type"] != "Task" {
            continue;
        }
        assert!(
            state["TimeoutSeconds"].as_u64().is_some(),
            "{name} has no TimeoutSeconds"
        );
        let retried: Vec<String> = state["Retry"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .inspect(|rule| {
                assert_eq!(
                    rule["JitterStrategy"], "FULL",
                    "{name}: retries without jitter"
                )
            })
            .flat_map(|rule| rule["ErrorEquals"].as_array().cloned().unwrap_or_default())
            .filter_map(|e| e.as_str().map(str::to_string))
            .collect();
        assert!(
            retried
                .iter()
                .any(|e| e == "Throttled" || e == "States.ALL"),
            "{name} does not retry throttling"
        );
        let Some(returned) = state["Resource"].as_str().and_then(lambda_errors) else {
            continue;
        };
        tasks += 1;
        for error in retried
            .iter()
            .filter(|e| !e.starts_with("States.") && !e.starts_with("Lambda."))
        {
            assert!(
                returned.contains(error.as_str()),
                "{name} retries {error}, which its Lambda never returns"
            );
        }
        let caught = state["Catch"].as_array().is_some_and(|c| !c.is_empty());
        assert!(caught || name == "RecordLayer", "{name} catches nothing");
    }
    assert_eq!(
        tasks, 7,
        "the seven Lambda Tasks of the DR machine were all checked"
    );
}

#[test]
fn the_dr_machine_first_waits_as_long_as_dr_act_says_then_polls_closely() {
    use failback_core::dr::plan::{ResourcePlan, ResourceState, RESOURCE_POLL_SECONDS};
    let path = support::workspace_root().join("statemachine/dr.asl.json");
    let machine: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let states: std::collections::BTreeMap<String, Value> =
        all_states(&machine["States"]).into_iter().collect();
    assert_eq!(states["ActOnResource"]["Next"], "WaitForResourceCall");
    assert_eq!(states["ActOnResource"]["ResultPath"], "$.act");
    // The path the first wait reads is the field dr-act writes.
    let act = dr_resource::ActOutput {
        requested: true,
        plan: ResourcePlan {
            state: ResourceState::Act,
            call: "SwitchoverGlobalCluster".into(),
            resource_key: "orders-global".into(),
            target_cluster_arn: String::new(),
            writer_before: None,
            summary: String::new(),
            replication_lag_ms: None,
            handoff: None,
            restore: None,
        },
        first_check_after_seconds: 60,
    };
    let written = serde_json::json!({ "act": serde_json::to_value(&act).unwrap() });
    let path = states["WaitForResourceCall"]["SecondsPath"]
        .as_str()
        .unwrap();
    let pointer = path.trim_start_matches('$').replace('.', "/");
    assert_eq!(
        written.pointer(&pointer),
        Some(&serde_json::json!(60)),
        "{path}"
    );
    assert_eq!(states["WaitForResourceCall"]["Next"], "CheckResource");
    assert_eq!(
        states["WaitForResource"]["Seconds"].as_u64(),
        Some(u64::from(RESOURCE_POLL_SECONDS)),
        "the machine's close poll and dr-act's figure for 'nothing requested' agree"
    );
}
