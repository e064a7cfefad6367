"""AMI event shapes of Asterisk 22.10.1: privileges and field order, as captured.

Pure formatting: a channel snapshot in, ordered header pairs out. The field orders come
from ``ami_event_catalog.txt`` of the recorded traces; clients must not depend on order,
but a faithful stand-in keeps it anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

Pairs = list[tuple[str, str]]

PRIVILEGE: dict[str, str] = {
    "AGIExecEnd": "agi,all",
    "AGIExecStart": "agi,all",
    "AgentCalled": "agent,all",
    "AgentComplete": "agent,all",
    "AgentConnect": "agent,all",
    "AgentRingNoAnswer": "agent,all",
    "DTMFBegin": "dtmf,all",
    "DTMFEnd": "dtmf,all",
    "FullyBooted": "system,all",
    "Shutdown": "system,all",
    "Newexten": "dialplan,all",
    "VarSet": "dialplan,all",
    "QueueCallerAbandon": "agent,all",
    "QueueCallerJoin": "agent,all",
    "QueueCallerLeave": "agent,all",
    "QueueMemberAdded": "agent,all",
    "QueueMemberPause": "agent,all",
    "QueueMemberRemoved": "agent,all",
    "QueueMemberStatus": "agent,all",
    "InvalidAccountID": "security,all",
    "InvalidPassword": "security,all",
    "RequestBadFormat": "security,all",
    "RequestNotAllowed": "security,all",
    "SuccessfulAuth": "security,all",
}
DEFAULT_PRIVILEGE = "call,all"

STATE_DESC = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up"}
UNKNOWN = "<unknown>"


@dataclass
class ChannelInfo:
    """The fields of Asterisk's standard channel snapshot."""

    name: str
    uniqueid: str
    linkedid: str
    state: int = 0
    cid_num: str = UNKNOWN
    cid_name: str = UNKNOWN
    conn_num: str = UNKNOWN
    conn_name: str = UNKNOWN
    language: str = "en"
    accountcode: str = ""
    context: str = ""
    exten: str = ""
    priority: int = 1
    variables: dict[str, str] = field(default_factory=dict)


def channel_block(ch: ChannelInfo, prefix: str = "") -> Pairs:
    return [
        (prefix + "Channel", ch.name),
        (prefix + "ChannelState", str(ch.state)),
        (prefix + "ChannelStateDesc", STATE_DESC.get(ch.state, "Unknown")),
        (prefix + "CallerIDNum", ch.cid_num),
        (prefix + "CallerIDName", ch.cid_name),
        (prefix + "ConnectedLineNum", ch.conn_num),
        (prefix + "ConnectedLineName", ch.conn_name),
        (prefix + "Language", ch.language),
        (prefix + "AccountCode", ch.accountcode),
        (prefix + "Context", ch.context),
        (prefix + "Exten", ch.exten),
        (prefix + "Priority", str(ch.priority)),
        (prefix + "Uniqueid", ch.uniqueid),
        (prefix + "Linkedid", ch.linkedid),
    ]


def head(name: str) -> Pairs:
    return [("Event", name), ("Privilege", PRIVILEGE.get(name, DEFAULT_PRIVILEGE))]


def channel_event(name: str, ch: ChannelInfo, extra: Iterable[tuple[str, str]] = ()) -> Pairs:
    return head(name) + channel_block(ch) + list(extra)


def dial_event(
    name: str, caller: ChannelInfo | None, dest: ChannelInfo, extra: Iterable[tuple[str, str]]
) -> Pairs:
    """DialBegin/DialEnd put the destination first; an Originate has no caller side."""
    pairs = head(name) + channel_block(dest, "Dest") + list(extra)
    if caller is not None:
        pairs += channel_block(caller)
    return pairs


def two_channel_event(
    name: str, ch: ChannelInfo, dest: ChannelInfo, extra: Iterable[tuple[str, str]]
) -> Pairs:
    """DialState and Agent* events: caller block, then the Dest block."""
    return head(name) + channel_block(ch) + channel_block(dest, "Dest") + list(extra)


def bridge_block(uid: str, count: int) -> Pairs:
    return [
        ("BridgeUniqueid", uid),
        ("BridgeType", "basic"),
        ("BridgeTechnology", "simple_bridge"),
        ("BridgeCreator", UNKNOWN),
        ("BridgeName", UNKNOWN),
        ("BridgeNumChannels", str(count)),
        ("BridgeVideoSourceMode", "none"),
    ]


def local_bridge(one: ChannelInfo, two: ChannelInfo, context: str, exten: str) -> Pairs:
    return (
        head("LocalBridge")
        + channel_block(one, "LocalOne")
        + channel_block(two, "LocalTwo")
        + [("Context", context), ("Exten", exten), ("LocalOptimization", "Yes")]
    )


def hangup_cause_text(cause: int) -> str:
    return {0: "Unknown", 16: "Normal Clearing", 4: "Normal Clearing"}.get(cause, "Unknown")
