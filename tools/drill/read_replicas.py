"""RDS read-replica promotion (PromoteReadReplica), emulated for the DR drill's pilot light.

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

Not emulated: the replica's own creation (`creating`, `backing-up`: the drill builds
replicas straight in moto), BackupRetentionPeriod 0 refused for an instance that is itself
a source of replicas, the window's overlap with the maintenance window, RDS events, and
what happens to replication on the source's side besides its list of replicas.

Every call is counted (`calls`), accepted or refused, so a scenario can prove that a
replica was promoted exactly once.
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


class ReadReplicaEmulation:
    def __init__(self, phases: list[str]) -> None:
        self.phases = list(phases)
        self.lock = threading.Lock()
        # (region, instance id) -> its promotion
        self.promotions: dict[tuple[str, str], Promotion] = {}
        self.calls: list[PromoteCall] = []

    # --- what scenarios ask ------------------------------------------------------

    def promote_calls(self, instance_id: str | None = None) -> list[PromoteCall]:
        with self.lock:
            return [c for c in self.calls if instance_id in (None, c.instance_id)]

    def accepted(self, instance_id: str | None = None) -> list[PromoteCall]:
        return [c for c in self.promote_calls(instance_id) if c.accepted]

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
                        field_of("ReadReplicaSourceDBInstanceIdentifier"))


def error_response(status: int, code: str, message: str) -> tuple[int, list, bytes]:
    request_id = str(uuid.uuid4())
    body = (
        f'<ErrorResponse xmlns="{RDS_XMLNS}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
    return status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body
