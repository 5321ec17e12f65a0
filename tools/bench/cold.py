"""Part (a): one cold start per process, the Rust Lambda against the same step in Python.

Each run starts the function fresh, as Lambda starts a sandbox: AWS_LAMBDA_RUNTIME_API
points at a Runtime API of our own (Runtime, below) that hands it one invocation, the
input the state machine gives it; the run measures from the process's start to its answer
on /response, then takes its peak RSS (VmHWM, see vm_hwm_kib), kills it and takes its CPU
time (user + sys) from os.wait4's rusage. The AWS endpoint is moto on 127.0.0.1 behind the drill's proxy
(fault_proxy.AwsLifecycleProxy, faults off), which counts the calls per action and answers
DescribeOrderableDBInstanceOptions as the drill does. The cluster is the drill's demo
cluster (Drill.demo_cluster) with the aurora-failback:writer-class tag, after an
unplanned failover to its small reader: describe-writer plans failback to orders-1.

Warm: one more process per implementation answers WARM_INVOCATIONS invocations after its
first; the median of those is the warm duration (part (b) bills Lambda with it).

Canned (run(..., canned=True)): the same runs against CannedAws, which asks moto each
distinct request once (in a first, unmeasured run of each implementation) and then answers
it from memory in one write. moto takes tens of milliseconds to answer some calls
(DescribeOrderableDBInstanceOptions most of all), the same for both implementations; the
canned runs take that out, so what is left is the runtime's own cost: process start,
SDK set-up, signing, sending, parsing.
"""
from __future__ import annotations

import os
import queue
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools/drill"))

import json  # noqa: E402

import boto3  # noqa: E402

from drill import ACCOUNT, REGION, Drill, Moto, fresh, read_event  # noqa: E402
from fault_proxy import AwsLifecycleProxy, Behaviour  # noqa: E402
from lambda_service import RUNTIME_PREFIX, _server  # noqa: E402

BENCH_VENV = ROOT / ".tools/venv-bench"
HANDLER_DIR = Path(__file__).resolve().parent / "python_handler"
FUNCTIONS = ["describe-writer", "check-status"]
WARM_INVOCATIONS = 10
LOG_DIR = ROOT / "target/bench-logs"


class Runtime:
    """The Lambda Runtime API for one process: hands out the invocations queued, and
    holds a /next open (as Lambda does between invocations) once they are used up."""

    def __init__(self, function_arn: str) -> None:
        self.function_arn = function_arn
        self.waiting: queue.Queue = queue.Queue()
        self.answers: queue.Queue = queue.Queue()  # (request id, error?, body, monotonic time)
        self.closed = threading.Event()
        # When the process first asked for work: its start and initialisation done.
        self.first_next: float | None = None
        self.server = _server(self.handle)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def handle(self, request) -> None:
        if request.command == "GET" and request.path == f"{RUNTIME_PREFIX}/invocation/next":
            self.first_next = self.first_next or time.monotonic()
            while not self.closed.is_set():
                try:
                    payload = self.waiting.get(timeout=0.2)
                    break
                except queue.Empty:
                    continue
            else:
                request.close_connection = True
                return None
            return request.answer(200, payload, {
                "Content-Type": "application/json",
                "Lambda-Runtime-Aws-Request-Id": str(uuid.uuid4()),
                "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 60_000),
                "Lambda-Runtime-Invoked-Function-Arn": self.function_arn,
                "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000;Sampled=0",
            })
        if request.command == "POST" and request.path.startswith(f"{RUNTIME_PREFIX}/invocation/"):
            body = request.body()
            self.answers.put((request.path.endswith("/error"), body, time.monotonic()))
            return request.answer(202, b'{"status":"OK"}')
        if request.command == "POST" and request.path.endswith("/init/error"):
            self.answers.put((True, request.body(), time.monotonic()))
            return request.answer(202, b'{"status":"OK"}')
        request.answer(404, b"{}")

    def stop(self) -> None:
        self.closed.set()
        self.server.shutdown()
        self.server.server_close()


class CannedAws:
    """An AWS endpoint on 127.0.0.1 that answers from memory: the first time it sees a
    request (its action and parameters, whatever their order) it forwards it to `upstream`
    and keeps the answer; every later identical request gets the kept answer at once."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.kept: dict = {}
        self.forwarded = 0
        self.calls: Counter = Counter()
        self.lock = threading.Lock()
        self.server = _server(self.handle)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    @staticmethod
    def key(headers, body: bytes) -> tuple:
        target = headers.get("X-Amz-Target")
        if target:
            return target, json.dumps(json.loads(body or b"{}"), sort_keys=True)
        params = urllib.parse.parse_qsl(body.decode())
        return dict(params).get("Action", ""), tuple(sorted(params))

    def handle(self, request) -> None:
        body = request.body()
        key = self.key(request.headers, body)
        with self.lock:
            self.calls[key[0].split(".")[-1]] += 1
            kept = self.kept.get(key)
        if kept is None:
            kept = self.ask_upstream(request, body)
            with self.lock:
                self.kept[key] = kept
                self.forwarded += 1
        status, content_type, payload = kept
        request.answer(status, payload, {"Content-Type": content_type, "x-amzn-RequestId": "canned"})

    def ask_upstream(self, request, body: bytes) -> tuple:
        # moto routes by the service in the credential scope (Authorization) or X-Amz-Target.
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() in ("content-type", "x-amz-target", "authorization", "x-amz-date")}
        upstream = urllib.request.Request(self.upstream + request.path, data=body, method=request.command,
                                          headers=headers)
        try:
            with urllib.request.urlopen(upstream, timeout=30) as response:
                return response.status, response.headers.get("Content-Type", "text/xml"), response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", "text/xml"), error.read()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Sample:
    wall_ms: float
    next_ms: float  # start -> the first GET /next: process start and initialisation
    cpu_ms: float
    rss_mib: float
    calls: dict
    answer: dict


@dataclass
class Measured:
    cold: list = field(default_factory=list)
    warm_ms: list = field(default_factory=list)


def command(impl: str, function: str, bin_dir: Path) -> list[str]:
    if impl == "rust":
        return [str(bin_dir / function)]
    return [str(BENCH_VENV / "bin/python"), "-m", "awslambdaric", f"handler.{function.replace('-', '_')}"]


def vm_hwm_kib(pid: int) -> int:
    """The process's peak RSS (VmHWM). Not rusage's ru_maxrss: Linux carries the parent's
    high-water mark over fork and exec into it, so every child of this 50 MiB Python
    process would show at least 50 MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


class ColdBench:
    """moto, the counting proxy and the seeded cluster, shared by every run; with `canned`,
    the functions talk to a CannedAws in front of the proxy."""

    def __init__(self, bin_dir: Path, canned: bool = False) -> None:
        self.bin_dir = bin_dir.resolve()
        self.moto = Moto()
        self.proxy = AwsLifecycleProxy(self.moto.port)
        self.proxy.configure(Behaviour(failing_over_polls=0))
        self.canned = CannedAws(f"http://127.0.0.1:{self.proxy.port}") if canned else None
        # What each run's AWS calls are counted from.
        self.calls = self.canned.calls if self.canned else self.proxy.counters.calls
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
        # Drill's own seeding, on a stand-in with just the RDS client it uses.
        seeder = SimpleNamespace(rds=session.client("rds", endpoint_url=self.moto.endpoint))
        Drill.demo_cluster(seeder, writer_class_tag="db.r6g.2xlarge")
        Drill.unplanned_failover_to(seeder, "orders-2")
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "AWS_ENDPOINT_URL": self.canned.endpoint if self.canned else f"http://127.0.0.1:{self.proxy.port}",
            "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_EC2_METADATA_DISABLED": "true",
            "MAX_EVENT_AGE_SECONDS": "1800", "ALLOW_UNTAGGED_MANUAL_RUNS": "false",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
            "LAMBDA_TASK_ROOT": str(HANDLER_DIR),
        }

    def stop(self) -> None:
        if self.canned:
            self.canned.stop()
        self.proxy.stop()
        self.moto.stop()

    @staticmethod
    def payload(function: str) -> bytes:
        if function == "describe-writer":
            return json.dumps({"trigger": fresh(read_event("failover-completed.json")), "runName": "bench-1"}).encode()
        return json.dumps({"check": "reader-available", "clusterId": "orders", "instanceId": "orders-1",
                           "minimumClass": "db.r6g.2xlarge"}).encode()

    def run_once(self, impl: str, function: str, invocations: int = 1) -> tuple[Sample, list[float]]:
        """A fresh process, `invocations` invocations in turn; killed after the last answer."""
        runtime = Runtime(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}")
        calls_before = dict(self.calls)
        log = open(LOG_DIR / f"{impl}-{function}.log", "ab")
        env = {**self.env, "AWS_LAMBDA_RUNTIME_API": runtime.address, "AWS_LAMBDA_FUNCTION_NAME": function,
               "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function}"}
        answers, warm = [], []
        try:
            runtime.waiting.put(self.payload(function))
            began = time.monotonic()
            process = subprocess.Popen(command(impl, function, self.bin_dir), env=env, cwd=HANDLER_DIR,
                                       stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            try:
                error, body, answered = runtime.answers.get(timeout=60)
                answers.append((error, body))
                wall = answered - began
                for _ in range(invocations - 1):
                    sent = time.monotonic()
                    runtime.waiting.put(self.payload(function))
                    error, body, answered = runtime.answers.get(timeout=60)
                    answers.append((error, body))
                    warm.append((answered - sent) * 1000)
            finally:
                peak_kib = vm_hwm_kib(process.pid)
                os.kill(process.pid, signal.SIGKILL)
                _, status, usage = os.wait4(process.pid, 0)
                process.returncode = -9  # reaped here, not by Popen
        finally:
            runtime.stop()
            log.close()
        calls = {k: v - calls_before.get(k, 0) for k, v in self.calls.items() if v != calls_before.get(k, 0)}
        error, body = answers[0]
        answer = json.loads(body) if body else {}
        if error:
            raise RuntimeError(f"{impl} {function} answered an error: {body[:300]!r}")
        sample = Sample(wall * 1000, (runtime.first_next - began) * 1000, (usage.ru_utime + usage.ru_stime) * 1000, peak_kib / 1024,
                        {k: round(v / invocations, 2) for k, v in calls.items()}, answer)
        return sample, warm


def run(bin_dir: Path, runs: int, log=print, canned: bool = False) -> dict:
    """{(impl, function): Measured}; with `canned`, also "forwarded": the requests CannedAws
    had to ask moto about while measuring (0 when every measured answer came from memory)."""
    bench = ColdBench(bin_dir, canned)
    results: dict = {}
    label = "canned" if canned else "moto"
    try:
        for function in FUNCTIONS:
            for impl in ("rust", "python"):
                if bench.canned:
                    bench.run_once(impl, function, 1 + WARM_INVOCATIONS)  # records the answers
                    recorded = bench.canned.forwarded
                measured = results.setdefault((impl, function), Measured())
                measured.cold = [bench.run_once(impl, function)[0] for _ in range(runs)]
                measured.warm_ms = bench.run_once(impl, function, 1 + WARM_INVOCATIONS)[1]
                if bench.canned:
                    results["forwarded"] = results.get("forwarded", 0) + bench.canned.forwarded - recorded
                first = measured.cold[0]
                log(f"  (a) {label:<6} {impl:<6} {function:<15} median {statistics.median(s.wall_ms for s in measured.cold):7.1f} ms"
                    f"  plan/state: {first.answer.get('action') or first.answer.get('state')}"
                    f" {first.answer.get('targetInstanceId', '')}")
    finally:
        bench.stop()
    return results


def table(results: dict) -> list[str]:
    def calls_text(sample: Sample) -> str:
        return " ".join(f"{k.replace('Describe', 'D.')}x{v:g}" for k, v in sorted(sample.calls.items()))

    lines = []
    if "forwarded" in results:
        lines += [f"Requests CannedAws forwarded to moto while measuring: {results['forwarded']} "
                  f"(0: every measured answer came from memory).", ""]
    lines += ["| function | runtime | median cold wall ms | median start to first /next ms | median CPU ms | max peak RSS MiB | median warm ms | start-up ms (cold - warm) | AWS calls per invocation |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    ratios = []
    for function in FUNCTIONS:
        row = {}
        for impl, label in (("rust", "Rust"), ("python", "Python 3.11 + boto3")):
            m = results.get((impl, function))
            if not m:
                continue
            row[impl] = (statistics.median(s.wall_ms for s in m.cold), statistics.median(s.cpu_ms for s in m.cold),
                         max(s.rss_mib for s in m.cold), statistics.median(m.warm_ms) if m.warm_ms else float("nan"),
                         sum(sum(s.calls.values()) for s in m.cold) / len(m.cold),
                         statistics.median(s.next_ms for s in m.cold))
            lines.append(f"| {function} | {label} | {row[impl][0]:.1f} | {row[impl][5]:.1f} | {row[impl][1]:.1f} | "
                         f"{row[impl][2]:.1f} | {row[impl][3]:.1f} | {row[impl][0] - row[impl][3]:.1f} | "
                         f"{calls_text(m.cold[-1])} |")
        if "rust" in row and "python" in row:
            r, p = row["rust"], row["python"]
            ratios.append(f"| {function} | **Python / Rust** | {p[0] / r[0]:.1f}x | {p[5] / r[5]:.1f}x | {p[1] / r[1]:.1f}x | {p[2] / r[2]:.1f}x | "
                          f"{p[3] / r[3]:.1f}x | {(p[0] - p[3]) / max(r[0] - r[3], 0.1):.1f}x | {'same calls' if p[4] == r[4] else f'{p[4]:g} vs {r[4]:g} calls'} |")
            ratios.append(f"| {function} | target | Rust wall <= 1/20: {'met' if r[0] * 20 <= p[0] else 'NOT met'} | | | "
                          f"Rust RSS <= 1/3: {'met' if r[2] * 3 <= p[2] else 'NOT met'} | | | |")
    return lines + ratios
