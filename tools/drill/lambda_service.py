"""A local Lambda service: the Invoke API in front, the Lambda Runtime API behind.

Each function is its real binary (target/debug/<name>), started as a child process with
AWS_LAMBDA_RUNTIME_API pointing at a Runtime API server of its own, exactly as Lambda
starts a custom runtime. An invoke queues the event; the binary takes it from
`/runtime/invocation/next` and answers on `/response` or `/error`. Errors come back as
real Lambda sends them: HTTP 200 with `X-Amz-Function-Error` and the
`{"errorType", "errorMessage"}` body, so the state machine sees the errorType.

Each invocation hands the binary its invoked function ARN,
`arn:aws:lambda:<region>:<account>:function:<name>`, from which the Lambdas read where they
run (their home region); the region and account are the service's (LocalLambdaService's
`region`, `account`): us-east-1 for the failback drill, us-west-2 for the DR drill.

A function is invoked by a state machine (run_machine.mjs, through the Invoke API) or
directly, as a person or a schedule would (LocalLambdaService.invoke: the answer and the
log lines the invocation wrote, e.g. dr-readiness's EMF metrics).
"""
from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

RUNTIME_PREFIX = "/2018-06-01/runtime"
INVOKE_PATH = re.compile(r"^/2015-03-31/functions/([A-Za-z0-9_-]+)/invocations$")


@dataclass
class Invoked:
    """A direct invocation's outcome: the function's answer (parsed JSON, or the raw text),
    whether it is an error (X-Amz-Function-Error), and the log lines written meanwhile."""
    error: bool
    body: object
    logs: list[str]

    def log_json(self) -> list[dict]:
        """The log lines that are JSON objects (structured logs, EMF)."""
        found = []
        for line in self.logs:
            line = line.strip()
            if line.startswith("{"):
                try:
                    value = json.loads(line)
                except ValueError:
                    continue
                if isinstance(value, dict):
                    found.append(value)
        return found


class Invocation:
    def __init__(self, payload: bytes) -> None:
        self.request_id = str(uuid.uuid4())
        self.payload = payload
        self.done = threading.Event()
        self.error = False
        self.body = b""

    def finish(self, body: bytes, error: bool) -> None:
        if self.done.is_set():  # answered already (timed out, or its process was replaced)
            return
        self.body, self.error = body, error
        self.done.set()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        # A function process that was killed or replaced resets its connections: not news.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def _server(handler_methods) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as two writes; with Nagle on, the second waits for the
        # client's delayed ACK (up to 40 ms) on a kept-alive connection.
        disable_nagle_algorithm = True

        def log_message(self, *args) -> None:
            pass

        def body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def answer(self, status: int, body: bytes = b"", headers: dict | None = None) -> bool:
            """False when the other end has gone (a process that died, a client that gave up)."""
            try:
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                return True
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
                return False

        def do_GET(self) -> None:
            handler_methods(self)

        do_POST = do_GET

    server = _QuietServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class LocalFunction:
    def __init__(self, name: str, binary: Path, env: dict, log_path: Path,
                 function_arn: str | None = None) -> None:
        self.name = name
        self.function_arn = function_arn or f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        self.waiting: queue.Queue[Invocation] = queue.Queue()
        self.running: dict[str, Invocation] = {}
        self.lock = threading.Lock()
        self.runtime = _server(self.runtime_api)
        self.binary, self.env = binary, env
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.restarts = 0
        # Bumped by restart(): a /next request from an earlier process must not take work.
        self.generation = 0
        self.process = self.start_process()

    def start_process(self) -> subprocess.Popen:
        port = self.runtime.server_address[1]
        return subprocess.Popen(
            [str(self.binary)],
            env={
                **self.env,
                "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
                "AWS_LAMBDA_FUNCTION_NAME": self.name,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": "drill",
            },
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
        )

    def restart(self) -> None:
        """A fresh process after this one died or hung, as Lambda starts a new sandbox. The
        invocation it held is answered as Lambda would (Runtime.ExitError)."""
        self.stop_process()
        with self.lock:
            held, self.running = list(self.running.values()), {}
        while True:  # queued for the old process: not to be run by the new one
            try:
                held.append(self.waiting.get_nowait())
            except queue.Empty:
                break
        for invocation in held:
            invocation.finish(json.dumps({"errorType": "Runtime.ExitError", "errorMessage": f"{self.name} restarted"}).encode(), True)
        self.restarts += 1
        self.generation += 1
        self.process = self.start_process()

    def runtime_api(self, request) -> None:
        path = request.path
        if request.command == "GET" and path == f"{RUNTIME_PREFIX}/invocation/next":
            generation = self.generation
            while True:
                try:
                    invocation = self.waiting.get(timeout=0.5)
                    break
                except queue.Empty:
                    if generation != self.generation:
                        request.close_connection = True
                        return None  # asked by a process that has since been replaced
            if generation != self.generation:
                self.waiting.put(invocation)  # for the process that replaced the asker
                request.close_connection = True
                return None
            with self.lock:
                self.running[invocation.request_id] = invocation
            delivered = request.answer(200, invocation.payload, {
                "Content-Type": "application/json",
                "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 60_000),
                "Lambda-Runtime-Invoked-Function-Arn": self.function_arn,
                "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000;Sampled=0",
            })
            if not delivered:
                with self.lock:
                    self.running.pop(invocation.request_id, None)
                if not invocation.done.is_set():
                    self.waiting.put(invocation)
            return None
        found = re.match(rf"^{RUNTIME_PREFIX}/invocation/([^/]+)/(response|error)$", path)
        if request.command == "POST" and found:
            body = request.body()
            with self.lock:
                invocation = self.running.pop(found.group(1), None)
            if invocation is None:
                return request.answer(400, b'{"errorType":"InvalidRequestID"}')
            invocation.finish(body, error=found.group(2) == "error")
            return request.answer(202, b'{"status":"OK"}')
        if request.command == "POST" and path == f"{RUNTIME_PREFIX}/init/error":
            request.body()
            return request.answer(202, b'{"status":"OK"}')
        request.answer(404, b"{}")

    def invoke(self, payload: bytes, timeout: float = 120) -> Invocation:
        invocation = Invocation(payload)
        if self.process.poll() is not None:
            invocation.finish(json.dumps({"errorType": "Runtime.ExitError", "errorMessage": f"{self.name} exited"}).encode(), True)
            return invocation
        self.waiting.put(invocation)
        deadline = time.monotonic() + timeout
        while not invocation.done.wait(0.1):
            if self.process.poll() is not None:
                message = f"{self.name} exited with status {self.process.returncode}"
                invocation.finish(json.dumps({"errorType": "Runtime.ExitError", "errorMessage": message}).encode(), True)
            elif time.monotonic() > deadline:
                invocation.finish(json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": "timed out"}).encode(), True)
        return invocation

    def stop_process(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def stop(self) -> None:
        self.stop_process()
        self.runtime.shutdown()
        self.log.close()


class LocalLambdaService:
    def __init__(self, binaries: Path, names: list[str], env: dict, log_dir: Path,
                 region: str = "us-east-1", account: str = "123456789012") -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.region, self.account = region, account
        self.functions = {
            name: LocalFunction(name, binaries / name, env, log_dir / f"{name}.log", self.function_arn(name))
            for name in names
        }
        # How long an invoke waits for the function's answer (Lambda's own limit is the
        # function's timeout); the drill shortens it for payloads that must be refused at once.
        self.invoke_timeout = 120.0
        self.invoke_api = _server(self.handle_invoke)
        self.endpoint = f"http://127.0.0.1:{self.invoke_api.server_address[1]}"

    def function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"

    def handle_invoke(self, request) -> None:
        found = INVOKE_PATH.match(request.path)
        payload = request.body()
        function = self.functions.get(found.group(1)) if found else None
        if request.command != "POST" or function is None:
            return request.answer(404, b'{"Type":"User","message":"ResourceNotFoundException"}')
        invocation = function.invoke(payload, self.invoke_timeout)
        headers = {"Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST"}
        if invocation.error:
            headers["X-Amz-Function-Error"] = "Unhandled"
        request.answer(200, invocation.body, headers)

    def invoke(self, name: str, payload, timeout: float | None = None, settle_s: float = 0.2) -> Invoked:
        """Invokes the function directly with `payload` (JSON-encoded unless bytes), as the
        Invoke API would (RequestResponse); the log lines it wrote are read after the answer,
        once the log has been quiet for `settle_s`."""
        function = self.functions[name]
        offset = function.log_path.stat().st_size if function.log_path.exists() else 0
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        invocation = function.invoke(data, timeout or self.invoke_timeout)
        size, quiet_since = -1, time.monotonic()
        while time.monotonic() - quiet_since < settle_s:
            now = function.log_path.stat().st_size
            if now != size:
                size, quiet_since = now, time.monotonic()
            time.sleep(0.05)
        with open(function.log_path, "rb") as log:
            log.seek(offset)
            logs = log.read().decode("utf-8", "replace").splitlines()
        try:
            body = json.loads(invocation.body)
        except ValueError:
            body = invocation.body.decode("utf-8", "replace")
        return Invoked(invocation.error, body, logs)

    def stop(self) -> None:
        self.invoke_api.shutdown()
        for function in self.functions.values():
            function.stop()
