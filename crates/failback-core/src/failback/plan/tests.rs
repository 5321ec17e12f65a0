//! The plan's table tests: every kind of cluster and trigger, and what the plan does.

use super::*;
use crate::trigger::ScaleMethod;
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
        engine_version: Some("16.4".into()),
        engine_mode: Some("provisioned".into()),
        status: "available".into(),
        global_cluster_id: None,
        replication_source: None,
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
        event_time: Some(NOW - 60.0),
        method: None,
        scale_old_writer: false,
    }
}

const NOW: f64 = 1_795_230_765.0;

fn policy() -> PlanPolicy {
    PlanPolicy::default()
}

fn manual(writer_class: Option<&str>) -> RunRequest {
    RunRequest {
        trigger: TriggerKind::Manual,
        writer_class: writer_class.map(String::from),
        event_time: None,
        method: None,
        scale_old_writer: false,
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

/// The old writer is gone and the small new writer is the only instance left.
fn lone_survivor() -> ClusterView {
    let mut c = cluster(vec![member(
        "orders-2",
        "db.r6g.large",
        "available",
        true,
        1,
    )]);
    c.tags
        .insert(TAG_WRITER_CLASS.into(), "db.r6g.2xlarge".into());
    c
}

fn action_of(result: Result<Plan, ClusterBusy>) -> Result<Action, ClusterBusy> {
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
        Err(ClusterBusy {
            cluster_id: "orders".into(),
            status: status.into(),
        })
    };

    let cases: Vec<(&str, ClusterView, RunRequest, Result<Action, ClusterBusy>)> = vec![
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
            "input asks for more than any member has: the largest spare reader is changed in place",
            after_failover("available"),
            manual(Some("db.r6g.4xlarge")),
            Ok(Action::Modify {
                target_instance_id: "orders-1".into(),
                target_class: "db.r6g.2xlarge".into(),
                reference_instance_id: "orders-1".into(),
                availability_zone: None,
            }),
        ),
        (
            "the person asked for a new instance",
            after_failover("available"),
            RunRequest {
                method: Some(ScaleMethod::Create),
                ..manual(Some("db.r6g.4xlarge"))
            },
            Ok(create("orders-2", "us-east-1b")),
        ),
        (
            "a failover event creates, as it always has",
            with(&|c| {
                c.tags
                    .insert(TAG_WRITER_CLASS.into(), "db.r6g.4xlarge".into());
            }),
            event(),
            Ok(create("orders-2", "us-east-1b")),
        ),
        (
            "one reader only: it cannot be spared, so create",
            with(&|c| {
                c.members.retain(|m| m.instance_id != "orders-3");
            }),
            RunRequest {
                method: Some(ScaleMethod::Modify),
                ..manual(Some("db.r6g.4xlarge"))
            },
            Ok(create("orders-2", "us-east-1b")),
        ),
        (
            "a single-instance cluster is served by create",
            lone_survivor(),
            RunRequest {
                method: Some(ScaleMethod::Modify),
                ..manual(None)
            },
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
            "a person named an untagged cluster: the deployment's IAM would refuse",
            with(&|c| {
                c.tags.clear();
            }),
            manual(None),
            skip(SkipReason::NotOptedIn),
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
            "lone survivor, no class named: it is the largest, nothing to do",
            cluster(vec![member(
                "orders-2",
                "db.r6g.large",
                "available",
                true,
                1,
            )]),
            event(),
            Ok(Action::None),
        ),
        (
            "lone small survivor, tag names the class: create",
            lone_survivor(),
            event(),
            Ok(create("orders-2", "us-east-1b")),
        ),
        (
            "stale event",
            after_failover("available"),
            RunRequest {
                event_time: Some(NOW - 1801.0),
                ..event()
            },
            skip(SkipReason::StaleEvent),
        ),
        (
            "stale age does not apply to a manual run",
            after_failover("available"),
            manual(Some("db.r6g.2xlarge")),
            failback("orders-1", "available"),
        ),
        (
            "tag with a size beyond any class",
            with(&|c| {
                c.tags.insert(
                    TAG_WRITER_CLASS.into(),
                    "db.r6g.2305843009213693952xlarge".into(),
                );
            }),
            event(),
            skip(SkipReason::UnknownWriterClass),
        ),
        (
            "tag with a size the family does not offer",
            with(&|c| {
                c.tags
                    .insert(TAG_WRITER_CLASS.into(), "db.r6g.3xlarge".into());
            }),
            event(),
            skip(SkipReason::UnknownWriterClass),
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
            action_of(plan_restore(&cluster, &request, "run-1", &policy(), NOW)),
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
        &policy(),
        NOW,
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

#[test]
fn a_person_may_act_on_an_untagged_cluster_only_where_the_deployment_allows_it() {
    let mut untagged = after_failover("available");
    untagged.tags.clear();
    let allowing = PlanPolicy {
        allow_untagged_manual_runs: true,
        ..policy()
    };
    let plan = plan_restore(&untagged, &manual(None), "r", &policy(), NOW)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        plan.action,
        Action::Skip {
            reason: SkipReason::NotOptedIn
        }
    );
    assert!(
        plan.summary.contains("aurora-failback enable orders"),
        "{}",
        plan.summary
    );
    let plan = plan_restore(&untagged, &manual(None), "r", &allowing, NOW)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(plan.action, Action::Failback { .. }), "{plan:?}");
    // Events still need the tag, whatever the deployment allows for people.
    let plan =
        plan_restore(&untagged, &event(), "r", &allowing, NOW).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        plan.action,
        Action::Skip {
            reason: SkipReason::NotOptedIn
        }
    );
}

/// Every cluster size Aurora allows, 1 to 16 instances (a writer and up to 15 replicas):
/// a small writer, the rest small readers, and the tag asking for a bigger writer.
/// Below the limit the create path serves it, whatever the size (one instance included);
/// at 16 there is no room for another instance, and the plan says so before any call.
/// With one bigger reader among them, any size fails back to it instead.
#[test]
fn every_cluster_size_from_one_to_sixteen() {
    for size in 1..=MAX_CLUSTER_INSTANCES {
        let mut members = vec![member("orders-1", "db.r6g.large", "available", true, 1)];
        members.extend((2..=size).map(|i| {
            member(
                &format!("orders-{i}"),
                "db.r6g.large",
                "available",
                false,
                1,
            )
        }));
        let mut small = cluster(members);
        small
            .tags
            .insert(TAG_WRITER_CLASS.into(), "db.r6g.2xlarge".into());
        let plan = plan_restore(&small, &event(), "run-1", &policy(), NOW)
            .unwrap_or_else(|e| panic!("{e}"));
        if size < MAX_CLUSTER_INSTANCES {
            assert!(
                matches!(plan.action, Action::Create { .. }),
                "{size}: {plan:?}"
            );
        } else {
            assert_eq!(
                plan.action,
                Action::Skip {
                    reason: SkipReason::ClusterFull
                },
                "{size}"
            );
            assert!(plan.summary.contains("16 instances"), "{}", plan.summary);
        }
        if size > 1 {
            let mut with_big_reader = small.clone();
            with_big_reader.members[size - 1].class = "db.r6g.2xlarge".into();
            let plan = plan_restore(&with_big_reader, &event(), "run-1", &policy(), NOW)
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(
                matches!(plan.action, Action::Failback { .. }),
                "{size}: {plan:?}"
            );
        }
    }
}

#[test]
fn unknown_class_message_names_its_source() {
    let mut c = after_failover("available");
    c.tags.insert(TAG_WRITER_CLASS.into(), "huge".into());
    let plan = plan_restore(&c, &event(), "r", &policy(), NOW).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        plan.summary.contains("aurora-failback:writer-class tag"),
        "{}",
        plan.summary
    );
    assert!(plan.summary.contains("\"huge\""), "{}", plan.summary);
}

#[test]
fn capacity_fallback_tries_each_zone_then_each_allowed_class_once() {
    let zones = |z: &[&str]| z.iter().map(|z| z.to_string()).collect::<Vec<_>>();
    let placements = |p: &[(&str, Option<&str>)]| {
        p.iter()
            .map(|(c, z)| Placement::new(c, *z))
            .collect::<Vec<_>>()
    };
    let members = zones(&["us-east-1b", "us-east-1a"]);
    let subnet_group = zones(&["us-east-1c", "us-east-1a", "us-east-1b"]);
    let fallback = zones(&["db.r6g.4xlarge"]);
    type Pairs<'a> = &'a [(&'a str, Option<&'a str>)];
    /// (why, planned zone, subnet group zones, already asked for, expected)
    type Case<'a> = (&'a str, Option<&'a str>, &'a [String], Pairs<'a>, Pairs<'a>);
    let cases: &[Case] = &[
        (
            "zone planned: it first, the members' zones, the subnet group's others, then the fallback",
            Some("us-east-1b"),
            &subnet_group,
            &[],
            &[
                ("db.r6g.2xlarge", Some("us-east-1b")),
                ("db.r6g.2xlarge", Some("us-east-1a")),
                ("db.r6g.2xlarge", Some("us-east-1c")),
                ("db.r6g.4xlarge", Some("us-east-1b")),
                ("db.r6g.4xlarge", Some("us-east-1a")),
                ("db.r6g.4xlarge", Some("us-east-1c")),
            ],
        ),
        (
            "no zone planned: AWS chooses first; no subnet group known: the members' zones only",
            None,
            &[],
            &[],
            &[
                ("db.r6g.2xlarge", None),
                ("db.r6g.2xlarge", Some("us-east-1a")),
                ("db.r6g.2xlarge", Some("us-east-1b")),
                ("db.r6g.4xlarge", None),
                ("db.r6g.4xlarge", Some("us-east-1a")),
                ("db.r6g.4xlarge", Some("us-east-1b")),
            ],
        ),
        (
            "a replacement: what the run asked for already is not asked again",
            None,
            &subnet_group,
            &[("db.r6g.2xlarge", None), ("db.r6g.2xlarge", Some("us-east-1a")), ("db.r6g.4xlarge", Some("us-east-1c"))],
            &[
                ("db.r6g.2xlarge", Some("us-east-1b")),
                ("db.r6g.2xlarge", Some("us-east-1c")),
                ("db.r6g.4xlarge", None),
                ("db.r6g.4xlarge", Some("us-east-1a")),
                ("db.r6g.4xlarge", Some("us-east-1b")),
            ],
        ),
    ];
    for (why, planned, subnet_zones, tried, want) in cases {
        let got = capacity_candidates(
            "db.r6g.2xlarge",
            *planned,
            &members,
            subnet_zones,
            &fallback,
            &placements(tried),
        );
        assert_eq!(got, placements(want), "{why}");
    }

    // The tag: in order, valid classes only, never smaller than the writer, each once.
    let (allowed, refused) = fallback_classes(
        Some("db.r6g.4xlarge, db.r5.2xlarge,db.r6g.large,db.r6g.huge,db.r6g.4xlarge"),
        "db.r6g.xlarge",
    );
    assert_eq!(allowed, ["db.r6g.4xlarge", "db.r5.2xlarge"]);
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(
        refused[0].contains("smaller than the writer"),
        "{refused:?}"
    );
    assert_eq!(fallback_classes(None, "db.r6g.large"), (vec![], vec![]));
}

#[test]
fn the_old_writer_is_scaled_too_when_the_input_or_the_tag_asks() {
    let policy = PlanPolicy::default();
    let plan_for = |cluster: &ClusterView, request: &RunRequest| {
        plan_restore(cluster, request, "run-1", &policy, NOW).unwrap()
    };
    let request = manual(Some("db.r6g.4xlarge"));
    assert!(!plan_for(&after_failover("available"), &request).scale_old_writer);
    let asked = RunRequest {
        scale_old_writer: true,
        ..manual(Some("db.r6g.4xlarge"))
    };
    assert!(plan_for(&after_failover("available"), &asked).scale_old_writer);
    let mut tagged = after_failover("available");
    tagged
        .tags
        .insert(TAG_SCALE_OLD_WRITER.into(), "True".into());
    assert!(plan_for(&tagged, &request).scale_old_writer);
}
