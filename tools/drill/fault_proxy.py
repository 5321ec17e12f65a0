"""An HTTP proxy between the Lambdas and moto that makes moto behave more like AWS.

moto makes a new instance available at once, has no failing-over phase and accepts a
failover target from another cluster. Per scenario, this proxy:
  * reports a created instance as `creating`, `backing-up`, ... for a number of polls,
    then `available` or a terminal status; a created cluster as `creating` for a number of
    polls (moto makes it available at its first describe);
  * reports the cluster as `failing-over` for a number of polls after FailoverDBCluster,
    and refuses another FailoverDBCluster meanwhile (InvalidDBClusterStateFault), as AWS does;
  * refuses a failover target that is not a member of the cluster;
  * injects throttling, HTTP 500 (before the call, or after it took effect so the answer
    is lost) and latency, at a seeded rate, or scripted for one action's Nth call;
  * answers DescribeOrderableDBInstanceOptions itself from a small table (moto answers it
    only for aurora-postgresql), so "is this class orderable here" has an AWS-shaped answer;
  * answers SwitchoverGlobalCluster and FailoverGlobalCluster itself (moto does not
    implement them) and rewrites DescribeGlobalClusters with the switch's FailoverState and
    the members' new roles, and shows a cluster's GlobalClusterIdentifier only while it is
    a member (global_clusters.py says what is emulated, with the AWS references);
  * answers the ElastiCache global datastore calls (CreateGlobalReplicationGroup,
    DescribeGlobalReplicationGroups, FailoverGlobalReplicationGroup) itself, moto having
    none of them, checks CreateReplicationGroup with a GlobalReplicationGroupId, and
    rewrites DescribeReplicationGroups' GlobalReplicationGroupInfo (global_datastores.py);
    requests are told apart by the service of their credential scope (`elasticache`);
  * answers PromoteReadReplicaDBCluster (an Aurora cross-region replica cluster made
    standalone) as AWS documents it, moto failing inside for most calls, and rewrites
    DescribeDBClusters with the promotion's `promoting` phase (replica_clusters.py);
  * answers PromoteReadReplica as AWS documents it (moto leaves the promoted instance
    naming its source, and promotes what is no replica) and rewrites DescribeDBInstances
    with the promotion's phases and the standalone instance (read_replicas.py);
  * checks CreateDBInstanceReadReplica as AWS documents it before moto sees it (moto looks
    a cross-region replica's DB subnet group up in the source's region and overwrites an
    instance of the same name), puts right what moto leaves wrong, and reports the new
    replica `creating` for a number of polls (read_replicas.py);
  * answers RestoreDBClusterFromSnapshot itself where moto fails inside (a snapshot of a
    cluster whose master password moto does not keep), gives restored clusters and
    restored DB instances the `creating` lifecycle of created ones, refuses
    CreateDBInstance in a restored cluster until it is available, as the restore's API
    reference says, and shows seeded copy times (snapshot_restores.py);
  * shows a class change (ModifyDBInstance with a new DBInstanceClass) as AWS does:
    `modifying` for a number of describes with the old class and
    PendingModifiedValues/DBInstanceClass the new one, then `available` with the new class
    (moto applies it at once), and refuses CreateDBInstance and class changes for the
    (Availability Zone, class) pairs a scenario declares out of capacity with
    InsufficientDBInstanceCapacity, or lets such a creation end `insufficient-capacity`
    (instance_capacity.py says what is emulated, with the AWS references);
  * takes a region down: every request signed for it (the region of the Authorization
    header's credential scope) has its connection reset, or is answered HTTP 503.
It counts what went through, so scenarios can assert "exactly one instance created",
"exactly one switchover per global cluster" or "exactly one promotion", and keeps every
Query call (RDS, ElastiCache) that changes something (Counters.changes: its region,
action, parameters, HTTP status and service).
"""
from __future__ import annotations

import dataclasses
import http.client
import json
import random
import re
import threading
import time
import uuid
import socket
import struct
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode

from global_clusters import SWITCH_ACTIONS, GlobalClusterEmulation
from global_datastores import DATASTORE_ACTIONS, ELASTICACHE_VERSION, GlobalDatastoreEmulation
from instance_capacity import InstanceCapacityEmulation
from read_replicas import ReadReplicaEmulation, instance_seen
from replica_clusters import ReplicaClusterEmulation, cluster_seen
from snapshot_restores import SnapshotRestoreEmulation


@dataclass
class Behaviour:
    new_instance_statuses: list[str] = field(default_factory=lambda: ["creating", "creating", "backing-up"])
    # What a cluster created through the proxy reports for its next polls, before what
    # moto says (available). AWS shows a new cluster `creating` until it is ready:
    # https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/accessing-monitoring.html#Aurora.Status
    new_cluster_statuses: list[str] = field(default_factory=lambda: ["creating", "creating"])
    final_instance_status: str = "available"
    failing_over_polls: int = 2
    # Statuses an existing instance reports for its next polls, e.g. the old writer rebooting.
    instance_scripts: dict = field(default_factory=dict)
    fault_rate: float = 0.0
    latency_ms: int = 0
    seed: int = 7
    fault_kinds: tuple = ("throttle", "500-before", "500-after", "latency")
    # Faults for one action's Nth call, in order; e.g. {"FailoverDBCluster": ["500-after"]}:
    # the first FailoverDBCluster is forwarded, takes effect in moto, and its answer is
    # replaced by HTTP 500 InternalFailure; later calls pass. An entry of None (or "pass")
    # lets that call through. Kinds as in fault_kinds. The drill's own peeks use up none.
    # A key "<Action>:<identifier>" scripts only the calls naming that global cluster
    # (GlobalClusterIdentifier), cluster (DBClusterIdentifier) or, for a call that names
    # neither, instance (DBInstanceIdentifier), and is counted apart.
    scripted_faults: dict = field(default_factory=dict)
    # Regions that are down: every request signed for one of them fails, the drill's own
    # peeks excepted. outage: "reset" (the connection is reset, no answer) or "503".
    regions_down: tuple = ()
    outage: str = "reset"
    # How many DescribeGlobalClusters answers show a global switch under way (the first
    # "pending", the others switching-over or failing-over) before the writer has moved.
    describes_while_switching: int = 3
    # What the next DescribeDBInstances answers show of a read replica after an accepted
    # PromoteReadReplica, before it is available and standalone (read_replicas.py): it
    # names its source while `modifying`, no longer from the reboot on.
    promotion_statuses: list[str] = field(default_factory=lambda: ["modifying", "modifying", "rebooting"])
    # What a read replica created through the proxy (CreateDBInstanceReadReplica) reports
    # for its next polls, before `available`: moto makes it available at once; AWS lists
    # a new instance `creating` ("The instance is being created. The instance is
    # inaccessible while it is being created"):
    # https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html#Overview.DBInstance.Status
    new_replica_statuses: list[str] = field(default_factory=lambda: ["creating", "creating"])
    # How many DescribeGlobalReplicationGroups answers show a global datastore's change
    # (created, a secondary joined, failed over) under way (`creating`, `modifying`) before
    # it is done (global_datastores.py).
    datastore_describes: int = 3
    # What the next DescribeDBClusters answers show of an Aurora replica cluster after an
    # accepted PromoteReadReplicaDBCluster, before it is available and standalone
    # (replica_clusters.py); it names its source meanwhile.
    cluster_promotion_statuses: list[str] = field(default_factory=lambda: ["promoting", "promoting", "promoting"])
    # How many DescribeDBInstances answers show an accepted class change (ModifyDBInstance,
    # ApplyImmediately) under way: `modifying`, the old class, PendingModifiedValues with
    # the new one; then `available` with the new class (instance_capacity.py).
    class_change_describes: int = 3
    # (Availability Zone, class) pairs with no capacity: CreateDBInstance, or a class change
    # of an instance in that zone, is answered InsufficientDBInstanceCapacity (HTTP 400)
    # and nothing is created or changed. Zone "*": every zone. A CreateDBInstance without
    # AvailabilityZone is judged for the region's first orderable zone (us-east-1a).
    no_capacity: tuple = ()
    # (Availability Zone, class) pairs whose creation is accepted but ends
    # `insufficient-capacity`, after capacity_lost_statuses.
    capacity_lost: tuple = ()
    capacity_lost_statuses: list[str] = field(default_factory=lambda: ["creating", "creating"])


@dataclass
class Counters:
    requests: int = 0
    # Calls per action (the Query "Action" or the JSON target's operation), peeks included.
    calls: dict = field(default_factory=dict)
    # Injected faults by kind; a scripted one also as "<Action>:<kind>".
    faults: dict = field(default_factory=dict)
    create_instance_succeeded: int = 0
    failovers_performed: int = 0
    failovers_refused: int = 0
    # Requests refused because their region was down, by region, and by "region action".
    region_refused: dict = field(default_factory=dict)
    region_refused_calls: dict = field(default_factory=dict)
    # Every Query call (RDS, ElastiCache) that changes something (CHANGING_ACTIONS) that
    # reached the proxy and was answered (not refused by an outage):
    # Change(region, action, params, status, service).
    changes: list = field(default_factory=list)


@dataclass(frozen=True)
class Change:
    region: str | None
    action: str
    params: dict
    status: int
    # The service of the request's credential scope: "rds", "elasticache".
    service: str | None = "rds"


# RDS actions that change something, by their verb.
CHANGING_ACTIONS = re.compile(r"^(Add|Apply|Create|Delete|Failover|Modify|Promote|Reboot|Remove|Restore|Start|Stop|Switchover)")


RDS_XMLNS = "http://rds.amazonaws.com/doc/2014-10-31/"
FAULT_KINDS = ("throttle", "500-before", "500-after", "latency")


class AwsLifecycleProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.lock = threading.Lock()
        self.configure(Behaviour())
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                proxy.handle(self)

            do_GET = do_POST
            do_PUT = do_POST
            do_DELETE = do_POST

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def configure(self, behaviour: Behaviour) -> None:
        check_scripts(behaviour.scripted_faults)
        if behaviour.outage not in ("reset", "503"):
            raise ValueError(f"outage must be reset or 503, not {behaviour.outage!r}")
        with self.lock:
            self.behaviour = behaviour
            self.random = random.Random(behaviour.seed)
            self.instance_scripts: dict[str, list[str]] = {k: list(v) for k, v in behaviour.instance_scripts.items()}
            # instance id -> the status it shows once its script is used up, when not
            # Behaviour.final_instance_status (a creation that ran out of capacity)
            self.instance_finals: dict[str, str] = {}
            # cluster id -> statuses its next describes show (a cluster created through the proxy)
            self.cluster_scripts: dict[str, list[str]] = {}
            # Set while the drill reads the topology for its tables: rewrite, but use up no poll.
            self.peek = False
            self.failing_over: dict[str, int] = {}
            self.scripted_calls: dict[str, int] = {}
            self.counters = Counters()
            self.globals = GlobalClusterEmulation(self.query_upstream, behaviour.describes_while_switching)
            self.replicas = ReadReplicaEmulation(behaviour.promotion_statuses)
            self.datastores = GlobalDatastoreEmulation(self.query_elasticache, behaviour.datastore_describes)
            self.replica_clusters = ReplicaClusterEmulation(behaviour.cluster_promotion_statuses)
            self.restores = SnapshotRestoreEmulation()
            self.capacity = InstanceCapacityEmulation(behaviour.no_capacity, behaviour.capacity_lost,
                                                      behaviour.class_change_describes,
                                                      lambda region: orderable_zones(region)[0])

    def set_scripted_faults(self, scripted_faults: dict) -> None:
        """New scripts (their counts from zero), keeping everything else: the emulated
        global clusters, the counters, the regions down."""
        check_scripts(scripted_faults)
        with self.lock:
            self.behaviour = dataclasses.replace(self.behaviour, scripted_faults=dict(scripted_faults))
            self.scripted_calls = {}

    def set_regions_down(self, regions: tuple) -> None:
        with self.lock:
            self.behaviour = dataclasses.replace(self.behaviour, regions_down=tuple(regions))

    def stop(self) -> None:
        self.server.shutdown()

    # --- request handling -------------------------------------------------------

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        target = request.headers.get("X-Amz-Target", "")
        is_dynamodb = target.startswith("DynamoDB_")
        # The Query protocol (RDS, ElastiCache, CloudWatch): the action is in the form body.
        query = not target
        params = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()} if query else {}
        action = target.split(".")[-1] if target else params.get("Action", "")
        region = signed_region(request.headers.get("Authorization", ""))
        service = signed_service(request.headers.get("Authorization", ""))

        with self.lock:
            down = region in self.behaviour.regions_down and not self.peek
            if down:
                self.counters.requests += 1
                self.counters.region_refused[region] = self.counters.region_refused.get(region, 0) + 1
                refused = f"{region} {action}"
                self.counters.region_refused_calls[refused] = self.counters.region_refused_calls.get(refused, 0) + 1
        if down:
            return self.refuse_region(request, bool(target), region)

        fault = self.pick_fault(action, params)
        if fault == "throttle":
            return self.reply_error(request, is_dynamodb, 400, "Throttling", "Rate exceeded")
        if fault == "500-before":
            return self.reply_error(request, is_dynamodb, 500, "InternalFailure", "injected server error")
        if fault == "latency":
            time.sleep(self.random_latency())

        if action == "FailoverDBCluster":
            refusal = self.failover_refusal(params, region)
            if refusal:
                with self.lock:
                    self.counters.failovers_refused += 1
                return self.reply_error(request, False, 400, *refusal)

        if query and service == "elasticache" and action in DATASTORE_ACTIONS:
            # Not forwarded: moto does not implement them (global_datastores.py).
            status, headers, payload = self.datastores.handle(action, params, region, self.peek)
        elif query and service == "elasticache" and action == "CreateReplicationGroup" and params.get("GlobalReplicationGroupId"):
            status, headers, payload = self.datastores.join(params, region, lambda: self.forward(request, body))
        elif query and service == "elasticache" and action == "DescribeReplicationGroups":
            status, headers, payload = self.forward(request, body)
            if status == 200:
                payload = self.datastores.replication_groups_described(payload, region)
        elif query and action == "PromoteReadReplicaDBCluster":
            # Checked here, forwarded only when AWS would accept it (replica_clusters.py).
            status, headers, payload = self.replica_clusters.promote(params, region, self.cluster_seen,
                                                                     lambda: self.forward(request, body))
        elif action == "DescribeOrderableDBInstanceOptions" and not target:
            status, headers, payload = describe_orderable_db_instance_options(params, region)
        elif action in SWITCH_ACTIONS and not target:
            # Not forwarded: moto does not implement them (global_clusters.py).
            status, headers, payload = self.globals.switch(action, params, region)
        elif action == "PromoteReadReplica" and not target:
            # Checked here, forwarded only when AWS would accept it (read_replicas.py).
            status, headers, payload = self.replicas.promote(params, region, self.instance_seen,
                                                             lambda: self.forward(request, body))
        elif action == "CreateDBInstanceReadReplica" and not target:
            # Checked here, forwarded only when AWS would accept it (read_replicas.py).
            statuses = list(self.behaviour.new_replica_statuses)
            status, headers, payload = self.replicas.create(
                params, region, self.instance_seen, self.query_upstream,
                lambda forwarded: self.forward(request, urlencode(forwarded).encode()),
                statuses[0] if statuses else None)
            if status == 200:
                with self.lock:
                    self.instance_scripts[params.get("DBInstanceIdentifier", "").lower()] = statuses
        elif query and action == "RestoreDBClusterFromSnapshot":
            # Forwarded; answered here only where moto fails inside (snapshot_restores.py).
            status, headers, payload = self.restores.from_snapshot(params, region, self.query_upstream,
                                                                   lambda: self.forward(request, body))
            if status == 200:
                self.after_restore(action, params)
        elif query and action == "CreateDBInstance" and (
                refusal := self.restores.creation_refusal(params, region, self.cluster_seen)):
            # A restored cluster takes DB instances only once available (snapshot_restores.py).
            status, headers, payload = refusal
        elif query and service != "elasticache" and action == "CreateDBInstance" and (
                refusal := self.capacity.create_refusal(params, region)):
            # No capacity for the class in the zone (instance_capacity.py): not forwarded.
            status, headers, payload = refusal
        elif query and service != "elasticache" and action == "ModifyDBInstance" and params.get("DBInstanceClass"):
            # A class change: checked for capacity, then shown `modifying` (instance_capacity.py).
            status, headers, payload = self.capacity.modify(
                params, region, self.query_upstream,
                lambda forwarded: self.forward(request, body if forwarded is None else forwarded))
        elif action == "DescribeGlobalClusters" and not target:
            status, headers, payload = self.forward(request, body)
            if status == 200:
                status, rewritten_headers, payload = self.globals.describe(params, payload, self.peek)
                headers = rewritten_headers or headers
        else:
            status, headers, payload = self.forward(request, body)
            if status == 200:
                payload = self.after_success(action, params, payload, region)
        if query and CHANGING_ACTIONS.match(action):
            with self.lock:
                self.counters.changes.append(Change(region, action, dict(params), status, service))
        if fault == "500-after":
            # The call took effect upstream; its answer is lost on the way back.
            return self.reply_error(request, is_dynamodb, 500, "InternalFailure", "injected: answer lost")
        self.reply(request, status, headers, payload)

    def pick_fault(self, action: str, params: dict | None = None) -> str | None:
        params = params or {}
        with self.lock:
            self.counters.requests += 1
            self.counters.calls[action] = self.counters.calls.get(action, 0) + 1
            named = (params.get("GlobalClusterIdentifier") or params.get("GlobalReplicationGroupId")
                     or params.get("DBClusterIdentifier") or params.get("DBInstanceIdentifier"))
            key = f"{action}:{named.lower()}" if named else action
            if key not in self.behaviour.scripted_faults:
                key = action
            script = self.behaviour.scripted_faults.get(key)
            if script is not None and not self.peek:
                index = self.scripted_calls.get(key, 0)
                self.scripted_calls[key] = index + 1
                kind = script[index] if index < len(script) else None
                if kind and kind != "pass":
                    self.counters.faults[kind] = self.counters.faults.get(kind, 0) + 1
                    self.counters.faults[f"{action}:{kind}"] = self.counters.faults.get(f"{action}:{kind}", 0) + 1
                    return kind
            if self.behaviour.fault_rate <= 0 or self.random.random() >= self.behaviour.fault_rate:
                return None
            kind = self.random.choice(self.behaviour.fault_kinds)
            self.counters.faults[kind] = self.counters.faults.get(kind, 0) + 1
            return kind

    def random_latency(self) -> float:
        with self.lock:
            return self.random.uniform(0, max(self.behaviour.latency_ms, 50)) / 1000

    def forward(self, request: BaseHTTPRequestHandler, body: bytes):
        connection = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        connection.request(request.command, request.path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        passed = [(k, v) for k, v in response.getheaders() if k.lower() not in ("content-length", "transfer-encoding", "connection")]
        connection.close()
        return response.status, passed, payload

    def reply(self, request: BaseHTTPRequestHandler, status: int, headers, payload: bytes) -> None:
        request.send_response(status)
        for key, value in headers:
            request.send_header(key, value)
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    def refuse_region(self, request: BaseHTTPRequestHandler, is_json: bool, region: str) -> None:
        """The region is down: the connection is reset with no answer (SO_LINGER 0 makes
        close() send RST), or HTTP 503 ServiceUnavailable."""
        if self.behaviour.outage == "503":
            return self.reply_error(request, is_json, 503, "ServiceUnavailable", f"{region} is down (drill outage)")
        request.close_connection = True
        request.wfile = _Discard()
        try:
            request.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            request.rfile.close()  # the last reference to the socket besides the connection
            request.connection.close()
        except OSError:
            pass

    def query_upstream(self, action: str, params: dict, region: str, service: str = "rds",
                       version: str = "2014-10-31") -> tuple[int, str]:
        """A Query-protocol call straight to moto, signed (in name) for `region` and
        `service` (moto routes a request by the service of its credential scope)."""
        body = urlencode({"Action": action, "Version": version, **params}).encode()
        connection = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        try:
            connection.request("POST", "/", body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20260101/{region}/{service}/aws4_request",
            })
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    def query_elasticache(self, action: str, params: dict, region: str) -> tuple[int, str]:
        return self.query_upstream(action, params, region, "elasticache", ELASTICACHE_VERSION)

    def reply_error(self, request, is_dynamodb: bool, status: int, code: str, message: str) -> None:
        request_id = str(uuid.uuid4())
        if is_dynamodb:
            kind = "com.amazon.coral.availability#ThrottlingException" if code == "Throttling" else f"com.amazon.coral.service#{code}"
            payload = json.dumps({"__type": kind, "message": message}).encode()
            headers = [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", request_id)]
        else:
            payload = (
                f'<ErrorResponse xmlns="{RDS_XMLNS}"><Error><Type>Sender</Type><Code>{code}</Code>'
                f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
            ).encode()
            headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
        self.reply(request, status, headers, payload)

    # --- what moto lacks ----------------------------------------------------------

    def failover_refusal(self, params: dict, region: str) -> tuple[str, str] | None:
        cluster_id = params.get("DBClusterIdentifier", "")
        target = params.get("TargetDBInstanceIdentifier")
        with self.lock:
            if self.failing_over.get(cluster_id, 0) > 0:
                return ("InvalidDBClusterStateFault", f"DB cluster {cluster_id} is failing-over")
        if target and target not in self.cluster_members(cluster_id, region or "us-east-1"):
            return ("InvalidParameterCombination", f"DB instance {target} is not a member of DB cluster {cluster_id}")
        return None

    def cluster_members(self, cluster_id: str, region: str) -> set[str]:
        _, text = self.query_upstream("DescribeDBClusters", {"DBClusterIdentifier": cluster_id}, region)
        return set(re.findall(r"<DBInstanceIdentifier>([^<]+)</DBInstanceIdentifier>", text))

    def after_success(self, action: str, params: dict, payload: bytes, region: str | None = None) -> bytes:
        if action == "CreateDBCluster":
            with self.lock:
                self.cluster_scripts[params.get("DBClusterIdentifier", "").lower()] = list(self.behaviour.new_cluster_statuses)
            return payload
        if action == "CreateDBInstance":
            lost = self.capacity.created(params, region)
            instance_id = params.get("DBInstanceIdentifier", "").lower()
            with self.lock:
                self.counters.create_instance_succeeded += 1
                if lost:  # accepted, then `insufficient-capacity` (instance_capacity.py)
                    self.instance_scripts[instance_id] = list(self.behaviour.capacity_lost_statuses)
                    self.instance_finals[instance_id] = "insufficient-capacity"
                else:
                    self.instance_scripts[instance_id] = list(self.behaviour.new_instance_statuses)
            return payload
        if action == "RestoreDBClusterToPointInTime":
            self.restores.restored_to_point_in_time(params, region)
            self.after_restore(action, params)
            return payload
        if action == "RestoreDBInstanceFromDBSnapshot":
            return self.after_restore(action, params, payload)
        if action in ("DescribeDBClusterSnapshots", "DescribeDBSnapshots"):
            return self.restores.snapshots_described(action, payload, region)
        if action == "FailoverDBCluster":
            with self.lock:
                self.counters.failovers_performed += 1
                self.failing_over[params.get("DBClusterIdentifier", "")] = self.behaviour.failing_over_polls
            return payload
        if action == "DescribeDBInstances":
            payload = self.rewrite_blocks(payload, "DBInstance", self.instance_status)
            payload = self.rewrite_blocks(payload, "DBInstance",
                                          lambda block: self.capacity.described(block, region, self.peek))
            return self.replicas.described(payload, self.peek)
        if action == "DescribeDBClusters":
            payload = self.rewrite_blocks(payload, "DBCluster", self.cluster_status)
            payload = self.replica_clusters.described(payload, self.peek)
            return self.globals.clusters_described(payload, region or "us-east-1")
        return payload

    def after_restore(self, action: str, params: dict, payload: bytes = b"") -> bytes:
        """A restore accepted: the restored cluster shows `creating` for its next polls, as
        one made by CreateDBCluster does; a restored DB instance goes through the statuses
        of one made by CreateDBInstance, from its answer on (snapshot_restores.py)."""
        with self.lock:
            if action == "RestoreDBInstanceFromDBSnapshot":
                statuses = list(self.behaviour.new_instance_statuses)
                self.instance_scripts[params.get("DBInstanceIdentifier", "").lower()] = statuses
            else:
                statuses = []
                self.cluster_scripts[params.get("DBClusterIdentifier", "").lower()] = list(self.behaviour.new_cluster_statuses)
        if statuses and payload:
            payload = re.sub(rb"<DBInstanceStatus>[^<]*</DBInstanceStatus>",
                             f"<DBInstanceStatus>{statuses[0]}</DBInstanceStatus>".encode(), payload, count=1)
        return payload

    @staticmethod
    def rewrite_blocks(payload: bytes, tag: str, rewrite) -> bytes:
        text = payload.decode()
        pattern = re.compile(rf"<{tag}>.*?</{tag}>", re.S)
        return pattern.sub(lambda m: rewrite(m.group(0)), text).encode()

    def instance_seen(self, instance_id: str, region: str):
        """The instance as the Lambdas in `region` would read it now, every rewrite applied,
        without using up a poll (read_replicas.InstanceSeen), or None if there is none."""
        status, text = self.query_upstream("DescribeDBInstances", {"DBInstanceIdentifier": instance_id}, region)
        if status != 200:
            return None
        payload = self.rewrite_blocks(text.encode(), "DBInstance", lambda block: self.instance_status(block, peek=True))
        payload = self.rewrite_blocks(payload, "DBInstance", lambda block: self.capacity.described(block, region, peek=True))
        return instance_seen(self.replicas.described(payload, peek=True).decode())

    def cluster_seen(self, cluster_id: str, region: str):
        """The cluster as the Lambdas in `region` would read it now, every rewrite applied,
        without using up a poll (replica_clusters.ClusterSeen), or None if there is none."""
        status, text = self.query_upstream("DescribeDBClusters", {"DBClusterIdentifier": cluster_id}, region)
        if status != 200:
            return None
        payload = self.rewrite_blocks(text.encode(), "DBCluster", lambda block: self.cluster_status(block, peek=True))
        return cluster_seen(self.replica_clusters.described(payload, peek=True).decode())

    def instance_status(self, block: str, peek: bool | None = None) -> str:
        peek = self.peek if peek is None else peek
        found = re.search(r"<DBInstanceIdentifier>([^<]+)</DBInstanceIdentifier>", block)
        with self.lock:
            script = self.instance_scripts.get(found.group(1)) if found else None
            if script is None:
                return block
            if script:
                status = script[0] if peek else script.pop(0)
            elif found.group(1) in self.behaviour.instance_scripts:
                return block  # a pre-scripted existing instance: back to what moto says
            else:
                status = self.instance_finals.get(found.group(1), self.behaviour.final_instance_status)
        return re.sub(r"<DBInstanceStatus>[^<]*</DBInstanceStatus>", f"<DBInstanceStatus>{status}</DBInstanceStatus>", block, count=1)

    def cluster_status(self, block: str, peek: bool | None = None) -> str:
        peek = self.peek if peek is None else peek
        found = re.search(r"<DBClusterIdentifier>([^<]+)</DBClusterIdentifier>", block)
        with self.lock:
            script = self.cluster_scripts.get(found.group(1)) if found else None
            if script:
                status = script[0] if peek else script.pop(0)
                # The cluster's own Status comes before the nested ones (VpcSecurityGroups').
                return re.sub(r"<Status>[^<]*</Status>", f"<Status>{status}</Status>", block, count=1)
            remaining = self.failing_over.get(found.group(1), 0) if found else 0
            if remaining <= 0:
                return block
            if not peek:
                self.failing_over[found.group(1)] = remaining - 1
        return block.replace("<Status>available</Status>", "<Status>failing-over</Status>", 1)


def check_scripts(scripted_faults: dict) -> None:
    for action, script in scripted_faults.items():
        unknown = [kind for kind in script if kind not in (None, "pass", *FAULT_KINDS)]
        if unknown:
            raise ValueError(f"scripted_faults[{action!r}]: unknown fault kinds {unknown}")


_CREDENTIAL_REGION = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/")
_CREDENTIAL_SERVICE = re.compile(r"Credential=[^/,\s]+/\d{8}/[a-z0-9-]+/([a-z0-9-]+)/")


def signed_region(authorization: str) -> str | None:
    """The region of a SigV4 Authorization header's credential scope
    (Credential=AKID/20261130/us-east-1/rds/aws4_request)."""
    found = _CREDENTIAL_REGION.search(authorization)
    return found.group(1) if found else None


def signed_service(authorization: str) -> str | None:
    """The service of a SigV4 Authorization header's credential scope (rds, elasticache,
    monitoring, ...)."""
    found = _CREDENTIAL_SERVICE.search(authorization)
    return found.group(1) if found else None


class _Discard:
    """Swallows whatever the HTTP server would still write to a reset connection."""

    closed = False

    def write(self, data) -> int:
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


# --- DescribeOrderableDBInstanceOptions, emulated -----------------------------------
#
# moto answers this call only for aurora-postgresql, from its own bundled table; for
# aurora-mysql (and every RDS engine) it returns an empty list, which on AWS means "this
# class cannot be ordered". So the proxy answers the call itself, for every engine, from the
# small table below, and never forwards it. The response follows the AWS API reference:
#   https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeOrderableDBInstanceOptions.html
#   https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_OrderableDBInstanceOption.html
# i.e. DescribeOrderableDBInstanceOptionsResponse / DescribeOrderableDBInstanceOptionsResult /
# OrderableDBInstanceOptions / OrderableDBInstanceOption (Engine, EngineVersion,
# DBInstanceClass, LicenseModel, AvailabilityZones/AvailabilityZone/Name, Vpc,
# SupportsStorageEncryption, StorageType, ...). Simplifications, all deliberate:
#   * any EngineVersion is orderable; the answer echoes the one asked for (or a default);
#   * every class is offered in every zone of the caller's region (orderable_zones: us-east-1's
#     ORDERABLE_ZONES, us-west-2a..d, else <region>a..c);
#   * one option per (engine, class): no per-storage-type or per-version rows;
#   * everything matching comes back in one page, without a Marker (MaxRecords is ignored).
# Not in the table, so "not orderable": db.m5.* (Aurora does not offer it) and every class
# or engine not listed.

ORDERABLE_ZONES = ("us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1f")
# The zones answered for a region (the caller's, from its credential scope); others get
# <region>a, b, c.
ZONES_BY_REGION = {
    "us-east-1": ORDERABLE_ZONES,
    "us-west-2": ("us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"),
}


def orderable_zones(region: str | None) -> tuple:
    region = region or "us-east-1"
    return ZONES_BY_REGION.get(region, tuple(f"{region}{z}" for z in "abc"))
_R6G_SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
ORDERABLE_CLASSES = (
    [f"db.r5.{s}" for s in ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge")]
    + [f"db.r6g.{s}" for s in _R6G_SIZES]
    + [f"db.r7g.{s}" for s in _R6G_SIZES]
    + [f"db.r6i.{s}" for s in ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge")]
    + [f"db.x2g.{s}" for s in _R6G_SIZES]
    + ["db.t3.medium", "db.t4g.medium", "db.t4g.large", "db.serverless"]
)
# engine -> (license model, engine version answered when none is asked for)
ORDERABLE_ENGINES = {
    "aurora-postgresql": ("postgresql-license", "16.4"),
    "aurora-mysql": ("general-public-license", "8.0.mysql_aurora.3.08.0"),
}


def orderable_options(engine: str, engine_version: str | None = None, instance_class: str | None = None,
                      license_model: str | None = None, vpc: str | None = None, region: str | None = None) -> list[dict]:
    """The table's rows for these filters; an empty list means "not orderable"."""
    if engine not in ORDERABLE_ENGINES:
        return []
    license_, default_version = ORDERABLE_ENGINES[engine]
    if license_model and license_model != license_:
        return []
    if vpc is not None and vpc.lower() == "false":
        return []  # Aurora is VPC-only
    rows = []
    for class_name in ORDERABLE_CLASSES:
        if instance_class and instance_class != class_name:
            continue
        burstable = class_name.startswith(("db.t3.", "db.t4g."))
        rows.append({
            "Engine": engine,
            "EngineVersion": engine_version or default_version,
            "DBInstanceClass": class_name,
            "LicenseModel": license_,
            "AvailabilityZones": list(orderable_zones(region)),
            "MultiAZCapable": False,
            "ReadReplicaCapable": False,
            "Vpc": True,
            "SupportsStorageEncryption": True,
            "StorageType": "aurora",
            "SupportsIops": False,
            "SupportsEnhancedMonitoring": True,
            "SupportsIAMDatabaseAuthentication": True,
            "SupportsPerformanceInsights": True,
            "SupportedEngineModes": ["provisioned"],
            "SupportsGlobalDatabases": not burstable and class_name != "db.serverless",
            "SupportsClusters": False,
        })
    return rows


def _xml_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def describe_orderable_db_instance_options(params: dict, region: str | None = None):
    """(status, headers, payload) for a DescribeOrderableDBInstanceOptions Query request
    signed for `region` (its zones; us-east-1 when unsigned)."""
    request_id = str(uuid.uuid4())
    headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
    engine = params.get("Engine")
    if not engine:
        payload = (
            f'<ErrorResponse xmlns="{RDS_XMLNS}"><Error><Type>Sender</Type><Code>MissingParameter</Code>'
            f"<Message>The request must contain the parameter Engine</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        return 400, headers, payload
    rows = orderable_options(engine, params.get("EngineVersion"), params.get("DBInstanceClass"),
                             params.get("LicenseModel"), params.get("Vpc"), region)
    options = []
    for row in rows:
        fields = []
        for key, value in row.items():
            if key == "AvailabilityZones":
                zones = "".join(f"<AvailabilityZone><Name>{_xml_text(z)}</Name></AvailabilityZone>" for z in value)
                fields.append(f"<AvailabilityZones>{zones}</AvailabilityZones>")
            elif isinstance(value, list):
                members = "".join(f"<member>{_xml_text(v)}</member>" for v in value)
                fields.append(f"<{key}>{members}</{key}>")
            else:
                fields.append(f"<{key}>{_xml_text(value)}</{key}>")
        options.append("<OrderableDBInstanceOption>" + "".join(fields) + "</OrderableDBInstanceOption>")
    payload = (
        f'<DescribeOrderableDBInstanceOptionsResponse xmlns="{RDS_XMLNS}">'
        "<DescribeOrderableDBInstanceOptionsResult>"
        f"<OrderableDBInstanceOptions>{''.join(options)}</OrderableDBInstanceOptions>"
        "</DescribeOrderableDBInstanceOptionsResult>"
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        "</DescribeOrderableDBInstanceOptionsResponse>"
    ).encode()
    return 200, headers, payload


def main() -> None:
    """Runs the proxy by itself until stdin closes: fault_proxy.py UPSTREAM_PORT [--throttle-all]."""
    import sys

    proxy = AwsLifecycleProxy(int(sys.argv[1]))
    if "--throttle-all" in sys.argv:
        proxy.configure(Behaviour(fault_rate=1.0, fault_kinds=("throttle",)))
    print(f"port {proxy.port}", flush=True)
    sys.stdin.read()
    proxy.stop()


if __name__ == "__main__":
    main()
