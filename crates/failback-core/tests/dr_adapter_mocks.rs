//! The DR workflow's AWS calls against aws-smithy-mocks: what moto cannot show (the
//! global-cluster calls, their faults, a lost answer, paging of exports, batching of SSM
//! names).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_cloudformation::operation::list_exports::ListExportsOutput;
use aws_sdk_cloudformation::types::Export;
use aws_sdk_rds::operation::describe_db_clusters::DescribeDbClustersOutput;
use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
use aws_sdk_rds::operation::describe_global_clusters::DescribeGlobalClustersOutput;
use aws_sdk_rds::operation::switchover_global_cluster::{
    SwitchoverGlobalClusterError, SwitchoverGlobalClusterOutput,
};
use aws_sdk_rds::types::error::InvalidGlobalClusterStateFault;
use aws_sdk_rds::types::{
    DbCluster, DbClusterMember, DbInstance, FailoverState, FailoverStatus, GlobalCluster,
    GlobalClusterMember,
};
use aws_sdk_ssm::operation::get_parameters::GetParametersOutput;
use aws_sdk_ssm::types::Parameter;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use failback_core::cloudwatch::CloudWatch;
use failback_core::dr::observe::DrServices;
use failback_core::dr::resource::{dr_act, dr_check};
use failback_core::elasticache::ElastiCache;
use failback_core::errors::StepError;
use failback_core::rds::Rds;
use failback_core::references::References;
use failback_core::trigger::Home;
use serde_json::json;

/// The DR steps' services around a mocked RDS; ElastiCache and CloudWatch answer nothing
/// (a plan's lag read fails, and is recorded as unknown).
fn services(rds: Rds) -> DrServices {
    DrServices {
        rds,
        cache: ElastiCache::new(mock_client!(aws_sdk_elasticache, RuleMode::MatchAny, [])),
        metrics: CloudWatch::new(mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [])),
    }
}

const EAST: &str = "arn:aws:rds:us-east-1:123456789012:cluster:orders-east";
const WEST: &str = "arn:aws:rds:us-west-2:123456789012:cluster:orders-west";

fn west_home() -> Home {
    Home::from_function_arn("arn:aws:lambda:us-west-2:123456789012:function:dr-act").unwrap()
}

fn global(id: &str, writer: &str, switching_to: Option<&str>) -> GlobalCluster {
    let mut builder = GlobalCluster::builder()
        .global_cluster_identifier(id)
        .status("available")
        .engine("aurora-mysql");
    for arn in [EAST, WEST] {
        builder = builder.global_cluster_members(
            GlobalClusterMember::builder()
                .db_cluster_arn(arn)
                .is_writer(arn == writer)
                .build(),
        );
    }
    if let Some(to) = switching_to {
        builder = builder.failover_state(
            FailoverState::builder()
                .status(FailoverStatus::FailingOver)
                .from_db_cluster_arn(EAST)
                .to_db_cluster_arn(to)
                .is_data_loss_allowed(false)
                .build(),
        );
    }
    builder.build()
}

/// The describes dr-act and dr-check make: the global clusters (an unrelated one first,
/// as an endpoint that ignores the filter answers), the target cluster and its writer.
fn describes(writer: &'static str, switching_to: Option<&'static str>) -> [Rule; 3] {
    [
        mock!(aws_sdk_rds::Client::describe_global_clusters).then_output(move || {
            DescribeGlobalClustersOutput::builder()
                .global_clusters(global("someone-elses-global", WEST, None))
                .global_clusters(global("orders-global", writer, switching_to))
                .build()
        }),
        mock!(aws_sdk_rds::Client::describe_db_clusters).then_output(|| {
            DescribeDbClustersOutput::builder()
                .db_clusters(
                    DbCluster::builder()
                        .db_cluster_identifier("orders-west")
                        .db_cluster_arn(WEST)
                        .engine("aurora-mysql")
                        .status("available")
                        .global_cluster_identifier("orders-global")
                        .db_cluster_members(
                            DbClusterMember::builder()
                                .db_instance_identifier("orders-west-1")
                                .is_cluster_writer(true)
                                .build(),
                        )
                        .build(),
                )
                .build()
        }),
        mock!(aws_sdk_rds::Client::describe_db_instances).then_output(|| {
            DescribeDbInstancesOutput::builder()
                .db_instances(
                    DbInstance::builder()
                        .db_instance_identifier("orders-west-1")
                        .db_cluster_identifier("orders-west")
                        .db_instance_class("db.r6g.large")
                        .db_instance_status("available")
                        .build(),
                )
                .build()
        }),
    ]
}

fn resource(kind: &str) -> serde_json::Value {
    json!({"resource": {
        "layer": 1, "resourceType": "PlannedFailoverAurora", "resourceName": "orders", "parameters": {},
        "action": {"kind": kind, "globalClusterId": "orders-global",
                   "target": {"clusterId": "orders-west", "arn": WEST}},
        "resourceKey": "orders-global"}})
}

#[tokio::test]
async fn a_switchover_is_sent_once_and_only_when_the_plan_says_act() {
    // (where the writer is, a switch under way, the answer to the call, the error type
    // or requested, the number of calls)
    type Case = (
        &'static str,
        Option<&'static str>,
        Option<fn() -> SwitchoverGlobalClusterError>,
        Result<bool, &'static str>,
        usize,
    );
    let cases: Vec<Case> = vec![
        (EAST, None, None, Ok(true), 1),
        (WEST, None, None, Ok(false), 0),
        (EAST, Some(WEST), None, Ok(false), 0),
        (EAST, Some(EAST), None, Err("ClusterBusy"), 0),
        (
            EAST,
            None,
            Some(|| {
                SwitchoverGlobalClusterError::InvalidGlobalClusterStateFault(
                    InvalidGlobalClusterStateFault::builder().build(),
                )
            }),
            Err("ClusterBusy"),
            1,
        ),
        (
            EAST,
            None,
            Some(|| {
                SwitchoverGlobalClusterError::generic(
                    aws_sdk_rds::error::ErrorMetadata::builder()
                        .code("Throttling")
                        .build(),
                )
            }),
            Err("Throttled"),
            1,
        ),
    ];
    for (writer, switching_to, error, expected, calls) in cases {
        let [globals, clusters, instances] = describes(writer, switching_to);
        let call = match error {
            Some(error) => mock!(aws_sdk_rds::Client::switchover_global_cluster)
                .match_requests(|r| r.target_db_cluster_identifier() == Some(WEST))
                .then_error(error),
            None => mock!(aws_sdk_rds::Client::switchover_global_cluster)
                .match_requests(|r| {
                    r.global_cluster_identifier() == Some("orders-global")
                        && r.target_db_cluster_identifier() == Some(WEST)
                })
                .then_output(|| SwitchoverGlobalClusterOutput::builder().build()),
        };
        let rds = Rds::new(mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&globals, &clusters, &instances, &call]
        ));
        let got = dr_act(&services(rds), &west_home(), resource("switchover"))
            .await
            .map(|out| out.requested)
            .map_err(|e| e.error_type());
        assert_eq!(
            got, expected,
            "writer {writer}, switching to {switching_to:?}"
        );
        assert_eq!(call.num_calls(), calls, "writer {writer}, {expected:?}");
    }
}

#[tokio::test]
async fn a_lost_answer_is_not_sent_again_by_the_sdk() {
    let [globals, clusters, instances] = describes(EAST, None);
    let call = mock!(aws_sdk_rds::Client::switchover_global_cluster)
        .sequence()
        .http_status(500, None)
        .repeatedly()
        .build();
    let rds = Rds::new(mock_client!(
        aws_sdk_rds,
        RuleMode::MatchAny,
        [&globals, &clusters, &instances, &call]
    ));
    let err = dr_act(&services(rds), &west_home(), resource("switchover"))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "AwsUnavailable", "{err}");
    assert_eq!(call.num_calls(), 1, "the SDK must not resend a switchover");
}

#[tokio::test]
async fn done_is_read_from_the_global_cluster_not_from_a_status() {
    for (writer, expected) in [(EAST, "pending"), (WEST, "ready")] {
        let [globals, clusters, instances] = describes(writer, None);
        let rds = Rds::new(mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&globals, &clusters, &instances]
        ));
        let mut input = resource("switchover");
        input["question"] = json!("done");
        let answer = dr_check(&services(rds), &west_home(), input).await.unwrap();
        let answer = serde_json::to_value(answer).unwrap();
        assert_eq!(answer["state"], expected, "{answer}");
    }
}

#[tokio::test]
async fn a_resource_from_another_region_or_account_is_refused_before_any_call() {
    let rds = Rds::new(mock_client!(aws_sdk_rds, RuleMode::MatchAny, []));
    for arn in [
        EAST,
        "arn:aws:rds:us-west-2:999999999999:cluster:orders-west",
        "arn:aws:rds:us-west-2:123456789012:cluster:other-cluster",
    ] {
        let mut input = resource("switchover");
        input["resource"]["action"]["target"]["arn"] = json!(arn);
        let err = dr_act(&services(rds.clone()), &west_home(), input)
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "InvalidInput", "{arn}: {err}");
    }
}

#[tokio::test]
async fn exports_are_read_across_pages_and_ssm_names_in_batches_of_ten() {
    let exports = mock!(aws_sdk_cloudformation::Client::list_exports)
        .sequence()
        .output(|| {
            ListExportsOutput::builder()
                .exports(Export::builder().name("first").value("1").build())
                .next_token("page-2")
                .build()
        })
        .output(|| {
            ListExportsOutput::builder()
                .exports(Export::builder().name("second").value("2").build())
                .build()
        })
        .build();
    let parameters = mock!(aws_sdk_ssm::Client::get_parameters)
        .match_requests(|r| r.with_decryption() == Some(true) && r.names().len() <= 10)
        .then_output(|| {
            GetParametersOutput::builder()
                .parameters(Parameter::builder().name("/dr/p-00").value("zero").build())
                .invalid_parameters("/dr/p-11")
                .build()
        });
    let references = References::new(
        mock_client!(aws_sdk_cloudformation, RuleMode::Sequential, [&exports]),
        mock_client!(aws_sdk_ssm, RuleMode::MatchAny, [&parameters]),
    );
    let found = references.exports().await.unwrap();
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        [("first".into(), "1".into()), ("second".into(), "2".into())]
    );
    let names = (0..12).map(|i| format!("/dr/p-{i:02}")).collect();
    let found = references.ssm_parameters(&names).await.unwrap();
    assert_eq!(parameters.num_calls(), 2, "12 names, 10 per call");
    assert_eq!(found.get("/dr/p-00").map(String::as_str), Some("zero"));
    assert!(!found.contains_key("/dr/p-11"), "a missing name is absent");
}

fn replica_described(source: Option<&'static str>) -> Rule {
    mock!(aws_sdk_rds::Client::describe_db_instances).then_output(move || {
        let mut instance = DbInstance::builder()
            .db_instance_identifier("mysql-replica")
            .db_instance_arn("arn:aws:rds:us-west-2:123456789012:db:mysql-replica")
            .db_instance_status("available")
            .engine("mysql");
        if let Some(source) = source {
            instance = instance.read_replica_source_db_instance_identifier(source);
        }
        DescribeDbInstancesOutput::builder()
            .db_instances(instance.build())
            .build()
    })
}

fn promotion() -> serde_json::Value {
    json!({"resource": {
        "layer": 1, "resourceType": "PromoteRDSReadReplica", "resourceName": "pilot light", "parameters": {},
        "action": {"kind": "promoteReplica", "instanceId": "mysql-replica",
                   "backupRetentionPeriod": 7, "preferredBackupWindow": "03:00-03:30"},
        "resourceKey": "instance/mysql-replica"}})
}

#[tokio::test]
async fn a_replica_is_promoted_once_with_its_backup_settings_and_never_twice() {
    use aws_sdk_rds::operation::promote_read_replica::PromoteReadReplicaOutput;
    let source = "arn:aws:rds:us-east-1:123456789012:db:mysql";
    // (the replica's source now, whether the call is answered, requested or the error
    // type, calls)
    type Case = (
        Option<&'static str>,
        bool,
        Result<bool, &'static str>,
        usize,
    );
    let cases: Vec<Case> = vec![
        (Some(source), true, Ok(true), 1),
        (None, true, Ok(false), 0),
        (Some(source), false, Err("AwsUnavailable"), 1),
    ];
    for (now, answered, expected, calls) in cases {
        let described = replica_described(now);
        let call = if answered {
            mock!(aws_sdk_rds::Client::promote_read_replica)
                .match_requests(|r| {
                    r.db_instance_identifier() == Some("mysql-replica")
                        && r.backup_retention_period() == Some(7)
                        && r.preferred_backup_window() == Some("03:00-03:30")
                })
                .then_output(|| PromoteReadReplicaOutput::builder().build())
        } else {
            mock!(aws_sdk_rds::Client::promote_read_replica)
                .sequence()
                .http_status(500, None)
                .repeatedly()
                .build()
        };
        let rds = Rds::new(mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&described, &call]
        ));
        let got = dr_act(&services(rds), &west_home(), promotion())
            .await
            .map(|out| out.requested)
            .map_err(|e| e.error_type());
        assert_eq!(got, expected, "source {now:?}");
        assert_eq!(call.num_calls(), calls, "source {now:?}");
    }
    // A resource whose key does not match its action is refused before any call.
    let mut forged = promotion();
    forged["resource"]["resourceKey"] = json!("orders-global");
    let rds = Rds::new(mock_client!(aws_sdk_rds, RuleMode::MatchAny, []));
    let err = dr_act(&services(rds), &west_home(), forged)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "InvalidInput", "{err}");
}

fn datastore_described(primary_region: &str) -> Rule {
    use aws_sdk_elasticache::operation::describe_global_replication_groups::DescribeGlobalReplicationGroupsOutput;
    use aws_sdk_elasticache::types::{GlobalReplicationGroup, GlobalReplicationGroupMember};
    let member = |id: &str, region: &str| {
        GlobalReplicationGroupMember::builder()
            .replication_group_id(id)
            .replication_group_region(region)
            .role(if region == primary_region {
                "PRIMARY"
            } else {
                "SECONDARY"
            })
            .status("associated")
            .build()
    };
    let group = GlobalReplicationGroup::builder()
        .global_replication_group_id("ldgnf-sessions")
        .status("available")
        .members(member("sessions-east", "us-east-1"))
        .members(member("sessions-west", "us-west-2"))
        .build();
    mock!(aws_sdk_elasticache::Client::describe_global_replication_groups).then_output(move || {
        DescribeGlobalReplicationGroupsOutput::builder()
            .global_replication_groups(group.clone())
            .build()
    })
}

fn datastore_failover() -> serde_json::Value {
    json!({"resource": {
        "layer": 1, "resourceType": "FailoverElastiCacheCluster", "resourceName": "sessions",
        "parameters": {"GlobalReplicationGroupId": "ldgnf-sessions", "TargetRegion": "us-west-2",
                       "TargetReplicationGroupId": "sessions-west"},
        "action": {"kind": "cacheFailover", "globalGroupId": "ldgnf-sessions", "targetGroupId": "sessions-west"},
        "resourceKey": "cache/ldgnf-sessions"}})
}

fn services_with_cache(cache: aws_sdk_elasticache::Client) -> DrServices {
    DrServices {
        cache: ElastiCache::new(cache),
        ..services(Rds::new(mock_client!(aws_sdk_rds, RuleMode::MatchAny, [])))
    }
}

#[tokio::test]
async fn a_global_datastore_is_failed_over_once_to_this_region_and_a_refusal_is_typed() {
    use aws_sdk_elasticache::operation::failover_global_replication_group::{
        FailoverGlobalReplicationGroupError, FailoverGlobalReplicationGroupOutput,
    };
    use aws_sdk_elasticache::types::error::InvalidGlobalReplicationGroupStateFault;
    // Primary in the east: one call, naming this region and its group.
    let described = datastore_described("us-east-1");
    let call = mock!(aws_sdk_elasticache::Client::failover_global_replication_group)
        .match_requests(|r| {
            r.global_replication_group_id() == Some("ldgnf-sessions")
                && r.primary_region() == Some("us-west-2")
                && r.primary_replication_group_id() == Some("sessions-west")
        })
        .then_output(|| FailoverGlobalReplicationGroupOutput::builder().build());
    let cache = mock_client!(aws_sdk_elasticache, RuleMode::MatchAny, [&described, &call]);
    let act = dr_act(
        &services_with_cache(cache),
        &west_home(),
        datastore_failover(),
    )
    .await
    .unwrap();
    assert!(act.requested);
    assert_eq!(call.num_calls(), 1);

    // Already primary here: nothing is called.
    let described = datastore_described("us-west-2");
    let call = mock!(aws_sdk_elasticache::Client::failover_global_replication_group)
        .then_output(|| FailoverGlobalReplicationGroupOutput::builder().build());
    let cache = mock_client!(aws_sdk_elasticache, RuleMode::MatchAny, [&described, &call]);
    let act = dr_act(
        &services_with_cache(cache),
        &west_home(),
        datastore_failover(),
    )
    .await
    .unwrap();
    assert!(!act.requested);
    assert_eq!(call.num_calls(), 0);

    // Refused as not in a state to fail over: ClusterBusy, which the machine retries; sent once.
    let described = datastore_described("us-east-1");
    let call =
        mock!(aws_sdk_elasticache::Client::failover_global_replication_group).then_error(|| {
            FailoverGlobalReplicationGroupError::InvalidGlobalReplicationGroupStateFault(
                InvalidGlobalReplicationGroupStateFault::builder()
                    .message("modifying")
                    .build(),
            )
        });
    let cache = mock_client!(aws_sdk_elasticache, RuleMode::MatchAny, [&described, &call]);
    let err = dr_act(
        &services_with_cache(cache),
        &west_home(),
        datastore_failover(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "ClusterBusy", "{err}");
    assert_eq!(call.num_calls(), 1);
}
