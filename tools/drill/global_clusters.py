"""Aurora global database switchover and failover, emulated for the DR drill.

moto 5.2.5 keeps global clusters and their members (GlobalClusterMembers with IsWriter)
but does not implement SwitchoverGlobalCluster or FailoverGlobalCluster (it answers HTTP
500 NotImplementedError), never reports a FailoverState, never changes a member's role,
and its DescribeGlobalClusters ignores GlobalClusterIdentifier (it answers every global
cluster). The lifecycle proxy (fault_proxy.py) hands those calls to this module, which
answers them as the AWS API reference documents, keeps the resulting state itself, and
rewrites moto's DescribeGlobalClusters answers with it:

  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_SwitchoverGlobalCluster.html
  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_FailoverGlobalCluster.html
  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeGlobalClusters.html
  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_GlobalCluster.html
  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_FailoverState.html

What is emulated:
  * SwitchoverGlobalCluster(GlobalClusterIdentifier, TargetDbClusterIdentifier) and
    FailoverGlobalCluster(GlobalClusterIdentifier, TargetDbClusterIdentifier,
    AllowDataLoss, Switchover). FailoverGlobalCluster without AllowDataLoss is a
    switchover ("If you don't specify AllowDataLoss, the global database cluster
    operation defaults to a switchover"); AllowDataLoss with Switchover is refused
    (InvalidParameterCombination: "Can't be specified together").
  * The call is checked as AWS documents its errors, in this order:
      GlobalClusterNotFoundFault (404)   the global cluster does not exist;
      InvalidGlobalClusterStateFault     a switchover or failover is already in progress
                                         (FailoverState Status pending, switching-over,
                                         failing-over or cancelling);
      DBClusterNotFoundFault (404)       the target names no cluster (an ARN is looked up
                                         in its own region, an identifier in the caller's);
      InvalidDBClusterStateFault         the target is not a secondary of this global
                                         cluster (not a member, or already its writer).
    Accepted, it answers the GlobalCluster (Status modifying, FailoverState Status
    pending, FromDbClusterArn the writer, ToDbClusterArn the target, IsDataLossAllowed).
  * The next DescribeGlobalClusters answers that include the global cluster go through
    `phases`: FailoverState Status pending, then switching-over (a switchover) or
    failing-over (a failover with data loss), with the global cluster's Status
    `modifying`; after the last phase the members' IsWriter is swapped (the target is the
    writer, with the other members as its Readers; the old writer a reader), Status is
    available again and FailoverState is gone. That last part is this drill's choice for
    both kinds: FailoverState.Status has only in-progress values (pending,
    failing-over, switching-over, cancelling), so a finished operation is shown by its
    absence; IsDataLossAllowed and FromDbClusterArn are visible while it runs.
  * DescribeGlobalClusters with GlobalClusterIdentifier answers that global cluster only,
    and GlobalClusterNotFoundFault (404) when there is none of that name, as AWS does.
  * The drill's own reads ("peeks") see the current phase without moving it on.
  * A DB cluster's GlobalClusterIdentifier (DescribeDBClusters) is shown only while the
    cluster is a member of that global cluster. moto keeps it on a cluster after
    RemoveFromGlobalCluster, which on AWS leaves "a standalone cluster with read-write
    capability" (API_RemoveFromGlobalCluster.html, below); the field "identifies a global
    database cluster" the cluster belongs to (API_DBCluster.html). Without this, the old
    primary detached after a failover would look to the Lambdas like a member still.
      https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RemoveFromGlobalCluster.html
      https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBCluster.html

What moto already does as AWS does, and is left to it: CreateDBCluster with
GlobalClusterIdentifier (in any region) joins the new cluster to the global cluster as a
secondary (IsWriter false, listed in GlobalClusterMembers at once), and DeleteDBCluster of
a member takes it out of GlobalClusterMembers. (The new cluster's `creating` status is the
proxy's, fault_proxy.Behaviour.new_cluster_statuses.)

Not emulated: the DB clusters' own statuses during the switch (they stay as moto says),
the old primary being rebuilt as a secondary after a failover (a scenario builds the
state it leaves instead), the global cluster's status while a secondary is added,
CreateDBCluster's checks of the secondary against the global cluster (engine version,
KMS key and subnet group in the region), cancelling, RDS events (RDS-EVENT-0181..0187),
and a switchover refused because the primary's region is down.

Every call is counted (`calls`), accepted or refused, so a scenario can prove that a
global cluster was switched exactly once.

moto's answers are rewritten with ElementTree rather than the proxy's regex helper
(rewrite_blocks): in the Query XML a global cluster is a <GlobalClusterMember> element
(the list's member name in the RDS API model) and so is each of its members, nested inside
it, which a non-greedy regex cannot pair up.
"""
from __future__ import annotations

import copy
import re
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

RDS_XMLNS = "http://rds.amazonaws.com/doc/2014-10-31/"
NS = f"{{{RDS_XMLNS}}}"
ET.register_namespace("", RDS_XMLNS)

SWITCH_ACTIONS = ("SwitchoverGlobalCluster", "FailoverGlobalCluster")
IN_PROGRESS = ("pending", "switching-over", "failing-over", "cancelling")
CLUSTER_ARN = re.compile(r"^arn:aws[a-z-]*:rds:([a-z0-9-]+):(\d{12}):cluster:([A-Za-z0-9-]+)$")


@dataclass
class SwitchCall:
    """One SwitchoverGlobalCluster or FailoverGlobalCluster that reached the proxy."""
    action: str
    global_cluster_id: str
    target: str
    allow_data_loss: bool
    region: str
    accepted: bool
    error: str | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Switch:
    """A switchover or failover under way, as FailoverState shows it."""
    kind: str  # "switchover" or "failover"
    from_arn: str | None
    to_arn: str
    data_loss: bool
    phases: list[str]
    shown: int = 0  # how many describes have shown a phase


class GlobalClusterEmulation:
    def __init__(self, describe_upstream, describes_while_switching: int = 3) -> None:
        """describe_upstream(action, params: dict, region) -> (status, body text): a Query
        call to moto, unmodified (the proxy's own connection). describes_while_switching:
        how many DescribeGlobalClusters answers show a switch under way (the first one
        pending), at least 2."""
        self.describe_upstream = describe_upstream
        self.describes_while_switching = max(describes_while_switching, 2)
        self.lock = threading.Lock()
        # global cluster id -> the writer's ARN after a finished switch (overrides moto)
        self.writers: dict[str, str] = {}
        # global cluster id -> the switch under way
        self.switches: dict[str, Switch] = {}
        self.calls: list[SwitchCall] = []

    # --- what scenarios ask ------------------------------------------------------

    def accepted(self, global_cluster_id: str | None = None) -> list[SwitchCall]:
        with self.lock:
            return [c for c in self.calls if c.accepted and global_cluster_id in (None, c.global_cluster_id)]

    def switch_calls(self, global_cluster_id: str | None = None) -> list[SwitchCall]:
        with self.lock:
            return [c for c in self.calls if global_cluster_id in (None, c.global_cluster_id)]

    # --- SwitchoverGlobalCluster / FailoverGlobalCluster ----------------------------

    def switch(self, action: str, params: dict, region: str) -> tuple[int, list, bytes]:
        global_id = params.get("GlobalClusterIdentifier", "").lower()  # RDS stores identifiers lowercase
        target = params.get("TargetDbClusterIdentifier", "")
        allow_data_loss = params.get("AllowDataLoss", "").lower() == "true"
        switchover_flag = params.get("Switchover", "").lower() == "true"

        def refuse(status: int, code: str, message: str):
            with self.lock:
                self.calls.append(SwitchCall(action, global_id, target, allow_data_loss, region, False, code))
            return error_response(status, code, message)

        if not global_id or not target:
            missing = "GlobalClusterIdentifier" if not global_id else "TargetDbClusterIdentifier"
            return refuse(400, "MissingParameter", f"The request must contain the parameter {missing}")
        if action == "FailoverGlobalCluster" and allow_data_loss and switchover_flag:
            return refuse(400, "InvalidParameterCombination", "AllowDataLoss and Switchover can't be specified together")
        kind = "failover" if action == "FailoverGlobalCluster" and allow_data_loss else "switchover"

        element = self.moto_global_cluster(global_id, region)
        if element is None:
            return refuse(404, "GlobalClusterNotFoundFault", f"Global cluster {global_id} not found")
        target_arn = self.cluster_arn(target, region)
        with self.lock:
            under_way = self.switches.get(global_id)
            if under_way is not None:
                self.calls.append(SwitchCall(action, global_id, target, allow_data_loss, region, False,
                                             "InvalidGlobalClusterStateFault"))
                return error_response(400, "InvalidGlobalClusterStateFault",
                                      f"Global cluster {global_id} is in the middle of a {under_way.kind} "
                                      f"({under_way.phases[min(under_way.shown, len(under_way.phases) - 1)]})")
        if target_arn is None:
            return refuse(404, "DBClusterNotFoundFault", f"DBCluster {target} not found")
        with self.lock:
            members = self.members(global_id, element)
            writer = next((arn for arn, is_writer in members if is_writer), None)
            if target_arn not in [arn for arn, _ in members]:
                self.calls.append(SwitchCall(action, global_id, target, allow_data_loss, region, False,
                                             "InvalidDBClusterStateFault"))
                return error_response(400, "InvalidDBClusterStateFault",
                                      f"DB cluster {target_arn} is not a member of global cluster {global_id}")
            if target_arn == writer:
                self.calls.append(SwitchCall(action, global_id, target, allow_data_loss, region, False,
                                             "InvalidDBClusterStateFault"))
                return error_response(400, "InvalidDBClusterStateFault",
                                      f"DB cluster {target_arn} already is the primary of global cluster {global_id}")
            in_progress = "failing-over" if kind == "failover" else "switching-over"
            self.switches[global_id] = Switch(
                kind, writer, target_arn, kind == "failover",
                ["pending"] + [in_progress] * (self.describes_while_switching - 1),
            )
            self.calls.append(SwitchCall(action, global_id, target, allow_data_loss, region, True))
            shown = self.render(global_id, copy.deepcopy(element), advance=False)
        shown.tag = f"{NS}GlobalCluster"
        response = ET.Element(f"{NS}{action}Response")
        ET.SubElement(response, f"{NS}{action}Result").append(shown)
        ET.SubElement(ET.SubElement(response, f"{NS}ResponseMetadata"), f"{NS}RequestId").text = str(uuid.uuid4())
        return 200, xml_headers(), ET.tostring(response, encoding="utf-8", xml_declaration=False)

    # --- DescribeGlobalClusters ------------------------------------------------------

    def describe(self, params: dict, payload: bytes, peek: bool) -> tuple[int, list | None, bytes]:
        """moto's answer with the emulated state; (status, headers or None to keep moto's, body)."""
        root = ET.fromstring(payload)
        container = root.find(f"{NS}DescribeGlobalClustersResult/{NS}GlobalClusters")
        if container is None:
            return 200, None, payload
        wanted = params.get("GlobalClusterIdentifier")
        with self.lock:
            for element in list(container):
                global_id = text_of(element, "GlobalClusterIdentifier")
                if wanted and global_id != wanted.lower():
                    container.remove(element)  # moto ignores the filter; AWS does not
                    continue
                self.render(global_id, element, advance=not peek)
        if wanted and len(container) == 0:
            return error_response(404, "GlobalClusterNotFoundFault", f"Global cluster {wanted} not found")
        return 200, None, ET.tostring(root, encoding="utf-8", xml_declaration=False)

    # --- DescribeDBClusters -------------------------------------------------------------

    def clusters_described(self, payload: bytes, region: str) -> bytes:
        """moto's DescribeDBClusters answer, each cluster's GlobalClusterIdentifier kept only
        while the cluster is a member of that global cluster (see the module's notes)."""
        text = payload.decode()
        if "<GlobalClusterIdentifier>" not in text:
            return payload
        status, described = self.describe_upstream("DescribeGlobalClusters", {}, region)
        if status != 200:
            return payload
        members: dict[str, set[str]] = {}
        for element in ET.fromstring(described).iter(f"{NS}GlobalClusterMember"):
            if element.find(f"{NS}GlobalClusterIdentifier") is None:
                continue  # a member inside a global cluster, not a global cluster
            members[text_of(element, "GlobalClusterIdentifier")] = {
                text_of(m, "DBClusterArn")
                for m in element.findall(f"{NS}GlobalClusterMembers/{NS}GlobalClusterMember")
            }

        def keep_if_member(block: re.Match) -> str:
            cluster = block.group(0)
            named = re.search(r"<GlobalClusterIdentifier>([^<]*)</GlobalClusterIdentifier>", cluster)
            arn = re.search(r"<DBClusterArn>([^<]+)</DBClusterArn>", cluster)
            if named is None or arn is None:
                return cluster
            # moto stores an ARN there for a cluster named by CreateGlobalCluster's source.
            global_id = named.group(1).split(":global-cluster:")[-1].lower()
            if arn.group(1) in members.get(global_id, ()):
                return cluster
            return cluster.replace(named.group(0), "", 1)

        return re.sub(r"<DBCluster>.*?</DBCluster>", keep_if_member, text, flags=re.S).encode()

    # --- the state, applied to moto's view --------------------------------------------

    def members(self, global_id: str, element: ET.Element) -> list[tuple[str, bool]]:
        """(cluster ARN, is writer) per member, with the emulated writer. Under self.lock."""
        found = [
            (text_of(m, "DBClusterArn"), text_of(m, "IsWriter") == "true")
            for m in element.findall(f"{NS}GlobalClusterMembers/{NS}GlobalClusterMember")
        ]
        writer = self.writers.get(global_id)
        if writer is None or writer not in [arn for arn, _ in found]:
            return found
        return [(arn, arn == writer) for arn, _ in found]

    def render(self, global_id: str, element: ET.Element, advance: bool) -> ET.Element:
        """Rewrites one GlobalCluster element (moto's) in place. Under self.lock. With
        `advance`, this answer uses up one phase of a switch under way; after the last
        phase the switch is finished (the writer moved) for the answers that follow."""
        switch = self.switches.get(global_id)
        phase = None
        if switch is not None:
            phase = switch.phases[min(switch.shown, len(switch.phases) - 1)]
            if advance:
                switch.shown += 1
        members = self.members(global_id, element)
        if switch is not None:
            # While it runs, the roles are still the old ones.
            set_text(element, "Status", "modifying")
            state = ET.SubElement(element, f"{NS}FailoverState")
            ET.SubElement(state, f"{NS}Status").text = phase
            if switch.from_arn:
                ET.SubElement(state, f"{NS}FromDbClusterArn").text = switch.from_arn
            ET.SubElement(state, f"{NS}ToDbClusterArn").text = switch.to_arn
            ET.SubElement(state, f"{NS}IsDataLossAllowed").text = "true" if switch.data_loss else "false"
            if advance and switch.shown >= len(switch.phases):
                self.writers[global_id] = switch.to_arn
                del self.switches[global_id]
        write_members(element, members)
        return element

    def moto_global_cluster(self, global_id: str, region: str) -> ET.Element | None:
        status, text = self.describe_upstream("DescribeGlobalClusters", {}, region)
        if status != 200:
            return None
        root = ET.fromstring(text)
        for element in root.iter(f"{NS}GlobalClusterMember"):
            if element.find(f"{NS}GlobalClusterIdentifier") is not None and text_of(element, "GlobalClusterIdentifier") == global_id.lower():
                return element
        return None

    def cluster_arn(self, target: str, caller_region: str) -> str | None:
        """The ARN of the cluster the target names, or None if there is none."""
        found = CLUSTER_ARN.match(target)
        region, cluster_id = (found.group(1), found.group(3)) if found else (caller_region, target)
        status, text = self.describe_upstream("DescribeDBClusters", {"DBClusterIdentifier": cluster_id}, region)
        if status != 200:
            return None
        arn = re.search(r"<DBClusterArn>([^<]+)</DBClusterArn>", text)
        return arn.group(1) if arn else None


def text_of(element: ET.Element, tag: str) -> str:
    child = element.find(f"{NS}{tag}")
    return (child.text or "") if child is not None else ""


def set_text(element: ET.Element, tag: str, value: str) -> None:
    child = element.find(f"{NS}{tag}")
    if child is None:
        child = ET.SubElement(element, f"{NS}{tag}")
    child.text = value


def write_members(element: ET.Element, members: list[tuple[str, bool]]) -> None:
    """GlobalClusterMembers as AWS shows them: the writer lists the others as Readers."""
    container = element.find(f"{NS}GlobalClusterMembers")
    if container is None:
        return
    old = {text_of(m, "DBClusterArn"): m for m in container.findall(f"{NS}GlobalClusterMember")}
    for child in list(container):
        container.remove(child)
    for arn, is_writer in members:
        member = ET.SubElement(container, f"{NS}GlobalClusterMember")
        ET.SubElement(member, f"{NS}DBClusterArn").text = arn
        readers = ET.SubElement(member, f"{NS}Readers")
        if is_writer:
            for other, _ in members:
                if other != arn:
                    ET.SubElement(readers, f"{NS}member").text = other
        ET.SubElement(member, f"{NS}IsWriter").text = "true" if is_writer else "false"
        if not is_writer:
            ET.SubElement(member, f"{NS}GlobalWriteForwardingStatus").text = "disabled"
        for keep in ("DBClusterParameterGroupStatus", "PromotionTier", "SynchronizationStatus"):
            previous = old.get(arn)
            if previous is not None and previous.find(f"{NS}{keep}") is not None:
                ET.SubElement(member, f"{NS}{keep}").text = text_of(previous, keep)


def xml_headers() -> list:
    return [("Content-Type", "text/xml"), ("x-amzn-RequestId", str(uuid.uuid4()))]


def error_response(status: int, code: str, message: str) -> tuple[int, list, bytes]:
    request_id = str(uuid.uuid4())
    body = (
        f'<ErrorResponse xmlns="{RDS_XMLNS}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
    return status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body
