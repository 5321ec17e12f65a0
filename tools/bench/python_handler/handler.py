"""describe-writer and check-status as a python3.11 Lambda would write them with boto3: the
other side of the cold-start comparison in tools/bench/cold.py.

They make the same RDS calls as the Rust steps (crates/failback-core/src/failback/steps/
describe_writer.rs, check_status.rs, rds.rs), so the difference measured is the runtime's,
not the work's:
  describe_writer  DescribeDBClusters (the cluster), DescribeDBInstances filtered by
                   db-cluster-id (paged), and DescribeOrderableDBInstanceOptions for the
                   desired class when the plan orders one (a class named by the
                   aurora-failback:writer-class tag, or a create), as Plan::class_to_order;
  check_status     reader-available: DescribeDBInstances of the instance;
                   writer-moved: DescribeDBClusters and DescribeDBInstances (cluster).
The plan is a short version of plan_restore (opt-in tag, desired class, failback target or
create); enough to return the same action, not a port of the rules.

The client is made at init, outside the handler, as both runtimes do.
"""
import re

import boto3

rds = boto3.client("rds")

SIZES = {"large": 2, "xlarge": 4}


def capacity(instance_class):
    """db.r6g.2xlarge -> 16 (vCPUs): enough to rank the demo cluster's classes."""
    size = instance_class.rsplit(".", 1)[-1]
    found = re.fullmatch(r"(\d+)xlarge", size)
    return int(found.group(1)) * 4 if found else SIZES.get(size, 1)


def cluster_view(cluster_id):
    clusters = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"]
    if not clusters:
        return None, []
    pages = rds.get_paginator("describe_db_instances").paginate(
        Filters=[{"Name": "db-cluster-id", "Values": [cluster_id]}])
    instances = {i["DBInstanceIdentifier"]: i for page in pages for i in page["DBInstances"]}
    members = []
    for member in clusters[0]["DBClusterMembers"]:
        instance = instances.get(member["DBInstanceIdentifier"])
        if instance:
            members.append({"id": instance["DBInstanceIdentifier"], "class": instance["DBInstanceClass"],
                            "status": instance["DBInstanceStatus"], "writer": member["IsClusterWriter"],
                            "zone": instance.get("AvailabilityZone")})
    return clusters[0], members


def describe_writer(event, context):
    trigger = event["trigger"]
    cluster_id = trigger["detail"]["SourceIdentifier"] if "detail" in trigger else trigger["clusterId"]
    cluster, members = cluster_view(cluster_id)
    if cluster is None:
        raise RuntimeError(f"ClusterNotFound: {cluster_id}")
    tags = {t["Key"]: t["Value"] for t in cluster.get("TagList", [])}
    writer = next(m for m in members if m["writer"])
    plan = {"clusterId": cluster_id, "dryRun": False, "writerInstanceId": writer["id"], "writerClass": writer["class"]}
    if tags.get("aurora-failback:enabled") != "true":
        return {**plan, "action": "skip", "reason": "not-opted-in"}
    named = tags.get("aurora-failback:writer-class")
    desired = named or max((m["class"] for m in members), key=capacity)
    plan["desiredClass"] = desired
    if capacity(writer["class"]) >= capacity(desired):
        return {**plan, "action": "none"}
    target = next((m for m in members if not m["writer"] and m["class"] == desired), None)
    if target:
        plan.update(action="failback", targetInstanceId=target["id"], targetStatus=target["status"])
    else:
        plan.update(action="create", referenceInstanceId=writer["id"], availabilityZone=writer["zone"])
    if named or plan["action"] == "create":
        pages = rds.get_paginator("describe_orderable_db_instance_options").paginate(
            Engine=cluster["Engine"], EngineVersion=cluster["EngineVersion"], DBInstanceClass=desired)
        zones = {z["Name"] for page in pages for option in page["OrderableDBInstanceOptions"]
                 for z in option.get("AvailabilityZones", [])}
        if not zones:
            return {**plan, "action": "skip", "reason": "class-not-orderable"}
    return plan


def check_status(event, context):
    cluster_id, instance_id = event["clusterId"], event["instanceId"]
    if event["check"] == "reader-available":
        instances = rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"]
        instance = instances[0]
        if instance.get("DBClusterIdentifier") != cluster_id:
            raise RuntimeError(f"TargetNotInCluster: {instance_id}")
        minimum = event.get("minimumClass")
        big_enough = minimum is None or capacity(instance["DBInstanceClass"]) >= capacity(minimum)
        ready = instance["DBInstanceStatus"] == "available" and big_enough
        return {"state": "ready" if ready else "pending", "clusterId": cluster_id,
                "instanceStatus": instance["DBInstanceStatus"]}
    cluster, members = cluster_view(cluster_id)
    target = next(m for m in members if m["id"] == instance_id)
    moved = target["writer"] and cluster["Status"] == "available"
    return {"state": "ready" if moved else "pending", "clusterId": cluster_id, "instanceStatus": target["status"],
            "clusterStatus": cluster["Status"], "writerInstanceId": next((m["id"] for m in members if m["writer"]), None)}
