use serde_json::{json, Value};

use super::*;

const SWITCHOVER: &str =
    include_str!("../../../../../events/dr/switchover-two-global-databases.json");
const UNPLANNED: &str = include_str!("../../../../../events/dr/unplanned-failover.json");
const SECONDARY: &str =
    include_str!("../../../../../events/dr/create-secondary-after-failover.json");
const MISTAKES: &str = include_str!("../../../../../events/dr/invalid/every-kind-of-mistake.json");
const MISSING: &str = include_str!("../../../../../events/dr/invalid/missing-import.json");
const PILOT_LIGHT: &str = include_str!("../../../../../events/dr/pilot-light.json");
const REPLICA_BACK: &str =
    include_str!("../../../../../events/dr/create-replica-after-promotion.json");

fn west() -> Home {
    Home {
        partition: "aws".into(),
        region: "us-west-2".into(),
        account: Some("123456789012".into()),
    }
}

fn read(text: &str) -> Result<DrPayload, InvalidInput> {
    read_payload(&serde_json::from_str(text).unwrap())
}

fn demo_lookups() -> Lookups {
    Lookups {
        exports: BTreeMap::from([
            (
                "dr-globaldb-cluster-mysql-global-identifier".into(),
                "dr-globaldb-cluster-mysql".into(),
            ),
            (
                "dr-globaldb-cluster-mysql-cluster-identifier".into(),
                "arn:aws:rds:us-west-2:123456789012:cluster:dbcluster-02".into(),
            ),
            (
                "dr-globaldb-cluster-postgres-global-identifier".into(),
                "dr-globaldb-cluster-postgres".into(),
            ),
            (
                "dr-globaldb-cluster-postgres-cluster-identifier".into(),
                "pg-cluster-west".into(),
            ),
            (
                "orders-east-kms-key-arn".into(),
                "arn:aws:kms:us-east-1:123456789012:key/mrk-1".into(),
            ),
        ]),
        ssm: BTreeMap::from([(
            "/dr/reporting/global-cluster".into(),
            "reporting-global".into(),
        )]),
    }
}

#[test]
fn the_orchestrators_payload_reads_as_written_with_its_references_listed() {
    let payload = read(SWITCHOVER).unwrap();
    assert!(!payload.dry_run);
    let layers: Vec<(u32, usize)> = payload.layers.iter().map(|(n, r)| (*n, r.len())).collect();
    assert_eq!(layers, [(1, 2), (2, 1)]);
    assert_eq!(payload.imports().len(), 4);
    assert_eq!(
        payload.ssm_names().into_iter().collect::<Vec<_>>(),
        ["/dr/reporting/global-cluster"]
    );
    let resolved = resolve_payload(&payload, &demo_lookups(), &west()).unwrap();
    let actions: Vec<&DrAction> = resolved
        .iter()
        .flat_map(|(_, r)| r)
        .map(|r| &r.action)
        .collect();
    assert_eq!(
        actions[0],
        &DrAction::Switchover {
            global_cluster_id: "dr-globaldb-cluster-mysql".into(),
            target: ClusterRef {
                cluster_id: "dbcluster-02".into(),
                arn: Some("arn:aws:rds:us-west-2:123456789012:cluster:dbcluster-02".into()),
            },
        }
    );
    assert_eq!(
        actions[2],
        &DrAction::Switchover {
            global_cluster_id: "reporting-global".into(),
            target: ClusterRef {
                cluster_id: "reporting-west".into(),
                arn: None
            },
        }
    );
}

#[test]
fn an_unplanned_failover_and_a_secondary_resolve_to_typed_actions() {
    let payload = read(UNPLANNED).unwrap();
    assert!(!payload.dry_run, "\"false\" is false");
    let resolved = resolve_payload(&payload, &Lookups::default(), &west()).unwrap();
    assert!(matches!(
        &resolved[0].1[0].action,
        DrAction::GlobalFailover { global_cluster_id, target }
            if global_cluster_id == "orders-global" && target.cluster_id == "orders-west"
    ));

    let east = Home {
        region: "us-east-1".into(),
        ..west()
    };
    let payload = read(SECONDARY).unwrap();
    let resolved = resolve_payload(&payload, &demo_lookups(), &east).unwrap();
    let DrAction::CreateSecondary(spec) = &resolved[0].1[0].action else {
        panic!("{resolved:?}");
    };
    assert_eq!(spec.source_region, "us-west-2");
    assert_eq!(spec.storage_encrypted, Some(true));
    assert_eq!(spec.iam_database_authentication, Some(false));
    assert_eq!(
        spec.auto_minor_version_upgrade,
        Some(false),
        "\"false\" is false"
    );
    assert_eq!(spec.port, Some(3306));
    assert_eq!(spec.monitoring_interval, Some(60));
    assert_eq!(
        spec.kms_key_id.as_deref(),
        Some("arn:aws:kms:us-east-1:123456789012:key/mrk-1")
    );
    // The same payload run in the primary's own region makes no sense.
    let err = resolve_payload(&payload, &demo_lookups(), &west()).unwrap_err();
    assert!(err.0.contains("SourceRegion"), "{err}");
}

#[test]
fn every_structural_problem_is_listed_at_once() {
    let err = read(MISTAKES).unwrap_err().0;
    for expected in [
        "dryRun must be true or false",
        "layer 1 comes after layer 2",
        "unknown key \"DBClusterIdentifer\"",
        "parameter DBClusterIdentifier is missing",
        "unknown resourceType \"FailoverDynamoDB\"",
        "\"\" is not an export name",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in {err}");
    }
    assert!(err.starts_with("the DR payload has 6 problems"), "{err}");
}

#[test]
fn every_missing_reference_is_listed_before_anything_runs() {
    let payload = read(MISSING).unwrap();
    let err = resolve_payload(&payload, &demo_lookups(), &west())
        .unwrap_err()
        .0;
    assert!(err.contains("!Import no-such-export: no export"), "{err}");
    assert!(
        err.contains("resolve:ssm:/dr/no-such-parameter: no SSM parameter"),
        "{err}"
    );
}

#[test]
fn structure_is_refused_with_a_reason() {
    let resource = |parameters: Value| {
        json!({"StatePayload": [{"layer": 1, "resources": [
            {"resourceType": "PlannedFailoverAurora", "resourceName": "r", "parameters": parameters}
        ]}]})
    };
    let ok = json!({"GlobalClusterIdentifier": "g", "DBClusterIdentifier": "c"});
    let cases: &[(Value, &str)] = &[
        (json!([]), "not an object with StatePayload"),
        (json!({}), "StatePayload is missing"),
        (json!({"StatePayload": []}), "StatePayload has no layers"),
        (json!({"StatePayload": {}}), "StatePayload is an object"),
        (
            json!({"StatePayload": [{"layer": 0, "resources": []}]}),
            "layer must be a whole number from 1 to 1000",
        ),
        (
            json!({"StatePayload": [{"layer": 1.5, "resources": [1]}]}),
            "layer must be a whole number",
        ),
        (
            json!({"StatePayload": [{"layer": 1, "resources": []}]}),
            "resources is empty",
        ),
        (
            json!({"StatePayload": [{"layer": 1, "resources": [], "when": "now"}]}),
            "unknown key \"when\"",
        ),
        (
            json!({"StatePayload": [{"layer": 1}, {"layer": 1}]}),
            "layer 1 comes after layer 1",
        ),
        (
            json!({"StatePayload": [{"layer": 1, "resources": ["x"]}]}),
            "not a resource object",
        ),
        (
            json!({"StatePayload": [{"layer": 1, "resources": [
                {"resourceType": "FailoverElastiCacheCluster", "resourceName": "r", "parameters": {}}]}]}),
            "parameter GlobalReplicationGroupId is missing",
        ),
        (
            json!({"StatePayload": [{"layer": 1, "resources": [
                {"resourceType": "PlannedFailoverAurora", "resourceName": "r\u{1b}[2J", "parameters": ok}]}]}),
            "resourceName must be text",
        ),
        (
            resource(json!({"GlobalClusterIdentifier": ["g"], "DBClusterIdentifier": "c"})),
            "is an array",
        ),
        (
            resource(json!({"GlobalClusterIdentifier": 1.5, "DBClusterIdentifier": "c"})),
            "not a whole number",
        ),
        (
            resource(json!({"GlobalClusterIdentifier": "!Ref g", "DBClusterIdentifier": "c"})),
            "only tag understood is !Import",
        ),
        (
            resource(
                json!({"GlobalClusterIdentifier": "resolve:ssm:a b", "DBClusterIdentifier": "c"}),
            ),
            "not an SSM parameter name",
        ),
        (resource(json!(null)), "parameters is null"),
        (
            json!({"StatePayload": [{"layer": 1, "resources": [
                {"resourceType": "PlannedFailoverAurora", "resourceName": "a", "parameters": ok},
                {"resourceType": "UnPlannedFailoverAurora", "resourceName": "b", "parameters": ok}]}]}),
            "acts on the same GlobalClusterIdentifier",
        ),
        (
            json!({"StatePayload": [{"layer": 1, "resources": [
                {"resourceType": "PlannedFailoverAurora", "resourceName": "a", "parameters": ok}]},
                {"layer": 2, "resources": [
                {"resourceType": "PlannedFailoverAurora", "resourceName": "a", "parameters":
                    {"GlobalClusterIdentifier": "h", "DBClusterIdentifier": "c"}}]}]}),
            "resourceName \"a\" is used twice",
        ),
        (
            json!({"StatePayload": [], "dryRun": 1}),
            "dryRun must be true or false",
        ),
    ];
    for (input, expected) in cases {
        let err = read_payload(input).unwrap_err().0;
        assert!(err.contains(expected), "{input}: {err}");
    }
    assert!(read_payload(&resource(ok)).is_ok());
}

#[test]
fn values_are_checked_by_shape_and_region_after_lookup() {
    let with = |parameters: Value| {
        let payload = read_payload(&json!({"StatePayload": [{"layer": 1, "resources": [
            {"resourceType": "PlannedFailoverAurora", "resourceName": "r", "parameters": parameters}
        ]}]}))
        .unwrap();
        resolve_payload(&payload, &demo_lookups(), &west())
    };
    let cases: &[(Value, Option<&str>)] = &[
        (
            json!({"GlobalClusterIdentifier": "g", "DBClusterIdentifier": "c"}),
            None,
        ),
        (
            json!({"GlobalClusterIdentifier": "g;drop", "DBClusterIdentifier": "c"}),
            Some("GlobalClusterIdentifier \"g;drop\" contains ';'"),
        ),
        (
            json!({"GlobalClusterIdentifier": "g", "DBClusterIdentifier": "arn:aws:rds:us-east-1:123456789012:cluster:c"}),
            Some("is in region us-east-1 (this run's is us-west-2)"),
        ),
        (
            json!({"GlobalClusterIdentifier": "g", "DBClusterIdentifier": "arn:aws:rds:us-west-2:999999999999:cluster:c"}),
            Some("is in account 999999999999"),
        ),
        (
            json!({"GlobalClusterIdentifier": "g", "DBClusterIdentifier": "arn:aws:rds:us-west-2:123456789012:db:c"}),
            Some("is not an RDS DB cluster ARN"),
        ),
        (
            json!({"GlobalClusterIdentifier": "g", "DBClusterIdentifier": "c", "ClusterRegion": "us-east-1"}),
            Some("ClusterRegion is us-east-1, but this run is in us-west-2"),
        ),
        (
            json!({"GlobalClusterIdentifier": "g", "DBClusterIdentifier": "c", "ClusterRegion": "mars"}),
            Some("\"mars\" is not a region name"),
        ),
    ];
    for (parameters, expected) in cases {
        match (with(parameters.clone()), expected) {
            (Ok(_), None) => {}
            (Err(err), Some(expected)) => assert!(err.0.contains(expected), "{parameters}: {err}"),
            (got, expected) => panic!("{parameters}: {got:?}, expected {expected:?}"),
        }
    }
}

#[test]
fn two_references_to_one_global_cluster_are_refused_once_resolved() {
    let payload = read_payload(&json!({"StatePayload": [{"layer": 1, "resources": [
        {"resourceType": "PlannedFailoverAurora", "resourceName": "by export", "parameters":
            {"GlobalClusterIdentifier": "!Import dr-globaldb-cluster-mysql-global-identifier", "DBClusterIdentifier": "c"}},
        {"resourceType": "PlannedFailoverAurora", "resourceName": "by name", "parameters":
            {"GlobalClusterIdentifier": "dr-globaldb-cluster-mysql", "DBClusterIdentifier": "c"}}
    ]}]}))
    .unwrap();
    let err = resolve_payload(&payload, &demo_lookups(), &west())
        .unwrap_err()
        .0;
    assert!(
        err.contains("acts on global cluster dr-globaldb-cluster-mysql as \"by export\" does"),
        "{err}"
    );
}

#[test]
fn booleans_are_true_or_false_and_nothing_else() {
    let cases = [
        (json!(true), Some(true)),
        (json!("false"), Some(false)),
        (json!("False"), None),
        (json!("yes"), None),
        (json!(1), None),
        (json!(""), None),
        (json!(null), None),
    ];
    for (value, expected) in cases {
        assert_eq!(strict_bool(&value), expected, "{value}");
    }
}

#[test]
fn the_pilot_light_promotes_a_replica_keyed_by_its_instance() {
    let payload = read(PILOT_LIGHT).unwrap();
    let mut lookups = demo_lookups();
    lookups.exports.insert(
        "rds-mysql-instance-identifier".into(),
        "rds-mysql-replica".into(),
    );
    lookups.exports.insert(
        "rds-mysql-instance-global-arn".into(),
        "arn:aws:rds:us-east-1:123456789012:db:rds-mysql-instance".into(),
    );
    let resolved = resolve_payload(&payload, &lookups, &west()).unwrap();
    let resource = &resolved[0].1[0];
    assert_eq!(resource.resource_key, "instance/rds-mysql-replica");
    assert_eq!(
        resource.action,
        DrAction::PromoteReplica {
            instance_id: "rds-mysql-replica".into(),
            backup_retention_period: Some(7),
            preferred_backup_window: Some("03:00-03:30".into()),
        }
    );
    // A global cluster and an instance of the same name are two resources.
    assert!(valid_resource_key("instance/rds-mysql-replica"));
    assert!(!valid_resource_key("instance/../x"));

    let with = |parameters: Value| {
        let payload = read_payload(&json!({"StatePayload": [{"layer": 1, "resources": [
            {"resourceType": "PromoteRDSReadReplica", "resourceName": "r", "parameters": parameters}]}]}))
        .unwrap();
        resolve_payload(&payload, &Lookups::default(), &west()).map_err(|e| e.0)
    };
    for (parameters, problem) in [
        (
            json!({"RDSInstanceIdentifier": "r", "PreferredBackupWindow": "3am"}),
            "is not a window",
        ),
        (
            json!({"RDSInstanceIdentifier": "r", "PreferredBackupWindow": "24:00-01:00"}),
            "is not a window",
        ),
        (
            json!({"RDSInstanceIdentifier": "r", "PreferredBackupWindow": "0é:00-01:00"}),
            "is not a window",
        ),
        (
            json!({"RDSInstanceIdentifier": "r", "BackupRetentionPeriod": 36}),
            "from 0 to 35",
        ),
        (json!({"RDSInstanceIdentifier": "r;"}), "contains ';'"),
    ] {
        let err = with(parameters.clone()).unwrap_err();
        assert!(err.contains(problem), "{parameters}: {err}");
    }
    assert!(with(json!({"RDSInstanceIdentifier": "r", "BackupRetentionPeriod": 0})).is_ok());
}

#[test]
fn the_replica_back_in_the_old_region_reads_as_the_orchestrator_writes_it() {
    let east = Home {
        region: "us-east-1".into(),
        ..west()
    };
    let mut lookups = Lookups::default();
    lookups.exports.insert(
        "rds-mysql-east-kms-key-arn".into(),
        "arn:aws:kms:us-east-1:123456789012:key/mrk-1".into(),
    );
    let payload = read(REPLICA_BACK).unwrap();
    let resolved = resolve_payload(&payload, &lookups, &east).unwrap();
    let resource = &resolved[0].1[0];
    assert_eq!(resource.resource_key, "instance/rds-mysql-instance-east");
    let DrAction::CreateReplica(spec) = &resource.action else {
        panic!("{resource:?}");
    };
    assert_eq!(spec.source_region, "us-west-2");
    assert_eq!(spec.multi_az, Some(false), "\"false\" is false");
    assert_eq!(spec.port, Some(3306));
    assert_eq!(
        spec.security_group_ids.as_deref(),
        Some(&["sg-0123456789abcdef0".to_string()][..])
    );
    // Run from the source's own region, it is refused.
    let err = resolve_payload(&payload, &lookups, &west()).unwrap_err();
    assert!(err.0.contains("SourceRegion"), "{err}");
}

#[test]
fn the_new_resource_types_read_their_parameters_strictly() {
    let with = |resource_type: &str, parameters: Value| {
        let payload = read_payload(&json!({"StatePayload": [{"layer": 1, "resources": [
            {"resourceType": resource_type, "resourceName": "r", "parameters": parameters}
        ]}]}))?;
        resolve_payload(&payload, &Lookups::default(), &west())
    };
    let restore = |extra: Value| {
        let mut parameters = json!({"DBClusterIdentifier": "orders-restored",
            "DBSubnetGroupName": "dr", "VpcSecurityGroupIds": "sg-0123456789abcdef0",
            "DBInstanceIdentifier": "orders-restored-1", "DBInstanceClass": "db.r6g.large"});
        for (k, v) in extra.as_object().unwrap() {
            parameters[k] = v.clone();
        }
        parameters
    };
    let cache = json!({"GlobalReplicationGroupId": "ldgnf-sessions", "TargetRegion": "us-west-2",
                       "TargetReplicationGroupId": "sessions-west"});
    let cases: Vec<(&str, Value, Result<&str, &str>)> = vec![
        (
            "FailoverElastiCacheCluster",
            cache.clone(),
            Ok("cache/ldgnf-sessions"),
        ),
        (
            "FailoverElastiCacheCluster",
            json!({"GlobalReplicationGroupId": "ldgnf-sessions", "TargetRegion": "us-east-1",
                   "TargetReplicationGroupId": "sessions-west"}),
            Err("TargetRegion is us-east-1, but this run is in us-west-2"),
        ),
        (
            "FailoverElastiCacheCluster",
            json!({"GlobalReplicationGroupId": "ldgnf--x", "TargetRegion": "us-west-2",
                   "TargetReplicationGroupId": "sessions-west"}),
            Err("not an ElastiCache group identifier"),
        ),
        (
            "PromoteAuroraReadReplicaCluster",
            json!({"DBClusterIdentifier": "reports-west"}),
            Ok("cluster/reports-west"),
        ),
        (
            "RestoreAuroraClusterFromSnapshot",
            restore(json!({"Engine": "aurora-mysql", "SourceDBClusterIdentifier": "orders"})),
            Ok("cluster/orders-restored"),
        ),
        (
            "RestoreAuroraClusterFromSnapshot",
            restore(json!({"Engine": "aurora-mysql",
                           "DBClusterSnapshotIdentifier": "awsbackup:job-0a1b2c"})),
            Ok("cluster/orders-restored"),
        ),
        (
            "RestoreAuroraClusterFromSnapshot",
            restore(
                json!({"Engine": "aurora-mysql", "SourceDBClusterIdentifier": "orders",
                           "DBClusterSnapshotIdentifier": "s1"}),
            ),
            Err("give exactly one"),
        ),
        (
            "RestoreAuroraClusterFromSnapshot",
            restore(json!({"Engine": "aurora-mysql", "DBClusterSnapshotIdentifier": "s1;rm"})),
            Err("is not a snapshot identifier"),
        ),
        (
            "RestoreAuroraClusterFromSnapshot",
            restore(
                json!({"Engine": "aurora-mysql", "SourceDBClusterIdentifier": "orders",
                           "DBInstanceIdentifier": "a".repeat(62), "ReaderCount": 2}),
            ),
            Err("too long to name 2 readers"),
        ),
        (
            "RestoreAuroraClusterToPointInTime",
            restore(
                json!({"SourceDBClusterIdentifier": "orders", "RestoreToTime": "2026-11-30T05:00:00Z"}),
            ),
            Ok("cluster/orders-restored"),
        ),
        (
            "RestoreAuroraClusterToPointInTime",
            restore(json!({"SourceDBClusterIdentifier": "orders", "RestoreToTime": "yesterday"})),
            Err("is not an ISO 8601 time in UTC"),
        ),
        (
            "RestoreAuroraClusterToPointInTime",
            restore(json!({"SourceDBClusterIdentifier": "orders",
                           "RestoreToTime": "2026-11-30T05:00:00Z", "UseLatestRestorableTime": true})),
            Err("cannot both be given"),
        ),
        (
            "RestoreAuroraClusterToPointInTime",
            restore(
                json!({"SourceDBClusterIdentifier": "arn:aws:rds:us-east-1:123456789012:cluster:orders"}),
            ),
            Err("is in region us-east-1"),
        ),
        (
            "RestoreRDSInstanceFromSnapshot",
            json!({"DBInstanceIdentifier": "mysql-restored", "DBSnapshotIdentifier": "mysql-copy",
                   "DBInstanceClass": "db.r6g.large"}),
            Ok("instance/mysql-restored"),
        ),
        (
            "RestoreRDSInstanceFromSnapshot",
            json!({"DBInstanceIdentifier": "mysql-restored", "DBInstanceClass": "db.r6g.large"}),
            Err("give exactly one"),
        ),
    ];
    for (resource_type, parameters, expected) in cases {
        match (with(resource_type, parameters.clone()), expected) {
            (Ok(layers), Ok(key)) => assert_eq!(layers[0].1[0].resource_key, key, "{parameters}"),
            (Err(err), Err(expected)) => {
                assert!(
                    err.0.contains(expected),
                    "{resource_type} {parameters}: {err}"
                )
            }
            (got, expected) => {
                panic!("{resource_type} {parameters}: {got:?}, expected {expected:?}")
            }
        }
    }
}
