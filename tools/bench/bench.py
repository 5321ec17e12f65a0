"""`make bench`: four tables, each against its baseline, asserting nothing about time.

    bench.py [--bin-dir DIR] [--runs N] [--only a|b|c]

  (a) cold.py     one cold start per process, describe-writer and check-status: the Rust
                  binaries against the same steps in Python 3.11 with boto3 under
                  awslambdaric (tools/bench/python_handler/), through one Runtime API,
                  against moto; wall, CPU, peak RSS, warm duration, AWS calls. (a') the same with
                  every AWS answer canned (cold.CannedAws), to take moto's time out.
  (b) asl_sim.py  one restore (failback path, create path) run by an interpreter of the
                  deployed ASL on a virtual clock, against the same machine with every Wait
                  a fixed 15 s: transitions, invocations, AWS calls, cost, detection lag.
  (c) outage.py   an AZ outage: 50 clusters restored at once through the drill's real
                  machine and Lambdas with throttling, against one cluster alone.

--bin-dir defaults to make package's release build (target/lambda/<name>/bootstrap),
else target/release, else target/debug; the profile measured is printed in the header, since a debug binary starts
and runs several times slower than the release build Lambda runs. The Python side runs in
.tools/venv-bench, made here from tools/requirements-bench.txt when it is missing or
older than that file. Prints tables that paste into the README as they are.
"""
from __future__ import annotations

import argparse
import datetime
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import asl_sim  # noqa: E402

REQUIREMENTS = ROOT / "tools/requirements-bench.txt"
BINARIES = ["describe-writer", "check-status", "create-reader", "failover", "record-run"]


def release_links() -> Path | None:
    """make package's release build (cargo lambda build, for this machine's architecture)
    leaves each binary as target/lambda/<name>/bootstrap: linked here under its own name,
    as the other directories hold them."""
    built = {name: ROOT / "target/lambda" / name / "bootstrap" for name in BINARIES}
    if not all(path.is_file() for path in built.values()):
        return None
    links = ROOT / "target/lambda-bin"
    links.mkdir(parents=True, exist_ok=True)
    for name, path in built.items():
        link = links / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(path)
    return links


def default_bin_dir() -> Path:
    released = release_links()
    if released is not None:
        return released
    for candidate in ("target/release", "target/debug"):
        if all((ROOT / candidate / name).is_file() for name in BINARIES):
            return ROOT / candidate
    return ROOT / "target/debug"


def ensure_bench_venv() -> None:
    """.tools/venv-bench from the pinned requirements; again only when they changed."""
    import cold

    venv, stamp = cold.BENCH_VENV, cold.BENCH_VENV / ".requirements"
    if stamp.is_file() and stamp.read_text() == REQUIREMENTS.read_text():
        return
    print(f"bench: making {venv.relative_to(ROOT)} from {REQUIREMENTS.relative_to(ROOT)}", flush=True)
    subprocess.run(["python3.11", "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin/pip"), "install", "--quiet", "-r", str(REQUIREMENTS)], check=True)
    stamp.write_text(REQUIREMENTS.read_text())


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def profile_of(bin_dir: Path) -> str:
    name = bin_dir.name
    return {"debug": "debug (unoptimised)", "release": "release",
            "lambda-bin": "release (make package's cargo lambda build)"}.get(name, name)


def table_b(lambda_ms: dict | None) -> list[str]:
    machine = asl_sim.load_machine()
    fixed = asl_sim.fixed_poll(machine)
    reader_poll = asl_sim.poll_seconds(machine, "reader-available")
    writer_poll = asl_sim.poll_seconds(machine, "writer-moved")
    waits = {n: s.get("Seconds", s.get("SecondsPath")) for n, s in machine["States"].items() if s["Type"] == "Wait"}
    durations = (", ".join(f"{k} {v:.0f} ms" for k, v in sorted(lambda_ms.items())) + "; the others as check-status"
                 if lambda_ms else f"{asl_sim.ASSUMED_LAMBDA_MS:.0f} ms per invocation (assumed; run part a to measure)")
    lines = [
        f"statemachine/failback.asl.json as deployed with the template's defaults (Waits: "
        f"{', '.join(f'{k} {v}' for k, v in waits.items())}), against every Wait a fixed {asl_sim.FIXED_POLL_S} s. "
        f"World: new instance available {asl_sim.READER_READY_S} s after CreateDBInstance, writer moves "
        f"{asl_sim.WRITER_MOVES_S} s after FailoverDBCluster. Lambda durations: {durations}. Worst lag: over 60 "
        f"readiness times 1 s apart.",
        "",
        "| path | design | restore s | transitions | Lambda invocations | AWS calls | Step Functions $ | Lambda $ | "
        "total $ per 1000 restores | reader lag s (worst) | writer lag s (worst) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    checks = []
    for path in ("failback", "create"):
        rows = {}
        for label, m in (("ours", machine), ("fixed 15 s", fixed)):
            run = asl_sim.simulate(m, path, lambda_ms)
            if run.status != "SUCCEEDED":
                raise SystemExit(f"bench (b): the {label} machine ended {run.status} on the {path} path")
            worst = asl_sim.worst_lags(m, path, lambda_ms)
            sfn, lam = run.cost()
            rows[label] = (run.seconds, run.transitions, sum(run.invocations.values()), run.aws_calls, sfn, lam,
                           sfn + lam, run.lags.get("reader", 0.0), worst.get("reader", 0.0),
                           run.lags.get("writer", 0.0), worst.get("writer", 0.0))
            r = rows[label]
            reader_lag = f"{r[7]:.1f} ({r[8]:.1f})" if path == "create" else "n/a (ready at start)"
            lines.append(f"| {path} | {label} | {r[0]:.0f} | {r[1]} | {r[2]} | {r[3]} | {r[4]:.6f} | {r[5]:.7f} | "
                         f"{r[6] * 1000:.3f} | {reader_lag} | {r[9]:.1f} ({r[10]:.1f}) |")
        o, f = rows["ours"], rows["fixed 15 s"]
        lines.append(f"| {path} | **ours / fixed** | {o[0] / f[0]:.2f}x | {o[1] / f[1]:.2f}x | {o[2] / f[2]:.2f}x | "
                     f"{o[3] / f[3]:.2f}x | {o[4] / f[4]:.2f}x | {o[5] / f[5]:.2f}x | {o[6] / f[6]:.2f}x | | |")
        if path == "create":
            checks.append(f"create-path transitions {o[1]} vs {f[1]}: {o[1] / f[1]:.2f} "
                          f"({'meets' if o[1] * 3 <= f[1] else 'misses'} the target <= 1/3)")
            if reader_poll:
                checks.append(f"worst reader lag {o[8]:.1f} s vs one poll {reader_poll} s: "
                              f"{'meets' if round(o[8], 1) <= reader_poll else 'misses'} the target")
        if writer_poll:
            checks.append(f"{path}: worst writer lag {o[10]:.1f} s vs one poll {writer_poll} s: "
                          f"{'meets' if round(o[10], 1) <= writer_poll else 'misses'} the target")
    return lines + [""] + [f"- {c}" for c in checks]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin-dir", type=Path, default=None, help="where the Lambda binaries are")
    parser.add_argument("--runs", type=int, default=20, help="cold starts per function and runtime (a)")
    parser.add_argument("--only", choices=["a", "b", "c"], help="one part only")
    parser.add_argument("--clusters", type=int, default=50, help="clusters failed over at once (c)")
    args = parser.parse_args()
    bin_dir = (args.bin_dir or default_bin_dir()).resolve()
    missing = [n for n in BINARIES if not (bin_dir / n).is_file()]
    if missing and args.only != "b":
        raise SystemExit(f"bench: no {', '.join(missing)} in {bin_dir}")
    parts = [args.only] if args.only else ["a", "b", "c"]
    began = time.monotonic()
    header = (f"aurora-failback bench, {datetime.date.today().isoformat()}, {platform.machine()}, {cpu_model()} "
              f"({len(__import__('os').sched_getaffinity(0))} CPUs), binaries: {profile_of(bin_dir)} "
              f"({bin_dir.relative_to(ROOT) if bin_dir.is_relative_to(ROOT) else bin_dir})")
    print(f"bench: measuring the {profile_of(bin_dir)} binaries in {bin_dir}", flush=True)
    out: list[str] = [f"### {header}", ""]
    lambda_ms = None
    if "a" in parts:
        import cold
        import statistics

        ensure_bench_venv()
        results = cold.run(bin_dir, args.runs)
        lambda_ms = {f: statistics.median(results[("rust", f)].warm_ms) for f in cold.FUNCTIONS}
        out += [f"#### (a) Cold start, one process per run, {args.runs} runs each; baseline Python 3.11 + boto3 "
                f"under awslambdaric (the same RDS calls), AWS = moto on 127.0.0.1", ""]
        out += cold.table(results) + [""]
        canned = cold.run(bin_dir, args.runs, canned=True)
        out += [f"#### (a') The same, each AWS answer canned (moto's own answer, recorded once, then served "
                f"from memory): the runtime's cost without the emulator's", ""]
        out += cold.table(canned) + [""]
    if "b" in parts:
        out += ["#### (b) Cost per restore: our machine against the same machine polling every 15 s", ""]
        out += table_b(lambda_ms) + [""]
    if "c" in parts:
        import outage

        result = outage.run(bin_dir, args.clusters)
        out += [f"#### (c) AZ outage: {args.clusters} clusters through the real machine and Lambdas "
                f"({profile_of(bin_dir)}), against one cluster alone", ""]
        out += outage.table(result) + [""]
    out.append(f"(bench took {time.monotonic() - began:.0f} s)")
    print("\n" + "\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
