//! The DR Orchestrator's payload, accepted as its users write it, and checked whole
//! before anything runs.
//!
//! `{"StatePayload": [{"layer": N, "resources": [{"resourceType": ..., "resourceName": ...,
//! "parameters": {...}}]}], "dryRun": false}`. A parameter value is a literal, `!Import
//! EXPORT_NAME` (a CloudFormation export in the machine's region) or `resolve:ssm:NAME`
//! (an SSM parameter, decrypted).
//!
//! Two pure passes, each listing every problem it finds rather than the first, so that an
//! operator fixes a payload in one round: [`read_payload`] checks the structure (resource
//! types, layers, parameter names, reference syntax) and lists the references to look up;
//! [`resolve_payload`] takes what the lookups found and checks each value's shape and
//! region, giving typed resources. Nothing is called between them but the lookups, which
//! change nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::class_rank::check_requested_class;
use crate::clock::parse_iso8601;
use crate::identifier::validate_identifier;
use crate::model::GlobalSwitch;
use crate::trigger::{is_region, parse_cluster_arn, Home, InvalidInput};

/// Bounds on what one run may carry (a Map state runs each layer's resources).
pub const MAX_LAYERS: usize = 20;
pub const MAX_RESOURCES_PER_LAYER: usize = 40;
const MAX_NAME_CHARS: usize = 256;
const MAX_TEXT_CHARS: usize = 2048;

const IMPORT_PREFIX: &str = "!Import ";
const SSM_PREFIX: &str = "resolve:ssm:";

/// The resource types of this version, under the DR Orchestrator's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ResourceType {
    /// Switchover of an Aurora global database to the secondary in this region.
    PlannedFailoverAurora,
    /// Failover of an Aurora global database to this region, data loss allowed.
    UnPlannedFailoverAurora,
    /// Failback preparation: the old primary region made a secondary again.
    #[serde(rename = "CreateAuroraSecondaryDBCluster")]
    CreateAuroraSecondaryDbCluster,
    /// The pilot light: the cross-region read replica of an RDS instance in this region
    /// promoted to a standalone instance.
    #[serde(rename = "PromoteRDSReadReplica")]
    PromoteRdsReadReplica,
    /// Failback preparation for the pilot light: a cross-region read replica of the
    /// promoted instance, created in this (the old primary's) region.
    #[serde(rename = "CreateRDSReadReplica")]
    CreateRdsReadReplica,
    /// An ElastiCache (Redis OSS, Valkey) global datastore failed over to its replication
    /// group in this region.
    FailoverElastiCacheCluster,
    /// Ours, not the DR Orchestrator's: an Aurora cluster that is a cross-region read
    /// replica of another cluster (binlog replication, not a global database) promoted to
    /// a standalone cluster.
    PromoteAuroraReadReplicaCluster,
    /// Cold standby: a new Aurora cluster (and its writer and readers) restored from the
    /// newest available snapshot of a source cluster in this region, or a named one.
    RestoreAuroraClusterFromSnapshot,
    /// Cold standby: a new RDS instance restored from a snapshot.
    #[serde(rename = "RestoreRDSInstanceFromSnapshot")]
    RestoreRdsInstanceFromSnapshot,
    /// A new Aurora cluster (and its instances) restored from a cluster in this region to
    /// a point in time; the source is never touched.
    RestoreAuroraClusterToPointInTime,
}

/// What a parameter's value must look like once resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// An RDS identifier (cluster, instance, global cluster, subnet group).
    Identifier,
    /// A DB cluster identifier or ARN.
    ClusterIdOrArn,
    Region,
    /// `true` or `false` (a JSON boolean or the string); nothing else reads as true.
    Bool,
    Integer {
        min: i64,
        max: i64,
    },
    /// One of a fixed set of integers.
    IntegerOf(&'static [i64]),
    InstanceClass,
    Engine,
    /// Comma-separated `sg-` identifiers.
    SecurityGroupIds,
    /// `hh24:mi-hh24:mi` in UTC, as RDS writes backup windows.
    BackupWindow,
    /// A DB subnet group name: letters, digits, spaces, `.`, `_`, `-` (RDS's rule).
    SubnetGroup,
    /// An ElastiCache replication group or global datastore identifier.
    CacheGroupId,
    /// Printable text (ARNs, versions, key ids).
    Text,
    /// A snapshot identifier or ARN: letters, digits, `-` and `:` (AWS Backup names its
    /// recovery points `awsbackup:job-...`).
    SnapshotId,
    /// An ISO 8601 time in UTC, `2026-11-30T05:00:00Z`.
    Time,
}

#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub shape: Shape,
    pub required: bool,
}

const fn required(name: &'static str, shape: Shape) -> Param {
    Param {
        name,
        shape,
        required: true,
    }
}

const fn optional(name: &'static str, shape: Shape) -> Param {
    Param {
        name,
        shape,
        required: false,
    }
}

const GLOBAL_CLUSTER_SWITCH: &[Param] = &[
    required("GlobalClusterIdentifier", Shape::Identifier),
    required("DBClusterIdentifier", Shape::ClusterIdOrArn),
    // The DR Orchestrator's detach step checks that it runs in the cluster's region.
    optional("ClusterRegion", Shape::Region),
];

const SECONDARY_CLUSTER: &[Param] = &[
    required("GlobalClusterIdentifier", Shape::Identifier),
    required("SourceRegion", Shape::Region),
    optional("SourceDBClusterIdentifier", Shape::ClusterIdOrArn),
    required("DBClusterName", Shape::Identifier),
    required("DBSubnetGroupName", Shape::SubnetGroup),
    required("VpcSecurityGroupIds", Shape::SecurityGroupIds),
    required("Engine", Shape::Engine),
    required("EngineVersion", Shape::Text),
    optional("KmsKeyId", Shape::Text),
    optional("StorageEncrypted", Shape::Bool),
    optional("EnableIAMDatabaseAuthentication", Shape::Bool),
    optional("DeletionProtection", Shape::Bool),
    optional("BackupRetentionPeriod", Shape::Integer { min: 1, max: 35 }),
    optional("CopyTagsToSnapshot", Shape::Bool),
    optional(
        "Port",
        Shape::Integer {
            min: 1150,
            max: 65535,
        },
    ),
    required("DBInstanceIdentifier", Shape::Identifier),
    required("DBInstanceClass", Shape::InstanceClass),
    optional(
        "MonitoringInterval",
        Shape::IntegerOf(&[0, 1, 5, 10, 15, 30, 60]),
    ),
    optional("MonitoringRoleArn", Shape::Text),
    optional("AutoMinorVersionUpgrade", Shape::Bool),
];

const READ_REPLICA_CREATION: &[Param] = &[
    required("RDSInstanceIdentifier", Shape::Identifier),
    required("SourceRDSInstanceIdentifier", Shape::Identifier),
    required("SourceRegion", Shape::Region),
    required("DBInstanceClass", Shape::InstanceClass),
    optional("MultiAZ", Shape::Bool),
    optional("DBSubnetGroup", Shape::SubnetGroup),
    // The DR Orchestrator's name; one security group there, a comma-separated list here.
    optional("DBSecurityGroup", Shape::SecurityGroupIds),
    optional("KmsKeyId", Shape::Text),
    optional("AutoMinorVersionUpgrade", Shape::Bool),
    optional(
        "Port",
        Shape::Integer {
            min: 1150,
            max: 65535,
        },
    ),
    optional("CopyTagsToSnapshot", Shape::Bool),
    optional(
        "MonitoringInterval",
        Shape::IntegerOf(&[0, 1, 5, 10, 15, 30, 60]),
    ),
    optional("MonitoringRoleArn", Shape::Text),
    optional("EnableIAMDatabaseAuthentication", Shape::Bool),
    optional("DBParameterGroupName", Shape::Identifier),
];

const READ_REPLICA_PROMOTION: &[Param] = &[
    required("RDSInstanceIdentifier", Shape::Identifier),
    // The DR Orchestrator's payloads carry it (the source's global ARN); kept for the
    // record, not used to act.
    optional("TargetClusterIdentifier", Shape::Text),
    // PromoteReadReplica's own: 0 turns automated backups off, as AWS documents.
    optional("BackupRetentionPeriod", Shape::Integer { min: 0, max: 35 }),
    optional("PreferredBackupWindow", Shape::BackupWindow),
];

const CACHE_FAILOVER: &[Param] = &[
    required("GlobalReplicationGroupId", Shape::CacheGroupId),
    // The region whose replication group becomes primary: this run's own.
    required("TargetRegion", Shape::Region),
    required("TargetReplicationGroupId", Shape::CacheGroupId),
];

/// What every Aurora restore creates: the cluster, its writer and readers, where.
const CLUSTER_RESTORE: &[Param] = &[
    required("DBClusterIdentifier", Shape::Identifier),
    required("DBSubnetGroupName", Shape::SubnetGroup),
    required("VpcSecurityGroupIds", Shape::SecurityGroupIds),
    required("DBInstanceIdentifier", Shape::Identifier),
    required("DBInstanceClass", Shape::InstanceClass),
    optional("ReaderCount", Shape::Integer { min: 0, max: 15 }),
    optional("KmsKeyId", Shape::Text),
    optional("DBClusterParameterGroupName", Shape::Identifier),
    optional("DBParameterGroupName", Shape::Identifier),
    optional("EngineVersion", Shape::Text),
    optional(
        "Port",
        Shape::Integer {
            min: 1150,
            max: 65535,
        },
    ),
    optional("DeletionProtection", Shape::Bool),
    optional("EnableIAMDatabaseAuthentication", Shape::Bool),
    optional("CopyTagsToSnapshot", Shape::Bool),
];

const CLUSTER_FROM_SNAPSHOT: &[Param] = &[
    required("Engine", Shape::Engine),
    // One of the two: the newest available snapshot of this cluster, or this snapshot.
    optional("SourceDBClusterIdentifier", Shape::Identifier),
    optional("DBClusterSnapshotIdentifier", Shape::SnapshotId),
];

const CLUSTER_TO_POINT_IN_TIME: &[Param] = &[
    required("SourceDBClusterIdentifier", Shape::ClusterIdOrArn),
    // At most one; neither means the latest restorable time.
    optional("RestoreToTime", Shape::Time),
    optional("UseLatestRestorableTime", Shape::Bool),
];

const INSTANCE_FROM_SNAPSHOT: &[Param] = &[
    required("DBInstanceIdentifier", Shape::Identifier),
    // One of the two, as for a cluster.
    optional("SourceDBInstanceIdentifier", Shape::Identifier),
    optional("DBSnapshotIdentifier", Shape::SnapshotId),
    required("DBInstanceClass", Shape::InstanceClass),
    optional("DBSubnetGroupName", Shape::SubnetGroup),
    optional("VpcSecurityGroupIds", Shape::SecurityGroupIds),
    optional("MultiAZ", Shape::Bool),
    optional("DBParameterGroupName", Shape::Identifier),
    optional(
        "Port",
        Shape::Integer {
            min: 1150,
            max: 65535,
        },
    ),
    optional("DeletionProtection", Shape::Bool),
    optional("EnableIAMDatabaseAuthentication", Shape::Bool),
    optional("CopyTagsToSnapshot", Shape::Bool),
];

const REPLICA_CLUSTER_PROMOTION: &[Param] =
    &[required("DBClusterIdentifier", Shape::ClusterIdOrArn)];

impl ResourceType {
    pub const ALL: [Self; 10] = [
        Self::PlannedFailoverAurora,
        Self::UnPlannedFailoverAurora,
        Self::CreateAuroraSecondaryDbCluster,
        Self::PromoteRdsReadReplica,
        Self::CreateRdsReadReplica,
        Self::FailoverElastiCacheCluster,
        Self::PromoteAuroraReadReplicaCluster,
        Self::RestoreAuroraClusterFromSnapshot,
        Self::RestoreRdsInstanceFromSnapshot,
        Self::RestoreAuroraClusterToPointInTime,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::PlannedFailoverAurora => "PlannedFailoverAurora",
            Self::UnPlannedFailoverAurora => "UnPlannedFailoverAurora",
            Self::CreateAuroraSecondaryDbCluster => "CreateAuroraSecondaryDBCluster",
            Self::PromoteRdsReadReplica => "PromoteRDSReadReplica",
            Self::CreateRdsReadReplica => "CreateRDSReadReplica",
            Self::FailoverElastiCacheCluster => "FailoverElastiCacheCluster",
            Self::PromoteAuroraReadReplicaCluster => "PromoteAuroraReadReplicaCluster",
            Self::RestoreAuroraClusterFromSnapshot => "RestoreAuroraClusterFromSnapshot",
            Self::RestoreRdsInstanceFromSnapshot => "RestoreRDSInstanceFromSnapshot",
            Self::RestoreAuroraClusterToPointInTime => "RestoreAuroraClusterToPointInTime",
        }
    }

    /// The parameters of the type: its own, and for an Aurora restore, what every Aurora
    /// restore creates.
    pub fn parameters(self) -> Vec<Param> {
        let (own, shared): (&[Param], &[Param]) = match self {
            Self::RestoreAuroraClusterFromSnapshot => (CLUSTER_FROM_SNAPSHOT, CLUSTER_RESTORE),
            Self::RestoreAuroraClusterToPointInTime => (CLUSTER_TO_POINT_IN_TIME, CLUSTER_RESTORE),
            other => (other.own_parameters(), &[]),
        };
        own.iter().chain(shared).copied().collect()
    }

    fn own_parameters(self) -> &'static [Param] {
        match self {
            Self::PlannedFailoverAurora | Self::UnPlannedFailoverAurora => GLOBAL_CLUSTER_SWITCH,
            Self::CreateAuroraSecondaryDbCluster => SECONDARY_CLUSTER,
            Self::PromoteRdsReadReplica => READ_REPLICA_PROMOTION,
            Self::CreateRdsReadReplica => READ_REPLICA_CREATION,
            Self::FailoverElastiCacheCluster => CACHE_FAILOVER,
            Self::PromoteAuroraReadReplicaCluster => REPLICA_CLUSTER_PROMOTION,
            Self::RestoreAuroraClusterFromSnapshot => CLUSTER_FROM_SNAPSHOT,
            Self::RestoreRdsInstanceFromSnapshot => INSTANCE_FROM_SNAPSHOT,
            Self::RestoreAuroraClusterToPointInTime => CLUSTER_TO_POINT_IN_TIME,
        }
    }

    fn from_name(name: &str) -> Result<Self, String> {
        if let Some(known) = Self::ALL.into_iter().find(|t| t.name() == name) {
            return Ok(known);
        }
        let known: Vec<&str> = Self::ALL.iter().map(|t| t.name()).collect();
        Err(format!(
            "unknown resourceType {:?} (known: {})",
            shown(name),
            known.join(", ")
        ))
    }
}

/// A parameter's value as written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "name")]
pub enum ValueSource {
    /// A literal, as text (`true`, `3306`, `orders`).
    Literal(String),
    /// `!Import NAME`: a CloudFormation export.
    Import(String),
    /// `resolve:ssm:NAME`: an SSM parameter.
    Ssm(String),
}

impl std::fmt::Display for ValueSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Literal(text) => write!(f, "{:?}", shown(text)),
            Self::Import(name) => write!(f, "{IMPORT_PREFIX}{name}"),
            Self::Ssm(name) => write!(f, "{SSM_PREFIX}{name}"),
        }
    }
}

/// One resource as the payload names it, before its references are looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadResource {
    pub layer: u32,
    pub resource_type: ResourceType,
    pub resource_name: String,
    pub parameters: BTreeMap<String, ValueSource>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrPayload {
    pub dry_run: bool,
    /// In run order; every layer has at least one resource.
    pub layers: Vec<(u32, Vec<PayloadResource>)>,
}

impl DrPayload {
    fn sources(&self) -> impl Iterator<Item = &ValueSource> {
        self.layers
            .iter()
            .flat_map(|(_, resources)| resources)
            .flat_map(|r| r.parameters.values())
    }

    /// The export names to look up, each once.
    pub fn imports(&self) -> BTreeSet<String> {
        self.sources()
            .filter_map(|s| match s {
                ValueSource::Import(name) => Some(name.clone()),
                _ => None,
            })
            .collect()
    }

    /// The SSM parameter names to look up, each once.
    pub fn ssm_names(&self) -> BTreeSet<String> {
        self.sources()
            .filter_map(|s| match s {
                ValueSource::Ssm(name) => Some(name.clone()),
                _ => None,
            })
            .collect()
    }
}

/// Every problem found, as one typed refusal. A value checked twice (by its declared shape
/// and by the action that reads it) is reported once.
fn refusal(mut problems: Vec<String>) -> InvalidInput {
    let mut seen = BTreeSet::new();
    problems.retain(|p| seen.insert(p.clone()));
    let count = problems.len();
    let listed: Vec<String> = problems
        .iter()
        .enumerate()
        .map(|(i, p)| format!("({}) {p}", i + 1))
        .collect();
    InvalidInput(format!(
        "the DR payload has {count} problem{}: {}",
        if count == 1 { "" } else { "s" },
        listed.join("; ")
    ))
}

/// Text from the payload cut to a length a message can hold; messages quote it with
/// `{:?}`, which escapes control characters.
fn shown(text: &str) -> String {
    let cut: String = text.chars().take(80).collect();
    if text.chars().count() > 80 {
        format!("{cut}...")
    } else {
        cut
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `true`/`false` as JSON booleans or strings; anything else is refused, not truthy.
pub fn strict_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(flag) => Some(*flag),
        Value::String(text) => bool_text(text),
        _ => None,
    }
}

fn bool_text(text: &str) -> Option<bool> {
    match text {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn unknown_keys(
    object: &Map<String, Value>,
    allowed: &[&str],
    at: &str,
    problems: &mut Vec<String>,
) {
    for key in object.keys().filter(|k| !allowed.contains(&k.as_str())) {
        problems.push(format!(
            "{at}: unknown key {:?} (allowed: {})",
            shown(key),
            allowed.join(", ")
        ));
    }
}

fn is_export_name(name: &str) -> bool {
    (1..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.'))
}

pub fn is_ssm_name(name: &str) -> bool {
    (1..=1011).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'))
}

fn value_source(value: &Value) -> Result<ValueSource, String> {
    let text = match value {
        Value::String(text) => text.clone(),
        Value::Bool(flag) => return Ok(ValueSource::Literal(flag.to_string())),
        Value::Number(number) if number.is_i64() || number.is_u64() => {
            return Ok(ValueSource::Literal(number.to_string()))
        }
        Value::Number(number) => {
            return Err(format!("{number} is not a whole number"));
        }
        other => {
            return Err(format!(
                "is {}, not a string, number or boolean",
                json_kind(other)
            ))
        }
    };
    // `!Import` with nothing after it is a missing name, not some other tag.
    let import = text
        .strip_prefix(IMPORT_PREFIX.trim_end())
        .filter(|rest| rest.is_empty() || rest.starts_with(' '));
    if let Some(name) = import {
        let name = name.trim();
        return if is_export_name(name) {
            Ok(ValueSource::Import(name.to_string()))
        } else {
            Err(format!("{:?} is not an export name", shown(name)))
        };
    }
    if let Some(name) = text.strip_prefix(SSM_PREFIX) {
        return if is_ssm_name(name) {
            Ok(ValueSource::Ssm(name.to_string()))
        } else {
            Err(format!("{:?} is not an SSM parameter name", shown(name)))
        };
    }
    if text.starts_with('!') {
        return Err(format!(
            "{:?}: the only tag understood is !Import",
            shown(&text)
        ));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(format!("has more than {MAX_TEXT_CHARS} characters"));
    }
    Ok(ValueSource::Literal(text))
}

/// The first pass: the payload's structure. Lists every problem.
pub fn read_payload(input: &Value) -> Result<DrPayload, InvalidInput> {
    let mut problems = Vec::new();
    let Some(top) = input.as_object() else {
        return Err(refusal(vec![format!(
            "the payload is {}, not an object with StatePayload",
            json_kind(input)
        )]));
    };
    unknown_keys(
        top,
        &["StatePayload", "dryRun"],
        "the payload",
        &mut problems,
    );
    let dry_run = match top.get("dryRun") {
        None => false,
        Some(value) => strict_bool(value).unwrap_or_else(|| {
            problems.push(format!(
                "dryRun must be true or false, not {}",
                shown(&value.to_string())
            ));
            // A payload with a doubtful dryRun is refused; this value is never acted on.
            true
        }),
    };
    let layers = match top.get("StatePayload") {
        Some(Value::Array(layers)) if layers.is_empty() => {
            problems.push("StatePayload has no layers".into());
            &[][..]
        }
        Some(Value::Array(layers)) if layers.len() > MAX_LAYERS => {
            problems.push(format!(
                "StatePayload has {} layers, more than {MAX_LAYERS}",
                layers.len()
            ));
            &[][..]
        }
        Some(Value::Array(layers)) => &layers[..],
        Some(other) => {
            problems.push(format!(
                "StatePayload is {}, not an array",
                json_kind(other)
            ));
            &[][..]
        }
        None => {
            problems.push("StatePayload is missing".into());
            &[][..]
        }
    };
    let mut read_layers: Vec<(u32, Vec<PayloadResource>)> = Vec::new();
    let mut names = BTreeSet::new();
    for (position, layer) in layers.iter().enumerate() {
        let at = format!("StatePayload[{position}]");
        let Some(layer) = layer.as_object() else {
            problems.push(format!("{at} is {}, not a layer object", json_kind(layer)));
            continue;
        };
        unknown_keys(layer, &["layer", "resources"], &at, &mut problems);
        let number = match layer.get("layer").map(|n| (n, n.as_u64())) {
            Some((_, Some(n))) if (1..=1000).contains(&n) => u32::try_from(n).ok(),
            Some((raw, _)) => {
                problems.push(format!(
                    "{at}: layer must be a whole number from 1 to 1000, not {}",
                    shown(&raw.to_string())
                ));
                None
            }
            None => {
                problems.push(format!("{at}: layer is missing"));
                None
            }
        };
        if let (Some(number), Some((previous, _))) = (number, read_layers.last()) {
            if number <= *previous {
                problems.push(format!(
                    "{at}: layer {number} comes after layer {previous}; layers run in the order written and must increase"
                ));
            }
        }
        let at = match number {
            Some(n) => format!("layer {n}"),
            None => at,
        };
        let resources = match layer.get("resources") {
            Some(Value::Array(list)) if list.is_empty() => {
                problems.push(format!("{at}: resources is empty"));
                &[][..]
            }
            Some(Value::Array(list)) if list.len() > MAX_RESOURCES_PER_LAYER => {
                problems.push(format!(
                    "{at}: {} resources, more than {MAX_RESOURCES_PER_LAYER}",
                    list.len()
                ));
                &[][..]
            }
            Some(Value::Array(list)) => &list[..],
            Some(other) => {
                problems.push(format!(
                    "{at}: resources is {}, not an array",
                    json_kind(other)
                ));
                &[][..]
            }
            None => {
                problems.push(format!("{at}: resources is missing"));
                &[][..]
            }
        };
        let mut read = Vec::new();
        for (index, resource) in resources.iter().enumerate() {
            let at = format!("{at}, resource {}", index + 1);
            if let Some(resource) = read_resource(resource, number.unwrap_or(0), &at, &mut problems)
            {
                if !names.insert(resource.resource_name.clone()) {
                    problems.push(format!(
                        "{at}: resourceName {:?} is used twice; each resource needs its own name",
                        shown(&resource.resource_name)
                    ));
                }
                read.push(resource);
            }
        }
        if let Some(number) = number {
            read_layers.push((number, read));
        }
    }
    let written: Vec<&PayloadResource> = read_layers.iter().flat_map(|(_, r)| r).collect();
    for (i, resource) in written.iter().enumerate() {
        if let Some(first) = written[..i].iter().find(|r| same_target(r, resource)) {
            problems.push(format!(
                "layer {}, {:?}: acts on the same {} as {:?}",
                resource.layer,
                shown(&resource.resource_name),
                target_words(resource),
                shown(&first.resource_name)
            ));
        }
    }
    if problems.is_empty() {
        Ok(DrPayload {
            dry_run,
            layers: read_layers,
        })
    } else {
        Err(refusal(problems))
    }
}

fn read_resource(
    resource: &Value,
    layer: u32,
    at: &str,
    problems: &mut Vec<String>,
) -> Option<PayloadResource> {
    let Some(resource) = resource.as_object() else {
        problems.push(format!(
            "{at} is {}, not a resource object",
            json_kind(resource)
        ));
        return None;
    };
    unknown_keys(
        resource,
        &["resourceType", "resourceName", "parameters"],
        at,
        problems,
    );
    let before = problems.len();
    let resource_name = match resource.get("resourceName") {
        Some(Value::String(name))
            if !name.trim().is_empty()
                && name.chars().count() <= MAX_NAME_CHARS
                && !name.chars().any(char::is_control) =>
        {
            Some(name.clone())
        }
        Some(other) => {
            problems.push(format!(
                "{at}: resourceName must be text of 1 to {MAX_NAME_CHARS} printable characters, not {}",
                shown(&other.to_string())
            ));
            None
        }
        None => {
            problems.push(format!("{at}: resourceName is missing"));
            None
        }
    };
    let at = match &resource_name {
        Some(name) => format!("{at} ({:?})", shown(name)),
        None => at.to_string(),
    };
    let resource_type = match resource.get("resourceType") {
        Some(Value::String(name)) => ResourceType::from_name(name)
            .map_err(|p| problems.push(format!("{at}: {p}")))
            .ok(),
        Some(other) => {
            problems.push(format!(
                "{at}: resourceType is {}, not a string",
                json_kind(other)
            ));
            None
        }
        None => {
            problems.push(format!("{at}: resourceType is missing"));
            None
        }
    };
    let parameters = match resource.get("parameters") {
        Some(Value::Object(parameters)) => Some(parameters),
        Some(other) => {
            problems.push(format!(
                "{at}: parameters is {}, not an object",
                json_kind(other)
            ));
            None
        }
        None => {
            problems.push(format!("{at}: parameters is missing"));
            None
        }
    };
    let mut read = BTreeMap::new();
    if let (Some(resource_type), Some(parameters)) = (resource_type, parameters) {
        let spec = resource_type.parameters();
        let allowed: Vec<&str> = spec.iter().map(|p| p.name).collect();
        unknown_keys(parameters, &allowed, &format!("{at}: parameters"), problems);
        for param in spec {
            match parameters.get(param.name) {
                Some(value) => match value_source(value) {
                    Ok(source) => {
                        read.insert(param.name.to_string(), source);
                    }
                    Err(why) => problems.push(format!("{at}: {} {why}", param.name)),
                },
                None if param.required => {
                    problems.push(format!("{at}: parameter {} is missing", param.name));
                }
                None => {}
            }
        }
    }
    if problems.len() > before {
        return None;
    }
    Some(PayloadResource {
        layer,
        resource_type: resource_type?,
        resource_name: resource_name?,
        parameters: read,
    })
}

/// The parameters that say what a resource acts on.
fn target_key(resource: &PayloadResource) -> Vec<(&'static str, Option<&ValueSource>)> {
    let keys: &[&'static str] = match resource.resource_type {
        ResourceType::PlannedFailoverAurora | ResourceType::UnPlannedFailoverAurora => {
            &["GlobalClusterIdentifier"]
        }
        ResourceType::CreateAuroraSecondaryDbCluster => &["GlobalClusterIdentifier"],
        ResourceType::PromoteRdsReadReplica | ResourceType::CreateRdsReadReplica => {
            &["RDSInstanceIdentifier"]
        }
        ResourceType::FailoverElastiCacheCluster => &["GlobalReplicationGroupId"],
        ResourceType::PromoteAuroraReadReplicaCluster
        | ResourceType::RestoreAuroraClusterFromSnapshot
        | ResourceType::RestoreAuroraClusterToPointInTime => &["DBClusterIdentifier"],
        ResourceType::RestoreRdsInstanceFromSnapshot => &["DBInstanceIdentifier"],
    };
    keys.iter()
        .map(|k| (*k, resource.parameters.get(*k)))
        .collect()
}

fn same_target(a: &PayloadResource, b: &PayloadResource) -> bool {
    target_key(a) == target_key(b)
}

fn target_words(resource: &PayloadResource) -> String {
    target_key(resource)
        .iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{k} {v}"),
            None => format!("{k} (unset)"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the lookups found: every export of the region, and the SSM parameters asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lookups {
    pub exports: BTreeMap<String, String>,
    pub ssm: BTreeMap<String, String>,
}

/// A DB cluster named by identifier (in this region) or by ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterRef {
    pub cluster_id: String,
    pub arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecondaryClusterSpec {
    pub global_cluster_id: String,
    pub source_region: String,
    pub source_cluster: Option<ClusterRef>,
    pub cluster_id: String,
    pub subnet_group: String,
    pub security_group_ids: Vec<String>,
    pub engine: String,
    pub engine_version: String,
    pub kms_key_id: Option<String>,
    pub storage_encrypted: Option<bool>,
    pub iam_database_authentication: Option<bool>,
    pub deletion_protection: Option<bool>,
    pub backup_retention_period: Option<i32>,
    pub copy_tags_to_snapshot: Option<bool>,
    pub port: Option<i32>,
    pub instance_id: String,
    pub instance_class: String,
    pub monitoring_interval: Option<i32>,
    pub monitoring_role_arn: Option<String>,
    pub auto_minor_version_upgrade: Option<bool>,
}

/// A cross-region read replica to create in this region, as the payload describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaSpec {
    pub instance_id: String,
    pub source_instance_id: String,
    pub source_region: String,
    pub instance_class: String,
    pub multi_az: Option<bool>,
    pub subnet_group: Option<String>,
    pub security_group_ids: Option<Vec<String>>,
    pub kms_key_id: Option<String>,
    pub auto_minor_version_upgrade: Option<bool>,
    pub port: Option<i32>,
    pub copy_tags_to_snapshot: Option<bool>,
    pub monitoring_interval: Option<i32>,
    pub monitoring_role_arn: Option<String>,
    pub iam_database_authentication: Option<bool>,
    pub parameter_group: Option<String>,
}

/// Where a restore's data comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind"
)]
pub enum RestoreSource {
    /// The newest available snapshot, in this region, of the cluster or instance of this
    /// identifier (the copies a backup plan leaves keep the source's identifier).
    NewestSnapshotOf { source_id: String },
    /// This snapshot (identifier or ARN).
    Snapshot { snapshot_id: String },
    /// The cluster `source_id` of this region at `time` (ISO 8601), or at its latest
    /// restorable time.
    PointInTime {
        source_id: String,
        time: Option<String>,
    },
}

/// A new Aurora cluster restored in this region, with its writer and readers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterRestoreSpec {
    pub cluster_id: String,
    pub source: RestoreSource,
    /// Required by RestoreDBClusterFromSnapshot; a point-in-time restore keeps the
    /// source's.
    pub engine: Option<String>,
    pub engine_version: Option<String>,
    pub subnet_group: String,
    pub security_group_ids: Vec<String>,
    pub kms_key_id: Option<String>,
    pub cluster_parameter_group: Option<String>,
    pub instance_id: String,
    pub instance_class: String,
    pub reader_count: i32,
    pub instance_parameter_group: Option<String>,
    pub port: Option<i32>,
    pub deletion_protection: Option<bool>,
    pub iam_database_authentication: Option<bool>,
    pub copy_tags_to_snapshot: Option<bool>,
}

impl ClusterRestoreSpec {
    /// The writer first, then the readers `<writer>-r1`, `<writer>-r2`...: deterministic,
    /// so a retried or re-run restore finds the instances it made. At most 15 readers,
    /// whatever `reader_count` says (the payload and the steps refuse more).
    pub fn instance_ids(&self) -> Vec<String> {
        let readers =
            (1..=self.reader_count.clamp(0, 15)).map(|n| format!("{}-r{n}", self.instance_id));
        std::iter::once(self.instance_id.clone())
            .chain(readers)
            .collect()
    }
}

/// A new RDS instance restored in this region from a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceRestoreSpec {
    pub instance_id: String,
    pub source: RestoreSource,
    pub instance_class: String,
    pub subnet_group: Option<String>,
    pub security_group_ids: Option<Vec<String>>,
    pub multi_az: Option<bool>,
    pub parameter_group: Option<String>,
    pub port: Option<i32>,
    pub deletion_protection: Option<bool>,
    pub iam_database_authentication: Option<bool>,
    pub copy_tags_to_snapshot: Option<bool>,
}

/// What a resource does, typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind"
)]
pub enum DrAction {
    /// SwitchoverGlobalCluster to `target`, no data loss.
    Switchover {
        global_cluster_id: String,
        target: ClusterRef,
    },
    /// FailoverGlobalCluster with AllowDataLoss to `target`.
    GlobalFailover {
        global_cluster_id: String,
        target: ClusterRef,
    },
    /// The secondary cluster (and its instance) in this region, joined to the global cluster.
    CreateSecondary(Box<SecondaryClusterSpec>),
    /// A cross-region read replica, in this region, of an instance in another.
    CreateReplica(Box<ReplicaSpec>),
    /// PromoteReadReplica of the RDS instance `instance_id` in this region.
    PromoteReplica {
        instance_id: String,
        backup_retention_period: Option<i32>,
        preferred_backup_window: Option<String>,
    },
    /// FailoverGlobalReplicationGroup of an ElastiCache global datastore to its
    /// replication group `target_group_id` in this region.
    CacheFailover {
        global_group_id: String,
        target_group_id: String,
    },
    /// PromoteReadReplicaDBCluster of the Aurora cluster `target` in this region.
    PromoteReplicaCluster { target: ClusterRef },
    /// A new Aurora cluster restored from a snapshot or to a point in time.
    RestoreCluster(Box<ClusterRestoreSpec>),
    /// A new RDS instance restored from a snapshot.
    RestoreInstance(Box<InstanceRestoreSpec>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrResource {
    pub layer: u32,
    pub resource_type: ResourceType,
    pub resource_name: String,
    /// Each parameter's resolved value, for the plan and the record.
    pub parameters: BTreeMap<String, String>,
    pub action: DrAction,
    /// What the resource acts on, once per payload: the key of its lease and records.
    pub resource_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidLayer {
    pub layer: u32,
    pub resources: Vec<DrResource>,
}

/// The checked payload, as the machine's later states read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidPayload {
    pub dry_run: bool,
    pub layers: Vec<ValidLayer>,
}

/// Resolved parameter values of one resource, read by shape.
struct Values<'a> {
    values: &'a BTreeMap<String, String>,
    at: &'a str,
    home: &'a Home,
    problems: &'a mut Vec<String>,
}

impl Values<'_> {
    fn raw(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    fn problem(&mut self, name: &str, why: String) {
        self.problems.push(format!("{}: {name} {why}", self.at));
    }

    fn identifier(&mut self, name: &str) -> Option<String> {
        let raw = self.raw(name)?.to_string();
        validate_identifier(&raw)
            .map_err(|e| self.problem(name, format!("{:?} {e}", shown(&raw))))
            .ok()
    }

    /// A cluster in this region: an identifier, or an ARN whose partition, region and
    /// account are this deployment's.
    fn local_cluster(&mut self, name: &str) -> Option<ClusterRef> {
        let raw = self.raw(name)?.to_string();
        self.cluster(name, &raw, Some(self.home.region.clone()))
    }

    fn cluster(&mut self, name: &str, raw: &str, region: Option<String>) -> Option<ClusterRef> {
        if !raw.starts_with("arn:") {
            return self.identifier(name).map(|cluster_id| ClusterRef {
                cluster_id,
                arn: None,
            });
        }
        let arn = match parse_cluster_arn(raw) {
            Ok(arn) => arn,
            Err(e) => {
                self.problem(name, e.0);
                return None;
            }
        };
        let mut wrong = Vec::new();
        if arn.partition != self.home.partition {
            wrong.push(format!("partition {}", arn.partition));
        }
        if let Some(region) = region.filter(|r| *r != arn.region) {
            wrong.push(format!("region {} (this run's is {region})", arn.region));
        }
        if let Some(account) = self.home.account.as_ref().filter(|a| **a != arn.account) {
            wrong.push(format!("account {} (this run's is {account})", arn.account));
        }
        if !wrong.is_empty() {
            self.problem(name, format!("{raw:?} is in {}", wrong.join(", ")));
            return None;
        }
        Some(ClusterRef {
            cluster_id: arn.cluster_id,
            arn: Some(arn.text),
        })
    }

    fn region(&mut self, name: &str) -> Option<String> {
        let raw = self.raw(name)?.to_string();
        if is_region(&raw) {
            Some(raw)
        } else {
            self.problem(name, format!("{:?} is not a region name", shown(&raw)));
            None
        }
    }

    fn flag(&mut self, name: &str) -> Option<bool> {
        let raw = self.raw(name)?.to_string();
        let flag = bool_text(&raw);
        if flag.is_none() {
            self.problem(
                name,
                format!("must be true or false, not {:?}", shown(&raw)),
            );
        }
        flag
    }

    fn integer(&mut self, name: &str, min: i64, max: i64) -> Option<i32> {
        let raw = self.raw(name)?.to_string();
        match raw.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => i32::try_from(n).ok(),
            _ => {
                self.problem(
                    name,
                    format!(
                        "must be a whole number from {min} to {max}, not {:?}",
                        shown(&raw)
                    ),
                );
                None
            }
        }
    }

    fn integer_of(&mut self, name: &str, allowed: &[i64]) -> Option<i32> {
        let raw = self.raw(name)?.to_string();
        match raw.parse::<i64>() {
            Ok(n) if allowed.contains(&n) => i32::try_from(n).ok(),
            _ => {
                self.problem(
                    name,
                    format!("must be one of {allowed:?}, not {:?}", shown(&raw)),
                );
                None
            }
        }
    }

    fn text(&mut self, name: &str) -> Option<String> {
        let raw = self.raw(name)?.to_string();
        if raw.is_empty() || raw.chars().any(char::is_control) {
            self.problem(name, format!("{:?} is empty or not printable", shown(&raw)));
            None
        } else {
            Some(raw)
        }
    }

    fn subnet_group(&mut self, name: &str) -> Option<String> {
        let raw = self.raw(name)?.to_string();
        if is_subnet_group(&raw) {
            Some(raw)
        } else {
            self.problem(
                name,
                format!("{:?} is not a DB subnet group name", shown(&raw)),
            );
            None
        }
    }

    fn backup_window(&mut self, name: &str) -> Option<String> {
        let raw = self.raw(name)?.to_string();
        if is_backup_window(&raw) {
            Some(raw)
        } else {
            self.problem(
                name,
                format!("{:?} is not a window such as \"03:00-03:30\"", shown(&raw)),
            );
            None
        }
    }

    fn engine(&mut self, name: &str) -> Option<String> {
        let raw = self.raw(name)?.to_string();
        if ["aurora-mysql", "aurora-postgresql"].contains(&raw.as_str()) {
            Some(raw)
        } else {
            self.problem(
                name,
                format!("{:?} is not aurora-mysql or aurora-postgresql", shown(&raw)),
            );
            None
        }
    }

    fn snapshot_id(&mut self, name: &str) -> Option<String> {
        let raw = self.raw(name)?.to_string();
        if is_snapshot_id(&raw) {
            Some(raw)
        } else {
            let why = format!(
                "{:?} is not a snapshot identifier or ARN (letters, digits, '-', ':')",
                shown(&raw)
            );
            self.problem(name, why);
            None
        }
    }

    fn time(&mut self, name: &str) -> Option<String> {
        let raw = self.raw(name)?.to_string();
        if raw.ends_with('Z') && parse_iso8601(&raw).is_some() {
            Some(raw)
        } else {
            let why = format!(
                "{:?} is not an ISO 8601 time in UTC (2026-11-30T05:00:00Z)",
                shown(&raw)
            );
            self.problem(name, why);
            None
        }
    }

    /// One of a source's identifier (its newest snapshot) or a named snapshot.
    fn snapshot_source(&mut self, source: &str, snapshot: &str) -> Option<RestoreSource> {
        match (self.raw(source).is_some(), self.raw(snapshot).is_some()) {
            (true, false) => self
                .identifier(source)
                .map(|source_id| RestoreSource::NewestSnapshotOf { source_id }),
            (false, true) => self
                .snapshot_id(snapshot)
                .map(|snapshot_id| RestoreSource::Snapshot { snapshot_id }),
            _ => {
                let why = format!("or {snapshot}: give exactly one, the source to restore the newest snapshot of, or the snapshot");
                self.problem(source, why);
                None
            }
        }
    }

    fn point_in_time(&mut self) -> Option<RestoreSource> {
        let source = self.local_cluster("SourceDBClusterIdentifier")?;
        let latest = self.flag("UseLatestRestorableTime");
        let time = match (self.raw("RestoreToTime").is_some(), latest) {
            (true, Some(true)) => {
                let why = "and UseLatestRestorableTime true cannot both be given".to_string();
                self.problem("RestoreToTime", why);
                return None;
            }
            (true, _) => Some(self.time("RestoreToTime")?),
            (false, Some(false)) => {
                let why = "false needs a RestoreToTime".to_string();
                self.problem("UseLatestRestorableTime", why);
                return None;
            }
            (false, _) => None,
        };
        Some(RestoreSource::PointInTime {
            source_id: source.cluster_id,
            time,
        })
    }

    fn cache_group(&mut self, name: &str) -> Option<String> {
        let raw = self.raw(name)?.to_string();
        if is_cache_group_id(&raw) {
            Some(raw)
        } else {
            let why = format!(
                "{:?} is not an ElastiCache group identifier (letters, digits, single hyphens)",
                shown(&raw)
            );
            self.problem(name, why);
            None
        }
    }

    fn instance_class(&mut self, name: &str) -> Option<String> {
        let raw = self.raw(name)?.to_string();
        check_requested_class(&raw)
            .map(|_| raw.clone())
            .map_err(|e| self.problem(name, format!("{:?} {e}", shown(&raw))))
            .ok()
    }

    fn security_groups(&mut self, name: &str) -> Option<Vec<String>> {
        let raw = self.raw(name)?.to_string();
        let groups: Vec<String> = raw.split(',').map(|g| g.trim().to_string()).collect();
        let shaped = |g: &String| {
            g.strip_prefix("sg-").is_some_and(|hex| {
                (8..=17).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit())
            })
        };
        if groups.iter().all(shaped) && groups.len() <= 5 {
            Some(groups)
        } else {
            self.problem(
                name,
                format!(
                    "{:?} is not a comma-separated list of up to 5 security group ids (sg-...)",
                    shown(&raw)
                ),
            );
            None
        }
    }

    /// Checks a value by its declared shape; the typed readers above do the same for the
    /// values an action uses.
    fn check(&mut self, param: &Param) {
        if self.raw(param.name).is_none() {
            return;
        }
        match param.shape {
            Shape::Identifier => drop(self.identifier(param.name)),
            Shape::ClusterIdOrArn => {}
            Shape::Region => drop(self.region(param.name)),
            Shape::Bool => drop(self.flag(param.name)),
            Shape::Integer { min, max } => drop(self.integer(param.name, min, max)),
            Shape::IntegerOf(allowed) => drop(self.integer_of(param.name, allowed)),
            Shape::InstanceClass => drop(self.instance_class(param.name)),
            Shape::Engine => drop(self.engine(param.name)),
            Shape::SecurityGroupIds => drop(self.security_groups(param.name)),
            Shape::Text => drop(self.text(param.name)),
            Shape::BackupWindow => drop(self.backup_window(param.name)),
            Shape::SubnetGroup => drop(self.subnet_group(param.name)),
            Shape::CacheGroupId => drop(self.cache_group(param.name)),
            Shape::SnapshotId => drop(self.snapshot_id(param.name)),
            Shape::Time => drop(self.time(param.name)),
        }
    }
}

/// The second pass: every reference looked up, every value checked by shape and region.
/// `home` is where the machine runs; an action on a global database acts in this region.
pub fn resolve_payload(
    payload: &DrPayload,
    lookups: &Lookups,
    home: &Home,
) -> Result<Vec<(u32, Vec<DrResource>)>, InvalidInput> {
    let mut problems = Vec::new();
    let mut layers = Vec::new();
    for (layer, resources) in &payload.layers {
        let mut resolved_layer = Vec::new();
        for resource in resources {
            let at = format!("layer {layer} ({:?})", shown(&resource.resource_name));
            let mut values = BTreeMap::new();
            for (name, source) in &resource.parameters {
                let found = match source {
                    ValueSource::Literal(text) => Some(text.clone()),
                    ValueSource::Import(export) => {
                        lookups.exports.get(export).cloned().or_else(|| {
                            problems.push(format!(
                                "{at}: {name} {source}: no export of that name in {}",
                                home.region
                            ));
                            None
                        })
                    }
                    ValueSource::Ssm(parameter) => {
                        lookups.ssm.get(parameter).cloned().or_else(|| {
                            problems.push(format!(
                                "{at}: {name} {source}: no SSM parameter of that name in {}",
                                home.region
                            ));
                            None
                        })
                    }
                };
                if let Some(found) = found {
                    values.insert(name.clone(), found);
                }
            }
            if let Some(action) = resource_action(resource, &values, &at, home, &mut problems) {
                resolved_layer.push(DrResource {
                    layer: *layer,
                    resource_type: resource.resource_type,
                    resource_name: resource.resource_name.clone(),
                    parameters: values,
                    resource_key: action.resource_key(),
                    action,
                });
            }
        }
        layers.push((*layer, resolved_layer));
    }
    let all: Vec<&DrResource> = layers.iter().flat_map(|(_, r)| r).collect();
    for (i, resource) in all.iter().enumerate() {
        let key = &resource.resource_key;
        if let Some(first) = all[..i].iter().find(|r| r.resource_key == *key) {
            problems.push(format!(
                "layer {} ({:?}): acts on {} as {:?} does",
                resource.layer,
                shown(&resource.resource_name),
                resource.action.target_words(),
                shown(&first.resource_name)
            ));
        }
    }
    if problems.is_empty() {
        Ok(layers)
    } else {
        Err(refusal(problems))
    }
}

impl DrAction {
    /// A move of a global database's writer: how, the global cluster, the target.
    pub fn switch(&self) -> Option<(GlobalSwitch, &str, &ClusterRef)> {
        match self {
            DrAction::Switchover {
                global_cluster_id,
                target,
            } => Some((GlobalSwitch::Switchover, global_cluster_id, target)),
            DrAction::GlobalFailover {
                global_cluster_id,
                target,
            } => Some((
                GlobalSwitch::FailoverAllowingDataLoss,
                global_cluster_id,
                target,
            )),
            DrAction::CreateSecondary(_)
            | DrAction::CreateReplica(_)
            | DrAction::PromoteReplica { .. }
            | DrAction::CacheFailover { .. }
            | DrAction::PromoteReplicaCluster { .. }
            | DrAction::RestoreCluster(_)
            | DrAction::RestoreInstance(_) => None,
        }
    }

    /// The key of the resource's lease and ledger records: a global database by its
    /// identifier, an RDS instance as `instance/<identifier>`, a replica cluster as
    /// `cluster/<identifier>`, a global datastore as `cache/<identifier>` (`/` cannot
    /// occur in an identifier, so they never meet).
    pub fn resource_key(&self) -> String {
        match self {
            DrAction::Switchover {
                global_cluster_id, ..
            }
            | DrAction::GlobalFailover {
                global_cluster_id, ..
            } => global_cluster_id.clone(),
            DrAction::CreateSecondary(spec) => spec.global_cluster_id.clone(),
            DrAction::PromoteReplica { instance_id, .. } => {
                format!("{INSTANCE_KEY_PREFIX}{instance_id}")
            }
            DrAction::CreateReplica(spec) => format!("{INSTANCE_KEY_PREFIX}{}", spec.instance_id),
            DrAction::CacheFailover {
                global_group_id, ..
            } => format!("{CACHE_KEY_PREFIX}{global_group_id}"),
            DrAction::PromoteReplicaCluster { target } => {
                format!("{CLUSTER_KEY_PREFIX}{}", target.cluster_id)
            }
            DrAction::RestoreCluster(spec) => format!("{CLUSTER_KEY_PREFIX}{}", spec.cluster_id),
            DrAction::RestoreInstance(spec) => {
                format!("{INSTANCE_KEY_PREFIX}{}", spec.instance_id)
            }
        }
    }

    /// What the action is about, in words.
    pub fn target_words(&self) -> String {
        match self {
            DrAction::PromoteReplica { instance_id, .. } => format!("instance {instance_id}"),
            DrAction::CreateReplica(spec) => format!("instance {}", spec.instance_id),
            DrAction::CacheFailover {
                global_group_id, ..
            } => format!("global datastore {global_group_id}"),
            DrAction::PromoteReplicaCluster { target } => format!("cluster {}", target.cluster_id),
            DrAction::RestoreCluster(spec) => format!("cluster {}", spec.cluster_id),
            DrAction::RestoreInstance(spec) => format!("instance {}", spec.instance_id),
            _ => format!("global cluster {}", self.resource_key()),
        }
    }
}

/// A DB subnet group name: 1 to 255 letters, digits, spaces, `.`, `_` or `-`.
pub fn is_subnet_group(raw: &str) -> bool {
    (1..=255).contains(&raw.len())
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '_' | '-'))
}

/// `hh24:mi-hh24:mi`, as RDS writes backup windows.
pub fn is_backup_window(raw: &str) -> bool {
    // Two digits, a colon, two digits ("+1:00" parses as a number, so the digits are
    // checked one by one).
    let time = |t: &str| {
        let b = t.as_bytes();
        b.len() == 5
            && b[2] == b':'
            && [0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit())
            && t[..2].parse::<u8>().is_ok_and(|h| h < 24)
            && t[3..].parse::<u8>().is_ok_and(|m| m < 60)
    };
    raw.split_once('-')
        .is_some_and(|(from, to)| time(from) && time(to))
}

/// The resource key of an RDS instance: this prefix, then its identifier.
pub const INSTANCE_KEY_PREFIX: &str = "instance/";
/// The resource key of an Aurora cluster promoted from a cross-region replica.
pub const CLUSTER_KEY_PREFIX: &str = "cluster/";
/// The resource key of an ElastiCache global datastore.
pub const CACHE_KEY_PREFIX: &str = "cache/";

/// Whether `key` is a resource key this version makes: a global cluster's identifier, an
/// instance's or a cluster's with its prefix, or a global datastore's.
pub fn valid_resource_key(key: &str) -> bool {
    if let Some(id) = key.strip_prefix(CACHE_KEY_PREFIX) {
        return is_cache_group_id(id);
    }
    let id = key
        .strip_prefix(INSTANCE_KEY_PREFIX)
        .or_else(|| key.strip_prefix(CLUSTER_KEY_PREFIX))
        .unwrap_or(key);
    validate_identifier(id).as_deref() == Ok(id)
}

/// A DB or cluster snapshot identifier or ARN as RDS and AWS Backup name them: letters,
/// digits, `-` and `:` (`awsbackup:job-...`, `rds:orders-2026-11-30-05-00`), at most
/// 1024 characters.
pub fn is_snapshot_id(raw: &str) -> bool {
    (1..=1024).contains(&raw.len())
        && raw.starts_with(|c: char| c.is_ascii_alphabetic())
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | ':'))
}

/// An ElastiCache replication group or global datastore identifier: letters, digits and
/// single hyphens, starting with a letter, not ending with a hyphen (ElastiCache's rule;
/// a global datastore's identifier is its suffix behind a prefix AWS adds, same letters).
pub fn is_cache_group_id(raw: &str) -> bool {
    (1..=255).contains(&raw.len())
        && raw.starts_with(|c: char| c.is_ascii_alphabetic())
        && !raw.ends_with('-')
        && !raw.contains("--")
        && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn resource_action(
    resource: &PayloadResource,
    values: &BTreeMap<String, String>,
    at: &str,
    home: &Home,
    problems: &mut Vec<String>,
) -> Option<DrAction> {
    let before = problems.len();
    let mut v = Values {
        values,
        at,
        home,
        problems,
    };
    for param in &resource.resource_type.parameters() {
        v.check(param);
    }
    let action = match resource.resource_type {
        ResourceType::PlannedFailoverAurora | ResourceType::UnPlannedFailoverAurora => {
            if let Some(region) = v.raw("ClusterRegion").filter(|r| **r != home.region) {
                let why = format!(
                    "is {region}, but this run is in {}: run the payload from that region's stack",
                    home.region
                );
                v.problem("ClusterRegion", why);
            }
            let global_cluster_id = v.identifier("GlobalClusterIdentifier");
            let target = v.local_cluster("DBClusterIdentifier");
            match (global_cluster_id, target) {
                (Some(global_cluster_id), Some(target))
                    if resource.resource_type == ResourceType::PlannedFailoverAurora =>
                {
                    Some(DrAction::Switchover {
                        global_cluster_id,
                        target,
                    })
                }
                (Some(global_cluster_id), Some(target)) => Some(DrAction::GlobalFailover {
                    global_cluster_id,
                    target,
                }),
                _ => None,
            }
        }
        ResourceType::CreateAuroraSecondaryDbCluster => {
            secondary_spec(&mut v).map(|spec| DrAction::CreateSecondary(Box::new(spec)))
        }
        ResourceType::CreateRdsReadReplica => {
            replica_spec(&mut v).map(|spec| DrAction::CreateReplica(Box::new(spec)))
        }
        ResourceType::FailoverElastiCacheCluster => {
            if let Some(region) = v.region("TargetRegion").filter(|r| *r != home.region) {
                let why = format!(
                    "is {region}, but this run is in {}: a global datastore fails over to the region whose stack runs the payload",
                    home.region
                );
                v.problem("TargetRegion", why);
            }
            match (
                v.cache_group("GlobalReplicationGroupId"),
                v.cache_group("TargetReplicationGroupId"),
            ) {
                (Some(global_group_id), Some(target_group_id)) => Some(DrAction::CacheFailover {
                    global_group_id,
                    target_group_id,
                }),
                _ => None,
            }
        }
        ResourceType::PromoteAuroraReadReplicaCluster => v
            .local_cluster("DBClusterIdentifier")
            .map(|target| DrAction::PromoteReplicaCluster { target }),
        ResourceType::RestoreAuroraClusterFromSnapshot => {
            let source =
                v.snapshot_source("SourceDBClusterIdentifier", "DBClusterSnapshotIdentifier");
            let engine = v.engine("Engine");
            source.and_then(|source| cluster_restore_spec(&mut v, source, engine))
        }
        ResourceType::RestoreAuroraClusterToPointInTime => {
            let source = v.point_in_time();
            source.and_then(|source| cluster_restore_spec(&mut v, source, None))
        }
        ResourceType::RestoreRdsInstanceFromSnapshot => {
            let source = v.snapshot_source("SourceDBInstanceIdentifier", "DBSnapshotIdentifier");
            source.and_then(|source| instance_restore_spec(&mut v, source))
        }
        ResourceType::PromoteRdsReadReplica => {
            let backup_retention_period = v.integer("BackupRetentionPeriod", 0, 35);
            let preferred_backup_window = v.backup_window("PreferredBackupWindow");
            v.identifier("RDSInstanceIdentifier")
                .map(|instance_id| DrAction::PromoteReplica {
                    instance_id,
                    backup_retention_period,
                    preferred_backup_window,
                })
        }
    };
    if problems.len() > before {
        None
    } else {
        action
    }
}

fn cluster_restore_spec(
    v: &mut Values<'_>,
    source: RestoreSource,
    engine: Option<String>,
) -> Option<DrAction> {
    let spec = ClusterRestoreSpec {
        cluster_id: v.identifier("DBClusterIdentifier")?,
        source,
        engine,
        engine_version: v.raw("EngineVersion").map(str::to_string),
        subnet_group: v.subnet_group("DBSubnetGroupName")?,
        security_group_ids: v.security_groups("VpcSecurityGroupIds")?,
        kms_key_id: v.raw("KmsKeyId").map(str::to_string),
        cluster_parameter_group: v.identifier("DBClusterParameterGroupName"),
        instance_id: v.identifier("DBInstanceIdentifier")?,
        instance_class: v.instance_class("DBInstanceClass")?,
        reader_count: v.integer("ReaderCount", 0, 15).unwrap_or(0),
        instance_parameter_group: v.identifier("DBParameterGroupName"),
        port: v.integer("Port", 1150, 65535),
        deletion_protection: v.flag("DeletionProtection"),
        iam_database_authentication: v.flag("EnableIAMDatabaseAuthentication"),
        copy_tags_to_snapshot: v.flag("CopyTagsToSnapshot"),
    };
    // The readers' identifiers are the writer's with `-rN`: they must be identifiers too.
    if let Some(last) = spec.instance_ids().last() {
        if validate_identifier(last).as_deref() != Ok(last.as_str()) {
            let why = format!(
                "{:?} is too long to name {} readers after it ({last})",
                spec.instance_id, spec.reader_count
            );
            v.problem("DBInstanceIdentifier", why);
            return None;
        }
    }
    Some(DrAction::RestoreCluster(Box::new(spec)))
}

fn instance_restore_spec(v: &mut Values<'_>, source: RestoreSource) -> Option<DrAction> {
    Some(DrAction::RestoreInstance(Box::new(InstanceRestoreSpec {
        instance_id: v.identifier("DBInstanceIdentifier")?,
        source,
        instance_class: v.instance_class("DBInstanceClass")?,
        subnet_group: v.subnet_group("DBSubnetGroupName"),
        security_group_ids: v.security_groups("VpcSecurityGroupIds"),
        multi_az: v.flag("MultiAZ"),
        parameter_group: v.identifier("DBParameterGroupName"),
        port: v.integer("Port", 1150, 65535),
        deletion_protection: v.flag("DeletionProtection"),
        iam_database_authentication: v.flag("EnableIAMDatabaseAuthentication"),
        copy_tags_to_snapshot: v.flag("CopyTagsToSnapshot"),
    })))
}

fn replica_spec(v: &mut Values<'_>) -> Option<ReplicaSpec> {
    let source_region = v.region("SourceRegion")?;
    if source_region == v.home.region {
        let why = format!(
            "is {source_region}, this run's own region: the replica is made in this region from an instance elsewhere"
        );
        v.problem("SourceRegion", why);
        return None;
    }
    Some(ReplicaSpec {
        instance_id: v.identifier("RDSInstanceIdentifier")?,
        source_instance_id: v.identifier("SourceRDSInstanceIdentifier")?,
        source_region,
        instance_class: v.instance_class("DBInstanceClass")?,
        multi_az: v.flag("MultiAZ"),
        subnet_group: v.subnet_group("DBSubnetGroup"),
        security_group_ids: v.security_groups("DBSecurityGroup"),
        kms_key_id: v.raw("KmsKeyId").map(str::to_string),
        auto_minor_version_upgrade: v.flag("AutoMinorVersionUpgrade"),
        port: v.integer("Port", 1150, 65535),
        copy_tags_to_snapshot: v.flag("CopyTagsToSnapshot"),
        monitoring_interval: v.integer_of("MonitoringInterval", &[0, 1, 5, 10, 15, 30, 60]),
        monitoring_role_arn: v.raw("MonitoringRoleArn").map(str::to_string),
        iam_database_authentication: v.flag("EnableIAMDatabaseAuthentication"),
        parameter_group: v.identifier("DBParameterGroupName"),
    })
}

fn secondary_spec(v: &mut Values<'_>) -> Option<SecondaryClusterSpec> {
    let source_region = v.region("SourceRegion")?;
    if source_region == v.home.region {
        let why = format!(
            "is {source_region}, this run's own region: the secondary is made in this region from a primary elsewhere"
        );
        v.problem("SourceRegion", why);
        return None;
    }
    let source_cluster = match v.raw("SourceDBClusterIdentifier").map(str::to_string) {
        Some(raw) => Some(v.cluster(
            "SourceDBClusterIdentifier",
            &raw,
            Some(source_region.clone()),
        )?),
        None => None,
    };
    Some(SecondaryClusterSpec {
        global_cluster_id: v.identifier("GlobalClusterIdentifier")?,
        source_region,
        source_cluster,
        cluster_id: v.identifier("DBClusterName")?,
        subnet_group: v.subnet_group("DBSubnetGroupName")?,
        security_group_ids: v.security_groups("VpcSecurityGroupIds")?,
        engine: v.engine("Engine")?,
        engine_version: v.text("EngineVersion")?,
        kms_key_id: v.raw("KmsKeyId").map(str::to_string),
        storage_encrypted: v.flag("StorageEncrypted"),
        iam_database_authentication: v.flag("EnableIAMDatabaseAuthentication"),
        deletion_protection: v.flag("DeletionProtection"),
        backup_retention_period: v.integer("BackupRetentionPeriod", 1, 35),
        copy_tags_to_snapshot: v.flag("CopyTagsToSnapshot"),
        port: v.integer("Port", 1150, 65535),
        instance_id: v.identifier("DBInstanceIdentifier")?,
        instance_class: v.instance_class("DBInstanceClass")?,
        monitoring_interval: v.integer_of("MonitoringInterval", &[0, 1, 5, 10, 15, 30, 60]),
        monitoring_role_arn: v.raw("MonitoringRoleArn").map(str::to_string),
        auto_minor_version_upgrade: v.flag("AutoMinorVersionUpgrade"),
    })
}

#[cfg(test)]
mod tests;
