"""Writes statemachine/failback.asl.json. The ASL is long and repetitive (every Task
carries the same Lambda-service Retry), so it is generated here once and committed;
`make test` checks that the committed file is what this script writes."""
import json
import sys

LAMBDA_SERVICE_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.TooManyRequestsException",
]
# Every step is idempotent, so a Task that timed out may be run again.
TRANSIENT_ERRORS = ["Throttled", "AwsUnavailable", "States.Timeout"]
# Any Lambda may end with these, whatever its step: its input refused, a panic reported
# under our name, and AWS refusing the call. None is worth retrying. A test
# (crates/failback-core/tests/state_machine.rs) checks these lists against the Lambdas'.
COMMON_TERMINAL_ERRORS = ["InvalidInput", "Internal", "AccessDenied", "AwsRefused"]

READER_WAIT_SECONDS = 30
WRITER_WAIT_SECONDS = 10
# How many checks each wait loop makes at most is a deployment parameter (ReaderCheckBudget,
# WriterCheckBudget; defaults 60 and 30, so 30 and 5 minutes). CloudFormation substitutes
# strings only; States.StringToJson turns the substituted text into the number.
MACHINE_TIMEOUT_SECONDS = 3600
# The lease outlives the machine's time-out a little, then expires on its own.
LEASE_SECONDS = MACHINE_TIMEOUT_SECONDS + 300


def retry(errors, interval, attempts, backoff=2.0, max_delay=60):
    return {
        "ErrorEquals": errors,
        "IntervalSeconds": interval,
        "MaxAttempts": attempts,
        "BackoffRate": backoff,
        "MaxDelaySeconds": max_delay,
        "JitterStrategy": "FULL",
    }


def task(function, parameters, result_path, next_state, terminal_errors, extra_retry=None, timeout=60):
    retries = [retry(LAMBDA_SERVICE_ERRORS, 2, 6, 2.0, 30), retry(TRANSIENT_ERRORS, 2, 6, 2.0, 60)]
    if extra_retry:
        retries.append(extra_retry)
    catches = [{"ErrorEquals": terminal_errors + COMMON_TERMINAL_ERRORS, "ResultPath": "$.error", "Next": "FinishRun"}]
    catches.append({"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "FinishRun"})
    return {
        "Type": "Task",
        "Resource": "${%sFunctionArn}" % function,
        "Parameters": parameters,
        "ResultPath": result_path,
        "TimeoutSeconds": timeout,
        "Retry": retries,
        "Catch": catches,
        "Next": next_state,
    }


def poll_loop(name, check, result_path, ready_next, wait_seconds, exhausted_error):
    """Wait -> check -> Choice, bounded: $.polls counts the checks made, $.limits holds the budget."""
    counter = "$.polls.%s" % name.lower()
    limit = "$.limits.%s" % name.lower()
    other = "writer" if name == "Reader" else "reader"
    return {
        "WaitFor%s" % name: {"Type": "Wait", "Seconds": wait_seconds, "Next": "Check%s" % name},
        "Check%s" % name: task(
            "CheckStatus",
            {"check": check, "clusterId.$": "$.plan.clusterId", "instanceId.$": "$.plan.targetInstanceId"},
            result_path,
            "%sReady?" % name,
            ["TargetFailed", "TargetNotFound", "TargetNotInCluster", "ClusterNotFound"],
            timeout=30,
        ),
        "%sReady?" % name: {
            "Type": "Choice",
            "Choices": [
                {"Variable": "%s.state" % result_path, "StringEquals": "ready", "Next": ready_next},
                {"Variable": counter, "NumericGreaterThanEqualsPath": limit, "Next": "%sWaitExhausted" % name},
            ],
            "Default": "Count%sCheck" % name,
        },
        "Count%sCheck" % name: {
            "Type": "Pass",
            "Parameters": {name.lower() + ".$": "States.MathAdd(%s, 1)" % counter, other + ".$": "$.polls.%s" % other},
            "ResultPath": "$.polls",
            "Next": "WaitFor%s" % name,
        },
        "%sWaitExhausted" % name: {
            "Type": "Pass",
            "Parameters": {
                "Error": exhausted_error,
                "Cause.$": "States.Format('not ready after {} checks {} s apart', %s, %d)" % (counter, wait_seconds),
            },
            "ResultPath": "$.error",
            "Next": "FinishRun",
        },
    }


def machine():
    states = {
        "PrepareRun": {
            "Type": "Pass",
            "Comment": "Keep the trigger and the run's identity; the first check of each loop is check 1.",
            "Parameters": {
                "trigger.$": "$",
                "executionId.$": "$$.Execution.Id",
                "runName.$": "$$.Execution.Name",
                "startedAt.$": "$$.Execution.StartTime",
                "polls": {"reader": 1, "writer": 1},
                "limits": {
                    "reader.$": "States.StringToJson('${ReaderCheckBudget}')",
                    "writer.$": "States.StringToJson('${WriterCheckBudget}')",
                },
            },
            "Next": "StartRun",
        },
        "StartRun": task(
            "RecordRun",
            {
                "action": "start",
                "executionId.$": "$.executionId",
                "runName.$": "$.runName",
                "startedAt.$": "$.startedAt",
                "trigger.$": "$.trigger",
                "leaseSeconds": LEASE_SECONDS,
            },
            "$.run",
            "LeaseAcquired?",
            ["ForeignCluster"],
            timeout=30,
        ),
        "LeaseAcquired?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.run.leaseAcquired", "BooleanEquals": True, "Next": "DescribeWriter"}],
            "Default": "FinishRun",
        },
        "DescribeWriter": task(
            "DescribeWriter",
            {"trigger.$": "$.trigger", "runName.$": "$.runName"},
            "$.plan",
            "ChooseAction",
            ["ForeignCluster", "ClusterNotFound"],
            # A cluster that is failing over or modifying is waited out, about ten minutes at most.
            extra_retry=retry(["ClusterBusy"], 15, 8, 1.5, 120),
        ),
        "ChooseAction": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.plan.dryRun", "BooleanEquals": True, "Next": "FinishRun"},
                {"Variable": "$.plan.action", "StringEquals": "create", "Next": "CreateReader"},
                {"Variable": "$.plan.action", "StringEquals": "failback", "Next": "CheckReader"},
            ],
            "Default": "FinishRun",
        },
        "CreateReader": task(
            "CreateReader",
            {
                "clusterId.$": "$.plan.clusterId",
                "runName.$": "$.runName",
                "instanceClass.$": "$.plan.desiredClass",
                "referenceInstanceId.$": "$.plan.referenceInstanceId",
                "availabilityZone.$": "$.plan.availabilityZone",
            },
            "$.reader",
            "WaitForReader",
            ["InsufficientCapacity", "QuotaExceeded", "IdentifierConflict", "ClusterNotFound", "NotOptedIn"],
            extra_retry=retry(["ClusterBusy"], 15, 6, 2.0, 120),
        ),
        "Failover": task(
            "Failover",
            {"clusterId.$": "$.plan.clusterId", "instanceId.$": "$.plan.targetInstanceId"},
            "$.failover",
            "WaitForWriter",
            ["TargetFailed", "TargetNotInCluster", "ClusterNotFound", "NotOptedIn"],
            extra_retry=retry(["FailoverNotReady"], 10, 6, 2.0, 60),
        ),
        "FinishRun": {
            "Type": "Task",
            "Resource": "${RecordRunFunctionArn}",
            "Parameters": {"action": "finish", "state.$": "$"},
            "ResultPath": "$.result",
            "TimeoutSeconds": 30,
            "Retry": [retry(LAMBDA_SERVICE_ERRORS, 2, 6, 2.0, 30), retry(TRANSIENT_ERRORS, 2, 8, 2.0, 60)],
            "Catch": [
                {"ErrorEquals": ["ForeignCluster"] + COMMON_TERMINAL_ERRORS, "ResultPath": "$.recordError", "Next": "LedgerNotWritten"},
                {"ErrorEquals": ["States.ALL"], "ResultPath": "$.recordError", "Next": "LedgerNotWritten"},
            ],
            "Next": "PublishRunFinished",
        },
        "LedgerNotWritten": {
            "Type": "Pass",
            "Comment": "The run still tells people; the status-change rule finishes the ledger record.",
            "Parameters": {"outcome": "failed", "clusterId": "unknown", "summary": "the run could not be recorded in the ledger"},
            "ResultPath": "$.result",
            "Next": "PublishRunFinished",
        },
        "PublishRunFinished": {
            "Type": "Task",
            "Resource": "arn:aws:states:::events:putEvents",
            "Parameters": {
                "Entries": [
                    {
                        "EventBusName": "default",
                        "Source": "aurora-failback",
                        "DetailType": "Aurora Failback Run Finished",
                        "Detail": {
                            "outcome.$": "$.result.outcome",
                            "clusterId.$": "$.result.clusterId",
                            "summary.$": "$.result.summary",
                            "executionArn.$": "$$.Execution.Id",
                        },
                    }
                ]
            },
            "ResultPath": None,
            "TimeoutSeconds": 30,
            "Retry": [retry(["States.ALL"], 2, 4, 2.0, 30)],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.publishError", "Next": "RunEnded?"}],
            "Next": "RunEnded?",
        },
        "RunEnded?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.result.outcome", "StringEquals": "failed", "Next": "RunFailed"}],
            "Default": "RunSucceeded",
        },
        "RunFailed": {"Type": "Fail", "Error": "RestoreFailed", "Cause": "The run did not restore the writer; its ledger record says why."},
        "RunSucceeded": {"Type": "Succeed"},
    }
    states.update(poll_loop("Reader", "reader-available", "$.readerCheck", "Failover", READER_WAIT_SECONDS, "ReaderWaitExhausted"))
    states.update(poll_loop("Writer", "writer-moved", "$.writerCheck", "FinishRun", WRITER_WAIT_SECONDS, "WriterWaitExhausted"))
    order = [
        "PrepareRun", "StartRun", "LeaseAcquired?", "DescribeWriter", "ChooseAction", "CreateReader",
        "WaitForReader", "CheckReader", "ReaderReady?", "CountReaderCheck", "ReaderWaitExhausted",
        "Failover", "WaitForWriter", "CheckWriter", "WriterReady?", "CountWriterCheck", "WriterWaitExhausted",
        "FinishRun", "LedgerNotWritten", "PublishRunFinished", "RunEnded?", "RunFailed", "RunSucceeded",
    ]
    return {
        "Comment": "aurora-failback: after an Aurora failover, put a reader of the writer's class in place and fail over to it. Generated by tools/gen_asl.py.",
        "StartAt": "PrepareRun",
        "TimeoutSeconds": MACHINE_TIMEOUT_SECONDS,
        "States": {name: states[name] for name in order},
    }


if __name__ == "__main__":
    text = json.dumps(machine(), indent=2) + "\n"
    if sys.argv[1:] == ["--check"]:
        with open("statemachine/failback.asl.json") as committed:
            if committed.read() != text:
                sys.exit("statemachine/failback.asl.json differs from tools/gen_asl.py; run: python3 tools/gen_asl.py > statemachine/failback.asl.json")
    else:
        sys.stdout.write(text)
