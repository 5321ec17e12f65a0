"""Part (c): an Availability Zone outage. CLUSTERS clusters failed over at once, each to its
small reader, restored by as many executions started together, through the drill's real
machine and Lambdas (drill.Drill: moto, the lifecycle/fault proxy, run_machine.mjs) with
throttling injected on a share of the AWS calls.

Half the clusters take the failback path (the old writer came back as a reader), half the
create path (the old writer is gone: a tier-0 replacement is created, `creating` through
the drill's LIFECYCLE polls). Every cluster is the drill's demo cluster under its own name
(orders-01 ... orders-50), seeded here because Drill.demo_cluster names one cluster only.

The same is run for one cluster of each path, without faults, as the baseline: the calls a
cluster costs when nothing else is going on. Reported: restored or not per cluster (the
execution succeeded and the writer has the 2xlarge class), AWS calls by action in total
and per cluster against the baseline, duplicates (a cluster with more than one
CreateDBInstance or FailoverDBCluster that took effect), and the wall time.

The Lambdas are the binaries bench.py measures (make package's release build when it is
there), and the machine's PutEvents goes through the proxy, so it is counted with the rest.
The drill runs one process per function; that would queue 50 executions behind five
processes, so each function gets EXTRA_PROCESSES more on the same Runtime API (as Lambda
runs more sandboxes under load); they take invocations from the same queue.
"""
from __future__ import annotations

import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools/drill"))

import drill as drill_module  # noqa: E402
from drill import ACCOUNT, Drill, fresh, read_event  # noqa: E402
from fault_proxy import Behaviour  # noqa: E402

CLUSTERS = 50
EXTRA_PROCESSES = 2
THROTTLE_RATE = 0.2
DESIRED = "db.r6g.2xlarge"


def seed_cluster(drill: Drill, cluster_id: str, path: str) -> None:
    """The demo cluster as `cluster_id`, failed over to its small reader; on the create path
    the old writer is gone and the class comes from the writer-class tag."""
    tags = [{"Key": "aurora-failback:enabled", "Value": "true"},
            {"Key": "aurora-failback:writer-class", "Value": DESIRED}]
    drill.rds.create_db_cluster(DBClusterIdentifier=cluster_id, Engine="aurora-postgresql", EngineVersion="16.4",
                                MasterUsername="app", MasterUserPassword="drill-password-1", Tags=tags)
    for n, instance_class, zone, tier in [(1, DESIRED, "us-east-1a", 0), (2, "db.r6g.large", "us-east-1b", 1),
                                          (3, "db.r6g.large", "us-east-1c", 1)]:
        drill.rds.create_db_instance(
            DBInstanceIdentifier=f"{cluster_id}-{n}", DBClusterIdentifier=cluster_id, Engine="aurora-postgresql",
            DBInstanceClass=instance_class, AvailabilityZone=zone, PromotionTier=tier,
            MonitoringInterval=60, MonitoringRoleArn=f"arn:aws:iam::{ACCOUNT}:role/rds-monitoring",
            AutoMinorVersionUpgrade=False, Tags=[{"Key": "team", "Value": "payments"}])
    drill.rds.failover_db_cluster(DBClusterIdentifier=cluster_id, TargetDBInstanceIdentifier=f"{cluster_id}-2")
    if path == "create":
        drill.rds.delete_db_instance(DBInstanceIdentifier=f"{cluster_id}-1")


def event_for(cluster_id: str) -> dict:
    event = fresh(read_event("failover-completed.json"))
    arn = f"arn:aws:rds:us-east-1:{ACCOUNT}:cluster:{cluster_id}"
    event["resources"] = [arn]
    event["detail"].update(SourceArn=arn, SourceIdentifier=cluster_id,
                           Message=f"Completed failover to DB instance: {cluster_id}-2")
    return event


@dataclass
class Outcome:
    clusters: dict  # cluster -> path
    seconds: float
    restored: dict = field(default_factory=dict)  # cluster -> bool
    calls: Counter = field(default_factory=Counter)
    created: Counter = field(default_factory=Counter)  # cluster -> CreateDBInstance that took effect
    failovers: Counter = field(default_factory=Counter)
    throttled: int = 0
    statuses: Counter = field(default_factory=Counter)


def run_wave(drill: Drill, clusters: dict, behaviour: Behaviour, tag: str) -> Outcome:
    drill.reset(behaviour)
    for cluster_id, path in clusters.items():
        seed_cluster(drill, cluster_id, path)
    drill.proxy.configure(behaviour)  # counters from zero: the seeding went to moto directly anyway
    began = time.monotonic()
    started = [(cluster_id, *drill.start(f"bench-{tag}-{cluster_id}", event_for(cluster_id), None))
               for cluster_id in clusters]
    runs = {}
    for cluster_id, execution, thread in started:
        thread.join()
        runs[cluster_id] = execution
    outcome = Outcome(clusters, time.monotonic() - began)
    counters = drill.proxy.counters
    outcome.calls = Counter(counters.calls)
    outcome.throttled = sum(v for k, v in counters.faults.items() if "throttle" in k)
    for change in counters.changes:
        if change.status == 200 and change.action in ("CreateDBInstance", "FailoverDBCluster"):
            which = outcome.created if change.action == "CreateDBInstance" else outcome.failovers
            which[change.params.get("DBClusterIdentifier")] += 1
    writers = {r["cluster"]: r for r in drill.topology() if r["writer"]}
    for cluster_id, execution in runs.items():
        outcome.statuses[execution.status] += 1
        outcome.restored[cluster_id] = execution.status == "SUCCEEDED" and writers.get(cluster_id, {}).get("class") == DESIRED
    return outcome


def add_processes(drill: Drill, extra: int) -> None:
    """More processes per function on the same Runtime API; stopped with the drill."""
    for function in drill.lambdas.functions.values():
        for _ in range(extra):
            process = function.start_process()
            drill.stack.append(lambda p=process: (p.poll() is None and p.kill(), p.wait()))


def run(bin_dir: Path, clusters: int = CLUSTERS, log=print) -> dict:
    behaviour = dict(new_instance_statuses=drill_module.LIFECYCLE, failing_over_polls=2)
    drill = Drill(ROOT / "target/bench-logs/outage", bin_dir=bin_dir)
    # The machine's PutEvents through the proxy too: counted (and throttled) like every call.
    drill.events_endpoint = f"http://127.0.0.1:{drill.proxy.port}"
    try:
        add_processes(drill, EXTRA_PROCESSES)
        single = {}
        for path, cluster_id in (("failback", "orders-01"), ("create", "orders-02")):
            single[path] = run_wave(drill, {cluster_id: path}, Behaviour(**behaviour), f"single-{path}")
            log(f"  (c) one cluster, {path}: restored {all(single[path].restored.values())}, "
                f"{sum(single[path].calls.values())} AWS calls, {single[path].seconds:.1f} s")
        names = {f"orders-{n:02d}": ("failback" if n % 2 else "create") for n in range(1, clusters + 1)}
        faulty = Behaviour(**behaviour, fault_rate=THROTTLE_RATE, fault_kinds=("throttle",), seed=7)
        wave = run_wave(drill, names, faulty, "az")
        log(f"  (c) {clusters} clusters: {sum(wave.restored.values())} restored, {sum(wave.calls.values())} AWS calls, "
            f"{wave.throttled} throttled, {wave.seconds:.1f} s")
    finally:
        drill.stop()
    return {"single": single, "wave": wave}


def table(result: dict) -> list[str]:
    single, wave = result["single"], result["wave"]
    paths = Counter(wave.clusters.values())
    # What the wave would cost if each cluster cost what one alone does.
    expected = Counter()
    for path, count in paths.items():
        for action, n in single[path].calls.items():
            expected[action] += n * count
    n = len(wave.clusters)
    dup_create = sorted(c for c, k in wave.created.items() if k > 1)
    dup_failover = sorted(c for c, k in wave.failovers.items() if k > 1)
    missing_failover = sorted(c for c in wave.clusters if wave.failovers.get(c, 0) == 0)
    lines = [
        f"{n} clusters at once ({paths['failback']} failback, {paths['create']} create), throttling on "
        f"{THROTTLE_RATE:.0%} of AWS calls (seed 7): {sum(wave.restored.values())}/{n} restored, executions "
        f"{dict(wave.statuses)}, wall {wave.seconds:.1f} s "
        f"(one cluster alone: failback {single['failback'].seconds:.1f} s, create {single['create'].seconds:.1f} s; "
        f"Waits shortened to {drill_module.WAIT_MS} ms as in the drill)",
        "",
        f"| AWS action | {n} clusters, total | per cluster | one cluster alone (x mix) | ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for action in sorted(set(wave.calls) | set(expected), key=lambda a: -wave.calls.get(a, 0)):
        got, want = wave.calls.get(action, 0), expected.get(action, 0)
        ratio = f"{got / want:.2f}x" if want else "n/a"
        lines.append(f"| {action} | {got} | {got / n:.1f} | {want / n:.1f} | {ratio} |")
    total, want = sum(wave.calls.values()), sum(expected.values())
    lines.append(f"| **all** | {total} | {total / n:.1f} | {want / n:.1f} | {total / want:.2f}x |")
    lines += [
        "",
        f"Throttled answers injected: {wave.throttled}. Duplicates: {len(dup_create)} clusters with more than one "
        f"instance created{' ' + str(dup_create) if dup_create else ''}, {len(dup_failover)} with more than one "
        f"failover{' ' + str(dup_failover) if dup_failover else ''}; "
        f"instances created {sum(wave.created.values())} (expected {paths['create']}), failovers "
        f"{sum(wave.failovers.values())} (expected {n}); clusters without a failover: {missing_failover or 'none'}.",
    ]
    not_restored = sorted(c for c, ok in wave.restored.items() if not ok)
    if not_restored:
        lines.append(f"Not restored: {', '.join(not_restored)}")
    return lines


if __name__ == "__main__":
    outcome = run(ROOT / "target/debug", int(sys.argv[1]) if len(sys.argv) > 1 else CLUSTERS)
    print("\n".join(table(outcome)))
