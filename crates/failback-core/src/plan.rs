//! The restore plan: a pure function from what the cluster looks like to what to do.

use serde::{Deserialize, Serialize};

use crate::class_rank::{class_capacity, has_at_least};
use crate::identifier::replacement_instance_id;
use crate::model::{
    instance_health, ClusterView, InstanceHealth, MemberView, SETTLING_CLUSTER_STATUSES,
    TAG_WRITER_CLASS,
};
use crate::trigger::RunRequest;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub cluster_id: String,
    pub dry_run: bool,
    pub writer_instance_id: Option<String>,
    pub writer_class: Option<String>,
    pub desired_class: Option<String>,
    pub desired_class_source: Option<ClassSource>,
    #[serde(flatten)]
    pub action: Action,
    /// One sentence a person reads in the ledger or the CLI.
    pub summary: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClassSource {
    /// The run's input named it.
    Input,
    /// The cluster's `aurora-failback:writer-class` tag.
    Tag,
    /// The largest class among the cluster's instances.
    LargestMember,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// The writer already has at least the desired class.
    None,
    /// A reader of the desired class exists: fail over to it, create nothing.
    #[serde(rename_all = "camelCase")]
    Failback {
        target_instance_id: String,
        target_status: String,
    },
    /// Create a reader of the desired class, wait for it, fail over to it.
    #[serde(rename_all = "camelCase")]
    Create {
        target_instance_id: String,
        reference_instance_id: String,
        availability_zone: Option<String>,
    },
    /// Must not be touched.
    Skip { reason: SkipReason },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    NotOptedIn,
    NotAuroraProvisioned,
    ServerlessWriter,
    ClusterNotAvailable,
    GlobalSecondary,
    NoWriter,
    TooFewInstances,
    UnknownWriterClass,
}

/// The cluster is in the middle of something (failing over, modifying); planning now
/// would read a state that is about to change, so the step fails with a retryable error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cluster {cluster_id} is {status}; the plan waits until it settles")]
pub struct ClusterSettling {
    pub cluster_id: String,
    pub status: String,
}

/// Decides what a run does to a cluster. `run_name` names the instance a `create`
/// would make, so the same run always plans the same name.
pub fn plan_restore(
    cluster: &ClusterView,
    request: &RunRequest,
    run_name: &str,
) -> Result<Plan, ClusterSettling> {
    let writer = cluster.writer();
    let mut plan = Plan {
        cluster_id: cluster.cluster_id.clone(),
        dry_run: request.dry_run,
        writer_instance_id: writer.map(|w| w.instance_id.clone()),
        writer_class: writer.map(|w| w.class.clone()),
        desired_class: None,
        desired_class_source: None,
        action: Action::None,
        summary: String::new(),
    };
    let skip = |mut plan: Plan, reason: SkipReason, why: String| {
        plan.action = Action::Skip { reason };
        plan.summary = why;
        Ok(plan)
    };

    if !cluster.is_opted_in() && !request.is_manual() {
        return skip(
            plan,
            SkipReason::NotOptedIn,
            format!(
                "cluster {} does not carry the tag aurora-failback:enabled=true",
                cluster.cluster_id
            ),
        );
    }
    let provisioned = matches!(cluster.engine_mode.as_deref(), None | Some("provisioned"));
    if !cluster.engine.starts_with("aurora") || !provisioned {
        return skip(
            plan,
            SkipReason::NotAuroraProvisioned,
            format!(
                "cluster {} is {} ({}), not an Aurora provisioned cluster",
                cluster.cluster_id,
                cluster.engine,
                cluster.engine_mode.as_deref().unwrap_or("provisioned")
            ),
        );
    }
    if SETTLING_CLUSTER_STATUSES.contains(&cluster.status.as_str()) {
        return Err(ClusterSettling {
            cluster_id: cluster.cluster_id.clone(),
            status: cluster.status.clone(),
        });
    }
    if cluster.status != "available" {
        return skip(
            plan,
            SkipReason::ClusterNotAvailable,
            format!(
                "cluster {} is {}, not available",
                cluster.cluster_id, cluster.status
            ),
        );
    }
    let Some(writer) = writer else {
        return if cluster.global_cluster_id.is_some() {
            skip(plan, SkipReason::GlobalSecondary, format!(
                "cluster {} is a secondary cluster of global database {}; it has no writer to restore",
                cluster.cluster_id, cluster.global_cluster_id.as_deref().unwrap_or_default()
            ))
        } else {
            skip(
                plan,
                SkipReason::NoWriter,
                format!("cluster {} has no writer instance", cluster.cluster_id),
            )
        };
    };
    if writer.class == "db.serverless" {
        return skip(
            plan,
            SkipReason::ServerlessWriter,
            format!(
                "writer {} is db.serverless; its capacity scales by itself",
                writer.instance_id
            ),
        );
    }
    if cluster.members.len() < 2 {
        return skip(
            plan,
            SkipReason::TooFewInstances,
            format!(
                "cluster {} has one instance; a failover needs a reader to move to",
                cluster.cluster_id
            ),
        );
    }

    let (desired, source) = desired_class(cluster, request);
    plan.desired_class = Some(desired.clone());
    plan.desired_class_source = Some(source);
    if class_capacity(&desired).is_none() {
        return skip(plan, SkipReason::UnknownWriterClass, format!(
            "desired writer class {desired:?} (from the {TAG_WRITER_CLASS} tag) is not an instance class"
        ));
    }
    if has_at_least(&writer.class, &desired) {
        plan.summary = format!(
            "writer {} is {}, at least {desired}: nothing to do",
            writer.instance_id, writer.class
        );
        return Ok(plan);
    }
    if let Some(target) = failback_target(cluster, &desired) {
        plan.summary = format!(
            "writer {} is {}; fail over to reader {} ({}, {})",
            writer.instance_id, writer.class, target.instance_id, target.class, target.status
        );
        plan.action = Action::Failback {
            target_instance_id: target.instance_id.clone(),
            target_status: target.status.clone(),
        };
        return Ok(plan);
    }
    let reference = reference_instance(cluster, &desired, writer);
    let target_instance_id = replacement_instance_id(&cluster.cluster_id, run_name);
    let availability_zone = request
        .availability_zone
        .clone()
        .or_else(|| writer.availability_zone.clone());
    plan.summary = format!(
        "writer {} is {} and no reader is {desired}: create {target_instance_id} ({desired}, tier 0, configured like {}) in {}, then fail over to it",
        writer.instance_id, writer.class, reference.instance_id,
        availability_zone.as_deref().unwrap_or("any zone")
    );
    plan.action = Action::Create {
        target_instance_id,
        reference_instance_id: reference.instance_id.clone(),
        availability_zone,
    };
    Ok(plan)
}

fn desired_class(cluster: &ClusterView, request: &RunRequest) -> (String, ClassSource) {
    if let Some(class) = &request.writer_class {
        return (class.clone(), ClassSource::Input);
    }
    if let Some(class) = cluster.tags.get(TAG_WRITER_CLASS) {
        return (class.trim().to_string(), ClassSource::Tag);
    }
    let largest = cluster
        .members
        .iter()
        .filter_map(|m| class_capacity(&m.class).map(|c| (c.memory_mib, m)))
        .max_by(|(a, ma), (b, mb)| a.cmp(b).then_with(|| mb.instance_id.cmp(&ma.instance_id)))
        .map(|(_, m)| m.class.clone());
    // With no sized member at all the writer's own class is the answer: nothing to restore.
    let class = largest.unwrap_or_else(|| {
        cluster
            .writer()
            .map(|w| w.class.clone())
            .unwrap_or_default()
    });
    (class, ClassSource::LargestMember)
}

/// An existing reader with at least the desired class that is, or is on its way to
/// being, available. Prefers available ones, then the exact class, then the lowest tier.
fn failback_target<'a>(cluster: &'a ClusterView, desired: &str) -> Option<&'a MemberView> {
    cluster
        .members
        .iter()
        .filter(|m| !m.is_writer && has_at_least(&m.class, desired))
        .filter(|m| instance_health(&m.status) != InstanceHealth::Terminal)
        .min_by_key(|m| {
            (
                instance_health(&m.status) != InstanceHealth::Available,
                m.class != desired,
                m.promotion_tier,
                m.instance_id.clone(),
            )
        })
}

/// The instance whose configuration a new reader copies: one of the desired class
/// (typically the old writer, even if it failed), else the current writer.
fn reference_instance<'a>(
    cluster: &'a ClusterView,
    desired: &str,
    writer: &'a MemberView,
) -> &'a MemberView {
    cluster
        .members
        .iter()
        .find(|m| m.class == desired)
        .unwrap_or(writer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TAG_ENABLED;
    use crate::trigger::TriggerKind;

    fn member(id: &str, class: &str, status: &str, writer: bool, tier: i32) -> MemberView {
        MemberView {
            instance_id: id.into(),
            class: class.into(),
            status: status.into(),
            is_writer: writer,
            promotion_tier: tier,
            availability_zone: Some(format!("us-east-1{}", if writer { 'b' } else { 'a' })),
        }
    }

    fn cluster(members: Vec<MemberView>) -> ClusterView {
        ClusterView {
            cluster_id: "orders".into(),
            arn: None,
            engine: "aurora-postgresql".into(),
            engine_mode: Some("provisioned".into()),
            status: "available".into(),
            global_cluster_id: None,
            tags: [(TAG_ENABLED.to_string(), "true".to_string())].into(),
            members,
        }
    }

    fn event() -> RunRequest {
        RunRequest {
            cluster_id: "orders".into(),
            trigger: TriggerKind::FailoverEvent {
                event_id: "RDS-EVENT-0071".into(),
            },
            dry_run: false,
            writer_class: None,
            availability_zone: None,
        }
    }

    fn manual(writer_class: Option<&str>) -> RunRequest {
        RunRequest {
            trigger: TriggerKind::Manual,
            writer_class: writer_class.map(String::from),
            ..event()
        }
    }

    /// After an unplanned failover: small new writer, the big old writer back as a reader.
    fn after_failover(old_writer_status: &str) -> ClusterView {
        cluster(vec![
            member("orders-1", "db.r6g.2xlarge", old_writer_status, false, 0),
            member("orders-2", "db.r6g.large", "available", true, 1),
            member("orders-3", "db.r6g.large", "available", false, 1),
        ])
    }

    fn action_of(result: Result<Plan, ClusterSettling>) -> Result<Action, ClusterSettling> {
        result.map(|p| p.action)
    }

    #[test]
    fn plan_table() {
        let new_id = replacement_instance_id("orders", "run-1");
        let create = |reference: &str, az: &str| Action::Create {
            target_instance_id: new_id.clone(),
            reference_instance_id: reference.into(),
            availability_zone: Some(az.into()),
        };
        let skip = |reason| Ok(Action::Skip { reason });
        let failback = |id: &str, status: &str| {
            Ok(Action::Failback {
                target_instance_id: id.into(),
                target_status: status.into(),
            })
        };
        let with = |f: &dyn Fn(&mut ClusterView)| {
            let mut c = after_failover("available");
            f(&mut c);
            c
        };
        let settling = |status: &str| {
            Err(ClusterSettling {
                cluster_id: "orders".into(),
                status: status.into(),
            })
        };

        let cases: Vec<(
            &str,
            ClusterView,
            RunRequest,
            Result<Action, ClusterSettling>,
        )> = vec![
            (
                "old writer is back as a reader",
                after_failover("available"),
                event(),
                failback("orders-1", "available"),
            ),
            (
                "old writer still rebooting: wait for it",
                after_failover("rebooting"),
                event(),
                failback("orders-1", "rebooting"),
            ),
            (
                "old writer failed: create",
                after_failover("failed"),
                event(),
                Ok(create("orders-1", "us-east-1b")),
            ),
            (
                "the workflow's own failover event",
                cluster(vec![
                    member("orders-1", "db.r6g.2xlarge", "available", true, 0),
                    member("orders-2", "db.r6g.large", "available", false, 1),
                ]),
                event(),
                Ok(Action::None),
            ),
            (
                "old writer gone, tag names the class",
                with(&|c| {
                    c.members.remove(0);
                    c.tags
                        .insert(TAG_WRITER_CLASS.into(), "db.r6g.2xlarge".into());
                }),
                event(),
                Ok(create("orders-2", "us-east-1b")),
            ),
            (
                "old writer gone, no tag: largest member is the writer",
                with(&|c| {
                    c.members.remove(0);
                }),
                event(),
                Ok(Action::None),
            ),
            (
                "input class beats the tag",
                with(&|c| {
                    c.tags
                        .insert(TAG_WRITER_CLASS.into(), "db.r6g.large".into());
                }),
                manual(Some("db.r6g.2xlarge")),
                failback("orders-1", "available"),
            ),
            (
                "tag asks for less than the writer has",
                with(&|c| {
                    c.tags
                        .insert(TAG_WRITER_CLASS.into(), "db.r6g.large".into());
                }),
                event(),
                Ok(Action::None),
            ),
            (
                "input asks for more than any member has",
                after_failover("available"),
                manual(Some("db.r6g.4xlarge")),
                Ok(create("orders-2", "us-east-1b")),
            ),
            (
                "a bigger reader also qualifies",
                with(&|c| {
                    c.members[0].class = "db.r6g.4xlarge".into();
                }),
                event(),
                failback("orders-1", "available"),
            ),
            (
                "available beats exact class",
                with(&|c| {
                    c.members[0].status = "rebooting".into();
                    c.members[2].class = "db.r6g.4xlarge".into();
                    c.tags
                        .insert(TAG_WRITER_CLASS.into(), "db.r6g.2xlarge".into());
                }),
                event(),
                failback("orders-3", "available"),
            ),
            (
                "not opted in",
                with(&|c| {
                    c.tags.clear();
                }),
                event(),
                skip(SkipReason::NotOptedIn),
            ),
            (
                "opt-in tag not true",
                with(&|c| {
                    c.tags.insert(TAG_ENABLED.into(), "no".into());
                }),
                event(),
                skip(SkipReason::NotOptedIn),
            ),
            (
                "a person named it: counts as opted in",
                with(&|c| {
                    c.tags.clear();
                }),
                manual(None),
                failback("orders-1", "available"),
            ),
            (
                "multi-AZ DB cluster, not Aurora",
                with(&|c| {
                    c.engine = "postgres".into();
                }),
                event(),
                skip(SkipReason::NotAuroraProvisioned),
            ),
            (
                "Aurora serverless v1",
                with(&|c| {
                    c.engine_mode = Some("serverless".into());
                }),
                event(),
                skip(SkipReason::NotAuroraProvisioned),
            ),
            (
                "serverless v2 writer",
                with(&|c| {
                    c.members[1].class = "db.serverless".into();
                }),
                event(),
                skip(SkipReason::ServerlessWriter),
            ),
            (
                "stopped cluster",
                with(&|c| {
                    c.status = "stopped".into();
                }),
                event(),
                skip(SkipReason::ClusterNotAvailable),
            ),
            (
                "starting cluster",
                with(&|c| {
                    c.status = "starting".into();
                }),
                event(),
                skip(SkipReason::ClusterNotAvailable),
            ),
            (
                "failing over: retry later",
                with(&|c| {
                    c.status = "failing-over".into();
                }),
                event(),
                settling("failing-over"),
            ),
            (
                "modifying: retry later",
                with(&|c| {
                    c.status = "modifying".into();
                }),
                event(),
                settling("modifying"),
            ),
            (
                "global secondary",
                with(&|c| {
                    c.global_cluster_id = Some("orders-global".into());
                    for m in &mut c.members {
                        m.is_writer = false;
                    }
                }),
                event(),
                skip(SkipReason::GlobalSecondary),
            ),
            (
                "no writer",
                with(&|c| {
                    for m in &mut c.members {
                        m.is_writer = false;
                    }
                }),
                event(),
                skip(SkipReason::NoWriter),
            ),
            (
                "single instance",
                cluster(vec![member(
                    "orders-2",
                    "db.r6g.large",
                    "available",
                    true,
                    1,
                )]),
                event(),
                skip(SkipReason::TooFewInstances),
            ),
            (
                "tag names no class",
                with(&|c| {
                    c.tags.insert(TAG_WRITER_CLASS.into(), "huge".into());
                }),
                event(),
                skip(SkipReason::UnknownWriterClass),
            ),
            (
                "input names the zone",
                after_failover("failed"),
                RunRequest {
                    availability_zone: Some("us-east-1c".into()),
                    ..manual(None)
                },
                Ok(create("orders-1", "us-east-1c")),
            ),
        ];
        for (name, cluster, request, expected) in cases {
            assert_eq!(
                action_of(plan_restore(&cluster, &request, "run-1")),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn plan_says_where_the_class_came_from_and_carries_dry_run() {
        let plan = plan_restore(
            &after_failover("available"),
            &RunRequest {
                dry_run: true,
                ..manual(None)
            },
            "r",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(plan.dry_run);
        assert_eq!(plan.desired_class.as_deref(), Some("db.r6g.2xlarge"));
        assert_eq!(plan.desired_class_source, Some(ClassSource::LargestMember));
        assert_eq!(plan.writer_instance_id.as_deref(), Some("orders-2"));
        assert!(
            plan.summary.contains("fail over to reader orders-1"),
            "{}",
            plan.summary
        );
        let json = serde_json::to_value(&plan).unwrap_or_default();
        assert_eq!(json["action"], "failback");
        assert_eq!(json["targetInstanceId"], "orders-1");
        assert_eq!(json["dryRun"], true);
        let back: Plan = serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, plan);
    }
}
