use std::collections::BTreeMap;

use super::*;
use crate::dr::payload::{
    ClusterRestoreSpec, InstanceRestoreSpec, ReplicaSpec, RestoreSource, SecondaryClusterSpec,
};
use crate::model::{
    CacheMemberView, GlobalFailoverView, GlobalMemberView, InstanceView, MemberView,
};

const EAST: &str = "arn:aws:rds:us-east-1:123456789012:cluster:orders-east";
const WEST: &str = "arn:aws:rds:us-west-2:123456789012:cluster:orders-west";

fn west(status: &str, in_global: bool) -> ClusterView {
    ClusterView {
        cluster_id: "orders-west".into(),
        arn: Some(WEST.into()),
        engine: "aurora-mysql".into(),
        engine_version: None,
        engine_mode: Some("provisioned".into()),
        status: status.into(),
        global_cluster_id: in_global.then(|| "orders-global".to_string()),
        replication_source: None,
        tags: BTreeMap::new(),
        members: vec![MemberView {
            instance_id: "orders-west-1".into(),
            class: "db.r6g.large".into(),
            status: "available".into(),
            is_writer: true,
            promotion_tier: 1,
            availability_zone: None,
        }],
    }
}

fn global(status: &str, writer: &str, switch: Option<(&str, &str, bool)>) -> GlobalClusterView {
    GlobalClusterView {
        global_cluster_id: "orders-global".into(),
        status: status.into(),
        engine: Some("aurora-mysql".into()),
        members: [EAST, WEST]
            .iter()
            .map(|arn| GlobalMemberView {
                cluster_arn: arn.to_string(),
                is_writer: *arn == writer,
            })
            .collect(),
        failover: switch.map(|(status, to, data_loss)| GlobalFailoverView {
            status: status.into(),
            from_cluster_arn: Some(EAST.into()),
            to_cluster_arn: Some(to.into()),
            data_loss_allowed: data_loss,
        }),
    }
}

fn detached(mut g: GlobalClusterView) -> GlobalClusterView {
    g.members.retain(|m| m.cluster_arn != WEST);
    g
}

/// (name, call, the global cluster, the target, what the plan must say)
type Case = (
    &'static str,
    GlobalSwitch,
    Option<GlobalClusterView>,
    Option<ClusterView>,
    Result<ResourceState, &'static str>,
);

#[test]
fn a_global_switch_acts_waits_or_is_done_by_what_aws_reports() {
    use GlobalSwitch::{FailoverAllowingDataLoss as Failover, Switchover};
    use ResourceState::{Act, Done, InProgress};
    let available = Some(west("available", true));
    let cases: Vec<Case> = vec![
        (
            "primary in the east",
            Switchover,
            Some(global("available", EAST, None)),
            available.clone(),
            Ok(Act),
        ),
        (
            "already switched",
            Switchover,
            Some(global("available", WEST, None)),
            available.clone(),
            Ok(Done),
        ),
        (
            "our switchover under way (a crash after the call)",
            Switchover,
            Some(global(
                "available",
                EAST,
                Some(("switching-over", WEST, false)),
            )),
            available.clone(),
            Ok(InProgress),
        ),
        (
            "someone else's switchover elsewhere",
            Switchover,
            Some(global(
                "available",
                EAST,
                Some(("switching-over", EAST, false)),
            )),
            available.clone(),
            Err("ClusterBusy"),
        ),
        (
            "a cancelling switchover to us",
            Switchover,
            Some(global("available", EAST, Some(("cancelling", WEST, false)))),
            available.clone(),
            Err("ClusterBusy"),
        ),
        (
            "a finished failover's state is history, not work",
            Switchover,
            Some(global("available", WEST, Some(("", WEST, true)))),
            available.clone(),
            Ok(Done),
        ),
        (
            "global modifying",
            Switchover,
            Some(global("modifying", EAST, None)),
            available.clone(),
            Err("ClusterBusy"),
        ),
        (
            "target modifying",
            Switchover,
            Some(global("available", EAST, None)),
            Some(west("modifying", true)),
            Err("ClusterBusy"),
        ),
        (
            "writer moved, still settling",
            Switchover,
            Some(global("modifying", WEST, None)),
            available.clone(),
            Ok(InProgress),
        ),
        (
            "no such global cluster",
            Switchover,
            None,
            available.clone(),
            Err("GlobalClusterNotFound"),
        ),
        (
            "no such target",
            Switchover,
            Some(global("available", EAST, None)),
            None,
            Err("TargetNotFound"),
        ),
        (
            "target not a member",
            Switchover,
            Some(detached(global("available", EAST, None))),
            available.clone(),
            Err("TargetNotInGlobalCluster"),
        ),
        (
            "unplanned: primary in the east",
            Failover,
            Some(global("available", EAST, None)),
            available.clone(),
            Ok(Act),
        ),
        (
            "unplanned: detached standalone writer",
            Failover,
            Some(detached(global("available", EAST, None))),
            Some(west("available", false)),
            Ok(Done),
        ),
        (
            "unplanned: global gone, standalone writer",
            Failover,
            None,
            Some(west("available", false)),
            Ok(Done),
        ),
        (
            "unplanned: a switchover must not accept a detached cluster",
            Switchover,
            Some(detached(global("available", EAST, None))),
            Some(west("available", false)),
            Err("TargetNotInGlobalCluster"),
        ),
    ];
    for (name, how, global, target, expected) in cases {
        let got = plan_global_switch(
            how,
            "orders-global",
            global.as_ref(),
            target.as_ref(),
            "orders-west",
        )
        .map(|p| p.state)
        .map_err(|e| e.error_type());
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn an_act_plan_names_the_call_the_target_and_the_writer_before() {
    let plan = plan_global_switch(
        GlobalSwitch::Switchover,
        "orders-global",
        Some(&global("available", EAST, None)),
        Some(&west("available", true)),
        "orders-west",
    )
    .unwrap();
    assert_eq!(plan.call, "SwitchoverGlobalCluster");
    assert_eq!(plan.target_cluster_arn, WEST);
    assert_eq!(plan.writer_before.as_deref(), Some(EAST));
    assert!(plan.summary.contains("to orders-west"), "{}", plan.summary);
}

/// (name, call, the global cluster, the target, what the check must say)
type CheckCase = (
    &'static str,
    GlobalSwitch,
    Option<GlobalClusterView>,
    ClusterView,
    Result<Readiness, &'static str>,
);

#[test]
fn done_means_the_writer_moved_and_everything_is_available_again() {
    use GlobalSwitch::{FailoverAllowingDataLoss as Failover, Switchover};
    let cases: Vec<CheckCase> = vec![
        (
            "moved and settled",
            Switchover,
            Some(global("available", WEST, None)),
            west("available", true),
            Ok(Readiness::Ready),
        ),
        (
            "status available but not moved",
            Switchover,
            Some(global("available", EAST, None)),
            west("available", true),
            Ok(Readiness::Pending),
        ),
        (
            "moved, global still modifying",
            Switchover,
            Some(global("modifying", WEST, None)),
            west("available", true),
            Ok(Readiness::Pending),
        ),
        (
            "moved, switch still under way",
            Switchover,
            Some(global(
                "available",
                WEST,
                Some(("switching-over", WEST, false)),
            )),
            west("available", true),
            Ok(Readiness::Pending),
        ),
        (
            "moved, target modifying",
            Switchover,
            Some(global("available", WEST, None)),
            west("modifying", true),
            Ok(Readiness::Pending),
        ),
        (
            "failover detached the target",
            Failover,
            Some(detached(global("available", EAST, None))),
            west("available", false),
            Ok(Readiness::Ready),
        ),
        (
            "a switchover never counts a detached cluster",
            Switchover,
            Some(detached(global("available", EAST, None))),
            west("available", false),
            Ok(Readiness::Pending),
        ),
        (
            "global gone mid-switchover",
            Switchover,
            None,
            west("available", true),
            Err("GlobalClusterNotFound"),
        ),
    ];
    for (name, how, global, target, expected) in cases {
        let got = check_global_switch(
            how,
            "orders-global",
            global.as_ref(),
            Some(&target),
            "orders-west",
        )
        .map(|c| c.state)
        .map_err(|e| e.error_type());
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn the_check_reports_what_aws_says_about_data_loss() {
    let check = check_global_switch(
        GlobalSwitch::FailoverAllowingDataLoss,
        "orders-global",
        Some(&global("available", WEST, Some(("", WEST, true)))),
        Some(&west("available", true)),
        "orders-west",
    )
    .unwrap();
    assert_eq!(check.state, Readiness::Ready);
    assert_eq!(check.data_loss_allowed, Some(true));
    assert_eq!(check.failed_over_from.as_deref(), Some(EAST));
}

fn spec() -> SecondaryClusterSpec {
    SecondaryClusterSpec {
        global_cluster_id: "orders-global".into(),
        source_region: "us-west-2".into(),
        source_cluster: None,
        cluster_id: "orders-east".into(),
        subnet_group: "orders-subnets".into(),
        security_group_ids: vec!["sg-0123456789abcdef0".into()],
        engine: "aurora-mysql".into(),
        engine_version: "8.0.mysql_aurora.3.05.2".into(),
        kms_key_id: None,
        storage_encrypted: Some(true),
        iam_database_authentication: None,
        deletion_protection: None,
        backup_retention_period: None,
        copy_tags_to_snapshot: None,
        port: None,
        instance_id: "orders-east-1".into(),
        instance_class: "db.r6g.large".into(),
        monitoring_interval: None,
        monitoring_role_arn: None,
        auto_minor_version_upgrade: None,
    }
}

/// The old primary's region after it came back: `orders-east` as it may be found there.
fn east(status: &str, in_global: bool, instance: Option<&str>) -> ClusterView {
    let mut cluster = west(status, in_global);
    cluster.cluster_id = "orders-east".into();
    cluster.arn = Some(EAST.into());
    cluster.members = instance
        .map(|status| {
            vec![MemberView {
                instance_id: "orders-east-1".into(),
                class: "db.r6g.large".into(),
                status: status.into(),
                is_writer: false,
                promotion_tier: 1,
                availability_zone: None,
            }]
        })
        .unwrap_or_default();
    cluster
}

/// After an unplanned failover: the writer in the west, the east not (yet) a member.
fn after_failover() -> GlobalClusterView {
    let mut g = global("available", WEST, None);
    g.members.retain(|m| m.cluster_arn == WEST);
    g
}

#[test]
fn a_secondary_is_made_only_where_the_writer_is_not_and_never_over_a_stranger() {
    type SecondaryCase = (
        &'static str,
        Option<GlobalClusterView>,
        Option<ClusterView>,
        &'static str,
        Result<(ResourceState, &'static str), &'static str>,
    );
    // (name, the global cluster, the cluster found in us-east-1 (this run's region),
    // the payload's SourceRegion, the plan)
    use ResourceState::{Act, Done, InProgress};
    let cases: Vec<SecondaryCase> = vec![
        (
            "nothing there yet",
            Some(after_failover()),
            None,
            "us-west-2",
            Ok((Act, "CreateDBCluster + CreateDBInstance")),
        ),
        (
            "cluster made before a crash, no instance yet",
            Some(global("available", WEST, None)),
            Some(east("available", true, None)),
            "us-west-2",
            Ok((Act, "CreateDBInstance")),
        ),
        (
            "AWS rebuilt the old primary as a secondary",
            Some(global("available", WEST, None)),
            Some(east("available", true, Some("available"))),
            "us-west-2",
            Ok((Done, "none")),
        ),
        (
            "instance still creating",
            Some(global("available", WEST, None)),
            Some(east("available", true, Some("creating"))),
            "us-west-2",
            Ok((InProgress, "none")),
        ),
        (
            "the detached old primary is in the way",
            Some(after_failover()),
            Some(east("available", false, Some("available"))),
            "us-west-2",
            Err("TargetNotInGlobalCluster"),
        ),
        (
            "the writer is here",
            Some(global("available", EAST, None)),
            None,
            "us-west-2",
            Err("WrongRegion"),
        ),
        (
            "SourceRegion is not the writer's",
            Some(after_failover()),
            None,
            "eu-central-1",
            Err("WrongRegion"),
        ),
        (
            "a switch under way",
            Some(global(
                "available",
                WEST,
                Some(("failing-over", WEST, true)),
            )),
            None,
            "us-west-2",
            Err("ClusterBusy"),
        ),
        (
            "no global cluster",
            None,
            None,
            "us-west-2",
            Err("GlobalClusterNotFound"),
        ),
    ];
    for (name, global, cluster, source_region, expected) in cases {
        let spec = SecondaryClusterSpec {
            source_region: source_region.into(),
            ..spec()
        };
        let got = plan_secondary(&spec, global.as_ref(), cluster.as_ref(), "us-east-1")
            .map(|p| (p.state, p.call))
            .map_err(|e| e.error_type());
        let got = got
            .as_ref()
            .map(|(state, call)| (*state, call.as_str()))
            .map_err(|e| *e);
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn a_secondary_is_done_when_joined_available_and_serving() {
    let joined = global("available", WEST, None);
    let cases = [
        (
            Some(east("available", true, Some("available"))),
            Readiness::Ready,
        ),
        (
            Some(east("creating", true, Some("available"))),
            Readiness::Pending,
        ),
        (
            Some(east("available", true, Some("creating"))),
            Readiness::Pending,
        ),
        (Some(east("available", true, None)), Readiness::Pending),
        (
            Some(east("available", false, Some("available"))),
            Readiness::Ready,
        ),
        (None, Readiness::Pending),
    ];
    for (i, (cluster, expected)) in cases.into_iter().enumerate() {
        let check = check_secondary(&spec(), Some(&joined), cluster.as_ref()).unwrap();
        assert_eq!(check.state, expected, "case {i}: {}", check.summary);
    }
}

#[test]
fn a_detached_cluster_that_still_names_its_global_cluster_is_no_secondary() {
    // Detached (not in the member list), yet its own GlobalClusterIdentifier still says so.
    let stale = east("available", true, Some("available"));
    let refused = plan_secondary(&spec(), Some(&after_failover()), Some(&stale), "us-east-1");
    assert_eq!(
        refused.map_err(|e| e.error_type()).map(|p| p.state),
        Err("TargetNotInGlobalCluster")
    );
    let check = check_secondary(&spec(), Some(&after_failover()), Some(&stale)).unwrap();
    assert_eq!(check.state, Readiness::Pending);
}

fn replica(status: &str, source: Option<&str>) -> InstanceView {
    InstanceView {
        instance_id: "mysql-replica".into(),
        arn: Some("arn:aws:rds:us-west-2:123456789012:db:mysql-replica".into()),
        status: status.into(),
        engine: "mysql".into(),
        replica_source: source.map(str::to_string),
        backup_retention_period: Some(0),
        tags: BTreeMap::new(),
    }
}

#[test]
fn a_replica_is_promoted_once_and_a_standalone_one_is_done() {
    use ResourceState::{Act, Done, InProgress};
    let source = Some("arn:aws:rds:us-east-1:123456789012:db:mysql");
    let cases: Vec<(&str, Option<InstanceView>, Result<ResourceState, &str>)> = vec![
        (
            "an available replica",
            Some(replica("available", source)),
            Ok(Act),
        ),
        (
            "already promoted",
            Some(replica("available", None)),
            Ok(Done),
        ),
        (
            "being promoted (a crash after the call)",
            Some(replica("modifying", None)),
            Ok(InProgress),
        ),
        (
            "a replica backing up",
            Some(replica("backing-up", source)),
            Err("ClusterBusy"),
        ),
        (
            "a failed replica",
            Some(replica("failed", source)),
            Err("TargetFailed"),
        ),
        ("no such instance", None, Err("TargetNotFound")),
    ];
    for (name, instance, expected) in cases {
        let got = plan_promotion("mysql-replica", instance.as_ref())
            .map(|p| p.state)
            .map_err(|e| e.error_type());
        assert_eq!(got, expected, "{name}");
    }
    let plan = plan_promotion("mysql-replica", Some(&replica("available", source))).unwrap();
    assert_eq!(plan.resource_key, "instance/mysql-replica");
    assert_eq!(
        plan.writer_before.as_deref(),
        source,
        "the source, for the record"
    );
}

#[test]
fn a_promotion_is_done_when_available_and_no_longer_a_replica() {
    let source = Some("arn:aws:rds:us-east-1:123456789012:db:mysql");
    let cases = [
        (replica("available", None), Readiness::Ready),
        (replica("modifying", None), Readiness::Pending),
        // moto leaves the source set after promoting; AWS clears it: not done.
        (replica("available", source), Readiness::Pending),
    ];
    for (instance, expected) in cases {
        let check = check_promotion("mysql-replica", Some(&instance)).unwrap();
        assert_eq!(check.state, expected, "{}", check.summary);
    }
}

fn replica_spec() -> ReplicaSpec {
    ReplicaSpec {
        instance_id: "mysql-east".into(),
        source_instance_id: "mysql-replica".into(),
        source_region: "us-west-2".into(),
        instance_class: "db.r6g.large".into(),
        multi_az: None,
        subnet_group: None,
        security_group_ids: None,
        kms_key_id: None,
        auto_minor_version_upgrade: None,
        port: None,
        copy_tags_to_snapshot: None,
        monitoring_interval: None,
        monitoring_role_arn: None,
        iam_database_authentication: None,
        parameter_group: None,
    }
}

fn east_replica(status: &str, source: Option<&str>) -> InstanceView {
    InstanceView {
        instance_id: "mysql-east".into(),
        arn: Some("arn:aws:rds:us-east-1:123456789012:db:mysql-east".into()),
        status: status.into(),
        engine: "mysql".into(),
        replica_source: source.map(str::to_string),
        backup_retention_period: None,
        tags: BTreeMap::new(),
    }
}

#[test]
fn a_replica_back_in_the_old_region_is_created_once_and_never_over_a_stranger() {
    use ResourceState::{Act, Done, InProgress};
    let ours = Some("arn:aws:rds:us-west-2:123456789012:db:mysql-replica");
    let cases: Vec<(&str, Option<InstanceView>, Result<ResourceState, &str>)> = vec![
        ("nothing there yet", None, Ok(Act)),
        (
            "made before a crash, creating",
            Some(east_replica("creating", ours)),
            Ok(InProgress),
        ),
        (
            "made and available",
            Some(east_replica("available", ours)),
            Ok(Done),
        ),
        (
            "a standalone instance holds the name",
            Some(east_replica("available", None)),
            Err("IdentifierConflict"),
        ),
        (
            "a replica of something else",
            Some(east_replica(
                "available",
                Some("arn:aws:rds:eu-west-1:123456789012:db:mysql-replica"),
            )),
            Err("IdentifierConflict"),
        ),
        (
            "ours, failed",
            Some(east_replica("failed", ours)),
            Err("TargetFailed"),
        ),
    ];
    for (name, instance, expected) in cases {
        let got = plan_replica(&replica_spec(), instance.as_ref(), Some("123456789012"))
            .map(|p| p.state)
            .map_err(|e| e.error_type());
        assert_eq!(got, expected, "{name}");
    }
    let account = Some("123456789012");
    let check = check_replica(
        &replica_spec(),
        Some(&east_replica("available", ours)),
        account,
    )
    .unwrap();
    assert_eq!(check.state, Readiness::Ready);
    let check = check_replica(&replica_spec(), None, account).unwrap();
    assert_eq!(check.state, Readiness::Pending);
    // Someone took the name between the plan and the call: refused, not waited for.
    let stranger = east_replica("available", None);
    let refused = check_replica(&replica_spec(), Some(&stranger), account).map(|c| c.state);
    assert_eq!(
        refused.map_err(|e| e.error_type()),
        Err("IdentifierConflict")
    );
    // A replica of the same name in another account is not ours.
    let foreign = east_replica(
        "available",
        Some("arn:aws:rds:us-west-2:999999999999:db:mysql-replica"),
    );
    let refused = plan_replica(&replica_spec(), Some(&foreign), account).map(|p| p.state);
    assert_eq!(
        refused.map_err(|e| e.error_type()),
        Err("IdentifierConflict")
    );
}

fn datastore(status: &str, primary: &str) -> CacheGlobalView {
    let member = |id: &str, region: &str| CacheMemberView {
        replication_group_id: id.into(),
        region: region.into(),
        role: if id == primary {
            "PRIMARY"
        } else {
            "SECONDARY"
        }
        .into(),
        status: "associated".into(),
    };
    CacheGlobalView {
        global_group_id: "ldgnf-sessions".into(),
        status: status.into(),
        members: vec![
            member("sessions-east", "us-east-1"),
            member("sessions-west", "us-west-2"),
        ],
    }
}

#[test]
fn a_global_datastore_fails_over_once_to_this_regions_group() {
    use ResourceState::{Act, Done, InProgress};
    type DatastoreCase = (
        &'static str,
        Option<CacheGlobalView>,
        &'static str,
        Result<ResourceState, &'static str>,
    );
    // (name, the datastore, the target group, the plan or the refusal's name)
    let cases: Vec<DatastoreCase> = vec![
        (
            "primary elsewhere",
            Some(datastore("available", "sessions-east")),
            "sessions-west",
            Ok(Act),
        ),
        (
            "already primary",
            Some(datastore("available", "sessions-west")),
            "sessions-west",
            Ok(Done),
        ),
        (
            "our failover under way",
            Some(datastore("modifying", "sessions-west")),
            "sessions-west",
            Ok(InProgress),
        ),
        (
            "something else changing it",
            Some(datastore("modifying", "sessions-east")),
            "sessions-west",
            Err("ClusterBusy"),
        ),
        (
            "no such datastore",
            None,
            "sessions-west",
            Err("TargetNotFound"),
        ),
        (
            "group not a member here",
            Some(datastore("available", "sessions-east")),
            "sessions-other",
            Err("TargetNotInGlobalCluster"),
        ),
    ];
    for (name, view, target, expected) in cases {
        let got = plan_cache_failover("ldgnf-sessions", target, "us-west-2", view.as_ref());
        match (&got, expected) {
            (Ok(plan), Ok(state)) => {
                assert_eq!(plan.state, state, "{name}: {plan:?}");
                assert_eq!(plan.resource_key, "cache/ldgnf-sessions", "{name}");
                assert_eq!(plan.call, "FailoverGlobalReplicationGroup", "{name}");
            }
            (Err(refusal), Err(error)) => assert_eq!(refusal.error_type(), error, "{name}"),
            _ => panic!("{name}: got {got:?}, expected {expected:?}"),
        }
    }
    // The region matters: the same group name in another region is not the target.
    let elsewhere = plan_cache_failover(
        "ldgnf-sessions",
        "sessions-west",
        "eu-west-1",
        Some(&datastore("available", "sessions-east")),
    );
    assert_eq!(
        elsewhere.map_err(|r| r.error_type()),
        Err("TargetNotInGlobalCluster")
    );
}

#[test]
fn a_datastore_failover_is_done_when_available_with_this_region_primary() {
    for (view, ready) in [
        (datastore("available", "sessions-west"), true),
        (datastore("modifying", "sessions-west"), false),
        (datastore("available", "sessions-east"), false),
    ] {
        let check =
            check_cache_failover("ldgnf-sessions", "sessions-west", "us-west-2", Some(&view))
                .unwrap();
        assert_eq!(check.state == Readiness::Ready, ready, "{view:?}");
        assert_eq!(
            check.writer.as_deref(),
            view.primary().map(|p| p.replication_group_id.as_str())
        );
    }
}

fn replica_cluster(status: &str, source: Option<&str>) -> ClusterView {
    ClusterView {
        cluster_id: "orders-west".into(),
        replication_source: source.map(str::to_string),
        ..west(status, false)
    }
}

#[test]
fn a_replica_cluster_is_promoted_once_and_a_standalone_one_is_done() {
    use ResourceState::{Act, Done, InProgress};
    let cases: Vec<(&str, Option<ClusterView>, Result<ResourceState, &str>)> = vec![
        (
            "replica, available",
            Some(replica_cluster("available", Some(EAST))),
            Ok(Act),
        ),
        (
            "promoting",
            Some(replica_cluster("promoting", Some(EAST))),
            Ok(InProgress),
        ),
        (
            "promoted, settling",
            Some(replica_cluster("modifying", None)),
            Ok(InProgress),
        ),
        (
            "standalone",
            Some(replica_cluster("available", None)),
            Ok(Done),
        ),
        (
            "replica, backing up",
            Some(replica_cluster("backing-up", Some(EAST))),
            Err("ClusterBusy"),
        ),
        (
            "a global database member",
            Some(west("available", true)),
            Err("IdentifierConflict"),
        ),
        ("missing", None, Err("TargetNotFound")),
    ];
    for (name, view, expected) in cases {
        let got = plan_cluster_promotion("orders-west", view.as_ref());
        match (&got, expected) {
            (Ok(plan), Ok(state)) => {
                assert_eq!(plan.state, state, "{name}: {plan:?}");
                assert_eq!(plan.resource_key, "cluster/orders-west", "{name}");
            }
            (Err(refusal), Err(error)) => assert_eq!(refusal.error_type(), error, "{name}"),
            _ => panic!("{name}: got {got:?}, expected {expected:?}"),
        }
    }
    let done = check_cluster_promotion("orders-west", Some(&replica_cluster("available", None)));
    assert_eq!(done.unwrap().state, Readiness::Ready);
    let still_replica = check_cluster_promotion(
        "orders-west",
        Some(&replica_cluster("available", Some(EAST))),
    );
    assert_eq!(still_replica.unwrap().state, Readiness::Pending);
    let mut no_writer = replica_cluster("available", None);
    no_writer.members[0].status = "rebooting".into();
    assert_eq!(
        check_cluster_promotion("orders-west", Some(&no_writer))
            .unwrap()
            .state,
        Readiness::Pending
    );
}

fn tagged(writer_class: Option<&str>, opted_in: bool) -> ClusterView {
    let mut cluster = west("available", true);
    if let Some(class) = writer_class {
        cluster.tags.insert(TAG_WRITER_CLASS.into(), class.into());
    }
    if opted_in {
        cluster
            .tags
            .insert(crate::model::TAG_ENABLED.into(), "true".into());
    }
    cluster
}

#[test]
fn a_cluster_left_with_a_small_writer_is_handed_to_the_failback_workflow() {
    // The writer is db.r6g.large.
    for (name, cluster, handoff) in [
        ("tag larger", tagged(Some("db.r6g.2xlarge"), true), true),
        ("tag equal", tagged(Some("db.r6g.large"), true), false),
        ("tag smaller", tagged(Some("db.r6g.medium"), true), false),
        ("no tag", tagged(None, true), false),
        ("not opted in", tagged(Some("db.r6g.2xlarge"), false), false),
        (
            "tag not a class",
            tagged(Some("db.r6g.huge; rm -rf"), true),
            false,
        ),
    ] {
        let got = capacity_handoff(&cluster);
        assert_eq!(got.is_some(), handoff, "{name}: {got:?}");
        if let Some(h) = got {
            assert_eq!(
                (
                    h.cluster_id.as_str(),
                    h.writer_class.as_str(),
                    h.current_class.as_str()
                ),
                ("orders-west", "db.r6g.2xlarge", "db.r6g.large")
            );
        }
    }
}

#[test]
fn only_a_request_that_leaves_a_cluster_taking_writes_hands_off() {
    let home = Home {
        partition: "aws".into(),
        region: "us-west-2".into(),
        account: Some("123456789012".into()),
    };
    let small = tagged(Some("db.r6g.2xlarge"), true);
    let mut global = global("available", WEST, None);
    global.members.retain(|m| m.cluster_arn == WEST);
    let seen = Observed {
        global: Some(global),
        cluster: Some(small.clone()),
        lag_ms: Some(1500),
        ..Observed::default()
    };
    let switch = DrRequest::Switch(crate::dr::request::SwitchRequest {
        how: GlobalSwitch::Switchover,
        global_cluster_id: "orders-global".into(),
        target: crate::dr::payload::ClusterRef {
            cluster_id: "orders-west".into(),
            arn: None,
        },
    });
    let plan = plan_request(&switch, &seen, &home).unwrap();
    assert_eq!(plan.state, ResourceState::Done);
    assert_eq!(plan.replication_lag_ms, Some(1500));
    assert!(plan.handoff.is_some(), "{plan:?}");
    assert!(check_request(&switch, &seen, &home)
        .unwrap()
        .handoff
        .is_some());

    let promoted = Observed {
        cluster: Some(ClusterView {
            global_cluster_id: None,
            ..small
        }),
        ..Observed::default()
    };
    let promote = DrRequest::PromoteCluster {
        cluster_id: "orders-west".into(),
    };
    assert!(plan_request(&promote, &promoted, &home)
        .unwrap()
        .handoff
        .is_some());
    // A secondary created in the old region takes no writes: nothing to hand off.
    let mut secondary_view = seen.clone();
    secondary_view.cluster = Some(tagged(Some("db.r6g.2xlarge"), true));
    let secondary = DrRequest::Secondary(Box::new(spec()));
    if let Ok(plan) = plan_request(&secondary, &secondary_view, &home) {
        assert!(plan.handoff.is_none());
    }
}

fn resource(key: &str) -> DrResource {
    DrResource {
        layer: 2,
        resource_type: crate::dr::payload::ResourceType::PromoteRdsReadReplica,
        resource_name: "pilot light".into(),
        parameters: BTreeMap::new(),
        action: crate::dr::payload::DrAction::PromoteReplica {
            instance_id: "mysql-replica".into(),
            backup_retention_period: None,
            preferred_backup_window: None,
        },
        resource_key: key.into(),
    }
}

#[test]
fn ready_means_a_run_now_would_go_through_within_the_lag_allowed() {
    let plan = |state| {
        plan_promotion(
            "mysql-replica",
            Some(&replica(
                "available",
                Some("arn:aws:rds:us-east-1:1:db:mysql"),
            )),
        )
        .map(|p| ResourcePlan { state, ..p })
        .map_err(|r| (r.error_type(), r.to_string()))
    };
    let refused: Result<ResourcePlan, (&str, String)> =
        Err(("TargetFailed", "instance mysql-replica is failed".into()));
    // (name, plan, lag ms, ready, state)
    let cases = [
        (
            "act, no lag reported",
            plan(ResourceState::Act),
            None,
            true,
            "act",
        ),
        (
            "act, lag within",
            plan(ResourceState::Act),
            Some(60_000),
            true,
            "act",
        ),
        (
            "act, lag above",
            plan(ResourceState::Act),
            Some(60_001),
            false,
            "act",
        ),
        ("done", plan(ResourceState::Done), None, true, "done"),
        (
            "under way",
            plan(ResourceState::InProgress),
            None,
            false,
            "in-progress",
        ),
        ("refused", refused, None, false, "refused"),
    ];
    for (name, planned, lag, ready, state) in cases {
        let got = readiness_of(&resource("instance/mysql-replica"), &planned, lag, 60_000);
        assert_eq!(
            (got.ready, got.state.as_str()),
            (ready, state),
            "{name}: {got:?}"
        );
        assert_eq!(
            got.replication_lag_seconds,
            lag.map(|ms| ms as f64 / 1000.0),
            "{name}"
        );
        if !ready {
            assert!(!got.reason.is_empty(), "{name}");
        }
    }
}

fn restore_spec(source: RestoreSource) -> ClusterRestoreSpec {
    ClusterRestoreSpec {
        cluster_id: "orders-restored".into(),
        source,
        engine: Some("aurora-mysql".into()),
        engine_version: None,
        subnet_group: "dr-subnets".into(),
        security_group_ids: vec!["sg-0123456789abcdef0".into()],
        kms_key_id: None,
        cluster_parameter_group: None,
        instance_id: "orders-restored-1".into(),
        instance_class: "db.r6g.2xlarge".into(),
        reader_count: 1,
        instance_parameter_group: None,
        port: None,
        deletion_protection: None,
        iam_database_authentication: None,
        copy_tags_to_snapshot: None,
    }
}

fn snapshot(id: &str, status: &str, taken: &str) -> SnapshotView {
    SnapshotView {
        snapshot_id: id.into(),
        arn: Some(format!(
            "arn:aws:rds:us-west-2:123456789012:cluster-snapshot:{id}"
        )),
        source_id: "orders".into(),
        status: status.into(),
        created_at: Some(taken.into()),
        engine: "aurora-mysql".into(),
        snapshot_type: Some("manual".into()),
    }
}

const RESTORE_KEY: &str = "cluster/orders-restored";

fn protected_source() -> ClusterView {
    let mut cluster = west("available", false);
    cluster
        .tags
        .insert(crate::dr::rpo::TAG_BACKUP.into(), "true".into());
    cluster
}

fn restored(status: &str, members: &[(&str, &str, bool)], tagged: bool) -> ClusterView {
    let mut cluster = west(status, false);
    cluster.cluster_id = "orders-restored".into();
    cluster.members = members
        .iter()
        .map(|(id, status, writer)| MemberView {
            instance_id: (*id).into(),
            class: "db.r6g.2xlarge".into(),
            status: (*status).into(),
            is_writer: *writer,
            promotion_tier: 0,
            availability_zone: None,
        })
        .collect();
    if tagged {
        cluster.tags.insert(TAG_RESTORE.into(), RESTORE_KEY.into());
    }
    cluster
}

#[test]
fn a_restore_uses_the_newest_available_copy_and_never_a_stranger() {
    use ResourceState::{Act, Done, InProgress};
    let newest_of = RestoreSource::NewestSnapshotOf {
        source_id: "orders".into(),
    };
    let copies = vec![
        snapshot("copy-1", "available", "2026-11-30T01:00:00Z"),
        snapshot("copy-3", "copying", "2026-11-30T05:00:00Z"),
        snapshot("copy-2", "available", "2026-11-30T03:00:00Z"),
    ];
    let both = [
        ("orders-restored-1", "available", true),
        ("orders-restored-1-r1", "available", false),
    ];
    type RestoreCase = (
        &'static str,
        RestoreSource,
        Observed,
        Result<(ResourceState, &'static str), &'static str>,
    );
    // (name, source, what is seen, expected state and call, or the refusal)
    let cases: Vec<RestoreCase> = vec![
        (
            "nothing there: the newest available copy",
            newest_of.clone(),
            Observed {
                snapshots: copies.clone(),
                ..Observed::default()
            },
            Ok((Act, "RestoreDBClusterFromSnapshot")),
        ),
        (
            "no copy at all: refused before anything is created",
            newest_of.clone(),
            Observed::default(),
            Err("TargetNotFound"),
        ),
        (
            "a named snapshot still copying: waited for",
            RestoreSource::Snapshot {
                snapshot_id: "copy-3".into(),
            },
            Observed {
                snapshots: vec![copies[1].clone()],
                ..Observed::default()
            },
            Err("ClusterBusy"),
        ),
        (
            "point in time, source present",
            RestoreSource::PointInTime {
                source_id: "orders-west".into(),
                time: None,
            },
            Observed {
                source_cluster: Some(protected_source()),
                ..Observed::default()
            },
            Ok((Act, "RestoreDBClusterToPointInTime")),
        ),
        (
            "point in time, source not protected",
            RestoreSource::PointInTime {
                source_id: "orders-west".into(),
                time: None,
            },
            Observed {
                source_cluster: Some(west("available", false)),
                ..Observed::default()
            },
            Err("SourceNotProtected"),
        ),
        (
            "point in time, source missing",
            RestoreSource::PointInTime {
                source_id: "orders-west".into(),
                time: None,
            },
            Observed::default(),
            Err("TargetNotFound"),
        ),
        (
            "restored by us, available, a reader missing (a retry after a lost answer)",
            newest_of.clone(),
            Observed {
                cluster: Some(restored("available", &both[..1], true)),
                ..Observed::default()
            },
            Ok((Act, "CreateDBInstance")),
        ),
        (
            "restored by us, still creating: no instance before it is available",
            newest_of.clone(),
            Observed {
                cluster: Some(restored("creating", &[], true)),
                ..Observed::default()
            },
            Ok((InProgress, "none")),
        ),
        (
            "restored by us, still creating",
            newest_of.clone(),
            Observed {
                cluster: Some(restored("creating", &both, true)),
                ..Observed::default()
            },
            Ok((InProgress, "none")),
        ),
        (
            "restored by us, all available",
            newest_of.clone(),
            Observed {
                cluster: Some(restored("available", &both, true)),
                ..Observed::default()
            },
            Ok((Done, "none")),
        ),
        (
            "a stranger holds the name",
            newest_of.clone(),
            Observed {
                cluster: Some(restored("available", &both, false)),
                snapshots: copies.clone(),
                ..Observed::default()
            },
            Err("IdentifierConflict"),
        ),
        (
            "an instance failed",
            newest_of,
            Observed {
                cluster: Some(restored(
                    "available",
                    &[("orders-restored-1", "incompatible-network", true)],
                    true,
                )),
                ..Observed::default()
            },
            Err("TargetFailed"),
        ),
    ];
    for (name, source, seen, expected) in cases {
        let got = plan_cluster_restore(&restore_spec(source), RESTORE_KEY, &seen);
        match (&got, expected) {
            (Ok(plan), Ok((state, call))) => {
                assert_eq!(
                    (plan.state, plan.call.as_str()),
                    (state, call),
                    "{name}: {plan:?}"
                )
            }
            (Err(refusal), Err(error)) => {
                assert_eq!(refusal.error_type(), error, "{name}: {refusal}")
            }
            _ => panic!("{name}: got {got:?}, expected {expected:?}"),
        }
    }
    // The newest available copy is copy-2; its instances are the writer and one reader.
    let plan = plan_cluster_restore(
        &restore_spec(RestoreSource::NewestSnapshotOf {
            source_id: "orders".into(),
        }),
        RESTORE_KEY,
        &Observed {
            snapshots: copies,
            ..Observed::default()
        },
    )
    .unwrap();
    let step = plan.restore.unwrap();
    assert_eq!(step.from.as_deref(), Some("copy-2"));
    assert_eq!(step.as_of.as_deref(), Some("2026-11-30T03:00:00Z"));
    assert_eq!(
        step.create_instances,
        ["orders-restored-1", "orders-restored-1-r1"]
    );
}

#[test]
fn a_restore_is_done_when_every_instance_is_available_and_the_writer_is_the_payloads() {
    let spec = restore_spec(RestoreSource::NewestSnapshotOf {
        source_id: "orders".into(),
    });
    let available = [
        ("orders-restored-1", "available", true),
        ("orders-restored-1-r1", "available", false),
    ];
    let wrong_writer = [
        ("orders-restored-1", "available", false),
        ("orders-restored-1-r1", "available", true),
    ];
    for (cluster, ready) in [
        (None, false),
        (Some(restored("available", &available, true)), true),
        (Some(restored("available", &available[..1], true)), false),
        (Some(restored("available", &wrong_writer, true)), false),
        (Some(restored("modifying", &available, true)), false),
    ] {
        let check = check_cluster_restore(&spec, RESTORE_KEY, cluster.as_ref()).unwrap();
        assert_eq!(check.state == Readiness::Ready, ready, "{cluster:?}");
    }
    // Available without its instances: the check asks the machine to act again.
    let bare = check_cluster_restore(&spec, RESTORE_KEY, Some(&restored("available", &[], true)));
    assert!(bare.unwrap().act_again);
    let creating =
        check_cluster_restore(&spec, RESTORE_KEY, Some(&restored("creating", &[], true)));
    assert!(!creating.unwrap().act_again);
    let stranger = restored("available", &available, false);
    assert_eq!(
        check_cluster_restore(&spec, RESTORE_KEY, Some(&stranger))
            .unwrap_err()
            .error_type(),
        "IdentifierConflict"
    );
}

/// An RDS instance restored from the newest snapshot of `mysql`.
fn instance_restore_spec() -> InstanceRestoreSpec {
    InstanceRestoreSpec {
        instance_id: "mysql-restored".into(),
        source: RestoreSource::NewestSnapshotOf {
            source_id: "mysql".into(),
        },
        instance_class: "db.r6g.large".into(),
        subnet_group: None,
        security_group_ids: None,
        multi_az: None,
        parameter_group: None,
        port: None,
        deletion_protection: None,
        iam_database_authentication: None,
        copy_tags_to_snapshot: None,
    }
}

#[test]
fn an_instance_restore_converges_and_leaves_strangers_alone() {
    use ResourceState::{Act, Done, InProgress};
    let spec = instance_restore_spec();
    let key = "instance/mysql-restored";
    let mine = |status: &str| {
        let mut i = replica(status, None);
        i.instance_id = "mysql-restored".into();
        i.tags.insert(TAG_RESTORE.into(), key.into());
        i
    };
    let mut copy = snapshot("mysql-copy", "available", "2026-11-30T04:00:00Z");
    copy.source_id = "mysql".into();
    let cases: Vec<(&str, Observed, Result<ResourceState, &str>)> = vec![
        (
            "restore",
            Observed {
                snapshots: vec![copy],
                ..Observed::default()
            },
            Ok(Act),
        ),
        ("no snapshot", Observed::default(), Err("TargetNotFound")),
        (
            "ours, creating",
            Observed {
                instance: Some(mine("creating")),
                ..Observed::default()
            },
            Ok(InProgress),
        ),
        (
            "ours, available",
            Observed {
                instance: Some(mine("available")),
                ..Observed::default()
            },
            Ok(Done),
        ),
        (
            "a stranger",
            Observed {
                instance: Some(replica("available", None)),
                ..Observed::default()
            },
            Err("IdentifierConflict"),
        ),
        (
            "ours, failed",
            Observed {
                instance: Some(mine("restore-error")),
                ..Observed::default()
            },
            Err("TargetFailed"),
        ),
    ];
    for (name, seen, expected) in cases {
        let got = plan_instance_restore(&spec, key, &seen);
        match (&got, expected) {
            (Ok(plan), Ok(state)) => assert_eq!(plan.state, state, "{name}: {plan:?}"),
            (Err(refusal), Err(error)) => assert_eq!(refusal.error_type(), error, "{name}"),
            _ => panic!("{name}: got {got:?}, expected {expected:?}"),
        }
    }
    let check = check_instance_restore(&spec, key, Some(&mine("available"))).unwrap();
    assert_eq!(check.state, Readiness::Ready);
}

#[test]
fn the_first_check_comes_about_when_aws_says_the_call_usually_finishes() {
    use crate::dr::request::{PromoteRequest, SwitchRequest};
    let switch = |how| {
        DrRequest::Switch(SwitchRequest {
            how,
            global_cluster_id: "orders-global".into(),
            target: crate::dr::payload::ClusterRef {
                cluster_id: "orders-west".into(),
                arn: None,
            },
        })
    };
    let cluster_restore = || {
        DrRequest::RestoreCluster(Box::new(restore_spec(RestoreSource::NewestSnapshotOf {
            source_id: "orders".into(),
        })))
    };
    let step = |from: Option<&str>| RestoreStep {
        from: from.map(String::from),
        as_of: None,
        engine: "aurora-mysql".into(),
        create_instances: vec!["orders-restored-1".into()],
    };
    let restore_call = step(Some("orders-snap-1"));
    let instances_only = step(None);
    let cases: Vec<(&str, DrRequest, Option<&RestoreStep>, u32)> = vec![
        ("switchover", switch(GlobalSwitch::Switchover), None, 60),
        (
            "global failover",
            switch(GlobalSwitch::FailoverAllowingDataLoss),
            None,
            60,
        ),
        (
            "datastore failover",
            DrRequest::CacheFailover {
                global_group_id: "ldgnf-sessions".into(),
                target_group_id: "sessions-west".into(),
            },
            None,
            60,
        ),
        (
            "replica promotion",
            DrRequest::Promote(PromoteRequest {
                instance_id: "mysql-replica".into(),
                backup_retention_period: None,
                preferred_backup_window: None,
            }),
            None,
            180,
        ),
        (
            "replica cluster promotion",
            DrRequest::PromoteCluster {
                cluster_id: "orders-west".into(),
            },
            None,
            180,
        ),
        (
            "secondary cluster",
            DrRequest::Secondary(Box::new(spec())),
            None,
            300,
        ),
        (
            "read replica back home",
            DrRequest::Replica {
                spec: Box::new(replica_spec()),
                source_arn: "arn:aws:rds:us-west-2:123456789012:db:mysql-replica".into(),
            },
            None,
            300,
        ),
        (
            "cluster restore call",
            cluster_restore(),
            Some(&restore_call),
            60,
        ),
        (
            "restored cluster's instances",
            cluster_restore(),
            Some(&instances_only),
            300,
        ),
        ("cluster restore, no step", cluster_restore(), None, 300),
        (
            "instance restore",
            DrRequest::RestoreInstance(Box::new(instance_restore_spec())),
            None,
            300,
        ),
    ];
    for (name, request, restore, seconds) in &cases {
        assert_eq!(
            first_check_after_seconds(request, *restore, true),
            *seconds,
            "{name}"
        );
        // Nothing was called (already under way, or done): the next poll is soon enough.
        assert_eq!(
            first_check_after_seconds(request, *restore, false),
            RESOURCE_POLL_SECONDS,
            "{name}, nothing requested"
        );
    }
    // Each first wait is at least one poll and ends well inside the machine's four hours.
    for (name, request, restore, _) in &cases {
        let seconds = first_check_after_seconds(request, *restore, true);
        assert!((RESOURCE_POLL_SECONDS..=600).contains(&seconds), "{name}");
    }
}
