"""Checks of the proxy's newer emulations against the AWS API reference, with boto3 (whose
parsers are generated from the same API models as the Rust SDK's), through the proxy:

  * global datastores (global_datastores.py): CreateGlobalReplicationGroup, a secondary
    joining by CreateReplicationGroup, DescribeGlobalReplicationGroups from both regions
    (one global state), FailoverGlobalReplicationGroup's refusals, `modifying` phases and
    roles swapped, DescribeReplicationGroups' GlobalReplicationGroupInfo;
  * Aurora replica clusters (replica_clusters.py): PromoteReadReplicaDBCluster's refusals,
    `promoting` phases with the source still named, then standalone;
  * CloudWatch in the Query protocol, which the Lambdas' SDK speaks (held at its last Query
    release, see Cargo.toml) and the proxy forwards to moto like any other Query call: a
    PutMetricData and GetMetricStatistics round trip, and a throttle the proxy injects;
  * DescribeOrderableDBInstanceOptions answering the caller's region's zones;
  * DB instance class changes and capacity (instance_capacity.py): ModifyDBInstance shown
    `modifying` with PendingModifiedValues, then available with the new class;
    InsufficientDBInstanceCapacity per (zone, class); a creation ending
    `insufficient-capacity`.

    .tools/venv/bin/python tools/drill/emulation_checks.py      (moto and the proxy, no Lambdas)

The DR drill runs the same checks as its scenario dr-emulated-services. Each check returns
the problems it found (empty: as documented).
"""
from __future__ import annotations

import functools
import json
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

sys.path.insert(0, str(Path(__file__).resolve().parent))

PRIMARY, DR = "us-east-1", "us-west-2"
ACCOUNT = "123456789012"


def client(service: str, region: str, endpoint: str, **config):
    return boto3.client(service, region_name=region, endpoint_url=endpoint, aws_access_key_id="testing",
                        aws_secret_access_key="testing", **config)


def error_of(call, **params) -> tuple[str | None, int | None]:
    try:
        call(**params)
        return None, 200
    except ClientError as error:
        return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]


def expect(failures: list[str], condition: bool, message: str) -> None:
    if not condition:
        failures.append(message)


# --- global datastores ----------------------------------------------------------------

def seed_datastore(proxy_endpoint: str, proxy, suffix: str, primary: str, secondary: str,
                   node_type: str = "cache.r6g.large") -> str:
    """A global datastore as AWS builds one: a replication group in us-east-1, the datastore
    made from it there (CreateGlobalReplicationGroup), a secondary replication group in
    us-west-2 joining it (CreateReplicationGroup with GlobalReplicationGroupId); settled.
    Its id (ldgnf-<suffix>)."""
    east, west = client("elasticache", PRIMARY, proxy_endpoint), client("elasticache", DR, proxy_endpoint)
    east.create_replication_group(ReplicationGroupId=primary, ReplicationGroupDescription=f"{suffix} primary",
                                  Engine="redis", EngineVersion="7.1", CacheNodeType=node_type, NumCacheClusters=2)
    created = east.create_global_replication_group(GlobalReplicationGroupIdSuffix=suffix, PrimaryReplicationGroupId=primary,
                                                   GlobalReplicationGroupDescription=f"{suffix}, DR drill")
    global_id = created["GlobalReplicationGroup"]["GlobalReplicationGroupId"]
    proxy.datastores.settle()
    west.create_replication_group(ReplicationGroupId=secondary, ReplicationGroupDescription=f"{suffix} secondary",
                                  GlobalReplicationGroupId=global_id, NumCacheClusters=2)
    proxy.datastores.settle()
    return global_id


def describe_datastore(ec, global_id: str) -> tuple:
    g = ec.describe_global_replication_groups(GlobalReplicationGroupId=global_id, ShowMemberInfo=True)["GlobalReplicationGroups"]
    if len(g) != 1:
        return ("answered", len(g))
    members = tuple(sorted((m["ReplicationGroupRegion"], m["ReplicationGroupId"], m["Role"], m["Status"]) for m in g[0]["Members"]))
    return g[0]["Status"], members


def check_datastores(proxy_endpoint: str, proxy) -> list[str]:
    failures: list[str] = []
    east, west = client("elasticache", PRIMARY, proxy_endpoint), client("elasticache", DR, proxy_endpoint)
    east.create_replication_group(ReplicationGroupId="check-east", ReplicationGroupDescription="check",
                                  Engine="redis", CacheNodeType="cache.r6g.large", NumCacheClusters=2)
    created = east.create_global_replication_group(GlobalReplicationGroupIdSuffix="check", PrimaryReplicationGroupId="check-east")
    g = created["GlobalReplicationGroup"]
    expect(failures, g["GlobalReplicationGroupId"] == "ldgnf-check" and g["Status"] == "creating",
           f"CreateGlobalReplicationGroup answered {g['GlobalReplicationGroupId']} {g['Status']}, expected ldgnf-check creating")
    expect(failures, g.get("ARN") == f"arn:aws:elasticache::{ACCOUNT}:globalreplicationgroup:ldgnf-check", f"ARN {g.get('ARN')}")
    for what, call, params, expected in [
        ("a second datastore of one group", east.create_global_replication_group,
         {"GlobalReplicationGroupIdSuffix": "other", "PrimaryReplicationGroupId": "check-east"}, ("InvalidReplicationGroupState", 400)),
        ("a datastore of an unknown group", east.create_global_replication_group,
         {"GlobalReplicationGroupIdSuffix": "other", "PrimaryReplicationGroupId": "no-such-group"}, ("ReplicationGroupNotFoundFault", 404)),
        ("a secondary while creating", west.create_replication_group,
         {"ReplicationGroupId": "check-west", "ReplicationGroupDescription": "check", "GlobalReplicationGroupId": "ldgnf-check"},
         ("InvalidGlobalReplicationGroupState", 400)),
    ]:
        got = error_of(call, **params)
        expect(failures, got == expected, f"{what}: answered {got}, expected {expected}")
    seen = [describe_datastore(west, "ldgnf-check")[0] for _ in range(4)]
    expect(failures, seen == ["creating"] * 3 + ["primary-only"], f"describes after creation: {seen}")
    got = error_of(west.failover_global_replication_group, GlobalReplicationGroupId="ldgnf-check",
                   PrimaryRegion=PRIMARY, PrimaryReplicationGroupId="check-east")
    expect(failures, got == ("InvalidGlobalReplicationGroupState", 400), f"failover of a primary-only datastore: {got}")
    west.create_replication_group(ReplicationGroupId="check-west", ReplicationGroupDescription="check",
                                  GlobalReplicationGroupId="ldgnf-check", NumCacheClusters=2)
    proxy.datastores.settle()
    before = describe_datastore(east, "ldgnf-check")
    expected_before = ("available", ((PRIMARY, "check-east", "PRIMARY", "associated"), (DR, "check-west", "SECONDARY", "associated")))
    expect(failures, before == expected_before, f"the datastore with its secondary: {before}")
    expect(failures, describe_datastore(west, "ldgnf-check") == before, "us-west-2 sees another datastore than us-east-1")
    bare = west.describe_global_replication_groups(GlobalReplicationGroupId="ldgnf-check")["GlobalReplicationGroups"][0]
    expect(failures, "Members" not in bare, "Members shown without ShowMemberInfo")
    everything = west.describe_global_replication_groups()["GlobalReplicationGroups"]
    expect(failures, [x["GlobalReplicationGroupId"] for x in everything] == ["ldgnf-check"], f"all datastores: {everything}")
    for what, params, expected in [
        ("an unknown datastore", {"GlobalReplicationGroupId": "ldgnf-nope", "PrimaryRegion": DR,
                                  "PrimaryReplicationGroupId": "check-west"}, ("GlobalReplicationGroupNotFoundFault", 404)),
        ("a region without a member", {"GlobalReplicationGroupId": "ldgnf-check", "PrimaryRegion": "eu-west-1",
                                       "PrimaryReplicationGroupId": "check-west"}, ("InvalidParameterValue", 400)),
        ("the wrong group for the region", {"GlobalReplicationGroupId": "ldgnf-check", "PrimaryRegion": DR,
                                            "PrimaryReplicationGroupId": "check-east"}, ("InvalidParameterValue", 400)),
        ("the primary itself", {"GlobalReplicationGroupId": "ldgnf-check", "PrimaryRegion": PRIMARY,
                                "PrimaryReplicationGroupId": "check-east"}, ("InvalidParameterValue", 400)),
    ]:
        got = error_of(west.failover_global_replication_group, **params)
        expect(failures, got == expected, f"FailoverGlobalReplicationGroup of {what}: answered {got}, expected {expected}")
    got = error_of(west.describe_global_replication_groups, GlobalReplicationGroupId="ldgnf-nope")
    expect(failures, got == ("GlobalReplicationGroupNotFoundFault", 404), f"DescribeGlobalReplicationGroups of an unknown one: {got}")
    answer = west.failover_global_replication_group(GlobalReplicationGroupId="ldgnf-check", PrimaryRegion=DR,
                                                    PrimaryReplicationGroupId="check-west")["GlobalReplicationGroup"]
    roles = {m["ReplicationGroupId"]: m["Role"] for m in answer.get("Members", [])}
    expect(failures, answer["Status"] == "modifying" and roles == {"check-east": "PRIMARY", "check-west": "SECONDARY"},
           f"the failover's answer: {answer['Status']} {roles}")
    got = error_of(east.failover_global_replication_group, GlobalReplicationGroupId="ldgnf-check", PrimaryRegion=DR,
                   PrimaryReplicationGroupId="check-west")
    expect(failures, got == ("InvalidGlobalReplicationGroupState", 400), f"a second failover meanwhile: {got}")
    phases = [describe_datastore(client_, "ldgnf-check") for client_ in (east, west, east, west)]
    old = ((PRIMARY, "check-east", "PRIMARY", "associated"), (DR, "check-west", "SECONDARY", "associated"))
    new = ((PRIMARY, "check-east", "SECONDARY", "associated"), (DR, "check-west", "PRIMARY", "associated"))
    expected_phases = [("modifying", old)] * 3 + [("available", new)]
    expect(failures, phases == expected_phases, f"describes after the failover (both regions): {phases}")
    info = {r["ReplicationGroupId"]: r.get("GlobalReplicationGroupInfo") for r in
            east.describe_replication_groups()["ReplicationGroups"] + west.describe_replication_groups()["ReplicationGroups"]}
    expect(failures, info == {
        "check-east": {"GlobalReplicationGroupId": "ldgnf-check", "GlobalReplicationGroupMemberRole": "SECONDARY"},
        "check-west": {"GlobalReplicationGroupId": "ldgnf-check", "GlobalReplicationGroupMemberRole": "PRIMARY"},
    }, f"DescribeReplicationGroups' GlobalReplicationGroupInfo: {info}")
    calls = proxy.datastores.failover_calls("ldgnf-check")
    expect(failures, len(calls) == 6 and len([c for c in calls if c.accepted]) == 1,
           f"{len(calls)} FailoverGlobalReplicationGroup calls counted for ldgnf-check, {len([c for c in calls if c.accepted])} "
           "accepted; expected 6 and 1")
    return failures


# --- Aurora replica clusters ------------------------------------------------------------

def seed_replica_cluster(moto_endpoint: str, source: str, replica: str, engine: str = "aurora-mysql",
                         version: str = "8.0.mysql_aurora.3.08.0") -> tuple[str, str]:
    """An Aurora MySQL cluster in us-east-1 and its cross-region read replica cluster in
    us-west-2 (CreateDBCluster with ReplicationSourceIdentifier, straight in moto, which
    wants MasterUsername as well), each with one instance. (source ARN, replica ARN)."""
    east, west = client("rds", PRIMARY, moto_endpoint), client("rds", DR, moto_endpoint)
    src = east.create_db_cluster(DBClusterIdentifier=source, Engine=engine, EngineVersion=version, MasterUsername="app",
                                 MasterUserPassword="drill-password-1", BackupRetentionPeriod=1)["DBCluster"]
    east.create_db_instance(DBInstanceIdentifier=f"{source}-1", DBClusterIdentifier=source, Engine=engine,
                            DBInstanceClass="db.r6g.large", AvailabilityZone=f"{PRIMARY}a")
    rep = west.create_db_cluster(DBClusterIdentifier=replica, Engine=engine, EngineVersion=version,
                                 ReplicationSourceIdentifier=src["DBClusterArn"], SourceRegion=PRIMARY,
                                 MasterUsername="app", MasterUserPassword="drill-password-1")["DBCluster"]
    west.create_db_instance(DBInstanceIdentifier=f"{replica}-1", DBClusterIdentifier=replica, Engine=engine,
                            DBInstanceClass="db.r6g.large", AvailabilityZone=f"{DR}a")
    return src["DBClusterArn"], rep["DBClusterArn"]


def check_replica_clusters(proxy_endpoint: str, moto_endpoint: str, proxy) -> list[str]:
    failures: list[str] = []
    source_arn, replica_arn = seed_replica_cluster(moto_endpoint, "check-src", "check-rep")
    east, west = client("rds", PRIMARY, proxy_endpoint), client("rds", DR, proxy_endpoint)

    def seen() -> tuple:
        # The source first: each describe of the replica uses up one phase of its promotion.
        listed = east.describe_db_clusters(DBClusterIdentifier="check-src")["DBClusters"][0].get("ReadReplicaIdentifiers")
        c = west.describe_db_clusters(DBClusterIdentifier="check-rep")["DBClusters"][0]
        return c["Status"], c.get("ReplicationSourceIdentifier"), tuple(listed or ())

    expect(failures, seen() == ("available", source_arn, (replica_arn,)), f"the replica before: {seen()}")
    for what, call, params, expected in [
        ("an unknown cluster", west.promote_read_replica_db_cluster, {"DBClusterIdentifier": "no-such-cluster"},
         ("DBClusterNotFoundFault", 404)),
        ("a cluster that is no replica", east.promote_read_replica_db_cluster, {"DBClusterIdentifier": "check-src"},
         ("InvalidDBClusterStateFault", 400)),
        ("the replica from the other region", east.promote_read_replica_db_cluster, {"DBClusterIdentifier": "check-rep"},
         ("DBClusterNotFoundFault", 404)),
    ]:
        got = error_of(call, **params)
        expect(failures, got == expected, f"PromoteReadReplicaDBCluster of {what}: answered {got}, expected {expected}")
    answer = west.promote_read_replica_db_cluster(DBClusterIdentifier="check-rep")["DBCluster"]
    expect(failures, (answer["Status"], answer.get("ReplicationSourceIdentifier")) == ("promoting", source_arn),
           f"the promotion's answer: {answer['Status']}, source {answer.get('ReplicationSourceIdentifier')}")
    got = error_of(west.promote_read_replica_db_cluster, DBClusterIdentifier="check-rep")
    expect(failures, got == ("InvalidDBClusterStateFault", 400), f"a second promotion meanwhile: {got}")
    phases = [seen() for _ in range(4)]
    expected = [("promoting", source_arn, (replica_arn,))] * 3 + [("available", None, ())]
    expect(failures, phases == expected, f"describes after the promotion: {phases}, expected {expected}")
    got = error_of(west.promote_read_replica_db_cluster, DBClusterIdentifier="check-rep")
    expect(failures, got == ("InvalidDBClusterStateFault", 400), f"promoting the standalone cluster: {got}")
    calls = proxy.replica_clusters.promote_calls()
    expect(failures, len(calls) == 6 and len(proxy.replica_clusters.accepted()) == 1,
           f"{len(calls)} PromoteReadReplicaDBCluster calls counted, {len(proxy.replica_clusters.accepted())} accepted; expected 6, 1")
    return failures


# --- CloudWatch in the Query protocol ----------------------------------------------------

@functools.lru_cache(maxsize=None)
def query_models() -> str:
    """A botocore data directory holding CloudWatch's model with the Query protocol alone.
    botocore picks the first protocol of the model's list that it prefers (JSON for
    CloudWatch); the Lambdas' SDK speaks Query, so the checks do too."""
    model = botocore.loaders.create_loader().load_service_model("cloudwatch", "service-2")
    model["metadata"]["protocol"] = "query"
    model["metadata"]["protocols"] = ["query"]
    root = Path(tempfile.mkdtemp(prefix="drill-query-models-"))
    where = root / "cloudwatch" / model["metadata"]["apiVersion"]
    where.mkdir(parents=True)
    (where / "service-2.json").write_text(json.dumps(model))
    return str(root)


def cloudwatch_query(region: str, endpoint: str, **config):
    """A boto3 CloudWatch client that speaks the Query protocol (Action=... form bodies)."""
    session = botocore.session.Session()
    session.set_config_variable("data_path", query_models())
    return boto3.Session(botocore_session=session).client(
        "cloudwatch", region_name=region, endpoint_url=endpoint, aws_access_key_id="testing",
        aws_secret_access_key="testing", **config)


def check_cloudwatch(proxy_endpoint: str, proxy) -> list[str]:
    failures: list[str] = []
    now = datetime.now(timezone.utc).replace(microsecond=0)
    west, east = cloudwatch_query(DR, proxy_endpoint), cloudwatch_query(PRIMARY, proxy_endpoint)
    expect(failures, west.meta.service_model.resolved_protocol == "query",
           f"the check's client speaks {west.meta.service_model.resolved_protocol}, not query")
    dimensions = [{"Name": "DBInstanceIdentifier", "Value": "check-replica"}]
    west.put_metric_data(Namespace="AWS/RDS", MetricData=[{
        "MetricName": "ReplicaLag", "Dimensions": dimensions, "Value": 300.0, "Unit": "Seconds",
        "Timestamp": now - timedelta(minutes=1)}])
    statistics = {"Namespace": "AWS/RDS", "MetricName": "ReplicaLag", "Dimensions": dimensions,
                  "StartTime": now - timedelta(minutes=10), "EndTime": now, "Period": 60, "Statistics": ["Maximum"]}
    points = west.get_metric_statistics(**statistics)["Datapoints"]
    expect(failures, [p.get("Maximum") for p in points] == [300.0] and all(isinstance(p.get("Timestamp"), datetime) for p in points),
           f"GetMetricStatistics after PutMetricData (us-west-2): {points}")
    points = east.get_metric_statistics(**statistics)["Datapoints"]
    expect(failures, points == [], f"us-east-1 sees us-west-2's metric: {points}")
    calls = proxy.counters.calls
    expect(failures, calls.get("PutMetricData") == 1 and calls.get("GetMetricStatistics") == 2,
           f"the proxy counted PutMetricData {calls.get('PutMetricData')}, GetMetricStatistics "
           f"{calls.get('GetMetricStatistics')}; expected 1 and 2 (Query actions)")
    once = cloudwatch_query(DR, proxy_endpoint, config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))
    proxy.set_scripted_faults({"GetMetricStatistics": ["throttle"]})
    got = error_of(once.get_metric_statistics, **statistics)
    expect(failures, got == ("Throttling", 400), f"GetMetricStatistics throttled by the proxy: answered {got}")
    points = once.get_metric_statistics(**statistics)["Datapoints"]
    expect(failures, [p.get("Maximum") for p in points] == [300.0], f"GetMetricStatistics after the throttle: {points}")
    return failures


def check_orderable_zones(proxy_endpoint: str) -> list[str]:
    failures: list[str] = []
    for region, first in ((PRIMARY, "us-east-1a"), (DR, "us-west-2a")):
        options = client("rds", region, proxy_endpoint).describe_orderable_db_instance_options(
            Engine="aurora-mysql", DBInstanceClass="db.r6g.2xlarge")["OrderableDBInstanceOptions"]
        zones = [z["Name"] for o in options for z in o["AvailabilityZones"]]
        expect(failures, zones[:1] == [first] and all(z.startswith(region) for z in zones),
               f"orderable zones for a request signed for {region}: {zones}")
    return failures


# --- class changes and capacity ----------------------------------------------------------

def check_instance_capacity(proxy_endpoint: str, moto_endpoint: str, proxy) -> list[str]:
    """ModifyDBInstance's class change shown `modifying` with PendingModifiedValues, then
    available with the new class; InsufficientDBInstanceCapacity per (zone, class) for
    CreateDBInstance and class changes; a creation that ends `insufficient-capacity`
    (instance_capacity.py)."""
    from fault_proxy import Behaviour

    failures: list[str] = []
    proxy.configure(Behaviour(
        no_capacity=(("us-east-1b", "db.r6g.4xlarge"), ("*", "db.r6g.8xlarge")),
        capacity_lost=(("us-east-1c", "db.r6g.2xlarge"),), capacity_lost_statuses=["creating", "creating"],
        class_change_describes=2, new_instance_statuses=[]))
    seed, rds = client("rds", PRIMARY, moto_endpoint), client("rds", PRIMARY, proxy_endpoint)
    seed.create_db_cluster(DBClusterIdentifier="cap", Engine="aurora-postgresql", EngineVersion="16.4",
                           MasterUsername="app", MasterUserPassword="check-password-1")
    for name, zone in (("cap-1", "us-east-1a"), ("cap-2", "us-east-1b")):
        seed.create_db_instance(DBInstanceIdentifier=name, DBClusterIdentifier="cap", Engine="aurora-postgresql",
                                DBInstanceClass="db.r6g.large", AvailabilityZone=zone)

    def seen(name: str) -> tuple:
        i = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]
        return i["DBInstanceStatus"], i["DBInstanceClass"], (i.get("PendingModifiedValues") or {}).get("DBInstanceClass")

    no_capacity = ("InsufficientDBInstanceCapacity", 400)
    got = error_of(rds.modify_db_instance, DBInstanceIdentifier="cap-2", DBInstanceClass="db.r6g.4xlarge", ApplyImmediately=True)
    expect(failures, got == no_capacity, f"a class change to db.r6g.4xlarge in us-east-1b: {got}, expected {no_capacity}")
    expect(failures, seen("cap-2") == ("available", "db.r6g.large", None), f"cap-2 after the refused change: {seen('cap-2')}")
    for what, params in [
        ("db.r6g.4xlarge in us-east-1b", {"AvailabilityZone": "us-east-1b", "DBInstanceClass": "db.r6g.4xlarge"}),
        ("db.r6g.8xlarge in no zone named (judged for us-east-1a)", {"DBInstanceClass": "db.r6g.8xlarge"}),
    ]:
        got = error_of(rds.create_db_instance, DBInstanceIdentifier="cap-new", DBClusterIdentifier="cap",
                       Engine="aurora-postgresql", **params)
        expect(failures, got == no_capacity, f"CreateDBInstance of {what}: {got}, expected {no_capacity}")
    names = [i["DBInstanceIdentifier"] for i in seed.describe_db_instances()["DBInstances"]]
    expect(failures, names == ["cap-1", "cap-2"], f"instances after the refused creations: {names}")

    answer = rds.modify_db_instance(DBInstanceIdentifier="cap-1", DBInstanceClass="db.r6g.4xlarge",
                                    PromotionTier=0, ApplyImmediately=True)["DBInstance"]
    shown = (answer["DBInstanceStatus"], answer["DBInstanceClass"], (answer.get("PendingModifiedValues") or {}).get("DBInstanceClass"))
    expect(failures, shown == ("modifying", "db.r6g.large", "db.r6g.4xlarge"), f"ModifyDBInstance's answer: {shown}")
    got = error_of(rds.modify_db_instance, DBInstanceIdentifier="cap-1", DBInstanceClass="db.r6g.4xlarge", ApplyImmediately=True)
    expect(failures, got == ("InvalidDBInstanceState", 400), f"a second class change while modifying: {got}")
    phases = [seen("cap-1") for _ in range(4)]
    expected = [("modifying", "db.r6g.large", "db.r6g.4xlarge")] * 2 + [("available", "db.r6g.4xlarge", None)] * 2
    expect(failures, phases == expected, f"describes after the class change: {phases}, expected {expected}")

    rds.modify_db_instance(DBInstanceIdentifier="cap-2", DBInstanceClass="db.r6g.xlarge")  # not ApplyImmediately
    phases = [seen("cap-2") for _ in range(3)]
    expect(failures, phases == [("available", "db.r6g.large", "db.r6g.xlarge")] * 3,
           f"a class change left for the maintenance window: {phases}")

    rds.create_db_instance(DBInstanceIdentifier="cap-3", DBClusterIdentifier="cap", Engine="aurora-postgresql",
                           DBInstanceClass="db.r6g.2xlarge", AvailabilityZone="us-east-1c")
    phases = [seen("cap-3")[0] for _ in range(4)]
    expect(failures, phases == ["creating", "creating", "insufficient-capacity", "insufficient-capacity"],
           f"a creation that runs out of capacity: {phases}")
    outcomes = [(c.action, c.instance_class, c.zone, c.outcome) for c in proxy.capacity.calls]
    expected_calls = [
        ("ModifyDBInstance", "db.r6g.4xlarge", "us-east-1b", "refused"),
        ("CreateDBInstance", "db.r6g.4xlarge", "us-east-1b", "refused"),
        ("CreateDBInstance", "db.r6g.8xlarge", "us-east-1a", "refused"),
        ("ModifyDBInstance", "db.r6g.4xlarge", "us-east-1a", "accepted"),
        ("ModifyDBInstance", "db.r6g.4xlarge", "us-east-1a", "busy"),
        ("ModifyDBInstance", "db.r6g.xlarge", "us-east-1b", "accepted"),
        ("CreateDBInstance", "db.r6g.2xlarge", "us-east-1c", "capacity-lost"),
    ]
    expect(failures, outcomes == expected_calls, f"capacity decisions kept: {outcomes}")
    return failures


def main() -> int:
    import drill  # moto's lifeline (drill.Moto)
    from fault_proxy import AwsLifecycleProxy, Behaviour

    moto = drill.Moto()
    proxy = AwsLifecycleProxy(moto.port)
    endpoint = f"http://127.0.0.1:{proxy.port}"
    failures: list[str] = []
    try:
        for name, check in [
            ("global datastores", lambda: check_datastores(endpoint, proxy)),
            ("replica clusters", lambda: check_replica_clusters(endpoint, moto.endpoint, proxy)),
            ("CloudWatch (Query)", lambda: check_cloudwatch(endpoint, proxy)),
            ("orderable zones", lambda: check_orderable_zones(endpoint)),
            ("class changes and capacity", lambda: check_instance_capacity(endpoint, moto.endpoint, proxy)),
        ]:
            moto.post("/moto-api/reset")
            proxy.configure(Behaviour())
            found = check()
            print(f"{name}: {'ok' if not found else 'FAILED'}")
            for problem in found:
                print(f"  - {problem}")
            failures += found
    finally:
        proxy.stop()
        moto.stop()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
