"""DB instance class changes and capacity, emulated for the failback drill's scale-up and
capacity-fallback scenarios (drill.py: scale-up-modify, capacity-*, abandoned-reader-*).

Class changes (ModifyDBInstance with a new DBInstanceClass). moto 5.2.5 applies the new
class (and PromotionTier) the moment the call arrives: the next DescribeDBInstances shows
the instance `available` with its new class, and it has no PendingModifiedValues at all.
AWS documents the change as work that takes a while:

  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html
    ApplyImmediately: "Specifies whether the modifications in this request and any pending
    modifications are asynchronously applied as soon as possible, regardless of the
    PreferredMaintenanceWindow setting for the DB instance. By default, this parameter is
    disabled. If this parameter is disabled, changes to the DB instance are applied during
    the next maintenance window."
    DBInstanceClass: a class change causes an outage during the change, and is applied
    during the next maintenance window unless ApplyImmediately is set.
  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_PendingModifiedValues.html
    DBInstanceClass: the compute and memory capacity class the DB instance will have once
    the pending change is applied (ModifyDBInstance's answer and DescribeDBInstances carry
    PendingModifiedValues while a change is pending or being applied).
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ModifyInstance.ApplyImmediately.html
    pending changes are shown in DescribeDBInstances' PendingModifiedValues.
  https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/accessing-monitoring.html#Overview.DBInstance.Status
    `modifying`: "The DB instance is being modified because of a customer request to
    modify the DB instance."

What is emulated, through the lifecycle proxy (fault_proxy.py):
  * ModifyDBInstance naming a DBInstanceClass other than the instance's is checked first:
      InvalidDBInstanceState (400)        a class change of the instance is under way (it is
                                          `modifying`): AWS modifies an instance that is
                                          `available`; which fault it answers is not
                                          documented for this case, this one is the
                                          drill's choice (a documented ModifyDBInstance
                                          error, "The DB instance isn't in a valid state");
      InsufficientDBInstanceCapacity (400) no capacity for the new class in the instance's
                                          Availability Zone (see Capacity below).
    Accepted, it is forwarded to moto (which applies class and tier at once), and the
    instance is shown as AWS shows it: the answer and the next `class_change_describes`
    DescribeDBInstances answers that include it (Behaviour.class_change_describes) show it
    `modifying`, with its OLD DBInstanceClass and PendingModifiedValues/DBInstanceClass the
    new one; after that it is what moto says: `available` with the new class and nothing
    pending. (AWS documents the states, not how long they last, nor whether the call's own
    answer already says `modifying`: the number of describes, and the answer showing the
    change begun, are the drill's choices.)
  * Without ApplyImmediately the class waits for the maintenance window, which never comes
    in a drill: the call is forwarded without DBInstanceClass (the rest applies) and every
    later describe shows PendingModifiedValues/DBInstanceClass, the status and class
    unchanged.
  * A ModifyDBInstance that names the class the instance already has is forwarded as it is.
  * The drill's own reads ("peeks") see the current phase without moving it on.

Capacity (InsufficientDBInstanceCapacity). moto creates any class anywhere. AWS may not
have the class in a zone:

  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html#API_CreateDBInstance_Errors
  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html#API_ModifyDBInstance_Errors
    InsufficientDBInstanceCapacity: "The specified DB instance class isn't available in
    the specified Availability Zone." HTTP Status Code: 400.
  https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/accessing-monitoring.html#Overview.DBInstance.Status
    `insufficient-capacity`: the instance was accepted but Aurora can't create it because
    sufficient capacity isn't currently available; create one with another class or in
    another Availability Zone.

  * A scenario declares (zone, class) pairs (Behaviour.no_capacity; zone "*" is every
    zone): CreateDBInstance for that class in that zone, and ModifyDBInstance changing an
    instance in that zone to that class, are answered HTTP 400 with the RDS error body
    (ErrorResponse/Error: Type Sender, Code InsufficientDBInstanceCapacity, Message) and
    are not forwarded: nothing is created or changed. The message text is the drill's
    own (AWS does not document its wording).
  * And pairs whose creation is accepted but ends `insufficient-capacity`
    (Behaviour.capacity_lost): the instance is created in moto, shows the
    Behaviour.capacity_lost_statuses (`creating`) for its next describes, then
    `insufficient-capacity` for good.
  * CreateDBInstance without an AvailabilityZone: AWS says "Aurora automatically chooses
    an appropriate Availability Zone if you don't specify one"
    (API_CreateDBInstance.html, AvailabilityZone). This emulation treats such a request
    as one for the region's first orderable zone (fault_proxy.orderable_zones: us-east-1a),
    which is also where moto puts the instance (<region>a). Real AWS may well choose a zone
    that has capacity instead: a scenario that declares no capacity in that first zone
    must not rely on a zone-less request being refused elsewhere.

Not emulated: capacity for StartDBInstance, RestoreDBInstanceFromDBSnapshot and read
replicas (AWS can refuse those too), a class change's effect on the cluster's endpoints
or connections (the outage the API reference mentions), DeleteDBInstance's `deleting`
phase (moto deletes at once), and any change but the class being shown pending.

Every capacity decision is kept (`calls`), so a scenario can prove that a (class, zone)
was tried once.
"""
from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlencode

RDS_XMLNS = "http://rds.amazonaws.com/doc/2014-10-31/"
PENDING = re.compile(r"<PendingModifiedValues>.*?</PendingModifiedValues>|<PendingModifiedValues/>", re.S)


@dataclass
class ClassChange:
    """A class change the proxy is showing: `remaining` describes still show it `modifying`
    (None: it waits for a maintenance window, pending for good)."""
    instance_id: str
    old_class: str
    new_class: str
    remaining: int | None


@dataclass(frozen=True)
class CapacityCall:
    """One CreateDBInstance or ModifyDBInstance (a class change) the proxy judged."""
    action: str
    instance_id: str
    instance_class: str
    zone: str
    outcome: str  # "accepted", "refused" (InsufficientDBInstanceCapacity), "capacity-lost", "busy"


@dataclass
class InstanceSeen:
    instance_id: str
    instance_class: str | None
    zone: str | None
    status: str | None


def field_of(block: str, tag: str) -> str | None:
    found = re.search(rf"<{tag}>([^<]*)</{tag}>", block)
    return found.group(1) if found else None


def error_response(status: int, code: str, message: str) -> tuple[int, list, bytes]:
    """An RDS Query error, as AWS answers one: ErrorResponse/Error (Type, Code, Message)."""
    request_id = str(uuid.uuid4())
    payload = (
        f'<ErrorResponse xmlns="{RDS_XMLNS}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
    return status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], payload


def pairs(declared) -> set[tuple[str, str]]:
    """(zone, class) pairs, lower-cased; checked so that a typo is not a silent no-op."""
    result = set()
    for pair in declared or ():
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
            raise ValueError(f"a capacity declaration is (zone, class), not {pair!r}")
        zone, instance_class = pair
        if not instance_class.startswith("db."):
            raise ValueError(f"({zone!r}, {instance_class!r}): the class comes second, e.g. ('us-east-1b', 'db.r6g.2xlarge')")
        result.add((zone.lower(), instance_class.lower()))
    return result


class InstanceCapacityEmulation:
    def __init__(self, no_capacity=(), capacity_lost=(), class_change_describes: int = 3,
                 default_zone: Callable[[str | None], str] = lambda region: f"{region or 'us-east-1'}a") -> None:
        self.no_capacity = pairs(no_capacity)
        self.capacity_lost = pairs(capacity_lost)
        self.class_change_describes = class_change_describes
        self.default_zone = default_zone
        self.lock = threading.Lock()
        # (region, instance id) -> the class change shown
        self.changes: dict[tuple[str, str], ClassChange] = {}
        self.calls: list[CapacityCall] = []

    # --- capacity ---------------------------------------------------------------------

    @staticmethod
    def _matches(declared: set, zone: str, instance_class: str) -> bool:
        zone, instance_class = zone.lower(), instance_class.lower()
        return (zone, instance_class) in declared or ("*", instance_class) in declared

    def _refusal(self, instance_class: str, zone: str) -> tuple[int, list, bytes]:
        return error_response(
            400, "InsufficientDBInstanceCapacity",
            f"Cannot create or modify a DB instance of class {instance_class} in Availability Zone {zone}: "
            "not enough capacity (drill). Try another DB instance class or Availability Zone, or leave the "
            "Availability Zone unset.")

    def creation_zone(self, params: dict, region: str | None) -> str:
        """The zone a CreateDBInstance is judged for: its AvailabilityZone, else the region's
        first orderable zone (see the module's notes)."""
        return params.get("AvailabilityZone") or self.default_zone(region)

    def create_refusal(self, params: dict, region: str | None) -> tuple[int, list, bytes] | None:
        """InsufficientDBInstanceCapacity for a CreateDBInstance whose (zone, class) has no
        capacity, or None (forward it)."""
        instance_class = params.get("DBInstanceClass", "")
        zone = self.creation_zone(params, region)
        instance_id = params.get("DBInstanceIdentifier", "").lower()
        if instance_class and self._matches(self.no_capacity, zone, instance_class):
            with self.lock:
                self.calls.append(CapacityCall("CreateDBInstance", instance_id, instance_class, zone, "refused"))
            return self._refusal(instance_class, zone)
        return None

    def created(self, params: dict, region: str | None) -> bool:
        """A CreateDBInstance moto accepted; True when its (zone, class) is declared to end
        `insufficient-capacity`."""
        instance_class = params.get("DBInstanceClass", "")
        zone = self.creation_zone(params, region)
        lost = bool(instance_class) and self._matches(self.capacity_lost, zone, instance_class)
        with self.lock:
            self.calls.append(CapacityCall("CreateDBInstance", params.get("DBInstanceIdentifier", "").lower(),
                                           instance_class, zone, "capacity-lost" if lost else "accepted"))
        return lost

    # --- class changes ------------------------------------------------------------------

    def modify(self, params: dict, region: str | None, upstream, forward) -> tuple[int, list, bytes]:
        """ModifyDBInstance with a DBInstanceClass. upstream(action, params, region) ->
        (status, text) straight to moto; forward(body: bytes | None) -> (status, headers,
        payload): the request to moto (its own body when None)."""
        region = region or "us-east-1"
        instance_id = params.get("DBInstanceIdentifier", "").lower()
        new_class = params.get("DBInstanceClass", "")
        immediately = params.get("ApplyImmediately", "false").lower() == "true"
        status, text = upstream("DescribeDBInstances", {"DBInstanceIdentifier": instance_id}, region)
        seen = _instance(text) if status == 200 else None
        if seen is None:
            return forward(None)  # moto answers DBInstanceNotFound
        key = (region, instance_id)
        with self.lock:
            change = self.changes.get(key)
        shown_class = change.old_class if change else seen.instance_class
        if change and change.remaining:
            with self.lock:
                self.calls.append(CapacityCall("ModifyDBInstance", instance_id, new_class, seen.zone or "?", "busy"))
            return error_response(400, "InvalidDBInstanceState",
                                  f"DB instance {instance_id} is modifying (a class change to {change.new_class} "
                                  "is under way); it can be modified once it is available")
        if not new_class or new_class == shown_class:
            return forward(None)
        zone = seen.zone or self.default_zone(region)
        if self._matches(self.no_capacity, zone, new_class):
            with self.lock:
                self.calls.append(CapacityCall("ModifyDBInstance", instance_id, new_class, zone, "refused"))
            return self._refusal(new_class, zone)
        if immediately:
            status, headers, payload = forward(None)
            remaining = self.class_change_describes
        else:
            # Pending until a maintenance window: the class is not applied (moto would).
            rest = {k: v for k, v in params.items() if k != "DBInstanceClass"}
            status, headers, payload = forward(urlencode(rest).encode())
            remaining = None
        if status != 200:
            return status, headers, payload
        with self.lock:
            self.calls.append(CapacityCall("ModifyDBInstance", instance_id, new_class, zone, "accepted"))
            self.changes[key] = ClassChange(instance_id, shown_class or "", new_class, remaining)
            change = self.changes[key]
        # The answer shows the instance as the call leaves it: the change just begun.
        block = re.compile(r"<DBInstance>.*?</DBInstance>", re.S)
        payload = block.sub(lambda m: self._show(m.group(0), change), payload.decode(), count=1).encode()
        return status, headers, payload

    def described(self, block: str, region: str | None, peek: bool) -> str:
        """One DBInstance block of a DescribeDBInstances answer, with the class change the
        proxy is showing for it; a describe that is not a peek moves the change on."""
        instance_id = (field_of(block, "DBInstanceIdentifier") or "").lower()
        key = (region or "us-east-1", instance_id)
        with self.lock:
            change = self.changes.get(key)
            if change is None:
                return block
            if change.remaining is not None and change.remaining <= 0:
                del self.changes[key]  # done: moto's instance, new class, available
                return block
            if change.remaining is not None and not peek:
                change.remaining -= 1
        return self._show(block, change)

    @staticmethod
    def _show(block: str, change: ClassChange) -> str:
        """The block with the change under way (or pending): the old class, the new one in
        PendingModifiedValues, `modifying` while it applies."""
        block = re.sub(r"<DBInstanceClass>[^<]*</DBInstanceClass>",
                       f"<DBInstanceClass>{change.old_class}</DBInstanceClass>", block, count=1)
        if change.remaining is not None:
            block = re.sub(r"<DBInstanceStatus>[^<]*</DBInstanceStatus>",
                           "<DBInstanceStatus>modifying</DBInstanceStatus>", block, count=1)
        block = PENDING.sub("", block)
        pending = f"<PendingModifiedValues><DBInstanceClass>{change.new_class}</DBInstanceClass></PendingModifiedValues>"
        return block.replace("</DBInstance>", pending + "</DBInstance>")

    def changing(self, instance_id: str, region: str = "us-east-1") -> ClassChange | None:
        with self.lock:
            return self.changes.get((region, instance_id.lower()))


def _instance(text: str) -> InstanceSeen | None:
    found = re.search(r"<DBInstance>.*?</DBInstance>", text, re.S)
    if not found:
        return None
    block = found.group(0)
    return InstanceSeen((field_of(block, "DBInstanceIdentifier") or "").lower(), field_of(block, "DBInstanceClass"),
                        field_of(block, "AvailabilityZone"), field_of(block, "DBInstanceStatus"))
