"""Checks that the code keeps the layering ARCHITECTURE.md describes: each module of
failback-core uses only modules of its own layer or a lower one, nothing outside steps/
uses steps/, and the CLI uses neither the step handlers nor the Lambda runtime.
`make lint` runs it; it prints every use that breaks a rule and exits 1 if there is one."""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORE = ROOT / "crates" / "failback-core" / "src"

# Lowest first. Keep in step with ARCHITECTURE.md.
LAYERS = [
    ("vocabulary", {"errors", "clock", "identifier", "class_rank", "model"}),
    ("input", {"trigger", "payload"}),
    ("decisions", {"plan", "outcome", "emf"}),
    ("adapters", {"rds", "ledger"}),
    ("runtime", {"lambda"}),
    ("steps", {"steps"}),
]
RANK = {module: rank for rank, (_, modules) in enumerate(LAYERS) for module in modules}
LAYER_NAME = {module: LAYERS[rank][0] for module, rank in RANK.items()}
# The operator's CLI plans and reads like the Lambdas but is not one.
CLI_FORBIDDEN = {"steps", "lambda"}

USE_IN_CORE = re.compile(r"\bcrate::([a-z_]+)")
USE_OF_CORE = re.compile(r"\bfailback_core::([a-z_]+)")


def module_of(path):
    """`plan/tests.rs` belongs to `plan`; `steps/failover.rs` to `steps`."""
    relative = path.relative_to(CORE)
    return relative.parts[0].removesuffix(".rs")


def check():
    problems = []
    for path in sorted(CORE.rglob("*.rs")):
        module = module_of(path)
        if module == "lib":
            continue
        if module not in RANK:
            problems.append(f"{path.relative_to(ROOT)}: module {module} has no layer; add it to "
                            "tools/check_layers.py and ARCHITECTURE.md")
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for used in USE_IN_CORE.findall(line):
                if used not in RANK:
                    continue
                if RANK[used] > RANK[module]:
                    problems.append(
                        f"{path.relative_to(ROOT)}:{number}: {module} ({LAYER_NAME[module]}) uses "
                        f"{used} ({LAYER_NAME[used]}), a higher layer")
    for path in sorted((ROOT / "crates" / "aurora-failback" / "src").rglob("*.rs")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for used in USE_OF_CORE.findall(line):
                if used in CLI_FORBIDDEN:
                    problems.append(f"{path.relative_to(ROOT)}:{number}: the CLI uses failback_core::{used}")
    return problems


if __name__ == "__main__":
    found = check()
    for problem in found:
        print(problem)
    if found:
        sys.exit(1)
    print(f"layers: {len(RANK)} modules in {len(LAYERS)} layers, no use of a higher layer")
