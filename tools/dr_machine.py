"""The cross-region DR state machine (statemachine/dr.asl.json), as a Python dict.

One machine, no nested executions: the payload is checked whole first (dr-validate), the
run takes a lease on every global cluster it names (record-run dr-start), then the layers
run one after another (a Map with MaxConcurrency 1) and the resources of a layer all at
once (an inner Map). Each resource goes plan -> act -> bounded wait with checks -> done;
every error of a resource is caught inside its iteration and becomes a "failed" result,
so the layer always finishes and is recorded (record-run dr-layer). A layer with a failed
resource ends the layer Map, so no later layer starts; the finishing step (record-run
dr-finish) then records what finished, what failed and what never started.

tools/gen_asl.py writes the file; this module only builds the dict.
"""
import gen_asl as base

# After dr-act, the first check waits as long as dr-act says its call usually takes
# (`$.act.firstCheckAfterSeconds`: a minute for a switchover, minutes for a promotion or
# a new instance; crates/failback-core/src/dr/plan.rs), then checks are 15 s apart
# (dr::plan::RESOURCE_POLL_SECONDS), ResourceCheckBudget of them (default 120: 30 minutes).
RESOURCE_POLL_SECONDS = 15
MACHINE_TIMEOUT_SECONDS = 4 * 3600
LEASE_SECONDS = MACHINE_TIMEOUT_SECONDS + 300

def dr_task(function, parameters, result_path, next_state, comment, catch_to, extra_retry=None, timeout=60, input_path=None):
    """A Lambda Task: the shared Lambda-service and transient retries, then every error caught into catch_to."""
    retries = [base.retry(base.LAMBDA_SERVICE_ERRORS, 2, 6, 2.0, 30), base.retry(base.TRANSIENT_ERRORS, 2, 6, 2.0, 60)]
    if extra_retry:
        retries.append(extra_retry)
    state = {
        "Type": "Task",
        "Comment": comment,
        "Resource": "${%sFunctionArn}" % function,
    }
    if input_path:
        state["InputPath"] = input_path
    if parameters is not None:
        state["Parameters"] = parameters
    state.update({
        "ResultPath": result_path,
        "TimeoutSeconds": timeout,
        "Retry": retries,
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": catch_to}],
        "Next": next_state,
    })
    return state


def result(outcome, comment, extra):
    """A resource iteration's last state: its result, the one shape record-run dr-layer reads."""
    parameters = {
        "resourceName.$": "$.resource.resourceName",
        "resourceType.$": "$.resource.resourceType",
        "layer.$": "$.resource.layer",
        "resourceKey.$": "$.resource.resourceKey",
        "parameters.$": "$.resource.parameters",
        "outcome": outcome,
        "startedAt.$": "$.startedAt",
        "endedAt.$": "$$.State.EnteredTime",
    }
    parameters.update(extra)
    return {"Type": "Pass", "Comment": comment, "Parameters": parameters, "End": True}


def handoff_choice(path, handoff_state, otherwise):
    """Hands the cluster to the failback workflow when the plan or check at `path` asks for it."""
    return {
        "Type": "Choice",
        "Comment": "Hands off to the failback workflow when AWS shows the cluster now taking writes with a writer smaller than its writer-class tag; otherwise the resource ends as it is.",
        "Choices": [{"Variable": path, "IsPresent": True, "Next": handoff_state}],
        "Default": otherwise,
    }


def handoff_request(path, after):
    """What the hand-off needs, and the result the resource returns to afterwards."""
    return {
        "Type": "Pass",
        "Comment": "Keeps the cluster to hand off, its writer-class tag and current writer class, and that the resource ends %s." % after,
        "Parameters": {
            "clusterId.$": path + ".clusterId",
            "writerClass.$": path + ".writerClass",
            "currentClass.$": path + ".currentClass",
            "after": after,
        },
        "ResultPath": "$.handoffRequest",
        "Next": "StartFailbackRun",
    }


def resource_states():
    busy = base.retry(["ClusterBusy"], 15, 8, 1.5, 120)
    states = {
        "StartResource": {
            "Type": "Pass",
            "Comment": "Keeps the resource, the run's dry-run flag and check budget, and when the resource started; the first check is check 1.",
            "Parameters": {
                "resource.$": "$.resource",
                "dryRun.$": "$.dryRun",
                "checks.$": "$.checks",
                "polls": {"count": 1},
                "handoff": None,
                "startedAt.$": "$$.State.EnteredTime",
            },
            "Next": "PlanResource",
        },
        "PlanResource": dr_task(
            "DrCheck", {"question": "plan", "resource.$": "$.resource"}, "$.plan", "ResourceNeeds?",
            "Reads what AWS reports of the resource here (a global cluster and its target, a secondary, a replica, a global datastore) and the replication lag CloudWatch has for it, and says done, act or in-progress; retries ClusterBusy while a switch or change settles, and any other error fails this resource.",
            "ResourceFailed", extra_retry=busy, timeout=30,
        ),
        "ResourceNeeds?": {
            "Type": "Choice",
            "Comment": "A dry run stops at the plan; a resource already done needs nothing; otherwise act (dr-act plans again and calls only if still needed).",
            "Choices": [
                {"Variable": "$.dryRun", "BooleanEquals": True, "Next": "ResourcePlanned"},
                {"Variable": "$.plan.state", "StringEquals": "done", "Next": "HandOffAfterAlreadyDone?"},
            ],
            "Default": "ActOnResource",
        },
        "ActOnResource": dr_task(
            "DrAct", {"resource.$": "$.resource"}, "$.act", "WaitForResourceCall",
            "Plans again and, only if the resource still needs it, makes its call once (switchover, failover, secondary creation, promotion); a call already under way is waited for, never repeated.",
            "ResourceFailed", extra_retry=base.retry(["ClusterBusy"], 10, 6, 2.0, 60), timeout=60,
        ),
        "WaitForResourceCall": {
            "Type": "Wait",
            "Comment": "Waits as long as dr-act says its call usually takes (a minute for a switchover or a failover, three for a promotion, five for a new instance; one poll when nothing was called) before the first check, so a slow operation costs a few checks, not dozens.",
            "SecondsPath": "$.act.firstCheckAfterSeconds",
            "Next": "CheckResource",
        },
        "WaitForResource": {
            "Type": "Wait",
            "Comment": "Waits %d s before each further check, so the resource is seen within one short poll of reaching its target; bounded by ResourceCheckBudget checks, after which ResourceWaitExhausted." % RESOURCE_POLL_SECONDS,
            "Seconds": RESOURCE_POLL_SECONDS,
            "Next": "CheckResource",
        },
        "CheckResource": dr_task(
            "DrCheck", {"question": "done", "resource.$": "$.resource"}, "$.check", "ResourceDone?",
            "Asks whether AWS shows the resource at its target (the target the global writer, the secondary joined, the replica standalone) and available; an error it cannot retry fails this resource.",
            "ResourceFailed", timeout=30,
        ),
        "ResourceDone?": {
            "Type": "Choice",
            "Comment": "Done when the check says ready; failed once ResourceCheckBudget checks are made; acts again when the check says so; otherwise counts the check and waits again.",
            "Choices": [
                {"Variable": "$.check.state", "StringEquals": "ready", "Next": "HandOffAfterDone?"},
                {"Variable": "$.polls.count", "NumericGreaterThanEqualsPath": "$.checks", "Next": "ResourceWaitExhausted"},
                {"Variable": "$.check.actAgain", "IsPresent": True, "Next": "CountActAgain"},
            ],
            "Default": "CountResourceCheck",
        },
        "CountActAgain": {
            "Type": "Pass",
            "Comment": "Counts the check and acts again: the resource needs another call now that AWS allows it (a restored cluster became available, its instances can be created); bounded by the same ResourceCheckBudget.",
            "Parameters": {"count.$": "States.MathAdd($.polls.count, 1)"},
            "ResultPath": "$.polls",
            "Next": "ActOnResource",
        },
        "CountResourceCheck": {
            "Type": "Pass",
            "Comment": "Adds one to $.polls.count before the next wait, so the loop ends after ResourceCheckBudget checks.",
            "Parameters": {"count.$": "States.MathAdd($.polls.count, 1)"},
            "ResultPath": "$.polls",
            "Next": "WaitForResource",
        },
        "ResourceWaitExhausted": {
            "Type": "Pass",
            "Comment": "Puts ResourceWaitExhausted in $.error as a caught error would be, because the resource had not reached its target after ResourceCheckBudget checks.",
            "Parameters": {
                "Error": "ResourceWaitExhausted",
                "Cause.$": "States.Format('not at its target after {} checks, {} s apart after the first', $.polls.count, %d)" % RESOURCE_POLL_SECONDS,
            },
            "ResultPath": "$.error",
            "Next": "ResourceFailed",
        },
        "HandOffAfterDone?": handoff_choice("$.check.handoff", "PrepareHandOffAfterDone", "ResourceSucceeded"),
        "PrepareHandOffAfterDone": handoff_request("$.check.handoff", "done"),
        "HandOffAfterAlreadyDone?": handoff_choice("$.plan.handoff", "PrepareHandOffAfterAlreadyDone", "ResourceAlreadyDone"),
        "PrepareHandOffAfterAlreadyDone": handoff_request("$.plan.handoff", "already-done"),
        "StartFailbackRun": {
            "Type": "Task",
            "Comment": "Starts the failback workflow for the cluster now taking writes with a smaller writer than its writer-class tag, so the new primary gets its capacity back; the name is derived from this run and the cluster, so a retried start is refused as already existing, never run twice. A failed start is recorded and does not fail the resource: the region did move.",
            "Resource": "arn:aws:states:::states:startExecution",
            "Parameters": {
                "StateMachineArn": "${FailbackStateMachineArn}",
                "Name.$": "States.Format('dr-{}', States.Hash(States.Format('{}/{}', $$.Execution.Name, $.handoffRequest.clusterId), 'SHA-256'))",
                "Input": {"clusterId.$": "$.handoffRequest.clusterId"},
            },
            "ResultSelector": {"executionArn.$": "$.ExecutionArn", "startDate.$": "$.StartDate"},
            "ResultPath": "$.handoff",
            "TimeoutSeconds": 30,
            # A start whose answer was lost is retried under the same name: Step Functions
            # refuses it as already existing, which is caught, never retried.
            "Retry": [
                base.retry(["StepFunctions.ExecutionAlreadyExistsException"], 1, 0),
                base.retry(["States.ALL"], 2, 4, 2.0, 30),
            ],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.handoff", "Next": "HandedOff?"}],
            "Next": "HandedOff?",
        },
        "HandedOff?": {
            "Type": "Choice",
            "Comment": "Returns to the result the resource had before the hand-off: done after this run's own change, already-done otherwise.",
            "Choices": [{"Variable": "$.handoffRequest.after", "StringEquals": "done", "Next": "ResourceSucceeded"}],
            "Default": "ResourceAlreadyDone",
        },
        "ResourceFailed": result(
            "failed",
            "Ends this resource as failed with the error that stopped it; the layer still finishes, so its record says which resources failed.",
            {"error.$": "$.error"},
        ),
        "ResourcePlanned": result(
            "planned",
            "Ends this resource in a dry run with its plan: what it would call and whether its preconditions hold now.",
            {"plan.$": "$.plan"},
        ),
        "ResourceAlreadyDone": result(
            "already-done",
            "Ends this resource with nothing done: AWS already shows it at its target.",
            {"plan.$": "$.plan", "handoff.$": "$.handoff"},
        ),
        "ResourceSucceeded": result(
            "done",
            "Ends this resource done: AWS shows it at its target and available.",
            {"plan.$": "$.plan", "act.$": "$.act", "check.$": "$.check", "handoff.$": "$.handoff"},
        ),
    }
    return base.ordered_states("StartResource", states)


def layer_states():
    states = {
        "RunResources": {
            "Type": "Map",
            "Comment": "Runs every resource of the layer at once; each ends with a result (done, already-done, planned or failed), so this Map always finishes.",
            "ItemsPath": "$.layer.resources",
            "MaxConcurrency": 0,
            "ItemSelector": {
                "resource.$": "$$.Map.Item.Value",
                "dryRun.$": "$.dryRun",
                "checks.$": "$.checks",
            },
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "StartResource",
                "States": resource_states(),
            },
            "ResultPath": "$.results",
            "Next": "RecordLayer",
        },
        "RecordLayer": {
            "Type": "Task",
            "Comment": "Records each resource's result in the ledger and counts the failed ones; if the ledger cannot be written the layer fails, so no later layer runs unrecorded.",
            "Resource": "${RecordRunFunctionArn}",
            "Parameters": {
                "action": "dr-layer",
                "executionArn.$": "$.executionArn",
                "runName.$": "$.runName",
                "layer.$": "$.layer.layer",
                "results.$": "$.results",
            },
            "ResultPath": "$.recorded",
            "TimeoutSeconds": 30,
            "Retry": [base.retry(base.LAMBDA_SERVICE_ERRORS, 2, 6, 2.0, 30), base.retry(base.TRANSIENT_ERRORS, 2, 6, 2.0, 60)],
            "Next": "LayerSucceeded?",
        },
        "LayerSucceeded?": {
            "Type": "Choice",
            "Comment": "A layer with a failed resource stops the run here: the next layer never starts.",
            "Choices": [{"Variable": "$.recorded.failed", "NumericGreaterThan": 0, "Next": "LayerFailed"}],
            "Default": "LayerDone",
        },
        "LayerFailed": {
            "Type": "Fail",
            "Comment": "Ends the layer Map with ResourceFailed; the finishing step records which resources never started.",
            "Error": "ResourceFailed",
            "Cause": "A resource of this layer failed; later layers were not started.",
        },
        "LayerDone": {
            "Type": "Succeed",
            "Comment": "Every resource of the layer is done, already done or planned; the next layer may start.",
        },
    }
    return base.ordered_states("RunResources", states)


def dr_machine():
    states = {
        "PrepareRun": {
            "Type": "Pass",
            "Comment": "Keeps the payload as given and the run's identity, and reads the resource check budget from the deployment's parameters.",
            "Parameters": {
                "payload.$": "$",
                "executionArn.$": "$$.Execution.Id",
                "runName.$": "$$.Execution.Name",
                "startedAt.$": "$$.Execution.StartTime",
                "limits": {"checks.$": "States.StringToJson('${ResourceCheckBudget}')"},
            },
            "Next": "ValidatePayload",
        },
        "ValidatePayload": dr_task(
            "DrValidate", None, "$.valid", "StartRun",
            "Reads the whole payload, looks up every !Import and resolve:ssm reference and checks every value; any problem (all of them listed) fails the run before anything changes.",
            "FinishRun", timeout=60, input_path="$.payload",
        ),
        "StartRun": dr_task(
            "RecordRun",
            {
                "action": "dr-start",
                "executionArn.$": "$.executionArn",
                "runName.$": "$.runName",
                "startedAt.$": "$.startedAt",
                "payload.$": "$.valid",
                "leaseSeconds": LEASE_SECONDS,
            },
            "$.run", "LeaseAcquired?",
            "Records the run and takes a lease on every global cluster the payload names; if another run holds one, this run takes none and finishes as skipped.",
            "FinishRun", timeout=30,
        ),
        "LeaseAcquired?": {
            "Type": "Choice",
            "Comment": "Runs the layers only if this run holds every lease; otherwise finishes as skipped.",
            "Choices": [{"Variable": "$.run.leaseAcquired", "BooleanEquals": True, "Next": "RunLayers"}],
            "Default": "FinishRun",
        },
        "RunLayers": {
            "Type": "Map",
            "Comment": "Runs the layers one at a time in payload order; a layer with a failed resource fails this Map, so no later layer starts.",
            "ItemsPath": "$.valid.layers",
            "MaxConcurrency": 1,
            "ItemSelector": {
                "layer.$": "$$.Map.Item.Value",
                "dryRun.$": "$.valid.dryRun",
                "checks.$": "$.limits.checks",
                "executionArn.$": "$.executionArn",
                "runName.$": "$.runName",
            },
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "RunResources",
                "States": layer_states(),
            },
            "ResultPath": None,
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "FinishRun"}],
            "Next": "FinishRun",
        },
        "FinishRun": {
            "Type": "Task",
            "Comment": "Every path ends here: records the run (which resources finished, failed or never started), emits the metrics and frees the leases; if the ledger cannot be written, the run goes on through LedgerNotWritten.",
            "Resource": "${RecordRunFunctionArn}",
            "Parameters": {"action": "dr-finish", "state.$": "$"},
            "ResultPath": "$.result",
            "TimeoutSeconds": 60,
            "Retry": [base.retry(base.LAMBDA_SERVICE_ERRORS, 2, 6, 2.0, 30), base.retry(base.TRANSIENT_ERRORS, 2, 6, 2.0, 60)],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.recordError", "Next": "LedgerNotWritten"}],
            "Next": "PublishRunFinished",
        },
        "LedgerNotWritten": {
            "Type": "Pass",
            "Comment": "Sets a failed result when FinishRun could not write the ledger, so the run still tells people.",
            "Parameters": {"outcome": "failed", "summary": "the DR run could not be recorded in the ledger", "resources": []},
            "ResultPath": "$.result",
            "Next": "PublishRunFinished",
        },
        "PublishRunFinished": base.publish_run_finished(
            "Aurora Failback DR Run Finished",
            {"outcome.$": "$.result.outcome", "summary.$": "$.result.summary", "resources.$": "$.result.resources"},
        ),
        "RunEnded?": {
            "Type": "Choice",
            "Comment": "Ends the execution failed when the outcome is failed, and succeeded for every other outcome.",
            "Choices": [{"Variable": "$.result.outcome", "StringEquals": "failed", "Next": "RunFailed"}],
            "Default": "RunSucceeded",
        },
        "RunFailed": {
            "Type": "Fail",
            "Comment": "Fails the execution with DisasterRecoveryFailed, so the failed-execution alarm fires; the ledger record says which resources failed and which never started.",
            "Error": "DisasterRecoveryFailed",
            "Cause": "A resource did not reach its target state; the run's ledger record says which.",
        },
        "RunSucceeded": {
            "Type": "Succeed",
            "Comment": "Ends the execution: every resource is where the payload wants it, or the run was a dry run or skipped.",
        },
    }
    start = "PrepareRun"
    return {
        "Comment": "aurora-failback DR: run a DR Orchestrator payload (layers in order, resources of a layer at once) against Aurora global databases and replica clusters, RDS read replicas and ElastiCache global datastores in this region; a cluster left with a small writer is handed to the failback workflow. Generated by tools/gen_asl.py.",
        "StartAt": start,
        "TimeoutSeconds": MACHINE_TIMEOUT_SECONDS,
        "States": base.ordered_states(start, states),
    }
