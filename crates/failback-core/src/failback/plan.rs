//! The restore plan: a pure function from what the cluster looks like to what to do.

use serde::{Deserialize, Serialize};

use crate::class_rank::{class_capacity, has_at_least};
use crate::identifier::replacement_instance_id;
use crate::model::{
    instance_health, ClusterView, InstanceHealth, MemberView, Placement, SETTLING_CLUSTER_STATUSES,
    TAG_ENABLED, TAG_SCALE_OLD_WRITER, TAG_WRITER_CLASS,
};
use crate::trigger::{valid_writer_class, RunRequest, ScaleMethod};

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
    /// After the failover, change the old writer (`writer_instance_id`) to the desired
    /// class too, at promotion tier 1: the input's `scaleOldWriter` or the cluster's
    /// `aurora-failback:scale-old-writer` tag.
    #[serde(default)]
    pub scale_old_writer: bool,
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

impl ClassSource {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Input => "from the run's input",
            Self::Tag => "from the aurora-failback:writer-class tag",
            Self::LargestMember => "the largest member's class",
        }
    }
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
    /// Change a reader that can be spared to the desired class in place
    /// (ModifyDBInstance, ApplyImmediately), wait until it is available with that class,
    /// fail over to it: one failover, nothing created.
    #[serde(rename_all = "camelCase")]
    Modify {
        target_instance_id: String,
        /// The reader's class before the change.
        target_class: String,
        /// The same reader, and no zone: the fields the create path's step reads too,
        /// so one Task serves both.
        reference_instance_id: String,
        availability_zone: Option<String>,
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
    /// Not tagged `aurora-failback:enabled=true` (and, for a manual run, the deployment
    /// does not allow manual runs on untagged clusters).
    NotOptedIn,
    NotAuroraProvisioned,
    ServerlessWriter,
    ClusterNotAvailable,
    GlobalSecondary,
    NoWriter,
    UnknownWriterClass,
    /// The failover event is older than the deployment's limit (a replay).
    StaleEvent,
    /// The cluster already has as many instances as Aurora allows; one more cannot be added.
    ClusterFull,
    /// AWS does not sell the desired class for the cluster's engine and version (or zone).
    ClassNotOrderable,
}

/// What the deployment allows: the plan's inputs besides the cluster, the request and
/// the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanPolicy {
    /// Failover events older than this are not acted on.
    pub max_event_age_seconds: u64,
    /// Whether a manual run may act on a cluster without the opt-in tag (the deployed
    /// IAM policy is widened to match).
    pub allow_untagged_manual_runs: bool,
}

impl PlanPolicy {
    pub const DEFAULT_MAX_EVENT_AGE_SECONDS: u64 = 1800;
}

impl Default for PlanPolicy {
    fn default() -> Self {
        Self {
            max_event_age_seconds: Self::DEFAULT_MAX_EVENT_AGE_SECONDS,
            allow_untagged_manual_runs: false,
        }
    }
}

/// Aurora allows a writer and up to 15 Aurora Replicas in a cluster (Aurora User Guide,
/// "Aurora Replicas"), so 16 instances at most.
pub const MAX_CLUSTER_INSTANCES: usize = 16;

/// The cluster is in the middle of something (failing over, modifying); planning now
/// would read a state that is about to change, so the step fails with a retryable error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cluster {cluster_id} is {status}; the plan waits until it settles")]
pub struct ClusterBusy {
    pub cluster_id: String,
    pub status: String,
}

/// Whether the run may touch this cluster at all, before any question of classes: the
/// event is fresh at `now` (epoch seconds), the cluster is opted in, Aurora provisioned,
/// settled, available, and has a provisioned writer. `Err` for a cluster that is busy (retry later).
pub fn may_touch<'a>(
    cluster: &'a ClusterView,
    request: &RunRequest,
    policy: &PlanPolicy,
    now: f64,
) -> Result<Result<&'a MemberView, (SkipReason, String)>, ClusterBusy> {
    let id = &cluster.cluster_id;
    if let Some(sent) = request.event_time {
        let age = now - sent;
        if age > policy.max_event_age_seconds as f64 {
            return Ok(Err((
                SkipReason::StaleEvent,
                format!(
                    "the failover event is {} s old, older than the {} s this deployment acts on; start a run by hand if the cluster still needs one",
                    age.round(),
                    policy.max_event_age_seconds
                ),
            )));
        }
    }
    if !cluster.may_change(request.is_manual() && policy.allow_untagged_manual_runs) {
        let why = if request.is_manual() {
            format!(
                "cluster {id} does not carry the tag {TAG_ENABLED}=true, and this deployment allows manual runs only on opted-in clusters; opt it in with: aurora-failback enable {id}"
            )
        } else {
            format!("cluster {id} does not carry the tag {TAG_ENABLED}=true; opt it in with: aurora-failback enable {id}")
        };
        return Ok(Err((SkipReason::NotOptedIn, why)));
    }
    let provisioned = matches!(cluster.engine_mode.as_deref(), None | Some("provisioned"));
    if !cluster.engine.starts_with("aurora") || !provisioned {
        return Ok(Err((
            SkipReason::NotAuroraProvisioned,
            format!(
                "cluster {id} is {} ({}), not an Aurora provisioned cluster",
                cluster.engine,
                cluster.engine_mode.as_deref().unwrap_or("provisioned")
            ),
        )));
    }
    if SETTLING_CLUSTER_STATUSES.contains(&cluster.status.as_str()) {
        return Err(ClusterBusy {
            cluster_id: id.clone(),
            status: cluster.status.clone(),
        });
    }
    if cluster.status != "available" {
        return Ok(Err((
            SkipReason::ClusterNotAvailable,
            format!("cluster {id} is {}, not available", cluster.status),
        )));
    }
    let Some(writer) = cluster.writer() else {
        return Ok(Err(match &cluster.global_cluster_id {
            Some(global) => (
                SkipReason::GlobalSecondary,
                format!("cluster {id} is a secondary cluster of global database {global}; it has no writer to restore"),
            ),
            None => (SkipReason::NoWriter, format!("cluster {id} has no writer instance")),
        }));
    };
    if writer.class == "db.serverless" {
        return Ok(Err((
            SkipReason::ServerlessWriter,
            format!(
                "writer {} is db.serverless; its capacity scales by itself",
                writer.instance_id
            ),
        )));
    }
    Ok(Ok(writer))
}

/// Decides what a run does to a cluster. `run_name` names the instance a `create`
/// would make, so the same run always plans the same name.
pub fn plan_restore(
    cluster: &ClusterView,
    request: &RunRequest,
    run_name: &str,
    policy: &PlanPolicy,
    now: f64,
) -> Result<Plan, ClusterBusy> {
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
        scale_old_writer: request.scale_old_writer
            || cluster
                .tags
                .get(TAG_SCALE_OLD_WRITER)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
    };
    let writer = match may_touch(cluster, request, policy, now)? {
        Ok(writer) => writer,
        Err((reason, why)) => return Ok(plan.skip(reason, why)),
    };

    let (desired, source) = match desired_class(cluster, request) {
        Ok(found) => found,
        Err(why) => return Ok(plan.skip(SkipReason::UnknownWriterClass, why)),
    };
    plan.desired_class = Some(desired.clone());
    plan.desired_class_source = Some(source);
    if class_capacity(&desired).is_none() {
        let why = format!(
            "desired writer class {desired:?} ({}) has no size to compare",
            source.describe()
        );
        return Ok(plan.skip(SkipReason::UnknownWriterClass, why));
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
    let modify_wanted = match request.method {
        Some(method) => method == ScaleMethod::Modify,
        // A person asking for a class is planned work: change a spare reader rather than
        // pay for a new instance, unless they named a zone (a reader keeps its own). After
        // a failover event, create, as the workflow always has.
        None => request.is_manual() && request.availability_zone.is_none(),
    };
    let spare = spare_reader(cluster, writer);
    if let (true, Some(reader)) = (modify_wanted, spare) {
        plan.summary = format!(
            "writer {} is {} and no reader is {desired}: change reader {} ({}) to {desired} in place (the cluster keeps {} other reader(s)), then fail over to it",
            writer.instance_id,
            writer.class,
            reader.instance_id,
            reader.class,
            cluster.members.iter().filter(|m| !m.is_writer).count() - 1
        );
        plan.action = Action::Modify {
            target_instance_id: reader.instance_id.clone(),
            target_class: reader.class.clone(),
            reference_instance_id: reader.instance_id.clone(),
            availability_zone: None,
        };
        return Ok(plan);
    }
    // Why not modify, when a person asked for it: said in the summary of the create.
    let not_modified = match (request.method, spare) {
        (Some(ScaleMethod::Modify), None) => {
            " (no reader can be spared: changing one must leave the cluster another reader, so a new one is created)"
        }
        _ => "",
    };
    if cluster.members.len() >= MAX_CLUSTER_INSTANCES {
        let why = format!(
            "cluster {} has {} instances, the most Aurora allows, and none is {desired}; remove a reader so a {desired} one can be added",
            cluster.cluster_id,
            cluster.members.len()
        );
        return Ok(plan.skip(SkipReason::ClusterFull, why));
    }
    let reference = reference_instance(cluster, &desired, writer);
    let target_instance_id = replacement_instance_id(&cluster.cluster_id, run_name);
    let availability_zone = request
        .availability_zone
        .clone()
        .or_else(|| writer.availability_zone.clone());
    plan.summary = format!(
        "writer {} is {} and no reader is {desired}: create {target_instance_id} ({desired}, tier 0, configured like {}) in {}, then fail over to it{not_modified}",
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

impl Plan {
    fn skip(mut self, reason: SkipReason, why: String) -> Self {
        self.action = Action::Skip { reason };
        self.summary = why;
        self
    }

    /// The plan, turned into a skip because AWS does not sell the class it would create.
    pub fn not_orderable(self, why: String) -> Self {
        self.skip(SkipReason::ClassNotOrderable, why)
    }

    /// The class AWS must sell before the run acts, and the zone it must sell it in: the
    /// class a create would make, or one a person or a tag named for a failback. (A class
    /// only read off a member exists already.)
    pub fn class_to_order(&self) -> Option<(String, Option<String>)> {
        let named = matches!(
            self.desired_class_source,
            Some(ClassSource::Input) | Some(ClassSource::Tag)
        );
        let zone = match &self.action {
            Action::Create {
                availability_zone, ..
            } => availability_zone.clone(),
            Action::Failback { .. } if named => None,
            Action::Modify { .. } => None,
            _ => return None,
        };
        self.desired_class.clone().map(|class| (class, zone))
    }
}

/// The placements a creation tries, in order, at most once each: the desired class in
/// the planned zone (`None` lets AWS choose), then in the zones where the cluster's
/// instances are, then in the other zones of its DB subnet group (where it may also
/// place instances); then each fallback class in the same order. Placements the run has
/// already asked for (`tried`) are left out.
pub fn capacity_candidates(
    desired: &str,
    planned_zone: Option<&str>,
    member_zones: &[String],
    subnet_group_zones: &[String],
    fallback_classes: &[String],
    tried: &[Placement],
) -> Vec<Placement> {
    let mut members: Vec<&String> = member_zones.iter().collect();
    members.sort();
    let mut others: Vec<&String> = subnet_group_zones.iter().collect();
    others.sort();
    let mut zones: Vec<Option<&str>> = vec![planned_zone];
    for zone in members.into_iter().chain(others) {
        if !zones.contains(&Some(zone.as_str())) {
            zones.push(Some(zone.as_str()));
        }
    }
    let mut candidates: Vec<Placement> = Vec::new();
    for class in std::iter::once(desired).chain(fallback_classes.iter().map(String::as_str)) {
        for zone in &zones {
            let placement = Placement::new(class, *zone);
            if !candidates.contains(&placement) && !tried.contains(&placement) {
                candidates.push(placement);
            }
        }
    }
    candidates
}

/// The fallback classes a cluster's tag allows: valid classes, in the tag's order, none
/// smaller than the current writer (a fallback must never shrink the writer); the
/// refused ones with why.
pub fn fallback_classes(tag: Option<&str>, writer_class: &str) -> (Vec<String>, Vec<String>) {
    let mut allowed = Vec::new();
    let mut refused = Vec::new();
    for raw in tag
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .take(8)
    {
        match valid_writer_class(raw, "a fallback class") {
            Ok(class) if has_at_least(&class, writer_class) => {
                if !allowed.contains(&class) {
                    allowed.push(class);
                }
            }
            Ok(class) => refused.push(format!(
                "{class} is smaller than the writer's {writer_class}"
            )),
            Err(e) => refused.push(e.0),
        }
    }
    (allowed, refused)
}

/// Why the run may not act on `class` (in `zone`), given the zones that
/// DescribeOrderableDBInstanceOptions lists for it (an empty list is AWS's "not
/// orderable"); `None` where AWS sells it there. `engine` names engine and version.
pub fn not_orderable_reason(
    class: &str,
    engine: &str,
    zones: &[String],
    zone: Option<&str>,
) -> Option<String> {
    if zones.is_empty() {
        return Some(format!("{class} is not orderable for {engine}"));
    }
    zone.filter(|z| !zones.iter().any(|offered| offered == z))
        .map(|z| {
            format!(
                "{class} is not offered in {z} for {engine}; it is in {}",
                zones.join(", ")
            )
        })
}

/// The class the writer should have, and where that came from; `Err` says why the
/// named class cannot be used (a tag typed by hand, for instance).
fn desired_class(
    cluster: &ClusterView,
    request: &RunRequest,
) -> Result<(String, ClassSource), String> {
    if let Some(class) = &request.writer_class {
        // Checked by the trigger already; checked again so the plan never trusts its caller.
        return valid_writer_class(class, "the input's writerClass")
            .map(|c| (c, ClassSource::Input))
            .map_err(|e| e.0);
    }
    if let Some(class) = cluster.tags.get(TAG_WRITER_CLASS) {
        return valid_writer_class(class.trim(), &format!("the {TAG_WRITER_CLASS} tag"))
            .map(|c| (c, ClassSource::Tag))
            .map_err(|e| e.0);
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
    Ok((class, ClassSource::LargestMember))
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

/// A reader that can be changed to the desired class in place: available, and not the
/// only reader (the cluster keeps another to fail over to while it is modified). The
/// largest such reader, then the first in promotion order.
fn spare_reader<'a>(cluster: &'a ClusterView, writer: &MemberView) -> Option<&'a MemberView> {
    let readers: Vec<&MemberView> = cluster
        .members
        .iter()
        .filter(|m| m.instance_id != writer.instance_id && !m.is_writer)
        .collect();
    if readers.len() < 2 {
        return None;
    }
    readers
        .into_iter()
        .filter(|m| instance_health(&m.status) == InstanceHealth::Available)
        .max_by_key(|m| {
            (
                class_capacity(&m.class),
                std::cmp::Reverse(m.promotion_tier),
                std::cmp::Reverse(m.instance_id.clone()),
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
mod tests;
