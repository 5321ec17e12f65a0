"""What one restore costs: statemachine/failback.asl.json run by a small interpreter on a
virtual clock against a world model, next to the same machine with every Wait a fixed 15 s.

Why an interpreter and not the drill: the drill shortens every Wait to milliseconds
(drill.WAIT_MS), so it cannot say how long a restore takes nor how many polls a
10-minute creation costs. Here a Wait moves the clock by its real seconds, a Task by the
Lambda's duration, and the world answers each Lambda by the clock. The interpreter knows
exactly the ASL the machine uses: Pass (Parameters with the intrinsics States.MathAdd,
States.StringToJson, States.Format, States.JsonToString; ResultPath), Wait (Seconds,
SecondsPath, Timestamp not used), Choice (String/Numeric/Boolean comparisons and their
...Path forms, IsPresent, IsNull, And, Or, Not), Task (a Lambda by its ARN, or
arn:aws:states:::events:putEvents; Retry and Catch; InputPath/OutputPath/ResultSelector),
Succeed and Fail. Anything else raises, so a new construct in the file is noticed.

The file is read as deployed: each ${Name} is what infra/template.yaml's
DefinitionSubstitutions of the state machine built from that file give it: a !Ref to a
parameter is the parameter's Default, a !GetAtt X.Arn a Lambda ARN named after X (the
world tells the functions apart by it: DescribeWriterFunction -> describe-writer).

The world (World): the cluster `orders` after an unplanned failover to its small reader.
  failback  the old writer is back as a reader and available at once: plan failback;
            the writer moves WRITER_MOVES_S after FailoverDBCluster.
  create    the old writer is gone: plan create; the new instance is available
            READER_READY_S after CreateDBInstance; the writer moves WRITER_MOVES_S after
            the failover.

AWS API calls per invocation, as each step's code makes them (crates/failback-core/src/
failback/steps/*.rs, rds.rs, ledger.rs), for this world (a cluster with the
aurora-failback:writer-class tag and a DB subnet group):

| invocation                  | calls | which                                                       |
|-----------------------------|------:|-------------------------------------------------------------|
| record-run start            |     2 | PutItem (run, if open), PutItem (lease, conditional)        |
| describe-writer             |     3 | DescribeDBClusters, DescribeDBInstances (db-cluster-id),    |
|                             |       | DescribeOrderableDBInstanceOptions (class named by the tag) |
| create-reader create        |     8 | DescribeDBInstances (own name), DescribeDBClusters,         |
|                             |       | DescribeDBInstances (cluster), DescribeOrderable...,        |
|                             |       | DescribeDBInstances (reference), DescribeDBClusters,        |
|                             |       | DescribeDBSubnetGroups, CreateDBInstance                    |
| check-status reader         |     1 | DescribeDBInstances (the instance)                          |
| check-status writer         |     2 | DescribeDBClusters, DescribeDBInstances (cluster)           |
| failover                    |     3 | DescribeDBClusters, DescribeDBInstances, FailoverDBCluster  |
| record-run finish           |     2 | PutItem (record), DeleteItem (lease)                        |
| events:putEvents (no Lambda)|     1 | PutEvents, by Step Functions                                |

Part (a) of bench.py measures describe-writer's and check-status's calls through the
drill's counting proxy; part (c) measures the whole machine's.

Costs: Step Functions Standard $0.025 per 1000 state transitions (every state entered,
and every retry of a Task, counts one); Lambda arm64 256 MB, $0.0000133334 per GB-second
billed per ms rounded up, and $0.20 per million requests. Lambda durations: the warm
medians bench.py measured in part (a) when given (describe-writer, check-status; the other
functions' taken as check-status's), else ASSUMED_LAMBDA_MS for every function.
"""
from __future__ import annotations

import copy
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ASL = ROOT / "statemachine/failback.asl.json"
TEMPLATE = ROOT / "infra/template.yaml"

READER_READY_S = 600
WRITER_MOVES_S = 30
FIXED_POLL_S = 15
ASSUMED_LAMBDA_MS = 100.0
TRANSITION_USD = 0.025 / 1000
GB_SECOND_USD = 0.0000133334
REQUEST_USD = 0.20 / 1_000_000
LAMBDA_GB = 256 / 1024

# The calls each invocation makes (table above), by (function, what it was asked).
CALLS = {
    ("record-run", "start"): 2,
    ("record-run", "finish"): 2,
    ("describe-writer", None): 3,
    ("create-reader", "create"): 8,
    ("check-status", "reader-available"): 1,
    ("check-status", "writer-moved"): 2,
    ("failover", None): 3,
    ("events", "putEvents"): 1,
}


# --- the file as deployed ------------------------------------------------------------

def deployed_substitutions(template: Path = TEMPLATE, definition: Path = ASL) -> dict:
    """${Name} -> text, from the DefinitionSubstitutions of the template's state machine
    whose DefinitionUri is `definition`."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from cfn_yaml import load_template

    doc = load_template(template)
    parameters = doc.get("Parameters", {})
    for logical_id, resource in doc["Resources"].items():
        props = resource.get("Properties") or {}
        if definition.name not in str(props.get("DefinitionUri", "")):
            continue
        found = {}
        for name, value in (props.get("DefinitionSubstitutions") or {}).items():
            if isinstance(value, dict) and "Ref" in value:
                found[name] = str(parameters[value["Ref"]]["Default"])
            elif isinstance(value, dict) and "Fn::GetAtt" in value:
                target = value["Fn::GetAtt"]
                target = target.split(".")[0] if isinstance(target, str) else target[0]
                found[name] = f"arn:aws:lambda:us-east-1:123456789012:function:{target}"
            else:
                found[name] = str(value)
        return found
    raise SystemExit(f"no state machine with DefinitionUri {definition.name} in {template}")


def load_machine(definition: Path = ASL, template: Path = TEMPLATE) -> dict:
    text = definition.read_text()
    for name, value in deployed_substitutions(template, definition).items():
        text = text.replace("${" + name + "}", value)
    left = sorted(set(re.findall(r"\$\{(\w+)\}", text)))
    if left:
        raise SystemExit(f"{definition}: no substitution for {left}")
    return json.loads(text)


def fixed_poll(machine: dict, seconds: int = FIXED_POLL_S) -> dict:
    """The same machine with every Wait a fixed `seconds` and nothing else changed."""
    machine = copy.deepcopy(machine)
    for state in machine["States"].values():
        if state["Type"] == "Wait":
            for key in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath"):
                state.pop(key, None)
            state["Seconds"] = seconds
    return machine


# --- paths and intrinsics ------------------------------------------------------------

class PathMissing(Exception):
    pass


def get_path(path: str, data, context: dict):
    """$ / $.a.b / $.a[0] / $$.Execution.Id."""
    if path.startswith("$$"):
        data, path = context, path[1:]
    if path == "$":
        return data
    if not path.startswith("$"):
        raise ValueError(f"not a path: {path}")
    value = data
    for name, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path[1:]):
        try:
            value = value[name] if name else value[int(index)]
        except (KeyError, IndexError, TypeError):
            raise PathMissing(path) from None
    return value


def set_path(data, path: str | None, value):
    """ResultPath: None discards the result, $ replaces the input, $.a.b sets a field."""
    if path is None:
        return data
    if path == "$":
        return value
    data = copy.deepcopy(data) if isinstance(data, dict) else {}
    names = path[2:].split(".")
    where = data
    for name in names[:-1]:
        where = where.setdefault(name, {})
    where[names[-1]] = value
    return data


def _intrinsic(text: str, data, context: dict):
    """States.Name(arg, ...): args are 'strings', numbers, paths or intrinsics."""
    pos = 0

    def skip():
        nonlocal pos
        while pos < len(text) and text[pos] == " ":
            pos += 1

    def value():
        nonlocal pos
        skip()
        if text.startswith("States.", pos):
            name = re.match(r"States\.(\w+)\(", text[pos:])
            pos += name.end()
            args = []
            skip()
            while text[pos] != ")":
                args.append(value())
                skip()
                if text[pos] == ",":
                    pos += 1
            pos += 1
            return call(name.group(1), args)
        if text[pos] == "'":
            end, out = pos + 1, []
            while text[end] != "'":
                if text[end] == "\\":
                    end += 1
                out.append(text[end])
                end += 1
            pos = end + 1
            return "".join(out)
        found = re.match(r"\$\$?[^,)\s]*|-?\d+(\.\d+)?|true|false|null", text[pos:])
        pos += found.end()
        token = found.group(0)
        return get_path(token, data, context) if token.startswith("$") else json.loads(token)

    def call(name, args):
        if name == "MathAdd":
            return args[0] + args[1]
        if name == "StringToJson":
            return json.loads(args[0])
        if name == "JsonToString":
            return json.dumps(args[0], separators=(",", ":"))
        if name == "Format":
            parts = args[0].split("{}")
            shown = [a if isinstance(a, str) else json.dumps(a) for a in args[1:]]
            return "".join(p + (shown[i] if i < len(shown) else "") for i, p in enumerate(parts))
        raise NotImplementedError(f"intrinsic States.{name}")

    return value()


def resolve(template, data, context: dict):
    """Parameters / ResultSelector: keys ending .$ take a path or an intrinsic."""
    if isinstance(template, dict):
        out = {}
        for key, value in template.items():
            if key.endswith(".$"):
                out[key[:-2]] = _intrinsic(value, data, context) if value.startswith("States.") else get_path(value, data, context)
            else:
                out[key] = resolve(value, data, context)
        return out
    if isinstance(template, list):
        return [resolve(v, data, context) for v in template]
    return template


COMPARISONS = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,
    "GreaterThan": lambda a, b: a > b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThanEquals": lambda a, b: a >= b,
}
KINDS = {"String": str, "Numeric": (int, float), "Boolean": bool, "Timestamp": str}


def choice_matches(rule: dict, data, context: dict) -> bool:
    if "And" in rule:
        return all(choice_matches(r, data, context) for r in rule["And"])
    if "Or" in rule:
        return any(choice_matches(r, data, context) for r in rule["Or"])
    if "Not" in rule:
        return not choice_matches(rule["Not"], data, context)
    variable = rule["Variable"]
    if "IsPresent" in rule:
        try:
            get_path(variable, data, context)
            return rule["IsPresent"] is True
        except PathMissing:
            return rule["IsPresent"] is False
    value = get_path(variable, data, context)  # missing: States.Runtime, as in AWS
    if "IsNull" in rule:
        return (value is None) == rule["IsNull"]
    for key, expected in rule.items():
        found = re.fullmatch(r"(String|Numeric|Boolean|Timestamp)(Equals|LessThan|GreaterThan|LessThanEquals|GreaterThanEquals)(Path)?", key)
        if not found:
            continue
        kind, op, is_path = found.groups()
        if is_path:
            expected = get_path(expected, data, context)
        wanted = KINDS[kind]
        if not isinstance(value, wanted) or (kind == "Numeric" and isinstance(value, bool)):
            return False
        if kind == "Boolean" and op != "Equals":
            raise NotImplementedError(key)
        return COMPARISONS[op](value, expected)
    raise NotImplementedError(f"Choice rule {rule}")


# --- the interpreter -----------------------------------------------------------------

class TaskFailed(Exception):
    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(error)
        self.error, self.cause = error, cause


@dataclass
class Run:
    """What one execution did, for the tables."""
    status: str = "RUNNING"
    seconds: float = 0.0
    transitions: int = 0
    retries: int = 0
    entered: dict = field(default_factory=dict)
    invocations: dict = field(default_factory=dict)
    aws_calls: int = 0
    lambda_ms: float = 0.0
    billed_ms: int = 0
    lags: dict = field(default_factory=dict)

    def cost(self) -> tuple[float, float]:
        """(Step Functions, Lambda) in USD."""
        requests = sum(self.invocations.values())
        lambda_usd = self.billed_ms / 1000 * LAMBDA_GB * GB_SECOND_USD + requests * REQUEST_USD
        return self.transitions * TRANSITION_USD, lambda_usd


def run_machine(machine: dict, world: "World", execution_input, max_states: int = 10_000) -> Run:
    run = Run()
    world.clock = 0.0
    context = {"Execution": {"Id": "arn:aws:states:us-east-1:123456789012:execution:aurora-failback:bench-1",
                             "Name": "bench-1", "StartTime": "2026-11-30T04:40:00Z", "Input": execution_input},
               "StateMachine": {"Id": "arn:aws:states:us-east-1:123456789012:stateMachine:aurora-failback"}}
    data = execution_input
    name = machine["StartAt"]
    while True:
        if run.transitions > max_states:
            raise RuntimeError("too many states: a loop without end?")
        state = machine["States"][name]
        run.transitions += 1
        run.entered[name] = run.entered.get(name, 0) + 1
        kind = state["Type"]
        effective = get_path(state.get("InputPath", "$"), data, context) if state.get("InputPath", "$") is not None else {}
        if kind == "Pass":
            result = resolve(state["Parameters"], effective, context) if "Parameters" in state else state.get("Result", effective)
            data = set_path(data, state.get("ResultPath", "$"), result)
        elif kind == "Wait":
            if "Seconds" in state:
                seconds = state["Seconds"]
            elif "SecondsPath" in state:
                seconds = get_path(state["SecondsPath"], effective, context)
            else:
                raise NotImplementedError(f"Wait {name}: only Seconds and SecondsPath")
            world.clock += seconds
        elif kind == "Choice":
            name = next((r["Next"] for r in state["Choices"] if choice_matches(r, effective, context)), None) or state["Default"]
            continue
        elif kind == "Task":
            parameters = resolve(state["Parameters"], effective, context) if "Parameters" in state else effective
            attempts: dict[int, int] = {}
            caught = None
            while True:
                try:
                    result = world.call(state["Resource"], parameters, run)
                    break
                except TaskFailed as failure:
                    retrier = next((i for i, r in enumerate(state.get("Retry", []))
                                    if failure.error in r["ErrorEquals"] or "States.ALL" in r["ErrorEquals"]), None)
                    rule = state["Retry"][retrier] if retrier is not None else None
                    if rule and attempts.get(retrier, 0) < rule.get("MaxAttempts", 3):
                        attempts[retrier] = attempts.get(retrier, 0) + 1
                        delay = rule.get("IntervalSeconds", 1) * rule.get("BackoffRate", 2.0) ** (attempts[retrier] - 1)
                        world.clock += min(delay, rule.get("MaxDelaySeconds", delay))  # jitter left out: its most
                        run.retries += 1
                        run.transitions += 1  # a retry is billed as a transition
                        continue
                    catcher = next((c for c in state.get("Catch", [])
                                    if failure.error in c["ErrorEquals"] or "States.ALL" in c["ErrorEquals"]), None)
                    if catcher is None:
                        run.status, run.seconds = "FAILED", world.clock
                        return run
                    data = set_path(data, catcher.get("ResultPath", "$"), {"Error": failure.error, "Cause": failure.cause})
                    caught = catcher["Next"]
                    break
            if caught:
                name = caught
                continue
            if "ResultSelector" in state:
                result = resolve(state["ResultSelector"], result, context)
            data = set_path(data, state.get("ResultPath", "$"), result)
        elif kind == "Succeed":
            run.status, run.seconds = "SUCCEEDED", world.clock
            return run
        elif kind == "Fail":
            run.status, run.seconds = "FAILED", world.clock
            return run
        else:
            raise NotImplementedError(f"state type {kind}")
        if state.get("OutputPath", "$") != "$":
            data = get_path(state["OutputPath"], data, context)
        if state.get("End"):
            run.status, run.seconds = "SUCCEEDED", world.clock
            return run
        name = state["Next"]


# --- the world -----------------------------------------------------------------------

def function_of(resource: str) -> str:
    """arn:...:function:DescribeWriterFunction -> describe-writer."""
    logical = resource.rsplit(":", 1)[1].removesuffix("Function")
    return re.sub(r"(?<!^)([A-Z])", r"-\1", logical).lower()


class World:
    """The cluster `orders` after an unplanned failover to orders-2 (db.r6g.large); the
    Lambdas' answers shaped as the real ones (only the fields the machine reads matter)."""

    def __init__(self, path: str, lambda_ms: dict | None = None,
                 ready_s: float = READER_READY_S, moves_s: float = WRITER_MOVES_S) -> None:
        assert path in ("failback", "create")
        self.path, self.ready_s, self.moves_s = path, ready_s, moves_s
        self.lambda_ms = lambda_ms or {}
        self.clock = 0.0
        self.reader_ready_at = 0.0 if path == "failback" else None
        self.writer_moves_at = None
        self.seen: dict = {}

    def call(self, resource: str, parameters: dict, run: Run):
        if resource == "arn:aws:states:::events:putEvents":
            run.aws_calls += CALLS[("events", "putEvents")]
            return {"Entries": [{"EventId": "e-1"}], "FailedEntryCount": 0}
        function = function_of(resource)
        asked = parameters.get("action") or parameters.get("check") or parameters.get("method")
        key = (function, asked) if (function, asked) in CALLS else (function, None)
        run.invocations[function] = run.invocations.get(function, 0) + 1
        run.aws_calls += CALLS.get(key, 0)
        ms = self.lambda_ms.get(function, self.lambda_ms.get("check-status", ASSUMED_LAMBDA_MS))
        run.lambda_ms += ms
        run.billed_ms += math.ceil(ms)
        asked_at = self.clock
        self.clock += ms / 1000
        return getattr(self, function.replace("-", "_"))(parameters, asked_at, run)

    def record_run(self, p, now, run):
        if p["action"] == "start":
            return {"clusterId": "orders", "leaseAcquired": True}
        return {"outcome": "restored", "clusterId": "orders", "summary": "restored"}

    def describe_writer(self, p, now, run):
        plan = {"clusterId": "orders", "dryRun": False, "writerInstanceId": "orders-2",
                "writerClass": "db.r6g.large", "desiredClass": "db.r6g.2xlarge",
                "desiredClassSource": "tag", "scaleOldWriter": False, "summary": "..."}
        if self.path == "failback":
            return {**plan, "action": "failback", "targetInstanceId": "orders-1", "targetStatus": "available"}
        return {**plan, "action": "create", "referenceInstanceId": "orders-2", "availabilityZone": "us-east-1a",
                "targetInstanceId": None}

    def create_reader(self, p, now, run):
        if p["method"] != "create":
            raise TaskFailed("InvalidInput", f"the world has no {p['method']}")
        self.reader_ready_at = now + self.ready_s
        return {"instanceId": "orders-bench-1-1", "created": True, "status": "creating",
                "instanceClass": p["instanceClass"], "attempts": [], "placement": 1, "tried": []}

    def check_status(self, p, now, run):
        if p["check"] == "reader-available":
            ready = now >= self.reader_ready_at
            event = self.reader_ready_at
            lag_key = "reader"
        else:
            ready = self.writer_moves_at is not None and now >= self.writer_moves_at
            event = self.writer_moves_at
            lag_key = "writer"
        if ready and lag_key not in run.lags:
            run.lags[lag_key] = now - event
        return {"state": "ready" if ready else "pending", "clusterId": "orders",
                "instanceStatus": "available" if ready or lag_key == "writer" else "creating",
                "clusterStatus": None if lag_key == "reader" else ("available" if ready else "failing-over"),
                "writerInstanceId": None}

    def failover(self, p, now, run):
        self.writer_moves_at = now + self.moves_s
        return {"failoverRequested": True, "fromInstanceId": "orders-2", "toInstanceId": p["instanceId"]}


def simulate(machine: dict, path: str, lambda_ms: dict | None = None, **world) -> Run:
    trigger = json.loads((ROOT / "events/failover-completed.json").read_text())
    return run_machine(machine, World(path, lambda_ms, **world), trigger)


def poll_seconds(machine: dict, check: str) -> int | None:
    """A loop's close poll: the shortest fixed Wait leading to the Task asking `check`."""
    tasks = {n for n, s in machine["States"].items()
             if s["Type"] == "Task" and (s.get("Parameters") or {}).get("check") == check}
    waits = [s["Seconds"] for s in machine["States"].values()
             if s["Type"] == "Wait" and s.get("Next") in tasks and "Seconds" in s]
    return min(waits) if waits else None


def worst_lags(machine: dict, path: str, lambda_ms: dict | None = None) -> dict:
    """The largest detection lag over a minute of readiness times (the event lands at every
    phase of the polls): for the reader (create path only) and the writer."""
    worst: dict = {}
    for offset in range(60):
        extra = {"moves_s": WRITER_MOVES_S + offset}
        if path == "create":
            extra["ready_s"] = READER_READY_S + offset
        run = simulate(machine, path, lambda_ms, **extra)
        for key, lag in run.lags.items():
            worst[key] = max(worst.get(key, 0.0), lag)
    return worst
