"""The DR drill: statemachine/dr.asl.json runs a DR Orchestrator payload (layers in order,
the resources of a layer at once) in us-west-2, with aws-local-stepfunctions; each Task
calls the real Lambda binary (dr-validate, dr-check, dr-act, record-run) through the
Lambda Runtime API, the Lambdas seeing themselves in us-west-2 (their invoked function ARN
arn:aws:lambda:us-west-2:123456789012:function:<name>, AWS_REGION=us-west-2). AWS is moto
in two regions, us-east-1 (the primaries) and us-west-2 (the secondaries, the DR side),
behind the lifecycle proxy, which answers SwitchoverGlobalCluster and FailoverGlobalCluster
as AWS documents them (global_clusters.py; moto has neither), PromoteReadReplica too
(read_replicas.py; moto leaves the promoted instance a replica), and can take us-east-1 down.

The failback preparations (dr-failback-preparation, dr-pilot-light-failback) run in a
world of their own, "dr-east": the machine and its Lambdas deployed in both regions (their
ARNs, AWS_REGION and ledger table in each), the failover or promotion run from us-west-2,
the preparation from us-east-1. The proxy answers CreateDBInstanceReadReplica as AWS
documents it too (read_replicas.py; moto looks a cross-region replica's subnet group up in
the wrong region and makes the replica available at once).

The other services of a region failover: ElastiCache global datastores
(FailoverElastiCacheCluster; the proxy answers the global datastore calls, moto having
none: global_datastores.py) and Aurora cross-region replica clusters
(PromoteAuroraReadReplicaCluster; the proxy answers PromoteReadReplicaDBCluster:
replica_clusters.py). Replication lag is published to moto's CloudWatch, which the Lambdas
read through the proxy in CloudWatch's Query protocol, which moto parses (their SDK is held at
the last Query release, see Cargo.toml).
The capacity hand-off (dr-capacity-handoff) and dr-readiness run in a world of their own,
"dr-plus": the DR machine in us-west-2 with the failback workflow's Lambdas beside its own
(run_machine.mjs runs statemachine/failback.asl.json when StartFailbackRun, a
states:startExecution Task, starts it) and dr-readiness, invoked directly as its schedule
would.

    drill.py --scenario dr-switchover     what `make drill-dr` runs, with the whole output:
                                          events/dr/full-region-failover.json (global
                                          databases, then an RDS replica and an ElastiCache
                                          global datastore), the world built from what it names
    drill.py --all                        these scenarios after the failback ones

Each scenario checks the execution, the ledger (the run record under #dr-runs, each
resource's record under #dr:<resource key>, no lease left) and the emulated topology
(which member of each global cluster is the writer; whether the pilot light's replica is a
standalone instance), and counts the switch and promote calls that reached the proxy to
prove "once". A resource's key is its global cluster's identifier, or
instance/<identifier> for an RDS instance (PromoteRDSReadReplica: the replica promoted;
CreateRDSReadReplica: the replica created), cluster/<identifier> for a replica cluster
promoted, cache/<global datastore id> for a global datastore.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
import dataclasses
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

import drill as base
from drill import ACCOUNT, ROOT, TABLE, Drill, Execution, LiveStates, Machine, Scenario, check, read_event
from fault_proxy import Behaviour
from global_datastores import ID_PREFIXES
from global_clusters import SWITCH_ACTIONS
from lambda_service import LocalLambdaService
import emulation_checks

PRIMARY = "us-east-1"
DR = "us-west-2"
DR_FUNCTIONS = ["dr-validate", "dr-check", "dr-act", "record-run"]


def dr_machine(region: str) -> Machine:
    """The DR machine as the stack deploys it in `region`, with its Lambdas there, and the
    failback machine of that region, which its capacity hand-off (StartFailbackRun,
    states:startExecution) starts."""
    failback = base.failback_machine(region)
    return Machine(
        ROOT / "statemachine/dr.asl.json", "aurora-failback-dr", region,
        {
            "DrValidateFunctionArn": base.function_arn("dr-validate", region),
            "DrCheckFunctionArn": base.function_arn("dr-check", region),
            "DrActFunctionArn": base.function_arn("dr-act", region),
            "RecordRunFunctionArn": base.function_arn("record-run", region),
            "FailbackStateMachineArn": failback.arn,
            # The templates' default for the per-resource check budget.
            "ResourceCheckBudget": "120",
        },
        children=(failback,),
    )


DR_MACHINE = dr_machine(DR)
DR_RUNS = "#dr-runs"
FAILED_EXECUTION = "DisasterRecoveryFailed"


@dataclass(frozen=True)
class GlobalDb:
    """An Aurora global database: its primary cluster in us-east-1, its secondary in us-west-2."""
    global_id: str
    engine: str
    version: str
    primary: str
    secondary: str

    @property
    def primary_arn(self) -> str:
        return f"arn:aws:rds:{PRIMARY}:{ACCOUNT}:cluster:{self.primary}"

    @property
    def secondary_arn(self) -> str:
        return f"arn:aws:rds:{DR}:{ACCOUNT}:cluster:{self.secondary}"


MYSQL_VERSION, POSTGRES_VERSION = "8.0.mysql_aurora.3.08.0", "16.4"
MYSQL = GlobalDb("dr-globaldb-cluster-mysql", "aurora-mysql", MYSQL_VERSION,
                 "dr-globaldb-cluster-mysql-east", "dr-globaldb-cluster-mysql-west")
POSTGRES = GlobalDb("dr-globaldb-cluster-postgres", "aurora-postgresql", POSTGRES_VERSION,
                    "dr-globaldb-cluster-postgres-east", "dr-globaldb-cluster-postgres-west")
# Layer 2 of the seed payload: its global cluster named by the SSM parameter below.
REPORTING = GlobalDb("reporting-global", "aurora-postgresql", POSTGRES_VERSION, "reporting-east", "reporting-west")
# events/dr/unplanned-failover.json
ORDERS = GlobalDb("orders-global", "aurora-mysql", MYSQL_VERSION, "orders-east", "orders-west")
# A cluster in us-west-2 that belongs to no global database.
ORPHAN = "orphan-west"

SEED = "dr/switchover-two-global-databases.json"
UNPLANNED = "dr/unplanned-failover.json"
# What the seed payload's `!Import`s name: a CloudFormation stack's exports in us-west-2.
EXPORTS = {
    **{f"{db.global_id}-global-identifier": db.global_id for db in (MYSQL, POSTGRES)},
    **{f"{db.global_id}-cluster-identifier": db.secondary for db in (MYSQL, POSTGRES)},
}
# What its `resolve:ssm:` names, in us-west-2.
SSM_PARAMETERS = {"/dr/reporting/global-cluster": REPORTING.global_id}


class DrDrill(Drill):
    """moto (both regions), the proxy and the four DR Lambdas in the machine's region
    (us-west-2 unless told), and in each of `other_regions` a deployment of its own (the
    machine, its four Lambdas, its ledger table): a run picks its region (run_dr)."""

    def __init__(self, log_dir: Path, machine: Machine = DR_MACHINE, other_regions: tuple = (),
                 extra_functions: tuple = ()) -> None:
        """extra_functions: Lambdas besides the DR machine's, in each deployment: the
        failback workflow's (the capacity hand-off starts it), dr-readiness (invoked
        directly, as its schedule would)."""
        functions = DR_FUNCTIONS + [f for f in extra_functions if f not in DR_FUNCTIONS]
        super().__init__(log_dir, machine, functions)
        proxy = f"http://127.0.0.1:{self.proxy.port}"

        def client(service: str, region: str, endpoint: str, config: Config | None = None):
            return boto3.client(service, region_name=region, endpoint_url=endpoint, aws_access_key_id="testing",
                                aws_secret_access_key="testing", config=config)

        # region -> (the machine there, its Lambdas)
        self.deployments: dict[str, tuple[Machine, LocalLambdaService]] = {machine.region: (machine, self.lambdas)}
        for region in other_regions:
            env = {**self.lambda_env, "AWS_REGION": region, "AWS_DEFAULT_REGION": region}
            lambdas = LocalLambdaService(ROOT / "target/debug", functions, env, log_dir / region, region=region, account=ACCOUNT)
            self.stack.append(lambdas.stop)
            self.deployments[region] = (dr_machine(region), lambdas)
        # Each deployment's ledger table; a run's records are in its region's (run_regions).
        self.dynamodb_in = {region: client("dynamodb", region, self.moto.endpoint) for region in self.deployments}
        self.run_regions: dict[str, str] = {}

        # Straight to moto: building the world, unaffected by the proxy's outage and faults.
        self.rds_in = {region: client("rds", region, self.moto.endpoint) for region in (PRIMARY, DR)}
        # The payload's `!Import` and `resolve:ssm:` are resolved in the machine's region.
        # (A run in the other region's deployment resolves them there: cloudformation_in.)
        self.cloudformation_in = {region: client("cloudformation", region, self.moto.endpoint) for region in (PRIMARY, DR)}
        self.kms_in = {region: client("kms", region, self.moto.endpoint) for region in (PRIMARY, DR)}
        self.cloudformation = self.cloudformation_in[machine.region]
        self.kms = self.kms_in[machine.region]
        self.ssm = client("ssm", machine.region, self.moto.endpoint)
        self.ec2 = client("ec2", machine.region, self.moto.endpoint)
        # Through the proxy, as the Lambdas see AWS (with proxy.peek set: without using up polls).
        self.peek_in = {region: client("rds", region, proxy) for region in (PRIMARY, DR)}
        # Through the proxy, as any caller: one attempt, to find out whether a region answers.
        once = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=10)
        self.caller_in = {region: client("rds", region, proxy, once) for region in (PRIMARY, DR)}
        # ElastiCache through the proxy (the global datastore calls are the proxy's own);
        # CloudWatch straight to moto (the metrics the scenarios publish).
        self.elasticache_in = {region: client("elasticache", region, proxy) for region in (PRIMARY, DR)}
        self.cloudwatch_in = {region: client("cloudwatch", region, self.moto.endpoint) for region in (PRIMARY, DR)}
        self.proxy_endpoint = proxy

    # --- the deployments -----------------------------------------------------------------

    def reset(self, behaviour: Behaviour) -> None:
        super().reset(behaviour)  # moto emptied; the ledger table in the machine's region
        for region, dynamodb in self.dynamodb_in.items():
            if region != self.machine.region:
                base.create_ledger_table(dynamodb)
        self.run_regions = {}

    def start(self, name: str, trigger: dict, show, region: str | None = None, **where):
        """Starts the machine deployed in `region` (the drill's own by default)."""
        machine, lambdas = self.deployments[region or self.machine.region]
        self.run_regions[name] = machine.region
        return super().start(name, trigger, show, machine=machine, lambdas_endpoint=lambdas.endpoint)

    def ledger_items(self) -> list[dict]:
        """Every item of every deployment's ledger table."""
        items = [
            {k: next(iter(v.values())) for k, v in item.items()}
            for dynamodb in self.dynamodb_in.values()
            for page in dynamodb.get_paginator("scan").paginate(TableName=TABLE)
            for item in page["Items"]
        ]
        return sorted(items, key=lambda r: (r["clusterId"], r["recordKey"]))

    # --- the world --------------------------------------------------------------------

    def add_global_db(self, db: GlobalDb) -> None:
        east, west = self.rds_in[PRIMARY], self.rds_in[DR]
        east.create_global_cluster(GlobalClusterIdentifier=db.global_id, Engine=db.engine, EngineVersion=db.version)
        east.create_db_cluster(DBClusterIdentifier=db.primary, Engine=db.engine, EngineVersion=db.version,
                               MasterUsername="app", MasterUserPassword="drill-password-1",
                               GlobalClusterIdentifier=db.global_id)
        east.create_db_instance(DBInstanceIdentifier=f"{db.primary}-1", DBClusterIdentifier=db.primary,
                                Engine=db.engine, DBInstanceClass="db.r6g.large", AvailabilityZone=f"{PRIMARY}a")
        west.create_db_cluster(DBClusterIdentifier=db.secondary, Engine=db.engine, EngineVersion=db.version,
                               GlobalClusterIdentifier=db.global_id)
        west.create_db_instance(DBInstanceIdentifier=f"{db.secondary}-1", DBClusterIdentifier=db.secondary,
                                Engine=db.engine, DBInstanceClass="db.r6g.large", AvailabilityZone=f"{DR}a")

    def add_cluster(self, cluster_id: str, region: str, engine: str, version: str) -> None:
        rds = self.rds_in[region]
        rds.create_db_cluster(DBClusterIdentifier=cluster_id, Engine=engine, EngineVersion=version,
                              MasterUsername="app", MasterUserPassword="drill-password-1")
        rds.create_db_instance(DBInstanceIdentifier=f"{cluster_id}-1", DBClusterIdentifier=cluster_id,
                               Engine=engine, DBInstanceClass="db.r6g.large", AvailabilityZone=f"{region}a")

    def add_rds_replica(self, pair: "RdsReplica", encrypted: bool = False) -> None:
        """An RDS instance in us-east-1 and its cross-region read replica in us-west-2
        (CreateDBInstanceReadReplica with the source's ARN, as AWS wants it across regions).
        The source keeps one day of backups, so the promotion's 7 shows. Encrypted: the
        source with a KMS key of us-east-1, the replica with one of us-west-2 (a KMS key
        serves its own region only, so a cross-region replica names one there)."""
        keys = {region: self.add_kms_key(f"{pair.source} storage in {region}", region)
                for region in (PRIMARY, DR)} if encrypted else {}
        encryption = {"StorageEncrypted": True, "KmsKeyId": keys[PRIMARY]} if encrypted else {}
        source = self.rds_in[PRIMARY].create_db_instance(
            DBInstanceIdentifier=pair.source, Engine=pair.engine, EngineVersion=pair.version,
            DBInstanceClass="db.r6g.large", AllocatedStorage=100, MasterUsername="app",
            MasterUserPassword="drill-password-1", BackupRetentionPeriod=1, PreferredBackupWindow="07:00-07:30",
            # Set, so moto's random one cannot overlap the backup window (it refuses that).
            PreferredMaintenanceWindow="sun:05:00-sun:05:30", AvailabilityZone=f"{PRIMARY}a", **encryption)["DBInstance"]
        self.rds_in[DR].create_db_instance_read_replica(
            DBInstanceIdentifier=pair.replica, SourceDBInstanceIdentifier=source["DBInstanceArn"],
            SourceRegion=PRIMARY, DBInstanceClass="db.r6g.large", AvailabilityZone=f"{DR}a",
            **({"KmsKeyId": keys[DR]} if encrypted else {}))

    def add_exports(self, exports: dict, stack_name: str = "dr-globaldb-exports", region: str | None = None) -> None:
        """A CloudFormation stack in the machine's region (or `region`) exporting these
        names, as the stacks that deployed the databases would (the payload's `!Import NAME`)."""
        outputs = {
            re.sub(r"[^A-Za-z0-9]", "", name): {"Value": value, "Export": {"Name": name}}
            for name, value in exports.items()
        }
        template = {"Resources": {"Marker": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}, "Outputs": outputs}
        self.cloudformation_in[region or self.machine.region].create_stack(StackName=stack_name, TemplateBody=json.dumps(template))

    def add_ssm_parameters(self, parameters: dict) -> None:
        for name, value in parameters.items():
            self.ssm.put_parameter(Name=name, Value=value, Type="String")

    def add_db_subnet_group(self, name: str, description: str = "orders, failback") -> str:
        """A DB subnet group in the machine's region: a VPC with two subnets in two zones,
        as CreateDBCluster needs one (moto does not check the name; AWS does). Its VPC's id."""
        region = self.machine.region
        vpc = self.ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        subnets = [self.ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"{region}{zone}")["Subnet"]["SubnetId"]
                   for i, zone in enumerate("ab")]
        self.rds_in[region].create_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription=description,
                                                   SubnetIds=subnets)
        return vpc

    def add_kms_key(self, description: str, region: str | None = None) -> str:
        """A KMS key in the machine's region (or `region`); its ARN."""
        return self.kms_in[region or self.machine.region].create_key(Description=description)["KeyMetadata"]["Arn"]

    def add_datastore(self, store: "Datastore") -> str:
        """An ElastiCache global datastore (global_datastores.py) built as AWS builds one:
        its primary replication group in us-east-1, the datastore made from it, its
        secondary in us-west-2 joining it; settled. Its id."""
        global_id = emulation_checks.seed_datastore(self.proxy_endpoint, self.proxy, store.suffix, store.primary,
                                                    store.secondary)
        if global_id != store.global_id:
            raise RuntimeError(f"the datastore was made as {global_id}, not {store.global_id}")
        return global_id

    def add_replica_cluster(self, pair: "ReplicaCluster") -> None:
        """An Aurora MySQL cluster in us-east-1 and its cross-region read replica cluster in
        us-west-2 (replica_clusters.py), each with one instance."""
        emulation_checks.seed_replica_cluster(self.moto.endpoint, pair.source, pair.replica, pair.engine, pair.version)

    def put_metric(self, region: str, metric: str, dimension: str, value: str, amount: float, unit: str) -> None:
        """One AWS/RDS data point a minute ago, as RDS publishes them every minute."""
        when = datetime.now(timezone.utc) - timedelta(minutes=1)
        self.cloudwatch_in[region].put_metric_data(Namespace="AWS/RDS", MetricData=[{
            "MetricName": metric, "Dimensions": [{"Name": dimension, "Value": value}], "Value": amount, "Unit": unit,
            "Timestamp": when}])

    def datastores(self) -> list[dict]:
        """Every global datastore as the Lambdas would see it (a peek): id, status, members
        (region, replication group, role)."""
        self.proxy.peek = True
        try:
            found = self.elasticache_in[DR].describe_global_replication_groups(ShowMemberInfo=True)["GlobalReplicationGroups"]
        finally:
            self.proxy.peek = False
        return [{
            "global": g["GlobalReplicationGroupId"],
            "status": g["Status"],
            "members": sorted(((m["ReplicationGroupRegion"], m["ReplicationGroupId"], m["Role"]) for m in g.get("Members", []))),
        } for g in found]

    def detach(self, db: GlobalDb) -> None:
        """The old primary taken out of its global database, left standalone
        (RemoveFromGlobalCluster; its GlobalClusterIdentifier hidden by the proxy, see
        global_clusters.py)."""
        self.rds_in[PRIMARY].remove_from_global_cluster(GlobalClusterIdentifier=db.global_id, DbClusterIdentifier=db.primary_arn)

    def delete_cluster(self, region: str, cluster_id: str) -> None:
        """The cluster gone: its instances, itself, and its automated backups, which
        DeleteDBCluster removes by default (DeleteAutomatedBackups,
        https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBCluster.html).
        moto keeps the automated snapshot of a deleted cluster, named by the minute, so a
        cluster of the same name created in that minute would fail with
        DBClusterSnapshotAlreadyExistsFault."""
        rds = self.rds_in[region]
        cluster = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]
        for member in cluster["DBClusterMembers"]:
            rds.delete_db_instance(DBInstanceIdentifier=member["DBInstanceIdentifier"], SkipFinalSnapshot=True,
                                   DeleteAutomatedBackups=True)
        rds.delete_db_cluster(DBClusterIdentifier=cluster_id, SkipFinalSnapshot=True)
        for snapshot in rds.describe_db_cluster_snapshots(DBClusterIdentifier=cluster_id, SnapshotType="automated")["DBClusterSnapshots"]:
            rds.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier=snapshot["DBClusterSnapshotIdentifier"])

    # --- what a person looks at -------------------------------------------------------

    def global_topology(self) -> list[dict]:
        """Every global cluster, as the Lambdas would see it (through the proxy, without
        using up a switch's phases; the drill's own reads are let through an outage), with
        each member's region, cluster, role and status."""
        self.proxy.peek = True
        try:
            found = [g for page in self.peek_in[DR].get_paginator("describe_global_clusters").paginate()
                     for g in page["GlobalClusters"]]
            clusters = {
                c["DBClusterArn"]: c
                for region in (PRIMARY, DR)
                for page in self.peek_in[region].get_paginator("describe_db_clusters").paginate()
                for c in page["DBClusters"]
            }
        finally:
            self.proxy.peek = False
        rows = []
        for g in sorted(found, key=lambda g: g["GlobalClusterIdentifier"]):
            failover = g.get("FailoverState") or {}
            members = []
            for member in g.get("GlobalClusterMembers", []):
                arn = member["DBClusterArn"]
                members.append({
                    "arn": arn,
                    "region": arn.split(":")[3],
                    "cluster": arn.split(":")[-1],
                    "writer": bool(member.get("IsWriter")),
                    "status": clusters.get(arn, {}).get("Status", "gone"),
                })
            rows.append({
                "global": g["GlobalClusterIdentifier"],
                "status": g.get("Status"),
                "switch": failover.get("Status"),
                "members": sorted(members, key=lambda m: m["region"]),
            })
        return rows

    def cluster_in(self, region: str, cluster_id: str) -> dict | None:
        """The cluster as the Lambdas in `region` would see it (a peek), or None."""
        self.proxy.peek = True
        try:
            return self.peek_in[region].describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]
        except ClientError:
            return None
        finally:
            self.proxy.peek = False

    def instance_in(self, region: str, instance_id: str) -> dict | None:
        self.proxy.peek = True
        try:
            return self.peek_in[region].describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0]
        except ClientError:
            return None
        finally:
            self.proxy.peek = False

    def rds_instances(self) -> list[dict]:
        """Every RDS instance that is in no Aurora cluster, in both regions, as the Lambdas
        would see it (a peek): region, identifier, status, the source it replicates, the
        replicas it feeds, its backups, its encryption and its DB subnet group."""
        self.proxy.peek = True
        try:
            found = [(region, i) for region in (PRIMARY, DR)
                     for page in self.peek_in[region].get_paginator("describe_db_instances").paginate()
                     for i in page["DBInstances"] if not i.get("DBClusterIdentifier")]
        finally:
            self.proxy.peek = False
        return [{
            "region": region,
            "instance": i["DBInstanceIdentifier"],
            "arn": i.get("DBInstanceArn"),
            "status": i.get("DBInstanceStatus"),
            "source": i.get("ReadReplicaSourceDBInstanceIdentifier"),
            "replicas": list(i.get("ReadReplicaDBInstanceIdentifiers") or []),
            "retention": i.get("BackupRetentionPeriod"),
            "window": i.get("PreferredBackupWindow"),
            "encrypted": i.get("StorageEncrypted"),
            "kms": i.get("KmsKeyId"),
            "subnet_group": (i.get("DBSubnetGroup") or {}).get("DBSubnetGroupName"),
            "vpc": (i.get("DBSubnetGroup") or {}).get("VpcId"),
        } for region, i in sorted(found, key=lambda f: (f[0], f[1]["DBInstanceIdentifier"]))]

    def writers(self) -> dict[str, str | None]:
        return {g["global"]: next((m["arn"] for m in g["members"] if m["writer"]), None) for g in self.global_topology()}

    def item(self, partition: str, key: str, region: str | None = None) -> dict | None:
        dynamodb = self.dynamodb_in[region or self.machine.region]
        found = dynamodb.get_item(TableName=base.TABLE, Key={"clusterId": {"S": partition}, "recordKey": {"S": key}})
        item = found.get("Item")
        return {k: next(iter(v.values())) for k, v in item.items()} if item else None

    def dr_run_record(self, run_name: str) -> dict:
        return self.item(DR_RUNS, f"run#{run_name}", self.run_regions.get(run_name)) or {}

    def resource_record(self, resource_key: str, run_name: str) -> dict | None:
        """The run's record of the resource of `resource_key` (partition #dr:<resource key>)."""
        return self.item(f"#dr:{resource_key}", f"run#{run_name}", self.run_regions.get(run_name))

    def leases(self) -> list[dict]:
        return [i for i in self.ledger_items() if i["recordKey"] == "lease" and i["clusterId"].startswith("#dr:")]

    def probe(self, region: str) -> str | None:
        """One DescribeDBClusters signed for the region, through the proxy: None if it
        answered, else what went wrong."""
        try:
            self.caller_in[region].describe_db_clusters()
            return None
        except (ClientError, BotoCoreError) as error:
            return type(error).__name__


# --- showing it ---------------------------------------------------------------------

CLUSTER_ARN = re.compile(r"arn:aws:rds:([a-z0-9-]+):\d{12}:(?:cluster|db):([A-Za-z0-9-]+)")


def short(text, width: int = 62) -> str:
    """One line of at most `width` characters; a cluster's or an instance's ARN shown as
    region/identifier."""
    text = CLUSTER_ARN.sub(lambda m: f"{m.group(1)}/{m.group(2)}", str(text))
    return text if len(text) <= width else text[: width - 3] + "..."


def summarise_dr(state: str, result) -> str:
    if not isinstance(result, dict):
        return ""
    if state == "ValidatePayload":
        layers = result.get("layers") or []
        count = sum(len(layer.get("resources", [])) for layer in layers)
        plural = lambda n, word: f"{n} {word}{'' if n == 1 else 's'}"
        return f"{plural(len(layers), 'layer')}, {plural(count, 'resource')} checked" + (", dry run" if result.get("dryRun") else "")
    # A promotion: its plan names an instance's key; its checks (no global cluster) say
    # whether the instance is standalone or still a replica.
    if state == "PlanResource" and (is_instance_key(result.get("resourceKey")) or is_service_key(result.get("resourceKey"))):
        return short(f"{result.get('state')}: {result.get('summary')}", 70)
    if state == "CheckResource" and str(result.get("summary", "")).startswith("restored "):  # a restore
        return short(f"{result.get('state')}: {result.get('summary')}", 70)
    if state == "CheckResource" and is_service_key(result.get("resourceKey")):
        return short(f"{result.get('state')}: {result.get('summary')}", 70)
    if state == "CheckResource" and re.search(r"standalone|replica of|^replica \S+ of", str(result.get("summary", ""))):
        return short(f"{result.get('state')}: {result.get('summary')}", 70)
    if state == "PlanResource":
        target = str(result.get("targetClusterArn", "")).split(":")[-1]
        if result.get("state") == "act":
            return short(f"act: {result.get('call')} to {target}", 70)
        if result.get("state") == "done" and "secondary" in str(result.get("summary")):  # a failback preparation
            return short(f"done: {result.get('summary')}", 70)
        if result.get("state") == "done":
            return short(f"done: {target} already is the writer", 70)
        return short(f"{result.get('state')}: {result.get('summary')}", 70)
    if state == "ActOnResource":
        plan = result.get("plan") or {}
        return short(f"{plan.get('call')} requested" if result.get("requested") else f"no call: {plan.get('state')}", 70)
    if state == "CheckResource" and "secondary" in str(result.get("summary", "")):  # a failback preparation
        return short(f"{result.get('state')}: {result.get('summary')}", 70)
    if state == "CheckResource":
        writer = str(result.get("writer") or "none").split(":")[-1]
        phase = result.get("failoverStatus")
        phase = f"switch {phase}" if phase == "pending" else phase or f"global cluster {result.get('globalStatus')}"
        return short(f"{result.get('state')}: {phase}, writer {writer}", 70)
    if state == "RecordLayer":
        return f"layer {result.get('layer')}: {result.get('succeeded')} ok, {result.get('failed')} failed"
    if state == "FinishRun":
        return short(f"outcome: {result.get('outcome')} ({result.get('summary')})", 70)
    return base.summarise_result(state, result)


def print_globals(title: str, rows: list[dict]) -> None:
    print(f"\n  {title}")
    print(f"    {'global cluster':<30} {'status':<10} {'switch':<15} {'region':<10} {'cluster':<34} {'writer':<6}  status")
    for g in rows:
        for i, m in enumerate(g["members"]):
            head = f"{g['global']:<30} {g['status'] or '':<10} {g['switch'] or '':<15}" if i == 0 else " " * 57
            print(f"    {head} {m['region']:<10} {m['cluster']:<34} {'yes' if m['writer'] else '':<6}  {m['status']}")


def print_dr_ledger(drill: DrDrill, run: Execution) -> None:
    record = drill.dr_run_record(run.name)
    print(f"\n  Ledger: run record ({DR_RUNS}, run#{run.name})")
    for key in ("outcome", "summary", "dryRun", "error", "errorCause", "startedAt", "endedAt"):
        if key in record:
            print(f"    {key:<12} {short(record[key], 150)}")
    listed = parse_resources(record)
    keys = resource_keys_by_name(run)
    print(f"\n  Ledger: resource records (#dr:<resource key>, run#{run.name})")
    print(f"    {'layer':<6} {'resource key':<38} {'outcome':<14} {'seconds':>7}  {'writer before -> after':<66} error")
    for entry in listed:
        key = keys.get(entry.get("resourceName"), "?")
        item = drill.resource_record(key, run.name) or {}
        moved = ""
        if str(item.get("resourceType", "")).startswith("Restore"):
            # A restore: nothing before, the restored cluster's writer (or the instance) after.
            moved = f"- -> restored, {short(item['writerAfter'])}" if item.get("writerAfter") else ""
        elif item.get("resourceType") == "CreateRDSReadReplica":
            # A replica created: the source it replicates once done.
            moved = f"- -> replica of {short(item['writerAfter'])}" if item.get("writerAfter") else ""
        elif is_instance_key(key) and (item.get("writerBefore") or item.get("writerAfter")):
            # A promotion: the source the replica followed -> the standalone instance.
            before = f"replica of {short(item['writerBefore'])}" if item.get("writerBefore") else "standalone"
            moved = f"{before} -> {'standalone' if item.get('writerAfter') else '?'}"
        elif item.get("writerBefore") or item.get("writerAfter"):
            moved = f"{str(item.get('writerBefore', '?')).split(':')[-1]} -> {str(item.get('writerAfter', '?')).split(':')[-1]}"
        seconds = item.get("secondsToRecover", "")
        error = item.get("error") or entry.get("error") or ""
        print(f"    {entry.get('layer', ''):<6} {key:<38} {entry.get('outcome', ''):<14} {seconds!s:>7}  {moved:<66} {error}")
    if not listed:
        print("    (none: no resource was started)")
    for entry in listed:
        key = keys.get(entry.get("resourceName"), "?")
        item = drill.resource_record(key, run.name) or {}
        arn, error = handoff_arn_of(item), item.get("handoffError")
        if arn or error:
            print(f"    hand-off of {key}: the failback workflow {'started: ' + arn if arn else 'not started: ' + short(error, 150)}")
    for child in run.children.values():
        print(f"    execution started: {child.arn}: {child.status}" + (f" ({child.error})" if child.error else ""))
    held = drill.leases()
    print(f"\n  Leases held: {', '.join(i['clusterId'] for i in held) if held else 'none'}")


# --- checking it ----------------------------------------------------------------------

def parse_resources(record: dict) -> list[dict]:
    try:
        listed = json.loads(record.get("resources") or "[]")
    except (TypeError, ValueError):
        return []
    return listed if isinstance(listed, list) else []


INSTANCE_KEY_PREFIX = "instance/"


def is_instance_key(key) -> bool:
    """Whether a resource key names an RDS instance (instance/<identifier>), not a global cluster."""
    return isinstance(key, str) and key.startswith(INSTANCE_KEY_PREFIX)


# The resource keys of an Aurora replica cluster promoted, and of an ElastiCache global datastore.
CLUSTER_KEY_PREFIX, CACHE_KEY_PREFIX = "cluster/", "cache/"


def is_service_key(key) -> bool:
    """Whether a resource key names a replica cluster (cluster/...) or a global datastore (cache/...)."""
    return isinstance(key, str) and key.startswith((CLUSTER_KEY_PREFIX, CACHE_KEY_PREFIX))


def resource_keys_by_name(run: Execution) -> dict[str, str]:
    """Resource name -> resource key (the key of its lease and records: a global cluster's
    identifier, or instance/<identifier>), from what ValidatePayload answered."""
    names = {}
    for result in run.task_results("ValidatePayload"):
        for layer in (result or {}).get("layers", []):
            for resource in layer.get("resources", []):
                names[resource.get("resourceName")] = resource.get("resourceKey")
    return names


def results_for(run: Execution, state: str, label: str) -> list:
    return [e.get("result") for e in run.events
            if e["type"] == "StateExited" and e.get("state") == state and e.get("label") == label]


def expect_run(failures: list[str], drill: DrDrill, run: Execution, outcome: str, status: str = "SUCCEEDED",
               error: str | None = None) -> dict:
    """The execution's end, the run record's outcome (and error), and no lease left."""
    record = drill.dr_run_record(run.name)
    if status == "FAILED":
        check(failures, run.status == "FAILED" and run.error == FAILED_EXECUTION,
              f"{run.name}: execution {run.status} {run.error}, expected FAILED {FAILED_EXECUTION}: {short(run.cause, 300)}")
    else:
        check(failures, run.status == status, f"{run.name}: execution {run.status} {run.error}: {short(run.cause, 300)}")
    check(failures, record.get("outcome") == outcome,
          f"{run.name}: ledger outcome {record.get('outcome')!r}, expected {outcome!r} ({short(record.get('summary'), 200)})")
    if error:
        check(failures, record.get("error") == error, f"{run.name}: ledger error {record.get('error')!r}, expected {error!r}")
    held = drill.leases()
    check(failures, not held, f"{run.name}: leases left: {[(i['clusterId'], i.get('runName')) for i in held]}")
    return record


def expect_resources(failures: list[str], drill: DrDrill, run: Execution, expected: dict) -> None:
    """{resource key: (outcome, error or None)} in the run record's resource list and in
    each resource's own record (none for a resource that never started), which carries
    that resourceKey."""
    names = resource_keys_by_name(run)
    listed = {names.get(r.get("resourceName"), r.get("resourceName")): r for r in parse_resources(drill.dr_run_record(run.name))}
    check(failures, set(listed) == set(expected), f"{run.name}: run record lists {sorted(listed)}, expected {sorted(expected)}")
    for global_id, (outcome, error) in expected.items():
        entry = listed.get(global_id, {})
        check(failures, entry.get("outcome") == outcome,
              f"{run.name}: run record says {global_id} {entry.get('outcome')!r}, expected {outcome!r}")
        if error:
            check(failures, entry.get("error") == error,
                  f"{run.name}: run record says {global_id} failed with {entry.get('error')!r}, expected {error!r}")
        item = drill.resource_record(global_id, run.name)
        if outcome == "never-started":
            check(failures, item is None, f"{run.name}: {global_id} never started but has a record: {item}")
            check(failures, not any(e.get("label") == global_id for e in run.events),
                  f"{run.name}: a state ran for {global_id}, which should never have started")
            continue
        check(failures, item is not None and item.get("outcome") == outcome,
              f"{run.name}: resource record of {global_id}: {item and item.get('outcome')!r}, expected {outcome!r}")
        check(failures, item is None or item.get("resourceKey") == global_id,
              f"{run.name}: resource record under #dr:{global_id} has resourceKey {(item or {}).get('resourceKey')!r}")
        if error:
            check(failures, (item or {}).get("error") == error,
                  f"{run.name}: resource record of {global_id} error {(item or {}).get('error')!r}, expected {error!r}")


def expect_writer(failures: list[str], drill: DrDrill, db: GlobalDb, arn: str) -> None:
    """The global cluster's writer is `arn`, the switch finished and everything available."""
    g = next((g for g in drill.global_topology() if g["global"] == db.global_id), None)
    if g is None:
        failures.append(f"global cluster {db.global_id} is gone")
        return
    writers = [m["arn"] for m in g["members"] if m["writer"]]
    check(failures, writers == [arn], f"{db.global_id}: writer {writers}, expected [{arn}]")
    check(failures, g["status"] == "available" and not g["switch"],
          f"{db.global_id}: status {g['status']}, switch {g['switch']}: not settled")
    busy = [(m["cluster"], m["status"]) for m in g["members"] if m["status"] != "available"]
    check(failures, not busy, f"{db.global_id}: members not available: {busy}")


def expect_switches(failures: list[str], drill: DrDrill, expected: dict, action: str = "SwitchoverGlobalCluster") -> None:
    """Exactly this many switch calls per global cluster reached the proxy, all accepted."""
    calls = drill.proxy.globals.switch_calls()
    for global_id, count in expected.items():
        mine = [c for c in calls if c.global_cluster_id == global_id]
        check(failures, len(mine) == count and all(c.accepted and c.action == action for c in mine),
              f"{global_id}: switch calls {[(c.action, c.accepted, c.error) for c in mine]}, expected {count} accepted {action}")
    others = [c for c in calls if c.global_cluster_id not in expected]
    check(failures, not others, f"unexpected switch calls: {[(c.action, c.global_cluster_id, c.error) for c in others]}")


def run_dr(drill: DrDrill, name: str, payload: dict, source: str, verbose: bool, region: str | None = None) -> Execution:
    """One execution of the DR machine deployed in `region` (the drill's own by default)."""
    live = LiveStates(summarise_dr, label_width=38, name_width=max(14, len(name)), outcome_width=70, show_changes=True)
    if verbose:
        print(f"\n  Started in {region or drill.machine.region} by {source}\n")
    run = drill.run(name, payload, live if verbose else None, region=region)
    if verbose:
        live.flush_hidden()
        print(f"\n  Execution {run.name}: {run.status}" + (f" ({run.error})" if run.error else "") + f" in {run.seconds:.1f} s")
    return run


def one_line(drill: DrDrill, run: Execution) -> str:
    """What a run came to, for the scenario's output: outcome and each resource's result."""
    record = drill.dr_run_record(run.name)
    names = resource_keys_by_name(run)
    parts = [f"{names.get(r.get('resourceName'), r.get('resourceName'))} {r.get('outcome')}"
             + (f" ({r['error']})" if r.get("error") else "") for r in parse_resources(record)]
    return f"   {run.name}: {run.status}, ledger {record.get('outcome')}" + (f": {', '.join(parts)}" if parts else "")


def show_world(title: str, drill: DrDrill, verbose: bool) -> list[dict]:
    rows = drill.global_topology()
    if verbose:
        print_globals(title, rows)
    return rows


# --- the worlds ------------------------------------------------------------------------

def prepare_seed_world(drill: DrDrill) -> None:
    """The seed payload's world: three global databases, their exports and the SSM parameter."""
    for db in (MYSQL, POSTGRES, REPORTING):
        drill.add_global_db(db)
    drill.add_exports(EXPORTS)
    drill.add_ssm_parameters(SSM_PARAMETERS)


def prepare_with_orphan(drill: DrDrill) -> None:
    prepare_seed_world(drill)
    drill.add_cluster(ORPHAN, DR, POSTGRES.engine, POSTGRES.version)


# --- the scenarios -----------------------------------------------------------------------

def run_seed_switchover(drill: DrDrill, verbose: bool) -> list[str]:
    """The seed payload: two global databases in layer 1, one in layer 2."""
    show_world("Before", drill, verbose)
    run = run_dr(drill, "dr-switchover-1", read_event(SEED), f"events/{SEED}", verbose)
    show_world("After", drill, verbose)
    if verbose:
        print_dr_ledger(drill, run)
    failures: list[str] = []
    expect_run(failures, drill, run, "restored")
    expect_resources(failures, drill, run, {db.global_id: ("done", None) for db in (MYSQL, POSTGRES, REPORTING)})
    for db in (MYSQL, POSTGRES, REPORTING):
        expect_writer(failures, drill, db, db.secondary_arn)
    expect_switches(failures, drill, {db.global_id: 1 for db in (MYSQL, POSTGRES, REPORTING)})
    # Layer 2 started only after layer 1 was recorded, and switched last.
    indexes = [i for i, e in enumerate(run.events) if e.get("state") == "RecordLayer" and e.get("label") == "layer 1"
               and e["type"] == "StateExited"]
    first_layer2 = next((i for i, e in enumerate(run.events) if e.get("label") == REPORTING.global_id), None)
    check(failures, bool(indexes) and first_layer2 is not None and indexes[0] < first_layer2,
          "layer 2 started before layer 1 was recorded")
    order = [c.global_cluster_id for c in sorted(drill.proxy.globals.accepted(), key=lambda c: c.at)]
    check(failures, order[-1:] == [REPORTING.global_id], f"switch order {order}: the layer-2 switch was not last")
    check(failures, "restored" in drill.published_outcomes(), "no DR run-finished event with outcome restored")
    return failures


def run_unplanned_failover(drill: DrDrill, verbose: bool) -> list[str]:
    """us-east-1 is down (every request signed for it is reset): FailoverGlobalCluster with
    AllowDataLoss from us-west-2 alone (the machine deployed there)."""
    failures: list[str] = []
    show_world("Before (the drill's own reads are let through the outage)", drill, verbose)
    refused = drill.probe(PRIMARY)
    check(failures, refused is not None, f"a call signed for {PRIMARY} was answered: the outage is not in force")
    check(failures, drill.probe(DR) is None, f"a call signed for {DR} failed")
    refused_before = dict(drill.proxy.counters.region_refused_calls)
    run = run_dr(drill, "dr-unplanned-1", read_event(UNPLANNED), f"events/{UNPLANNED}, with {PRIMARY} down", verbose,
                 region=DR)
    refused_during = {call: count - refused_before.get(call, 0)
                      for call, count in drill.proxy.counters.region_refused_calls.items()
                      if count > refused_before.get(call, 0)}
    show_world("After", drill, verbose)
    if verbose:
        print_dr_ledger(drill, run)
    expect_run(failures, drill, run, "restored")
    expect_resources(failures, drill, run, {ORDERS.global_id: ("done", None)})
    expect_writer(failures, drill, ORDERS, ORDERS.secondary_arn)
    expect_switches(failures, drill, {ORDERS.global_id: 1}, action="FailoverGlobalCluster")
    calls = drill.proxy.globals.accepted(ORDERS.global_id)
    check(failures, all(c.allow_data_loss and c.region == DR for c in calls),
          f"the failover was not called in {DR} with AllowDataLoss: {[(c.region, c.allow_data_loss) for c in calls]}")
    seen = [r for r in results_for(run, "CheckResource", ORDERS.global_id) if isinstance(r, dict)]
    check(failures, any(r.get("failoverStatus") == "failing-over" and r.get("dataLossAllowed") is True for r in seen),
          f"no check saw the failover under way with data loss allowed: {[(r.get('failoverStatus'), r.get('dataLossAllowed')) for r in seen]}")
    check(failures, drill.probe(PRIMARY) is not None, f"{PRIMARY} answered after the run: the outage did not last")
    print(f"   {PRIMARY} down ({refused} for the drill's probe); calls refused there during the run: "
          f"{refused_during or 'none'}; FailoverGlobalCluster calls: {len(calls)} (AllowDataLoss, in {DR})", flush=True)
    return failures


# What each sample of events/dr/invalid/ must be refused for (the refusal lists every problem).
INVALID_MENTIONS = {
    "missing-import.json": ("no-such-export", "/dr/no-such-parameter"),
    "every-kind-of-mistake.json": ("FailoverDynamoDB", "DBClusterIdentifer", "dryRun"),
}


def run_invalid_payloads(drill: DrDrill, verbose: bool) -> list[str]:
    """Each sample in events/dr/invalid/: refused by ValidatePayload with InvalidInput
    listing the problems, recorded failed, nothing started and no global cluster changed."""
    failures: list[str] = []
    before = show_world("Before", drill, verbose)
    files = sorted((ROOT / "events/dr/invalid").glob("*.json"))
    check(failures, bool(files), "no samples in events/dr/invalid")
    for number, path in enumerate(files, 1):
        run = run_dr(drill, f"dr-invalid-{number}", json.loads(path.read_text()), f"events/dr/invalid/{path.name}", verbose)
        if verbose:
            print_dr_ledger(drill, run)
        record = expect_run(failures, drill, run, "failed", status="FAILED", error="InvalidInput")
        cause = record.get("errorCause") or ""
        for text in INVALID_MENTIONS.get(path.name, ()):
            check(failures, text in cause, f"{run.name} ({path.name}): the refusal does not mention {text!r}: {short(cause, 300)}")
        check(failures, run.entered("StartRun") == 0, f"{run.name}: StartRun ran after a refused payload")
        items = [i for i in drill.ledger_items() if i["clusterId"] != DR_RUNS]
        check(failures, not items, f"{run.name}: ledger items besides run records: {[(i['clusterId'], i['recordKey']) for i in items]}")
        count = re.search(r"has (\d+) problems?", cause)
        print(f"   {run.name} ({path.name}): {run.status}, ledger {record.get('outcome')} {record.get('error')}, "
              f"{count.group(1) if count else '?'} problems listed", flush=True)
    check(failures, not drill.proxy.globals.switch_calls(),
          f"switch calls reached the proxy: {[(c.action, c.global_cluster_id) for c in drill.proxy.globals.switch_calls()]}")
    check(failures, drill.global_topology() == before, "a global cluster changed")
    return failures


FAILING_PAYLOAD = {
    "StatePayload": [
        {"layer": 1, "resources": [
            {"resourceType": "PlannedFailoverAurora", "resourceName": "Switchover of the MySQL global database",
             "parameters": {"GlobalClusterIdentifier": MYSQL.global_id, "DBClusterIdentifier": MYSQL.secondary}},
            {"resourceType": "PlannedFailoverAurora",
             "resourceName": "Switchover of the PostgreSQL global database to a cluster outside it",
             "parameters": {"GlobalClusterIdentifier": POSTGRES.global_id, "DBClusterIdentifier": ORPHAN}},
        ]},
        {"layer": 2, "resources": [
            {"resourceType": "PlannedFailoverAurora", "resourceName": "Switchover of the reporting global database",
             "parameters": {"GlobalClusterIdentifier": "resolve:ssm:/dr/reporting/global-cluster",
                            "DBClusterIdentifier": REPORTING.secondary}},
        ]},
    ],
}


def run_resource_fails(drill: DrDrill, verbose: bool) -> list[str]:
    """Layer 1: a good switchover next to one whose target is not a member of its global
    cluster. The good one finishes, the bad one fails, layer 2 never starts."""
    show_world("Before", drill, verbose)
    run = run_dr(drill, "dr-resource-fails-1", FAILING_PAYLOAD, "a payload whose layer 1 names orphan-west", verbose)
    show_world("After", drill, verbose)
    if verbose:
        print_dr_ledger(drill, run)
    failures: list[str] = []
    expect_run(failures, drill, run, "failed", status="FAILED")
    expect_resources(failures, drill, run, {
        MYSQL.global_id: ("done", None),
        POSTGRES.global_id: ("failed", "TargetNotInGlobalCluster"),
        REPORTING.global_id: ("never-started", None),
    })
    expect_writer(failures, drill, MYSQL, MYSQL.secondary_arn)
    expect_writer(failures, drill, POSTGRES, POSTGRES.primary_arn)
    expect_writer(failures, drill, REPORTING, REPORTING.primary_arn)
    expect_switches(failures, drill, {MYSQL.global_id: 1})
    print(one_line(drill, run), flush=True)
    return failures


# Run 1 of dr-rerun: the first SwitchoverGlobalCluster of the MySQL global database takes
# effect but its answer is lost (HTTP 500), and AWS then keeps failing every
# DescribeGlobalClusters of it (after the two that plan it), so the machine's retries of
# ActOnResource run out: that resource fails, layer 2 never starts. A partial run.
PARTIAL_RUN_FAULTS = {
    f"SwitchoverGlobalCluster:{MYSQL.global_id}": ["500-after"],
    f"DescribeGlobalClusters:{MYSQL.global_id}": ["pass", "pass"] + ["500-before"] * 200,
}


def run_rerun(drill: DrDrill, verbose: bool) -> list[str]:
    failures: list[str] = []
    payload = read_event(SEED)
    layer1, all_dbs = (MYSQL, POSTGRES), (MYSQL, POSTGRES, REPORTING)
    show_world("Before", drill, verbose)

    partial = run_dr(drill, "dr-rerun-1", payload, f"events/{SEED}; the first switchover's answer lost", verbose)
    if verbose:
        print_dr_ledger(drill, partial)
    print(one_line(drill, partial), flush=True)
    expect_run(failures, drill, partial, "failed", status="FAILED")
    expect_resources(failures, drill, partial, {
        MYSQL.global_id: ("failed", "AwsUnavailable"),
        POSTGRES.global_id: ("done", None),
        REPORTING.global_id: ("never-started", None),
    })
    lost = drill.proxy.counters.faults.get("SwitchoverGlobalCluster:500-after", 0)
    check(failures, lost == 1, f"the switchover's answer was lost {lost} times, expected once")
    expect_switches(failures, drill, {db.global_id: 1 for db in layer1})

    drill.proxy.set_scripted_faults({})  # AWS answers again
    show_world("Between the runs", drill, verbose)
    rerun = run_dr(drill, "dr-rerun-2", payload, f"events/{SEED} again", verbose)
    if verbose:
        print_dr_ledger(drill, rerun)
    print(one_line(drill, rerun), flush=True)
    expect_run(failures, drill, rerun, "restored")
    expect_resources(failures, drill, rerun, {
        MYSQL.global_id: ("done", None),  # the lost switchover, waited for, not repeated
        POSTGRES.global_id: ("already-done", None),
        REPORTING.global_id: ("done", None),
    })
    acted = [r for r in results_for(rerun, "ActOnResource", MYSQL.global_id) if isinstance(r, dict)]
    check(failures, bool(acted) and not any(r.get("requested") for r in acted),
          f"{rerun.name}: ActOnResource for {MYSQL.global_id} answered {acted}: expected no call (in progress)")
    expect_switches(failures, drill, {db.global_id: 1 for db in all_dbs})

    again = run_dr(drill, "dr-rerun-3", payload, f"events/{SEED} once more, everything already done", verbose)
    show_world("After", drill, verbose)
    if verbose:
        print_dr_ledger(drill, again)
    print(one_line(drill, again), flush=True)
    expect_run(failures, drill, again, "no-op")
    expect_resources(failures, drill, again, {db.global_id: ("already-done", None) for db in all_dbs})
    expect_switches(failures, drill, {db.global_id: 1 for db in all_dbs})
    for db in all_dbs:
        expect_writer(failures, drill, db, db.secondary_arn)
    return failures


def run_concurrent(drill: DrDrill, verbose: bool) -> list[str]:
    """Two executions of the seed payload at once: one takes the leases and acts, the
    other finishes skipped; one switchover per global cluster."""
    show_world("Before", drill, verbose)
    payload = read_event(SEED)
    live = LiveStates(summarise_dr, label_width=32, name_width=len("dr-concurrent-1"), outcome_width=70, show_changes=True)
    if verbose:
        print(f"\n  Started twice at once by events/{SEED}\n")
    started = [drill.start(f"dr-concurrent-{i}", payload, live if verbose else None) for i in (1, 2)]
    runs = []
    for execution, thread in started:
        thread.join()
        runs.append(execution)
    if verbose:
        live.flush_hidden()
    show_world("After", drill, verbose)
    failures: list[str] = []
    outcomes = {run.name: drill.dr_run_record(run.name).get("outcome", "missing") for run in runs}
    check(failures, sorted(outcomes.values()) == ["restored", "skipped"], f"outcomes {outcomes}")
    check(failures, all(run.status == "SUCCEEDED" for run in runs), f"executions {[(r.name, r.status, r.error) for r in runs]}")
    for run in runs:
        if verbose:
            print_dr_ledger(drill, run)
        print(one_line(drill, run), flush=True)
        if outcomes[run.name] == "skipped":
            check(failures, run.entered("RunLayers") == 0, f"{run.name} was skipped but ran its layers")
            check(failures, not parse_resources(drill.dr_run_record(run.name))
                  or all(r.get("outcome") == "never-started" for r in parse_resources(drill.dr_run_record(run.name))),
                  f"{run.name} was skipped but its record lists resources that ran")
    for db in (MYSQL, POSTGRES, REPORTING):
        expect_writer(failures, drill, db, db.secondary_arn)
    expect_switches(failures, drill, {db.global_id: 1 for db in (MYSQL, POSTGRES, REPORTING)})
    check(failures, not drill.leases(), f"leases left: {drill.leases()}")
    return failures


def run_emulated_aws(drill: DrDrill, verbose: bool) -> list[str]:
    """The proxy's emulation of the global-database calls, checked on its own against the
    AWS API reference (global_clusters.py): the errors, the FailoverState phases, the
    writer's move, the identifier filter, and the region outage."""
    failures: list[str] = []
    west = drill.caller_in[DR]

    def error_of(call, **params) -> tuple[str | None, int | None]:
        try:
            call(**params)
            return None, 200
        except ClientError as error:
            return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]

    missing_target = f"arn:aws:rds:{DR}:{ACCOUNT}:cluster:no-such-cluster"
    orphan_arn = f"arn:aws:rds:{DR}:{ACCOUNT}:cluster:{ORPHAN}"
    for what, call, params, expected in [
        ("an unknown global cluster", west.switchover_global_cluster,
         {"GlobalClusterIdentifier": "no-such-global", "TargetDbClusterIdentifier": MYSQL.secondary_arn},
         ("GlobalClusterNotFoundFault", 404)),
        ("an unknown target", west.switchover_global_cluster,
         {"GlobalClusterIdentifier": MYSQL.global_id, "TargetDbClusterIdentifier": missing_target},
         ("DBClusterNotFoundFault", 404)),
        ("a target outside the global cluster", west.switchover_global_cluster,
         {"GlobalClusterIdentifier": MYSQL.global_id, "TargetDbClusterIdentifier": orphan_arn},
         ("InvalidDBClusterStateFault", 400)),
        ("the primary as target", west.switchover_global_cluster,
         {"GlobalClusterIdentifier": MYSQL.global_id, "TargetDbClusterIdentifier": MYSQL.primary_arn},
         ("InvalidDBClusterStateFault", 400)),
        ("AllowDataLoss with Switchover", west.failover_global_cluster,
         {"GlobalClusterIdentifier": MYSQL.global_id, "TargetDbClusterIdentifier": MYSQL.secondary_arn,
          "AllowDataLoss": True, "Switchover": True},
         ("InvalidParameterCombination", 400)),
        ("DescribeGlobalClusters of an unknown one", west.describe_global_clusters,
         {"GlobalClusterIdentifier": "no-such-global"}, ("GlobalClusterNotFoundFault", 404)),
    ]:
        got = error_of(call, **params)
        check(failures, got == expected, f"{what}: answered {got}, expected {expected}")

    answer = west.switchover_global_cluster(GlobalClusterIdentifier=MYSQL.global_id,
                                            TargetDbClusterIdentifier=MYSQL.secondary_arn)["GlobalCluster"]
    check(failures, answer.get("Status") == "modifying" and (answer.get("FailoverState") or {}).get("Status") == "pending",
          f"the switchover's answer: {answer.get('Status')} {answer.get('FailoverState')}")
    got = error_of(west.switchover_global_cluster, GlobalClusterIdentifier=MYSQL.global_id,
                   TargetDbClusterIdentifier=MYSQL.secondary_arn)
    check(failures, got == ("InvalidGlobalClusterStateFault", 400), f"a second switchover meanwhile: {got}")
    seen = []
    for _ in range(4):
        g = west.describe_global_clusters(GlobalClusterIdentifier=MYSQL.global_id)["GlobalClusters"]
        check(failures, [x["GlobalClusterIdentifier"] for x in g] == [MYSQL.global_id], f"filter answered {len(g)} global clusters")
        state = (g[0].get("FailoverState") or {}) if g else {}
        writer = next((m["DBClusterArn"].split(":")[-1] for m in (g[0] if g else {}).get("GlobalClusterMembers", []) if m["IsWriter"]), None)
        seen.append((g[0]["Status"] if g else None, state.get("Status"), writer))
    expected_phases = [("modifying", "pending", MYSQL.primary), ("modifying", "switching-over", MYSQL.primary),
                       ("modifying", "switching-over", MYSQL.primary), ("available", None, MYSQL.secondary)]
    check(failures, seen == expected_phases, f"describes after the switchover: {seen}, expected {expected_phases}")
    back = west.failover_global_cluster(GlobalClusterIdentifier=MYSQL.global_id, TargetDbClusterIdentifier=MYSQL.primary_arn,
                                        AllowDataLoss=True)["GlobalCluster"]
    state = back.get("FailoverState") or {}
    check(failures, state.get("IsDataLossAllowed") is True and state.get("FromDbClusterArn") == MYSQL.secondary_arn
          and state.get("ToDbClusterArn") == MYSQL.primary_arn, f"the failover's FailoverState: {state}")

    drill.proxy.set_regions_down((PRIMARY,))
    check(failures, drill.probe(PRIMARY) is not None, f"{PRIMARY} answered while down")
    check(failures, drill.probe(DR) is None, f"{DR} did not answer while {PRIMARY} was down")
    drill.proxy.set_regions_down(())
    check(failures, drill.probe(PRIMARY) is None, f"{PRIMARY} did not answer once back")
    if verbose:
        print(f"\n  describes after a switchover: {seen}")
    accepted = len(drill.proxy.globals.accepted())
    print(f"   {len(drill.proxy.globals.switch_calls())} switch calls, {accepted} accepted; "
          f"outage refused {drill.proxy.counters.region_refused}", flush=True)
    return failures


# --- the pilot light: an RDS read replica promoted ---------------------------------------

@dataclass(frozen=True)
class RdsReplica:
    """An RDS (not Aurora) instance in us-east-1 and its cross-region read replica in us-west-2."""
    source: str
    replica: str
    engine: str
    version: str

    @property
    def source_arn(self) -> str:
        return f"arn:aws:rds:{PRIMARY}:{ACCOUNT}:db:{self.source}"

    @property
    def replica_arn(self) -> str:
        return f"arn:aws:rds:{DR}:{ACCOUNT}:db:{self.replica}"

    @property
    def key(self) -> str:
        """The resource key of its promotion: its lease and records are under #dr:<key>."""
        return f"{INSTANCE_KEY_PREFIX}{self.replica}"


PILOT = RdsReplica("rds-mysql-instance", "rds-mysql-replica", "mysql", "8.0.39")
PILOT_LIGHT = "dr/pilot-light.json"
# What the sample asks PromoteReadReplica to set.
PILOT_BACKUPS = {"BackupRetentionPeriod": "7", "PreferredBackupWindow": "03:00-03:30"}


def pilot_resource() -> dict:
    return read_event(PILOT_LIGHT)["StatePayload"][0]["resources"][0]


def imported(value: str) -> str:
    return value.removeprefix("!Import ").strip()


def pilot_exports() -> dict:
    """What the sample's `!Import`s name, exported in us-west-2: the replica's identifier,
    and (kept for the record) the source's ARN."""
    parameters = pilot_resource()["parameters"]
    return {imported(parameters["RDSInstanceIdentifier"]): PILOT.replica,
            imported(parameters["TargetClusterIdentifier"]): PILOT.source_arn}


def prepare_pilot_light(drill: DrDrill) -> None:
    drill.add_rds_replica(PILOT)
    drill.add_exports(pilot_exports(), stack_name="rds-mysql-exports")


def print_instances(title: str, rows: list[dict]) -> None:
    """Each instance: its region, the source it replicates (ReadReplicaSourceDBInstanceIdentifier;
    none: a standalone instance), the replicas it feeds, its status and its backups."""
    print(f"\n  {title}")
    print(f"    {'region':<10} {'instance':<24} {'source':<30} {'replicas':<36} {'status':<11} backups")
    for r in rows:
        replicas = ", ".join(short(x) for x in r["replicas"]) or "-"
        print(f"    {r['region']:<10} {r['instance']:<24} {short(r['source'] or '-'):<30} {replicas:<36} "
              f"{r['status'] or '':<11} {r['retention']} days, {r['window']}")


def show_instances(title: str, drill: DrDrill, verbose: bool) -> list[dict]:
    rows = drill.rds_instances()
    if verbose:
        print_instances(title, rows)
    return rows


def expect_replica(failures: list[str], drill: DrDrill, pair: RdsReplica) -> None:
    """The replica still follows its source (nothing promoted)."""
    rows = {(r["region"], r["instance"]): r for r in drill.rds_instances()}
    replica = rows.get((DR, pair.replica)) or {}
    check(failures, replica.get("source") == pair.source_arn,
          f"{pair.replica}: source {replica.get('source')!r}, expected {pair.source_arn}")
    source = rows.get((PRIMARY, pair.source)) or {}
    check(failures, pair.replica_arn in source.get("replicas", []),
          f"{pair.source}: replicas {source.get('replicas')}, expected {pair.replica_arn} among them")


def expect_standalone(failures: list[str], drill: DrDrill, pair: RdsReplica) -> None:
    """The replica promoted: available, no source, the sample's backups; its source
    available and no longer listing it."""
    rows = {(r["region"], r["instance"]): r for r in drill.rds_instances()}
    replica = rows.get((DR, pair.replica))
    if replica is None:
        failures.append(f"{pair.replica} is gone from {DR}")
        return
    check(failures, replica["status"] == "available" and not replica["source"],
          f"{pair.replica}: {replica['status']}, source {replica['source']!r}: not a standalone available instance")
    backups = {"BackupRetentionPeriod": str(replica["retention"]), "PreferredBackupWindow": replica["window"]}
    check(failures, backups == PILOT_BACKUPS, f"{pair.replica}: backups {backups}, expected {PILOT_BACKUPS}")
    source = rows.get((PRIMARY, pair.source)) or {}
    check(failures, source.get("status") == "available" and pair.replica_arn not in source.get("replicas", []),
          f"{pair.source}: {source.get('status')}, replicas {source.get('replicas')}")


def expect_promotions(failures: list[str], drill: DrDrill, pair: RdsReplica, count: int) -> None:
    """Exactly `count` PromoteReadReplica calls reached the proxy, all for the replica, in
    us-west-2, accepted, with the sample's backup settings; no other call changed anything
    of an RDS instance."""
    calls = drill.proxy.replicas.promote_calls()
    check(failures, len(calls) == count and all(c.accepted and c.instance_id == pair.replica and c.region == DR
                                                for c in calls),
          f"PromoteReadReplica calls {[(c.region, c.instance_id, c.accepted, c.error) for c in calls]}, "
          f"expected {count} accepted for {pair.replica} in {DR}")
    sent = [c for c in drill.proxy.counters.changes if c.action == "PromoteReadReplica"]
    check(failures, len(sent) == count, f"{len(sent)} PromoteReadReplica calls changed something, expected {count}")
    for change in sent:
        expect_sent(failures, "PromoteReadReplica", change.params, {"DBInstanceIdentifier": pair.replica, **PILOT_BACKUPS})
    others = [(c.region, c.action) for c in drill.proxy.counters.changes
              if c.action not in ("PromoteReadReplica", *SWITCH_ACTIONS)]
    check(failures, not others, f"other calls that change something: {others}")


def expect_promotion_record(failures: list[str], drill: DrDrill, run: Execution, pair: RdsReplica, outcome: str) -> dict:
    """The resource's own record, under #dr:instance/<replica>, as this run left it."""
    item = drill.item(f"#dr:{pair.key}", f"run#{run.name}", drill.run_regions.get(run.name)) or {}
    check(failures, item.get("resourceType") == "PromoteRDSReadReplica" and item.get("resourceKey") == pair.key
          and item.get("outcome") == outcome,
          f"{run.name}: record under #dr:{pair.key}: {item.get('resourceType')} {item.get('resourceKey')} "
          f"{item.get('outcome')}, expected PromoteRDSReadReplica {pair.key} {outcome}")
    if outcome == "done":
        check(failures, item.get("writerBefore") == pair.source_arn and item.get("writerAfter") == pair.replica_arn,
              f"{run.name}: record says {item.get('writerBefore')} -> {item.get('writerAfter')}, "
              f"expected {pair.source_arn} -> {pair.replica_arn}")
    return item


def failed_with(run: Execution, state: str, label: str) -> list[str]:
    """The errors `state` failed with for `label` (each retried or caught)."""
    return [e.get("error") for e in run.events
            if e["type"] == "StateFailed" and e.get("state") == state and e.get("label") == label]


def run_pilot_light(drill: DrDrill, verbose: bool) -> list[str]:
    """events/dr/pilot-light.json from us-west-2: the replica, backing up at first (the plan
    says ClusterBusy, retried), is promoted once and checked until standalone."""
    failures: list[str] = []
    before = show_instances("Before (RDS instances)", drill, verbose)
    expect_replica(failures, drill, PILOT)
    check(failures, [r["status"] for r in before if r["instance"] == PILOT.replica] == ["backing-up"],
          f"{PILOT.replica} is not backing up before the run: {before}")
    run = run_dr(drill, "dr-pilot-light-1", read_event(PILOT_LIGHT), f"events/{PILOT_LIGHT}", verbose)
    show_instances("After", drill, verbose)
    if verbose:
        print_dr_ledger(drill, run)
    print(one_line(drill, run), flush=True)
    expect_run(failures, drill, run, "restored")
    expect_resources(failures, drill, run, {PILOT.key: ("done", None)})
    expect_promotion_record(failures, drill, run, PILOT, "done")
    expect_promotions(failures, drill, PILOT, 1)
    expect_standalone(failures, drill, PILOT)
    busy = failed_with(run, "PlanResource", PILOT.key)
    check(failures, busy[:1] == ["ClusterBusy"], f"{run.name}: the plan of a replica backing up failed with {busy}, expected ClusterBusy")
    seen = [r.get("targetStatus") for r in results_for(run, "CheckResource", PILOT.key) if isinstance(r, dict)]
    check(failures, "modifying" in seen and "rebooting" in seen and seen[-1:] == ["available"],
          f"{run.name}: checks saw {seen}, expected modifying and rebooting, then available")
    check(failures, not drill.proxy.globals.switch_calls(), "a global cluster was switched")
    check(failures, "restored" in drill.published_outcomes(), "no DR run-finished event with outcome restored")
    print(f"   PromoteReadReplica calls: {len(drill.proxy.replicas.promote_calls())}; plan refused while backing up: "
          f"{busy}; checks saw {seen}", flush=True)
    return failures


def run_pilot_light_rerun(drill: DrDrill, verbose: bool) -> list[str]:
    """The promotion's answer lost (HTTP 500 after it took effect): the retry sees it under
    way, the run converges with one call; then the same payload again: already done."""
    failures: list[str] = []
    payload, source = read_event(PILOT_LIGHT), f"events/{PILOT_LIGHT}"
    show_instances("Before (RDS instances)", drill, verbose)
    lost = run_dr(drill, "dr-pilot-light-rerun-1", payload, f"{source}; the promotion's answer lost", verbose)
    if verbose:
        print_dr_ledger(drill, lost)
    print(one_line(drill, lost), flush=True)
    expect_run(failures, drill, lost, "restored")
    expect_resources(failures, drill, lost, {PILOT.key: ("done", None)})
    expect_promotion_record(failures, drill, lost, PILOT, "done")
    expect_promotions(failures, drill, PILOT, 1)
    answers_lost = drill.proxy.counters.faults.get("PromoteReadReplica:500-after", 0)
    check(failures, answers_lost == 1, f"the promotion's answer was lost {answers_lost} times, expected once")
    acted = [r for r in results_for(lost, "ActOnResource", PILOT.key) if isinstance(r, dict)]
    act_errors = failed_with(lost, "ActOnResource", PILOT.key)
    # The lost answer is AwsUnavailable, retried; the retries plan again and find the
    # replica being promoted: ClusterBusy while it still names its source (retried), then
    # standalone and rebooting: in progress, nothing to call.
    check(failures, act_errors[:1] == ["AwsUnavailable"] and set(act_errors[1:]) <= {"ClusterBusy"},
          f"{lost.name}: ActOnResource failed with {act_errors}: expected the lost answer as AwsUnavailable, "
          f"then at most ClusterBusy while the promotion runs")
    check(failures, len(acted) == 1 and acted[0].get("requested") is False
          and (acted[0].get("plan") or {}).get("state") == "in-progress",
          f"{lost.name}: ActOnResource answered {acted}: expected its retry to find the promotion in progress and call nothing")
    expect_standalone(failures, drill, PILOT)

    drill.proxy.set_scripted_faults({})
    mark = len(drill.proxy.counters.changes)
    again = run_dr(drill, "dr-pilot-light-rerun-2", payload, f"{source} again, the replica already promoted", verbose)
    show_instances("After", drill, verbose)
    if verbose:
        print_dr_ledger(drill, again)
    print(one_line(drill, again), flush=True)
    expect_run(failures, drill, again, "no-op")
    expect_resources(failures, drill, again, {PILOT.key: ("already-done", None)})
    expect_promotion_record(failures, drill, again, PILOT, "already-done")
    check(failures, again.entered("ActOnResource") == 0, f"{again.name}: ActOnResource ran")
    made = drill.proxy.counters.changes[mark:]
    check(failures, not made, f"{again.name}: calls that change something: {[(c.region, c.action) for c in made]}")
    expect_promotions(failures, drill, PILOT, 1)
    expect_standalone(failures, drill, PILOT)
    print(f"   PromoteReadReplica calls in all: {len(drill.proxy.replicas.promote_calls())} "
          f"(its answer lost {answers_lost} time); ActOnResource failed with {act_errors}, then {len(acted)} answer(s) "
          f"without a call", flush=True)
    return failures


def mixed_payload() -> dict:
    """One layer: the seed's MySQL global database switched over and the pilot light's
    replica promoted, at once."""
    return {"StatePayload": [{"layer": 1, "resources": [
        read_event(SEED)["StatePayload"][0]["resources"][0],
        pilot_resource(),
    ]}]}


def prepare_mixed(drill: DrDrill) -> None:
    drill.add_global_db(MYSQL)
    drill.add_rds_replica(PILOT)
    drill.add_exports({name: value for name, value in EXPORTS.items() if name.startswith(MYSQL.global_id)})
    drill.add_exports(pilot_exports(), stack_name="rds-mysql-exports")


def run_mixed_layer(drill: DrDrill, verbose: bool) -> list[str]:
    """A global database and an RDS read replica in one layer, run side by side."""
    failures: list[str] = []
    show_world("Before (global databases)", drill, verbose)
    show_instances("Before (RDS instances)", drill, verbose)
    run = run_dr(drill, "dr-mixed-layer-1", mixed_payload(), f"layer 1 of events/{SEED} with events/{PILOT_LIGHT}'s resource",
                 verbose)
    show_world("After (global databases)", drill, verbose)
    show_instances("After (RDS instances)", drill, verbose)
    if verbose:
        print_dr_ledger(drill, run)
    print(one_line(drill, run), flush=True)
    expect_run(failures, drill, run, "restored")
    expect_resources(failures, drill, run, {MYSQL.global_id: ("done", None), PILOT.key: ("done", None)})
    expect_promotion_record(failures, drill, run, PILOT, "done")
    expect_writer(failures, drill, MYSQL, MYSQL.secondary_arn)
    expect_switches(failures, drill, {MYSQL.global_id: 1})
    expect_promotions(failures, drill, PILOT, 1)
    expect_standalone(failures, drill, PILOT)
    # Side by side: each resource started before either finished.
    started = [i for i, e in enumerate(run.events) if e["type"] == "StateEntered" and e.get("state") == "StartResource"]
    finished = [i for i, e in enumerate(run.events) if e["type"] == "StateEntered" and e.get("state") == "ResourceSucceeded"]
    check(failures, len(started) == 2 and bool(finished) and max(started) < min(finished),
          f"{run.name}: the two resources did not run at once (started at events {started}, finished at {finished})")
    held = {e.get("label") for e in run.events if e.get("state") == "CheckResource"}
    check(failures, held == {MYSQL.global_id, PILOT.key}, f"{run.name}: checks ran for {sorted(held)}")
    print(f"   one SwitchoverGlobalCluster ({len(drill.proxy.globals.accepted(MYSQL.global_id))}) and one PromoteReadReplica "
          f"({len(drill.proxy.replicas.accepted(PILOT.replica))}) in one layer; records under #dr:{MYSQL.global_id} "
          f"and #dr:{PILOT.key}", flush=True)
    return failures


def run_emulated_promotion(drill: DrDrill, verbose: bool) -> list[str]:
    """The proxy's PromoteReadReplica checked alone against the AWS API reference
    (read_replicas.py): its refusals, the phases, the standalone instance, the counting."""
    failures: list[str] = []
    west, east = drill.caller_in[DR], drill.caller_in[PRIMARY]

    def error_of(call, **params) -> tuple[str | None, int | None]:
        try:
            call(**params)
            return None, 200
        except ClientError as error:
            return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]

    def seen() -> tuple:
        i = west.describe_db_instances(DBInstanceIdentifier=PILOT.replica)["DBInstances"][0]
        return i["DBInstanceStatus"], i.get("ReadReplicaSourceDBInstanceIdentifier")

    for what, call, params, expected in [
        ("an unknown instance", west.promote_read_replica, {"DBInstanceIdentifier": "no-such-instance"},
         ("DBInstanceNotFound", 404)),
        ("an instance that is no replica", east.promote_read_replica, {"DBInstanceIdentifier": PILOT.source},
         ("InvalidDBInstanceState", 400)),
        ("the replica in the other region", east.promote_read_replica, {"DBInstanceIdentifier": PILOT.replica},
         ("DBInstanceNotFound", 404)),
        ("BackupRetentionPeriod 36", west.promote_read_replica,
         {"DBInstanceIdentifier": PILOT.replica, "BackupRetentionPeriod": 36}, ("InvalidParameterValue", 400)),
        ("PreferredBackupWindow 3am", west.promote_read_replica,
         {"DBInstanceIdentifier": PILOT.replica, "PreferredBackupWindow": "3am-4am"}, ("InvalidParameterValue", 400)),
        ("the replica while it backs up", west.promote_read_replica, {"DBInstanceIdentifier": PILOT.replica},
         ("InvalidDBInstanceState", 400)),
    ]:
        got = error_of(call, **params)
        check(failures, got == expected, f"{what}: answered {got}, expected {expected}")
    backing_up = seen()  # uses up the scripted backing-up
    check(failures, backing_up == ("backing-up", PILOT.source_arn), f"the replica before: {backing_up}")
    answer = west.promote_read_replica(DBInstanceIdentifier=PILOT.replica, **{k: (int(v) if v.isdigit() else v)
                                                                             for k, v in PILOT_BACKUPS.items()})["DBInstance"]
    check(failures, answer["DBInstanceStatus"] == "modifying" and answer.get("ReadReplicaSourceDBInstanceIdentifier") == PILOT.source_arn,
          f"the promotion's answer: {answer['DBInstanceStatus']}, source {answer.get('ReadReplicaSourceDBInstanceIdentifier')}")
    got = error_of(west.promote_read_replica, DBInstanceIdentifier=PILOT.replica)
    check(failures, got == ("InvalidDBInstanceState", 400), f"a second promotion meanwhile: {got}")
    phases = [seen() for _ in range(4)]
    expected_phases = [("modifying", PILOT.source_arn), ("modifying", PILOT.source_arn), ("rebooting", None), ("available", None)]
    check(failures, phases == expected_phases, f"describes after the promotion: {phases}, expected {expected_phases}")
    got = error_of(west.promote_read_replica, DBInstanceIdentifier=PILOT.replica)
    check(failures, got == ("InvalidDBInstanceState", 400), f"promoting the standalone instance: {got}")
    expect_standalone(failures, drill, PILOT)
    calls = drill.proxy.replicas.promote_calls()
    accepted = drill.proxy.replicas.accepted()
    check(failures, len(calls) == 9 and len(accepted) == 1, f"{len(calls)} calls counted, {len(accepted)} accepted; expected 9 and 1")
    if verbose:
        print(f"\n  describes after the promotion: {phases}")
        show_instances("After", drill, True)
    print(f"   {len(calls)} PromoteReadReplica calls, {len(accepted)} accepted; refused with "
          f"{sorted({c.error for c in calls if not c.accepted})}", flush=True)
    return failures


# --- the failback preparation (issue 11) ------------------------------------------------

# Written for a machine in us-east-1 with the global writer in us-west-2; its KmsKeyId is
# `!Import orders-east-kms-key-arn`, an export of us-east-1.
FAILBACK_PREPARATION = "dr/create-secondary-after-failover.json"
# orders-global as dr-unplanned-failover builds it, at the sample's EngineVersion (AWS
# makes a secondary at the global database's version).
ORDERS_BACK = dataclasses.replace(ORDERS, version="8.0.mysql_aurora.3.05.2")


def sample_parameters() -> dict:
    return read_event(FAILBACK_PREPARATION)["StatePayload"][0]["resources"][0]["parameters"]


def prepare_failback_preparation(drill: DrDrill) -> None:
    """orders-global (us-east-1 the primary, us-west-2 the secondary) and in us-east-1 what
    the sample names there: its DB subnet group, and its KMS key exported under the name
    its `!Import` gives."""
    drill.add_global_db(ORDERS_BACK)
    parameters = sample_parameters()
    drill.add_db_subnet_group(parameters["DBSubnetGroupName"])
    export = parameters["KmsKeyId"].removeprefix("!Import ").strip()
    drill.add_exports({export: drill.add_kms_key("orders-east storage, for the failback")})


def query_value(value) -> str:
    """A payload parameter as the AWS SDK sends it in a Query request."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def expect_sent(failures: list[str], what: str, sent: dict, expected: dict, absent: tuple = ()) -> None:
    wrong = {k: (sent.get(k), v) for k, v in expected.items() if sent.get(k) != v}
    check(failures, not wrong, f"{what} sent (got, expected): {wrong}")
    extra = [k for k in absent if k in sent]
    check(failures, not extra, f"{what} sent {extra}")


def run_failback_preparation(drill: DrDrill, verbose: bool) -> list[str]:
    """Issue 11, from us-east-1 after an unplanned failover to us-west-2: the old primary
    came back detached (refused, left alone), then is deleted (gone, as when AWS could not
    rebuild it); the sample makes us-east-1 a secondary again, once; a re-run is a no-op."""
    db, payload, parameters = ORDERS_BACK, read_event(FAILBACK_PREPARATION), sample_parameters()
    changes = drill.proxy.counters.changes
    source = f"events/{FAILBACK_PREPARATION}"

    # (1) The outage and the unplanned failover, as dr-unplanned-failover runs it.
    failures = run_unplanned_failover(drill, verbose)
    drill.proxy.set_regions_down(())
    check(failures, drill.probe(PRIMARY) is None, f"{PRIMARY} did not answer once back")

    # (4) us-east-1 is back, AWS did not rebuild the old primary: it sits there detached
    # from the global database, holding the name the payload asks for.
    drill.detach(db)
    show_world(f"{PRIMARY} back, {db.primary} detached from {db.global_id}", drill, verbose)
    mark = len(changes)
    refused = run_dr(drill, "dr-failback-prep-1", payload, f"{source}, {db.primary} standalone", verbose, region=PRIMARY)
    if verbose:
        print_dr_ledger(drill, refused)
    print(one_line(drill, refused), flush=True)
    expect_run(failures, drill, refused, "failed", status="FAILED")
    expect_resources(failures, drill, refused, {db.global_id: ("failed", "TargetNotInGlobalCluster")})
    cause = str((drill.resource_record(db.global_id, refused.name) or {}).get("errorCause"))
    check(failures, db.primary in cause, f"{refused.name}: the refusal does not name {db.primary}: {short(cause, 300)}")
    if verbose:
        print(f"\n  Refused: {short(cause, 300)}")
    made = changes[mark:]
    check(failures, not made, f"{refused.name}: calls that change something: {[(c.region, c.action) for c in made]}")
    detached = drill.cluster_in(PRIMARY, db.primary) or {}
    check(failures, bool(detached) and not detached.get("GlobalClusterIdentifier")
          and [m["DBInstanceIdentifier"] for m in detached.get("DBClusterMembers", [])] == [f"{db.primary}-1"],
          f"{refused.name}: the detached {db.primary} changed: {detached.get('GlobalClusterIdentifier')} "
          f"{[m['DBInstanceIdentifier'] for m in detached.get('DBClusterMembers', [])]}")

    # Its owner deletes it: nothing of the old primary is left in us-east-1.
    drill.delete_cluster(PRIMARY, db.primary)
    show_world(f"{db.primary} deleted", drill, verbose)

    # (2) The failback preparation: the secondary made again, with the sample's configuration.
    mark = len(changes)
    run = run_dr(drill, "dr-failback-prep-2", payload, source, verbose, region=PRIMARY)
    show_world("After", drill, verbose)
    if verbose:
        print_dr_ledger(drill, run)
    print(one_line(drill, run), flush=True)
    expect_run(failures, drill, run, "restored")
    expect_resources(failures, drill, run, {db.global_id: ("done", None)})
    made = changes[mark:]
    check(failures, [(c.region, c.action, c.status) for c in made]
          == [(PRIMARY, "CreateDBCluster", 200), (PRIMARY, "CreateDBInstance", 200)],
          f"{run.name}: calls that change something: {[(c.region, c.action, c.status) for c in made]}, "
          f"expected one CreateDBCluster and one CreateDBInstance in {PRIMARY}")
    exports = {e["Name"]: e["Value"] for e in drill.cloudformation.list_exports()["Exports"]}
    kms_key = exports.get(parameters["KmsKeyId"].removeprefix("!Import ").strip())
    sent = {c.action: c.params for c in made}
    expect_sent(failures, "CreateDBCluster", sent.get("CreateDBCluster", {}), {
        "DBClusterIdentifier": parameters["DBClusterName"],
        "GlobalClusterIdentifier": parameters["GlobalClusterIdentifier"],
        "Engine": parameters["Engine"],
        "EngineVersion": parameters["EngineVersion"],
        "DBSubnetGroupName": parameters["DBSubnetGroupName"],
        "VpcSecurityGroupIds.VpcSecurityGroupId.1": parameters["VpcSecurityGroupIds"],
        "KmsKeyId": kms_key,
        **{name: query_value(parameters[name]) for name in (
            "StorageEncrypted", "EnableIAMDatabaseAuthentication", "DeletionProtection", "BackupRetentionPeriod",
            "CopyTagsToSnapshot", "Port")},
    }, absent=("MasterUsername", "MasterUserPassword"))
    expect_sent(failures, "CreateDBInstance", sent.get("CreateDBInstance", {}), {
        "DBInstanceIdentifier": parameters["DBInstanceIdentifier"],
        "DBClusterIdentifier": parameters["DBClusterName"],
        "DBInstanceClass": parameters["DBInstanceClass"],
        "Engine": parameters["Engine"],
        **{name: query_value(parameters[name]) for name in ("MonitoringInterval", "MonitoringRoleArn", "AutoMinorVersionUpgrade")},
    })
    # The writer stayed in us-west-2; us-east-1 is a member again, not the writer, available.
    expect_writer(failures, drill, db, db.secondary_arn)
    g = next((g for g in drill.global_topology() if g["global"] == db.global_id), {"members": []})
    east = [(m["cluster"], m["writer"], m["status"]) for m in g["members"] if m["region"] == PRIMARY]
    check(failures, east == [(db.primary, False, "available")], f"{db.global_id}'s members in {PRIMARY}: {east}")
    cluster = drill.cluster_in(PRIMARY, db.primary) or {}
    check(failures, cluster.get("GlobalClusterIdentifier") == db.global_id,
          f"{db.primary}: GlobalClusterIdentifier {cluster.get('GlobalClusterIdentifier')!r}")
    instance = drill.instance_in(PRIMARY, parameters["DBInstanceIdentifier"]) or {}
    check(failures, instance.get("DBInstanceStatus") == "available" and instance.get("DBClusterIdentifier") == db.primary,
          f"{parameters['DBInstanceIdentifier']}: {instance.get('DBInstanceStatus')} in {instance.get('DBClusterIdentifier')}")
    seen = [r for r in results_for(run, "CheckResource", db.global_id) if isinstance(r, dict)]
    check(failures, any(r.get("targetStatus") == "creating" for r in seen),
          f"{run.name}: no check saw the new cluster creating: {[r.get('targetStatus') for r in seen]}")

    # (3) The same payload again: already done, nothing called.
    mark = len(changes)
    again = run_dr(drill, "dr-failback-prep-3", payload, f"{source} again", verbose, region=PRIMARY)
    if verbose:
        print_dr_ledger(drill, again)
    print(one_line(drill, again), flush=True)
    expect_run(failures, drill, again, "no-op")
    expect_resources(failures, drill, again, {db.global_id: ("already-done", None)})
    made = changes[mark:]
    check(failures, not made, f"{again.name}: calls that change something: {[(c.region, c.action) for c in made]}")
    check(failures, again.entered("ActOnResource") == 0, f"{again.name}: ActOnResource ran")
    creates = [(c.region, c.action) for c in changes if c.action in ("CreateDBCluster", "CreateDBInstance")]
    print(f"   creations in all: {creates}; checks while creating: {len(seen)}", flush=True)
    return failures


# --- the pilot light's failback preparation: a read replica back in us-east-1 -----------

# Written for a machine in us-east-1 after the pilot light's promotion in us-west-2: a read
# replica of the promoted instance, `rds-mysql-instance-east`; its KmsKeyId is
# `!Import rds-mysql-east-kms-key-arn`, an export of us-east-1.
PILOT_FAILBACK = "dr/create-replica-after-promotion.json"
# Who holds the replica's name in the refused run: a standalone instance of someone else's.
STRANGER_USER = "someone"


def replica_back_parameters() -> dict:
    return read_event(PILOT_FAILBACK)["StatePayload"][0]["resources"][0]["parameters"]


def prepare_pilot_light_failback(drill: DrDrill) -> None:
    """The pilot light (its instances encrypted: AWS makes an encrypted cross-region
    replica, as the payload's KmsKeyId asks, only of an encrypted source) with its
    exports in us-west-2, where its promotion runs; in us-east-1 what the failback payload
    names there: its DB subnet group (a VPC, two subnets) and its KMS key, exported under
    the name its `!Import` gives."""
    drill.add_rds_replica(PILOT, encrypted=True)
    drill.add_exports(pilot_exports(), stack_name="rds-mysql-exports", region=DR)
    parameters = replica_back_parameters()
    drill.add_db_subnet_group(parameters["DBSubnetGroup"], description="rds-mysql, failback")
    key = drill.add_kms_key(f"{parameters['RDSInstanceIdentifier']} storage", PRIMARY)
    drill.add_exports({imported(parameters["KmsKeyId"]): key}, stack_name="rds-mysql-east-keys", region=PRIMARY)


def instance_rows(drill: DrDrill) -> dict:
    return {(r["region"], r["instance"]): r for r in drill.rds_instances()}


def run_pilot_light_failback(drill: DrDrill, verbose: bool) -> list[str]:
    """After the pilot light's promotion in us-west-2 (from us-west-2, as dr-pilot-light),
    with the old source deleted in us-east-1: from us-east-1, the sample's replica name held
    by a standalone instance of someone else's (refused, IdentifierConflict, left alone);
    freed, the replica of the promoted instance made there once, as the sample configures
    it; the sample again: a no-op."""
    failures: list[str] = []
    payload, parameters = read_event(PILOT_FAILBACK), replica_back_parameters()
    source = f"events/{PILOT_FAILBACK}"
    new_id = parameters["RDSInstanceIdentifier"]
    new_arn = f"arn:aws:rds:{PRIMARY}:{ACCOUNT}:db:{new_id}"
    back = f"{INSTANCE_KEY_PREFIX}{new_id}"
    changes = drill.proxy.counters.changes
    east = drill.rds_in[PRIMARY]  # the drill's own hand, straight to moto

    # (1) The pilot light promoted in us-west-2, by the DR machine deployed there.
    show_instances("Before (RDS instances)", drill, verbose)
    expect_replica(failures, drill, PILOT)
    promoted = run_dr(drill, "dr-pilot-light-failback-1", read_event(PILOT_LIGHT), f"events/{PILOT_LIGHT}", verbose,
                      region=DR)
    if verbose:
        print_dr_ledger(drill, promoted)
    print(one_line(drill, promoted), flush=True)
    expect_run(failures, drill, promoted, "restored")
    expect_resources(failures, drill, promoted, {PILOT.key: ("done", None)})
    expect_promotion_record(failures, drill, promoted, PILOT, "done")
    expect_promotions(failures, drill, PILOT, 1)
    expect_standalone(failures, drill, PILOT)

    # (2) The old source is deleted; someone's standalone instance holds the name the
    # sample gives its replica.
    east.delete_db_instance(DBInstanceIdentifier=PILOT.source, SkipFinalSnapshot=True, DeleteAutomatedBackups=True)
    east.create_db_instance(
        DBInstanceIdentifier=new_id, Engine=PILOT.engine, EngineVersion=PILOT.version, DBInstanceClass="db.t4g.medium",
        AllocatedStorage=20, MasterUsername=STRANGER_USER, MasterUserPassword="drill-password-1", BackupRetentionPeriod=1,
        PreferredBackupWindow="08:00-08:30", PreferredMaintenanceWindow="sun:05:00-sun:05:30",
        AvailabilityZone=f"{PRIMARY}a")
    before = show_instances(f"{PILOT.source} deleted; a standalone {new_id} of someone else's in {PRIMARY}", drill, verbose)
    mark = len(changes)
    refused = run_dr(drill, "dr-pilot-light-failback-2", payload, f"{source}, {new_id} held by a standalone instance",
                     verbose, region=PRIMARY)
    if verbose:
        print_dr_ledger(drill, refused)
    print(one_line(drill, refused), flush=True)
    expect_run(failures, drill, refused, "failed", status="FAILED")
    expect_resources(failures, drill, refused, {back: ("failed", "IdentifierConflict")})
    cause = str((drill.resource_record(back, refused.name) or {}).get("errorCause"))
    check(failures, new_id in cause, f"{refused.name}: the refusal does not name {new_id}: {short(cause, 300)}")
    if verbose:
        print(f"\n  Refused: {short(cause, 300)}")
    made = changes[mark:]
    check(failures, not made, f"{refused.name}: calls that change something: {[(c.region, c.action) for c in made]}")
    check(failures, refused.entered("ActOnResource") == 0, f"{refused.name}: ActOnResource ran")
    check(failures, drill.rds_instances() == before, f"{refused.name}: the instances changed")

    # (3) Its owner deletes it: the name is free.
    east.delete_db_instance(DBInstanceIdentifier=new_id, SkipFinalSnapshot=True, DeleteAutomatedBackups=True)
    show_instances(f"{new_id} deleted by its owner", drill, verbose)
    mark = len(changes)
    run = run_dr(drill, "dr-pilot-light-failback-3", payload, source, verbose, region=PRIMARY)
    rows = instance_rows(drill)
    show_instances("After", drill, verbose)
    if verbose:
        print_dr_ledger(drill, run)
    print(one_line(drill, run), flush=True)
    expect_run(failures, drill, run, "restored")
    expect_resources(failures, drill, run, {back: ("done", None)})
    record = drill.item(f"#dr:{back}", f"run#{run.name}", PRIMARY) or {}
    check(failures, record.get("resourceType") == "CreateRDSReadReplica" and record.get("resourceKey") == back
          and record.get("outcome") == "done" and record.get("writerAfter") == PILOT.replica_arn,
          f"{run.name}: record under #dr:{back}: {record.get('resourceType')} {record.get('resourceKey')} "
          f"{record.get('outcome')}, replicating {record.get('writerAfter')}")
    made = changes[mark:]
    create = made[0] if made else None
    check(failures, [(c.region, c.action, c.status) for c in made] == [(PRIMARY, "CreateDBInstanceReadReplica", 200)],
          f"{run.name}: calls that change something: {[(c.region, c.action, c.status) for c in made]}, "
          f"expected one CreateDBInstanceReadReplica signed for {PRIMARY}")
    exports = {e["Name"]: e["Value"] for e in drill.cloudformation_in[PRIMARY].list_exports()["Exports"]}
    kms_key = exports.get(imported(parameters["KmsKeyId"]))
    sent = create.params if create else {}
    expect_sent(failures, "CreateDBInstanceReadReplica", sent, {
        "DBInstanceIdentifier": new_id,
        "SourceDBInstanceIdentifier": PILOT.replica_arn,
        "DBInstanceClass": parameters["DBInstanceClass"],
        "DBSubnetGroupName": parameters["DBSubnetGroup"],
        "VpcSecurityGroupIds.VpcSecurityGroupId.1": parameters["DBSecurityGroup"],
        "KmsKeyId": kms_key,
        **{name: query_value(parameters[name]) for name in (
            "MultiAZ", "AutoMinorVersionUpgrade", "Port", "CopyTagsToSnapshot", "EnableIAMDatabaseAuthentication")},
    }, absent=("MonitoringRoleArn", "DBParameterGroupName", "VpcSecurityGroupIds.VpcSecurityGroupId.2"))
    # MonitoringInterval 0 (no Enhanced Monitoring) is RDS's default: sent as 0 or not at all.
    check(failures, sent.get("MonitoringInterval") in (None, parameters["MonitoringInterval"]),
          f"CreateDBInstanceReadReplica sent MonitoringInterval {sent.get('MonitoringInterval')!r}")
    creations = drill.proxy.replicas.create_calls()
    check(failures, [(c.region, c.instance_id, c.accepted) for c in creations] == [(PRIMARY, new_id, True)],
          f"CreateDBInstanceReadReplica calls {[(c.region, c.instance_id, c.accepted, c.error) for c in creations]}")
    # The replica: of the promoted instance, available, encrypted with the sample's key, in
    # the sample's subnet group in us-east-1 (its VPC there), no backups (as RDS makes it).
    group_vpc = east.describe_db_subnet_groups(DBSubnetGroupName=parameters["DBSubnetGroup"])["DBSubnetGroups"][0]["VpcId"]
    replica = rows.get((PRIMARY, new_id)) or {}
    got = {k: replica.get(k) for k in ("source", "status", "encrypted", "kms", "subnet_group", "vpc", "retention")}
    expected = {"source": PILOT.replica_arn, "status": "available", "encrypted": True, "kms": kms_key,
                "subnet_group": parameters["DBSubnetGroup"], "vpc": group_vpc, "retention": 0}
    check(failures, got == expected, f"{new_id}: {got}, expected {expected}")
    west = rows.get((DR, PILOT.replica)) or {}
    check(failures, west.get("replicas") == [new_arn] and west.get("status") == "available" and not west.get("source"),
          f"{PILOT.replica}: {west.get('status')}, source {west.get('source')!r}, replicas {west.get('replicas')}, "
          f"expected a standalone instance feeding {new_arn}")
    check(failures, set(rows) == {(DR, PILOT.replica), (PRIMARY, new_id)}, f"instances: {sorted(rows)}")
    seen = [r.get("targetStatus") for r in results_for(run, "CheckResource", back) if isinstance(r, dict)]
    check(failures, "creating" in seen and seen[-1:] == ["available"],
          f"{run.name}: checks saw {seen}, expected creating, then available")

    # (4) The same payload again: already done, nothing called.
    mark = len(changes)
    again = run_dr(drill, "dr-pilot-light-failback-4", payload, f"{source} again", verbose, region=PRIMARY)
    if verbose:
        print_dr_ledger(drill, again)
    print(one_line(drill, again), flush=True)
    expect_run(failures, drill, again, "no-op")
    expect_resources(failures, drill, again, {back: ("already-done", None)})
    made = changes[mark:]
    check(failures, not made, f"{again.name}: calls that change something: {[(c.region, c.action) for c in made]}")
    check(failures, again.entered("ActOnResource") == 0, f"{again.name}: ActOnResource ran")
    check(failures, len(drill.proxy.replicas.create_calls()) == 1,
          f"{len(drill.proxy.replicas.create_calls())} CreateDBInstanceReadReplica calls in all, expected 1")
    check(failures, instance_rows(drill) == rows, f"{again.name}: the instances changed")

    # (5) The proxy's CreateDBInstanceReadReplica refusals, checked alone (read_replicas.py).
    caller = drill.caller_in[PRIMARY]

    def error_of(**params) -> tuple[str | None, int | None]:
        try:
            caller.create_db_instance_read_replica(DBInstanceClass="db.r6g.large", **params)
            return None, 200
        except ClientError as error:
            return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]

    for what, params, expected_error in [
        ("a name already taken", {"DBInstanceIdentifier": new_id, "SourceDBInstanceIdentifier": PILOT.replica_arn},
         ("DBInstanceAlreadyExists", 400)),
        ("an unknown source", {"DBInstanceIdentifier": "another-replica",
                               "SourceDBInstanceIdentifier": f"arn:aws:rds:{DR}:{ACCOUNT}:db:no-such-instance"},
         ("DBInstanceNotFound", 404)),
        ("a subnet group not in the caller's region", {
            "DBInstanceIdentifier": "another-replica", "SourceDBInstanceIdentifier": PILOT.replica_arn,
            "DBSubnetGroupName": "no-such-subnets"}, ("DBSubnetGroupNotFoundFault", 404)),
        ("a source without backups (the new replica)", {"DBInstanceIdentifier": "another-replica",
                                                        "SourceDBInstanceIdentifier": new_arn},
         ("InvalidDBInstanceState", 400)),
    ]:
        got = error_of(**params)
        check(failures, got == expected_error, f"the proxy, for {what}: answered {got}, expected {expected_error}")
    check(failures, instance_rows(drill) == rows, "a refused CreateDBInstanceReadReplica changed the instances")

    # What the call carried besides the payload's parameters (their Query names).
    from_payload = {"Action", "Version", "DBInstanceIdentifier", "SourceDBInstanceIdentifier", "DBInstanceClass",
                    "MultiAZ", "DBSubnetGroupName", "KmsKeyId", "AutoMinorVersionUpgrade", "Port", "CopyTagsToSnapshot",
                    "MonitoringInterval", "MonitoringRoleArn", "EnableIAMDatabaseAuthentication", "DBParameterGroupName"}
    extra = sorted(k for k in sent if k not in from_payload and not k.startswith("VpcSecurityGroupIds."))
    print(f"   CreateDBInstanceReadReplica from the runs: {len([c for c in creations if c.accepted])}, signed for "
          f"{create.region if create else None}, source {short(sent.get('SourceDBInstanceIdentifier'))}; "
          f"besides the payload's: {', '.join(f'{k}={sent[k]}' for k in extra) or 'nothing'}; MonitoringInterval "
          f"{sent['MonitoringInterval'] if 'MonitoringInterval' in sent else 'not sent'}; checks saw {seen}", flush=True)
    return failures


# --- ElastiCache global datastores, Aurora replica clusters -------------------------------

@dataclass(frozen=True)
class Datastore:
    """An ElastiCache global datastore: its primary replication group in us-east-1 (so its
    id has us-east-1's prefix), its secondary in us-west-2."""
    suffix: str
    primary: str
    secondary: str

    @property
    def global_id(self) -> str:
        return f"{ID_PREFIXES[PRIMARY]}-{self.suffix}"

    @property
    def key(self) -> str:
        return f"{CACHE_KEY_PREFIX}{self.global_id}"


@dataclass(frozen=True)
class ReplicaCluster:
    """An Aurora MySQL cluster in us-east-1 and its cross-region read replica cluster in us-west-2."""
    source: str
    replica: str
    engine: str = "aurora-mysql"
    version: str = MYSQL_VERSION

    @property
    def source_arn(self) -> str:
        return f"arn:aws:rds:{PRIMARY}:{ACCOUNT}:cluster:{self.source}"

    @property
    def replica_arn(self) -> str:
        return f"arn:aws:rds:{DR}:{ACCOUNT}:cluster:{self.replica}"

    @property
    def key(self) -> str:
        return f"{CLUSTER_KEY_PREFIX}{self.replica}"


SESSIONS = Datastore("sessions", "sessions-east", "sessions-west")
INVENTORY = ReplicaCluster("inventory-east", "inventory-west")


def datastore_resource(store: Datastore) -> dict:
    return {"resourceType": "FailoverElastiCacheCluster",
            "resourceName": f"Fail over the {store.suffix} global datastore to {DR}",
            "parameters": {"GlobalReplicationGroupId": store.global_id, "TargetRegion": DR,
                           "TargetReplicationGroupId": store.secondary}}


def replica_cluster_resource(pair: ReplicaCluster) -> dict:
    return {"resourceType": "PromoteAuroraReadReplicaCluster",
            "resourceName": f"Promote the Aurora MySQL replica cluster {pair.replica}",
            "parameters": {"DBClusterIdentifier": pair.replica}}


def one_layer(*resources: dict) -> dict:
    return {"StatePayload": [{"layer": 1, "resources": list(resources)}]}


def print_datastores(title: str, rows: list[dict]) -> None:
    print(f"\n  {title}")
    print(f"    {'global datastore':<34} {'status':<11} {'region':<10} {'replication group':<28} role")
    for g in rows:
        for i, (region, group, role) in enumerate(g["members"]):
            head = f"{g['global']:<34} {g['status']:<11}" if i == 0 else " " * 46
            print(f"    {head} {region:<10} {group:<28} {role}")
    if not rows:
        print("    (none)")


def show_datastores(title: str, drill: DrDrill, verbose: bool) -> list[dict]:
    rows = drill.datastores()
    if verbose:
        print_datastores(title, rows)
    return rows


def replica_cluster_row(drill: DrDrill, pair: ReplicaCluster) -> dict:
    """The replica cluster and its source as the Lambdas would see them (peeks)."""
    replica = drill.cluster_in(DR, pair.replica) or {}
    source = drill.cluster_in(PRIMARY, pair.source) or {}
    return {"status": replica.get("Status", "gone"), "source": replica.get("ReplicationSourceIdentifier"),
            "listed": list(source.get("ReadReplicaIdentifiers") or [])}


def show_replica_clusters(title: str, drill: DrDrill, pairs, verbose: bool) -> dict:
    rows = {pair.replica: replica_cluster_row(drill, pair) for pair in pairs}
    if verbose:
        print(f"\n  {title}")
        print(f"    {'region':<10} {'cluster':<24} {'status':<11} {'replicates':<34} its source lists it")
        for pair in pairs:
            row = rows[pair.replica]
            print(f"    {DR:<10} {pair.replica:<24} {row['status']:<11} {short(row['source'] or '- (standalone)', 34):<34} "
                  f"{'yes' if pair.replica_arn in row['listed'] else 'no'}")
    return rows


def expect_datastore_primary(failures: list[str], drill: DrDrill, store: Datastore, region: str) -> None:
    """The datastore's primary is its member in `region`, and the datastore is available."""
    g = next((g for g in drill.datastores() if g["global"] == store.global_id), None)
    if g is None:
        failures.append(f"global datastore {store.global_id} is gone")
        return
    primaries = [(r, group) for r, group, role in g["members"] if role.upper() == "PRIMARY"]
    expected = [(region, store.secondary if region == DR else store.primary)]
    check(failures, primaries == expected and g["status"] == "available",
          f"{store.global_id}: {g['status']}, primary {primaries}, expected available with primary {expected}")


def expect_datastore_failovers(failures: list[str], drill: DrDrill, store: Datastore, count: int) -> None:
    """Exactly `count` FailoverGlobalReplicationGroup calls for the datastore reached the
    proxy, all accepted, from us-west-2, naming its member there."""
    calls = drill.proxy.datastores.failover_calls(store.global_id)
    check(failures, len(calls) == count and all(c.accepted and c.region == DR and c.primary_region == DR
                                                and c.primary_group == store.secondary for c in calls),
          f"{store.global_id}: FailoverGlobalReplicationGroup calls "
          f"{[(c.region, c.primary_region, c.primary_group, c.accepted, c.error) for c in calls]}, "
          f"expected {count} accepted from {DR} naming ({DR}, {store.secondary})")


def expect_cluster_promotions(failures: list[str], drill: DrDrill, pair: ReplicaCluster, count: int) -> None:
    calls = drill.proxy.replica_clusters.promote_calls(pair.replica)
    check(failures, len(calls) == count and all(c.accepted and c.region == DR for c in calls),
          f"{pair.replica}: PromoteReadReplicaDBCluster calls {[(c.region, c.accepted, c.error) for c in calls]}, "
          f"expected {count} accepted in {DR}")


def expect_standalone_cluster(failures: list[str], drill: DrDrill, pair: ReplicaCluster) -> None:
    row = replica_cluster_row(drill, pair)
    check(failures, row["status"] == "available" and not row["source"] and pair.replica_arn not in row["listed"],
          f"{pair.replica}: {row['status']}, source {row['source']!r}, listed by its source: "
          f"{pair.replica_arn in row['listed']}; expected a standalone available cluster")


def expect_resource_record(failures: list[str], drill: DrDrill, run: Execution, key: str, resource_type: str,
                           outcome: str) -> dict:
    """The resource's own record under #dr:<key>, as this run left it."""
    item = drill.resource_record(key, run.name) or {}
    check(failures, item.get("resourceType") == resource_type and item.get("resourceKey") == key
          and item.get("outcome") == outcome,
          f"{run.name}: record under #dr:{key}: {item.get('resourceType')} {item.get('resourceKey')} {item.get('outcome')}, "
          f"expected {resource_type} {key} {outcome}")
    return item


def changes_since(drill: DrDrill, mark: int) -> list[tuple]:
    return [(c.region, c.action) for c in drill.proxy.counters.changes[mark:]]


def prepare_datastore(drill: DrDrill) -> None:
    drill.add_datastore(SESSIONS)


def run_elasticache_failover(drill: DrDrill, verbose: bool) -> list[str]:
    """A payload failing the sessions global datastore over to its us-west-2 replication
    group: one FailoverGlobalReplicationGroup, checked until us-west-2 is the primary and
    the datastore available; then the payload again: already done, nothing called."""
    failures: list[str] = []
    payload = one_layer(datastore_resource(SESSIONS))
    before = show_datastores("Before (ElastiCache global datastores)", drill, verbose)
    check(failures, [g["members"] for g in before if g["global"] == SESSIONS.global_id]
          == [[(PRIMARY, SESSIONS.primary, "PRIMARY"), (DR, SESSIONS.secondary, "SECONDARY")]],
          f"{SESSIONS.global_id} before the run: {before}")
    mark = len(drill.proxy.counters.changes)
    run = run_dr(drill, "dr-elasticache-failover-1", payload, f"a payload failing {SESSIONS.global_id} over to {DR}", verbose)
    show_datastores("After", drill, verbose)
    if verbose:
        print_dr_ledger(drill, run)
    print(one_line(drill, run), flush=True)
    expect_run(failures, drill, run, "restored")
    expect_resources(failures, drill, run, {SESSIONS.key: ("done", None)})
    expect_resource_record(failures, drill, run, SESSIONS.key, "FailoverElastiCacheCluster", "done")
    expect_datastore_primary(failures, drill, SESSIONS, DR)
    expect_datastore_failovers(failures, drill, SESSIONS, 1)
    made = changes_since(drill, mark)
    check(failures, made == [(DR, "FailoverGlobalReplicationGroup")],
          f"{run.name}: calls that change something: {made}, expected one FailoverGlobalReplicationGroup from {DR}")
    checks = results_for(run, "CheckResource", SESSIONS.key)
    check(failures, len(checks) >= 2 and "modifying" in json.dumps(checks[:-1]),
          f"{run.name}: {len(checks)} checks, none saw the datastore modifying: {short(json.dumps(checks), 300)}")
    check(failures, "restored" in drill.published_outcomes(), "no DR run-finished event with outcome restored")

    mark = len(drill.proxy.counters.changes)
    again = run_dr(drill, "dr-elasticache-failover-2", payload, "the same payload again", verbose)
    if verbose:
        print_dr_ledger(drill, again)
    print(one_line(drill, again), flush=True)
    expect_run(failures, drill, again, "no-op")
    expect_resources(failures, drill, again, {SESSIONS.key: ("already-done", None)})
    expect_resource_record(failures, drill, again, SESSIONS.key, "FailoverElastiCacheCluster", "already-done")
    check(failures, again.entered("ActOnResource") == 0, f"{again.name}: ActOnResource ran")
    check(failures, not changes_since(drill, mark), f"{again.name}: calls that change something: {changes_since(drill, mark)}")
    expect_datastore_failovers(failures, drill, SESSIONS, 1)
    expect_datastore_primary(failures, drill, SESSIONS, DR)
    print(f"   FailoverGlobalReplicationGroup calls: {len(drill.proxy.datastores.failover_calls())} "
          f"(accepted {len(drill.proxy.datastores.accepted())}); checks of the first run: {len(checks)}", flush=True)
    return failures


# AuroraBinlogReplicaLag of the replica cluster before its promotion, in seconds.
INVENTORY_LAG_SECONDS = 2.0


def prepare_replica_cluster(drill: DrDrill) -> None:
    drill.add_replica_cluster(INVENTORY)
    drill.put_metric(DR, "AuroraBinlogReplicaLag", "DBClusterIdentifier", INVENTORY.replica, INVENTORY_LAG_SECONDS, "Seconds")


def run_aurora_replica_promotion(drill: DrDrill, verbose: bool) -> list[str]:
    """A payload promoting the Aurora MySQL replica cluster in us-west-2: one
    PromoteReadReplicaDBCluster, checked through `promoting` until the cluster is
    standalone; the plan reads its AuroraBinlogReplicaLag; the payload again: already done."""
    failures: list[str] = []
    payload = one_layer(replica_cluster_resource(INVENTORY))
    before = show_replica_clusters("Before (Aurora replica clusters)", drill, [INVENTORY], verbose)[INVENTORY.replica]
    check(failures, before == {"status": "available", "source": INVENTORY.source_arn, "listed": [INVENTORY.replica_arn]},
          f"{INVENTORY.replica} before the run: {before}")
    mark = len(drill.proxy.counters.changes)
    run = run_dr(drill, "dr-aurora-replica-promotion-1", payload, f"a payload promoting {INVENTORY.replica}", verbose)
    show_replica_clusters("After", drill, [INVENTORY], verbose)
    if verbose:
        print_dr_ledger(drill, run)
    print(one_line(drill, run), flush=True)
    expect_run(failures, drill, run, "restored")
    expect_resources(failures, drill, run, {INVENTORY.key: ("done", None)})
    expect_resource_record(failures, drill, run, INVENTORY.key, "PromoteAuroraReadReplicaCluster", "done")
    expect_standalone_cluster(failures, drill, INVENTORY)
    expect_cluster_promotions(failures, drill, INVENTORY, 1)
    made = changes_since(drill, mark)
    check(failures, made == [(DR, "PromoteReadReplicaDBCluster")],
          f"{run.name}: calls that change something: {made}, expected one PromoteReadReplicaDBCluster in {DR}")
    checks = results_for(run, "CheckResource", INVENTORY.key)
    check(failures, "promoting" in json.dumps(checks), f"{run.name}: no check saw the cluster promoting: {short(json.dumps(checks), 300)}")
    plans = [r for r in results_for(run, "PlanResource", INVENTORY.key) if isinstance(r, dict)]
    lags = [p.get("replicationLagMs") for p in plans]
    check(failures, bool(lags) and lags[0] == INVENTORY_LAG_SECONDS * 1000,
          f"{run.name}: the plan's replicationLagMs {lags}, expected {INVENTORY_LAG_SECONDS * 1000:.0f} "
          f"(AuroraBinlogReplicaLag {INVENTORY_LAG_SECONDS} s, read through CloudWatch)")

    mark = len(drill.proxy.counters.changes)
    again = run_dr(drill, "dr-aurora-replica-promotion-2", payload, "the same payload again", verbose)
    if verbose:
        print_dr_ledger(drill, again)
    print(one_line(drill, again), flush=True)
    expect_run(failures, drill, again, "no-op")
    expect_resources(failures, drill, again, {INVENTORY.key: ("already-done", None)})
    check(failures, again.entered("ActOnResource") == 0, f"{again.name}: ActOnResource ran")
    check(failures, not changes_since(drill, mark), f"{again.name}: calls that change something: {changes_since(drill, mark)}")
    expect_cluster_promotions(failures, drill, INVENTORY, 1)
    expect_standalone_cluster(failures, drill, INVENTORY)
    print(f"   PromoteReadReplicaDBCluster calls: {len(drill.proxy.replica_clusters.promote_calls())}; "
          f"plan's lag {lags[:1]} ms; checks of the first run: {len(checks)}", flush=True)
    return failures


# --- the capacity hand-off: the DR run starts the failback workflow --------------------------

# A global database whose secondary in us-west-2 runs a small writer (db.r6g.large) while its
# writer-class tag asks for db.r6g.2xlarge, as its primary in us-east-1 has.
LEDGER = GlobalDb("ledger-global", "aurora-postgresql", POSTGRES_VERSION, "ledger-east", "ledger-west")
LEDGER_CLASS, LEDGER_SMALL = "db.r6g.2xlarge", "db.r6g.large"
# The tags the failback workflow reads (crates/failback-core/src/model.rs: TAG_ENABLED,
# TAG_WRITER_CLASS): a manual run (the hand-off's) acts only on an opted-in cluster.
TAG_ENABLED, TAG_WRITER_CLASS = "aurora-failback:enabled", "aurora-failback:writer-class"
FAILBACK_FUNCTIONS = ["describe-writer", "create-reader", "check-status", "failover", "record-run"]


def handoff_name(dr_run_name: str, cluster_id: str) -> str:
    """The failback execution's name the DR machine derives (StartFailbackRun's Name.$:
    States.Format('dr-{}', States.Hash('<DR execution name>/<cluster>', 'SHA-256')))."""
    return "dr-" + hashlib.sha256(f"{dr_run_name}/{cluster_id}".encode()).hexdigest()


def prepare_capacity_handoff(drill: DrDrill) -> None:
    drill.add_global_db(LEDGER)
    east, west = drill.rds_in[PRIMARY], drill.rds_in[DR]
    east.modify_db_instance(DBInstanceIdentifier=f"{LEDGER.primary}-1", DBInstanceClass=LEDGER_CLASS, ApplyImmediately=True)
    tags = [{"Key": TAG_ENABLED, "Value": "true"}, {"Key": TAG_WRITER_CLASS, "Value": LEDGER_CLASS}]
    east.add_tags_to_resource(ResourceName=LEDGER.primary_arn, Tags=tags)
    west.add_tags_to_resource(ResourceName=LEDGER.secondary_arn, Tags=tags)


def cluster_rows(drill: DrDrill, cluster_id: str) -> list[dict]:
    return [r for r in drill.topology() if r["cluster"] == cluster_id]


def handoff_arn_of(item: dict) -> str | None:
    """The failback execution's ARN in a DR resource record: handoffExecutionArn, or a
    `handoff` map (or its JSON) with executionArn."""
    if item.get("handoffExecutionArn"):
        return item["handoffExecutionArn"]
    handoff = item.get("handoff")
    if isinstance(handoff, str):
        try:
            handoff = json.loads(handoff)
        except ValueError:
            return None
    if isinstance(handoff, dict):
        value = handoff.get("executionArn")
        return next(iter(value.values())) if isinstance(value, dict) else value
    return None


def run_capacity_handoff(drill: DrDrill, verbose: bool) -> list[str]:
    """The switchover leaves us-west-2 taking writes on a db.r6g.large writer whose cluster's
    writer-class tag says db.r6g.2xlarge: the DR machine starts the failback workflow for it
    (StartFailbackRun, states:startExecution), which restores the class; the DR resource
    record names that execution. The payload again: already done, no second hand-off."""
    failures: list[str] = []
    payload = one_layer({"resourceType": "PlannedFailoverAurora",
                         "resourceName": "Switchover of the ledger global database",
                         "parameters": {"GlobalClusterIdentifier": LEDGER.global_id, "DBClusterIdentifier": LEDGER.secondary}})
    show_world("Before", drill, verbose)
    if verbose:
        base.print_topology(f"Before ({LEDGER.secondary}, {DR})", cluster_rows(drill, LEDGER.secondary))
    before = [r for r in cluster_rows(drill, LEDGER.secondary) if r["writer"]]
    check(failures, [r["class"] for r in before] == [LEDGER_SMALL], f"{LEDGER.secondary}'s writer before: {before}")
    run = run_dr(drill, "dr-capacity-handoff-1", payload, f"a payload switching {LEDGER.global_id} over to {DR}", verbose)
    show_world("After", drill, verbose)
    after = cluster_rows(drill, LEDGER.secondary)
    if verbose:
        base.print_topology(f"After ({LEDGER.secondary}, {DR})", after)
        print_dr_ledger(drill, run)
    print(one_line(drill, run), flush=True)
    expect_run(failures, drill, run, "restored")
    expect_resources(failures, drill, run, {LEDGER.global_id: ("done", None)})
    expect_writer(failures, drill, LEDGER, LEDGER.secondary_arn)
    expect_switches(failures, drill, {LEDGER.global_id: 1})

    name = handoff_name(run.name, LEDGER.secondary)
    arn = f"arn:aws:states:{DR}:{ACCOUNT}:execution:aurora-failback:{name}"
    children = list(run.children.values())
    check(failures, [c.arn for c in children] == [arn],
          f"{run.name}: executions started {[c.arn for c in children]}, expected [{arn}]")
    child = run.children.get(arn)
    if child is not None:
        if verbose:
            print(f"\n  Failback execution started by the hand-off: {child.name}: {child.status}")
            print_ledger_brief(drill.item(LEDGER.secondary, f"run#{child.name}"))
        check(failures, child.input == {"clusterId": LEDGER.secondary},
              f"{child.name}: input {child.input}, expected {{'clusterId': '{LEDGER.secondary}'}}")
        check(failures, child.status == "SUCCEEDED", f"{child.name}: {child.status} {child.error}: {short(child.cause, 300)}")
        record = drill.item(LEDGER.secondary, f"run#{child.name}") or {}
        check(failures, record.get("outcome") == "restored",
              f"{child.name}: failback ledger outcome {record.get('outcome')!r} ({short(record.get('summary'), 200)})")
    writers = [(r["instance"], r["class"]) for r in after if r["writer"]]
    check(failures, [c for _, c in writers] == [LEDGER_CLASS],
          f"{LEDGER.secondary}'s writer after the hand-off: {writers}, expected one {LEDGER_CLASS}")
    check(failures, drill.proxy.counters.failovers_performed == 1 and drill.proxy.counters.create_instance_succeeded == 1,
          f"the failback made {drill.proxy.counters.create_instance_succeeded} instances and "
          f"{drill.proxy.counters.failovers_performed} failovers, expected 1 and 1")
    item = drill.resource_record(LEDGER.global_id, run.name) or {}
    check(failures, handoff_arn_of(item) == arn,
          f"{run.name}: the resource record names hand-off {handoff_arn_of(item)!r}, expected {arn} "
          f"(fields: {sorted(k for k in item if 'hand' in k.lower()) or sorted(item)})")

    again = run_dr(drill, "dr-capacity-handoff-2", payload, "the same payload again", verbose)
    if verbose:
        print_dr_ledger(drill, again)
    print(one_line(drill, again), flush=True)
    expect_run(failures, drill, again, "no-op")
    expect_resources(failures, drill, again, {LEDGER.global_id: ("already-done", None)})
    check(failures, not again.children and again.entered("StartFailbackRun") == 0,
          f"{again.name}: started {[c.arn for c in again.children.values()]} (the writer already is {LEDGER_CLASS})")
    expect_switches(failures, drill, {LEDGER.global_id: 1})
    print(f"   hand-off: {child.name if child else None} {child.status if child else ''}; writer now {writers}; "
          f"resource record names {short(handoff_arn_of(item), 90)}", flush=True)
    return failures


def print_ledger_brief(record: dict | None) -> None:
    record = record or {}
    for key in ("runName", "outcome", "summary", "fromClass", "toClass", "createdInstanceId", "error"):
        if key in record:
            print(f"    {key:<18} {short(record[key], 110)}")


# --- dr-readiness: would a DR run go through now? ------------------------------------------

READINESS_PARAMETER = "/aurora-failback/dr/readiness-payload"
# What the scenario publishes in CloudWatch (us-west-2), and what dr-readiness must report.
READINESS_LAGS = {
    PILOT.key: ("ReplicaLag", "DBInstanceIdentifier", PILOT.replica, 300.0, "Seconds", 300.0),
    MYSQL.global_id: ("AuroraGlobalDBReplicationLag", "DBClusterIdentifier", MYSQL.secondary, 200.0, "Milliseconds", 0.2),
    POSTGRES.global_id: ("AuroraGlobalDBReplicationLag", "DBClusterIdentifier", POSTGRES.secondary, 150.0, "Milliseconds", 0.15),
    INVENTORY.key: ("AuroraBinlogReplicaLag", "DBClusterIdentifier", INVENTORY.replica, 3.0, "Seconds", 3.0),
}
# (ready, state) per resource key: the replica lags 300 s (above the default 60 s), the MySQL
# global database is being switched over by someone; the others could go now.
READINESS_EXPECTED = {
    PILOT.key: (False, "act"),
    MYSQL.global_id: (False, "in-progress"),
    POSTGRES.global_id: (True, "act"),
    INVENTORY.key: (True, "act"),
}


def readiness_payload() -> dict:
    switch = read_event(SEED)["StatePayload"][0]["resources"]
    return {"StatePayload": [
        {"layer": 1, "resources": [
            {**switch[0], "parameters": {"GlobalClusterIdentifier": MYSQL.global_id, "DBClusterIdentifier": MYSQL.secondary}},
            {**switch[1], "parameters": {"GlobalClusterIdentifier": POSTGRES.global_id, "DBClusterIdentifier": POSTGRES.secondary}},
        ]},
        {"layer": 2, "resources": [
            {**pilot_resource(), "parameters": {"RDSInstanceIdentifier": PILOT.replica, "TargetClusterIdentifier": PILOT.source_arn,
                                                **PILOT_BACKUPS}},
            replica_cluster_resource(INVENTORY),
        ]},
    ]}


def prepare_readiness(drill: DrDrill) -> None:
    for db in (MYSQL, POSTGRES):
        drill.add_global_db(db)
    drill.add_rds_replica(PILOT)
    drill.add_replica_cluster(INVENTORY)
    for metric, dimension, value, amount, unit, _ in READINESS_LAGS.values():
        drill.put_metric(DR, metric, dimension, value, amount, unit)
    drill.ssm.put_parameter(Name=READINESS_PARAMETER, Value=json.dumps(readiness_payload()), Type="String")
    # Someone switches the MySQL global database over; it stays under way (the scenario's
    # Behaviour: describes_while_switching is large).
    drill.caller_in[DR].switchover_global_cluster(GlobalClusterIdentifier=MYSQL.global_id,
                                                  TargetDbClusterIdentifier=MYSQL.secondary_arn)


def emf_metric_names(line: dict) -> set[str]:
    return {m.get("Name") for d in line.get("_aws", {}).get("CloudWatchMetrics", []) for m in d.get("Metrics", [])}


def expect_readiness(failures: list[str], what: str, invoked, payload_name: str) -> dict:
    """The report of one dr-readiness invocation against READINESS_EXPECTED; its EMF lines."""
    report = invoked.body if isinstance(invoked.body, dict) else {}
    check(failures, not invoked.error, f"{what}: dr-readiness failed: {short(json.dumps(invoked.body), 300)}")
    check(failures, report.get("payload") == payload_name and report.get("ready") is False and report.get("notReady") == 2,
          f"{what}: payload {report.get('payload')!r}, ready {report.get('ready')}, notReady {report.get('notReady')}; "
          f"expected {payload_name!r}, false, 2")
    by_key = {r.get("resourceKey"): r for r in report.get("resources", []) if isinstance(r, dict)}
    check(failures, set(by_key) == set(READINESS_EXPECTED), f"{what}: resources {sorted(by_key)}")
    for key, (ready, state) in READINESS_EXPECTED.items():
        r = by_key.get(key, {})
        check(failures, (r.get("ready"), r.get("state")) == (ready, state),
              f"{what}: {key} ready {r.get('ready')} ({r.get('state')}: {short(r.get('reason'), 160)}), expected {ready} ({state})")
        check(failures, bool(r.get("reason")), f"{what}: {key} has no reason")
        lag = READINESS_LAGS[key][-1]
        got = r.get("replicationLagSeconds")
        check(failures, isinstance(got, (int, float)) and abs(got - lag) < 1e-6,
              f"{what}: {key} replicationLagSeconds {got!r}, expected {lag} (from {READINESS_LAGS[key][0]})")
    lag_reason = str(by_key.get(PILOT.key, {}).get("reason", "")).lower()
    check(failures, "lag" in lag_reason and "300" in lag_reason,
          f"{what}: the replica's reason does not give its lag (300 s): {lag_reason!r}")
    lines = invoked.log_json()
    totals = [line for line in lines if "ResourcesNotReady" in line]
    check(failures, len(totals) == 1 and totals[0].get("ResourcesNotReady") == 2
          and "ResourcesNotReady" in emf_metric_names(totals[0])
          and all(d.get("Namespace") == "AuroraFailback" for d in totals[0].get("_aws", {}).get("CloudWatchMetrics", [])),
          f"{what}: EMF lines with ResourcesNotReady: {totals}, expected one saying 2 in namespace AuroraFailback")
    per_resource = {line.get("ResourceKey"): line for line in lines if "ResourceReady" in line}
    check(failures, {k: v.get("ResourceReady") for k, v in per_resource.items()}
          == {k: int(ready) for k, (ready, _) in READINESS_EXPECTED.items()},
          f"{what}: EMF ResourceReady per resource {({k: v.get('ResourceReady') for k, v in per_resource.items()})}")
    pilot_line = per_resource.get(PILOT.key, {})
    check(failures, pilot_line.get("ReplicationLagSeconds") == 300 and "ReplicationLagSeconds" in emf_metric_names(pilot_line),
          f"{what}: the replica's EMF line {pilot_line}: no ReplicationLagSeconds 300")
    return by_key


def run_readiness(drill: DrDrill, verbose: bool) -> list[str]:
    """dr-readiness invoked as its schedule would, on a payload in SSM and inline: the RDS
    replica lagging 300 s and the global database mid-switchover are not ready (with
    their reasons), the healthy global database and replica cluster are; EMF says 2 not
    ready; nothing changed."""
    failures: list[str] = []
    show_world("Before (one switchover under way, started by someone else)", drill, verbose)
    mark = len(drill.proxy.counters.changes)
    switches = len(drill.proxy.globals.switch_calls())
    invoked = drill.lambdas.invoke("dr-readiness", {"payloadParameter": READINESS_PARAMETER})
    by_key = expect_readiness(failures, f"payload {READINESS_PARAMETER}", invoked, READINESS_PARAMETER)
    if verbose:
        print(f"\n  dr-readiness {{\"payloadParameter\": \"{READINESS_PARAMETER}\"}}")
        print(f"    {'resource key':<34} {'ready':<6} {'state':<12} {'lag s':>7}  reason")
        for key in READINESS_EXPECTED:
            r = by_key.get(key, {})
            print(f"    {key:<34} {str(r.get('ready')):<6} {str(r.get('state')):<12} {r.get('replicationLagSeconds')!s:>7}  "
                  f"{short(r.get('reason'), 90)}")
        print("\n  EMF lines")
        for line in invoked.log_json():
            if "_aws" in line:
                print(f"    {short(json.dumps({k: v for k, v in line.items() if k != '_aws'}), 150)}")
    inline = drill.lambdas.invoke("dr-readiness", {"payload": readiness_payload()})
    expect_readiness(failures, "inline payload", inline, "inline")
    missing = drill.lambdas.invoke("dr-readiness", {"payloadParameter": "/aurora-failback/dr/no-such-payload"})
    error_type = missing.body.get("errorType") if isinstance(missing.body, dict) else None
    check(failures, missing.error and error_type == "InvalidInput",
          f"a missing payload parameter: {'error' if missing.error else 'answered'} {error_type or short(json.dumps(missing.body), 200)}, "
          "expected InvalidInput")
    check(failures, not changes_since(drill, mark), f"dr-readiness changed something: {changes_since(drill, mark)}")
    check(failures, len(drill.proxy.globals.switch_calls()) == switches, "dr-readiness switched a global cluster")
    g = next((g for g in drill.global_topology() if g["global"] == MYSQL.global_id), {})
    check(failures, g.get("switch") in ("pending", "switching-over"),
          f"{MYSQL.global_id}'s switchover is no longer under way ({g.get('switch')}): the scenario did not test what it says")
    print(f"   ready {by_key and sorted(k for k, r in by_key.items() if r.get('ready'))}, not ready "
          f"{sorted(k for k, r in by_key.items() if not r.get('ready'))}; EMF ResourcesNotReady "
          f"{[line.get('ResourcesNotReady') for line in invoked.log_json() if 'ResourcesNotReady' in line]}", flush=True)
    return failures


# --- the proxy's newer emulations, and run_machine's states:startExecution, checked alone ----

HANDOFF_CHECK_PARENT = {
    "Comment": "The drill's check of states:startExecution (run_machine.mjs).",
    "StartAt": "Start",
    "States": {
        "Start": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
                  "Parameters": {"StateMachineArn": "${ChildArn}", "Name.$": "$.name", "Input": {"clusterId.$": "$.cluster"}},
                  "ResultPath": "$.started", "Next": "StartAgain"},
        "StartAgain": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
                       "Parameters": {"StateMachineArn": "${ChildArn}", "Name.$": "$.name", "Input": {"clusterId": "another"}},
                       "ResultPath": "$.again",
                       "Catch": [{"ErrorEquals": ["StepFunctions.ExecutionAlreadyExistsException"], "ResultPath": "$.refused",
                                  "Next": "Done"}],
                       "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}
HANDOFF_CHECK_CHILD = {
    "StartAt": "Wait",
    "States": {"Wait": {"Type": "Wait", "Seconds": 5, "Next": "Answer"},
               "Answer": {"Type": "Pass", "Parameters": {"cluster.$": "$.clusterId", "execution.$": "$$.Execution.Id"}, "End": True}},
}


def check_start_execution(drill: DrDrill, verbose: bool) -> list[str]:
    """run_machine.mjs's states:startExecution: the child started and waited for, its
    output seen; a second start of the name refused (ExecutionAlreadyExists, caught), in the
    run and in a later run."""
    import tempfile
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="drill-handoff-check-") as folder:
        parent_path, child_path = Path(folder) / "parent.asl.json", Path(folder) / "child.asl.json"
        parent_path.write_text(json.dumps(HANDOFF_CHECK_PARENT))
        child_path.write_text(json.dumps(HANDOFF_CHECK_CHILD))
        child = Machine(child_path, "handoff-check-child", DR, {})
        parent = Machine(parent_path, "handoff-check", DR, {"ChildArn": child.arn}, children=(child,))
        arn = f"arn:aws:states:{DR}:{ACCOUNT}:execution:{child.name}:check-1"
        runs = []
        for number in (1, 2):
            execution, thread = Drill.start(drill, f"handoff-check-{number}", {"name": "check-1", "cluster": "orders"}, None,
                                            machine=parent, lambdas_endpoint=drill.lambdas.endpoint)
            thread.join()
            runs.append(execution)
        first, second = runs
        started = (first.task_results("Start") or [None])[0] or {}
        check(failures, first.status == "SUCCEEDED" and started.get("ExecutionArn") == arn
              and isinstance(started.get("StartDate"), int),
              f"the first start: {first.status} {first.error}, answered {started}")
        refused = (first.output or {}).get("refused") or {}
        check(failures, refused.get("Error") == "StepFunctions.ExecutionAlreadyExistsException",
              f"a second start of the name in the same run: {first.output}")
        child_run = first.children.get(arn)
        check(failures, child_run is not None and child_run.status == "SUCCEEDED"
              and child_run.output == {"cluster": "orders", "execution": arn}
              and child_run.input == {"clusterId": "orders"},
              f"the child: {child_run and (child_run.status, child_run.input, child_run.output)}")
        check(failures, second.status == "FAILED" and second.error == "StepFunctions.ExecutionAlreadyExistsException"
              and not second.children,
              f"a later run starting the name again: {second.status} {second.error}, children {list(second.children)}")
    if verbose:
        print(f"\n  states:startExecution: {first.name} started {arn.split(':')[-1]} ({child_run and child_run.status}); "
              f"{second.name}: {second.error}")
    return failures


def run_emulated_services(drill: DrDrill, verbose: bool) -> list[str]:
    """The proxy's global datastores, replica cluster promotion, CloudWatch in the Query
    protocol and orderable zones by region (emulation_checks.py), and run_machine.mjs's
    states:startExecution, each checked alone against what AWS documents."""
    failures: list[str] = []
    for name, run_check in [
        ("global datastores", lambda: emulation_checks.check_datastores(drill.proxy_endpoint, drill.proxy)),
        ("replica clusters", lambda: emulation_checks.check_replica_clusters(drill.proxy_endpoint, drill.moto.endpoint, drill.proxy)),
        ("CloudWatch (Query protocol)", lambda: emulation_checks.check_cloudwatch(drill.proxy_endpoint, drill.proxy)),
        ("orderable zones by region", lambda: emulation_checks.check_orderable_zones(drill.proxy_endpoint)),
        ("states:startExecution", lambda: check_start_execution(drill, verbose)),
    ]:
        drill.reset(Behaviour())
        found = run_check()
        print(f"   {name}: {'as documented' if not found else f'{len(found)} problem(s)'}", flush=True)
        failures += [f"{name}: {problem}" for problem in found]
    return failures


# --- make drill-dr: a full region failover, layer by layer -----------------------------------

# Layer 1 Aurora global databases; layer 2 an RDS MySQL read replica promoted and an
# ElastiCache global datastore failed over. Used by dr-switchover (`make drill-dr`) when it
# exists; otherwise dr-switchover runs the seed payload (SEED), which
# dr-seed-switchover always runs.
FULL_REGION = "dr/full-region-failover.json"


def full_region_exists() -> bool:
    return (ROOT / "events" / FULL_REGION).is_file()


# What the references of the drill's samples name, where their names say less than their
# values (the seed's exports and SSM parameter, the pilot light's exports).
def known_references() -> dict:
    known = {f"!Import {name}": value for name, value in EXPORTS.items()}
    known.update({f"resolve:ssm:{name}": value for name, value in SSM_PARAMETERS.items()})
    known.update({f"!Import {name}": value for name, value in pilot_exports().items()})
    return known


SUFFIXES = ("-global-identifier", "-cluster-identifier", "-instance-identifier", "-replication-group-id",
            "-global-arn", "-identifier", "-arn", "-id", "-name")


def reference_base(raw: str) -> str:
    """`!Import orders-global-identifier` -> orders; `resolve:ssm:/dr/orders/global-cluster`
    -> global-cluster (the parameter's last path segment), lowercase."""
    name = raw.removeprefix("!Import ").strip() if raw.startswith("!Import ") else raw.removeprefix("resolve:ssm:").split("/")[-1]
    name = name.lower()
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def primary_name(secondary: str) -> str:
    """The name the drill gives the primary of a secondary it builds: ...-west -> ...-east,
    ...-target or ...-secondary -> ...-primary, else ...-primary appended."""
    for ending, instead in (("-west", "-east"), ("-target", "-primary"), ("-secondary", "-primary")):
        if secondary.endswith(ending):
            return secondary[: -len(ending)] + instead
    return f"{secondary}-primary"


def is_reference(value) -> bool:
    return isinstance(value, str) and (value.startswith("!Import ") or value.startswith("resolve:ssm:"))


@dataclass
class PayloadWorld:
    """What a payload names, made real: the resources to build, the exports and SSM
    parameters its references resolve to, and per resource its key and expected kind."""
    globals: list = dataclasses.field(default_factory=list)
    replicas: list = dataclasses.field(default_factory=list)
    replica_backups: dict = dataclasses.field(default_factory=dict)  # replica -> PromoteReadReplica's backup settings
    stores: list = dataclasses.field(default_factory=list)
    clusters: list = dataclasses.field(default_factory=list)
    exports: dict = dataclasses.field(default_factory=dict)
    ssm: dict = dataclasses.field(default_factory=dict)
    layers: dict = dataclasses.field(default_factory=dict)  # layer -> [resource key]


def payload_world(payload: dict) -> PayloadWorld:
    """Reads a payload's resources and decides the world it needs: a literal is taken as
    it is; a reference the drill knows (known_references) resolves to its known value;
    any other resolves to a value made from its name (reference_base), which the world then
    exports (or puts in SSM) under that name."""
    world, known = PayloadWorld(), known_references()

    def value(raw, made):
        if not is_reference(raw):
            return raw
        resolved = known.get(raw, made)
        if raw.startswith("!Import "):
            world.exports[raw.removeprefix("!Import ").strip()] = resolved
        else:
            world.ssm[raw.removeprefix("resolve:ssm:")] = resolved
        return resolved

    for layer in payload.get("StatePayload", []):
        keys = world.layers.setdefault(layer.get("layer"), [])
        for resource in layer.get("resources", []):
            kind, p = resource.get("resourceType"), resource.get("parameters", {})
            if kind in ("PlannedFailoverAurora", "UnPlannedFailoverAurora"):
                global_id = value(p["GlobalClusterIdentifier"], reference_base(p["GlobalClusterIdentifier"]))
                secondary = str(value(p["DBClusterIdentifier"], f"{reference_base(p['DBClusterIdentifier'])}-west")).split(":")[-1]
                primary = primary_name(secondary)
                postgres = "postgres" in global_id
                world.globals.append(GlobalDb(global_id, "aurora-postgresql" if postgres else "aurora-mysql",
                                              POSTGRES_VERSION if postgres else MYSQL_VERSION, primary, secondary))
                keys.append(global_id)
            elif kind == "PromoteRDSReadReplica":
                replica = value(p["RDSInstanceIdentifier"], f"{reference_base(p['RDSInstanceIdentifier'])}-replica")
                made_source = replica[: -len("-replica")] + "-instance" if replica.endswith("-replica") else f"{replica}-source"
                target = p.get("TargetClusterIdentifier")
                source_arn = value(target, f"arn:aws:rds:{PRIMARY}:{ACCOUNT}:db:{made_source}") if target else None
                source = source_arn.split(":")[-1] if source_arn else made_source
                world.replicas.append(RdsReplica(source, replica, PILOT.engine, PILOT.version))
                world.replica_backups[replica] = {k: str(p[k]) for k in ("BackupRetentionPeriod", "PreferredBackupWindow") if k in p}
                keys.append(f"{INSTANCE_KEY_PREFIX}{replica}")
            elif kind == "FailoverElastiCacheCluster":
                region = value(p.get("TargetRegion", DR), DR)
                if region != DR:
                    raise ValueError(f"{resource.get('resourceName')}: TargetRegion {region}; the drill's DR region is {DR}")
                global_id = value(p["GlobalReplicationGroupId"], f"{ID_PREFIXES[PRIMARY]}-{reference_base(p['GlobalReplicationGroupId'])}")
                secondary = value(p["TargetReplicationGroupId"], reference_base(p["TargetReplicationGroupId"]))
                primary = primary_name(secondary)
                prefix, _, suffix = global_id.partition("-")
                if prefix != ID_PREFIXES[PRIMARY] or not suffix:
                    raise ValueError(f"{global_id}: the drill builds global datastores whose primary is in {PRIMARY}, "
                                     f"so their id starts with {ID_PREFIXES[PRIMARY]}-")
                world.stores.append(Datastore(suffix, primary, secondary))
                keys.append(f"{CACHE_KEY_PREFIX}{global_id}")
            elif kind == "PromoteAuroraReadReplicaCluster":
                replica = str(value(p["DBClusterIdentifier"], f"{reference_base(p['DBClusterIdentifier'])}-west")).split(":")[-1]
                source = replica[: -len("-west")] + "-east" if replica.endswith("-west") else f"{replica}-source"
                world.clusters.append(ReplicaCluster(source, replica))
                keys.append(f"{CLUSTER_KEY_PREFIX}{replica}")
            else:
                raise ValueError(f"the drill cannot build a world for resourceType {kind!r}")
    return world


def build_payload_world(drill: DrDrill, world: PayloadWorld) -> None:
    for db in world.globals:
        drill.add_global_db(db)
    for pair in world.replicas:
        drill.add_rds_replica(pair)
    for store in world.stores:
        drill.add_datastore(store)
    for pair in world.clusters:
        drill.add_replica_cluster(pair)
    if world.exports:
        drill.add_exports(world.exports, stack_name="dr-payload-exports")
    if world.ssm:
        drill.add_ssm_parameters(world.ssm)


def prepare_switchover_world(drill: DrDrill) -> None:
    """dr-switchover's world: the full region failover's when its payload exists, else the seed's."""
    if full_region_exists():
        build_payload_world(drill, payload_world(read_event(FULL_REGION)))
    else:
        prepare_seed_world(drill)


def run_switchover(drill: DrDrill, verbose: bool) -> list[str]:
    """make drill-dr: events/dr/full-region-failover.json when it exists (global databases,
    then an RDS replica and an ElastiCache global datastore), else the seed payload."""
    if full_region_exists():
        return run_full_region(drill, verbose)
    return run_seed_switchover(drill, verbose)


def show_everything(title: str, drill: DrDrill, world: PayloadWorld, verbose: bool) -> None:
    if not verbose:
        return
    if world.globals:
        show_world(f"{title}: Aurora global databases", drill, True)
    if world.replicas:
        show_instances(f"{title}: RDS instances", drill, True)
    if world.stores:
        show_datastores(f"{title}: ElastiCache global datastores", drill, True)
    if world.clusters:
        show_replica_clusters(f"{title}: Aurora replica clusters", drill, world.clusters, True)


def run_full_region(drill: DrDrill, verbose: bool) -> list[str]:
    """The full region failover: every layer's resources done, layer after layer; each
    global database switched once to us-west-2, each RDS replica promoted once and
    standalone, each global datastore failed over once to us-west-2, each replica cluster
    promoted once."""
    failures: list[str] = []
    payload = read_event(FULL_REGION)
    world = payload_world(payload)
    if verbose:
        made = {**{f"!Import {k}": v for k, v in world.exports.items()}, **{f"resolve:ssm:{k}": v for k, v in world.ssm.items()}}
        print(f"\n  events/{FULL_REGION}: references resolved as " + ", ".join(f"{k} = {v}" for k, v in made.items()))
    show_everything("Before", drill, world, verbose)
    run = run_dr(drill, "dr-switchover-1", payload, f"events/{FULL_REGION}", verbose)
    show_everything("After", drill, world, verbose)
    if verbose:
        print_dr_ledger(drill, run)
    print(one_line(drill, run), flush=True)
    expect_run(failures, drill, run, "restored")
    keys = [key for layer in world.layers.values() for key in layer]
    expect_resources(failures, drill, run, {key: ("done", None) for key in keys})
    for db in world.globals:
        expect_writer(failures, drill, db, db.secondary_arn)
    expect_switches(failures, drill, {db.global_id: 1 for db in world.globals})
    rows = {(r["region"], r["instance"]): r for r in drill.rds_instances()}
    for pair in world.replicas:
        calls = drill.proxy.replicas.promote_calls(pair.replica)
        check(failures, len(calls) == 1 and calls[0].accepted and calls[0].region == DR,
              f"{pair.replica}: PromoteReadReplica calls {[(c.region, c.accepted, c.error) for c in calls]}, expected one in {DR}")
        replica = rows.get((DR, pair.replica)) or {}
        check(failures, replica.get("status") == "available" and not replica.get("source"),
              f"{pair.replica}: {replica.get('status')}, source {replica.get('source')!r}: not standalone")
        backups = world.replica_backups.get(pair.replica, {})
        if backups:
            got = {"BackupRetentionPeriod": str(replica.get("retention")), "PreferredBackupWindow": replica.get("window")}
            check(failures, {k: got[k] for k in backups} == backups, f"{pair.replica}: backups {got}, expected {backups}")
    for store in world.stores:
        expect_datastore_primary(failures, drill, store, DR)
        expect_datastore_failovers(failures, drill, store, 1)
    for pair in world.clusters:
        expect_standalone_cluster(failures, drill, pair)
        expect_cluster_promotions(failures, drill, pair, 1)
    # Layer after layer: each layer's first state ran only after the layer before was recorded.
    layers = sorted(world.layers)
    for before, after in zip(layers, layers[1:]):
        recorded = next((i for i, e in enumerate(run.events) if e.get("state") == "RecordLayer"
                         and e.get("label") == f"layer {before}" and e["type"] == "StateExited"), None)
        first = next((i for i, e in enumerate(run.events) if e.get("label") in world.layers[after]), None)
        check(failures, recorded is not None and first is not None and recorded < first,
              f"layer {after} started (event {first}) before layer {before} was recorded (event {recorded})")
    check(failures, "restored" in drill.published_outcomes(), "no DR run-finished event with outcome restored")
    print(f"   layers {', '.join(f'{n}: {len(k)} resource(s)' for n, k in sorted(world.layers.items()))}; switches "
          f"{len(drill.proxy.globals.accepted())}, promotions {len(drill.proxy.replicas.accepted())}, datastore failovers "
          f"{len(drill.proxy.datastores.accepted())}, cluster promotions {len(drill.proxy.replica_clusters.accepted())}",
          flush=True)
    return failures


WORLDS = {
    "dr": lambda: DrDrill(ROOT / "target/drill-logs/dr"),
    # The DR machine deployed in us-east-1 (the scenario's failback preparation) and in
    # us-west-2 (its unplanned failover).
    "dr-east": lambda: DrDrill(ROOT / "target/drill-logs/dr-east", dr_machine(PRIMARY), other_regions=(DR,)),
    # The DR machine in us-west-2 with the failback workflow's Lambdas beside its own (the
    # capacity hand-off starts that workflow) and dr-readiness (invoked directly).
    "dr-plus": lambda: DrDrill(ROOT / "target/drill-logs/dr-plus",
                               extra_functions=tuple(FAILBACK_FUNCTIONS) + ("dr-readiness",)),
}

DR_SCENARIOS = [
    Scenario("dr-switchover", "make drill-dr: events/dr/full-region-failover.json layer by layer (global databases, then an "
             "RDS replica and an ElastiCache datastore); without it, the seed payload",
             Behaviour(), prepare_switchover_world, None, None, run=run_switchover, world="dr"),
    Scenario("dr-seed-switchover", "the seed payload: two global databases switched over in layer 1 (!Import), "
             "one in layer 2 (SSM)", Behaviour(), prepare_seed_world, None, None, run=run_seed_switchover, world="dr"),
    Scenario("dr-unplanned-failover", "us-east-1 down: FailoverGlobalCluster with data loss from us-west-2 alone",
             Behaviour(regions_down=(PRIMARY,)), lambda d: d.add_global_db(ORDERS), None, None,
             run=run_unplanned_failover, world="dr"),
    Scenario("dr-invalid-payload", "unknown type, missing !Import: refused whole with InvalidInput, nothing changed",
             Behaviour(), prepare_seed_world, None, None, run=run_invalid_payloads, world="dr"),
    Scenario("dr-resource-fails", "a target outside its global cluster fails in layer 1: layer 2 never starts",
             Behaviour(), prepare_with_orphan, None, None, run=run_resource_fails, world="dr"),
    Scenario("dr-rerun", "a partial run (switchover answer lost), then re-runs: converges, one switch per global cluster",
             Behaviour(scripted_faults=PARTIAL_RUN_FAULTS), prepare_seed_world, None, None, run=run_rerun, world="dr"),
    Scenario("dr-concurrent", "two runs of one payload at once: one acts, one is skipped, one switch per global cluster",
             Behaviour(), prepare_seed_world, None, None, run=run_concurrent, world="dr"),
    Scenario("dr-emulated-aws", "the proxy's SwitchoverGlobalCluster/FailoverGlobalCluster and outage, checked alone",
             Behaviour(), prepare_with_orphan, None, None, run=run_emulated_aws, world="dr"),
    Scenario("dr-pilot-light", "events/dr/pilot-light.json: the RDS read replica in us-west-2 promoted once (PromoteReadReplica)",
             Behaviour(instance_scripts={PILOT.replica: ["backing-up"]}), prepare_pilot_light, None, None,
             run=run_pilot_light, world="dr"),
    Scenario("dr-pilot-light-rerun", "the promotion's answer lost: one call, converged; the payload again: already done",
             Behaviour(scripted_faults={"PromoteReadReplica": ["500-after"]}), prepare_pilot_light, None, None,
             run=run_pilot_light_rerun, world="dr"),
    Scenario("dr-mixed-layer", "one layer: a global database switched over and an RDS read replica promoted, side by side",
             Behaviour(), prepare_mixed, None, None, run=run_mixed_layer, world="dr"),
    Scenario("dr-emulated-promotion", "the proxy's PromoteReadReplica (refusals, modifying -> rebooting -> standalone), checked alone",
             Behaviour(instance_scripts={PILOT.replica: ["backing-up"]}), prepare_pilot_light, None, None,
             run=run_emulated_promotion, world="dr"),
    Scenario("dr-elasticache-failover", "an ElastiCache global datastore failed over to us-west-2 once; again: already done",
             Behaviour(), prepare_datastore, None, None, run=run_elasticache_failover, world="dr"),
    Scenario("dr-aurora-replica-promotion", "an Aurora replica cluster in us-west-2 promoted once (its lag read); again: already done",
             Behaviour(), prepare_replica_cluster, None, None, run=run_aurora_replica_promotion, world="dr"),
    Scenario("dr-emulated-services", "the proxy's global datastores, replica cluster promotion, CloudWatch (Query), zones, and "
             "states:startExecution, checked alone",
             Behaviour(), lambda d: None, None, None, run=run_emulated_services, world="dr"),
    Scenario("dr-failback-preparation", "after an unplanned failover, us-east-1 made a secondary again (once), from us-east-1",
             Behaviour(regions_down=(PRIMARY,)), prepare_failback_preparation, None, None,
             run=run_failback_preparation, world="dr-east"),
    Scenario("dr-pilot-light-failback", "after the pilot light's promotion, a read replica of it made in us-east-1 (once), from us-east-1",
             Behaviour(), prepare_pilot_light_failback, None, None, run=run_pilot_light_failback, world="dr-east"),
    Scenario("dr-capacity-handoff", "a switchover leaves a small writer: the DR run starts the failback workflow, which "
             "restores db.r6g.2xlarge; recorded; once",
             Behaviour(), prepare_capacity_handoff, None, None, run=run_capacity_handoff, world="dr-plus"),
    Scenario("dr-readiness", "dr-readiness: a lagging replica and a global database mid-switchover not ready, two ready; "
             "EMF says 2",
             Behaviour(describes_while_switching=10_000), prepare_readiness, None, None, run=run_readiness, world="dr-plus"),
]
