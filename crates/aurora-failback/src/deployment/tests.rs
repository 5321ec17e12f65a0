//! The deployment adapter against aws-smithy-mocks: the AWS answers moto cannot give on
//! demand (missing stacks and machines, name clashes, access denied, paged histories).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_cloudformation::operation::describe_stacks::{
    DescribeStacksError, DescribeStacksOutput,
};
use aws_sdk_cloudformation::types::{Output, Parameter, Stack, StackStatus};
use aws_sdk_sfn::error::ErrorMetadata;
use aws_sdk_sfn::operation::describe_execution::{DescribeExecutionError, DescribeExecutionOutput};
use aws_sdk_sfn::operation::get_execution_history::GetExecutionHistoryOutput;
use aws_sdk_sfn::operation::start_execution::{StartExecutionError, StartExecutionOutput};
use aws_sdk_sfn::primitives::DateTime;
use aws_sdk_sfn::types::error::{
    ExecutionAlreadyExists, ExecutionDoesNotExist, StateMachineDoesNotExist,
};
use aws_sdk_sfn::types::{
    ExecutionFailedEventDetails, ExecutionStatus, HistoryEvent, HistoryEventType,
    StateExitedEventDetails,
};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use serde_json::json;

use super::*;

const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:aurora-failback";
const EXECUTION: &str = "arn:aws:states:us-east-1:123456789012:execution:aurora-failback:run-1";

/// An error CloudFormation returns, and what the adapter must make of it.
type StackErrorCase = (fn() -> DescribeStacksError, &'static str);

fn access_denied_start() -> StartExecutionError {
    StartExecutionError::generic(
        ErrorMetadata::builder()
            .code("AccessDeniedException")
            .build(),
    )
}

#[tokio::test]
async fn a_stack_reads_as_its_outputs_and_parameters() {
    let describe = mock!(aws_sdk_cloudformation::Client::describe_stacks)
        .match_requests(|r| r.stack_name() == Some("aurora-failback"))
        .then_output(|| {
            DescribeStacksOutput::builder()
                .stacks(
                    Stack::builder()
                        .stack_name("aurora-failback")
                        .stack_status(StackStatus::CreateComplete)
                        .creation_time(DateTime::from_secs(0))
                        .outputs(
                            Output::builder()
                                .output_key("StateMachineArn")
                                .output_value(MACHINE)
                                .build(),
                        )
                        .parameters(
                            Parameter::builder()
                                .parameter_key("AllowUntaggedManualRuns")
                                .parameter_value("true")
                                .build(),
                        )
                        .build(),
                )
                .build()
        });
    let stacks = Stacks::new(mock_client!(aws_sdk_cloudformation, [&describe]));
    let stack = stacks.stack("aurora-failback").await.unwrap().unwrap();
    assert_eq!(
        stack.outputs.get("StateMachineArn").map(String::as_str),
        Some(MACHINE)
    );
    assert_eq!(
        stack
            .parameters
            .get("AllowUntaggedManualRuns")
            .map(String::as_str),
        Some("true")
    );
}

#[tokio::test]
async fn a_missing_stack_is_none_and_other_refusals_are_typed() {
    let cases: [StackErrorCase; 3] = [
        (
            || {
                DescribeStacksError::generic(
                    ErrorMetadata::builder()
                        .code("ValidationError")
                        .message("Stack with id aurora-failback does not exist")
                        .build(),
                )
            },
            "no stack",
        ),
        (
            || DescribeStacksError::generic(ErrorMetadata::builder().code("AccessDenied").build()),
            "access denied",
        ),
        (
            || DescribeStacksError::generic(ErrorMetadata::builder().code("Throttling").build()),
            "throttled",
        ),
    ];
    for (error, expected) in cases {
        let describe = mock!(aws_sdk_cloudformation::Client::describe_stacks).then_error(error);
        let stacks = Stacks::new(mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&describe]
        ));
        let found = stacks.stack("aurora-failback").await;
        match (found, expected) {
            (Ok(None), "no stack")
            | (Err(AwsFailure::AccessDenied(_)), "access denied")
            | (Err(AwsFailure::Throttled(_)), "throttled") => {}
            (found, expected) => panic!("{found:?} where {expected:?} was due"),
        }
    }
}

#[tokio::test]
async fn start_answers_with_the_arn_or_a_typed_refusal() {
    let started = mock!(aws_sdk_sfn::Client::start_execution)
        .match_requests(|r| {
            r.state_machine_arn() == Some(MACHINE)
                && r.name() == Some("run-1")
                && r.input() == Some(r#"{"clusterId":"orders"}"#)
        })
        .then_output(|| {
            StartExecutionOutput::builder()
                .execution_arn(EXECUTION)
                .start_date(DateTime::from_secs(0))
                .build()
                .unwrap()
        });
    let executions = Executions::new(mock_client!(aws_sdk_sfn, [&started]));
    assert_eq!(
        executions
            .start(MACHINE, "run-1", r#"{"clusterId":"orders"}"#)
            .await,
        Ok(EXECUTION.to_string())
    );

    let cases: [(fn() -> StartExecutionError, StartFailure); 3] = [
        (
            || {
                StartExecutionError::StateMachineDoesNotExist(
                    StateMachineDoesNotExist::builder().build(),
                )
            },
            StartFailure::StateMachineNotFound(MACHINE.into()),
        ),
        (
            || {
                StartExecutionError::ExecutionAlreadyExists(
                    ExecutionAlreadyExists::builder().build(),
                )
            },
            StartFailure::AlreadyExists("run-1".into()),
        ),
        (
            access_denied_start,
            StartFailure::Aws(AwsFailure::AccessDenied(String::new())),
        ),
    ];
    for (error, expected) in cases {
        let refused = mock!(aws_sdk_sfn::Client::start_execution).then_error(error);
        let executions = Executions::new(mock_client!(aws_sdk_sfn, [&refused]));
        let answer = executions.start(MACHINE, "run-1", "{}").await;
        // The access-denied message is the SDK's; only the kind is compared.
        match (&answer, &expected) {
            (Err(StartFailure::Aws(AwsFailure::AccessDenied(_))), StartFailure::Aws(_)) => {}
            _ => assert_eq!(answer, Err(expected)),
        }
    }
}

#[tokio::test]
async fn an_execution_is_described_with_its_output_parsed() {
    let described = mock!(aws_sdk_sfn::Client::describe_execution).then_output(|| {
        DescribeExecutionOutput::builder()
            .execution_arn(EXECUTION)
            .state_machine_arn(MACHINE)
            .name("run-1")
            .status(ExecutionStatus::Succeeded)
            .start_date(DateTime::from_secs(0))
            .input(r#"{"clusterId":"orders"}"#)
            .output(r#"{"result":{"outcome":"restored"}}"#)
            .build()
            .unwrap()
    });
    let executions = Executions::new(mock_client!(aws_sdk_sfn, [&described]));
    let view = executions.describe(EXECUTION).await.unwrap();
    assert_eq!(
        view,
        ExecutionView {
            name: "run-1".into(),
            status: "SUCCEEDED".into(),
            input: r#"{"clusterId":"orders"}"#.into(),
            output: Some(json!({"result": {"outcome": "restored"}})),
        }
    );

    let missing = mock!(aws_sdk_sfn::Client::describe_execution).then_error(|| {
        DescribeExecutionError::ExecutionDoesNotExist(ExecutionDoesNotExist::builder().build())
    });
    let executions = Executions::new(mock_client!(aws_sdk_sfn, [&missing]));
    assert_eq!(
        executions.describe(EXECUTION).await,
        Err(ExecutionFailure::NotFound(EXECUTION.into()))
    );
}

fn event(id: i64, kind: HistoryEventType) -> aws_sdk_sfn::types::builders::HistoryEventBuilder {
    HistoryEvent::builder()
        .id(id)
        .timestamp(DateTime::from_secs(1_000 + id))
        .r#type(kind)
}

#[tokio::test]
async fn a_history_is_read_across_pages_and_reduced_to_run_events() {
    let pages = mock!(aws_sdk_sfn::Client::get_execution_history)
        .sequence()
        .output(|| {
            GetExecutionHistoryOutput::builder()
                .events(
                    event(1, HistoryEventType::TaskStateExited)
                        .state_exited_event_details(
                            StateExitedEventDetails::builder()
                                .name("StartRun")
                                .output(r#"{"run":{"leaseAcquired":true}}"#)
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .next_token("page-2")
                .build()
                .unwrap()
        })
        .output(|| {
            GetExecutionHistoryOutput::builder()
                .events(
                    event(2, HistoryEventType::ExecutionFailed)
                        .execution_failed_event_details(
                            ExecutionFailedEventDetails::builder()
                                .error("ClusterNotFound")
                                .cause("cluster orders does not exist")
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap()
        })
        .build();
    let executions = Executions::new(mock_client!(aws_sdk_sfn, RuleMode::Sequential, [&pages]));
    let events = executions.history(EXECUTION).await.unwrap();
    assert_eq!(pages.num_calls(), 2, "both pages read");
    assert_eq!(
        events,
        vec![
            RunEvent {
                at: 1_001.0,
                kind: RunEventKind::StateExited {
                    state: "StartRun".into(),
                    output: json!({"run": {"leaseAcquired": true}}),
                },
            },
            RunEvent {
                at: 1_002.0,
                kind: RunEventKind::ExecutionFailed {
                    error: "ClusterNotFound".into(),
                    cause: "cluster orders does not exist".into(),
                },
            },
        ]
    );
    assert!(!events[0].ends_execution());
    assert!(events[1].ends_execution());
}
