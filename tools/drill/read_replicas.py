"""RDS read replicas, emulated for the DR drill's pilot light: their promotion
(PromoteReadReplica) and, for the failback preparation, the creation of a cross-region
read replica (CreateDBInstanceReadReplica; see "Creation" below).

moto 5.2.5 answers PromoteReadReplica, sets the instance `available` and applies
BackupRetentionPeriod and PreferredBackupWindow, but it leaves the promoted instance's
ReadReplicaSourceDBInstanceIdentifier set and the source still listing it in
ReadReplicaDBInstanceIdentifiers, it promotes an instance that is not a replica, and it
fails with HTTP 500 (a KeyError) for an instance that does not exist. To a caller that
reads DescribeDBInstances, as the DR Lambdas do, moto's promoted replica never stops being
a replica. The lifecycle proxy (fault_proxy.py) hands PromoteReadReplica to this module,
which answers it as AWS documents it, keeps the promotion's state itself, and rewrites
moto's DescribeDBInstances answers with it:

  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_PromoteReadReplica.html
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html
  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html

What is emulated:
  * PromoteReadReplica(DBInstanceIdentifier, BackupRetentionPeriod, PreferredBackupWindow),
    checked in this order:
      MissingParameter (400)           no DBInstanceIdentifier;
      InvalidParameterValue (400)      BackupRetentionPeriod not 0..35, PreferredBackupWindow
                                       not hh24:mi-hh24:mi (the API reference's constraints);
      DBInstanceNotFound (404)         no instance of that name in the caller's region
                                       (DBInstanceNotFoundFault);
      InvalidDBInstanceState (400)     the instance is being promoted already, or is not
                                       `available` (the API reference: "a read replica cannot
                                       be promoted to a standalone instance when it is in the
                                       backing-up status"; the fault: "The DB instance isn't
                                       in a valid state"), or is not a read replica
                                       ("Must match the identifier of an existing read
                                       replica DB instance").
    The status checked is the one the Lambdas would read now, the proxy's scripted
    statuses (Behaviour.instance_scripts) included.
  * Accepted, the call is forwarded to moto, which applies the backup settings; its answer
    (the DBInstance) is shown `modifying`, still naming its source.
  * The next DescribeDBInstances answers that include the instance go through `phases`
    (Behaviour.promotion_statuses: `modifying`, then `rebooting`, as the user guide says
    "RDS reboots the DB instance before making it available"); after the last phase the
    instance is what moto says (`available`), a standalone instance: no
    ReadReplicaSourceDBInstanceIdentifier, and its source no longer lists it in
    ReadReplicaDBInstanceIdentifiers. When the source stops being shown is this drill's
    choice (AWS documents only the end state): while the instance is `modifying` it still
    names its source; from the reboot on it no longer does.
  * The drill's own reads ("peeks") see the current phase without moving it on.

Not emulated for a promotion: the lifecycle of the replicas the drill builds itself
(straight in moto, `available` at once), BackupRetentionPeriod 0 refused for an instance that is itself
a source of replicas, the window's overlap with the maintenance window, RDS events, and
what happens to replication on the source's side besides its list of replicas.

Every call is counted (`calls`), accepted or refused, so a scenario can prove that a
replica was promoted exactly once.

Creation (CreateDBInstanceReadReplica). moto 5.2.5 creates a replica by copying its
source and then applying the call's parameters, the replica's region last, so for a
cross-region replica it looks DBSubnetGroupName up in the source's region (a group of
that name in the caller's region is DBSubnetGroupNotFoundFault; one in the source's
region is taken, with its VPC); it accepts an identifier that is already taken
(overwriting that instance, listing it twice on the source); it keeps the source's backup
settings; and the new instance is `available` at once. The proxy hands the call to
`create`, which answers as the API reference documents it:

  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.XRgn.html
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html#Overview.DBInstance.Status

  * checked in this order:
      MissingParameter (400)            no DBInstanceIdentifier or SourceDBInstanceIdentifier;
      DBInstanceAlreadyExists (400)     an instance of that name in the caller's region
                                        (DBInstanceAlreadyExistsFault: "The user already has
                                        a DB instance with the given identifier");
      DBInstanceNotFound (404)          no source of that name (an ARN: in its region);
      InvalidDBInstanceState (400)      the source is not `available`, or keeps no backups
                                        ("Your source DB instance or cluster must have backup
                                        retention enabled"; which fault AWS answers then is
                                        not documented: this one is the drill's choice);
      DBSubnetGroupNotAllowedFault (400) DBSubnetGroupName for a replica in the source's region;
      DBSubnetGroupNotFoundFault (404)  no DB subnet group of that name in the caller's region
                                        ("must be in the same Amazon Web Services Region in
                                        which the operation is running").
  * Accepted, it is forwarded to moto without DBSubnetGroupName; then, straight to moto in
    the caller's region, ModifyDBInstance sets the group (now looked up there) and
    BackupRetentionPeriod 0 ("RDS creates read replicas with backups disabled"). The
    answer shows the instance as that leaves it, `creating`; the proxy then has the next
    DescribeDBInstances show it `creating` (Behaviour.new_replica_statuses) before
    `available`, as AWS lists a new instance.

Not emulated for a creation: the KMS rules (a KmsKeyId is required for an encrypted
cross-region replica and an unencrypted source cannot have an encrypted one: the drill
makes its sources encrypted and checks the key itself), PreSignedUrl (which the API
reference says applies only to the AWS GovCloud (US) Regions), the subnet group's VPC
against other replicas of the source (InvalidDBSubnetGroupFault), security groups,
parameter groups, option groups, quotas and capacity, and the Availability Zone (moto
keeps the source's). moto also fails (HTTP 500) to delete a cross-region replica: its
source's list holds the replica's ARN and moto removes its identifier.
"""
from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass, field

RDS_XMLNS = "http://rds.amazonaws.com/doc/2014-10-31/"
WINDOW = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
INSTANCE_BLOCK = re.compile(r"<DBInstance>.*?</DBInstance>", re.S)
SOURCE_TAG = re.compile(r"<ReadReplicaSourceDBInstanceIdentifier>[^<]*</ReadReplicaSourceDBInstanceIdentifier>")
# Phases in which the instance still names its source (see the module's notes).
SOURCE_SHOWN_WHILE = ("modifying",)
# An instance's ARN: its region and identifier.
INSTANCE_ARN = re.compile(r"^arn:[a-z-]+:rds:([a-z0-9-]+):\d{12}:db:([A-Za-z0-9-]+)$")


@dataclass
class PromoteCall:
    """One PromoteReadReplica that reached the proxy."""
    region: str | None
    instance_id: str
    backup_retention_period: str | None
    preferred_backup_window: str | None
    accepted: bool
    error: str | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class CreateReplicaCall:
    """One CreateDBInstanceReadReplica that reached the proxy."""
    region: str | None
    instance_id: str
    source: str
    accepted: bool
    error: str | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Promotion:
    """A promotion under way or finished, of the instance `arn`."""
    arn: str
    source: str | None  # ReadReplicaSourceDBInstanceIdentifier before the promotion
    phases: list[str]
    shown: int = 0  # how many describes have shown a phase

    @property
    def finished(self) -> bool:
        return self.shown >= len(self.phases)

    def phase(self) -> str | None:
        return None if self.finished else self.phases[self.shown]

    def source_shown(self) -> bool:
        return not self.finished and self.phases[self.shown] in SOURCE_SHOWN_WHILE


@dataclass(frozen=True)
class InstanceSeen:
    """An instance as the Lambdas would see it now."""
    arn: str
    status: str
    source: str | None
    retention: str | None = None  # BackupRetentionPeriod


class ReadReplicaEmulation:
    def __init__(self, phases: list[str]) -> None:
        self.phases = list(phases)
        self.lock = threading.Lock()
        # (region, instance id) -> its promotion
        self.promotions: dict[tuple[str, str], Promotion] = {}
        self.calls: list[PromoteCall] = []
        self.creations: list[CreateReplicaCall] = []

    # --- what scenarios ask ------------------------------------------------------

    def promote_calls(self, instance_id: str | None = None) -> list[PromoteCall]:
        with self.lock:
            return [c for c in self.calls if instance_id in (None, c.instance_id)]

    def accepted(self, instance_id: str | None = None) -> list[PromoteCall]:
        return [c for c in self.promote_calls(instance_id) if c.accepted]

    def create_calls(self, instance_id: str | None = None) -> list[CreateReplicaCall]:
        with self.lock:
            return [c for c in self.creations if instance_id in (None, c.instance_id)]

    # --- CreateDBInstanceReadReplica --------------------------------------------------

    def create(self, params: dict, region: str | None, seen, upstream, forward,
               answer_status: str | None) -> tuple[int, list, bytes]:
        """seen(instance_id, region) -> InstanceSeen | None, as in promote();
        upstream(action, params, region) -> (status, text): a call straight to moto;
        forward(params) -> (status, headers, body): the call sent on to moto with these
        parameters. answer_status: the status the answer shows (None: moto's)."""
        region = region or "us-east-1"
        instance_id = params.get("DBInstanceIdentifier", "").lower()
        source = params.get("SourceDBInstanceIdentifier", "")
        subnet_group = params.get("DBSubnetGroupName")

        def refuse(status: int, code: str, message: str):
            with self.lock:
                self.creations.append(CreateReplicaCall(region, instance_id, source, False, code))
            return error_response(status, code, message)

        if not instance_id:
            return refuse(400, "MissingParameter", "The request must contain the parameter DBInstanceIdentifier")
        if not source:
            return refuse(400, "MissingParameter", "The request must contain the parameter SourceDBInstanceIdentifier")
        arn = INSTANCE_ARN.match(source)
        source_region, source_id = (arn.group(1), arn.group(2)) if arn else (region, source)
        if seen(instance_id, region) is not None:
            return refuse(400, "DBInstanceAlreadyExists", f"DB instance already exists: {instance_id}")
        found = seen(source_id.lower(), source_region)
        if found is None:
            return refuse(404, "DBInstanceNotFound", f"DBInstance {source_id} not found.")
        if found.status != "available":
            return refuse(400, "InvalidDBInstanceState", f"DB instance {source_id} is {found.status}, not available")
        if not found.retention or found.retention == "0":
            return refuse(400, "InvalidDBInstanceState",
                          f"DB instance {source_id} has no automated backups: a read replica's source must keep them")
        if subnet_group is not None:
            if source_region == region:
                return refuse(400, "DBSubnetGroupNotAllowedFault",
                              "DbSubnetGroupName should not be specified for read replicas that are created in the same region as the source")
            status, _ = upstream("DescribeDBSubnetGroups", {"DBSubnetGroupName": subnet_group}, region)
            if status != 200:
                return refuse(404, "DBSubnetGroupNotFoundFault", f"DB subnet group {subnet_group} not found in {region}.")

        status, headers, body = forward({k: v for k, v in params.items() if k != "DBSubnetGroupName"})
        if status != 200:
            with self.lock:
                self.creations.append(CreateReplicaCall(region, instance_id, source, False, f"moto {status}"))
            return status, headers, body
        # What moto leaves wrong, put right in the caller's region (see the module's notes).
        fix = {"DBInstanceIdentifier": instance_id, "BackupRetentionPeriod": "0", "ApplyImmediately": "true"}
        if subnet_group is not None:
            fix["DBSubnetGroupName"] = subnet_group
        upstream("ModifyDBInstance", fix, region)
        _, described = upstream("DescribeDBInstances", {"DBInstanceIdentifier": instance_id}, region)
        with self.lock:
            self.creations.append(CreateReplicaCall(region, instance_id, source, True))
        text = body.decode()
        now = INSTANCE_BLOCK.search(described)
        if now is not None:
            text = INSTANCE_BLOCK.sub(lambda _: now.group(0), text, count=1)
        if answer_status:
            text = re.sub(r"<DBInstanceStatus>[^<]*</DBInstanceStatus>",
                          f"<DBInstanceStatus>{answer_status}</DBInstanceStatus>", text, count=1)
        return 200, headers, text.encode()

    # --- PromoteReadReplica ---------------------------------------------------------

    def promote(self, params: dict, region: str | None, seen, forward) -> tuple[int, list, bytes]:
        """seen(instance_id, region) -> InstanceSeen | None: the instance as the Lambdas would
        read it now (without using up a poll). forward() -> (status, headers, body): the
        call sent on to moto."""
        region = region or "us-east-1"
        instance_id = params.get("DBInstanceIdentifier", "").lower()  # RDS stores identifiers lowercase
        retention = params.get("BackupRetentionPeriod")
        window = params.get("PreferredBackupWindow")

        def refuse(status: int, code: str, message: str):
            with self.lock:
                self.calls.append(PromoteCall(region, instance_id, retention, window, False, code))
            return error_response(status, code, message)

        if not instance_id:
            return refuse(400, "MissingParameter", "The request must contain the parameter DBInstanceIdentifier")
        if retention is not None and not (retention.isdigit() and 0 <= int(retention) <= 35):
            return refuse(400, "InvalidParameterValue", f"BackupRetentionPeriod {retention} must be a value from 0 to 35")
        if window is not None and not WINDOW.match(window):
            return refuse(400, "InvalidParameterValue", f"PreferredBackupWindow {window} must be in the format hh24:mi-hh24:mi")
        instance = seen(instance_id, region)
        if instance is None:
            return refuse(404, "DBInstanceNotFound", f"DBInstance {instance_id} not found.")
        with self.lock:
            under_way = self.promotions.get((region, instance_id))
            busy = under_way.phase() if under_way is not None else None
        if busy is not None:
            return refuse(400, "InvalidDBInstanceState", f"DB instance {instance_id} is {busy}: it is being promoted")
        if instance.status != "available":
            return refuse(400, "InvalidDBInstanceState",
                          f"DB instance {instance_id} is {instance.status}, not available")
        if not instance.source:
            return refuse(400, "InvalidDBInstanceState", f"DB instance {instance_id} is not a read replica")

        status, headers, body = forward()
        if status != 200:
            with self.lock:
                self.calls.append(PromoteCall(region, instance_id, retention, window, False, f"moto {status}"))
            return status, headers, body
        with self.lock:
            self.promotions[(region, instance_id)] = Promotion(instance.arn, instance.source, list(self.phases))
            self.calls.append(PromoteCall(region, instance_id, retention, window, True))
        # The answer shows the instance as the call leaves it: modifying, a replica still.
        first = self.phases[0] if self.phases else "available"
        text = re.sub(r"<DBInstanceStatus>[^<]*</DBInstanceStatus>",
                      f"<DBInstanceStatus>{first}</DBInstanceStatus>", body.decode(), count=1)
        return 200, headers, text.encode()

    # --- DescribeDBInstances -------------------------------------------------------------

    def described(self, payload: bytes, peek: bool) -> bytes:
        """moto's DescribeDBInstances answer with the promotions applied. Without `peek`,
        each answer that includes an instance being promoted uses up one of its phases."""
        text = payload.decode()
        with self.lock:
            if not self.promotions:
                return payload
            # The replicas whose source is no longer shown: the sources must not list them.
            gone = {p.arn for p in self.promotions.values() if not p.source_shown()}

            def rewrite(match: re.Match) -> str:
                block = match.group(0)
                for arn in gone:
                    block = block.replace(f"<ReadReplicaDBInstanceIdentifier>{arn}</ReadReplicaDBInstanceIdentifier>", "")
                arn = re.search(r"<DBInstanceArn>([^<]+)</DBInstanceArn>", block)
                promotion = next((p for p in self.promotions.values() if arn and p.arn == arn.group(1)), None)
                if promotion is None:
                    return block
                phase, source_shown = promotion.phase(), promotion.source_shown()
                if not peek and not promotion.finished:
                    promotion.shown += 1
                if not source_shown:
                    block = SOURCE_TAG.sub("", block)
                if phase is not None:
                    block = re.sub(r"<DBInstanceStatus>[^<]*</DBInstanceStatus>",
                                   f"<DBInstanceStatus>{phase}</DBInstanceStatus>", block, count=1)
                return block

            return INSTANCE_BLOCK.sub(rewrite, text).encode()


def instance_seen(text: str) -> InstanceSeen | None:
    """The first instance of a DescribeDBInstances answer (already rewritten)."""
    block = INSTANCE_BLOCK.search(text)
    if block is None:
        return None

    def field_of(tag: str) -> str | None:
        found = re.search(rf"<{tag}>([^<]*)</{tag}>", block.group(0))
        return found.group(1) if found and found.group(1) else None

    return InstanceSeen(field_of("DBInstanceArn") or "", field_of("DBInstanceStatus") or "",
                        field_of("ReadReplicaSourceDBInstanceIdentifier"), field_of("BackupRetentionPeriod"))


def error_response(status: int, code: str, message: str) -> tuple[int, list, bytes]:
    request_id = str(uuid.uuid4())
    body = (
        f'<ErrorResponse xmlns="{RDS_XMLNS}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
    return status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body
