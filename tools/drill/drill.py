"""The local fire drill: statemachine/failback.asl.json, run by aws-local-stepfunctions,
each Task calling the real Lambda binary through the Lambda Runtime API, against moto
behind a lifecycle-and-fault proxy.

    drill.py                 the restore drill: demo cluster, forced failover, restore
    drill.py --all           every end-to-end scenario, scale-up and capacity (scale_up.py) and the
                             DR ones (dr_drill.py, dr_restores.py) included;
                             closes with "drill: N passed, M failed"
    drill.py --scenario X    one scenario (see --list); dr-switchover is `make drill-dr`

Failover events are re-dated to "now" before a run starts (see fresh()): the Lambdas skip
events older than MAX_EVENT_AGE_SECONDS, and the samples in events/ carry fixed dates.

A machine's states:startExecution Task (the DR machine's capacity hand-off) starts the
machine file it names (Machine.children), run by run_machine.mjs to its end with the same
Lambdas; the execution's `children` hold what it started.

Everything it starts (moto, the proxy, the Lambda processes, Node) it stops, on success,
failure or Ctrl-C. Exits non-zero when the writer was not restored or a scenario failed.
"""
from __future__ import annotations

import argparse
import copy
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
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
# Where record-run files a run whose input named no cluster it may touch.
INVALID_PARTITION = "#invalid-input"
MAX_EVENT_AGE_SECONDS = 1800
QUEUE = "run-finished"
FUNCTIONS = ["describe-writer", "create-reader", "check-status", "failover", "record-run"]
NODE = ROOT / "tools/drill/node_modules/.bin/node"
WAIT_MS = 5  # Wait states: milliseconds instead of seconds; the number of polls stays real
RETRY_MS = 20


def create_ledger_table(dynamodb) -> None:
    """The ledger table, as the stack creates it, in the client's region."""
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "clusterId", "KeyType": "HASH"}, {"AttributeName": "recordKey", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "clusterId", "AttributeType": "S"}, {"AttributeName": "recordKey", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def function_arn(name: str, region: str = REGION) -> str:
    return f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}"


def failback_substitutions(region: str = REGION) -> dict:
    """The failback machine's DefinitionSubstitutions as the stack gives them in `region`."""
    return {
        "DescribeWriterFunctionArn": function_arn("describe-writer", region),
        "CreateReaderFunctionArn": function_arn("create-reader", region),
        "CheckStatusFunctionArn": function_arn("check-status", region),
        "FailoverFunctionArn": function_arn("failover", region),
        "RecordRunFunctionArn": function_arn("record-run", region),
        # The templates' defaults for the poll-loop budgets.
        "ReaderCheckBudget": "60",
        "WriterCheckBudget": "60",
        "NewReaderWaitSeconds": "540",
    }


SUBSTITUTIONS = failback_substitutions()


@dataclass(frozen=True)
class Machine:
    """A state machine file as it is deployed: its name (in execution ARNs), its region
    (where its Lambdas run and its events go), its DefinitionSubstitutions, and the
    machines its states:startExecution Tasks may start (each by its ARN; run by
    run_machine.mjs with the same Lambda service)."""
    definition: Path
    name: str
    region: str
    substitutions: dict
    children: tuple = ()

    @property
    def arn(self) -> str:
        return f"arn:aws:states:{self.region}:{ACCOUNT}:stateMachine:{self.name}"


def failback_machine(region: str = REGION) -> Machine:
    return Machine(ROOT / "statemachine/failback.asl.json", "aurora-failback", region, failback_substitutions(region))


FAILBACK = failback_machine()


def read_event(name: str) -> dict:
    return json.loads((ROOT / "events" / name).read_text())


def is_event(trigger) -> bool:
    """An EventBridge event rather than a person's input (as the Lambdas tell them apart)."""
    return isinstance(trigger, dict) and ("detail-type" in trigger or "source" in trigger)


def fresh(event: dict, age_seconds: float = 0.0) -> dict:
    """A copy of an EventBridge event dated `age_seconds` ago (now by default): `time` as
    EventBridge writes it (2026-11-30T04:40:00Z), `detail.Date` as RDS does, with
    milliseconds (2026-11-30T04:40:00.123Z). The samples in events/ carry fixed dates, and
    the Lambdas skip an event older than MAX_EVENT_AGE_SECONDS as stale."""
    when = datetime.now(timezone.utc) - timedelta(seconds=age_seconds)
    event = copy.deepcopy(event)
    event["time"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(event.get("detail"), dict):
        event["detail"]["Date"] = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    return event


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
    arn: str | None = None
    input: object = None
    output: object = None
    # Executions this one started (states:startExecution), by execution ARN, with their
    # own events, status and output: run_machine.mjs waits for them before it exits.
    children: dict = field(default_factory=dict)
    # How LiveStates shows its name (a child's is long: shortened, marked as started).
    shown_as: str | None = None

    def task_results(self, state: str) -> list:
        return [e.get("result") for e in self.events if e["type"] == "StateExited" and e.get("state") == state]

    def entered(self, state: str) -> int:
        return sum(1 for e in self.events if e["type"] == "StateEntered" and e.get("state") == state)


class Drill:
    def __init__(self, log_dir: Path, machine: Machine = FAILBACK, functions: list[str] = FUNCTIONS,
                 bin_dir: Path = ROOT / "target/debug") -> None:
        missing = [name for name in functions if not (bin_dir / name).is_file()]
        if missing:
            raise RuntimeError(f"no Lambda binary in {bin_dir} for {', '.join(missing)} (make build)")
        self.machine = machine
        self.stack: list[Callable[[], None]] = []
        self.moto = Moto()
        self.stack.append(self.moto.stop)
        self.proxy = AwsLifecycleProxy(self.moto.port)
        self.stack.append(self.proxy.stop)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{self.proxy.port}",
            "AWS_REGION": machine.region,
            "AWS_DEFAULT_REGION": machine.region,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_EC2_METADATA_DISABLED": "true",
            "LEDGER_TABLE": TABLE,
            "AWS_LAMBDA_LOG_LEVEL": "INFO",
            # describe-writer and record-run: a failover event older than this is skipped as stale.
            "MAX_EVENT_AGE_SECONDS": str(MAX_EVENT_AGE_SECONDS),
            # describe-writer, create-reader, failover: a manual run needs the opt-in tag too.
            "ALLOW_UNTAGGED_MANUAL_RUNS": "false",
        }
        # Kept for a second deployment of the Lambdas in another region (dr_drill.DrDrill).
        self.lambda_env = env
        self.lambdas = LocalLambdaService(bin_dir, functions, env, log_dir, region=machine.region, account=ACCOUNT)
        self.log_dir = log_dir
        self.stack.append(self.lambdas.stop)
        # The executions states:startExecution started, across runs (run_machine.mjs):
        # an execution name is unique per state machine. Emptied by reset().
        self.executions_dir = tempfile.TemporaryDirectory(prefix="drill-executions-")
        self.stack.append(self.executions_dir.cleanup)
        self.executions_file = Path(self.executions_dir.name) / "executions.json"
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=machine.region)
        self.rds = session.client("rds", endpoint_url=self.moto.endpoint)
        # Where the machine's events:putEvents goes: moto itself, so the drill's fault
        # injection never touches it; the bench sends it through the proxy to count it.
        self.events_endpoint = self.moto.endpoint
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
        self.executions_file.unlink(missing_ok=True)
        create_ledger_table(self.dynamodb)
        queue_url = self.sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.events.put_rule(Name="run-finished", EventPattern=json.dumps({"source": ["aurora-failback"]}))
        self.events.put_targets(Rule="run-finished", Targets=[{"Id": "queue", "Arn": queue_arn}])
        self.queue_url = queue_url

    def demo_cluster(self, opted_in: bool = True, writer_class_tag: str | None = None,
                     subnet_group: str | None = None) -> None:
        tags = [{"Key": "aurora-failback:enabled", "Value": "true"}] if opted_in else []
        if writer_class_tag:
            tags.append({"Key": "aurora-failback:writer-class", "Value": writer_class_tag})
        placed = {"DBSubnetGroupName": subnet_group} if subnet_group else {}
        self.rds.create_db_cluster(
            DBClusterIdentifier=CLUSTER, Engine="aurora-postgresql", EngineVersion="16.4",
            MasterUsername="app", MasterUserPassword="drill-password-1", Tags=tags, **placed,
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
            clusters = [c for page in self.peek_rds.get_paginator("describe_db_clusters").paginate() for c in page["DBClusters"]]
            instances = {
                i["DBInstanceIdentifier"]: i
                for page in self.peek_rds.get_paginator("describe_db_instances").paginate()
                for i in page["DBInstances"]
            }
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
        return self.find_record(execution)[1]

    def find_record(self, execution: Execution) -> tuple[str | None, dict]:
        """The run's ledger record and the partition it is filed under: the cluster's, or
        INVALID_PARTITION for a run whose input named no cluster it may touch."""
        for partition in (CLUSTER, INVALID_PARTITION):
            record = next((r for r in self.ledger(partition) if r.get("runName") == execution.name), None)
            if record is not None:
                return partition, record
        return None, {}

    def ledger_items(self) -> list[dict]:
        items = [i for page in self.dynamodb.get_paginator("scan").paginate(TableName=TABLE) for i in page["Items"]]
        return sorted(({k: next(iter(v.values())) for k, v in item.items()} for item in items),
                      key=lambda r: (r["clusterId"], r["recordKey"]))

    def published_outcomes(self) -> list[str]:
        messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        return [json.loads(m["Body"])["detail"]["outcome"] for m in messages]

    # --- running the state machine --------------------------------------------------

    def start(self, name: str, trigger: dict, show: Callable[[Execution, dict], None] | None,
              machine: Machine | None = None, lambdas_endpoint: str | None = None) -> tuple[Execution, threading.Thread]:
        """Starts the machine (this drill's, or `machine` with its Lambdas at `lambdas_endpoint`)."""
        machine = machine or self.machine
        execution_arn = f"arn:aws:states:{machine.region}:{ACCOUNT}:execution:{machine.name}:{name}"
        execution = Execution(name=name, arn=execution_arn, input=trigger)
        config = {
            "definitionPath": str(machine.definition),
            "substitutions": machine.substitutions,
            "region": machine.region,
            "lambdaEndpoint": lambdas_endpoint or self.lambdas.endpoint,
            "eventsEndpoint": self.events_endpoint,
            "input": trigger,
            "executionName": name,
            "executionId": execution_arn,
            "waitMs": WAIT_MS,
            "retryMs": RETRY_MS,
            "executionsFile": str(self.executions_file),
            "childMachines": {
                child.arn: {"definitionPath": str(child.definition), "substitutions": child.substitutions}
                for child in machine.children
            },
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
                if "executionArn" in event:  # a child's (states:startExecution)
                    name = event.get("execution", "")
                    child = execution.children.setdefault(
                        event["executionArn"],
                        Execution(name=name, arn=event["executionArn"],
                                  shown_as=f"↳ {name[:16]}…" if len(name) > 18 else f"↳ {name}"))
                    if event["type"] == "ChildExecutionEnded":
                        child.status, child.output = event.get("status", "FAILED"), event.get("output")
                        child.error, child.cause, child.input = event.get("error"), event.get("cause"), event.get("input")
                    else:
                        child.events.append(event)
                    if show:
                        show(child, event)
                    continue
                execution.events.append(event)
                if event["type"] == "ExecutionSucceeded":
                    execution.status = "SUCCEEDED"
                    execution.output = event.get("output")
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

    def run(self, name: str, trigger: dict, show=None, **where) -> Execution:
        execution, thread = self.start(name, trigger, show, **where)
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
        if result.get("status") == "modifying":  # the modify path: a reader changed in place
            return f"{result.get('instanceId')} changing to {result.get('instanceClass')} in place"
        tried = f" after {len(result['attempts'])} refusal(s)" if result.get("attempts") else ""
        made = "created" if result.get("created") else "found (retry)"
        return f"{result.get('instanceId')} {made} ({result.get('instanceClass')}){tried}"
    if state == "CleanUpReader":
        return f"{result.get('instanceId')} {result.get('status')}"
    if state == "ScaleOldWriter":
        done = "changing to" if result.get("created") else "already has or is getting"
        return f"old writer {result.get('instanceId')} {done} {result.get('instanceClass')} ({result.get('status')})"
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
    for their first few rounds, then counted. A state inside a Map iteration (the DR
    machine's resources and layers) is shown with its label (label_width > 0)."""

    SHOWN_PER_STATE = 3

    def __init__(self, summarise: Callable[[str, object], str] = summarise_result, label_width: int = 0,
                 name_width: int = 14, outcome_width: int = 62, show_changes: bool = False) -> None:
        self.summarise, self.label_width, self.name_width = summarise, label_width, name_width
        # show_changes: past the first rounds, a state is still shown when its result changed.
        self.outcome_width, self.show_changes = outcome_width, show_changes
        self.last: dict[tuple, str] = {}
        self.entered: dict[tuple, float] = {}
        self.seen: dict[tuple, int] = {}
        self.hidden: dict[str, int] = {}
        self.lock = threading.Lock()

    def __call__(self, execution: Execution, event: dict) -> None:
        with self.lock:
            state = event.get("state")
            label = event.get("label", "")
            key = (execution.name, state, label)
            if event["type"] == "StateEntered":
                self.entered[key] = event["timestamp"]
                return
            if event["type"] not in ("StateExited", "StateFailed", "StateRetried", "StateCaught"):
                return
            took = event["timestamp"] - self.entered.get(key, event["timestamp"])
            if event["type"] == "StateExited":
                self.seen[(state, label)] = self.seen.get((state, label), 0) + 1
                outcome = "ok " + self.summarise(state, event.get("result"))
                changed = self.last.get(key) != outcome
                self.last[key] = outcome
                if self.seen[(state, label)] > self.SHOWN_PER_STATE and not (self.show_changes and changed):
                    self.hidden[state] = self.hidden.get(state, 0) + 1
                    return
            elif event["type"] == "StateRetried":
                outcome = f"retry {event.get('attempt')}"
            else:
                outcome = f"{'caught' if event['type'] == 'StateCaught' else 'FAILED'} {event.get('error', '')}"
            where = f" {label:<{self.label_width}}" if self.label_width else ""
            name = execution.shown_as or execution.name
            print(f"  {name:<{self.name_width}} {state:<20}{where} {outcome:<{self.outcome_width}} {took:>6} ms", flush=True)

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
    for key in ("runName", "outcome", "summary", "action", "fromClass", "toClass", "writerBefore",
                "targetInstanceId", "createdInstanceId", "attempts", "cleanup", "oldWriter", "error", "errorCause", "startedAt", "endedAt",
                "secondsToRestore"):
        if key in record:
            print(f"    {key:<18} {record[key]}")


# --- scenarios --------------------------------------------------------------------

@dataclass
class Scenario:
    name: str
    what: str
    behaviour: Behaviour
    prepare: Callable[[Drill], None]
    trigger: str | dict | None
    expect: Callable[[Drill, list[Execution], list[dict]], list[str]] | None
    parallel: int = 1
    # A failover event is re-dated this many seconds before now (fresh()) when the run starts.
    event_age_seconds: float = 0.0
    # Instead of running the state machine: (drill, verbose) -> failures.
    run: Callable[[Drill, bool], list[str]] | None = None
    # Which drill runs it: "failback" (Drill) or one of dr_drill.WORLDS ("dr": the DR
    # machine in us-west-2; "dr-east": the DR machine in us-east-1, and in us-west-2 too).
    world: str = "failback"


def prepare_after_failover(drill: Drill, **cluster) -> None:
    drill.demo_cluster(**cluster)
    drill.unplanned_failover_to("orders-2")


def prepare_old_writer_gone(drill: Drill, subnet_group: str | None = None) -> None:
    drill.demo_cluster(writer_class_tag="db.r6g.2xlarge", subnet_group=subnet_group)
    drill.unplanned_failover_to("orders-2")
    drill.rds.delete_db_instance(DBInstanceIdentifier="orders-1")


def prepare_lone_survivor(drill: Drill) -> None:
    """Only the small writer is left: the old writer and the other reader are gone."""
    prepare_old_writer_gone(drill)
    drill.rds.delete_db_instance(DBInstanceIdentifier="orders-3")


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


def nothing_changed(drill: Drill, before: list[dict]) -> list[str]:
    failures: list[str] = []
    check(failures, drill.topology() == before, "the cluster changed")
    check(failures, drill.proxy.counters.create_instance_succeeded == 0,
          f"{drill.proxy.counters.create_instance_succeeded} instances created")
    check(failures, drill.proxy.counters.failovers_performed == 0, f"{drill.proxy.counters.failovers_performed} failovers")
    return failures


def expect_untouched(outcome: str, execution_status: str = "SUCCEEDED"):
    def expect(drill: Drill, runs: list[Execution], before: list[dict]) -> list[str]:
        failures: list[str] = []
        run = runs[0]
        record = drill.run_record(run)
        check(failures, run.status == execution_status, f"execution {run.status} {run.error}")
        check(failures, record.get("outcome") == outcome, f"ledger outcome {record.get('outcome')}: {record.get('summary')}")
        return failures + nothing_changed(drill, before)
    return expect


def plan_of(run: Execution, record: dict) -> dict:
    """The run's plan: as the ledger recorded it, else as DescribeWriter returned it."""
    try:
        plan = json.loads(record["plan"]) if record.get("plan") else None
    except (TypeError, ValueError):
        plan = None
    results = [r for r in run.task_results("DescribeWriter") if isinstance(r, dict)]
    return plan or (results[-1] if results else {})


def expect_skipped(reason: str, mentions: tuple = (), summary_check: Callable[[str], str | None] | None = None):
    """Skipped with this plan reason, the summary saying what it must; nothing changed."""
    def expect(drill: Drill, runs: list[Execution], before: list[dict]) -> list[str]:
        failures = expect_untouched("skipped")(drill, runs, before)
        run = runs[0]
        record = drill.run_record(run)
        plan = plan_of(run, record)
        summary = record.get("summary") or ""
        check(failures, (plan.get("action"), plan.get("reason")) == ("skip", reason),
              f"plan {plan.get('action')} {plan.get('reason')}, expected skip {reason}")
        for text in mentions:
            check(failures, text in summary, f"summary {summary!r} does not mention {text!r}")
        if summary_check:
            problem = summary_check(summary)
            check(failures, problem is None, str(problem))
        return failures
    return expect


def mentions_age(seconds: float):
    """The summary states the event's age: in seconds, minutes or hours, within 2 minutes."""
    def summary_check(summary: str) -> str | None:
        text = summary.lower()
        for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s*(hours?|hrs?|h(?![a-z])|minutes?|mins?|m(?![a-z])|seconds?|secs?|s(?![a-z]))", text):
            scale = 3600 if unit.startswith("h") else 60 if unit.startswith("m") else 1
            if abs(float(number) * scale - seconds) <= 120:
                return None
        return f"summary {summary!r} does not state the event's age (about {seconds:.0f} s)"
    return summary_check


def expect_refused(error: str):
    """Refused at StartRun: the execution ends in Fail, recorded failed with `error` under
    INVALID_PARTITION (nothing under the cluster's name: no lease, no run); nothing changed."""
    def expect(drill: Drill, runs: list[Execution], before: list[dict]) -> list[str]:
        failures: list[str] = []
        run = runs[0]
        partition, record = drill.find_record(run)
        check(failures, run.status == "FAILED" and run.error == "RestoreFailed", f"execution {run.status} {run.error}")
        check(failures, partition == INVALID_PARTITION, f"ledger record filed under {partition!r}, expected {INVALID_PARTITION!r}")
        check(failures, record.get("outcome") == "failed", f"ledger outcome {record.get('outcome')}: {record.get('summary')}")
        check(failures, record.get("error") == error, f"ledger error {record.get('error')}: {record.get('errorCause')}")
        under_cluster = [r["recordKey"] for r in drill.ledger(CLUSTER)]
        check(failures, not under_cluster, f"ledger items under {CLUSTER}: {under_cluster}")
        check(failures, run.entered("DescribeWriter") == 0, "DescribeWriter ran: the run was not refused at StartRun")
        return failures + nothing_changed(drill, before)
    return expect


def expect_answer_lost(drill: Drill, runs: list[Execution], before: list[dict]) -> list[str]:
    """The first FailoverDBCluster took effect but its answer was lost: restored with ONE failover."""
    failures = expect_restored(drill, runs, before, created=0)
    injected = drill.proxy.counters.faults.get("FailoverDBCluster:500-after", 0)
    check(failures, injected == 1, f"the lost answer was injected {injected} times, expected once")
    return failures


def expect_reader_failed(drill: Drill, runs: list[Execution], before: list[dict]) -> list[str]:
    """The new reader ends in a status it does not leave without a person: the run fails
    TargetFailed without failing over, and deletes the reader it created."""
    failures: list[str] = []
    run = runs[0]
    record = drill.run_record(run)
    check(failures, run.status == "FAILED" and run.error == "RestoreFailed", f"execution {run.status} {run.error}")
    check(failures, record.get("outcome") == "failed", f"ledger outcome {record.get('outcome')}")
    check(failures, record.get("error") == "TargetFailed", f"ledger error {record.get('error')}")
    check(failures, "incompatible-parameters" in record.get("errorCause", ""), f"cause {record.get('errorCause')}")
    created = record.get("createdInstanceId")
    check(failures, record.get("cleanup") == f"deleted {created}, which this run created and gave up on",
          f"ledger cleanup {record.get('cleanup')!r}")
    check(failures, run.entered("ReplaceReader") == 0, "a failed reader was replaced; only one out of capacity is")
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


PAYLOADS = ROOT / "events/invalid/payloads"
# The errorTypes a refused payload may come back with: our names, never a Rust type path
# ("lambda_runtime::...", "&str") nor the runtime's own ("Runtime.Unknown", "Runtime.ExitError").
TYPED_REFUSALS = {"InvalidInput", "ForeignCluster", "ClusterNotFound", "TargetNotFound"}
PAYLOAD_TIMEOUT_S = 20


def invoke_raw(drill: Drill, function: str, payload: bytes) -> tuple[int, dict, bytes]:
    """POSTs the bytes as they are to the local Lambda invoke API."""
    connection = http.client.HTTPConnection("127.0.0.1", int(drill.lambdas.endpoint.rsplit(":", 1)[1]),
                                            timeout=PAYLOAD_TIMEOUT_S + 30)
    try:
        connection.request("POST", f"/2015-03-31/functions/{function}/invocations", body=payload,
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def judge_refusal(status: int, headers: dict, body: bytes) -> tuple[str, str | None]:
    """(errorType, problem): problem is None when the payload was refused with one of our names."""
    if status != 200:
        return f"HTTP {status}", f"the invoke API answered HTTP {status}"
    if "x-amz-function-error" not in headers:
        return "(accepted)", f"answered without X-Amz-Function-Error: {body[:160]!r}"
    try:
        error_type = json.loads(body).get("errorType")
    except (ValueError, AttributeError):
        return "(no JSON)", f"error body is not a JSON object: {body[:160]!r}"
    if not isinstance(error_type, str) or not error_type:
        return "(none)", f"error without errorType: {body[:160]!r}"
    if "::" in error_type or "&" in error_type:
        return error_type, "a Rust type path, not one of our errorTypes"
    if error_type.startswith("Runtime.") or error_type.startswith("Sandbox."):
        return error_type, "the runtime's error, not one of our errorTypes"
    if error_type not in TYPED_REFUSALS:
        return error_type, f"not one of {sorted(TYPED_REFUSALS)}"
    return error_type, None


def run_hostile_payloads(drill: Drill, verbose: bool) -> list[str]:
    """Every file in events/invalid/payloads/, as raw bytes, to each of the five functions:
    each must be refused with one of our errorTypes, the function process must live on,
    and nothing may change (cluster, instances created, failovers, ledger)."""
    before = drill.topology()
    ledger_before = drill.ledger_items()
    files = sorted(p for p in PAYLOADS.iterdir() if p.is_file())
    offenders: list[tuple[str, str, str, str]] = []
    seen: Counter = Counter()
    drill.lambdas.invoke_timeout = PAYLOAD_TIMEOUT_S
    if verbose:
        print(f"\n    {'payload':<58} " + " ".join(f"{name:<15}" for name in FUNCTIONS))
    try:
        for path in files:
            payload = path.read_bytes()
            answers = []
            for name in FUNCTIONS:
                status, headers, body = invoke_raw(drill, name, payload)
                error_type, problem = judge_refusal(status, headers, body)
                function = drill.lambdas.functions[name]
                if function.process.poll() is not None:
                    exited = f"the {name} process exited (status {function.process.returncode})"
                    problem = f"{problem}; {exited}" if problem else exited
                    function.restart()
                elif error_type == "Sandbox.Timedout":
                    function.restart()
                if problem:
                    offenders.append((path.name, name, error_type, problem))
                seen[error_type] += 1
                answers.append(error_type if not problem else f"!{error_type}")
            if verbose:
                print(f"    {path.name:<58} " + " ".join(f"{a[:15]:<15}" for a in answers), flush=True)
    finally:
        drill.lambdas.invoke_timeout = 120.0
    failures: list[str] = []
    check(failures, len(files) >= 20, f"only {len(files)} payloads in {PAYLOADS}")
    for file, function, error_type, problem in offenders:
        failures.append(f"({file}, {function}, {error_type}): {problem}")
    failures += nothing_changed(drill, before)
    ledger_after = drill.ledger_items()
    check(failures, ledger_after == ledger_before,
          f"the ledger changed: {[(r['clusterId'], r['recordKey']) for r in ledger_after]}")
    dead = [name for name, f in drill.lambdas.functions.items() if f.process.poll() is not None]
    check(failures, not dead, f"processes not running at the end: {dead}")
    answered = ", ".join(f"{kind} x{count}" for kind, count in seen.most_common())
    if failures:
        print(f"   {len(files)} payloads x {len(FUNCTIONS)} functions: {len(offenders)} answers not typed "
              f"({answered})", flush=True)
    else:
        print(f"   {len(files)} payloads x {len(FUNCTIONS)} functions: all typed, nothing changed ({answered})", flush=True)
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
    Scenario("reader-failed", "the new reader ends incompatible-parameters: failed, no failover, the reader deleted",
             Behaviour(new_instance_statuses=["creating", "creating"], final_instance_status="incompatible-parameters"),
             prepare_old_writer_gone, "failover-completed.json", expect_reader_failed),
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
    Scenario("foreign-account", "an event for a cluster in another account: ForeignCluster at StartRun, nothing changed",
             Behaviour(), prepare_after_failover, "invalid/foreign-account-event.json", expect_refused("ForeignCluster")),
    Scenario("foreign-region", "an event for a cluster in another region: ForeignCluster at StartRun, nothing changed",
             Behaviour(), prepare_after_failover, "invalid/foreign-region-event.json", expect_refused("ForeignCluster")),
    Scenario("source-identifier-mismatch", "SourceIdentifier names another cluster than the ARN: ForeignCluster",
             Behaviour(), prepare_after_failover, "invalid/source-identifier-mismatch.json", expect_refused("ForeignCluster")),
    Scenario("stale-event", "a failover event 3 hours old: skipped as stale-event, nothing changed",
             Behaviour(), prepare_after_failover, "stale-event.json",
             expect_skipped("stale-event", summary_check=mentions_age(3 * 3600)), event_age_seconds=3 * 3600),
    Scenario("lone-survivor", "only the small writer is left: create a replacement, fail over to it",
             Behaviour(new_instance_statuses=LIFECYCLE, failing_over_polls=2),
             prepare_lone_survivor, "failover-completed.json",
             lambda d, runs, before: expect_restored(d, runs, before, created=1)),
    Scenario("manual-not-opted-in", "a manual run on a cluster without the opt-in tag: skipped, says how to enable",
             Behaviour(), lambda d: prepare_after_failover(d, opted_in=False), "manual-start.json",
             expect_skipped("not-opted-in", mentions=("aurora-failback enable orders",))),
    Scenario("not-orderable", "a manual run asking for db.m5.4xlarge, which Aurora does not offer: skipped",
             Behaviour(), prepare_after_failover, {"clusterId": "orders", "writerClass": "db.m5.4xlarge"},
             expect_skipped("class-not-orderable", mentions=("db.m5.4xlarge",))),
    Scenario("failover-answer-lost", "FailoverDBCluster takes effect but its answer is lost: still one failover",
             Behaviour(failing_over_polls=0, scripted_faults={"FailoverDBCluster": ["500-after"]}),
             prepare_after_failover, "failover-completed.json", expect_answer_lost),
    Scenario("hostile-payloads", "raw hostile payloads to each Lambda: refused with our errorTypes, nothing changed",
             Behaviour(), prepare_after_failover, None, None, run=run_hostile_payloads),
]


def run_scenario(drill: Drill, scenario: Scenario, verbose: bool) -> list[str]:
    drill.reset(scenario.behaviour)
    scenario.prepare(drill)
    if scenario.run:
        return scenario.run(drill, verbose)
    before = drill.topology()
    trigger = read_event(scenario.trigger) if isinstance(scenario.trigger, str) else scenario.trigger
    if is_event(trigger):
        trigger = fresh(trigger, scenario.event_age_seconds)
    live = LiveStates(show_changes=True)  # past the first rounds, a poll whose answer changed is still shown
    if verbose:
        print_topology("Before", before)
        source = f"events/{scenario.trigger}" if isinstance(scenario.trigger, str) else f"input {json.dumps(scenario.trigger)}"
        dated = f" (dated {trigger['time']})" if is_event(trigger) else ""
        print(f"\n  Started by {source}{dated}\n")
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
    import dr_drill  # the DR scenarios; it imports this module's pieces
    import dr_restores  # the cold standby's (restores, backup-watch), in dr_drill's worlds
    import scale_up  # scale-up, capacity fallback and clean-up, in the failback world

    scenarios = SCENARIOS + scale_up.SCENARIOS + dr_drill.DR_SCENARIOS + dr_restores.SCENARIOS
    worlds = {"failback": lambda: Drill(ROOT / "target/drill-logs"), **dr_drill.WORLDS}
    if args.list:
        for scenario in scenarios:
            print(f"{scenario.name:<28} {scenario.what}")
        return 0
    names = [s.name for s in scenarios] if args.all else (args.scenario or ["failback"])
    unknown = set(names) - {s.name for s in scenarios}
    if unknown:
        parser.error(f"unknown scenario {sorted(unknown)}; see --list")
    verbose = args.verbose or not args.all

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    drill, world, broken = None, None, None
    passed = failed = 0
    try:
        for scenario in (s for s in scenarios if s.name in names):
            if scenario.world != world:  # one drill (moto, proxy, Lambdas) per world, in turn
                if drill is not None:
                    drill.stop()
                drill, world, broken = None, scenario.world, None
                try:
                    drill = worlds[world]()
                except Exception as error:  # e.g. a Lambda binary not built: its scenarios fail
                    broken = f"the {world} drill could not start: {error}"
            print(f"\n== {scenario.name}: {scenario.what}", flush=True)
            if broken:
                failed += 1
                print(f"   FAIL {scenario.name}\n     - {broken}")
                continue
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
        if drill is not None:
            drill.stop()
    print(f"\ndrill: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.modules.setdefault("drill", sys.modules["__main__"])  # dr_drill imports this module as `drill`
    sys.exit(main())
