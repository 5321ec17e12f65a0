//! The CLI's AWS adapter for the deployment: the CloudFormation stack it was deployed as
//! and the Step Functions executions it runs. Every call the CLI makes to those two
//! services is here and answers in the CLI's own types with typed failures; commands.rs
//! decides what to do and render.rs how it reads. (RDS and DynamoDB go through the core's
//! adapters, the same code the Lambdas use.)

use std::collections::BTreeMap;

use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_sfn::config::http::HttpResponse;
use aws_sdk_sfn::error::SdkError;
use aws_sdk_sfn::types::HistoryEvent;
use failback_core::errors::AwsFailure;
use serde_json::Value;

/// What the CLI reads of a stack: its outputs and parameters by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackView {
    pub outputs: BTreeMap<String, String>,
    pub parameters: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Stacks {
    client: aws_sdk_cloudformation::Client,
}

impl Stacks {
    pub fn new(client: aws_sdk_cloudformation::Client) -> Self {
        Self { client }
    }

    pub fn from_conf(config: &aws_config::SdkConfig) -> Self {
        Self::new(aws_sdk_cloudformation::Client::new(config))
    }

    /// The stack, or None when it does not exist in this account and region.
    pub async fn stack(&self, name: &str) -> Result<Option<StackView>, AwsFailure> {
        match self.client.describe_stacks().stack_name(name).send().await {
            Ok(output) => Ok(output.stacks().first().map(|stack| StackView {
                outputs: stack
                    .outputs()
                    .iter()
                    .filter_map(|o| Some((o.output_key()?.into(), o.output_value()?.into())))
                    .collect(),
                parameters: stack
                    .parameters()
                    .iter()
                    .filter_map(|p| Some((p.parameter_key()?.into(), p.parameter_value()?.into())))
                    .collect(),
            })),
            // CloudFormation answers a missing stack with a ValidationError, not a
            // not-found error of its own.
            Err(err) if err.code() == Some("ValidationError") => Ok(None),
            Err(err) => Err(AwsFailure::from_sdk(&err)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartFailure {
    #[error("state machine not found: {0}")]
    StateMachineNotFound(String),
    /// An execution of that name exists (with another input, or already finished).
    #[error("an execution named {0} already exists")]
    AlreadyExists(String),
    #[error(transparent)]
    Aws(#[from] AwsFailure),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecutionFailure {
    #[error("execution not found: {0}")]
    NotFound(String),
    #[error(transparent)]
    Aws(#[from] AwsFailure),
}

/// An execution as `status` and `start --wait` read it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionView {
    pub name: String,
    /// RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, ...
    pub status: String,
    pub input: String,
    /// The execution's output, when it ended with one that is JSON.
    pub output: Option<Value>,
}

/// One event of an execution's history, reduced to what the CLI shows.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEvent {
    /// Seconds since the epoch.
    pub at: f64,
    pub kind: RunEventKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RunEventKind {
    StateEntered {
        state: String,
    },
    StateExited {
        state: String,
        output: Value,
    },
    /// A Task's Lambda or service integration failed (it may be retried or caught).
    StepFailed {
        error: String,
    },
    ExecutionFailed {
        error: String,
        cause: String,
    },
    /// Any other way an execution ends: ExecutionSucceeded, ExecutionTimedOut, ExecutionAborted.
    ExecutionEnded {
        how: String,
    },
    Other,
}

impl RunEvent {
    pub fn ends_execution(&self) -> bool {
        matches!(
            self.kind,
            RunEventKind::ExecutionFailed { .. } | RunEventKind::ExecutionEnded { .. }
        )
    }
}

impl From<&HistoryEvent> for RunEvent {
    fn from(event: &HistoryEvent) -> Self {
        let text = |t: Option<&str>| t.unwrap_or_default().to_string();
        let kind = if let Some(entered) = event.state_entered_event_details() {
            RunEventKind::StateEntered {
                state: entered.name().to_string(),
            }
        } else if let Some(exited) = event.state_exited_event_details() {
            RunEventKind::StateExited {
                state: exited.name().to_string(),
                output: exited
                    .output()
                    .and_then(|o| serde_json::from_str(o).ok())
                    .unwrap_or_default(),
            }
        } else if let Some(failed) = event.lambda_function_failed_event_details() {
            RunEventKind::StepFailed {
                error: text(failed.error()),
            }
        } else if let Some(failed) = event.task_failed_event_details() {
            RunEventKind::StepFailed {
                error: text(failed.error()),
            }
        } else if let Some(failed) = event.execution_failed_event_details() {
            RunEventKind::ExecutionFailed {
                error: text(failed.error()),
                cause: text(failed.cause()),
            }
        } else {
            match event.r#type().as_str() {
                how @ ("ExecutionSucceeded" | "ExecutionTimedOut" | "ExecutionAborted"
                | "ExecutionFailed") => RunEventKind::ExecutionEnded { how: how.into() },
                _ => RunEventKind::Other,
            }
        };
        Self {
            at: event.timestamp().as_secs_f64(),
            kind,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Executions {
    client: aws_sdk_sfn::Client,
}

impl Executions {
    pub fn new(client: aws_sdk_sfn::Client) -> Self {
        Self { client }
    }

    pub fn from_conf(config: &aws_config::SdkConfig) -> Self {
        Self::new(aws_sdk_sfn::Client::new(config))
    }

    /// Starts an execution and returns its ARN. Step Functions answers a second start with
    /// the same name and input with the first execution's ARN, so a retried start does not
    /// start a second run.
    pub async fn start(
        &self,
        state_machine_arn: &str,
        name: &str,
        input: &str,
    ) -> Result<String, StartFailure> {
        let started = self
            .client
            .start_execution()
            .state_machine_arn(state_machine_arn)
            .name(name)
            .input(input)
            .send()
            .await;
        match started {
            Ok(output) => Ok(output.execution_arn().to_string()),
            Err(err) => Err(match err.as_service_error() {
                Some(e) if e.is_state_machine_does_not_exist() => {
                    StartFailure::StateMachineNotFound(state_machine_arn.to_string())
                }
                Some(e) if e.is_execution_already_exists() => {
                    StartFailure::AlreadyExists(name.to_string())
                }
                _ => StartFailure::Aws(AwsFailure::from_sdk(&err)),
            }),
        }
    }

    pub async fn describe(&self, execution_arn: &str) -> Result<ExecutionView, ExecutionFailure> {
        match self
            .client
            .describe_execution()
            .execution_arn(execution_arn)
            .send()
            .await
        {
            Ok(described) => Ok(ExecutionView {
                name: described.name().unwrap_or_default().to_string(),
                status: described.status().as_str().to_string(),
                input: described.input().unwrap_or_default().to_string(),
                output: described
                    .output()
                    .and_then(|o| serde_json::from_str(o).ok()),
            }),
            Err(err) => Err(execution_failure(&err, execution_arn, |e| {
                e.is_execution_does_not_exist()
            })),
        }
    }

    /// The execution's whole history, oldest first, every page.
    pub async fn history(&self, execution_arn: &str) -> Result<Vec<RunEvent>, ExecutionFailure> {
        let events: Result<Vec<HistoryEvent>, _> = self
            .client
            .get_execution_history()
            .execution_arn(execution_arn)
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        match events {
            Ok(events) => Ok(events.iter().map(RunEvent::from).collect()),
            Err(err) => Err(execution_failure(&err, execution_arn, |e| {
                e.is_execution_does_not_exist()
            })),
        }
    }
}

/// NotFound when the service says the execution does not exist, else the general sort.
fn execution_failure<E>(
    err: &SdkError<E, HttpResponse>,
    execution_arn: &str,
    is_missing: fn(&E) -> bool,
) -> ExecutionFailure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err.as_service_error() {
        Some(e) if is_missing(e) => ExecutionFailure::NotFound(execution_arn.to_string()),
        _ => AwsFailure::from_sdk(err).into(),
    }
}

#[cfg(test)]
mod tests;
