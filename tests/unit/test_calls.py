"""The call model on the real Asterisk traces, and its resync on plain values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cti import events as ev
from cti.ami.protocol import AmiParser, Event
from cti.calls import CallModel, SnapshotChannel, agent_from_channel
from tests.conftest import FIXTURES


def replay(name: str, model: CallModel | None = None) -> tuple[CallModel, list[ev.DomainEvent]]:
    """Feed a trace's received bytes at their recorded read boundaries and times."""
    ami = FIXTURES / "ami"
    data = (ami / f"{name}.rx.raw").read_bytes()
    model = model or CallModel()
    out: list[ev.DomainEvent] = []
    parser = AmiParser()
    for line in (ami / f"{name}.idx.jsonl").read_text().splitlines():
        rec = json.loads(line)
        if rec.get("mark") == "connect":
            parser = AmiParser()
        if rec.get("dir") != "rx":
            continue
        for msg in parser.feed(data[rec["off"] : rec["off"] + rec["len"]]):
            if isinstance(msg, Event):
                out += model.apply(msg, rec["mono"])
    return model, out


def kinds(events: list[ev.DomainEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


def test_ivr_redirect_call_is_one_call_from_ivr_to_agent() -> None:
    model, out = replay("b_ivr_redirect")
    assert kinds(out) == [
        "CallStarted",
        "IvrEntered",
        "RecordingStarted",
        "AgentRinging",
        "CallAnswered",
        "CallEnded",
    ]
    assert len({e.call_id for e in out}) == 1
    start = out[0]
    assert isinstance(start, ev.CallStarted) and start.call_id == "1795498539.2"
    end = out[-1]
    assert isinstance(end, ev.CallEnded)
    assert end.reason == "completed" and end.answered_by == "1001"
    assert [s for s, _ in end.timeline] == ["new", "ivr", "ringing", "connected", "wrap_up"]
    # the caller id set by Originate after Newchannel reached the call
    assert end.summary["caller_number"] == "5550002"
    assert end.summary["caller_name"] == "Lab Caller B"
    assert end.summary["talk_seconds"] == pytest.approx(30.0, abs=0.2)
    assert model.live() == {}


def test_hangup_inside_the_ivr_ends_as_ivr_hangup() -> None:
    _, out = replay("b2_agi_hangup")
    end = out[-1]
    assert isinstance(end, ev.CallEnded) and end.reason == "ivr_hangup"
    assert end.answered_by is None


def test_app_queue_calls_answered_abandoned_and_ring_no_answer() -> None:
    model, out = replay("c_queue")
    ended = [e for e in out if isinstance(e, ev.CallEnded)]
    assert [e.reason for e in ended] == ["completed", "abandoned", "abandoned"]
    assert ended[0].answered_by == "1002"
    queued = [e for e in out if isinstance(e, ev.CallQueued)]
    assert {q.service for q in queued} == {"support"} and all(
        q.source == "app_queue" for q in queued
    )
    no_answer = [e for e in out if isinstance(e, ev.AgentNoAnswer)]
    assert [(e.agent, e.status) for e in no_answer] == [("1009", "NOANSWER"), ("1009", "CANCEL")]
    rings = [e for e in out if isinstance(e, ev.AgentRinging) and e.agent == "1009"]
    assert len(rings) == 2, "the retry rings again after AgentRingNoAnswer"
    assert rings[1].waited == pytest.approx(17.0, abs=0.1)
    assert model.live() == {}


def test_recorded_call_reports_its_recording() -> None:
    _, out = replay("e_record_hangup")
    starts = [e for e in out if isinstance(e, ev.RecordingStarted)]
    assert starts and starts[0].uniqueid == "1795498726.223"
    assert isinstance(out[-1], ev.CallEnded) and out[-1].reason == "completed"


def test_restart_with_live_call_ends_the_call_once() -> None:
    _, out = replay("f2_restart_live_call")
    ended = [e for e in out if isinstance(e, ev.CallEnded)]
    assert len(ended) == 1 and ended[0].answered_by == "1001"


@pytest.mark.parametrize(
    "name,expected",
    [
        ("Local/1001@agents-0000002a;1", "1001"),
        ("PJSIP/1001-0000000a", "1001"),
        ("Local/1002@agents", "1002"),
        ("PJSIP/alice", "alice"),
        ("SIP/2001-00000001", "2001"),
    ],
)
def test_agent_endpoint_from_channel(name: str, expected: str) -> None:
    assert agent_from_channel(name) == expected


def _row(
    uid: str,
    linked: str,
    name: str,
    context: str,
    app: str,
    bridge: str = "",
    number: str = "13800000000",
) -> SnapshotChannel:
    return SnapshotChannel(uid, linked, name, context, app, "", bridge, number, "张三", 5.0)


def test_resync_ends_calls_that_vanished_and_adopts_new_ones() -> None:
    model, _ = replay("b_ivr_redirect")
    assert model.live() == {}
    # a call the model knows, live
    model.apply(
        Event(
            "Newchannel",
            {
                "Uniqueid": "10.1",
                "Linkedid": "10.1",
                "Channel": "Local/s@ivr-entry-00000009;1",
                "CallerIDNum": "139",
            },
        ),
        100.0,
    )
    model.apply(
        Event(
            "Newchannel",
            {
                "Uniqueid": "10.2",
                "Linkedid": "10.1",
                "Channel": "Local/s@ivr-entry-00000009;2",
                "CallerIDNum": "139",
            },
        ),
        100.0,
    )
    model.begin_resync()
    out = model.reconcile(
        [
            _row("20.1", "20.1", "Local/s@ivr-entry-0000000a;1", "caller-sim", "Wait"),
            _row("20.2", "20.1", "Local/s@ivr-entry-0000000a;2", "connect", "Dial", bridge="b1"),
            _row("20.3", "20.1", "Local/1002@agents-0000000b;1", "agents", "AppDial", bridge="b1"),
            _row("20.4", "20.1", "Local/1002@agents-0000000b;2", "agents", "Wait"),
        ],
        200.0,
    )
    assert kinds(out) == ["CallEnded", "CallStarted", "CallAnswered"]
    assert out[0].call_id == "10.1" and out[0].reason == "ivr_hangup"
    assert out[1].call_id == "20.1" and out[1].at == 195.0
    assert out[2].agent == "1002"
    assert {k: v.value for k, v in model.live().items()} == {"20.1": "connected"}


def test_resync_does_not_resurrect_a_channel_hung_up_during_the_listing() -> None:
    model = CallModel()
    model.begin_resync()
    model.apply(Event("Hangup", {"Uniqueid": "30.2", "Channel": "x"}), 1.0)
    out = model.reconcile([_row("30.2", "30.2", "PJSIP/trunk-1", "hold", "Wait")], 2.0)
    assert out == [] and model.live() == {}


def test_resync_keeps_a_call_created_while_the_listing_was_built() -> None:
    model = CallModel()
    model.begin_resync()
    model.apply(
        Event(
            "Newchannel",
            {
                "Uniqueid": "40.1",
                "Linkedid": "40.1",
                "Channel": "PJSIP/trunk-2",
                "CallerIDNum": "1",
            },
        ),
        1.0,
    )
    out = model.reconcile([], 2.0)
    assert out == [] and "40.1" in model.live()


def test_hold_and_transfer_events_move_the_call() -> None:
    model = CallModel()
    model.apply(
        Event(
            "Newchannel",
            {
                "Uniqueid": "1.1",
                "Linkedid": "1.1",
                "Channel": "PJSIP/trunk-1",
                "CallerIDNum": "139",
            },
        ),
        0.0,
    )
    model.apply(
        Event("Newchannel", {"Uniqueid": "1.2", "Linkedid": "1.1", "Channel": "PJSIP/1001-1"}), 1.0
    )
    model.apply(
        Event(
            "DialBegin",
            {
                "Uniqueid": "1.1",
                "Channel": "PJSIP/trunk-1",
                "DestChannel": "PJSIP/1001-1",
                "DestUniqueid": "1.2",
            },
        ),
        1.0,
    )
    out = model.apply(
        Event(
            "DialEnd",
            {
                "Uniqueid": "1.1",
                "Channel": "PJSIP/trunk-1",
                "DestChannel": "PJSIP/1001-1",
                "DialStatus": "ANSWER",
            },
        ),
        2.0,
    )
    assert kinds(out) == ["CallAnswered"]
    assert kinds(model.apply(Event("Hold", {"Uniqueid": "1.1", "Channel": "x"}), 3.0)) == [
        "CallHeld"
    ]
    assert kinds(model.apply(Event("Unhold", {"Uniqueid": "1.1", "Channel": "x"}), 5.0)) == [
        "CallResumed"
    ]
    out = model.apply(
        Event(
            "BlindTransfer",
            {"TransfererUniqueid": "1.2", "Extension": "2000", "TransferTargetContext": "cti-ivr"},
        ),
        6.0,
    )
    assert kinds(out) == ["CallTransferred"] and out[0].target == "2000@cti-ivr"
    # attended: a second call's channel joins a bridge with ours and is folded in
    model.apply(
        Event("Newchannel", {"Uniqueid": "2.1", "Linkedid": "2.1", "Channel": "PJSIP/1001-2"}), 7.0
    )
    model.apply(Event("BridgeEnter", {"Uniqueid": "1.1", "BridgeUniqueid": "B"}), 8.0)
    out = model.apply(Event("BridgeEnter", {"Uniqueid": "2.1", "BridgeUniqueid": "B"}), 8.0)
    assert kinds(out) == ["CallTransferred"] and out[0].merged_call_id == "2.1"
    for uid in ("1.2", "2.1"):
        assert model.apply(Event("Hangup", {"Uniqueid": uid}), 9.0) == []
    end = model.apply(Event("Hangup", {"Uniqueid": "1.1", "Cause": "16"}), 10.0)
    assert kinds(end) == ["CallEnded"] and end[0].summary["hold_seconds"] == 2.0
    assert end[0].summary["transfers"] == 2


def test_every_trace_leaves_no_live_call(fixtures_dir: Path) -> None:
    for raw in sorted((fixtures_dir / "ami").glob("*.rx.raw")):
        name = raw.name.removesuffix(".rx.raw")
        _model, out = replay(name)
        started = {e.call_id for e in out if isinstance(e, ev.CallStarted)}
        ended = [e.call_id for e in out if isinstance(e, ev.CallEnded)]
        assert sorted(ended) == sorted(started), name
