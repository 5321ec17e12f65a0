"""The local fire drill: statemachine/failback.asl.json, run by aws-local-stepfunctions,
each Task calling the real Lambda binary through the Lambda Runtime API, against moto
behind a lifecycle-and-fault proxy.

    drill.py                 the restore drill: demo cluster, forced failover, restore
    drill.py --all           every end-to-end scenario; closes with "drill: N passed, M failed"
    drill.py --scenario X    one scenario (see --list)

Everything it starts (moto, the proxy, the Lambda processes, Node) it stops, on success,
failure or Ctrl-C. Exits non-zero when the writer was not restored or a scenario failed.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import boto3  # noqa: E402  (installed with moto in the venv)

from fault_proxy import AwsLifecycleProxy, Behaviour  # noqa: E402
from lambda_service import LocalLambdaService  # noqa: E402

REGION = "us-east-1"
ACCOUNT = "123456789012"
TABLE = "aurora-failback-ledger"
CLUSTER = "orders"
QUEUE = "run-finished"
FUNCTIONS = ["describe-writer", "create-reader", "check-status", "failover", "record-run"]
NODE = ROOT / "tools/drill/node_modules/.bin/node"
WAIT_MS = 5  # Wait states: milliseconds instead of seconds; the number of polls stays real
RETRY_MS = 20


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


SUBSTITUTIONS = {
    "DescribeWriterFunctionArn": function_arn("describe-writer"),
    "CreateReaderFunctionArn": function_arn("create-reader"),
    "CheckStatusFunctionArn": function_arn("check-status"),
    "FailoverFunctionArn": function_arn("failover"),
    "RecordRunFunctionArn": function_arn("record-run"),
    # The templates' defaults for the poll-loop budgets.
    "ReaderCheckBudget": "60",
    "WriterCheckBudget": "30",
}


def read_event(name: str) -> dict:
    return json.loads((ROOT / "events" / name).read_text())


class Moto:
    """moto_server on 127.0.0.1; it stops when this process's end of its stdin closes."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "tools/moto_lifeline.py")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = self.process.stdout.readline()
        if not line.startswith("port "):
            raise SystemExit(f"moto did not start: {line!r}")
        self.port = int(line.split()[1])
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def post(self, path: str, body: dict | None = None) -> None:
        data = json.dumps(body or {}).encode()
        urllib.request.urlopen(urllib.request.Request(self.endpoint + path, data=data, method="POST"), timeout=30).read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()


@dataclass
class Execution:
    name: str
    status: str = "RUNNING"
    error: str | None = None
    cause: str | None = None
    events: list = field(default_factory=list)
    seconds: float = 0.0

    def task_results(self, state: str) -> list:
        return [e.get("result") for e in self.events if e["type"] == "StateExited" and e.get("state") == state]

    def entered(self, state: str) -> int:
        return sum(1 for e in self.events if e["type"] == "StateEntered" and e.get("state") == state)


class Drill:
    def __init__(self, log_dir: Path) -> None:
        self.stack: list[Callable[[], None]] = []
        self.moto = Moto()
        self.stack.append(self.moto.stop)
        self.proxy = AwsLifecycleProxy(self.moto.port)
        self.stack.append(self.proxy.stop)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{self.proxy.port}",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_EC2_METADATA_DISABLED": "true",
            "LEDGER_TABLE": TABLE,
            "AWS_LAMBDA_LOG_LEVEL": "INFO",
        }
        self.lambdas = LocalLambdaService(ROOT / "target/debug", FUNCTIONS, env, log_dir)
        self.log_dir = log_dir
        self.stack.append(self.lambdas.stop)
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
        self.rds = session.client("rds", endpoint_url=self.moto.endpoint)
        self.peek_rds = session.client("rds", endpoint_url=f"http://127.0.0.1:{self.proxy.port}")
        self.dynamodb = session.client("dynamodb", endpoint_url=self.moto.endpoint)
        self.sqs = session.client("sqs", endpoint_url=self.moto.endpoint)
        self.events = session.client("events", endpoint_url=self.moto.endpoint)

    def stop(self) -> None:
        while self.stack:
            try:
                self.stack.pop()()
            except Exception as error:  # keep stopping the rest
                print(f"drill: while stopping: {error}", file=sys.stderr)

    # --- the world a scenario starts from ------------------------------------------

    def reset(self, behaviour: Behaviour) -> None:
        self.moto.post("/moto-api/reset")
        self.proxy.configure(behaviour)
        self.dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "clusterId", "KeyType": "HASH"}, {"AttributeName": "recordKey", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "clusterId", "AttributeType": "S"}, {"AttributeName": "recordKey", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        queue_url = self.sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.events.put_rule(Name="run-finished", EventPattern=json.dumps({"source": ["aurora-failback"]}))
        self.events.put_targets(Rule="run-finished", Targets=[{"Id": "queue", "Arn": queue_arn}])
        self.queue_url = queue_url

    def demo_cluster(self, opted_in: bool = True, writer_class_tag: str | None = None) -> None:
        tags = [{"Key": "aurora-failback:enabled", "Value": "true"}] if opted_in else []
        if writer_class_tag:
            tags.append({"Key": "aurora-failback:writer-class", "Value": writer_class_tag})
        self.rds.create_db_cluster(
            DBClusterIdentifier=CLUSTER, Engine="aurora-postgresql", EngineVersion="16.4",
            MasterUsername="app", MasterUserPassword="drill-password-1", Tags=tags,
        )
        for instance_id, instance_class, zone, tier in [
            ("orders-1", "db.r6g.2xlarge", "us-east-1a", 0),
            ("orders-2", "db.r6g.large", "us-east-1b", 1),
            ("orders-3", "db.r6g.large", "us-east-1c", 1),
        ]:
            self.rds.create_db_instance(
                DBInstanceIdentifier=instance_id, DBClusterIdentifier=CLUSTER, Engine="aurora-postgresql",
                DBInstanceClass=instance_class, AvailabilityZone=zone, PromotionTier=tier,
                MonitoringInterval=60, MonitoringRoleArn=f"arn:aws:iam::{ACCOUNT}:role/rds-monitoring",
                AutoMinorVersionUpgrade=False, Tags=[{"Key": "team", "Value": "payments"}],
            )

    def unplanned_failover_to(self, instance_id: str) -> None:
        """What Aurora does when the writer fails: it promotes a reader (here a small one)."""
        self.rds.failover_db_cluster(DBClusterIdentifier=CLUSTER, TargetDBInstanceIdentifier=instance_id)

    # --- what a person looks at ---------------------------------------------------

    def topology(self) -> list[dict]:
        """Instance, class, tier, writer, status, as the Lambdas see them (through the proxy,
        without using up its scripted polls)."""
        self.proxy.peek = True
        try:
            clusters = self.peek_rds.describe_db_clusters()["DBClusters"]
            instances = {i["DBInstanceIdentifier"]: i for i in self.peek_rds.describe_db_instances()["DBInstances"]}
        finally:
            self.proxy.peek = False
        rows = []
        for cluster in clusters:
            for member in cluster["DBClusterMembers"]:
                instance = instances.get(member["DBInstanceIdentifier"], {})
                rows.append({
                    "instance": member["DBInstanceIdentifier"],
                    "class": instance.get("DBInstanceClass", "?"),
                    "tier": member.get("PromotionTier", instance.get("PromotionTier")),
                    "writer": member["IsClusterWriter"],
                    "status": instance.get("DBInstanceStatus", "?"),
                    "cluster": cluster["DBClusterIdentifier"],
                })
        return sorted(rows, key=lambda r: (r["cluster"], r["instance"]))

    def writer(self) -> dict | None:
        return next((r for r in self.topology() if r["writer"] and r["cluster"] == CLUSTER), None)

    def ledger(self, cluster: str = CLUSTER) -> list[dict]:
        items = self.dynamodb.query(
            TableName=TABLE, KeyConditionExpression="clusterId = :c",
            ExpressionAttributeValues={":c": {"S": cluster}},
        )["Items"]
        return [{k: next(iter(v.values())) for k, v in item.items()} for item in items]

    def run_record(self, execution: Execution) -> dict:
        return next((r for r in self.ledger() if r.get("executionName") == execution.name), {})

    def published_outcomes(self) -> list[str]:
        messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        return [json.loads(m["Body"])["detail"]["outcome"] for m in messages]

    # --- running the state machine --------------------------------------------------

    def start(self, name: str, trigger: dict, show: Callable[[Execution, dict], None] | None) -> tuple[Execution, threading.Thread]:
        execution = Execution(name=name)
        config = {
            "definitionPath": str(ROOT / "statemachine/failback.asl.json"),
            "substitutions": SUBSTITUTIONS,
            "lambdaEndpoint": self.lambdas.endpoint,
            "eventsEndpoint": self.moto.endpoint,
            "input": trigger,
            "executionName": name,
            "executionId": f"arn:aws:states:{REGION}:{ACCOUNT}:execution:aurora-failback:{name}",
            "waitMs": WAIT_MS,
            "retryMs": RETRY_MS,
        }
        config_file = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(config, config_file)
        config_file.close()
        process = subprocess.Popen(
            [str(NODE), str(ROOT / "tools/drill/run_machine.mjs"), config_file.name],
            cwd=ROOT / "tools/drill", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.stack.append(lambda: process.poll() is None and process.kill())

        def follow() -> None:
            began = time.monotonic()
            for line in process.stdout:
                event = json.loads(line)
                execution.events.append(event)
                if event["type"] == "ExecutionSucceeded":
                    execution.status = "SUCCEEDED"
                elif event["type"] == "ExecutionFailed":
                    execution.status, execution.error, execution.cause = "FAILED", event.get("error"), event.get("cause")
                if show:
                    show(execution, event)
            process.wait()
            execution.seconds = time.monotonic() - began
            if execution.status == "RUNNING":
                execution.status = "FAILED"
                execution.error = "HarnessError"
                execution.cause = process.stderr.read()[-2000:]
            os.unlink(config_file.name)

        thread = threading.Thread(target=follow, daemon=True)
        thread.start()
        return execution, thread

    def run(self, name: str, trigger: dict, show=None) -> Execution:
        execution, thread = self.start(name, trigger, show)
        thread.join()
        return execution


# --- showing it -------------------------------------------------------------------

def summarise_result(state: str, result) -> str:
    if not isinstance(result, dict):
        return ""
    if state == "StartRun":
        return "lease taken" if result.get("leaseAcquired") else f"lease held by {str(result.get('heldBy')).split(':')[-1]}"
    if state == "DescribeWriter":
        action = result.get("action")
        extra = result.get("targetInstanceId") or result.get("reason") or ""
        return f"plan: {action}{' ' + extra if extra else ''}{' (dry run)' if result.get('dryRun') else ''}"
    if state == "CreateReader":
        return f"{result.get('instanceId')} {'created' if result.get('created') else 'found (retry)'}"
    if state in ("CheckReader", "CheckWriter"):
        detail = result.get("instanceStatus")
        if state == "CheckWriter":
            detail = f"cluster {result.get('clusterStatus')}, writer {result.get('writerInstanceId')}"
        return f"{result.get('state')} ({detail})"
    if state == "Failover":
        return "failover requested" if result.get("failoverRequested") else "already the writer"
    if state == "FinishRun":
        return f"outcome: {result.get('outcome')}"
    if state == "PublishRunFinished":
        return "event sent"
    return ""


class LiveStates:
    """Prints states as they run: name, outcome, how long. A poll loop's states are shown
    for their first few rounds, then counted."""

    SHOWN_PER_STATE = 3

    def __init__(self) -> None:
        self.entered: dict[tuple, float] = {}
        self.seen: dict[str, int] = {}
        self.hidden: dict[str, int] = {}
        self.lock = threading.Lock()

    def __call__(self, execution: Execution, event: dict) -> None:
        with self.lock:
            state = event.get("state")
            key = (execution.name, state)
            if event["type"] == "StateEntered":
                self.entered[key] = event["timestamp"]
                return
            if event["type"] not in ("StateExited", "StateFailed", "StateRetried", "StateCaught"):
                return
            took = event["timestamp"] - self.entered.get(key, event["timestamp"])
            if event["type"] == "StateExited":
                self.seen[state] = self.seen.get(state, 0) + 1
                if self.seen[state] > self.SHOWN_PER_STATE:
                    self.hidden[state] = self.hidden.get(state, 0) + 1
                    return
                outcome = "ok " + summarise_result(state, event.get("result"))
            elif event["type"] == "StateRetried":
                outcome = f"retry {event.get('attempt')}"
            else:
                outcome = f"{'caught' if event['type'] == 'StateCaught' else 'FAILED'} {event.get('error', '')}"
            print(f"  {execution.name:<14} {state:<20} {outcome:<62} {took:>6} ms", flush=True)

    def flush_hidden(self) -> None:
        if self.hidden:
            counted = ", ".join(f"{name} x{count}" for name, count in self.hidden.items())
            print(f"  (more rounds of the poll loop, not shown: {counted})")
        self.hidden.clear()
        self.seen.clear()


def print_topology(title: str, rows: list[dict]) -> None:
    print(f"\n  {title}")
    print(f"    {'instance':<26} {'class':<16} {'tier':>4}  {'writer':<6}  status")
    for row in rows:
        print(f"    {row['instance']:<26} {row['class']:<16} {row['tier']!s:>4}  {'yes' if row['writer'] else '':<6}  {row['status']}")


def print_ledger(record: dict) -> None:
    print("\n  Ledger record")
    for key in ("executionName", "outcome", "summary", "action", "fromClass", "toClass", "writerBefore",
                "targetInstanceId", "createdInstanceId", "error", "errorCause", "startedAt", "endedAt", "secondsToRestore"):
        if key in record:
            print(f"    {key:<18} {record[key]}")


# --- scenarios --------------------------------------------------------------------

@dataclass
class Scenario:
    name: str
    what: str
    behaviour: Behaviour
    prepare: Callable[[Drill], None]
    trigger: str | dict
    expect: Callable[[Drill, list[Execution], list[dict]], list[str]]
    parallel: int = 1


def prepare_after_failover(drill: Drill, **cluster) -> None:
    drill.demo_cluster(**cluster)
    drill.unplanned_failover_to("orders-2")


def prepare_old_writer_gone(drill: Drill) -> None:
    drill.demo_cluster(writer_class_tag="db.r6g.2xlarge")
    drill.unplanned_failover_to("orders-2")
    drill.rds.delete_db_instance(DBInstanceIdentifier="orders-1")


def check(failures: list[str], condition: bool, message: str) -> None:
    if not condition:
        failures.append(message)


def expect_restored(drill: Drill, runs: list[Execution], before: list[dict], created: int) -> list[str]:
    failures: list[str] = []
    run = runs[0]
    writer = drill.writer() or {}
    record = drill.run_record(run)
    check(failures, run.status == "SUCCEEDED", f"execution {run.status} {run.error}: {run.cause}")
    check(failures, writer.get("class") == "db.r6g.2xlarge", f"writer is {writer}")
    check(failures, record.get("outcome") == "restored", f"ledger outcome {record.get('outcome')}: {record.get('summary')}")
    check(failures, drill.proxy.counters.create_instance_succeeded == created,
          f"{drill.proxy.counters.create_instance_succeeded} instances created, expected {created}")
    check(failures, drill.proxy.counters.failovers_performed == 1, f"{drill.proxy.counters.failovers_performed} failovers")
    check(failures, "restored" in drill.published_outcomes(), "no run-finished event with outcome restored")
    return failures


def expect_untouched(outcome: str, execution_status: str = "SUCCEEDED"):
    def expect(drill: Drill, runs: list[Execution], before: list[dict]) -> list[str]:
        failures: list[str] = []
        run = runs[0]
        record = drill.run_record(run) or next(iter(drill.ledger("#invalid-input")), {})
        check(failures, run.status == execution_status, f"execution {run.status} {run.error}")
        check(failures, record.get("outcome") == outcome, f"ledger outcome {record.get('outcome')}: {record.get('summary')}")
        check(failures, drill.topology() == before, "the cluster changed")
        check(failures, drill.proxy.counters.create_instance_succeeded == 0, "an instance was created")
        check(failures, drill.proxy.counters.failovers_performed == 0, "a failover happened")
        return failures
    return expect


def expect_insufficient_capacity(drill: Drill, runs: list[Execution], before: list[dict]) -> list[str]:
    failures: list[str] = []
    run = runs[0]
    record = drill.run_record(run)
    check(failures, run.status == "FAILED" and run.error == "RestoreFailed", f"execution {run.status} {run.error}")
    check(failures, record.get("outcome") == "failed", f"ledger outcome {record.get('outcome')}")
    check(failures, record.get("error") == "TargetFailed", f"ledger error {record.get('error')}")
    check(failures, "insufficient-capacity" in record.get("errorCause", ""), f"cause {record.get('errorCause')}")
    check(failures, drill.proxy.counters.failovers_performed == 0, "a failover happened")
    check(failures, (drill.writer() or {}).get("instance") == "orders-2", "the writer moved")
    check(failures, "failed" in drill.published_outcomes(), "no run-finished event with outcome failed")
    return failures


def expect_one_of_two(drill: Drill, runs: list[Execution], before: list[dict]) -> list[str]:
    failures: list[str] = []
    outcomes = sorted(drill.run_record(run).get("outcome", "missing") for run in runs)
    check(failures, outcomes == ["restored", "skipped"], f"outcomes {outcomes}")
    check(failures, drill.proxy.counters.failovers_performed == 1, f"{drill.proxy.counters.failovers_performed} failovers")
    check(failures, (drill.writer() or {}).get("instance") == "orders-1", "writer not restored")
    check(failures, all(run.status == "SUCCEEDED" for run in runs), "an execution failed")
    return failures


def expect_bounded_wait(drill: Drill, runs: list[Execution], before: list[dict]) -> list[str]:
    failures: list[str] = []
    run = runs[0]
    record = drill.run_record(run)
    machine = json.loads((ROOT / "statemachine/failback.asl.json").read_text())
    bound = int(SUBSTITUTIONS["ReaderCheckBudget"])
    check(failures, run.entered("CheckReader") == bound, f"{run.entered('CheckReader')} reader checks, bound is {bound}")
    check(failures, record.get("error") == "ReaderWaitExhausted", f"ledger error {record.get('error')}")
    check(failures, record.get("outcome") == "failed", f"ledger outcome {record.get('outcome')}")
    check(failures, run.status == "FAILED", f"execution {run.status}")
    check(failures, drill.proxy.counters.failovers_performed == 0, "a failover happened")
    check(failures, run.seconds < machine["TimeoutSeconds"] / 10, f"took {run.seconds:.0f} s")
    return failures


LIFECYCLE = ["creating", "creating", "creating", "backing-up", "configuring-enhanced-monitoring"]

SCENARIOS = [
    Scenario("failback", "the old writer is back as a reader: fail over to it, create nothing",
             Behaviour(failing_over_polls=2, instance_scripts={"orders-1": ["rebooting", "rebooting"]}),
             prepare_after_failover, "failover-completed.json",
             lambda d, runs, before: expect_restored(d, runs, before, created=0)),
    Scenario("create", "the old writer is gone: create a tier-0 replacement, wait for it, fail over",
             Behaviour(new_instance_statuses=LIFECYCLE, failing_over_polls=2),
             prepare_old_writer_gone, "failover-completed.json",
             lambda d, runs, before: expect_restored(d, runs, before, created=1)
             + ([] if runs[0].entered("CheckReader") > len(LIFECYCLE) else [f"only {runs[0].entered('CheckReader')} reader checks"])),
    Scenario("own-event", "the failover event the workflow's own failover causes: no-op",
             Behaviour(), lambda d: d.demo_cluster(), "failover-completed.json", expect_untouched("no-op")),
    Scenario("not-opted-in", "a cluster without the opt-in tag: skipped, nothing changed",
             Behaviour(), lambda d: prepare_after_failover(d, opted_in=False), "failover-completed.json",
             expect_untouched("skipped")),
    Scenario("dry-run", "a dry run: the plan only, nothing changed",
             Behaviour(), prepare_after_failover, "manual-dry-run.json", expect_untouched("dry-run")),
    Scenario("malformed", "a malformed event: InvalidInput, recorded failed, nothing changed",
             Behaviour(), prepare_after_failover, "invalid/hostile-cluster-id.json",
             expect_untouched("failed", execution_status="FAILED")),
    Scenario("insufficient-capacity", "the new reader ends insufficient-capacity: failed, no failover",
             Behaviour(new_instance_statuses=["creating", "creating"], final_instance_status="insufficient-capacity"),
             prepare_old_writer_gone, "failover-completed.json", expect_insufficient_capacity),
    Scenario("faults", "throttling, HTTP 500 and latency on 30% of calls: still restored, one instance",
             Behaviour(new_instance_statuses=LIFECYCLE, failing_over_polls=2, fault_rate=0.3, latency_ms=100, seed=7),
             prepare_old_writer_gone, "failover-completed.json",
             lambda d, runs, before: expect_restored(d, runs, before, created=1)),
    Scenario("concurrent", "two executions for one cluster at once: one restores, one is skipped",
             Behaviour(failing_over_polls=2), prepare_after_failover, "failover-completed.json",
             expect_one_of_two, parallel=2),
    Scenario("never-ready", "a reader that never becomes available: the bound stops the wait",
             Behaviour(new_instance_statuses=[], final_instance_status="creating"),
             prepare_old_writer_gone, "failover-completed.json", expect_bounded_wait),
]


def run_scenario(drill: Drill, scenario: Scenario, verbose: bool) -> list[str]:
    drill.reset(scenario.behaviour)
    scenario.prepare(drill)
    before = drill.topology()
    trigger = read_event(scenario.trigger) if isinstance(scenario.trigger, str) else scenario.trigger
    live = LiveStates()
    if verbose:
        print_topology("Before", before)
        print(f"\n  Started by events/{scenario.trigger}\n")
    started = [drill.start(f"drill-{scenario.name}-{i + 1}", trigger, live if verbose else None) for i in range(scenario.parallel)]
    runs = []
    for execution, thread in started:
        thread.join()
        runs.append(execution)
    if verbose:
        live.flush_hidden()
        for run in runs:
            print(f"\n  Execution {run.name}: {run.status}" + (f" ({run.error})" if run.error else "") + f" in {run.seconds:.1f} s")
        print_topology("After", drill.topology())
        for run in runs:
            print_ledger(drill.run_record(run))
    return scenario.expect(drill, runs, before)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--all", action="store_true", help="run every scenario")
    parser.add_argument("--scenario", action="append", help="run this scenario (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the scenarios")
    parser.add_argument("--verbose", action="store_true", help="show states and tables for every scenario")
    args = parser.parse_args()
    if args.list:
        for scenario in SCENARIOS:
            print(f"{scenario.name:<22} {scenario.what}")
        return 0
    names = [s.name for s in SCENARIOS] if args.all else (args.scenario or ["failback"])
    unknown = set(names) - {s.name for s in SCENARIOS}
    if unknown:
        parser.error(f"unknown scenario {sorted(unknown)}; see --list")
    verbose = args.verbose or not args.all

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    drill = Drill(ROOT / "target/drill-logs")
    passed = failed = 0
    try:
        for scenario in (s for s in SCENARIOS if s.name in names):
            print(f"\n== {scenario.name}: {scenario.what}", flush=True)
            began = time.monotonic()
            failures = run_scenario(drill, scenario, verbose)
            took = time.monotonic() - began
            if failures:
                failed += 1
                print(f"   FAIL {scenario.name} ({took:.1f} s)")
                for failure in failures:
                    print(f"     - {failure}")
                print(f"     Lambda logs: {drill.log_dir}")
            else:
                passed += 1
                counters = drill.proxy.counters
                injected = f"; {counters.requests} AWS calls, faults injected {counters.faults}" if counters.faults else ""
                print(f"   PASS {scenario.name} ({took:.1f} s{injected})")
    except KeyboardInterrupt:
        print("\ndrill: interrupted; stopping everything it started", file=sys.stderr)
        failed += 1
    finally:
        drill.stop()
    print(f"\ndrill: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
