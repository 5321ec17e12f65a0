"""Checks that the code keeps the layering ARCHITECTURE.md describes: each module of
failback-core uses only modules of its own layer or a lower one, nothing outside steps/
uses a workflow's steps, and the CLI uses neither the step handlers (failback/steps/,
dr/validate, dr/resource, dr/record) nor the Lambda runtime.
`make lint` runs it; it prints every use that breaks a rule and exits 1 if there is one."""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORE = ROOT / "crates" / "failback-core" / "src"

# Lowest first. Keep in step with ARCHITECTURE.md.
LAYERS = [
    ("vocabulary", {"errors", "clock", "identifier", "class_rank", "model"}),
    ("input", {"trigger", "payload", "dr/payload"}),
    ("decisions", {"failback/plan", "outcome", "emf", "dr/request", "dr/plan", "dr/outcome", "dr/rpo"}),
    ("adapters", {"rds", "elasticache", "cloudwatch", "ledger", "references", "dr/observe"}),
    ("runtime", {"lambda"}),
    ("steps", {"failback/steps", "dr/validate", "dr/resource", "dr/record", "dr/readiness", "dr/backup_watch"}),
]
RANK = {module: rank for rank, (_, modules) in enumerate(LAYERS) for module in modules}
LAYER_NAME = {module: LAYERS[rank][0] for module, rank in RANK.items()}
# Folders holding one workflow's modules; their files are layered one by one.
WORKFLOW_FOLDERS = {"dr", "failback"}
# The operator's CLI plans and reads like the Lambdas but is not one: it may use every
# layer below these.
CLI_FORBIDDEN_LAYERS = {"runtime", "steps"}

USE_IN_CORE = re.compile(r"\bcrate::([a-z_]+)(?:::([a-z_]+))?")
USE_OF_CORE = re.compile(r"\bfailback_core::([a-z_]+)(?:::([a-z_]+))?")


def module_of(path):
    """`failback/plan/tests.rs` belongs to `failback/plan`, `failback/steps/failover.rs`
    to `failback/steps`, `dr/payload/tests.rs` to `dr/payload`, `ledger.rs` to `ledger`."""
    parts = [p.removesuffix(".rs") for p in path.relative_to(CORE).parts]
    if parts[0] in WORKFLOW_FOLDERS and len(parts) > 1:
        return "/".join(parts[:2])
    return parts[0]


def used_module(first, second):
    """`crate::dr::payload::X` uses `dr/payload`; `crate::ledger::X` uses `ledger`."""
    if first in WORKFLOW_FOLDERS and second:
        return f"{first}/{second}"
    return first


def check():
    problems = []
    for path in sorted(CORE.rglob("*.rs")):
        module = module_of(path)
        if module in ("lib", "dr/mod", "failback/mod"):
            continue
        if module not in RANK:
            problems.append(f"{path.relative_to(ROOT)}: module {module} has no layer; add it to "
                            "tools/check_layers.py and ARCHITECTURE.md")
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for first, second in USE_IN_CORE.findall(line):
                used = used_module(first, second)
                if used not in RANK:
                    continue
                if RANK[used] > RANK[module]:
                    problems.append(
                        f"{path.relative_to(ROOT)}:{number}: {module} ({LAYER_NAME[module]}) uses "
                        f"{used} ({LAYER_NAME[used]}), a higher layer")
    for path in sorted((ROOT / "crates" / "aurora-failback" / "src").rglob("*.rs")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for first, second in USE_OF_CORE.findall(line):
                used = used_module(first, second)
                if LAYER_NAME.get(used) in CLI_FORBIDDEN_LAYERS:
                    problems.append(f"{path.relative_to(ROOT)}:{number}: the CLI uses {used} ({LAYER_NAME[used]})")
    return problems


if __name__ == "__main__":
    found = check()
    for problem in found:
        print(problem)
    if found:
        sys.exit(1)
    print(f"layers: {len(RANK)} modules in {len(LAYERS)} layers, no use of a higher layer")
