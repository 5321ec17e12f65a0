"""Aurora cross-region read replica clusters (not global databases): their promotion,
emulated for the DR drill.

A cross-region read replica of an Aurora MySQL cluster is a DB cluster in another region
whose ReplicationSourceIdentifier is the source cluster's ARN (binlog replication); its
source lists it in ReadReplicaIdentifiers. moto 5.2.5 creates one (CreateDBCluster with
ReplicationSourceIdentifier and SourceRegion; it wants MasterUsername too, which AWS takes
from the source) and shows both fields, and PromoteReadReplicaDBCluster clears them, but:
  * the promoted cluster is `available` at once (no `promoting` phase);
  * PromoteReadReplicaDBCluster fails inside moto (HTTP 500, KeyError or a model error) for
    a cluster that does not exist, that is no replica, or that was promoted already.
The lifecycle proxy (fault_proxy.py) hands PromoteReadReplicaDBCluster to this module,
which answers it as AWS documents it, keeps the promotion's state itself and rewrites moto's
DescribeDBClusters answers with it:

  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_PromoteReadReplicaDBCluster.html
  https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Replication.CrossRegion.html
  https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Replication.CrossRegion.Promote.html
  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBCluster.html
    (ReplicationSourceIdentifier: "the ARN of the source DB cluster if this DB cluster is
    a read replica"; ReadReplicaIdentifiers)
  https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/accessing-monitoring.html#Aurora.Status
    (the cluster status `promoting`)

What is emulated:
  * PromoteReadReplicaDBCluster(DBClusterIdentifier), checked in this order:
      MissingParameter (400)              no DBClusterIdentifier;
      DBClusterNotFoundFault (404)        no cluster of that name in the caller's region
                                          (an ARN: of the caller's region);
      InvalidDBClusterStateFault (400)    the cluster is being promoted, or is not
                                          `available` as the Lambdas would read it now,
                                          or is no read replica ("Must match the
                                          identifier of an existing DB cluster read
                                          replica").
    Accepted, it is forwarded to moto (which makes the cluster standalone) and answers the
    DBCluster `promoting`, still naming its source.
  * The next DescribeDBClusters answers that include the cluster (in its region) go through
    `phases` (Behaviour.cluster_promotion_statuses: `promoting`); meanwhile the cluster
    still shows ReplicationSourceIdentifier and its source still lists it in
    ReadReplicaIdentifiers (when the source stops being shown is this drill's choice: AWS
    documents the end state, "the read replica becomes a standalone Aurora DB cluster").
    After the last phase it is what moto says: `available`, no ReplicationSourceIdentifier,
    and its source no longer lists it.
  * The drill's own reads ("peeks") see the current phase without moving it on.

Not emulated: the rebooting of the cluster's DB instances ("its DB instances are rebooted
before they become available"; they stay as moto says), the replica's creation lifecycle
(a scenario builds the replica straight in moto, `available` at once), binlog settings
on the source, RDS events. Every call is counted (`calls`), accepted or refused.
"""
from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass, field

RDS_XMLNS = "http://rds.amazonaws.com/doc/2014-10-31/"
CLUSTER_BLOCK = re.compile(r"<DBCluster>.*?</DBCluster>", re.S)
CLUSTER_ARN = re.compile(r"^arn:aws[a-z-]*:rds:([a-z0-9-]+):\d{12}:cluster:([A-Za-z0-9-]+)$")
SOURCE = re.compile(r"<ReplicationSourceIdentifier>([^<]*)</ReplicationSourceIdentifier>")


@dataclass
class PromoteClusterCall:
    """One PromoteReadReplicaDBCluster that reached the proxy."""
    region: str | None
    cluster_id: str
    accepted: bool
    error: str | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class ClusterPromotion:
    arn: str
    source: str  # the source cluster's ARN
    phases: list[str]
    shown: int = 0

    @property
    def finished(self) -> bool:
        return self.shown >= len(self.phases)

    def phase(self) -> str | None:
        return None if self.finished else self.phases[self.shown]


@dataclass(frozen=True)
class ClusterSeen:
    arn: str
    status: str
    source: str | None


class ReplicaClusterEmulation:
    def __init__(self, phases: list[str]) -> None:
        self.phases = list(phases)
        self.lock = threading.Lock()
        self.promotions: dict[str, ClusterPromotion] = {}  # by the replica's ARN
        self.calls: list[PromoteClusterCall] = []

    # --- what scenarios ask ------------------------------------------------------

    def promote_calls(self, cluster_id: str | None = None) -> list[PromoteClusterCall]:
        with self.lock:
            return [c for c in self.calls if cluster_id in (None, c.cluster_id)]

    def accepted(self, cluster_id: str | None = None) -> list[PromoteClusterCall]:
        return [c for c in self.promote_calls(cluster_id) if c.accepted]

    # --- PromoteReadReplicaDBCluster ---------------------------------------------------

    def promote(self, params: dict, region: str | None, seen, forward) -> tuple[int, list, bytes]:
        """seen(cluster_id, region) -> ClusterSeen | None: the cluster as the Lambdas would
        read it now (every rewrite applied, no poll used up). forward() -> (status, headers,
        body): the call sent on to moto."""
        region = region or "us-east-1"
        raw = params.get("DBClusterIdentifier", "")
        arn = CLUSTER_ARN.match(raw)
        cluster_id = (arn.group(2) if arn else raw).lower()  # RDS stores identifiers lowercase

        def refuse(status: int, code: str, message: str):
            with self.lock:
                self.calls.append(PromoteClusterCall(region, cluster_id, False, code))
            return error_response(status, code, message)

        if not raw:
            return refuse(400, "MissingParameter", "The request must contain the parameter DBClusterIdentifier")
        cluster = seen(cluster_id, region) if not arn or arn.group(1) == region else None
        if cluster is None:
            return refuse(404, "DBClusterNotFoundFault", f"DBCluster {raw} not found.")
        with self.lock:
            under_way = self.promotions.get(cluster.arn)
            busy = under_way.phase() if under_way is not None else None
        if busy is not None:
            return refuse(400, "InvalidDBClusterStateFault", f"DB cluster {cluster_id} is {busy}: it is being promoted")
        if cluster.status != "available":
            return refuse(400, "InvalidDBClusterStateFault", f"DB cluster {cluster_id} is {cluster.status}, not available")
        if not cluster.source:
            return refuse(400, "InvalidDBClusterStateFault", f"DB cluster {cluster_id} is not a read replica")

        status, headers, body = forward()
        if status != 200:
            with self.lock:
                self.calls.append(PromoteClusterCall(region, cluster_id, False, f"moto {status}"))
            return status, headers, body
        with self.lock:
            promotion = ClusterPromotion(cluster.arn, cluster.source, list(self.phases))
            self.promotions[cluster.arn] = promotion
            self.calls.append(PromoteClusterCall(region, cluster_id, True))
            # The answer shows the cluster as the call leaves it: promoting, a replica still.
            text = CLUSTER_BLOCK.sub(lambda m: self._rewrite(m.group(0), peek=True), body.decode(), count=1)
        return 200, headers, text.encode()

    # --- DescribeDBClusters ---------------------------------------------------------------

    def described(self, payload: bytes, peek: bool) -> bytes:
        """moto's DescribeDBClusters answer with the promotions applied. Without `peek`, each
        answer that includes a cluster being promoted uses up one of its phases."""
        with self.lock:
            if not self.promotions:
                return payload
            return CLUSTER_BLOCK.sub(lambda m: self._rewrite(m.group(0), peek), payload.decode()).encode()

    def _rewrite(self, block: str, peek: bool) -> str:
        """One DBCluster block. Under self.lock."""
        arn = re.search(r"<DBClusterArn>([^<]+)</DBClusterArn>", block)
        arn = arn.group(1) if arn else ""
        # A source still lists the replicas whose promotion is under way.
        listed = [p.arn for p in self.promotions.values() if p.source == arn and not p.finished]
        for replica in listed:
            if f"<ReadReplicaIdentifier>{replica}</ReadReplicaIdentifier>" in block:
                continue
            item = f"<ReadReplicaIdentifier>{replica}</ReadReplicaIdentifier>"
            if "<ReadReplicaIdentifiers/>" in block:
                block = block.replace("<ReadReplicaIdentifiers/>", f"<ReadReplicaIdentifiers>{item}</ReadReplicaIdentifiers>", 1)
            elif "</ReadReplicaIdentifiers>" in block:
                block = block.replace("</ReadReplicaIdentifiers>", f"{item}</ReadReplicaIdentifiers>", 1)
            else:
                block = block.replace("</DBCluster>", f"<ReadReplicaIdentifiers>{item}</ReadReplicaIdentifiers></DBCluster>", 1)
        promotion = self.promotions.get(arn)
        if promotion is None or promotion.finished:
            return block
        phase = promotion.phase()
        if not peek:
            promotion.shown += 1
        # The cluster's own Status comes before the nested ones (VpcSecurityGroups').
        block = re.sub(r"<Status>[^<]*</Status>", f"<Status>{phase}</Status>", block, count=1)
        if SOURCE.search(block) is None:
            block = block.replace("</DBClusterArn>",
                                  f"</DBClusterArn><ReplicationSourceIdentifier>{promotion.source}</ReplicationSourceIdentifier>", 1)
        return block


def cluster_seen(text: str) -> ClusterSeen | None:
    """The first cluster of a DescribeDBClusters answer (already rewritten)."""
    block = CLUSTER_BLOCK.search(text)
    if block is None:
        return None

    def field_of(tag: str) -> str | None:
        found = re.search(rf"<{tag}>([^<]*)</{tag}>", block.group(0))
        return found.group(1) if found and found.group(1) else None

    return ClusterSeen(field_of("DBClusterArn") or "", field_of("Status") or "", field_of("ReplicationSourceIdentifier"))


def error_response(status: int, code: str, message: str) -> tuple[int, list, bytes]:
    request_id = str(uuid.uuid4())
    body = (
        f'<ErrorResponse xmlns="{RDS_XMLNS}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
    return status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body
