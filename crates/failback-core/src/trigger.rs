//! What starts a run: the EventBridge failover event or the input a person types.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::class_rank::check_requested_class;
use crate::identifier::validate_identifier;

/// Cluster failover events that start a run: completed (0071), started same-AZ (0072)
/// and started cross-AZ (0073).
pub const FAILOVER_EVENT_IDS: [&str; 3] = ["RDS-EVENT-0071", "RDS-EVENT-0072", "RDS-EVENT-0073"];
const RDS_CLUSTER_EVENT: &str = "RDS DB Cluster Event";

/// A validated request to restore one cluster's writer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRequest {
    pub cluster_id: String,
    pub trigger: TriggerKind,
    pub dry_run: bool,
    pub writer_class: Option<String>,
    pub availability_zone: Option<String>,
    /// When the failover event happened (epoch seconds): the newer of its `time` and
    /// `detail.Date`. Manual inputs have none and are not aged.
    #[serde(default)]
    pub event_time: Option<f64>,
    /// How a person asked for the writer class to be put in place; `None` lets the plan
    /// choose.
    #[serde(default)]
    pub method: Option<ScaleMethod>,
    /// After the failover, bring the old writer to the same class too (so the next
    /// failover does not shrink capacity).
    #[serde(default)]
    pub scale_old_writer: bool,
}

/// How the desired writer class is put in place when no reader has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScaleMethod {
    /// Change an existing reader's class in place, then fail over to it.
    Modify,
    /// Create a new reader of the class, then fail over to it.
    Create,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TriggerKind {
    FailoverEvent { event_id: String },
    Manual,
}

impl RunRequest {
    /// A person named the cluster (console StartExecution or the CLI).
    pub fn is_manual(&self) -> bool {
        matches!(self.trigger, TriggerKind::Manual)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidInput(pub String);

/// The trigger names a cluster somewhere else: another partition, region or account.
/// Events reach a bus from other accounts and regions (cross-account rules, replays,
/// central buses); acting on the local cluster of the same name would be an incident.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{arn} is not a cluster of this deployment ({home}): {why}")]
pub struct ForeignCluster {
    pub arn: String,
    pub home: String,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    #[error(transparent)]
    ForeignCluster(#[from] ForeignCluster),
}

impl TriggerError {
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => crate::errors::INVALID_INPUT,
            Self::ForeignCluster(_) => "ForeignCluster",
        }
    }
}

/// Where this deployment runs: the partition, region and account its clusters live in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    pub partition: String,
    pub region: String,
    /// `None` where the account is not known without an AWS call (the CLI): then only
    /// the partition and region are checked.
    pub account: Option<String>,
}

impl std::fmt::Display for Home {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.partition,
            self.region,
            self.account.as_deref().unwrap_or("any account")
        )
    }
}

impl Home {
    /// From the invoked function's ARN, `arn:<partition>:lambda:<region>:<account>:function:<name>[:alias]`,
    /// which the Lambda runtime hands every invocation.
    pub fn from_function_arn(arn: &str) -> Result<Self, InvalidInput> {
        let parts: Vec<&str> = arn.split(':').collect();
        match parts.as_slice() {
            ["arn", partition, "lambda", region, account, "function", _name, ..]
                if is_partition(partition) && is_region(region) && is_account(account) =>
            {
                Ok(Self {
                    partition: partition.to_string(),
                    region: region.to_string(),
                    account: Some(account.to_string()),
                })
            }
            _ => Err(InvalidInput(format!(
                "{arn:?} is not a Lambda function ARN"
            ))),
        }
    }

    /// A region's home with no account (the CLI); the partition follows from the region.
    pub fn for_region(region: &str) -> Self {
        let partition = if region.starts_with("cn-") {
            "aws-cn"
        } else if region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        };
        Self {
            partition: partition.into(),
            region: region.into(),
            account: None,
        }
    }

    fn check(&self, arn: &ClusterArn) -> Result<(), ForeignCluster> {
        let foreign = |why: String| ForeignCluster {
            arn: arn.text.clone(),
            home: self.to_string(),
            why,
        };
        if arn.partition != self.partition {
            return Err(foreign(format!("partition {}", arn.partition)));
        }
        if arn.region != self.region {
            return Err(foreign(format!("region {}", arn.region)));
        }
        match &self.account {
            Some(account) if *account != arn.account => {
                Err(foreign(format!("account {}", arn.account)))
            }
            _ => Ok(()),
        }
    }
}

fn is_partition(text: &str) -> bool {
    [
        "aws",
        "aws-cn",
        "aws-us-gov",
        "aws-iso",
        "aws-iso-b",
        "aws-iso-e",
        "aws-iso-f",
        "aws-eusc",
    ]
    .contains(&text)
}

pub fn is_region(text: &str) -> bool {
    (5..=25).contains(&text.len())
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && text.ends_with(|c: char| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_account(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// A parsed `arn:<partition>:rds:<region>:<account>:cluster:<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterArn {
    pub text: String,
    pub partition: String,
    pub region: String,
    pub account: String,
    pub cluster_id: String,
}

pub fn parse_cluster_arn(arn: &str) -> Result<ClusterArn, InvalidInput> {
    let parts: Vec<&str> = arn.split(':').collect();
    let not_arn = || InvalidInput(format!("{arn:?} is not an RDS DB cluster ARN"));
    match parts.as_slice() {
        ["arn", partition, "rds", region, account, "cluster", id] => {
            if !is_partition(partition) || !is_region(region) || !is_account(account) {
                return Err(not_arn());
            }
            Ok(ClusterArn {
                text: arn.to_string(),
                partition: partition.to_string(),
                region: region.to_string(),
                account: account.to_string(),
                cluster_id: valid_cluster_id(id)?,
            })
        }
        _ => Err(not_arn()),
    }
}

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
    /// `modify` or `create`: how a larger writer class is put in place.
    method: Option<ScaleMethod>,
    /// After the failover, bring the old writer to the same class too.
    #[serde(default)]
    scale_old_writer: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RdsEventDetail {
    #[serde(rename = "EventID")]
    event_id: Option<String>,
    source_arn: Option<String>,
    source_identifier: Option<String>,
    source_type: Option<String>,
    date: Option<String>,
    event_categories: Option<Vec<String>>,
}

/// Reads a run's start input: an EventBridge "RDS DB Cluster Event" for a failover, or
/// `{"clusterId": ..., "dryRun": ..., "writerClass": ..., "availabilityZone": ...}`,
/// where `clusterId` may be an identifier or a cluster ARN. A cluster named by ARN must
/// be in `home`.
pub fn parse_trigger(input: &Value, home: &Home) -> Result<RunRequest, TriggerError> {
    let Some(object) = input.as_object() else {
        return Err(InvalidInput("the input must be a JSON object".into()).into());
    };
    if object.contains_key("detail-type") || object.contains_key("source") {
        parse_failover_event(input, home)
    } else {
        parse_manual_input(input, home)
    }
}

fn parse_failover_event(input: &Value, home: &Home) -> Result<RunRequest, TriggerError> {
    let event: EventBridgeEvent<RdsEventDetail> = serde_json::from_value(input.clone())
        .map_err(|e| InvalidInput(format!("not an EventBridge RDS event: {e}")))?;
    if event.source != "aws.rds" || event.detail_type != RDS_CLUSTER_EVENT {
        return Err(InvalidInput(format!(
            "unsupported event {:?} from {:?}; expected {RDS_CLUSTER_EVENT:?} from \"aws.rds\"",
            event.detail_type, event.source
        ))
        .into());
    }
    let event_id = event.detail.event_id.unwrap_or_default();
    if !FAILOVER_EVENT_IDS.contains(&event_id.as_str()) {
        return Err(InvalidInput(format!(
            "event {event_id:?} is not a cluster failover event ({})",
            FAILOVER_EVENT_IDS.join(", ")
        ))
        .into());
    }
    if let Some(kind) = event.detail.source_type.as_deref() {
        if kind != "CLUSTER" {
            return Err(InvalidInput(format!("event source type {kind:?} is not CLUSTER")).into());
        }
    }
    if let Some(categories) = &event.detail.event_categories {
        if !categories.iter().any(|c| c == "failover") {
            return Err(InvalidInput(format!(
                "event categories {categories:?} do not include \"failover\""
            ))
            .into());
        }
    }
    let first_resource = event.resources.as_ref().and_then(|r| r.first());
    let named_by_identifier = event
        .detail
        .source_identifier
        .as_deref()
        .map(|source| valid_cluster_id(source.strip_prefix("rds:").unwrap_or(source)))
        .transpose()?;
    let cluster_id = match event
        .detail
        .source_arn
        .as_deref()
        .or(first_resource.map(String::as_str))
    {
        Some(arn) => {
            let arn = parse_cluster_arn(arn)?;
            home.check(&arn)?;
            if let Some(resource) = first_resource.filter(|r| **r != arn.text) {
                return Err(InvalidInput(format!(
                    "the event's SourceArn {:?} and resources[0] {resource:?} disagree",
                    arn.text
                ))
                .into());
            }
            if let Some(named) = named_by_identifier.filter(|n| *n != arn.cluster_id) {
                return Err(ForeignCluster {
                    arn: arn.text.clone(),
                    home: home.to_string(),
                    why: format!(
                        "the event's SourceIdentifier names {named}, its ARN {}",
                        arn.cluster_id
                    ),
                }
                .into());
            }
            arn.cluster_id
        }
        // Without an ARN the event cannot show where it came from; its account and
        // region fields must then say it is ours.
        None => {
            let Some(named) = named_by_identifier else {
                return Err(InvalidInput(
                    "the event names no cluster (detail.SourceArn, resources[0], detail.SourceIdentifier)"
                        .into(),
                )
                .into());
            };
            let arn = ClusterArn {
                text: format!("cluster {named}"),
                partition: home.partition.clone(),
                region: event.region.clone().unwrap_or_default(),
                account: event.account.clone().unwrap_or_default(),
                cluster_id: named,
            };
            home.check(&arn)?;
            arn.cluster_id
        }
    };
    let detail_date = event
        .detail
        .date
        .as_deref()
        .map(|text| {
            parse_event_date(text).ok_or_else(|| {
                InvalidInput(format!("detail.Date {text:?} is not an ISO 8601 time"))
            })
        })
        .transpose()?;
    let sent = event.time.map(|t| t.timestamp_millis() as f64 / 1000.0);
    let event_time = match (sent, detail_date) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    Ok(RunRequest {
        cluster_id,
        trigger: TriggerKind::FailoverEvent { event_id },
        dry_run: false,
        writer_class: None,
        availability_zone: None,
        event_time,
        method: None,
        scale_old_writer: false,
    })
}

fn parse_event_date(text: &str) -> Option<f64> {
    use aws_sdk_rds::primitives::{DateTime, DateTimeFormat};
    DateTime::from_str(text, DateTimeFormat::DateTime)
        .ok()
        .map(|t| t.as_secs_f64())
}

fn parse_manual_input(input: &Value, home: &Home) -> Result<RunRequest, TriggerError> {
    let manual: ManualInput = serde_json::from_value(input.clone()).map_err(|e| {
        InvalidInput(format!(
            "expected {{\"clusterId\": \"...\", \"dryRun\": false, \"writerClass\": \"db.r6g.2xlarge\"}}: {e}"
        ))
    })?;
    let writer_class = manual
        .writer_class
        .map(|c| valid_writer_class(&c, "the input's writerClass"))
        .transpose()?;
    let availability_zone = manual
        .availability_zone
        .map(|az| valid_availability_zone(&az))
        .transpose()?;
    let cluster_id = if manual.cluster_id.starts_with("arn:") {
        let arn = parse_cluster_arn(&manual.cluster_id)?;
        home.check(&arn)?;
        arn.cluster_id
    } else {
        valid_cluster_id(&manual.cluster_id)?
    };
    Ok(RunRequest {
        cluster_id,
        trigger: TriggerKind::Manual,
        dry_run: manual.dry_run,
        writer_class,
        availability_zone,
        event_time: None,
        method: manual.method,
        scale_old_writer: manual.scale_old_writer,
    })
}

/// `arn:<partition>:rds:<region>:<account>:cluster:<id>` → `<id>`, wherever it is.
pub fn cluster_id_from_arn(arn: &str) -> Result<String, InvalidInput> {
    parse_cluster_arn(arn).map(|a| a.cluster_id)
}

pub fn valid_cluster_id(raw: &str) -> Result<String, InvalidInput> {
    validate_identifier(raw).map_err(|e| InvalidInput(format!("cluster identifier {raw:?} {e}")))
}

/// An instance identifier from outside; `what` names it in the refusal.
pub fn valid_instance_id(raw: &str, what: &str) -> Result<String, InvalidInput> {
    validate_identifier(raw).map_err(|e| InvalidInput(format!("{what} {raw:?} {e}")))
}

/// A class asked for by `source` (the input, a tag, a CLI flag): shaped like a class,
/// of a fixed size no larger than any class can be, and a size its family offers.
pub fn valid_writer_class(raw: &str, source: &str) -> Result<String, InvalidInput> {
    check_requested_class(raw)
        .map(|_| raw.to_string())
        .map_err(|e| InvalidInput(format!("{source} {raw:?} {e}")))
}

pub fn valid_availability_zone(raw: &str) -> Result<String, InvalidInput> {
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

    fn home() -> Home {
        Home::from_function_arn("arn:aws:lambda:us-east-1:123456789012:function:describe-writer")
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// 2026-11-21T03:12:45.123Z, the newer of the sample event's two times.
    const EVENT_TIME: f64 = 1_795_230_765.123;

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
            event_time: Some(EVENT_TIME),
            method: None,
            scale_old_writer: false,
        };
        let manual = |cluster_id: &str| RunRequest {
            cluster_id: cluster_id.into(),
            trigger: TriggerKind::Manual,
            dry_run: false,
            writer_class: None,
            availability_zone: None,
            event_time: None,
            method: None,
            scale_old_writer: false,
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
                    dry_run: true,
                    writer_class: Some("db.r6g.2xlarge".into()),
                    ..manual("orders")
                },
            ),
            (
                json!({"clusterId": "arn:aws:rds:us-east-1:123456789012:cluster:orders"}),
                manual("orders"),
            ),
            (
                failover_event(
                    "RDS-EVENT-0071",
                    json!({"SourceArn": null, "SourceIdentifier": "orders"}),
                ),
                event_run("RDS-EVENT-0071"),
            ),
            (
                json!({"clusterId": "orders", "availabilityZone": "eu-west-1b"}),
                RunRequest {
                    availability_zone: Some("eu-west-1b".into()),
                    ..manual("orders")
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_trigger(&input, &home()), Ok(expected), "{input}");
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
                "writerClass",
            ),
            (
                json!({"clusterId": "orders", "writerClass": "huge"}),
                "writerClass",
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
                    json!({"SourceArn": "arn:aws:rds:us-east-1:123456789012:db:orders-1"}),
                ),
                "not an RDS DB cluster ARN",
            ),
            (
                failover_event(
                    "RDS-EVENT-0071",
                    json!({"SourceArn": "arn:aws:rds:us-east-1:123456789012:cluster:a--b"}),
                ),
                "two consecutive hyphens",
            ),
            (no_cluster, "names no cluster"),
            (
                failover_event(
                    "RDS-EVENT-0071",
                    json!({"EventCategories": ["notification"]}),
                ),
                "do not include",
            ),
            (
                failover_event(
                    "RDS-EVENT-0071",
                    json!({"SourceArn": "arn:aws:rds:us-east-1:123456789012:cluster:payments", "SourceIdentifier": "payments"}),
                ),
                "disagree",
            ),
            (
                json!({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}),
                "unsupported event",
            ),
            (
                json!({"source": "aws.rds", "detail-type": 7, "detail": {}}),
                "not an EventBridge RDS event",
            ),
            (
                json!({"clusterId": "orders", "writerClass": "db.r6g.3xlarge"}),
                "is not a size that db.r6g offers",
            ),
            (
                json!({"clusterId": "orders", "writerClass": "db.r6g.2305843009213693952xlarge"}),
                "larger than",
            ),
            (
                failover_event(
                    "RDS-EVENT-0071",
                    json!({"SourceArn": "arn:aws-xx:rds:us-east-1:123456789012:cluster:orders"}),
                ),
                "not an RDS DB cluster ARN",
            ),
            (
                failover_event(
                    "RDS-EVENT-0071",
                    json!({"SourceArn": "arn:aws:rds:us-east-1:12345678901a:cluster:orders"}),
                ),
                "not an RDS DB cluster ARN",
            ),
            (
                failover_event("RDS-EVENT-0071", json!({"Date": "yesterday"})),
                "detail.Date",
            ),
            (
                json!({"clusterId": "arn:aws:rds:us-east-1:123456789012:cluster:../x"}),
                "cluster identifier",
            ),
        ];
        for (input, needle) in cases {
            match parse_trigger(&input, &home()) {
                Err(TriggerError::InvalidInput(InvalidInput(message))) => {
                    assert!(message.contains(needle), "{input}: {message}")
                }
                Err(foreign) => panic!("{input}: {foreign:?}"),
                Ok(run) => panic!("{input} was accepted as {run:?}"),
            }
        }
    }

    #[test]
    fn clusters_elsewhere_are_foreign() {
        let arn_event = |arn: &str| {
            failover_event(
                "RDS-EVENT-0071",
                json!({"SourceArn": arn, "SourceIdentifier": "orders"}),
            )
        };
        let cases = [
            (
                arn_event("arn:aws:rds:us-east-1:999999999999:cluster:orders"),
                "account 999999999999",
            ),
            (
                arn_event("arn:aws:rds:eu-west-1:123456789012:cluster:orders"),
                "region eu-west-1",
            ),
            (
                arn_event("arn:aws-cn:rds:us-east-1:123456789012:cluster:orders"),
                "partition aws-cn",
            ),
            (
                failover_event("RDS-EVENT-0071", json!({"SourceIdentifier": "payments"})),
                "SourceIdentifier names payments",
            ),
            (
                json!({"clusterId": "arn:aws:rds:us-east-1:999999999999:cluster:orders"}),
                "account 999999999999",
            ),
        ];
        for (input, needle) in cases {
            match parse_trigger(&input, &home()) {
                Err(TriggerError::ForeignCluster(foreign)) => {
                    assert!(foreign.to_string().contains(needle), "{input}: {foreign}")
                }
                other => panic!("{input}: {other:?}"),
            }
        }
        // With resources[0] as the only ARN, its account counts too.
        let mut no_source_arn = arn_event("arn:aws:rds:us-east-1:123456789012:cluster:orders");
        no_source_arn["detail"]["SourceArn"] = Value::Null;
        no_source_arn["resources"] = json!(["arn:aws:rds:us-east-1:999999999999:cluster:orders"]);
        assert!(matches!(
            parse_trigger(&no_source_arn, &home()),
            Err(TriggerError::ForeignCluster(_))
        ));
        // The CLI knows no account: partition and region are still checked.
        let cli = Home::for_region("us-east-1");
        let other_account =
            json!({"clusterId": "arn:aws:rds:us-east-1:999999999999:cluster:orders"});
        assert_eq!(
            parse_trigger(&other_account, &cli).map(|r| r.cluster_id),
            Ok("orders".into())
        );
        let other_region =
            json!({"clusterId": "arn:aws:rds:eu-west-1:999999999999:cluster:orders"});
        assert!(parse_trigger(&other_region, &cli).is_err());
    }

    #[test]
    fn home_comes_from_the_function_arn() {
        let home = home();
        assert_eq!(
            (home.partition.as_str(), home.region.as_str()),
            ("aws", "us-east-1")
        );
        assert_eq!(home.account.as_deref(), Some("123456789012"));
        assert!(
            Home::from_function_arn("arn:aws:lambda:us-east-1:123456789012:function:f:live")
                .is_ok()
        );
        for bad in [
            "",
            "arn:aws:lambda:us-east-1:1:function:f",
            "arn:aws:s3:::bucket",
            "arn:aws:lambda:US:123456789012:function:f",
        ] {
            assert!(Home::from_function_arn(bad).is_err(), "{bad}");
        }
        assert_eq!(Home::for_region("cn-north-1").partition, "aws-cn");
        assert_eq!(Home::for_region("us-gov-west-1").partition, "aws-us-gov");
    }
}
