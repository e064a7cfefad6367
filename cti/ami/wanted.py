"""The AMI events the engine reads. Everything else is dropped by the parser from its
first line, before decoding: over half of a busy Asterisk's traffic is VarSet,
Newexten, DeviceStateChange and caller-id churn that no part of the engine uses."""

from __future__ import annotations

ENGINE_EVENTS: frozenset[str] = frozenset(
    {
        # lifecycle of the AMI link
        "FullyBooted",
        "Shutdown",
        "Reload",
        # channels and bridges: the call model
        "Newchannel",
        "Newstate",
        "Rename",
        "NewCallerid",  # Originate and many trunks set the caller id after Newchannel
        "Hangup",
        "SoftHangupRequest",  # Cause 4: Asterisk shutting down cuts the call
        "DialBegin",
        "DialEnd",
        "BridgeEnter",
        "BridgeLeave",
        "BlindTransfer",
        "AttendedTransfer",
        "Hold",
        "Unhold",
        "AGIExecStart",
        "DTMFEnd",
        "OriginateResponse",
        # app_queue
        "QueueCallerJoin",
        "QueueCallerLeave",
        "QueueCallerAbandon",
        "AgentCalled",
        "AgentConnect",
        "AgentComplete",
        "AgentRingNoAnswer",
        "AgentDump",
        "QueueMemberStatus",
        "QueueMemberAdded",
        "QueueMemberRemoved",
        "QueueMemberPause",
        # recording
        "MixMonitorStart",
        "MixMonitorStop",
        "MixMonitorMute",
        # list replies used by the resync
        "CoreShowChannel",
        "CoreShowChannelsComplete",
        "QueueParams",
        "QueueMember",
        "QueueEntry",
        "QueueStatusComplete",
        "QueueSummary",
        "QueueSummaryComplete",
        "Status",
        "StatusComplete",
    }
)
