"""The failback drill's scale-up, capacity-fallback and clean-up scenarios (issue 14), run
by drill.py in its failback world (the real machine, the real Lambdas, moto behind the
lifecycle proxy):

    scale-up-modify            a person asks for a class larger than any member's: a spare
                               reader is changed in place (ModifyDBInstance, `modifying`),
                               then one failover; nothing created
    scale-up-old-writer        the same, with "scaleOldWriter": true: after the failover the old
                               writer (now a reader) is changed to the class too, at promotion
                               tier 1, once, not waited for; the record says so
    scale-up-old-writer-tag    the same asked for by the cluster's aurora-failback:scale-old-writer
                               tag ("True": any case) instead of the input
    scale-up-modify-no-capacity  the class has no capacity in that reader's zone: the change
                               refused once, a new reader created elsewhere instead, one
                               failover; the spare reader unchanged
    scale-up-single-instance   the same request for a cluster that has only its writer:
                               a reader is created instead
    capacity-other-zone        no capacity for the class in the zones of the cluster's
                               instances: created in a zone only its DB subnet group has;
                               the refusals listed
    capacity-fallback-class    no capacity for the class anywhere: the fallback class the
                               cluster's tag allows is created, and becomes the writer
    capacity-none-allowed      no capacity anywhere, no fallback allowed: InsufficientCapacity
                               naming every attempt; nothing created
    capacity-lost-replaced     the created reader is accepted, then ends `insufficient-capacity`:
                               deleted and replaced in another zone, which becomes the writer;
                               a retried replacement creates nothing more
    abandoned-reader-deleted   every reader created ends `insufficient-capacity`: each deleted,
                               the run fails InsufficientCapacity, the record names them; a
                               retried clean-up is harmless
    abandoned-reader-kept      the same with aurora-failback:keep-on-failure=true: all kept
    scale-up-cli               `aurora-failback plan` and `scale-up` against this drill's moto,
                               the execution input they register run through the real machine
    emulated-capacity          the proxy's class changes and capacity refusals, checked alone

The lifecycle the proxy adds (class changes shown `modifying`, capacity refusals per zone
and class) is described, with the AWS references, in instance_capacity.py.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass

import boto3

from drill import (ACCOUNT, CLUSTER, FAILBACK, LIFECYCLE, REGION, ROOT, TABLE, Drill, Execution, LiveStates,
                   Scenario, check, nothing_changed, plan_of, prepare_old_writer_gone, print_ledger, print_topology)
from fault_proxy import Behaviour
import emulation_checks

BIG = "db.r6g.4xlarge"  # larger than any member of the demo cluster
WANTED = "db.r6g.2xlarge"  # the demo cluster's writer-class tag
FALLBACK = "db.r7g.2xlarge"  # as large as WANTED, another family
SCALE_UP = {"clusterId": CLUSTER, "writerClass": BIG}
SCALE_UP_OLD_WRITER = {**SCALE_UP, "scaleOldWriter": True}
OLD_WRITER = "orders-1"  # the demo cluster's writer: the old writer once the run fails over
TAG_FALLBACK = "aurora-failback:fallback-classes"
TAG_KEEP = "aurora-failback:keep-on-failure"
TAG_SCALE_OLD_WRITER = "aurora-failback:scale-old-writer"
CLI = ROOT / "target/debug/aurora-failback"


# --- what the proxy saw -------------------------------------------------------------

def changes(drill: Drill, action: str) -> list:
    """The proxy's record of one changing action's calls (Change: params, HTTP status)."""
    return [c for c in drill.proxy.counters.changes if c.action == action]


def error_code(change) -> str:
    return "ok" if change.status == 200 else f"HTTP {change.status}"


def instances_in_moto(drill: Drill) -> dict:
    """Every instance as moto holds it (no proxy rewrite): id -> DBInstance."""
    return {i["DBInstanceIdentifier"]: i
            for page in drill.rds.get_paginator("describe_db_instances").paginate() for i in page["DBInstances"]}


def reader_result(run: Execution) -> dict:
    """create-reader's last answer: CreateReader's, or ReplaceReader's once it replaced."""
    results = [r for r in run.task_results("CreateReader") + run.task_results("ReplaceReader") if isinstance(r, dict)]
    return results[-1] if results else {}


def cleanup_result(run: Execution) -> dict:
    results = [r for r in run.task_results("CleanUpReader") if isinstance(r, dict)]
    return results[-1] if results else {}


def reader_statuses(run: Execution) -> list:
    return [r.get("instanceStatus") for r in run.task_results("CheckReader") if isinstance(r, dict)]


def tag_cluster(drill: Drill, key: str, value: str) -> None:
    arn = drill.rds.describe_db_clusters(DBClusterIdentifier=CLUSTER)["DBClusters"][0]["DBClusterArn"]
    drill.rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": key, "Value": value}])


def say(text: str) -> None:
    print(f"   {text}", flush=True)


# --- worlds -------------------------------------------------------------------------

def prepare_single_instance(drill: Drill) -> None:
    """The demo cluster with only its writer (orders-1, db.r6g.2xlarge): no reader to spare."""
    drill.demo_cluster()
    for reader in ("orders-2", "orders-3"):
        drill.rds.delete_db_instance(DBInstanceIdentifier=reader)


def prepare_fallback_allowed(drill: Drill) -> None:
    """The old writer gone; the cluster allows falling back to a smaller class (refused: smaller
    than the writer's db.r6g.large) and to db.r7g.2xlarge, in that order."""
    prepare_old_writer_gone(drill)
    tag_cluster(drill, TAG_FALLBACK, f"db.t4g.medium, {FALLBACK}")


SUBNET_GROUP = "orders-subnets"
SUBNET_ZONES = ("us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d")


def prepare_in_subnet_group(drill: Drill) -> None:
    """The old writer gone (its zone, us-east-1a, now holds no instance of the cluster), the
    cluster in a DB subnet group with a subnet in each of four zones."""
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=drill.moto.endpoint,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.30.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
               for i, zone in enumerate(SUBNET_ZONES)]
    drill.rds.create_db_subnet_group(DBSubnetGroupName=SUBNET_GROUP, DBSubnetGroupDescription="orders, four zones",
                                     SubnetIds=subnets)
    prepare_old_writer_gone(drill, subnet_group=SUBNET_GROUP)


def prepare_keep_on_failure(drill: Drill) -> None:
    prepare_old_writer_gone(drill)
    tag_cluster(drill, TAG_KEEP, "true")


def prepare_old_writer_tag(drill: Drill) -> None:
    """The demo cluster asking, by its tag (in a case the tag's reader must accept), that the
    old writer be brought to the new writer's class too."""
    drill.demo_cluster()
    tag_cluster(drill, TAG_SCALE_OLD_WRITER, "True")


# --- a. scale-up by changing a spare reader in place ----------------------------------

def expect_scaled_in_place(drill: Drill, runs: list[Execution], before: list[dict], modifications: int = 1) -> list[str]:
    """A spare reader changed in place, one failover, nothing created. `modifications`: the
    ModifyDBInstance calls expected, the first the spare reader's (2 when the old writer is
    changed after it; the writer's class and tier are then expect_old_writer_scaled's)."""
    failures: list[str] = []
    run = runs[0]
    record = drill.run_record(run)
    plan = plan_of(run, record)
    target = plan.get("targetInstanceId")
    readers_before = {r["instance"]: r for r in before if not r["writer"]}
    check(failures, run.status == "SUCCEEDED", f"execution {run.status} {run.error}: {run.cause}")
    check(failures, plan.get("action") == "modify", f"plan {plan.get('action')}: {plan.get('summary') or plan.get('reason')}")
    check(failures, target in readers_before, f"the plan changes {target}, not one of the readers {sorted(readers_before)}")
    modified = changes(drill, "ModifyDBInstance")
    check(failures, len(modified) == modifications, f"{len(modified)} ModifyDBInstance calls, expected {modifications}: "
          f"{[(c.params.get('DBInstanceIdentifier'), c.params.get('DBInstanceClass')) for c in modified]}")
    for call in modified[:1]:
        sent = {k: call.params.get(k) for k in ("DBInstanceIdentifier", "DBInstanceClass", "PromotionTier", "ApplyImmediately")}
        expected = {"DBInstanceIdentifier": target, "DBInstanceClass": BIG, "PromotionTier": "0", "ApplyImmediately": "true"}
        check(failures, sent == expected and call.status == 200, f"the first ModifyDBInstance sent {sent} ({error_code(call)}), expected {expected}")
    seen = reader_statuses(run)
    check(failures, "modifying" in seen and seen[-1:] == ["available"],
          f"the reader checks saw {seen}: expected `modifying`, then `available`")
    writer = drill.writer() or {}
    if modifications == 1:
        check(failures, (writer.get("instance"), writer.get("class")) == (target, BIG),
              f"the writer is {writer.get('instance')} ({writer.get('class')}), expected {target} ({BIG})")
        check(failures, writer.get("tier") == 0, f"the new writer's promotion tier is {writer.get('tier')}, expected 0")
    check(failures, drill.proxy.counters.failovers_performed == 1, f"{drill.proxy.counters.failovers_performed} failovers, expected 1")
    check(failures, len(changes(drill, "FailoverDBCluster")) == 1, f"{len(changes(drill, 'FailoverDBCluster'))} FailoverDBCluster calls")
    check(failures, drill.proxy.counters.calls.get("CreateDBInstance", 0) == 0,
          f"{drill.proxy.counters.calls.get('CreateDBInstance', 0)} CreateDBInstance calls, expected none")
    after = drill.topology()
    check(failures, sorted(r["instance"] for r in after) == sorted(r["instance"] for r in before),
          f"instances before {sorted(r['instance'] for r in before)}, after {sorted(r['instance'] for r in after)}")
    check(failures, (record.get("outcome"), record.get("action")) == ("restored", "modify"),
          f"ledger outcome {record.get('outcome')}, action {record.get('action')}: {record.get('summary')}")
    check(failures, record.get("toClass") == BIG, f"ledger toClass {record.get('toClass')}, expected {BIG}")
    check(failures, "createdInstanceId" not in record, f"ledger names a created instance: {record.get('createdInstanceId')}")
    check(failures, "restored" in drill.published_outcomes(), "no run-finished event with outcome restored")
    say(f"plan modify {target} ({readers_before.get(target, {}).get('class')} -> {BIG}); ModifyDBInstance x{len(modified)}; "
        f"reader checks saw {seen}; writer {writer.get('instance')} {writer.get('class')} tier {writer.get('tier')}; "
        f"failovers {drill.proxy.counters.failovers_performed}; created {drill.proxy.counters.create_instance_succeeded}")
    return failures


# --- a2. scale-up, the old writer brought to the class too ------------------------------

def settle_class_change(drill: Drill, instance_id: str, bound: int = 20) -> list[str]:
    """The proxy's lifecycle of a class change played out: DescribeDBInstances through the
    proxy (not a peek, so each one moves the change on) until the instance shows no change
    under way and is `available`; the statuses seen, in order."""
    seen: list[str] = []
    for _ in range(bound):
        found = drill.peek_rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"]
        status = found[0]["DBInstanceStatus"] if found else "gone"
        seen.append(status)
        if status == "available" and drill.proxy.capacity.changing(instance_id) is None:
            break
    return seen


def old_writer_result(run: Execution) -> dict:
    results = [r for r in run.task_results("ScaleOldWriter") if isinstance(r, dict)]
    return results[-1] if results else {}


def expect_old_writer_scaled(asked_by: str):
    """A spare reader changed to BIG and made the writer (one failover), then the old writer
    changed to BIG at promotion tier 1 (one ModifyDBInstance, not waited for); asked for by
    the input or by the cluster's tag (`asked_by`)."""
    def expect(drill: Drill, runs: list[Execution], before: list[dict]) -> list[str]:
        failures = expect_scaled_in_place(drill, runs, before, modifications=2)
        run = runs[0]
        record = drill.run_record(run)
        plan = plan_of(run, record)
        target = plan.get("targetInstanceId")
        check(failures, plan.get("scaleOldWriter") is True,
              f"the plan's scaleOldWriter is {plan.get('scaleOldWriter')!r} ({asked_by}), expected true")
        check(failures, plan.get("writerInstanceId") == OLD_WRITER,
              f"the plan's writerInstanceId is {plan.get('writerInstanceId')}, expected {OLD_WRITER}")
        order = [(c.action, c.params.get("DBInstanceIdentifier") or c.params.get("TargetDBInstanceIdentifier"))
                 for c in drill.proxy.counters.changes if c.action in ("ModifyDBInstance", "FailoverDBCluster")]
        expected_order = [("ModifyDBInstance", target), ("FailoverDBCluster", target), ("ModifyDBInstance", OLD_WRITER)]
        check(failures, order == expected_order, f"the changes were {order}, expected {expected_order}")
        modified = changes(drill, "ModifyDBInstance")
        for call in modified[1:2]:
            sent = {k: call.params.get(k) for k in ("DBInstanceIdentifier", "DBInstanceClass", "PromotionTier", "ApplyImmediately")}
            expected = {"DBInstanceIdentifier": OLD_WRITER, "DBInstanceClass": BIG, "PromotionTier": "1", "ApplyImmediately": "true"}
            check(failures, sent == expected and call.status == 200,
                  f"the old writer's ModifyDBInstance sent {sent} ({error_code(call)}), expected {expected}")
        check(failures, run.entered("ScaleOldWriter") == 1, f"ScaleOldWriter entered {run.entered('ScaleOldWriter')} times, expected once")
        answered = old_writer_result(run)
        check(failures, (answered.get("instanceId"), answered.get("created"), answered.get("status"), answered.get("instanceClass"))
              == (OLD_WRITER, True, "modifying", BIG), f"ScaleOldWriter answered {answered}")
        caught = [e.get("error") for e in run.events if e["type"] in ("StateFailed", "StateCaught") and e.get("state") == "ScaleOldWriter"]
        check(failures, not caught, f"ScaleOldWriter failed: {caught}")
        # Not waited for: the run ended with the old writer still `modifying`.
        changing_at_end = drill.proxy.capacity.changing(OLD_WRITER)
        check(failures, changing_at_end is not None and changing_at_end.new_class == BIG,
              f"the old writer's class change is not under way as the run ends: {changing_at_end}")
        settled = settle_class_change(drill, OLD_WRITER)
        check(failures, settled[:1] == ["modifying"] and settled[-1:] == ["available"],
              f"the old writer's describes after the run: {settled}, expected `modifying`, then `available`")
        after = {r["instance"]: r for r in drill.topology()}
        old = after.get(OLD_WRITER, {})
        new = after.get(target or "", {})
        check(failures, (old.get("class"), old.get("tier"), old.get("writer"), old.get("status")) == (BIG, 1, False, "available"),
              f"the old writer settled as {old.get('class')} tier {old.get('tier')} writer {old.get('writer')} {old.get('status')}, "
              f"expected {BIG} tier 1, a reader, available")
        check(failures, (new.get("class"), new.get("tier"), new.get("writer")) == (BIG, 0, True),
              f"the new writer {target} is {new.get('class')} tier {new.get('tier')} writer {new.get('writer')}, expected {BIG} tier 0, the writer")
        words = f"old writer {OLD_WRITER} is changing to {BIG} (promotion tier 1)"
        check(failures, record.get("oldWriter") == words, f"ledger oldWriter {record.get('oldWriter')!r}, expected {words!r}")
        check(failures, (record.get("summary") or "").endswith(f"; {words}"),
              f"ledger summary {record.get('summary')!r} does not end with {'; ' + words!r}")
        say(f"asked by {asked_by}; ScaleOldWriter: {answered.get('instanceId')} {answered.get('status')} ({answered.get('instanceClass')}); "
            f"changes {order}; old writer after the run {settled}; settled {old.get('class')} tier {old.get('tier')}; "
            f"writer {new.get('instance')} {new.get('class')} tier {new.get('tier')}")
        say(f"ledger oldWriter: {record.get('oldWriter')!r}")
        say(f"ledger summary: {record.get('summary')!r}")
        return failures
    return expect


def expect_modify_fell_back(drill: Drill, runs: list[Execution], before: list[dict]) -> list[str]:
    """No capacity for the class in the spare reader's zone: ModifyDBInstance refused once,
    a new reader of the class created elsewhere instead, one failover to it; the spare
    reader keeps its class."""
    failures: list[str] = []
    run = runs[0]
    record = drill.run_record(run)
    modified = [(c.params.get("DBInstanceIdentifier"), c.params.get("DBInstanceClass"), error_code(c)) for c in changes(drill, "ModifyDBInstance")]
    created = [(c.params.get("DBInstanceClass"), c.params.get("AvailabilityZone"), error_code(c)) for c in changes(drill, "CreateDBInstance")]
    writer = drill.writer() or {}
    spare = instances_in_moto(drill).get("orders-2", {})
    attempts = record.get("attempts") or ""
    check(failures, run.status == "SUCCEEDED", f"execution {run.status} {run.error}: {run.cause}")
    check(failures, (record.get("outcome"), record.get("action")) == ("restored", "modify"),
          f"ledger {record.get('outcome')} {record.get('action')} {record.get('error')}: {record.get('summary')} {record.get('errorCause', '')}")
    check(failures, modified == [("orders-2", BIG, "HTTP 400")], f"ModifyDBInstance calls {modified}, expected one, refused")
    check(failures, created == [(BIG, None, "ok")], f"CreateDBInstance calls {created}, expected one of {BIG}, its zone left to Aurora")
    check(failures, (writer.get("instance"), writer.get("class")) == (record.get("createdInstanceId"), BIG),
          f"the writer is {writer.get('instance')} ({writer.get('class')}); the run created {record.get('createdInstanceId')}")
    check(failures, spare.get("DBInstanceClass") == "db.r6g.large", f"the spare reader is {spare.get('DBInstanceClass')} now")
    check(failures, "orders-2" in attempts and "no capacity to change it in place" in attempts, f"ledger attempts {attempts!r}")
    check(failures, drill.proxy.counters.failovers_performed == 1, f"{drill.proxy.counters.failovers_performed} failovers, expected 1")
    check(failures, run.entered("CleanUpReader") == 0, "CleanUpReader ran on a run that restored")
    say(f"ModifyDBInstance: {modified}; CreateDBInstance: {created}; writer {writer.get('instance')} ({writer.get('class')}); "
        f"ledger attempts {attempts!r}")
    return failures


# --- b. scale-up of a cluster with no reader to spare ---------------------------------

def expect_scaled_by_creation(drill: Drill, runs: list[Execution], before: list[dict]) -> list[str]:
    failures: list[str] = []
    run = runs[0]
    record = drill.run_record(run)
    plan = plan_of(run, record)
    created = changes(drill, "CreateDBInstance")
    writer = drill.writer() or {}
    check(failures, run.status == "SUCCEEDED", f"execution {run.status} {run.error}: {run.cause}")
    check(failures, plan.get("action") == "create", f"plan {plan.get('action')}: {plan.get('summary') or plan.get('reason')}")
    check(failures, len(created) == 1 and created[0].status == 200 and created[0].params.get("DBInstanceClass") == BIG,
          f"CreateDBInstance calls: {[(c.params.get('DBInstanceClass'), error_code(c)) for c in created]}, expected one of {BIG}")
    check(failures, not changes(drill, "ModifyDBInstance"), f"{len(changes(drill, 'ModifyDBInstance'))} ModifyDBInstance calls")
    check(failures, drill.proxy.counters.failovers_performed == 1, f"{drill.proxy.counters.failovers_performed} failovers, expected 1")
    check(failures, writer.get("class") == BIG and writer.get("instance") == record.get("createdInstanceId"),
          f"the writer is {writer.get('instance')} ({writer.get('class')}); the run created {record.get('createdInstanceId')}")
    check(failures, len(drill.topology()) == len(before) + 1, f"{len(before)} instances before, {len(drill.topology())} after")
    check(failures, (record.get("outcome"), record.get("action")) == ("restored", "create"),
          f"ledger outcome {record.get('outcome')}, action {record.get('action')}: {record.get('summary')}")
    say(f"members before {[r['instance'] for r in before]}; plan create; created {record.get('createdInstanceId')} ({BIG}); "
        f"writer {writer.get('instance')} {writer.get('class')}; failovers {drill.proxy.counters.failovers_performed}")
    return failures


# --- c, d, e. capacity --------------------------------------------------------------

def created_zone(drill: Drill, instance_id: str | None) -> str | None:
    return instances_in_moto(drill).get(instance_id or "", {}).get("AvailabilityZone")


def expect_other_zone(drill: Drill, runs: list[Execution], before: list[dict]) -> list[str]:
    """No capacity for the class in the planned zone (the writer's, us-east-1b) nor in the
    other member's (us-east-1c): created in us-east-1a, a zone of the cluster's DB subnet
    group where none of its instances is; the refusals listed, one instance."""
    failures: list[str] = []
    run = runs[0]
    record = drill.run_record(run)
    plan = plan_of(run, record)
    reader = reader_result(run)
    calls = [(c.params.get("DBInstanceClass"), c.params.get("AvailabilityZone"), error_code(c)) for c in changes(drill, "CreateDBInstance")]
    zone = created_zone(drill, record.get("createdInstanceId"))
    writer = drill.writer() or {}
    check(failures, run.status == "SUCCEEDED" and record.get("outcome") == "restored",
          f"execution {run.status}, ledger {record.get('outcome')}: {record.get('summary')} {record.get('errorCause', '')}")
    check(failures, plan.get("availabilityZone") == "us-east-1b", f"the plan's zone is {plan.get('availabilityZone')}, expected the writer's us-east-1b")
    check(failures, calls == [(WANTED, "us-east-1b", "HTTP 400"), (WANTED, "us-east-1c", "HTTP 400"), (WANTED, "us-east-1a", "ok")],
          f"CreateDBInstance calls {calls}: expected us-east-1b and us-east-1c refused, then the subnet group's us-east-1a")
    check(failures, zone == "us-east-1a", f"the new reader is in {zone}, expected us-east-1a")
    attempts = reader.get("attempts") or []
    check(failures, len(attempts) == 2 and "us-east-1b" in attempts[0] and "us-east-1c" in attempts[1],
          f"create-reader's attempts {attempts}: expected the refusals in us-east-1b and us-east-1c")
    check(failures, "us-east-1c" in (record.get("attempts") or ""), f"ledger attempts {record.get('attempts')!r}")
    check(failures, drill.proxy.counters.create_instance_succeeded == 1, f"{drill.proxy.counters.create_instance_succeeded} instances created")
    check(failures, (writer.get("instance"), writer.get("class")) == (record.get("createdInstanceId"), WANTED),
          f"the writer is {writer.get('instance')} ({writer.get('class')})")
    check(failures, drill.proxy.counters.failovers_performed == 1, f"{drill.proxy.counters.failovers_performed} failovers")
    say(f"subnet group zones {', '.join(SUBNET_ZONES)}; CreateDBInstance: {calls}; created {record.get('createdInstanceId')} in {zone}")
    return failures


def expect_fallback_class(drill: Drill, runs: list[Execution], before: list[dict]) -> list[str]:
    failures: list[str] = []
    run = runs[0]
    record = drill.run_record(run)
    reader = reader_result(run)
    calls = [(c.params.get("DBInstanceClass"), c.params.get("AvailabilityZone"), error_code(c)) for c in changes(drill, "CreateDBInstance")]
    writer = drill.writer() or {}
    check(failures, run.status == "SUCCEEDED" and record.get("outcome") == "restored",
          f"execution {run.status}, ledger {record.get('outcome')}: {record.get('summary')} {record.get('errorCause', '')}")
    check(failures, calls == [(WANTED, "us-east-1b", "HTTP 400"), (WANTED, "us-east-1c", "HTTP 400"), (FALLBACK, "us-east-1b", "ok")],
          f"CreateDBInstance calls {calls}: expected {WANTED} refused in both zones, then {FALLBACK}")
    check(failures, reader.get("instanceClass") == FALLBACK, f"create-reader's instanceClass {reader.get('instanceClass')}")
    attempts = reader.get("attempts") or []
    check(failures, any("db.t4g.medium" in a for a in attempts) and sum(WANTED in a for a in attempts) == 2,
          f"create-reader's attempts {attempts}: expected db.t4g.medium refused as smaller, {WANTED} refused twice")
    check(failures, (writer.get("instance"), writer.get("class")) == (record.get("createdInstanceId"), FALLBACK),
          f"the writer is {writer.get('instance')} ({writer.get('class')}), expected the created {record.get('createdInstanceId')} ({FALLBACK})")
    check(failures, record.get("toClass") == FALLBACK, f"ledger toClass {record.get('toClass')}, expected {FALLBACK}")
    check(failures, drill.proxy.counters.create_instance_succeeded == 1, f"{drill.proxy.counters.create_instance_succeeded} instances created")
    check(failures, drill.proxy.counters.failovers_performed == 1, f"{drill.proxy.counters.failovers_performed} failovers")
    say(f"CreateDBInstance: {calls}; writer {writer.get('instance')} {writer.get('class')}; ledger toClass {record.get('toClass')}; "
        f"summary {record.get('summary')!r}")
    return failures


def expect_no_capacity(drill: Drill, runs: list[Execution], before: list[dict]) -> list[str]:
    failures: list[str] = []
    run = runs[0]
    record = drill.run_record(run)
    cause = record.get("errorCause") or ""
    calls = [(c.params.get("DBInstanceClass"), c.params.get("AvailabilityZone"), error_code(c)) for c in changes(drill, "CreateDBInstance")]
    check(failures, run.status == "FAILED" and run.error == "RestoreFailed", f"execution {run.status} {run.error}")
    check(failures, (record.get("outcome"), record.get("error")) == ("failed", "InsufficientCapacity"),
          f"ledger {record.get('outcome')} {record.get('error')}: {cause}")
    for text in (f"{WANTED} in us-east-1b", f"{WANTED} in us-east-1c", TAG_FALLBACK):
        check(failures, text in cause, f"the error {cause!r} does not name {text!r}")
    check(failures, calls == [(WANTED, "us-east-1b", "HTTP 400"), (WANTED, "us-east-1c", "HTTP 400")],
          f"CreateDBInstance calls {calls}: expected each zone once, refused")
    check(failures, run.entered("CleanUpReader") == 0, "CleanUpReader ran, with nothing created")
    check(failures, "failed" in drill.published_outcomes(), "no run-finished event with outcome failed")
    say(f"CreateDBInstance: {calls}; ledger error {record.get('error')}: {cause}")
    return failures + nothing_changed(drill, before)


# --- f. the abandoned reader ------------------------------------------------------------

def retried_call(drill: Drill, run: Execution, state: str) -> dict:
    """A Task's create-reader call made again with the very input the machine gave it, as a
    Step Functions retry after a lost answer would."""
    inputs = [e["taskInput"] for e in run.events if e.get("state") == state and "taskInput" in e]
    if not inputs:
        return {"error": True, "errorType": "NotCalled", "errorMessage": f"{state} was never called"}
    invoked = drill.lambdas.invoke("create-reader", inputs[-1])
    return {"error": invoked.error, **(invoked.body if isinstance(invoked.body, dict) else {"body": invoked.body})}


def placements(drill: Drill, run: Execution) -> list[tuple]:
    """Every instance create-reader asked for: (instance, class, zone, HTTP result)."""
    return [(c.params.get("DBInstanceIdentifier"), c.params.get("DBInstanceClass"), c.params.get("AvailabilityZone"), error_code(c))
            for c in changes(drill, "CreateDBInstance")]


def expect_replaced(drill: Drill, runs: list[Execution], before: list[dict]) -> list[str]:
    """The reader created in us-east-1b is accepted, then ends insufficient-capacity: it is
    deleted, a second is created in us-east-1c and becomes the writer; one failover. A
    retried ReplaceReader finds the second and creates nothing."""
    failures: list[str] = []
    run = runs[0]
    record = drill.run_record(run)
    asked = placements(drill, run)
    first, second = (asked + [(None,) * 4] * 2)[:2]
    deletes = [(c.params.get("DBInstanceIdentifier"), error_code(c)) for c in changes(drill, "DeleteDBInstance")]
    writer = drill.writer() or {}
    failed = [e.get("error") for e in run.events if e["type"] == "StateFailed" and e.get("state") == "CheckReader"]
    attempts = record.get("attempts") or ""
    check(failures, run.status == "SUCCEEDED" and record.get("outcome") == "restored",
          f"execution {run.status}, ledger {record.get('outcome')}: {record.get('summary')} {record.get('errorCause', '')}")
    check(failures, [(a[1], a[2], a[3]) for a in asked] == [(WANTED, "us-east-1b", "ok"), (WANTED, "us-east-1c", "ok")],
          f"CreateDBInstance calls {asked}: expected us-east-1b, then us-east-1c")
    check(failures, first[0] != second[0], f"the replacement reused the name {first[0]}")
    check(failures, failed == ["TargetOutOfCapacity"], f"the reader checks failed with {failed}")
    check(failures, run.entered("ReplaceReader") == 1, f"ReplaceReader entered {run.entered('ReplaceReader')} times")
    check(failures, deletes == [(first[0], "ok")], f"DeleteDBInstance calls {deletes}, expected one of {first[0]}")
    check(failures, first[0] not in instances_in_moto(drill), f"{first[0]} is still there")
    check(failures, (writer.get("instance"), writer.get("class")) == (second[0], WANTED) == (record.get("createdInstanceId"), WANTED),
          f"the writer is {writer.get('instance')} ({writer.get('class')}); the record names {record.get('createdInstanceId')}")
    check(failures, record.get("targetInstanceId") == second[0], f"ledger targetInstanceId {record.get('targetInstanceId')}")
    check(failures, f"{first[0]} was accepted, then insufficient-capacity; deleting" in attempts, f"ledger attempts {attempts!r}")
    check(failures, drill.proxy.counters.failovers_performed == 1, f"{drill.proxy.counters.failovers_performed} failovers")
    retried = retried_call(drill, run, "ReplaceReader")
    check(failures, not retried.get("error") and retried.get("instanceId") == second[0] and retried.get("created") is False,
          f"the retried replacement answered {retried}, expected {second[0]}, not created again")
    check(failures, len(changes(drill, "CreateDBInstance")) == len(asked) and len(changes(drill, "DeleteDBInstance")) == len(deletes),
          "the retried replacement sent CreateDBInstance or DeleteDBInstance")
    say(f"created {first[0]} in us-east-1b: checks failed {failed}; ReplaceReader deleted it and created {second[0]} in us-east-1c; "
        f"writer {writer.get('instance')}; retried replacement: {retried.get('instanceId')} created={retried.get('created')}")
    return failures


def expect_abandoned(kept: bool):
    """Every reader the run creates (us-east-1b, then us-east-1c) ends insufficient-capacity;
    no fallback class: each is deleted as it is replaced (or kept under keep-on-failure),
    the run fails InsufficientCapacity and CleanUpReader sees to the last; the record says
    what became of each. A retried clean-up changes nothing; an instance of the run's name
    without its tag is never deleted."""
    def expect(drill: Drill, runs: list[Execution], before: list[dict]) -> list[str]:
        failures: list[str] = []
        run = runs[0]
        record = drill.run_record(run)
        asked = placements(drill, run)
        made = [a[0] for a in asked if a[3] == "ok"]
        last = made[-1] if made else None
        cleaned = cleanup_result(run)
        deletes = [(c.params.get("DBInstanceIdentifier"), error_code(c)) for c in changes(drill, "DeleteDBInstance")]
        attempts = record.get("attempts") or ""
        in_moto = instances_in_moto(drill)
        check(failures, run.status == "FAILED" and run.error == "RestoreFailed", f"execution {run.status} {run.error}")
        check(failures, (record.get("outcome"), record.get("error")) == ("failed", "InsufficientCapacity"),
              f"ledger {record.get('outcome')} {record.get('error')}: {record.get('errorCause')}")
        check(failures, [(a[1], a[2], a[3]) for a in asked] == [(WANTED, "us-east-1b", "ok"), (WANTED, "us-east-1c", "ok")],
              f"CreateDBInstance calls {asked}: expected one in each zone of the cluster, both accepted")
        check(failures, run.entered("ReplaceReader") == 2 and run.entered("CleanUpReader") == 1,
              f"ReplaceReader entered {run.entered('ReplaceReader')}, CleanUpReader {run.entered('CleanUpReader')} times")
        check(failures, drill.proxy.counters.failovers_performed == 0, "a failover happened")
        # The last replacement failed: its error's cause carries every attempt, the last included.
        said = attempts + " " + (record.get("errorCause") or "")
        for instance in made:
            check(failures, f"{instance} was accepted, then insufficient-capacity; {'kept' if kept else 'deleting'}" in said,
                  f"ledger attempts {attempts!r} and cause {record.get('errorCause')!r} do not say what became of {instance}")
        if kept:
            check(failures, not deletes, f"DeleteDBInstance calls {deletes} with keep-on-failure")
            check(failures, all(i in in_moto for i in made), f"of {made}, only {[i for i in made if i in in_moto]} are left")
            check(failures, cleaned.get("status") == "kept", f"CleanUpReader answered {cleaned}")
            check(failures, (record.get("cleanup") or "").startswith(f"kept {last}"), f"ledger cleanup {record.get('cleanup')!r}")
        else:
            check(failures, deletes == [(i, "ok") for i in made], f"DeleteDBInstance calls {deletes}, expected one of each of {made}")
            check(failures, not any(i in in_moto for i in made), f"left behind: {[i for i in made if i in in_moto]}")
            # moto deletes at once; AWS would still show the last one `deleting`.
            check(failures, cleaned.get("status") in ("gone", "deleting") and cleaned.get("instanceId") == last,
                  f"CleanUpReader answered {cleaned}")
        check(failures, (drill.writer() or {}).get("instance") == "orders-2", f"the writer moved: {drill.writer()}")
        members = sorted(r["instance"] for r in drill.topology())
        retried = retried_call(drill, run, "CleanUpReader")
        allowed = ("kept",) if kept else ("gone", "deleting")
        check(failures, not retried.get("error") and retried.get("status") in allowed,
              f"the retried clean-up answered {retried}, expected status {' or '.join(allowed)}")
        check(failures, len(changes(drill, "DeleteDBInstance")) == len(deletes),
              f"the retried clean-up sent DeleteDBInstance ({len(changes(drill, 'DeleteDBInstance'))} in all)")
        check(failures, sorted(r["instance"] for r in drill.topology()) == members, "the retried clean-up changed the cluster")
        stranger = None
        if not kept and last and last not in in_moto:
            # Someone else's instance under the same name (no run tag): never deleted.
            drill.rds.create_db_instance(DBInstanceIdentifier=last, DBClusterIdentifier=CLUSTER, Engine="aurora-postgresql",
                                         DBInstanceClass="db.r6g.large", AvailabilityZone="us-east-1c",
                                         Tags=[{"Key": "team", "Value": "payments"}])
            stranger = retried_call(drill, run, "CleanUpReader")
            check(failures, stranger.get("error") and stranger.get("errorType") == "IdentifierConflict",
                  f"clean-up of an instance this run did not create answered {stranger}, expected IdentifierConflict")
            check(failures, last in instances_in_moto(drill) and len(changes(drill, "DeleteDBInstance")) == len(deletes),
                  "the clean-up deleted an instance this run did not create")
        say(f"created {made}; ReplaceReader x{run.entered('ReplaceReader')}; CleanUpReader: {cleaned.get('status')}; "
            f"DeleteDBInstance {deletes}; ledger error {record.get('error')}; cleanup {record.get('cleanup')!r}; "
            f"retried clean-up: {retried.get('status')}"
            + (f"; a stranger's instance of that name: {stranger.get('errorType')}, kept" if stranger else ""))
        return failures
    return expect


# --- g. the CLI against this drill ----------------------------------------------------

@dataclass
class CliRun:
    args: list
    code: int
    stdout: str
    stderr: str


def register_machine(drill: Drill) -> str:
    """The failback machine as deployed (its substitutions made), registered in moto's Step
    Functions with execution disabled: StartExecution is recorded, nothing runs there."""
    drill.moto.post("/moto-api/config", {"stepfunctions": {"execute_state_machine": False}})
    definition = FAILBACK.definition.read_text()
    for name, value in FAILBACK.substitutions.items():
        definition = definition.replace("${" + name + "}", value)
    if "${" in definition:
        raise RuntimeError("a placeholder of the machine is not substituted")
    sfn = sfn_client(drill)
    return sfn.create_state_machine(name=FAILBACK.name, definition=definition,
                                    roleArn=f"arn:aws:iam::{ACCOUNT}:role/aurora-failback")["stateMachineArn"]


def sfn_client(drill: Drill):
    return boto3.client("stepfunctions", region_name=REGION, endpoint_url=drill.moto.endpoint,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def run_cli(drill: Drill, machine_arn: str, *args: str) -> CliRun:
    """The CLI binary with nothing of this machine's AWS setup: the drill's proxy (moto
    behind it) as its endpoint, the registered machine, the ledger table."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{drill.proxy.port}",
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AURORA_FAILBACK_TABLE": TABLE,
        "AURORA_FAILBACK_STATE_MACHINE": machine_arn,
        "AURORA_FAILBACK_POLL_MS": "50",
    }
    done = subprocess.run([str(CLI), *args], env=env, capture_output=True, text=True, timeout=120)
    return CliRun(list(args), done.returncode, done.stdout, done.stderr)


def show_cli(result: CliRun) -> None:
    print(f"\n   $ aurora-failback {' '.join(result.args)}    (exit {result.code})")
    for line in (result.stdout + result.stderr).rstrip().splitlines():
        print(f"     {line}")


def started_execution(drill: Drill, result: CliRun) -> tuple[str | None, str | None, object]:
    """(run name, execution ARN, input) of the execution `scale-up` registered in moto."""
    found = re.search(r"Started run (\S+)\s+(arn:aws:states:\S+)", result.stdout)
    if not found:
        return None, None, None
    name, arn = found.group(1), found.group(2)
    described = sfn_client(drill).describe_execution(executionArn=arn)
    return name, arn, json.loads(described["input"])


def run_scale_up_cli(drill: Drill, verbose: bool) -> list[str]:
    """`aurora-failback plan` and `scale-up` against the drill's moto; the execution input
    `scale-up` registers, run through the real machine here (moto's Step Functions runs no
    Lambda); the result read back from moto, the ledger and `aurora-failback runs`."""
    failures: list[str] = []
    if not CLI.is_file():
        return [f"no CLI binary at {CLI} (make build)"]
    machine_arn = register_machine(drill)
    before = drill.topology()
    print_topology("Before", before)

    planned = run_cli(drill, machine_arn, "plan", CLUSTER, "--writer-class", BIG)
    show_cli(planned)
    as_json = run_cli(drill, machine_arn, "plan", CLUSTER, "--writer-class", BIG, "--json")
    try:
        cli_plan = json.loads(as_json.stdout)
    except ValueError:
        cli_plan = {}
    check(failures, planned.code == 0 and "modify:" in planned.stdout, f"plan exit {planned.code}: {planned.stdout}{planned.stderr}")
    check(failures, cli_plan.get("action") == "modify", f"plan --json: action {cli_plan.get('action')}")

    dry = run_cli(drill, machine_arn, "scale-up", CLUSTER, "--to", BIG, "--dry-run")
    show_cli(dry)
    dry_name, _, dry_input = started_execution(drill, dry)
    print(f"     registered input: {json.dumps(dry_input)}")
    check(failures, dry.code == 0, f"scale-up --dry-run exit {dry.code}: {dry.stderr}")
    check(failures, dry_input == {"clusterId": CLUSTER, "dryRun": True, "writerClass": BIG},
          f"scale-up --dry-run registered {dry_input}")

    real = run_cli(drill, machine_arn, "scale-up", CLUSTER, "--to", BIG)
    show_cli(real)
    real_name, _, real_input = started_execution(drill, real)
    print(f"     registered input: {json.dumps(real_input)}")
    check(failures, real.code == 0, f"scale-up exit {real.code}: {real.stderr}")
    check(failures, real_input == {"clusterId": CLUSTER, "dryRun": False, "writerClass": BIG},
          f"scale-up registered {real_input}")
    listed = sfn_client(drill).list_executions(stateMachineArn=machine_arn)["executions"]
    check(failures, len(listed) == 2, f"{len(listed)} executions registered in moto, expected 2")
    if failures or not dry_name or not real_name:
        return failures or ["scale-up registered no execution"]

    # Moto's Step Functions runs no Lambda: the same inputs, under the same run names,
    # through the real machine here.
    for name, trigger in ((dry_name, dry_input), (real_name, real_input)):
        print(f"\n   The registered execution {name}, run through statemachine/failback.asl.json:\n")
        live = LiveStates(show_changes=True)
        run = drill.run(name, trigger, live)
        live.flush_hidden()
        record = drill.run_record(run)
        print(f"\n   Execution {run.name}: {run.status}" + (f" ({run.error})" if run.error else "") + f" in {run.seconds:.1f} s")
        print_ledger(record)
        plan = plan_of(run, record)
        check(failures, plan.get("action") == cli_plan.get("action") and plan.get("targetInstanceId") == cli_plan.get("targetInstanceId"),
              f"{name}: the machine planned {plan.get('action')} {plan.get('targetInstanceId')}, the CLI "
              f"{cli_plan.get('action')} {cli_plan.get('targetInstanceId')}")
        if trigger.get("dryRun"):
            check(failures, run.status == "SUCCEEDED" and record.get("outcome") == "dry-run",
                  f"{name}: {run.status}, ledger {record.get('outcome')}")
            failures += nothing_changed(drill, before)
        else:
            failures += expect_scaled_in_place(drill, [run], before)
    print_topology("After", drill.topology())
    history = run_cli(drill, machine_arn, "runs", "--cluster", CLUSTER)
    show_cli(history)
    check(failures, history.code == 0 and real_name in history.stdout and dry_name in history.stdout,
          f"runs does not list both runs: {history.stdout}{history.stderr}")
    return failures


# --- the proxy's emulation, checked alone ---------------------------------------------

def run_emulated_capacity(drill: Drill, verbose: bool) -> list[str]:
    """instance_capacity.py against the AWS references, with boto3, through the proxy."""
    drill.moto.post("/moto-api/reset")
    found = emulation_checks.check_instance_capacity(f"http://127.0.0.1:{drill.proxy.port}", drill.moto.endpoint, drill.proxy)
    say("class change: modifying x2 with PendingModifiedValues, then available with the new class; "
        "InsufficientDBInstanceCapacity for CreateDBInstance and ModifyDBInstance per (zone, class); "
        "creating -> insufficient-capacity" if not found else "the emulation differs from the references")
    return found


NO_CAPACITY_HERE = (("us-east-1b", WANTED),)
NO_CAPACITY_IN_MEMBER_ZONES = (("us-east-1b", WANTED), ("us-east-1c", WANTED))
NO_CAPACITY_ANYWHERE = (("*", WANTED),)
FAILOVER_EVENT = "failover-completed.json"

SCENARIOS = [
    Scenario("scale-up-modify", f"a person asks for {BIG}: a spare reader changed in place, one failover, nothing created",
             Behaviour(failing_over_polls=2, class_change_describes=3), lambda d: d.demo_cluster(), SCALE_UP,
             expect_scaled_in_place),
    Scenario("scale-up-old-writer", f"{BIG} with scaleOldWriter: the spare reader made the writer, then the old writer changed too (tier 1)",
             Behaviour(failing_over_polls=2, class_change_describes=3), lambda d: d.demo_cluster(), SCALE_UP_OLD_WRITER,
             expect_old_writer_scaled("the input's scaleOldWriter")),
    Scenario("scale-up-old-writer-tag", f"the same asked for by the cluster's {TAG_SCALE_OLD_WRITER}=True tag, not the input",
             Behaviour(failing_over_polls=2, class_change_describes=3), prepare_old_writer_tag, SCALE_UP,
             expect_old_writer_scaled(f"the cluster's {TAG_SCALE_OLD_WRITER}=True tag")),
    Scenario("scale-up-modify-no-capacity", f"no {BIG} capacity in the spare reader's zone: the change refused, a new reader created elsewhere, one failover",
             Behaviour(new_instance_statuses=LIFECYCLE, failing_over_polls=2, no_capacity=(("us-east-1b", BIG),)),
             lambda d: d.demo_cluster(), SCALE_UP, expect_modify_fell_back),
    Scenario("scale-up-single-instance", f"{BIG} asked for a cluster with only its writer: a reader created, one failover",
             Behaviour(new_instance_statuses=LIFECYCLE, failing_over_polls=2), prepare_single_instance, SCALE_UP,
             expect_scaled_by_creation),
    Scenario("capacity-other-zone", f"no {WANTED} capacity where the cluster's instances are: created in a zone of its DB subnet group",
             Behaviour(new_instance_statuses=LIFECYCLE, failing_over_polls=2, no_capacity=NO_CAPACITY_IN_MEMBER_ZONES),
             prepare_in_subnet_group, FAILOVER_EVENT, expect_other_zone),
    Scenario("capacity-fallback-class", f"no {WANTED} capacity anywhere: the allowed fallback {FALLBACK} created, now the writer",
             Behaviour(new_instance_statuses=LIFECYCLE, failing_over_polls=2, no_capacity=NO_CAPACITY_ANYWHERE),
             prepare_fallback_allowed, FAILOVER_EVENT, expect_fallback_class),
    Scenario("capacity-none-allowed", f"no {WANTED} capacity anywhere, no fallback allowed: InsufficientCapacity, nothing created",
             Behaviour(no_capacity=NO_CAPACITY_ANYWHERE), prepare_old_writer_gone, FAILOVER_EVENT, expect_no_capacity),
    Scenario("capacity-lost-replaced", "the new reader is accepted, then ends insufficient-capacity: deleted, replaced in another zone, now the writer",
             Behaviour(new_instance_statuses=LIFECYCLE, failing_over_polls=2, capacity_lost=NO_CAPACITY_HERE),
             prepare_old_writer_gone, FAILOVER_EVENT, expect_replaced),
    Scenario("abandoned-reader-deleted", "every new reader ends insufficient-capacity: each deleted, InsufficientCapacity; a retried clean-up is harmless",
             Behaviour(capacity_lost=NO_CAPACITY_ANYWHERE), prepare_old_writer_gone, FAILOVER_EVENT,
             expect_abandoned(kept=False)),
    Scenario("abandoned-reader-kept", "the same with aurora-failback:keep-on-failure=true: every reader kept",
             Behaviour(capacity_lost=NO_CAPACITY_ANYWHERE), prepare_keep_on_failure, FAILOVER_EVENT,
             expect_abandoned(kept=True)),
    Scenario("scale-up-cli", f"aurora-failback plan and scale-up --to {BIG} against the drill's moto; the input run by the real machine",
             Behaviour(failing_over_polls=2), lambda d: d.demo_cluster(), None, None, run=run_scale_up_cli),
    Scenario("emulated-capacity", "the proxy's class changes (modifying) and capacity refusals per zone and class, checked alone",
             Behaviour(), lambda d: None, None, None, run=run_emulated_capacity),
]
