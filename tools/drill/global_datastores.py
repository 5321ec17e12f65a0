"""ElastiCache (Redis OSS, Valkey) global datastores, emulated for the DR drill.

moto 5.2.5 keeps ElastiCache replication groups per region (CreateReplicationGroup,
DescribeReplicationGroups; with GlobalReplicationGroupId it even marks a new group a
SECONDARY) but implements none of the global datastore calls: CreateGlobalReplicationGroup,
DescribeGlobalReplicationGroups and FailoverGlobalReplicationGroup answer HTTP 500
NotImplementedError. The lifecycle proxy (fault_proxy.py) hands every request signed for
the service `elasticache` whose Action is one of DATASTORE_ACTIONS to this module, which
answers it in the ElastiCache Query API (Version 2015-02-02, XML in the namespace
http://elasticache.amazonaws.com/doc/2015-02-02/) as the API reference documents it, and
keeps the datastores itself:

  https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateGlobalReplicationGroup.html
  https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_DescribeGlobalReplicationGroups.html
  https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_FailoverGlobalReplicationGroup.html
  https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_GlobalReplicationGroup.html
  https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_GlobalReplicationGroupMember.html
  https://docs.aws.amazon.com/AmazonElastiCache/latest/red-ug/Redis-Global-Datastores-CLI.html
    (the global datastore ID prefix of each region: us-east-1 "ldgnf", us-west-2 "sgaui")

The element names are those of the ElastiCache API model (botocore's elasticache
2015-02-02 service-2.json, the model the Rust aws-sdk-elasticache is generated from):
<DescribeGlobalReplicationGroupsResponse><DescribeGlobalReplicationGroupsResult>
<GlobalReplicationGroups><GlobalReplicationGroup>{GlobalReplicationGroupId,
GlobalReplicationGroupDescription, Status, CacheNodeType, Engine, EngineVersion,
Members/GlobalReplicationGroupMember{ReplicationGroupId, ReplicationGroupRegion, Role,
AutomaticFailover, Status}, ClusterEnabled, AuthTokenEnabled, TransitEncryptionEnabled,
AtRestEncryptionEnabled, ARN}; errors <ErrorResponse><Error><Type>Sender</Type><Code>
<Message></Error><RequestId></ErrorResponse> with the model's codes and HTTP statuses.

A global datastore is global: one state, the same answer whichever region's endpoint is
asked (the region of the request's credential scope is recorded, never used to look up).

What is emulated:
  * CreateGlobalReplicationGroup(GlobalReplicationGroupIdSuffix, PrimaryReplicationGroupId,
    GlobalReplicationGroupDescription), for seeding a scenario; the id is the caller
    region's prefix, "-", the suffix. Checked: MissingParameter (400);
    ReplicationGroupNotFoundFault (404) no such replication group in the caller's region
    (moto's DescribeReplicationGroups); InvalidReplicationGroupState (400) the group
    already is a member of a global datastore (the drill's choice of fault);
    GlobalReplicationGroupAlreadyExistsFault (400). The datastore is `creating` for the
    next `describes_while_changing` describes, then `primary-only` (one member).
  * CreateReplicationGroup with GlobalReplicationGroupId (how AWS adds a secondary in
    another region): checked (GlobalReplicationGroupNotFoundFault 404;
    InvalidGlobalReplicationGroupState 400 while the datastore is not settled;
    InvalidParameterValue 400 when it already has a member in the caller's region), then
    forwarded to moto; the new group joins as SECONDARY and the datastore is `modifying`
    for the next describes, then `available`.
  * DescribeGlobalReplicationGroups(GlobalReplicationGroupId, ShowMemberInfo): Members
    only with ShowMemberInfo=true (as the parameter says: "Returns the list of members");
    GlobalReplicationGroupNotFoundFault (404) for an unknown id; every datastore without
    an id. One page: MaxRecords and Marker are ignored.
  * FailoverGlobalReplicationGroup(GlobalReplicationGroupId, PrimaryRegion,
    PrimaryReplicationGroupId): PrimaryRegion and PrimaryReplicationGroupId name the member
    to make primary ("The secondary region will become primary, and all other clusters
    will become secondary"). Checked in this order: MissingParameter (400);
    GlobalReplicationGroupNotFoundFault (404); InvalidGlobalReplicationGroupState (400)
    "The Global datastore is not available or in primary-only state" (a failover or a
    change under way included); InvalidParameterValue (400) no member in PrimaryRegion, or
    that member is not PrimaryReplicationGroupId, or it is the primary already (which
    fault AWS answers for the last is not documented: the drill's choice). Accepted, it
    answers the GlobalReplicationGroup `modifying` with the old roles; the next
    `describes_while_changing` describes (from any region) show it `modifying`, then
    `available` with the roles swapped: the named member PRIMARY, every other SECONDARY.
  * DescribeReplicationGroups: each member's GlobalReplicationGroupInfo
    (GlobalReplicationGroupId, GlobalReplicationGroupMemberRole) as the emulation has it
    (moto only ever writes SECONDARY, and nothing for the datastore's primary).
  * The drill's own reads ("peeks") see the current phase without moving it on; settle()
    finishes every change at once (for building a scenario's world).

Role values are written PRIMARY and SECONDARY, as the CloudFormation reference lists them
(AWS::ElastiCache::GlobalReplicationGroup GlobalReplicationGroupMember: "Allowed values:
PRIMARY | SECONDARY") and as moto writes GlobalReplicationGroupMemberRole; the API reference
only says "primary or secondary". A member's Status is `associated` throughout.

Not emulated: DeleteGlobalReplicationGroup, DisassociateGlobalReplicationGroup,
ModifyGlobalReplicationGroup and the other global datastore calls (moto answers HTTP 500),
the member replication groups' own statuses during a failover (they stay as moto says),
engine, node type and encryption checks between members, GlobalNodeGroups, events.

Every FailoverGlobalReplicationGroup is counted (`calls`), accepted or refused, so a
scenario can prove that a datastore was failed over exactly once.
"""
from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

ELASTICACHE_XMLNS = "http://elasticache.amazonaws.com/doc/2015-02-02/"
ELASTICACHE_VERSION = "2015-02-02"
DATASTORE_ACTIONS = ("CreateGlobalReplicationGroup", "DescribeGlobalReplicationGroups", "FailoverGlobalReplicationGroup")
# The global datastore ID prefix of each region (Redis-Global-Datastores-CLI.html).
ID_PREFIXES = {
    "us-east-2": "fpkhr", "us-east-1": "ldgnf", "us-west-1": "virxk", "us-west-2": "sgaui",
    "ca-central-1": "bxodz", "ap-south-1": "erpgt", "ap-northeast-1": "quwsw", "ap-northeast-2": "lfqnh",
    "ap-northeast-3": "nlapn", "ap-southeast-1": "vlqxn", "ap-southeast-2": "vbgxd", "eu-central-1": "iudkw",
    "eu-west-1": "gxeiz", "eu-west-2": "okuqm", "eu-west-3": "fgjhi", "sa-east-1": "juxlw",
}
PRIMARY, SECONDARY = "PRIMARY", "SECONDARY"
RG_BLOCK = re.compile(r"<ReplicationGroup>.*?</ReplicationGroup>", re.S)
RG_INFO = re.compile(r"<GlobalReplicationGroupInfo>.*?</GlobalReplicationGroupInfo>|<GlobalReplicationGroupInfo/>", re.S)


@dataclass
class Member:
    replication_group_id: str
    region: str
    role: str  # PRIMARY or SECONDARY
    status: str = "associated"


@dataclass
class Datastore:
    global_id: str
    description: str
    engine: str
    engine_version: str
    cache_node_type: str
    account: str
    members: list[Member]
    status: str  # the status once no change is under way
    # Statuses the next describes show (each non-peek describe uses one up), then `then`
    # is applied (roles swapped, a member joined) and `status` shows.
    phases: list[str] = field(default_factory=list)
    then: object = None
    cluster_enabled: bool = False

    @property
    def arn(self) -> str:
        # A global datastore is global: no region in its ARN.
        return f"arn:aws:elasticache::{self.account}:globalreplicationgroup:{self.global_id}"

    def current_status(self) -> str:
        return self.phases[0] if self.phases else self.status


@dataclass
class FailoverCall:
    """One FailoverGlobalReplicationGroup that reached the proxy."""
    region: str | None
    global_id: str
    primary_region: str
    primary_group: str
    accepted: bool
    error: str | None = None
    at: float = field(default_factory=time.monotonic)


class GlobalDatastoreEmulation:
    def __init__(self, upstream, describes_while_changing: int = 3, account: str = "123456789012") -> None:
        """upstream(action, params, region) -> (status, body text): an ElastiCache Query call
        to moto in that region. describes_while_changing: how many
        DescribeGlobalReplicationGroups answers show a change (creation, a member joining, a
        failover) under way before it is done, at least 1."""
        self.upstream = upstream
        self.describes_while_changing = max(describes_while_changing, 1)
        self.account = account
        self.lock = threading.Lock()
        self.datastores: dict[str, Datastore] = {}
        self.calls: list[FailoverCall] = []

    # --- what scenarios ask ------------------------------------------------------

    def failover_calls(self, global_id: str | None = None) -> list[FailoverCall]:
        with self.lock:
            return [c for c in self.calls if global_id in (None, c.global_id)]

    def accepted(self, global_id: str | None = None) -> list[FailoverCall]:
        return [c for c in self.failover_calls(global_id) if c.accepted]

    def settle(self) -> None:
        """Every change under way finished, as if enough time had passed."""
        with self.lock:
            for datastore in self.datastores.values():
                self._finish(datastore)

    def view(self, global_id: str) -> dict | None:
        """The datastore as a describe would show it now, without using up a phase."""
        with self.lock:
            datastore = self.datastores.get(global_id)
            if datastore is None:
                return None
            return {"status": datastore.current_status(),
                    "members": [(m.replication_group_id, m.region, m.role) for m in datastore.members]}

    # --- dispatch --------------------------------------------------------------------

    def handle(self, action: str, params: dict, region: str | None, peek: bool) -> tuple[int, list, bytes]:
        region = region or "us-east-1"
        if action == "CreateGlobalReplicationGroup":
            return self.create(params, region)
        if action == "DescribeGlobalReplicationGroups":
            return self.describe(params, peek)
        if action == "FailoverGlobalReplicationGroup":
            return self.failover(params, region)
        return error_response(400, "InvalidAction", f"{action} is not emulated")

    # --- CreateGlobalReplicationGroup -------------------------------------------------

    def create(self, params: dict, region: str) -> tuple[int, list, bytes]:
        suffix = params.get("GlobalReplicationGroupIdSuffix", "")
        primary = params.get("PrimaryReplicationGroupId", "")
        for name, value in (("GlobalReplicationGroupIdSuffix", suffix), ("PrimaryReplicationGroupId", primary)):
            if not value:
                return missing(name)
        group = self.replication_group(primary, region)
        if group is None:
            return error_response(404, "ReplicationGroupNotFoundFault", f"Replication group {primary} not found.")
        global_id = f"{ID_PREFIXES.get(region, 'drill')}-{suffix}"
        with self.lock:
            if self.membership(primary, region) is not None:
                return error_response(400, "InvalidReplicationGroupState",
                                      f"Replication group {primary} is already a member of a global datastore")
            if global_id in self.datastores:
                return error_response(400, "GlobalReplicationGroupAlreadyExistsFault",
                                      f"Global datastore {global_id} already exists")
            datastore = Datastore(
                global_id, params.get("GlobalReplicationGroupDescription", ""), group.get("Engine") or "redis",
                params.get("EngineVersion") or "7.1", group.get("CacheNodeType") or "cache.r6g.large", self.account,
                [Member(primary, region, PRIMARY)], "primary-only",
                phases=["creating"] * self.describes_while_changing,
                cluster_enabled=group.get("ClusterEnabled") == "true",
            )
            self.datastores[global_id] = datastore
            body = result_xml("CreateGlobalReplicationGroup", datastore_xml(datastore, members=True))
        return 200, xml_headers(), body

    def join(self, params: dict, region: str | None, forward) -> tuple[int, list, bytes]:
        """CreateReplicationGroup with GlobalReplicationGroupId: a secondary in the caller's
        region. forward() -> (status, headers, body): the call sent on to moto."""
        region = region or "us-east-1"
        global_id = params.get("GlobalReplicationGroupId", "")
        group_id = params.get("ReplicationGroupId", "")
        with self.lock:
            datastore = self.datastores.get(global_id)
            if datastore is None:
                return error_response(404, "GlobalReplicationGroupNotFoundFault", f"Global datastore {global_id} not found")
            if datastore.phases:
                return error_response(400, "InvalidGlobalReplicationGroupState",
                                      f"Global datastore {global_id} is {datastore.current_status()}")
            if any(m.region == region for m in datastore.members):
                return error_response(400, "InvalidParameterValue",
                                      f"Global datastore {global_id} already has a member in {region}")
        status, headers, body = forward()
        if status != 200:
            return status, headers, body
        with self.lock:
            member = Member(group_id.lower(), region, SECONDARY)
            datastore.phases = ["modifying"] * self.describes_while_changing

            def joined(d: Datastore = datastore, m: Member = member) -> None:
                d.members.append(m)
                d.status = "available"
            datastore.then = joined
        return status, headers, body

    # --- DescribeGlobalReplicationGroups ---------------------------------------------

    def describe(self, params: dict, peek: bool) -> tuple[int, list, bytes]:
        wanted = params.get("GlobalReplicationGroupId")
        show_members = params.get("ShowMemberInfo", "").lower() == "true"
        with self.lock:
            if wanted:
                datastore = self.datastores.get(wanted)
                if datastore is None:
                    return error_response(404, "GlobalReplicationGroupNotFoundFault", f"Global datastore {wanted} not found")
                chosen = [datastore]
            else:
                chosen = sorted(self.datastores.values(), key=lambda d: d.global_id)
            shown = []
            for datastore in chosen:
                shown.append(datastore_xml(datastore, show_members))
                if not peek and datastore.phases:
                    datastore.phases.pop(0)
                    if not datastore.phases:
                        self._finish(datastore)
        inner = f"<GlobalReplicationGroups>{''.join(shown)}</GlobalReplicationGroups>"
        return 200, xml_headers(), result_xml("DescribeGlobalReplicationGroups", inner)

    # --- FailoverGlobalReplicationGroup ------------------------------------------------

    def failover(self, params: dict, region: str) -> tuple[int, list, bytes]:
        global_id = params.get("GlobalReplicationGroupId", "")
        primary_region = params.get("PrimaryRegion", "")
        primary_group = params.get("PrimaryReplicationGroupId", "")

        def refuse(status: int, code: str, message: str):
            self.calls.append(FailoverCall(region, global_id, primary_region, primary_group, False, code))
            return error_response(status, code, message)

        with self.lock:
            for name, value in (("GlobalReplicationGroupId", global_id), ("PrimaryRegion", primary_region),
                                ("PrimaryReplicationGroupId", primary_group)):
                if not value:
                    self.calls.append(FailoverCall(region, global_id, primary_region, primary_group, False, "MissingParameter"))
                    return missing(name)
            datastore = self.datastores.get(global_id)
            if datastore is None:
                return refuse(404, "GlobalReplicationGroupNotFoundFault", f"Global datastore {global_id} not found")
            if datastore.phases or datastore.status != "available":
                return refuse(400, "InvalidGlobalReplicationGroupState",
                              f"Global datastore {global_id} is {datastore.current_status()}: "
                              "it is not available or in primary-only state")
            target = next((m for m in datastore.members if m.region == primary_region), None)
            if target is None:
                return refuse(400, "InvalidParameterValue",
                              f"Global datastore {global_id} has no member in {primary_region}")
            if target.replication_group_id != primary_group.lower():
                return refuse(400, "InvalidParameterValue",
                              f"The member of {global_id} in {primary_region} is {target.replication_group_id}, "
                              f"not {primary_group}")
            if target.role == PRIMARY:
                return refuse(400, "InvalidParameterValue",
                              f"Replication group {primary_group} already is the primary of {global_id}")
            datastore.phases = ["modifying"] * self.describes_while_changing

            def swapped(d: Datastore = datastore, new_primary: Member = target) -> None:
                for member in d.members:
                    member.role = PRIMARY if member is new_primary else SECONDARY
                d.status = "available"
            datastore.then = swapped
            self.calls.append(FailoverCall(region, global_id, primary_region, primary_group, True))
            body = result_xml("FailoverGlobalReplicationGroup", datastore_xml(datastore, members=True))
        return 200, xml_headers(), body

    # --- DescribeReplicationGroups --------------------------------------------------------

    def replication_groups_described(self, payload: bytes, region: str | None) -> bytes:
        """moto's answer, each group's GlobalReplicationGroupInfo as the emulation has it."""
        region = region or "us-east-1"
        text = payload.decode()

        def rewrite(match: re.Match) -> str:
            block = match.group(0)
            found = re.search(r"<ReplicationGroupId>([^<]+)</ReplicationGroupId>", block)
            if found is None:
                return block
            with self.lock:
                membership = self.membership(found.group(1), region)
            block = RG_INFO.sub("", block)
            if membership is None:
                return block
            datastore, member = membership
            info = (f"<GlobalReplicationGroupInfo><GlobalReplicationGroupId>{escape(datastore.global_id)}"
                    f"</GlobalReplicationGroupId><GlobalReplicationGroupMemberRole>{member.role}"
                    "</GlobalReplicationGroupMemberRole></GlobalReplicationGroupInfo>")
            return block.replace("</ReplicationGroupId>", "</ReplicationGroupId>" + info, 1)

        return RG_BLOCK.sub(rewrite, text).encode()

    # --- helpers -----------------------------------------------------------------------

    def _finish(self, datastore: Datastore) -> None:
        """Under self.lock."""
        datastore.phases = []
        if datastore.then is not None:
            then, datastore.then = datastore.then, None
            then()

    def membership(self, group_id: str, region: str) -> tuple[Datastore, Member] | None:
        """Under self.lock."""
        for datastore in self.datastores.values():
            for member in datastore.members:
                if member.replication_group_id == group_id.lower() and member.region == region:
                    return datastore, member
        return None

    def replication_group(self, group_id: str, region: str) -> dict | None:
        """A few fields of moto's replication group, or None if there is none."""
        status, text = self.upstream("DescribeReplicationGroups", {"ReplicationGroupId": group_id}, region)
        if status != 200:
            return None
        fields = {}
        for tag in ("Engine", "CacheNodeType", "ClusterEnabled", "Status"):
            found = re.search(rf"<{tag}>([^<]*)</{tag}>", text)
            if found:
                fields[tag] = found.group(1)
        return fields


def datastore_xml(datastore: Datastore, members: bool) -> str:
    parts = [
        f"<GlobalReplicationGroupId>{escape(datastore.global_id)}</GlobalReplicationGroupId>",
        f"<GlobalReplicationGroupDescription>{escape(datastore.description)}</GlobalReplicationGroupDescription>",
        f"<Status>{datastore.current_status()}</Status>",
        f"<CacheNodeType>{escape(datastore.cache_node_type)}</CacheNodeType>",
        f"<Engine>{escape(datastore.engine)}</Engine>",
        f"<EngineVersion>{escape(datastore.engine_version)}</EngineVersion>",
    ]
    if members:
        shown = "".join(
            "<GlobalReplicationGroupMember>"
            f"<ReplicationGroupId>{escape(m.replication_group_id)}</ReplicationGroupId>"
            f"<ReplicationGroupRegion>{m.region}</ReplicationGroupRegion>"
            f"<Role>{m.role}</Role>"
            "<AutomaticFailover>disabled</AutomaticFailover>"
            f"<Status>{m.status}</Status>"
            "</GlobalReplicationGroupMember>"
            for m in datastore.members
        )
        parts.append(f"<Members>{shown}</Members>")
    parts += [
        f"<ClusterEnabled>{'true' if datastore.cluster_enabled else 'false'}</ClusterEnabled>",
        "<AuthTokenEnabled>false</AuthTokenEnabled>",
        "<TransitEncryptionEnabled>false</TransitEncryptionEnabled>",
        "<AtRestEncryptionEnabled>false</AtRestEncryptionEnabled>",
        f"<ARN>{escape(datastore.arn)}</ARN>",
    ]
    return "<GlobalReplicationGroup>" + "".join(parts) + "</GlobalReplicationGroup>"


def result_xml(action: str, inner: str) -> bytes:
    """<ActionResponse><ActionResult>inner</ActionResult><ResponseMetadata>...: the awsQuery
    shape, the result's members (`inner`) inside <ActionResult>."""
    return (
        f'<{action}Response xmlns="{ELASTICACHE_XMLNS}"><{action}Result>{inner}</{action}Result>'
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{action}Response>"
    ).encode()


def xml_headers() -> list:
    return [("Content-Type", "text/xml"), ("x-amzn-RequestId", str(uuid.uuid4()))]


def missing(name: str) -> tuple[int, list, bytes]:
    return error_response(400, "MissingParameter", f"The request must contain the parameter {name}")


def error_response(status: int, code: str, message: str) -> tuple[int, list, bytes]:
    request_id = str(uuid.uuid4())
    body = (
        f'<ErrorResponse xmlns="{ELASTICACHE_XMLNS}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
    return status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body
