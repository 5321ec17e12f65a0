"""Restores from snapshots and to a point in time, where moto 5.2.5 gets them wrong, for
the cold-standby drill (dr_restores.py); and copies made "hours ago", seeded.

What moto gets wrong, and what the lifecycle proxy (fault_proxy.py) does about it:

  * RestoreDBClusterFromSnapshot fails inside moto (HTTP 500, a KeyError on the master
    password) when the snapshot's cluster keeps no password of its own: a cluster whose
    master password is managed in Secrets Manager (ManageMasterUserPassword, what AWS
    recommends), or a global database's secondary. moto fails before it creates anything.
    The proxy forwards the call; only when moto answers HTTP 500 does this module answer
    it instead, as the API reference describes the call: it creates the cluster in moto
    with CreateDBCluster, with the request's identifier, subnet group, security groups,
    tags and settings and the snapshot's engine (the request's Engine and EngineVersion
    first), master user name and encryption, so that later DescribeDBClusters and
    CreateDBInstance work through moto; and answers RestoreDBClusterFromSnapshotResponse
    with that DBCluster, `creating`. (moto needs a master password for CreateDBCluster; the
    one given, PLACEHOLDER_PASSWORD, is never read: AWS restores the snapshot's own
    credentials.) Every other answer of moto (a missing snapshot, a cluster that exists)
    is passed on as it is.
      https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html
  * A restored cluster (from a snapshot, or RestoreDBClusterToPointInTime) is `available`
    at its first describe in moto; AWS shows it `creating` until it is ready. The proxy
    gives it the lifecycle it gives a cluster made by CreateDBCluster
    (Behaviour.new_cluster_statuses), and a DB instance restored from a snapshot
    (RestoreDBInstanceFromDBSnapshot) the one of CreateDBInstance
    (Behaviour.new_instance_statuses: `creating` ... before `available`):
      https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/accessing-monitoring.html#Aurora.Status
      https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html#Overview.DBInstance.Status
  * moto creates a DB instance in a restored cluster whatever the cluster's state. The API
    reference of both restores says "This operation only restores the DB cluster, not the
    DB instances for that DB cluster. You must invoke the CreateDBInstance operation ...
    You can create DB instances only after the RestoreDBClusterFromSnapshot [or
    RestoreDBClusterToPointInTime] operation has completed and the DB cluster is
    available." So a CreateDBInstance naming a cluster restored through the proxy is
    refused with InvalidDBClusterStateFault (HTTP 400; one of CreateDBInstance's documented
    errors) while the Lambdas would read that cluster as anything but `available`:
      https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html
      https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterToPointInTime.html
      https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html#API_CreateDBInstance_Errors

Seeded, not emulated: moto stamps a snapshot with the moment it was made, and a drill cannot
wait hours for a copy to grow old. seed_taken_at() names a snapshot of a region and when it
was taken; the proxy then shows that time as its SnapshotCreateTime (and, for a DB
snapshot, OriginalSnapshotCreateTime) in every DescribeDBClusterSnapshots and
DescribeDBSnapshots answer of that region, as a copy made then would read on AWS.

Not emulated: the checks of the restore's parameters against the snapshot (engine and
version upgrades, KMS keys across regions, subnet groups and security groups: moto accepts
any), RestoreToTime outside the source's restorable window (moto accepts any time), the
snapshot being `copying`, the restored DB instance's Availability Zone (moto keeps the
source's), and how long any of it takes.

Each RestoreDBClusterFromSnapshot is kept (`calls`): how it was answered.
"""
from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

RDS_XMLNS = "http://rds.amazonaws.com/doc/2014-10-31/"
# moto's CreateDBCluster wants a password of 8 characters or more; never read.
PLACEHOLDER_PASSWORD = "restored-from-snapshot"
CLUSTER_BLOCK = re.compile(r"<DBCluster>.*?</DBCluster>", re.S)
SNAPSHOT_BLOCKS = {
    "DescribeDBClusterSnapshots": (re.compile(r"<DBClusterSnapshot>.*?</DBClusterSnapshot>", re.S),
                                   "DBClusterSnapshotIdentifier"),
    "DescribeDBSnapshots": (re.compile(r"<DBSnapshot>.*?</DBSnapshot>", re.S), "DBSnapshotIdentifier"),
}
# The Query parameters of RestoreDBClusterFromSnapshot that CreateDBCluster does not take.
NOT_FOR_CREATE = ("Action", "Version", "SnapshotIdentifier")


@dataclass(frozen=True)
class RestoreCall:
    """One RestoreDBClusterFromSnapshot that reached the proxy, and who answered it:
    "moto", "emulated" (moto failed inside), or "refused <code or HTTP status>"."""
    region: str
    cluster_id: str
    snapshot: str
    answered_by: str


def field_of(block: str, tag: str) -> str | None:
    found = re.search(rf"<{tag}>([^<]*)</{tag}>", block)
    return found.group(1) if found and found.group(1) else None


def error_response(status: int, code: str, message: str) -> tuple[int, list, bytes]:
    request_id = str(uuid.uuid4())
    body = (
        f'<ErrorResponse xmlns="{RDS_XMLNS}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
    return status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body


class SnapshotRestoreEmulation:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[RestoreCall] = []
        # (region, cluster id) of the clusters restored through the proxy.
        self.restored: set[tuple[str, str]] = set()
        # (region, snapshot id) -> when it was taken, as AWS writes it (2026-11-30T03:00:00.000Z)
        self.taken_at: dict[tuple[str, str], str] = {}

    # --- what scenarios ask and seed ------------------------------------------------

    def restore_calls(self, cluster_id: str | None = None) -> list[RestoreCall]:
        with self.lock:
            return [c for c in self.calls if cluster_id in (None, c.cluster_id)]

    def seed_taken_at(self, region: str, snapshot_id: str, when: datetime) -> None:
        text = when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
        with self.lock:
            self.taken_at[(region, snapshot_id.lower())] = text

    # --- RestoreDBClusterFromSnapshot -------------------------------------------------

    def from_snapshot(self, params: dict, region: str | None, upstream, forward) -> tuple[int, list, bytes]:
        """upstream(action, params, region) -> (status, text): a call straight to moto;
        forward() -> (status, headers, body): the call sent on to moto as it came."""
        region = region or "us-east-1"
        cluster_id = params.get("DBClusterIdentifier", "").lower()
        snapshot = params.get("SnapshotIdentifier", "")

        def keep(answered_by: str) -> None:
            with self.lock:
                self.calls.append(RestoreCall(region, cluster_id, snapshot, answered_by))
                if answered_by in ("moto", "emulated"):
                    self.restored.add((region, cluster_id))

        status, headers, body = forward()
        if status != 500:
            keep("moto" if status == 200 else f"refused {field_of(body.decode('utf-8', 'replace'), 'Code') or status}")
            return status, headers, body
        # moto failed inside (the KeyError on the master password): nothing was created.
        snapshot_id = snapshot.split(":cluster-snapshot:")[-1]
        found, text = upstream("DescribeDBClusterSnapshots", {"DBClusterSnapshotIdentifier": snapshot_id}, region)
        block = SNAPSHOT_BLOCKS["DescribeDBClusterSnapshots"][0].search(text) if found == 200 else None
        if block is None:
            keep(f"refused {status}")
            return status, headers, body
        block = block.group(0)
        create = {k: v for k, v in params.items() if k not in NOT_FOR_CREATE}
        create["Engine"] = params.get("Engine") or field_of(block, "Engine") or ""
        if not create.get("EngineVersion") and field_of(block, "EngineVersion"):
            create["EngineVersion"] = field_of(block, "EngineVersion")
        create["MasterUsername"] = field_of(block, "MasterUsername") or "admin"
        create["MasterUserPassword"] = PLACEHOLDER_PASSWORD
        if field_of(block, "StorageEncrypted") == "true":
            create["StorageEncrypted"] = "true"
            if not create.get("KmsKeyId") and field_of(block, "KmsKeyId"):
                create["KmsKeyId"] = field_of(block, "KmsKeyId")
        made, text = upstream("CreateDBCluster", create, region)
        cluster = CLUSTER_BLOCK.search(text) if made == 200 else None
        if cluster is None:  # e.g. DBClusterAlreadyExistsFault: AWS would refuse the restore the same way
            keep(f"refused {field_of(text, 'Code') or made}")
            return made, [("Content-Type", "text/xml"), ("x-amzn-RequestId", str(uuid.uuid4()))], text.encode()
        keep("emulated")
        shown = re.sub(r"<Status>[^<]*</Status>", "<Status>creating</Status>", cluster.group(0), count=1)
        request_id = str(uuid.uuid4())
        answer = (
            f'<RestoreDBClusterFromSnapshotResponse xmlns="{RDS_XMLNS}"><RestoreDBClusterFromSnapshotResult>'
            f"{shown}</RestoreDBClusterFromSnapshotResult>"
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
            "</RestoreDBClusterFromSnapshotResponse>"
        ).encode()
        return 200, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], answer

    def restored_to_point_in_time(self, params: dict, region: str | None) -> None:
        """A RestoreDBClusterToPointInTime that moto accepted: its cluster was restored."""
        with self.lock:
            self.restored.add((region or "us-east-1", params.get("DBClusterIdentifier", "").lower()))

    # --- CreateDBInstance in a restored cluster ------------------------------------------

    def creation_refusal(self, params: dict, region: str | None, seen) -> tuple[int, list, bytes] | None:
        """The refusal of a CreateDBInstance naming a cluster restored through the proxy that
        is not available yet, or None. seen(cluster_id, region) -> ClusterSeen | None: the
        cluster as the Lambdas would read it now (no poll used up)."""
        region = region or "us-east-1"
        cluster_id = params.get("DBClusterIdentifier", "").lower()
        with self.lock:
            restored = (region, cluster_id) in self.restored
        if not restored:
            return None
        cluster = seen(cluster_id, region)
        if cluster is None or cluster.status == "available":
            return None
        return error_response(400, "InvalidDBClusterStateFault",
                              f"DB cluster {cluster_id} is {cluster.status}: DB instances can be created in a restored "
                              "cluster only once the restore has completed and the cluster is available")

    # --- seeded copy times ----------------------------------------------------------------

    def snapshots_described(self, action: str, payload: bytes, region: str | None) -> bytes:
        """DescribeDBClusterSnapshots or DescribeDBSnapshots with the seeded times."""
        region = region or "us-east-1"
        with self.lock:
            seeded = {snapshot: when for (where, snapshot), when in self.taken_at.items() if where == region}
        if not seeded:
            return payload
        pattern, id_tag = SNAPSHOT_BLOCKS[action]

        def rewrite(match: re.Match) -> str:
            block = match.group(0)
            when = seeded.get((field_of(block, id_tag) or "").lower())
            if when is None:
                return block
            for tag in ("SnapshotCreateTime", "OriginalSnapshotCreateTime"):
                block = re.sub(rf"<{tag}>[^<]*</{tag}>", f"<{tag}>{when}</{tag}>", block, count=1)
            return block

        return pattern.sub(rewrite, payload.decode()).encode()
