//! The RDS and DynamoDB adapters against aws-smithy-mocks: what moto cannot show
//! (Performance Insights, terminal statuses, AWS error codes, throttling, 5xx).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_rds::error::ErrorMetadata;
use aws_sdk_rds::operation::create_db_instance::{CreateDBInstanceError, CreateDbInstanceOutput};
use aws_sdk_rds::operation::describe_db_clusters::{
    DescribeDBClustersError, DescribeDbClustersOutput,
};
use aws_sdk_rds::operation::describe_db_instances::{
    DescribeDBInstancesError, DescribeDbInstancesOutput,
};
use aws_sdk_rds::operation::describe_db_subnet_groups::{
    DescribeDBSubnetGroupsError, DescribeDbSubnetGroupsOutput,
};
use aws_sdk_rds::operation::describe_orderable_db_instance_options::DescribeOrderableDbInstanceOptionsOutput;
use aws_sdk_rds::operation::failover_db_cluster::{
    FailoverDBClusterError, FailoverDbClusterOutput,
};
use aws_sdk_rds::types::error::{
    DbInstanceAlreadyExistsFault, DbInstanceNotFoundFault, DbSubnetGroupNotFoundFault,
    InsufficientDbInstanceCapacityFault, InvalidDbClusterStateFault,
};
use aws_sdk_rds::types::{
    AvailabilityZone, DbCluster, DbClusterMember, DbInstance, DbParameterGroupStatus,
    DbSubnetGroup, OrderableDbInstanceOption, Subnet, Tag,
};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use failback_core::errors::StepError;
use failback_core::failback::steps::check_status::check_status;
use failback_core::failback::steps::create_reader::create_reader;
use failback_core::failback::steps::describe_writer::{describe_writer, DescribeSettings};
use failback_core::failback::steps::failover::failover;
use failback_core::identifier::replacement_instance_id;
use failback_core::ledger::{LeaseOutcome, Ledger};
use failback_core::model::{Readiness, TAG_RUN};
use failback_core::rds::Rds;
use serde_json::json;

const RUN: &str = "run-mock";
const NOW: f64 = 1_795_230_825.0;

fn home() -> failback_core::trigger::Home {
    failback_core::trigger::Home::from_function_arn(
        "arn:aws:lambda:us-east-1:123456789012:function:aurora-failback",
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// An error the mock returns, and the step error type it must become.
type ErrorCase<E> = (fn() -> E, &'static str);
/// As above, with the number of calls the SDK makes (it retries throttling itself).
type FailoverCase = (fn() -> FailoverDBClusterError, &'static str, usize);

fn instance(id: &str, class: &str, status: &str) -> DbInstance {
    DbInstance::builder()
        .db_instance_identifier(id)
        .db_cluster_identifier("orders")
        .db_instance_class(class)
        .db_instance_status(status)
        .engine("aurora-mysql")
        .availability_zone("us-east-1b")
        .db_parameter_groups(
            DbParameterGroupStatus::builder()
                .db_parameter_group_name("orders-params")
                .build(),
        )
        .monitoring_interval(15)
        .monitoring_role_arn("arn:aws:iam::123456789012:role/rds-monitoring")
        .performance_insights_enabled(true)
        .performance_insights_kms_key_id("arn:aws:kms:us-east-1:123456789012:key/pi")
        .performance_insights_retention_period(731)
        .auto_minor_version_upgrade(false)
        .ca_certificate_identifier("rds-ca-ecc384-g1")
        .publicly_accessible(false)
        .tag_list(Tag::builder().key("team").value("payments").build())
        .tag_list(
            Tag::builder()
                .key("aws:cloudformation:stack-name")
                .value("db")
                .build(),
        )
        .build()
}

fn cluster(members: &[(&str, bool)]) -> DbCluster {
    let mut builder = DbCluster::builder()
        .db_cluster_identifier("orders")
        .engine("aurora-mysql")
        .engine_mode("provisioned")
        .status("available")
        .tag_list(
            Tag::builder()
                .key("aurora-failback:enabled")
                .value("true")
                .build(),
        );
    for (id, writer) in members {
        builder = builder.db_cluster_members(
            DbClusterMember::builder()
                .db_instance_identifier(*id)
                .is_cluster_writer(*writer)
                .promotion_tier(1)
                .build(),
        );
    }
    builder.build()
}

fn describe_cluster_rule(
    members: &'static [(&'static str, bool)],
    statuses: &'static [(&'static str, &'static str, &'static str)],
) -> [Rule; 3] {
    [
        mock!(aws_sdk_rds::Client::describe_db_clusters).then_output(move || {
            DescribeDbClustersOutput::builder()
                .db_clusters(cluster(members))
                .build()
        }),
        mock!(aws_sdk_rds::Client::describe_db_instances)
            .match_requests(|r| !r.filters().is_empty())
            .then_output(move || {
                let mut out = DescribeDbInstancesOutput::builder();
                for (id, class, status) in statuses {
                    out = out.db_instances(instance(id, class, status));
                }
                out.build()
            }),
        // Every class is orderable in three zones, as for an engine AWS sells it for.
        mock!(aws_sdk_rds::Client::describe_orderable_db_instance_options).then_output(|| {
            let zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
                .map(|z| AvailabilityZone::builder().name(z).build());
            DescribeOrderableDbInstanceOptionsOutput::builder()
                .orderable_db_instance_options(
                    OrderableDbInstanceOption::builder()
                        .engine("aurora-mysql")
                        .db_instance_class("db.r6g.2xlarge")
                        .set_availability_zones(Some(zones.to_vec()))
                        .build(),
                )
                .build()
        }),
    ]
}

fn not_found() -> DescribeDBInstancesError {
    DescribeDBInstancesError::DbInstanceNotFoundFault(DbInstanceNotFoundFault::builder().build())
}

#[tokio::test]
async fn create_reader_copies_the_reference_configuration_into_the_request() {
    let new_id = replacement_instance_id("orders", RUN);
    let new_id_for_match = new_id.clone();
    let [clusters, members, orderable] = describe_cluster_rule(
        &[("orders-1", false), ("orders-2", true)],
        &[
            ("orders-1", "db.r6g.2xlarge", "failed"),
            ("orders-2", "db.r6g.large", "available"),
        ],
    );
    let lookup_new = mock!(aws_sdk_rds::Client::describe_db_instances)
        .match_requests(move |r| r.db_instance_identifier() == Some(new_id_for_match.as_str()))
        .then_error(not_found);
    let reference = mock!(aws_sdk_rds::Client::describe_db_instances)
        .match_requests(|r| r.db_instance_identifier() == Some("orders-1"))
        .then_output(|| {
            DescribeDbInstancesOutput::builder()
                .db_instances(instance("orders-1", "db.r6g.2xlarge", "failed"))
                .build()
        });
    // Matches only a request that carries every copied setting; anything else finds no rule and fails.
    let create = mock!(aws_sdk_rds::Client::create_db_instance)
        .match_requests(|r| {
            let tags: Vec<_> = r
                .tags()
                .iter()
                .map(|t| (t.key().unwrap_or(""), t.value().unwrap_or("")))
                .collect();
            r.db_instance_class() == Some("db.r6g.2xlarge")
                && r.promotion_tier() == Some(0)
                && r.engine() == Some("aurora-mysql")
                && r.db_cluster_identifier() == Some("orders")
                && r.availability_zone() == Some("us-east-1c")
                && r.db_parameter_group_name() == Some("orders-params")
                && r.monitoring_interval() == Some(15)
                && r.monitoring_role_arn() == Some("arn:aws:iam::123456789012:role/rds-monitoring")
                && r.enable_performance_insights() == Some(true)
                && r.performance_insights_kms_key_id()
                    == Some("arn:aws:kms:us-east-1:123456789012:key/pi")
                && r.performance_insights_retention_period() == Some(731)
                && r.auto_minor_version_upgrade() == Some(false)
                && r.ca_certificate_identifier() == Some("rds-ca-ecc384-g1")
                && r.publicly_accessible() == Some(false)
                && tags == vec![(TAG_RUN, RUN), ("team", "payments")]
        })
        .then_output(|| CreateDbInstanceOutput::builder().build());
    let client = mock_client!(
        aws_sdk_rds,
        RuleMode::MatchAny,
        [
            &lookup_new,
            &reference,
            &clusters,
            &members,
            &orderable,
            &create
        ]
    );
    let input = json!({"clusterId": "orders", "runName": RUN, "instanceClass": "db.r6g.2xlarge",
        "referenceInstanceId": "orders-1", "availabilityZone": "us-east-1c"});
    let out = create_reader(&Rds::new(client), false, input)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", e.error_type()));
    assert!(out.created);
    assert_eq!(out.instance_id, new_id);
    assert_eq!(create.num_calls(), 1);
}

#[tokio::test]
async fn create_reader_adopts_its_own_instance_after_losing_a_race_with_a_retry() {
    let new_id = replacement_instance_id("orders", RUN);
    let adopted_id = new_id.clone();
    let [clusters, members, orderable] = describe_cluster_rule(
        &[("orders-2", true)],
        &[("orders-2", "db.r6g.large", "available")],
    );
    let lookup_new = mock!(aws_sdk_rds::Client::describe_db_instances)
        .match_requests(move |r| {
            r.db_instance_identifier()
                .is_some_and(|id| id.contains("-fb-"))
        })
        .sequence()
        .error(not_found)
        .output(move || {
            let mut mine = instance(&adopted_id, "db.r6g.2xlarge", "creating");
            mine.tag_list = Some(vec![Tag::builder().key(TAG_RUN).value(RUN).build()]);
            DescribeDbInstancesOutput::builder()
                .db_instances(mine)
                .build()
        })
        .build();
    let reference = mock!(aws_sdk_rds::Client::describe_db_instances)
        .match_requests(|r| r.db_instance_identifier() == Some("orders-2"))
        .then_output(|| {
            DescribeDbInstancesOutput::builder()
                .db_instances(instance("orders-2", "db.r6g.large", "available"))
                .build()
        });
    let create = mock!(aws_sdk_rds::Client::create_db_instance).then_error(|| {
        CreateDBInstanceError::DbInstanceAlreadyExistsFault(
            DbInstanceAlreadyExistsFault::builder().build(),
        )
    });
    let client = mock_client!(
        aws_sdk_rds,
        RuleMode::MatchAny,
        [
            &lookup_new,
            &reference,
            &clusters,
            &members,
            &orderable,
            &create
        ]
    );
    let input = json!({"clusterId": "orders", "runName": RUN, "instanceClass": "db.r6g.2xlarge", "referenceInstanceId": "orders-2"});
    let out = create_reader(&Rds::new(client), false, input)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", e.error_type()));
    assert!(!out.created, "adopted, not created");
    assert_eq!(out.instance_id, new_id);
    assert_eq!(out.status, "creating");
}

#[tokio::test]
async fn create_reader_errors_carry_stable_types() {
    let cases: Vec<ErrorCase<CreateDBInstanceError>> = vec![
        (
            || {
                CreateDBInstanceError::InsufficientDbInstanceCapacityFault(
                    InsufficientDbInstanceCapacityFault::builder().build(),
                )
            },
            "InsufficientCapacity",
        ),
        (
            || {
                CreateDBInstanceError::InvalidDbClusterStateFault(
                    InvalidDbClusterStateFault::builder().build(),
                )
            },
            "ClusterBusy",
        ),
        (
            || {
                CreateDBInstanceError::generic(
                    ErrorMetadata::builder()
                        .code("Throttling")
                        .message("Rate exceeded")
                        .build(),
                )
            },
            "Throttled",
        ),
        (
            || {
                CreateDBInstanceError::generic(
                    ErrorMetadata::builder().code("AccessDenied").build(),
                )
            },
            "AccessDenied",
        ),
    ];
    for (error, expected) in cases {
        let [clusters, members, orderable] = describe_cluster_rule(
            &[("orders-2", true)],
            &[("orders-2", "db.r6g.large", "available")],
        );
        let lookups = mock!(aws_sdk_rds::Client::describe_db_instances)
            .match_requests(|r| {
                r.db_instance_identifier()
                    .is_some_and(|id| id.contains("-fb-"))
            })
            .then_error(not_found);
        let reference = mock!(aws_sdk_rds::Client::describe_db_instances)
            .match_requests(|r| r.db_instance_identifier() == Some("orders-2"))
            .then_output(|| {
                DescribeDbInstancesOutput::builder()
                    .db_instances(instance("orders-2", "db.r6g.large", "available"))
                    .build()
            });
        let create = mock!(aws_sdk_rds::Client::create_db_instance).then_error(error);
        let client = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&lookups, &reference, &clusters, &members, &orderable, &create]
        );
        let input = json!({"clusterId": "orders", "runName": RUN, "instanceClass": "db.r6g.2xlarge", "referenceInstanceId": "orders-2"});
        let err = create_reader(&Rds::new(client), false, input)
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), expected, "{err}");
    }
}

#[tokio::test]
async fn check_status_polls_pending_then_fails_fast_on_no_capacity_or_a_terminal_status() {
    let statuses = mock!(aws_sdk_rds::Client::describe_db_instances)
        .sequence()
        .output(|| {
            DescribeDbInstancesOutput::builder()
                .db_instances(instance("orders-fb-1", "db.r6g.2xlarge", "creating"))
                .build()
        })
        .output(|| {
            DescribeDbInstancesOutput::builder()
                .db_instances(instance(
                    "orders-fb-1",
                    "db.r6g.2xlarge",
                    "configuring-enhanced-monitoring",
                ))
                .build()
        })
        .output(|| {
            DescribeDbInstancesOutput::builder()
                .db_instances(instance(
                    "orders-fb-1",
                    "db.r6g.2xlarge",
                    "insufficient-capacity",
                ))
                .build()
        })
        .output(|| {
            DescribeDbInstancesOutput::builder()
                .db_instances(instance("orders-fb-1", "db.r6g.2xlarge", "failed"))
                .build()
        })
        .build();
    let rds = Rds::new(mock_client!(aws_sdk_rds, [&statuses]));
    let input =
        json!({"check": "reader-available", "clusterId": "orders", "instanceId": "orders-fb-1"});
    assert_eq!(
        check_status(&rds, input.clone()).await.unwrap().state,
        Readiness::Pending
    );
    assert_eq!(
        check_status(&rds, input.clone()).await.unwrap().state,
        Readiness::Pending
    );
    // Accepted, then no capacity: its own name, so the machine puts one elsewhere.
    let err = check_status(&rds, input.clone()).await.unwrap_err();
    assert_eq!(err.error_type(), "TargetOutOfCapacity");
    assert!(err.to_string().contains("insufficient-capacity"), "{err}");
    let err = check_status(&rds, input).await.unwrap_err();
    assert_eq!(err.error_type(), "TargetFailed");
    assert!(err.to_string().contains("failed"), "{err}");
}

#[tokio::test]
async fn failover_maps_state_faults_and_throttling_to_retryable_types() {
    // FailoverDBCluster goes out once: the SDK does not retry it, even on throttling
    // (a lost answer must not become a second failover); Step Functions' Retry decides.
    let cases: Vec<FailoverCase> = vec![
        (
            || {
                FailoverDBClusterError::InvalidDbClusterStateFault(
                    InvalidDbClusterStateFault::builder().build(),
                )
            },
            "ClusterBusy",
            1,
        ),
        (
            || {
                FailoverDBClusterError::InvalidDbInstanceStateFault(
                    aws_sdk_rds::types::error::InvalidDbInstanceStateFault::builder().build(),
                )
            },
            "ClusterBusy",
            1,
        ),
        (
            || FailoverDBClusterError::generic(ErrorMetadata::builder().code("Throttling").build()),
            "Throttled",
            1,
        ),
        (
            || {
                FailoverDBClusterError::generic(
                    ErrorMetadata::builder().code("InternalFailure").build(),
                )
            },
            "AwsRefused",
            1,
        ),
    ];
    for (error, expected, calls) in cases {
        let [clusters, members, orderable] = describe_cluster_rule(
            &[("orders-1", false), ("orders-2", true)],
            &[
                ("orders-1", "db.r6g.2xlarge", "available"),
                ("orders-2", "db.r6g.large", "available"),
            ],
        );
        let call = mock!(aws_sdk_rds::Client::failover_db_cluster).then_error(error);
        let rds = Rds::new(mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&clusters, &members, &orderable, &call]
        ));
        let err = failover(
            &rds,
            false,
            json!({"clusterId": "orders", "instanceId": "orders-1"}),
        )
        .await
        .unwrap_err();
        assert_eq!(err.error_type(), expected, "{err}");
        assert_eq!(call.num_calls(), calls, "{expected}");
    }
    // A target that is still creating: refused before calling AWS, retryable.
    let [clusters, members, orderable] = describe_cluster_rule(
        &[("orders-1", false), ("orders-2", true)],
        &[
            ("orders-1", "db.r6g.2xlarge", "backing-up"),
            ("orders-2", "db.r6g.large", "available"),
        ],
    );
    let call = mock!(aws_sdk_rds::Client::failover_db_cluster)
        .then_output(|| FailoverDbClusterOutput::builder().build());
    let rds = Rds::new(mock_client!(
        aws_sdk_rds,
        RuleMode::MatchAny,
        [&clusters, &members, &orderable, &call]
    ));
    let err = failover(
        &rds,
        false,
        json!({"clusterId": "orders", "instanceId": "orders-1"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "ClusterBusy");
    assert_eq!(
        call.num_calls(),
        0,
        "no failover while the target is not available"
    );
}

#[tokio::test]
async fn server_errors_and_throttling_on_describe_are_retryable_types() {
    let cases: Vec<(Rule, &str)> = vec![
        (
            mock!(aws_sdk_rds::Client::describe_db_clusters)
                .sequence()
                .http_status(500, None)
                .repeatedly()
                .build(),
            "AwsUnavailable",
        ),
        (
            mock!(aws_sdk_rds::Client::describe_db_clusters).then_error(|| {
                DescribeDBClustersError::generic(
                    ErrorMetadata::builder().code("Throttling").build(),
                )
            }),
            "Throttled",
        ),
    ];
    for (rule, expected) in cases {
        let rds = Rds::new(mock_client!(aws_sdk_rds, [&rule]));
        let input = json!({"trigger": {"clusterId": "orders"}, "runName": RUN});
        let err = describe_writer(&rds, DescribeSettings::default(), &home(), NOW, input)
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), expected, "{err}");
    }
}

#[tokio::test]
async fn a_held_lease_names_its_holder() {
    let put = mock!(aws_sdk_dynamodb::Client::put_item).then_error(|| {
        PutItemError::ConditionalCheckFailedException(
            aws_sdk_dynamodb::types::error::ConditionalCheckFailedException::builder().build(),
        )
    });
    let get = mock!(aws_sdk_dynamodb::Client::get_item).then_output(|| {
        aws_sdk_dynamodb::operation::get_item::GetItemOutput::builder()
            .item("executionArn", AttributeValue::S("arn:exec:first".into()))
            .build()
    });
    let ledger = Ledger::new(
        mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&put, &get]),
        "ledger",
    );
    let outcome = ledger
        .acquire_lease("orders", "arn:exec:second", "second", 100, 4000)
        .await
        .unwrap();
    assert_eq!(
        outcome,
        LeaseOutcome::HeldBy {
            execution_arn: "arn:exec:first".into()
        }
    );
}

#[tokio::test]
async fn no_payload_shape_makes_a_step_panic_or_call_aws() {
    use failback_core::failback::steps::record_run::record_run;
    // No rules: a step that called AWS would get an error other than InvalidInput.
    let rds = Rds::new(mock_client!(
        aws_sdk_rds,
        RuleMode::MatchAny,
        Vec::<&Rule>::new()
    ));
    let ledger = Ledger::new(
        mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, Vec::<&Rule>::new()),
        "ledger",
    );
    let long = "a".repeat(100_000);
    let payloads = [
        json!(null),
        json!(true),
        json!(-1),
        json!(1e308),
        json!("orders"),
        json!([]),
        json!([{"clusterId": "orders"}]),
        json!({}),
        json!({"clusterId": null}),
        json!({"clusterId": long}),
        json!({"clusterId": "ördérs"}),
        json!({"clusterId": "orders\u{0000}"}),
        json!({"trigger": {"clusterId": "orders"}}),
        json!({"trigger": {"clusterId": "orders"}, "runName": ""}),
        json!({"trigger": {"clusterId": "orders"}, "runName": "../../etc/passwd"}),
        json!({"trigger": {"detail-type": "RDS DB Cluster Event", "source": "aws.rds", "detail": null}, "runName": "r"}),
        json!({"action": "start", "executionArn": "e", "runName": "r", "startedAt": "t", "trigger": {}, "leaseSeconds": 9_999_999}),
        json!({"action": "finish", "state": {"executionArn": "e", "runName": "bad name!", "startedAt": "t"}}),
        json!({"action": "explode"}),
        json!({"detail-type": "Step Functions Execution Status Change", "detail": {"executionArn": "a", "name": "r", "status": "SUCCEEDED"}}),
        json!({"check": "reader-available", "clusterId": "orders", "instanceId": 7}),
        json!({"clusterId": "orders", "instanceId": "orders-1", "runName": "r", "instanceClass": "db.r6g.large; x", "referenceInstanceId": "orders-1"}),
    ];
    for payload in payloads {
        let types = [
            describe_writer(
                &rds,
                DescribeSettings::default(),
                &home(),
                NOW,
                payload.clone(),
            )
            .await
            .map(|_| ())
            .map_err(|e| e.error_type()),
            create_reader(&rds, false, payload.clone())
                .await
                .map(|_| ())
                .map_err(|e| e.error_type()),
            check_status(&rds, payload.clone())
                .await
                .map(|_| ())
                .map_err(|e| e.error_type()),
            failover(&rds, false, payload.clone())
                .await
                .map(|_| ())
                .map_err(|e| e.error_type()),
            record_run(&ledger, &home(), 0.0, payload.clone())
                .await
                .map(|_| ())
                .map_err(|e| e.error_type()),
        ];
        for (step, result) in [
            "describe-writer",
            "create-reader",
            "check-status",
            "failover",
            "record-run",
        ]
        .iter()
        .zip(types)
        {
            assert_eq!(result, Err("InvalidInput"), "{step} with {payload}");
        }
    }
}

#[tokio::test]
async fn no_capacity_in_the_planned_zone_tries_the_clusters_other_zone_once() {
    let [clusters, members, orderable] = describe_cluster_rule(
        &[("orders-2", true)],
        &[("orders-2", "db.r6g.large", "available")],
    );
    let lookups = mock!(aws_sdk_rds::Client::describe_db_instances)
        .match_requests(|r| {
            r.db_instance_identifier()
                .is_some_and(|id| id.contains("-fb-"))
        })
        .then_error(not_found);
    let reference = mock!(aws_sdk_rds::Client::describe_db_instances)
        .match_requests(|r| r.db_instance_identifier() == Some("orders-2"))
        .then_output(|| {
            DescribeDbInstancesOutput::builder()
                .db_instances(instance("orders-2", "db.r6g.large", "available"))
                .build()
        });
    // us-east-1c has no room; us-east-1b (where the cluster's instance is) has.
    let full = mock!(aws_sdk_rds::Client::create_db_instance)
        .match_requests(|r| r.availability_zone() == Some("us-east-1c"))
        .then_error(|| {
            CreateDBInstanceError::InsufficientDbInstanceCapacityFault(
                InsufficientDbInstanceCapacityFault::builder()
                    .message("no db.r6g.2xlarge in us-east-1c")
                    .build(),
            )
        });
    let room = mock!(aws_sdk_rds::Client::create_db_instance)
        .match_requests(|r| r.availability_zone() == Some("us-east-1b"))
        .then_output(|| CreateDbInstanceOutput::builder().build());
    let client = mock_client!(
        aws_sdk_rds,
        RuleMode::MatchAny,
        [&lookups, &reference, &clusters, &members, &orderable, &full, &room]
    );
    let input = json!({"clusterId": "orders", "runName": RUN, "instanceClass": "db.r6g.2xlarge",
        "referenceInstanceId": "orders-2", "availabilityZone": "us-east-1c"});
    let out = create_reader(&Rds::new(client), false, input)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", e.error_type()));
    assert!(out.created);
    assert_eq!(out.instance_class.as_deref(), Some("db.r6g.2xlarge"));
    assert_eq!((full.num_calls(), room.num_calls()), (1, 1));
    assert_eq!(out.attempts.len(), 1, "{:?}", out.attempts);
    assert!(
        out.attempts[0].starts_with("db.r6g.2xlarge in us-east-1c: no capacity"),
        "{:?}",
        out.attempts
    );
}

fn cluster_in_group() -> DescribeDbClustersOutput {
    DescribeDbClustersOutput::builder()
        .db_clusters(
            DbCluster::builder()
                .db_cluster_identifier("orders")
                .db_subnet_group("orders-subnets")
                .build(),
        )
        .build()
}

#[tokio::test]
async fn the_subnet_group_names_every_zone_a_reader_may_be_placed_in() {
    let cluster = mock!(aws_sdk_rds::Client::describe_db_clusters)
        .sequence()
        .output(cluster_in_group)
        .output(cluster_in_group)
        .build();
    let subnet = |zone: &str| {
        Subnet::builder()
            .subnet_identifier(format!("subnet-{zone}"))
            .subnet_availability_zone(AvailabilityZone::builder().name(zone).build())
            .build()
    };
    let group = mock!(aws_sdk_rds::Client::describe_db_subnet_groups)
        .match_requests(|r| r.db_subnet_group_name() == Some("orders-subnets"))
        .then_output(move || {
            DescribeDbSubnetGroupsOutput::builder()
                .db_subnet_groups(
                    DbSubnetGroup::builder()
                        .db_subnet_group_name("orders-subnets")
                        .subnets(subnet("us-east-1d"))
                        .subnets(subnet("us-east-1a"))
                        .subnets(subnet("us-east-1d"))
                        .build(),
                )
                .build()
        });
    let rds = Rds::new(mock_client!(
        aws_sdk_rds,
        RuleMode::MatchAny,
        [&cluster, &group]
    ));
    assert_eq!(
        rds.subnet_group_zones("orders").await.unwrap(),
        ["us-east-1a", "us-east-1d"]
    );

    // A group that is gone leaves the members' zones to go on with, not an error.
    let gone = mock!(aws_sdk_rds::Client::describe_db_subnet_groups).then_error(|| {
        DescribeDBSubnetGroupsError::DbSubnetGroupNotFoundFault(
            DbSubnetGroupNotFoundFault::builder().build(),
        )
    });
    let rds = Rds::new(mock_client!(
        aws_sdk_rds,
        RuleMode::MatchAny,
        [&cluster, &gone]
    ));
    assert!(rds.subnet_group_zones("orders").await.unwrap().is_empty());
}
