"""The deploy build's artefacts, checked as Lambda would meet them (tools/package.sh).

For each function in the built template (infra/.aws-sam/build/template.yaml): its
`bootstrap` exists, is an ELF executable for the architecture built, and starts: run with
the function's environment (the template's variables, !Ref resolved to the parameters'
defaults) and AWS_LAMBDA_RUNTIME_API pointing at a Runtime API of ours on 127.0.0.1, it
must ask that API for work (GET /runtime/invocation/next) within a few seconds. A binary
built for another architecture than this machine's is started under qemu user-mode
emulation when this machine has it (Debian: qemu-user and, for arm64, libc6-arm64-cross);
otherwise it is checked as far as running it needs none (exists, ELF, architecture), and
the table says it was not started.

Prints, per function, the binary's size and the size of the zip Lambda would be sent
(bootstrap alone, deflated), then the totals. Exits 1 if any check failed.
"""
from __future__ import annotations

import argparse
import io
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cfn_yaml import load_template

# ELF e_machine values (the ELF specification): the architecture a binary is for.
ELF_MACHINES = {"x86_64": 0x3E, "arm64": 0xB7}
HOST_ARCH = {"x86_64": "x86_64", "aarch64": "arm64"}.get(platform.machine())
START_SECONDS = 10


def environment(template: dict, properties: dict) -> dict[str, str]:
    """The function's variables (Globals' and its own), each !Ref a parameter's default;
    anything computed at deploy time (an ARN, a !Sub) is a placeholder."""
    defaults = {name: str(p.get("Default", "")) for name, p in (template.get("Parameters") or {}).items()}
    variables = dict(((template.get("Globals") or {}).get("Function") or {}).get("Environment", {}).get("Variables", {}))
    variables.update((properties.get("Environment") or {}).get("Variables", {}))
    env = {}
    for name, value in variables.items():
        if isinstance(value, dict) and "Ref" in value:
            value = defaults.get(value["Ref"], "placeholder")
        elif isinstance(value, dict):
            value = "placeholder"
        env[name] = str(value)
    return env


class RuntimeApi:
    """The Lambda Runtime API's `next`, recorded and held open: a runtime that asks has
    started and is waiting for work."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                if self.path.endswith("/runtime/invocation/next"):
                    api.asked.set()
                    time.sleep(START_SECONDS)  # no work: the runtime keeps waiting
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def emulator(arch: str) -> list[str] | None:
    """How to run a binary for `arch` here: nothing for this machine's own architecture,
    qemu user-mode emulation with the target's C library for arm64 when installed."""
    if arch == HOST_ARCH:
        return []
    libraries = Path("/usr/aarch64-linux-gnu")
    qemu = shutil.which("qemu-aarch64") or shutil.which("qemu-aarch64-static")
    if arch == "arm64" and qemu and libraries.is_dir():
        return [qemu, "-L", str(libraries)]
    return None


def starts(bootstrap: Path, env: dict[str, str], run_with: list[str]) -> str | None:
    """None if the binary asks the Runtime API for work; else why not."""
    api = RuntimeApi()
    child_env = {
        "PATH": "/usr/bin:/bin",
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "AWS_LAMBDA_FUNCTION_NAME": bootstrap.parent.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
        **env,
    }
    child = subprocess.Popen([*run_with, str(bootstrap)], env=child_env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
    try:
        # Emulated, a start takes several times longer.
        if api.asked.wait(START_SECONDS * (4 if run_with else 1)):
            return None
        if child.poll() is not None:
            out = child.stdout.read().decode(errors="replace").strip() if child.stdout else ""
            return f"exited {child.returncode} before asking for work: {out[-300:]}"
        return f"did not ask for work within {START_SECONDS} s"
    finally:
        child.kill()
        child.wait()
        api.close()


def zipped_size(bootstrap: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, bootstrap.read_bytes())
    return len(buffer.getvalue())


def mib(size: int) -> str:
    return f"{size / 1048576:.1f} MiB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build_dir", type=Path, help="sam build's output (infra/.aws-sam/build)")
    parser.add_argument("--arch", choices=sorted(ELF_MACHINES), required=True)
    args = parser.parse_args()
    template = load_template(args.build_dir / "template.yaml")
    functions = {name: r.get("Properties", {}) for name, r in template["Resources"].items()
                 if r.get("Type") == "AWS::Serverless::Function"}
    failures, rows, totals = [], [], [0, 0]
    run_with = emulator(args.arch)
    # How the table and the last line say the binaries were run.
    emulated = f" under {Path(run_with[0]).name}" if run_with else ""
    for name, properties in sorted(functions.items()):
        bootstrap = args.build_dir / str(properties.get("CodeUri", name)) / "bootstrap"
        if not bootstrap.is_file():
            failures.append(f"{name}: no {bootstrap}")
            continue
        header = bootstrap.read_bytes()[:20]
        machine = int.from_bytes(header[18:20], "little") if header[:4] == b"\x7fELF" else None
        if machine != ELF_MACHINES[args.arch]:
            failures.append(f"{name}: {bootstrap} is not an ELF executable for {args.arch} (e_machine {machine})")
            continue
        if not os.access(bootstrap, os.X_OK):
            failures.append(f"{name}: {bootstrap} is not executable")
            continue
        if run_with is not None:
            why = starts(bootstrap, environment(template, properties), run_with)
            started = "FAILED" if why else f"asked for work{emulated}"
            if why:
                failures.append(f"{name}: {why}")
        else:
            started = f"not started ({args.arch} on {platform.machine()})"
        size, zipped = bootstrap.stat().st_size, zipped_size(bootstrap)
        totals[0] += size
        totals[1] += zipped
        rows.append((name, mib(size), mib(zipped), started))
    print(f"\n  {'function':<28} {'binary':>10} {'zip':>10}  start")
    for name, size, zipped, started in rows:
        print(f"  {name:<28} {size:>10} {zipped:>10}  {started}")
    print(f"  {'total (' + str(len(rows)) + ' functions)':<28} {mib(totals[0]):>10} {mib(totals[1]):>10}")
    for failure in failures:
        print(f"package: {failure}", file=sys.stderr)
    if not failures:
        print(f"package: {len(rows)} artefacts for {args.arch}, each an ELF executable"
              + (f", each started{emulated} and asked the Runtime API for work" if run_with is not None else ""))
    return 1 if failures or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
