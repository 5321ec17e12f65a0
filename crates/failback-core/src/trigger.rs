//! What starts a run: the EventBridge failover event or the input a person types.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::class_rank::{class_capacity, is_class_name};
use crate::identifier::validate_identifier;

/// Cluster failover events that start a run: completed (0071), started same-AZ (0072)
/// and started cross-AZ (0073).
pub const FAILOVER_EVENT_IDS: [&str; 3] = ["RDS-EVENT-0071", "RDS-EVENT-0072", "RDS-EVENT-0073"];
const RDS_CLUSTER_EVENT: &str = "RDS DB Cluster Event";

/// A validated request to restore one cluster's writer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRequest {
    pub cluster_id: String,
    pub trigger: TriggerKind,
    pub dry_run: bool,
    pub writer_class: Option<String>,
    pub availability_zone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TriggerKind {
    FailoverEvent { event_id: String },
    Manual,
}

impl RunRequest {
    /// A person named the cluster, which counts as opting it in for this run.
    pub fn is_manual(&self) -> bool {
        matches!(self.trigger, TriggerKind::Manual)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidInput(pub String);

/// The console's StartExecution input. Unknown fields are refused, so a typo such as
/// `dryrun` cannot silently turn a dry run into a real one.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ManualInput {
    cluster_id: String,
    #[serde(default)]
    dry_run: bool,
    writer_class: Option<String>,
    availability_zone: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RdsEventDetail {
    #[serde(rename = "EventID")]
    event_id: Option<String>,
    source_arn: Option<String>,
    source_identifier: Option<String>,
    source_type: Option<String>,
}

/// Reads a run's start input: an EventBridge "RDS DB Cluster Event" for a failover, or
/// `{"clusterId": ..., "dryRun": ..., "writerClass": ..., "availabilityZone": ...}`.
pub fn parse_trigger(input: &Value) -> Result<RunRequest, InvalidInput> {
    let Some(object) = input.as_object() else {
        return Err(InvalidInput("the input must be a JSON object".into()));
    };
    if object.contains_key("detail-type") || object.contains_key("source") {
        parse_failover_event(input)
    } else {
        parse_manual_input(input)
    }
}

fn parse_failover_event(input: &Value) -> Result<RunRequest, InvalidInput> {
    let event: EventBridgeEvent<RdsEventDetail> = serde_json::from_value(input.clone())
        .map_err(|e| InvalidInput(format!("not an EventBridge RDS event: {e}")))?;
    if event.source != "aws.rds" || event.detail_type != RDS_CLUSTER_EVENT {
        return Err(InvalidInput(format!(
            "unsupported event {:?} from {:?}; expected {RDS_CLUSTER_EVENT:?} from \"aws.rds\"",
            event.detail_type, event.source
        )));
    }
    let event_id = event.detail.event_id.unwrap_or_default();
    if !FAILOVER_EVENT_IDS.contains(&event_id.as_str()) {
        return Err(InvalidInput(format!(
            "event {event_id:?} is not a cluster failover event ({})",
            FAILOVER_EVENT_IDS.join(", ")
        )));
    }
    if let Some(kind) = event.detail.source_type.as_deref() {
        if kind != "CLUSTER" {
            return Err(InvalidInput(format!(
                "event source type {kind:?} is not CLUSTER"
            )));
        }
    }
    let first_resource = event.resources.as_ref().and_then(|r| r.first());
    let cluster_id = if let Some(arn) = event
        .detail
        .source_arn
        .as_deref()
        .or(first_resource.map(String::as_str))
    {
        cluster_id_from_arn(arn)?
    } else if let Some(source) = event.detail.source_identifier.as_deref() {
        let bare = source.strip_prefix("rds:").unwrap_or(source);
        valid_cluster_id(bare)?
    } else {
        return Err(InvalidInput(
            "the event names no cluster (detail.SourceArn, resources[0], detail.SourceIdentifier)"
                .into(),
        ));
    };
    Ok(RunRequest {
        cluster_id,
        trigger: TriggerKind::FailoverEvent { event_id },
        dry_run: false,
        writer_class: None,
        availability_zone: None,
    })
}

fn parse_manual_input(input: &Value) -> Result<RunRequest, InvalidInput> {
    let manual: ManualInput = serde_json::from_value(input.clone()).map_err(|e| {
        InvalidInput(format!(
            "expected {{\"clusterId\": \"...\", \"dryRun\": false, \"writerClass\": \"db.r6g.2xlarge\"}}: {e}"
        ))
    })?;
    let writer_class = manual
        .writer_class
        .map(|c| valid_writer_class(&c))
        .transpose()?;
    let availability_zone = manual
        .availability_zone
        .map(|az| valid_availability_zone(&az))
        .transpose()?;
    Ok(RunRequest {
        cluster_id: valid_cluster_id(&manual.cluster_id)?,
        trigger: TriggerKind::Manual,
        dry_run: manual.dry_run,
        writer_class,
        availability_zone,
    })
}

/// `arn:<partition>:rds:<region>:<account>:cluster:<id>` → `<id>`.
pub fn cluster_id_from_arn(arn: &str) -> Result<String, InvalidInput> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", partition, "rds", _region, _account, "cluster", id]
            if partition.starts_with("aws") =>
        {
            valid_cluster_id(id)
        }
        _ => Err(InvalidInput(format!(
            "{arn:?} is not an RDS DB cluster ARN"
        ))),
    }
}

pub fn valid_cluster_id(raw: &str) -> Result<String, InvalidInput> {
    validate_identifier(raw).map_err(|e| InvalidInput(format!("cluster identifier {raw:?} {e}")))
}

pub fn valid_writer_class(raw: &str) -> Result<String, InvalidInput> {
    if !is_class_name(raw) {
        return Err(InvalidInput(format!(
            "writer class {raw:?} is not an instance class such as \"db.r6g.2xlarge\""
        )));
    }
    if class_capacity(raw).is_none() {
        return Err(InvalidInput(format!(
            "writer class {raw:?} has no fixed size"
        )));
    }
    Ok(raw.to_string())
}

fn valid_availability_zone(raw: &str) -> Result<String, InvalidInput> {
    let shaped = (4..=32).contains(&raw.len())
        && raw.starts_with(|c: char| c.is_ascii_lowercase())
        && raw.ends_with(|c: char| c.is_ascii_lowercase())
        && raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if shaped {
        Ok(raw.to_string())
    } else {
        Err(InvalidInput(format!(
            "availability zone {raw:?} is not a zone name such as \"us-east-1a\""
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn failover_event(event_id: &str, detail_extra: Value) -> Value {
        let mut detail = json!({
            "EventCategories": ["failover"],
            "SourceType": "CLUSTER",
            "SourceArn": "arn:aws:rds:us-east-1:123456789012:cluster:orders",
            "Date": "2026-11-21T03:12:45.123Z",
            "Message": "Completed failover to DB instance: orders-2",
            "SourceIdentifier": "orders",
            "EventID": event_id,
        });
        if let (Some(base), Some(extra)) = (detail.as_object_mut(), detail_extra.as_object()) {
            for (k, v) in extra {
                base.insert(k.clone(), v.clone());
            }
        }
        json!({
            "version": "0", "id": "e1", "source": "aws.rds", "detail-type": "RDS DB Cluster Event",
            "account": "123456789012", "time": "2026-11-21T03:12:45Z", "region": "us-east-1",
            "resources": ["arn:aws:rds:us-east-1:123456789012:cluster:orders"],
            "detail": detail,
        })
    }

    #[test]
    fn accepted_inputs() {
        let event_run = |id: &str| RunRequest {
            cluster_id: "orders".into(),
            trigger: TriggerKind::FailoverEvent {
                event_id: id.into(),
            },
            dry_run: false,
            writer_class: None,
            availability_zone: None,
        };
        let cases = [
            (
                failover_event("RDS-EVENT-0071", json!({})),
                event_run("RDS-EVENT-0071"),
            ),
            (
                failover_event("RDS-EVENT-0072", json!({})),
                event_run("RDS-EVENT-0072"),
            ),
            (
                failover_event("RDS-EVENT-0073", json!({})),
                event_run("RDS-EVENT-0073"),
            ),
            (
                failover_event(
                    "RDS-EVENT-0071",
                    json!({"SourceArn": null, "SourceIdentifier": "rds:orders"}),
                ),
                event_run("RDS-EVENT-0071"),
            ),
            (
                json!({"clusterId": "Orders", "dryRun": true, "writerClass": "db.r6g.2xlarge"}),
                RunRequest {
                    cluster_id: "orders".into(),
                    trigger: TriggerKind::Manual,
                    dry_run: true,
                    writer_class: Some("db.r6g.2xlarge".into()),
                    availability_zone: None,
                },
            ),
            (
                json!({"clusterId": "orders", "availabilityZone": "eu-west-1b"}),
                RunRequest {
                    cluster_id: "orders".into(),
                    trigger: TriggerKind::Manual,
                    dry_run: false,
                    writer_class: None,
                    availability_zone: Some("eu-west-1b".into()),
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_trigger(&input), Ok(expected), "{input}");
        }
    }

    #[test]
    fn refused_inputs_say_why() {
        let mut no_cluster = failover_event(
            "RDS-EVENT-0071",
            json!({"SourceArn": null, "SourceIdentifier": null}),
        );
        no_cluster["resources"] = json!([]);
        let cases = [
            (json!("orders"), "JSON object"),
            (json!({}), "clusterId"),
            (
                json!({"clusterId": "orders", "dryrun": true}),
                "unknown field",
            ),
            (
                json!({"clusterId": "orders", "dryRun": "false"}),
                "expected",
            ),
            (
                json!({"clusterId": "orders; DROP TABLE x"}),
                "cluster identifier",
            ),
            (
                json!({"clusterId": "orders", "writerClass": "db.serverless"}),
                "writer class",
            ),
            (
                json!({"clusterId": "orders", "writerClass": "huge"}),
                "writer class",
            ),
            (
                json!({"clusterId": "orders", "availabilityZone": "../x"}),
                "availability zone",
            ),
            (
                failover_event("RDS-EVENT-0069", json!({})),
                "not a cluster failover event",
            ),
            (
                failover_event("RDS-EVENT-0071", json!({"SourceType": "DB_INSTANCE"})),
                "not CLUSTER",
            ),
            (
                failover_event(
                    "RDS-EVENT-0071",
                    json!({"SourceArn": "arn:aws:rds:us-east-1:1:db:orders-1"}),
                ),
                "not an RDS DB cluster ARN",
            ),
            (
                failover_event(
                    "RDS-EVENT-0071",
                    json!({"SourceArn": "arn:aws:rds:us-east-1:1:cluster:a--b"}),
                ),
                "two consecutive hyphens",
            ),
            (no_cluster, "names no cluster"),
            (
                json!({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}),
                "unsupported event",
            ),
            (
                json!({"source": "aws.rds", "detail-type": 7, "detail": {}}),
                "not an EventBridge RDS event",
            ),
        ];
        for (input, needle) in cases {
            match parse_trigger(&input) {
                Err(InvalidInput(message)) => {
                    assert!(message.contains(needle), "{input}: {message}")
                }
                Ok(run) => panic!("{input} was accepted as {run:?}"),
            }
        }
    }
}
