"""The cold standby in the DR drill: the restores (RestoreAuroraClusterFromSnapshot,
RestoreRDSInstanceFromSnapshot, RestoreAuroraClusterToPointInTime) run by the DR machine in
us-west-2 from the copies a backup plan leaves there, and backup-watch's RPO report.

The world is built straight in moto: in us-east-1 the protected databases (tagged
aurora-failback:backup=true), their snapshots, and in us-west-2 their copies, made with
CopyDBClusterSnapshot / CopyDBSnapshot from the snapshot's ARN, as a backup plan's copy
action leaves them (AWS Backup jobs do not run in moto); the exports the payload imports.
The proxy answers what moto gets wrong (snapshot_restores.py): RestoreDBClusterFromSnapshot
of a copy whose cluster keeps its master password in Secrets Manager (moto fails inside),
the `creating` phase of what a restore makes, CreateDBInstance refused until the restored
cluster is available, and copies seeded as taken hours ago.

    drill.py --scenario dr-cold-standby-restore     events/dr/cold-standby-restore.json, with
                                                    the before/after and the ledger
    drill.py --all                                  these after the other DR scenarios

Each scenario checks what moto holds afterwards (read through the proxy without using up a
poll), the ledger, and the changing calls that reached the proxy (Counters.changes), so
"one restore per resource" is counted, not assumed.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from botocore.exceptions import ClientError

from drill import ACCOUNT, ROOT, Scenario, check, read_event
from dr_drill import (DR, PRIMARY, DrDrill, expect_run, expect_resources, one_line, print_dr_ledger, results_for,
                      run_dr, short)
from fault_proxy import Behaviour
from lambda_service import LocalLambdaService

COLD_STANDBY = "dr/cold-standby-restore.json"
POINT_IN_TIME = "dr/point-in-time-restore.json"
MYSQL_VERSION = "8.0.mysql_aurora.3.08.0"

# us-east-1: the protected databases. orders keeps its master password in Secrets Manager
# (ManageMasterUserPassword), as AWS recommends: moto cannot restore its snapshots itself.
ORDERS, ORDERS_MEMBERS = "orders", ("orders-1", "orders-2")
MYSQL_SOURCE = "rds-mysql-instance"
# us-west-2: the copies, newest last. Yesterday's is seeded as taken 26 hours ago.
ORDERS_COPIES = ("orders-copy-yesterday", "orders-copy-today")
MYSQL_COPY = "rds-mysql-instance-copy-today"
SUBNET_GROUP, SECURITY_GROUP = "dr-db-subnets", "dr-db"
# What the payload restores: the cluster, its writer and one reader, the MySQL instance.
ORDERS_DR, ORDERS_DR_WRITER, ORDERS_DR_READER = "orders-dr", "orders-dr-1", "orders-dr-1-r1"
MYSQL_DR = "mysql-dr"
CLUSTER_KEY, INSTANCE_KEY = f"cluster/{ORDERS_DR}", f"instance/{MYSQL_DR}"
RESTORE_TAG, BACKUP_TAG = "aurora-failback:restore", "aurora-failback:backup"
PROTECTED = [{"Key": BACKUP_TAG, "Value": "true"}]


def ago(**delta) -> datetime:
    return datetime.now(timezone.utc) - timedelta(**delta)


# --- the world ---------------------------------------------------------------------------

def add_protected_cluster(drill: DrDrill, cluster_id: str, members: tuple = (), managed_password: bool = False,
                          tags: list | None = None, region: str = PRIMARY) -> None:
    rds = drill.rds_in[region]
    password = {"ManageMasterUserPassword": True} if managed_password else {"MasterUserPassword": "drill-password-1"}
    rds.create_db_cluster(DBClusterIdentifier=cluster_id, Engine="aurora-mysql", EngineVersion=MYSQL_VERSION,
                          MasterUsername="app", BackupRetentionPeriod=7, Tags=PROTECTED if tags is None else tags,
                          **password)
    for number, instance_id in enumerate(members):
        rds.create_db_instance(DBInstanceIdentifier=instance_id, DBClusterIdentifier=cluster_id, Engine="aurora-mysql",
                               DBInstanceClass="db.r6g.2xlarge", PromotionTier=number, AvailabilityZone=f"{region}a")


def add_protected_instance(drill: DrDrill, instance_id: str) -> None:
    drill.rds_in[PRIMARY].create_db_instance(
        DBInstanceIdentifier=instance_id, Engine="mysql", EngineVersion="8.0.39", DBInstanceClass="db.r6g.large",
        AllocatedStorage=100, MasterUsername="app", MasterUserPassword="drill-password-1", BackupRetentionPeriod=7,
        PreferredBackupWindow="07:00-07:30", PreferredMaintenanceWindow="sun:05:00-sun:05:30",
        AvailabilityZone=f"{PRIMARY}a", Tags=PROTECTED)


def copy_cluster(drill: DrDrill, cluster_id: str, copy_id: str, taken: datetime | None = None) -> None:
    """A snapshot of the cluster in us-east-1, copied to us-west-2 by its ARN (taken: the
    time the copy shows, seeded; now by default)."""
    snapshot = drill.rds_in[PRIMARY].create_db_cluster_snapshot(
        DBClusterIdentifier=cluster_id, DBClusterSnapshotIdentifier=f"{copy_id}-home")["DBClusterSnapshot"]
    drill.rds_in[DR].copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier=snapshot["DBClusterSnapshotArn"],
                                              TargetDBClusterSnapshotIdentifier=copy_id, SourceRegion=PRIMARY)
    if taken is not None:
        drill.proxy.restores.seed_taken_at(DR, copy_id, taken)


def copy_instance(drill: DrDrill, instance_id: str, copy_id: str) -> None:
    snapshot = drill.rds_in[PRIMARY].create_db_snapshot(
        DBInstanceIdentifier=instance_id, DBSnapshotIdentifier=f"{copy_id}-home")["DBSnapshot"]
    drill.rds_in[DR].copy_db_snapshot(SourceDBSnapshotIdentifier=snapshot["DBSnapshotArn"],
                                      TargetDBSnapshotIdentifier=copy_id, SourceRegion=PRIMARY)


def prepare_cold_standby(drill: DrDrill) -> None:
    """orders (writer and reader) and the MySQL instance in us-east-1, their copies in
    us-west-2 (orders: yesterday's and today's), the DR subnet group and security group, and
    the exports the payload imports."""
    add_protected_cluster(drill, ORDERS, ORDERS_MEMBERS, managed_password=True)
    add_protected_instance(drill, MYSQL_SOURCE)
    copy_cluster(drill, ORDERS, ORDERS_COPIES[0], taken=ago(hours=26))
    copy_cluster(drill, ORDERS, ORDERS_COPIES[1])
    copy_instance(drill, MYSQL_SOURCE, MYSQL_COPY)
    vpc = drill.add_db_subnet_group(SUBNET_GROUP, "the DR region's database subnets")
    group = drill.ec2.create_security_group(GroupName=SECURITY_GROUP, Description="databases restored in DR",
                                            VpcId=vpc)["GroupId"]
    drill.security_group = group
    drill.add_exports({"orders-cluster-identifier": ORDERS, "dr-db-subnet-group": SUBNET_GROUP,
                       "dr-db-security-group": group, "rds-mysql-instance-identifier": MYSQL_SOURCE},
                      stack_name="cold-standby-exports")


# --- what a person looks at ----------------------------------------------------------------

def dr_side(drill: DrDrill) -> dict:
    """us-west-2 as the Lambdas would read it (a peek): the copies, the clusters with their
    members and tags, the RDS instances in no cluster."""
    west = drill.peek_in[DR]
    drill.proxy.peek = True
    try:
        # The copies: manual snapshots (moto also takes an automated one of each new database).
        copies = ([("cluster", s["DBClusterSnapshotIdentifier"], s["DBClusterIdentifier"], s["SnapshotCreateTime"], s["Status"])
                   for s in west.describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"]]
                  + [("instance", s["DBSnapshotIdentifier"], s["DBInstanceIdentifier"], s["SnapshotCreateTime"], s["Status"])
                     for s in west.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]])
        clusters = west.describe_db_clusters()["DBClusters"]
        instances = {i["DBInstanceIdentifier"]: i for i in west.describe_db_instances()["DBInstances"]}
    finally:
        drill.proxy.peek = False
    return {
        "copies": sorted(copies, key=lambda c: (c[0], c[2], c[3])),
        "clusters": {c["DBClusterIdentifier"]: {
            "status": c["Status"],
            "tags": {t["Key"]: t["Value"] for t in c.get("TagList", [])},
            "subnet_group": c.get("DBSubnetGroup"),
            "security_groups": [g["VpcSecurityGroupId"] for g in c.get("VpcSecurityGroups", [])],
            "deletion_protection": c.get("DeletionProtection"),
            "members": {m["DBInstanceIdentifier"]: {
                "writer": m["IsClusterWriter"],
                "class": instances.get(m["DBInstanceIdentifier"], {}).get("DBInstanceClass"),
                "status": instances.get(m["DBInstanceIdentifier"], {}).get("DBInstanceStatus"),
                "tags": {t["Key"]: t["Value"] for t in instances.get(m["DBInstanceIdentifier"], {}).get("TagList", [])},
            } for m in c.get("DBClusterMembers", [])},
        } for c in clusters},
        "instances": {i_id: {
            "status": i["DBInstanceStatus"],
            "class": i["DBInstanceClass"],
            "engine": i["Engine"],
            "subnet_group": (i.get("DBSubnetGroup") or {}).get("DBSubnetGroupName"),
            "tags": {t["Key"]: t["Value"] for t in i.get("TagList", [])},
        } for i_id, i in instances.items() if not i.get("DBClusterIdentifier")},
    }


def print_dr_side(title: str, side: dict) -> None:
    print(f"\n  {title} ({DR})")
    print(f"    {'copy':<32} {'of':<10} {'source':<20} {'taken':<22} status")
    for kind, copy_id, source, taken, status in side["copies"]:
        print(f"    {copy_id:<32} {kind:<10} {source:<20} {taken.astimezone(timezone.utc).strftime('%Y-%m-%d %H:%M:%SZ'):<22} {status}")
    print(f"    {'database':<32} {'kind':<10} {'class':<20} {'role':<22} status")
    if not side["clusters"] and not side["instances"]:
        print("    (none)")
    for cluster_id, c in sorted(side["clusters"].items()):
        tag = c["tags"].get(RESTORE_TAG)
        print(f"    {cluster_id:<32} {'cluster':<10} {'':<20} {'restore tag ' + tag if tag else '':<22} {c['status']}")
        for instance_id, m in sorted(c["members"].items()):
            print(f"      {instance_id:<30} {'instance':<10} {m['class'] or '?':<20} {'writer' if m['writer'] else 'reader':<22} "
                  f"{m['status']}")
    for instance_id, i in sorted(side["instances"].items()):
        tag = i["tags"].get(RESTORE_TAG)
        print(f"    {instance_id:<32} {i['engine']:<10} {i['class']:<20} {'restore tag ' + tag if tag else '':<22} {i['status']}")


def show_dr_side(title: str, drill: DrDrill, verbose: bool) -> dict:
    side = dr_side(drill)
    if verbose:
        print_dr_side(title, side)
    return side


# --- checking it ---------------------------------------------------------------------------

def changes(drill: DrDrill, mark: int = 0, action: str | None = None, accepted: bool | None = None) -> list:
    """The changing calls that reached the proxy since `mark`: of `action`, accepted (HTTP
    200) or refused."""
    return [c for c in drill.proxy.counters.changes[mark:]
            if action in (None, c.action) and accepted in (None, c.status == 200)]


def expect_restored_cluster(failures: list[str], drill: DrDrill, side: dict) -> None:
    cluster = side["clusters"].get(ORDERS_DR)
    if cluster is None:
        failures.append(f"{ORDERS_DR} is not in {DR}")
        return
    check(failures, cluster["status"] == "available", f"{ORDERS_DR} is {cluster['status']}")
    check(failures, cluster["tags"].get(RESTORE_TAG) == CLUSTER_KEY,
          f"{ORDERS_DR}'s {RESTORE_TAG} tag is {cluster['tags'].get(RESTORE_TAG)!r}, expected {CLUSTER_KEY}")
    members = {i: (m["writer"], m["class"], m["status"]) for i, m in cluster["members"].items()}
    expected = {ORDERS_DR_WRITER: (True, "db.r6g.2xlarge", "available"),
                ORDERS_DR_READER: (False, "db.r6g.2xlarge", "available")}
    check(failures, members == expected, f"{ORDERS_DR}'s members {members}, expected {expected}")
    tagged = {i: m["tags"].get(RESTORE_TAG) for i, m in cluster["members"].items()}
    check(failures, set(tagged.values()) == {CLUSTER_KEY}, f"{ORDERS_DR}'s instances are tagged {tagged}")
    settings = (cluster["subnet_group"], cluster["security_groups"], cluster["deletion_protection"])
    check(failures, settings == (SUBNET_GROUP, [drill.security_group], True),
          f"{ORDERS_DR}: subnet group, security groups, deletion protection {settings}, "
          f"expected {(SUBNET_GROUP, [drill.security_group], True)}")


def expect_restored_instance(failures: list[str], side: dict) -> None:
    instance = side["instances"].get(MYSQL_DR)
    if instance is None:
        failures.append(f"{MYSQL_DR} is not in {DR}")
        return
    got = (instance["status"], instance["class"], instance["engine"], instance["subnet_group"], instance["tags"].get(RESTORE_TAG))
    expected = ("available", "db.r6g.large", "mysql", SUBNET_GROUP, INSTANCE_KEY)
    check(failures, got == expected, f"{MYSQL_DR}: (status, class, engine, subnet group, tag) {got}, expected {expected}")


def expect_one_restore_each(failures: list[str], drill: DrDrill) -> dict:
    """Exactly one restore per resource, from the newest copy; one accepted CreateDBInstance
    per instance of the cluster (the writer at tier 0); nothing else changed, in either region,
    but CreateDBInstance refused while the restored cluster was being created. Says what it
    counted."""
    cluster_restores = changes(drill, action="RestoreDBClusterFromSnapshot")
    check(failures, [(c.region, c.params.get("DBClusterIdentifier"), c.params.get("SnapshotIdentifier"), c.status)
                     for c in cluster_restores] == [(DR, ORDERS_DR, ORDERS_COPIES[-1], 200)],
          f"RestoreDBClusterFromSnapshot calls {[(c.region, c.params.get('DBClusterIdentifier'), c.params.get('SnapshotIdentifier'), c.status) for c in cluster_restores]}, "
          f"expected one in {DR} of {ORDERS_DR} from the newest copy {ORDERS_COPIES[-1]}")
    answered = [c.answered_by for c in drill.proxy.restores.restore_calls(ORDERS_DR)]
    instance_restores = changes(drill, action="RestoreDBInstanceFromDBSnapshot")
    check(failures, [(c.region, c.params.get("DBInstanceIdentifier"), c.params.get("DBSnapshotIdentifier"), c.status)
                     for c in instance_restores] == [(DR, MYSQL_DR, MYSQL_COPY, 200)],
          f"RestoreDBInstanceFromDBSnapshot calls {[(c.region, c.params.get('DBInstanceIdentifier'), c.params.get('DBSnapshotIdentifier'), c.status) for c in instance_restores]}, "
          f"expected one in {DR} of {MYSQL_DR} from {MYSQL_COPY}")
    created = changes(drill, action="CreateDBInstance", accepted=True)
    made = sorted((c.params.get("DBInstanceIdentifier"), c.params.get("DBClusterIdentifier"), c.params.get("PromotionTier"))
                  for c in created)
    expected = [(ORDERS_DR_WRITER, ORDERS_DR, "0"), (ORDERS_DR_READER, ORDERS_DR, "1")]
    check(failures, made == expected, f"CreateDBInstance accepted {made}, expected {expected}")
    refused = changes(drill, action="CreateDBInstance", accepted=False)
    odd = [(c.params.get("DBInstanceIdentifier"), c.status) for c in refused if c.status != 400]
    check(failures, not odd, f"CreateDBInstance failed otherwise than refused while restoring: {odd}")
    others = [(c.region, c.action, c.status) for c in changes(drill)
              if c.action not in ("RestoreDBClusterFromSnapshot", "RestoreDBInstanceFromDBSnapshot", "CreateDBInstance")]
    check(failures, not others, f"other calls that change something: {others}")
    return {"answered": answered, "refused": len(refused), "created": [m[0] for m in made],
            "cluster_from": [c.params.get("SnapshotIdentifier") for c in cluster_restores],
            "instance_from": [c.params.get("DBSnapshotIdentifier") for c in instance_restores]}


def restore_summary(counted: dict) -> str:
    """What reached the proxy, as counted."""
    return (f"   RestoreDBClusterFromSnapshot {ORDERS_DR} from {', '.join(counted['cluster_from']) or 'nothing'} "
            f"x{len(counted['cluster_from'])} (answered by: {', '.join(counted['answered']) or 'none'}); CreateDBInstance "
            f"accepted {', '.join(counted['created']) or 'none'} ({counted['refused']} refused while {ORDERS_DR} was "
            f"creating); RestoreDBInstanceFromDBSnapshot {MYSQL_DR} from {', '.join(counted['instance_from']) or 'nothing'} "
            f"x{len(counted['instance_from'])}")


# --- the scenarios ---------------------------------------------------------------------------

def run_cold_standby_restore(drill: DrDrill, verbose: bool) -> list[str]:
    """events/dr/cold-standby-restore.json in us-west-2: orders-dr (writer and reader) from
    orders' newest copy and mysql-dr from its copy, each restored once, all available."""
    failures: list[str] = []
    before = show_dr_side("Before", drill, verbose)
    check(failures, not before["clusters"] and not before["instances"],
          f"{DR} holds databases before the restore: {sorted(before['clusters'])} {sorted(before['instances'])}")
    run = run_dr(drill, "dr-cold-standby-1", read_event(COLD_STANDBY), f"events/{COLD_STANDBY}", verbose)
    after = show_dr_side("After", drill, verbose)
    if verbose:
        print_dr_ledger(drill, run)
    print(one_line(drill, run), flush=True)
    expect_run(failures, drill, run, "restored")
    expect_resources(failures, drill, run, {CLUSTER_KEY: ("done", None), INSTANCE_KEY: ("done", None)})
    expect_restored_cluster(failures, drill, after)
    expect_restored_instance(failures, after)
    counted = expect_one_restore_each(failures, drill)
    waited = [r for r in results_for(run, "CheckResource", CLUSTER_KEY) if isinstance(r, dict)]
    check(failures, any(r.get("state") == "pending" for r in waited) and waited[-1:] and waited[-1].get("state") == "ready",
          f"{run.name}: the checks of {CLUSTER_KEY} saw {[r.get('state') for r in waited]}: expected some pending "
          "(the restore being created), then ready")
    check(failures, "restored" in drill.published_outcomes(), "no DR run-finished event with outcome restored")
    print(restore_summary(counted), flush=True)
    return failures


def run_restore_rerun(drill: DrDrill, verbose: bool) -> list[str]:
    """The payload twice: the second run finds both restores done (by identifier and tag)
    and calls nothing."""
    failures: list[str] = []
    payload = read_event(COLD_STANDBY)
    first = run_dr(drill, "dr-restore-rerun-1", payload, f"events/{COLD_STANDBY}", verbose)
    print(one_line(drill, first), flush=True)
    expect_run(failures, drill, first, "restored")
    between = show_dr_side("Between the runs", drill, verbose)
    mark = len(drill.proxy.counters.changes)
    again = run_dr(drill, "dr-restore-rerun-2", payload, f"events/{COLD_STANDBY} again, everything restored", verbose)
    after = show_dr_side("After", drill, verbose)
    if verbose:
        print_dr_ledger(drill, again)
    print(one_line(drill, again), flush=True)
    expect_run(failures, drill, again, "no-op")
    expect_resources(failures, drill, again, {CLUSTER_KEY: ("already-done", None), INSTANCE_KEY: ("already-done", None)})
    check(failures, again.entered("ActOnResource") == 0, f"{again.name}: ActOnResource ran {again.entered('ActOnResource')} times")
    made = [(c.region, c.action, c.params.get("DBClusterIdentifier") or c.params.get("DBInstanceIdentifier"))
            for c in changes(drill, mark)]
    check(failures, not made, f"{again.name}: calls that change something: {made}")
    expect_restored_cluster(failures, drill, after)
    expect_restored_instance(failures, after)
    expect_one_restore_each(failures, drill)
    check(failures, after == between, f"{again.name}: {DR} changed")
    print(f"   second run: {again.entered('ActOnResource')} ActOnResource, {len(made)} changing calls; restores in all: "
          f"{len(changes(drill, action='RestoreDBClusterFromSnapshot'))} cluster, "
          f"{len(changes(drill, action='RestoreDBInstanceFromDBSnapshot'))} instance", flush=True)
    return failures


# --- point in time ----------------------------------------------------------------------------

PITR_TARGET, PITR_WRITER = "orders-before-deploy", "orders-before-deploy-1"
PITR_SOURCE_MEMBERS = ("orders-1", "orders-2")


def prepare_point_in_time(drill: DrDrill) -> None:
    """orders in us-west-2 (writer and reader, seven days of backups), the cluster the
    sample restores to a point in time."""
    add_protected_cluster(drill, ORDERS, PITR_SOURCE_MEMBERS, tags=PROTECTED + [{"Key": "team", "Value": "payments"}], region=DR)


def point_in_time_payload(drill: DrDrill) -> tuple[dict, str]:
    """events/dr/point-in-time-restore.json with its RestoreToTime moved into orders'
    restorable window: the sample's fixed time is before this drill's orders existed, which
    AWS refuses (a time must lie between the source's EarliestRestorableTime and
    LatestRestorableTime; moto does not check)."""
    source = drill.rds_in[DR].describe_db_clusters(DBClusterIdentifier=ORDERS)["DBClusters"][0]
    earliest = source["EarliestRestorableTime"].astimezone(timezone.utc).replace(microsecond=0) + timedelta(seconds=1)
    now = datetime.now(timezone.utc)
    if earliest > now:  # within the window by the time the run asks for it
        import time
        time.sleep((earliest - now).total_seconds() + 0.1)
    when = earliest.strftime("%Y-%m-%dT%H:%M:%SZ")
    payload = read_event(POINT_IN_TIME)
    payload["StatePayload"][0]["resources"][0]["parameters"]["RestoreToTime"] = when
    return payload, when


def source_view(side: dict) -> dict:
    source = side["clusters"].get(ORDERS, {})
    return {"status": source.get("status"), "tags": source.get("tags"), "members": source.get("members")}


def run_point_in_time(drill: DrDrill, verbose: bool) -> list[str]:
    """A new cluster (and its writer) from orders as it was at a time; orders only read."""
    failures: list[str] = []
    payload, when = point_in_time_payload(drill)
    before = show_dr_side("Before", drill, verbose)
    run = run_dr(drill, "dr-point-in-time-1", payload, f"events/{POINT_IN_TIME}, RestoreToTime {when}", verbose)
    after = show_dr_side("After", drill, verbose)
    if verbose:
        print_dr_ledger(drill, run)
    print(one_line(drill, run), flush=True)
    key = f"cluster/{PITR_TARGET}"
    expect_run(failures, drill, run, "restored")
    expect_resources(failures, drill, run, {key: ("done", None)})
    restored = after["clusters"].get(PITR_TARGET)
    if restored is None:
        failures.append(f"{PITR_TARGET} is not in {DR}")
    else:
        members = {i: (m["writer"], m["class"], m["status"]) for i, m in restored["members"].items()}
        check(failures, restored["status"] == "available" and members == {PITR_WRITER: (True, "db.r6g.large", "available")},
              f"{PITR_TARGET}: {restored['status']}, members {members}, expected available with writer {PITR_WRITER}")
        check(failures, restored["tags"].get(RESTORE_TAG) == key, f"{PITR_TARGET}'s tags {restored['tags']}")
    calls = changes(drill, action="RestoreDBClusterToPointInTime")
    sent = [(c.region, c.params.get("DBClusterIdentifier"), c.params.get("SourceDBClusterIdentifier"),
             c.params.get("RestoreToTime"), c.params.get("UseLatestRestorableTime", "false"), c.status) for c in calls]
    check(failures, sent == [(DR, PITR_TARGET, ORDERS, when, "false", 200)],
          f"RestoreDBClusterToPointInTime calls {sent}, expected one in {DR}: {PITR_TARGET} from {ORDERS} at {when}")
    created = [(c.params.get("DBInstanceIdentifier"), c.params.get("DBClusterIdentifier"))
               for c in changes(drill, action="CreateDBInstance", accepted=True)]
    check(failures, created == [(PITR_WRITER, PITR_TARGET)], f"CreateDBInstance accepted {created}")
    # The source: only read. Nothing that changes something named it; it looks as before.
    touched = [(c.action, c.params) for c in changes(drill)
               if ORDERS in (c.params.get("DBClusterIdentifier"), c.params.get("DBInstanceIdentifier"))
               or str(c.params.get("ResourceName", "")).endswith(f":cluster:{ORDERS}")
               or c.params.get("DBInstanceIdentifier") in PITR_SOURCE_MEMBERS]
    check(failures, not touched, f"calls that change {ORDERS}: {touched}")
    check(failures, source_view(after) == source_view(before),
          f"{ORDERS} changed: {source_view(before)} -> {source_view(after)}")
    check(failures, RESTORE_TAG not in (source_view(after)["tags"] or {}), f"{ORDERS} was tagged {source_view(after)['tags']}")
    others = [(c.action, c.status) for c in changes(drill) if c.action not in ("RestoreDBClusterToPointInTime", "CreateDBInstance")]
    check(failures, not others, f"other calls that change something: {others}")
    refused = len(changes(drill, action="CreateDBInstance", accepted=False))
    print(f"   RestoreDBClusterToPointInTime {PITR_TARGET} from {ORDERS} at {when} x{len(calls)}; CreateDBInstance "
          f"{PITR_WRITER} x{len(created)} ({refused} refused while creating); {ORDERS} untouched: "
          f"{sorted(source_view(after)['members'] or {})}, tags {source_view(after)['tags']}", flush=True)
    return failures


# --- no copy to restore from -------------------------------------------------------------------

BILLING, BILLING_DR = "billing", "billing-dr"
MISSING_COPY_PAYLOAD = {"StatePayload": [
    {"layer": 1, "resources": [
        {"resourceType": "RestoreAuroraClusterFromSnapshot",
         "resourceName": "Restore billing from its newest copy in this region (there is none)",
         "parameters": {"DBClusterIdentifier": BILLING_DR, "SourceDBClusterIdentifier": BILLING, "Engine": "aurora-mysql",
                        "DBSubnetGroupName": "!Import dr-db-subnet-group", "VpcSecurityGroupIds": "!Import dr-db-security-group",
                        "DBInstanceIdentifier": f"{BILLING_DR}-1", "DBInstanceClass": "db.r6g.large", "ReaderCount": "1"}},
    ]},
    {"layer": 2, "resources": [
        read_event(COLD_STANDBY)["StatePayload"][0]["resources"][1],  # mysql-dr, which has a copy
    ]},
]}


def prepare_missing_copy(drill: DrDrill) -> None:
    """The cold standby's world, and billing: protected, snapshotted in us-east-1, never
    copied to us-west-2."""
    prepare_cold_standby(drill)
    add_protected_cluster(drill, BILLING, (f"{BILLING}-1",))
    drill.rds_in[PRIMARY].create_db_cluster_snapshot(DBClusterIdentifier=BILLING, DBClusterSnapshotIdentifier=f"{BILLING}-home")


def run_missing_copy(drill: DrDrill, verbose: bool) -> list[str]:
    """billing has no copy in us-west-2: its restore fails TargetNotFound before anything is
    created, layer 2 never starts, the run is recorded failed."""
    failures: list[str] = []
    show_dr_side("Before", drill, verbose)
    run = run_dr(drill, "dr-restore-missing-1", MISSING_COPY_PAYLOAD, "a payload restoring billing, which has no copy", verbose)
    show_dr_side("After", drill, verbose)
    if verbose:
        print_dr_ledger(drill, run)
    print(one_line(drill, run), flush=True)
    record = expect_run(failures, drill, run, "failed", status="FAILED")
    expect_resources(failures, drill, run, {f"cluster/{BILLING_DR}": ("failed", "TargetNotFound"),
                                            INSTANCE_KEY: ("never-started", None)})
    # moto itself, not through the proxy: nothing was made in us-west-2.
    west = drill.rds_in[DR]
    try:
        west.describe_db_clusters(DBClusterIdentifier=BILLING_DR)
        failures.append(f"{BILLING_DR} exists in {DR}")
    except ClientError as error:
        check(failures, error.response["Error"]["Code"] == "DBClusterNotFoundFault", f"{BILLING_DR}: {error}")
    instances = [i["DBInstanceIdentifier"] for i in west.describe_db_instances()["DBInstances"]]
    check(failures, not instances, f"instances in {DR}: {instances}")
    clusters = [c["DBClusterIdentifier"] for c in west.describe_db_clusters()["DBClusters"]]
    check(failures, not clusters, f"clusters in {DR}: {clusters}")
    made = [(c.region, c.action, c.status) for c in changes(drill)]
    check(failures, not made, f"calls that change something: {made}")
    check(failures, run.entered("ActOnResource") == 0, f"{run.name}: ActOnResource ran")
    item = drill.resource_record(f"cluster/{BILLING_DR}", run.name) or {}
    cause = str(item.get("errorCause") or "")
    check(failures, BILLING in cause, f"{run.name}: the failure does not name {BILLING}: {short(cause, 200)}")
    print(f"   {BILLING_DR}: {item.get('outcome')} {item.get('error')} ({short(cause, 110)}); run {record.get('outcome')}; "
          f"{len(made)} changing calls, {DR} holds {clusters or 'no cluster'} and {instances or 'no instance'}", flush=True)
    return failures


# --- backup-watch: the RPO ---------------------------------------------------------------------

RPO_MINUTES = 120
# (resource, kind, copy in us-west-2 and how long ago it was taken, or None; within the RPO)
WATCHED = [
    ("orders", "cluster", ("orders-copy-today", None), True),
    ("billing", "cluster", ("billing-copy-old", timedelta(hours=5)), False),
    ("payments", "cluster", None, False),
    (MYSQL_SOURCE, "instance", (MYSQL_COPY, None), True),
]
UNPROTECTED = "scratch"


def prepare_backup_watch(drill: DrDrill) -> None:
    """In us-east-1: orders (with an Aurora instance, which is no RDS instance of its own),
    billing, payments and the MySQL instance protected; scratch not. In us-west-2: a fresh
    copy of orders and of the instance, billing's only copy taken 5 hours ago (seeded),
    none of payments (a snapshot at home only), a copy of scratch."""
    for resource, kind, copy, _ in WATCHED:
        if kind == "instance":
            add_protected_instance(drill, resource)
            copy_instance(drill, resource, copy[0])
            continue
        add_protected_cluster(drill, resource, (f"{resource}-1",))
        if copy is None:
            drill.rds_in[PRIMARY].create_db_cluster_snapshot(DBClusterIdentifier=resource,
                                                             DBClusterSnapshotIdentifier=f"{resource}-home")
        else:
            copy_cluster(drill, resource, copy[0], taken=datetime.now(timezone.utc) - copy[1] if copy[1] else None)
    add_protected_cluster(drill, UNPROTECTED, tags=[])
    copy_cluster(drill, UNPROTECTED, f"{UNPROTECTED}-copy")


def run_backup_watch(drill: DrDrill, verbose: bool) -> list[str]:
    """backup-watch invoked in us-east-1 as its schedule would, BACKUP_COPY_REGION=us-west-2,
    an RPO of 120 minutes: billing's 5-hour-old copy and payments without one are outside
    it (2), orders and the instance within; EMF says so; nothing changed."""
    failures: list[str] = []
    binary = ROOT / "target/debug/backup-watch"
    if not binary.is_file():
        return [f"no Lambda binary {binary} (make build)"]
    env = {**drill.lambda_env, "AWS_REGION": PRIMARY, "AWS_DEFAULT_REGION": PRIMARY,
           "BACKUP_COPY_REGION": DR, "BACKUP_RPO_MINUTES": str(RPO_MINUTES)}
    watch = LocalLambdaService(ROOT / "target/debug", ["backup-watch"], env, drill.log_dir / "backup-watch",
                               region=PRIMARY, account=ACCOUNT)
    try:
        mark = len(drill.proxy.counters.changes)
        invoked = watch.invoke("backup-watch", {})
        refused = watch.invoke("backup-watch", {"rpoMinutes": 1})
    finally:
        watch.stop()
    report = invoked.body if isinstance(invoked.body, dict) else {}
    check(failures, not invoked.error, f"backup-watch failed: {short(json.dumps(invoked.body), 300)}")
    check(failures, (report.get("copyRegion"), report.get("rpoSeconds"), report.get("outsideRpo")) == (DR, RPO_MINUTES * 60, 2),
          f"report: copyRegion {report.get('copyRegion')}, rpoSeconds {report.get('rpoSeconds')}, outsideRpo "
          f"{report.get('outsideRpo')}; expected {DR}, {RPO_MINUTES * 60}, 2")
    by_id = {r.get("resourceId"): r for r in report.get("resources", []) if isinstance(r, dict)}
    check(failures, set(by_id) == {w[0] for w in WATCHED},
          f"resources reported {sorted(by_id)}, expected {sorted(w[0] for w in WATCHED)} ({UNPROTECTED} is not protected, "
          "orders-1 is an Aurora instance)")
    for resource, kind, copy, within in WATCHED:
        r = by_id.get(resource, {})
        check(failures, (r.get("kind"), r.get("region"), r.get("withinRpo")) == (kind, DR, within),
              f"{resource}: kind {r.get('kind')}, region {r.get('region')}, withinRpo {r.get('withinRpo')}; "
              f"expected {kind}, {DR}, {within}")
        if copy is None:
            check(failures, r.get("newest") is None and r.get("ageSeconds") is None,
                  f"{resource}: newest {r.get('newest')!r}, age {r.get('ageSeconds')!r}: it has no copy in {DR}")
            continue
        age = r.get("ageSeconds")
        expected_age = copy[1].total_seconds() if copy[1] else 0.0
        check(failures, r.get("newest") == copy[0] and isinstance(age, (int, float)) and expected_age <= age <= expected_age + 120,
              f"{resource}: newest {r.get('newest')!r} aged {age!r} s, expected {copy[0]} aged about {expected_age:.0f} s")
    lines = invoked.log_json()
    totals = [line for line in lines if "CopiesOutsideRpo" in line]
    metrics = [d for line in totals for d in line.get("_aws", {}).get("CloudWatchMetrics", [])]
    check(failures, [line.get("CopiesOutsideRpo") for line in totals] == [2]
          and [(d.get("Namespace"), d.get("Dimensions"), [m.get("Name") for m in d.get("Metrics", [])]) for d in metrics]
          == [("AuroraFailback", [[]], ["CopiesOutsideRpo"])],
          f"EMF CopiesOutsideRpo lines {totals}, expected one saying 2, no dimensions, namespace AuroraFailback")
    ages = {line.get("ResourceId"): line.get("NewestCopyAgeSeconds") for line in lines if "NewestCopyAgeSeconds" in line}
    with_copy = {w[0] for w in WATCHED if w[2] is not None}
    check(failures, set(ages) == with_copy, f"EMF NewestCopyAgeSeconds for {sorted(ages)}, expected {sorted(with_copy)}")
    error_type = refused.body.get("errorType") if isinstance(refused.body, dict) else None
    check(failures, refused.error and error_type == "InvalidInput",
          f"an unknown option: {'error' if refused.error else 'answered'} {error_type or short(json.dumps(refused.body), 200)}")
    made = [(c.region, c.action) for c in changes(drill, mark)]
    check(failures, not made, f"backup-watch changed something: {made}")
    if verbose:
        print(f"\n  backup-watch {{}} in {PRIMARY} (BACKUP_COPY_REGION={DR}, BACKUP_RPO_MINUTES={RPO_MINUTES})")
        print(f"    {'resource':<20} {'kind':<9} {'newest copy':<26} {'age s':>8}  within RPO")
        for resource, *_ in WATCHED:
            r = by_id.get(resource, {})
            age = r.get("ageSeconds")
            print(f"    {resource:<20} {str(r.get('kind')):<9} {str(r.get('newest')):<26} "
                  f"{'-' if age is None else f'{age:.0f}':>8}  {r.get('withinRpo')}")
        print("\n  EMF lines")
        for line in lines:
            if "_aws" in line:
                print(f"    {short(json.dumps({k: v for k, v in line.items() if k != '_aws'}), 150)}")
    print(f"   outsideRpo {report.get('outsideRpo')} of {len(by_id)} (RPO {RPO_MINUTES} min): "
          + ", ".join(f"{i} {'within' if r.get('withinRpo') else 'OUTSIDE'}"
                      + (f" ({r.get('ageSeconds'):.0f} s)" if isinstance(r.get('ageSeconds'), (int, float)) else " (no copy)")
                      for i, r in sorted(by_id.items()))
          + f"; EMF CopiesOutsideRpo {[line.get('CopiesOutsideRpo') for line in totals]}", flush=True)
    return failures


SCENARIOS = [
    Scenario("dr-cold-standby-restore", "events/dr/cold-standby-restore.json: orders-dr (writer, reader) and mysql-dr "
             "restored once each from their newest copies in us-west-2",
             Behaviour(), prepare_cold_standby, None, None, run=run_cold_standby_restore, world="dr"),
    Scenario("dr-restore-rerun", "the cold-standby payload again: both restores already done, nothing called",
             Behaviour(), prepare_cold_standby, None, None, run=run_restore_rerun, world="dr"),
    Scenario("dr-point-in-time-restore", "events/dr/point-in-time-restore.json: a new cluster and its writer from "
             "orders at a time; orders untouched",
             Behaviour(), prepare_point_in_time, None, None, run=run_point_in_time, world="dr"),
    Scenario("dr-restore-missing-snapshot", "a source without a copy in us-west-2: TargetNotFound before anything is "
             "created, the run failed",
             Behaviour(), prepare_missing_copy, None, None, run=run_missing_copy, world="dr"),
    Scenario("backup-rpo-watch", "backup-watch in us-east-1: a stale copy and a missing one outside the RPO (2), "
             "two within; EMF says 2",
             Behaviour(), prepare_backup_watch, None, None, run=run_backup_watch, world="dr"),
]
