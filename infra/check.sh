#!/usr/bin/env bash
# Offline checks of the deployment templates, run by `make test` from the repository root
# as `bash infra/check.sh`:
#   - cfn-lint on infra/template.yaml (SAM), on its SAM transform, on
#     infra/backup-destination.yaml (the cold standby's DR-region vault) and on the
#     synthesised CDK templates;
#   - checkov on all of them, with no failed check (suppressions sit next to their
#     resource, each with its reason);
#   - the CDK construct's tests (node's test runner), which also compare it with the
#     SAM template, and check that both state machines (statemachine/failback.asl.json
#     and statemachine/dr.asl.json) get exactly the substitutions their `${...}`
#     placeholders ask for, in both templates (the definitions themselves are
#     validated by `make test`'s asl-validator step; both templates only point at them);
#   - cfn-lint and checkov on the example app synthesised three times: as deployed by
#     default; with every optional part on (the DR lists, the restore targets, the
#     scheduled readiness check, and the AWS Backup plan with its RPO watch), so that the
#     resources and statements the construct adds only on request are checked too (the
#     SAM template holds them all, under its conditions); and as the backup destination
#     stack (-c backupDestination=true), the CDK counterpart of backup-destination.yaml.
# AWS Backup itself cannot run locally (no backup or copy job runs in moto): the plan, the
# vaults, the selection and their roles are checked here only, offline.
# It installs what it needs, and only when the pinned lists changed: a Python 3.11 venv
# in .tools/venv-infra from tools/requirements-infra.txt, and infra/cdk/node_modules
# from infra/cdk/package-lock.json. Nothing is deployed and no Rust is built.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
infra="$root/infra"
cdk="$infra/cdk"
venv="$root/.tools/venv-infra"
requirements="$root/tools/requirements-infra.txt"
synth_dir="$cdk/cdk.out"
synth_stack=aurora-failback
# The example app with every optional part on: each DR list set, readiness scheduled, and
# the cold standby (AWS Backup copies to a DR vault, the RPO watch).
full_synth_dir="$root/.tools/cdk.out-full"
full_context='{"aws:cdk:bundling-stacks":[],"drGlobalClusters":"orders-global","drInstances":"orders-replica","drGlobalReplicationGroups":"ldgnf-sessions,ldgnf-carts","drReplicaClusters":"orders-replica-cluster","drRestoreTargets":"orders-restored,reporting-restored","drReadinessPayloadParameter":"/aurora-failback/dr/payload","drReadinessMinutes":"5","drReadinessAlarmChecks":"2","backupCopyVaultArn":"arn:aws:backup:eu-central-1:123456789012:backup-vault:aurora-failback-copies","backupRpoMinutes":"120"}'
# The example app as the backup destination stack (the DR region's vault and key).
destination_synth_dir="$root/.tools/cdk.out-destination"
destination_stack=aurora-failback-backup-destination
destination_context='{"aws:cdk:bundling-stacks":[],"backupDestination":"true","region":"eu-central-1","sourceAccountId":"111111111111"}'

passed=0
failed=0
failures=()

# Each line says how long its step took since the previous line.
last=$SECONDS
pass() { echo "infra: ok    $1 [$((SECONDS - last))s]"; last=$SECONDS; passed=$((passed + 1)); }
fail() { echo "infra: FAIL  $1 [$((SECONDS - last))s]"; last=$SECONDS; failed=$((failed + 1)); failures+=("$1"); }

# Runs a command quietly; shows its output only when it fails.
check() { # description, command...
  local description=$1 log
  shift
  log=$(mktemp)
  if "$@" >"$log" 2>&1; then
    rm -f "$log"
    pass "$description"
    return 0
  fi
  cat "$log"
  rm -f "$log"
  fail "$description"
  return 1
}

stamp_matches() { # file, stamp
  [ -f "$2" ] && [ "$(sha256sum <"$1")" = "$(cat "$2")" ]
}

write_stamp() { # file, stamp
  sha256sum <"$1" >"$2"
}

# --- Python tools: cfn-lint and checkov, pinned.
python_bin() {
  if command -v python3.11 >/dev/null 2>&1; then
    echo python3.11
  elif python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    echo python3
  else
    echo "infra: Python 3.11 is needed for .tools/venv-infra (python3.11 or python3)" >&2
    return 1
  fi
}

install_python_tools() {
  local python
  python=$(python_bin) || return 1
  rm -rf "$venv"
  "$python" -m venv "$venv" &&
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" &&
    write_stamp "$requirements" "$venv/.requirements.sha256"
}

if stamp_matches "$requirements" "$venv/.requirements.sha256" && [ -x "$venv/bin/cfn-lint" ] && [ -x "$venv/bin/checkov" ]; then
  pass "python tools already installed in .tools/venv-infra"
else
  echo "infra: installing tools/requirements-infra.txt into .tools/venv-infra"
  check "python tools installed in .tools/venv-infra" install_python_tools
fi

# --- Node packages for the CDK construct.
node_ok=true
if ! node_version=$(node --version 2>/dev/null); then
  fail "node is not installed (Node.js 20 or newer is needed)"
  node_ok=false
elif [ "${node_version#v}" = "$node_version" ] || [ "$(echo "${node_version#v}" | cut -d. -f1)" -lt 20 ]; then
  fail "node $node_version is too old (Node.js 20 or newer is needed)"
  node_ok=false
fi

if $node_ok; then
  if [ -d "$cdk/node_modules" ] && stamp_matches "$cdk/package-lock.json" "$cdk/node_modules/.package-lock.sha256"; then
    pass "npm packages of infra/cdk already installed (node $node_version)"
  else
    echo "infra: installing the npm packages of infra/cdk (npm ci)"
    install_npm() {
      (cd "$cdk" && npm ci --no-audit --no-fund --loglevel=error) &&
        write_stamp "$cdk/package-lock.json" "$cdk/node_modules/.package-lock.sha256"
    }
    check "npm packages of infra/cdk installed (node $node_version)" install_npm || node_ok=false
  fi
fi

# --- The SAM template.
if [ -x "$venv/bin/cfn-lint" ]; then
  check "cfn-lint infra/template.yaml" "$venv/bin/cfn-lint" "$infra/template.yaml"
fi

run_checkov() { # file
  local log summary
  log=$(mktemp)
  # --skip-download: no calls to the Prisma Cloud API; the checks ship with checkov.
  if "$venv/bin/checkov" --quiet --compact --skip-download --framework cloudformation -f "$1" >"$log" 2>&1; then
    summary=$(grep -m1 -o 'Passed checks: [0-9]*, Failed checks: [0-9]*, Skipped checks: [0-9]*' "$log")
    rm -f "$log"
    if [ -z "$summary" ]; then
      echo "checkov checked nothing in $1"
      return 1
    fi
    echo "$summary"
    return 0
  fi
  cat "$log"
  rm -f "$log"
  return 1
}

checkov_check() { # description, file
  local output
  if output=$(run_checkov "$2"); then
    pass "$1 ($output)"
  else
    echo "$output"
    fail "$1"
  fi
}

if [ -x "$venv/bin/checkov" ]; then
  checkov_check "checkov infra/template.yaml" "$infra/template.yaml"
fi

# --- The backup destination template (plain CloudFormation, deployed in the DR region).
if [ -x "$venv/bin/cfn-lint" ]; then
  check "cfn-lint infra/backup-destination.yaml" "$venv/bin/cfn-lint" "$infra/backup-destination.yaml"
fi
if [ -x "$venv/bin/checkov" ]; then
  checkov_check "checkov infra/backup-destination.yaml" "$infra/backup-destination.yaml"
fi

# The SAM transform, as CloudFormation will apply it, then cfn-lint on its output.
sam_output="$root/.tools/infra-sam-transformed.json"
if [ -x "$venv/bin/python" ] &&
  check "SAM transform of infra/template.yaml" "$venv/bin/python" "$infra/tools/sam_translate.py" "$infra/template.yaml" "$sam_output"; then
  check "cfn-lint transformed SAM template" "$venv/bin/cfn-lint" -- "$sam_output"
  # checkov knows AWS::Serverless::Function but not AWS::Serverless::StateMachine: the
  # transformed template lets it check the state machine's logging and tracing too.
  checkov_check "checkov transformed SAM template" "$sam_output"
fi

# --- The CDK construct: compile, test, synthesise.
if $node_ok; then
  # tsc only when a source changed (it takes seconds just to load aws-cdk-lib's types).
  sources_hash() {
    (cd "$cdk" && find lib bin test tsconfig.json package-lock.json -type f | LC_ALL=C sort | xargs sha256sum) | sha256sum
  }
  built=false
  if [ -f "$cdk/dist/.sources.sha256" ] && [ "$(sources_hash)" = "$(cat "$cdk/dist/.sources.sha256")" ]; then
    pass "tsc infra/cdk (sources unchanged since the last build)"
    built=true
  else
    compile() {
      rm -f "$cdk/dist/.sources.sha256"
      (cd "$cdk" && ./node_modules/.bin/tsc -p .) && sources_hash >"$cdk/dist/.sources.sha256"
    }
    check "tsc infra/cdk" compile && built=true
  fi
  if [ "$built" = true ]; then
    echo "infra: running the CDK tests (node --test)"
    if (cd "$cdk" && node --test --test-reporter=spec dist/test/*.test.js); then
      pass "CDK tests"
    else
      fail "CDK tests"
    fi

    synthesise() { # output directory, context (JSON), stack (default: the main stack)
      rm -rf "$1"
      # An empty bundling-stacks list skips asset bundling: no cargo build.
      (cd "$cdk" && CDK_OUTDIR="$1" CDK_CONTEXT_JSON="$2" node dist/bin/app.js) &&
        [ -s "$1/${3:-$synth_stack}.template.json" ]
    }
    lint_synthesised() { # label, output directory, stack (default: the main stack)
      local template="$2/${3:-$synth_stack}.template.json"
      if [ -x "$venv/bin/cfn-lint" ]; then
        # W3005 (a DependsOn that a GetAtt already implies): the CDK adds these on purpose,
        # so that a function waits for its role's policy as well as its role.
        check "cfn-lint synthesised CDK template$1" "$venv/bin/cfn-lint" --ignore-checks W3005 -- "$template"
      fi
      if [ -x "$venv/bin/checkov" ]; then
        checkov_check "checkov synthesised CDK template$1" "$template"
      fi
    }
    if check "cdk synth (example app, without bundling)" synthesise "$synth_dir" '{"aws:cdk:bundling-stacks":[]}'; then
      lint_synthesised "" "$synth_dir"
    fi
    if check "cdk synth (example app, every optional part on)" synthesise "$full_synth_dir" "$full_context"; then
      # Every optional part is there: the readiness and RPO-watch schedules, the backup plan
      # and selection, and dr-act's restores.
      full_template="$full_synth_dir/$synth_stack.template.json"
      has_every_part() {
        [ "$(grep -o '"AWS::Scheduler::Schedule"' "$full_template" | wc -l)" -eq 2 ] &&
          grep -q '"AWS::Backup::BackupPlan"' "$full_template" &&
          grep -q '"AWS::Backup::BackupSelection"' "$full_template" &&
          grep -q '"rds:RestoreDBClusterFromSnapshot"' "$full_template"
      }
      if check "synthesised full template has both schedules, the backup plan and the restores" has_every_part; then
        lint_synthesised " (every optional part on)" "$full_synth_dir"
      fi
    fi
    if check "cdk synth (example app, backup destination stack)" \
      synthesise "$destination_synth_dir" "$destination_context" "$destination_stack"; then
      lint_synthesised " (backup destination)" "$destination_synth_dir" "$destination_stack"
    fi
  fi
fi

if [ "$failed" -gt 0 ]; then
  echo "infra: failed: ${failures[*]}"
fi
echo "infra: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
