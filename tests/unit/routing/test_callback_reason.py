"""A caller who takes a virtual-hold callback and hangs up is not an abandoned call."""

from __future__ import annotations

from cti import events as ev
from cti.ami.protocol import AmiParser, Event, encode_headers
from cti.calls import CallModel

CALL = "1795498600.10"
CHANNELS = (
    ("Local/s@hold-0000000a;1", "1795498600.10"),
    ("Local/s@hold-0000000a;2", "1795498600.11"),
)


def feed(model: CallModel, name: str, now: float, **fields: str) -> list[ev.DomainEvent]:
    parser = AmiParser()
    out: list[ev.DomainEvent] = []
    data = b"Asterisk Call Manager/11.0.0\r\n" + encode_headers([("Event", name), *fields.items()])
    for msg in parser.feed(data)[1:]:
        assert isinstance(msg, Event)
        out += model.apply(msg, now)
    return out


def waiting_call(model: CallModel) -> None:
    for channel, uid in CHANNELS:
        feed(
            model,
            "Newchannel",
            0.0,
            Channel=channel,
            Uniqueid=uid,
            Linkedid=CALL,
            CallerIDNum="13900000001",
            CallerIDName="",
        )
    assert model.queue(CALL, "general", 1.0)


def hang_up(model: CallModel) -> ev.CallEnded:
    out: list[ev.DomainEvent] = []
    for channel, uid in CHANNELS:
        out += feed(model, "Hangup", 9.0, Channel=channel, Uniqueid=uid, Linkedid=CALL, Cause="16")
    (end,) = out
    assert isinstance(end, ev.CallEnded)
    return end


def test_hang_up_after_choosing_a_callback_ends_as_callback() -> None:
    model = CallModel()
    waiting_call(model)
    assert model.callback_requested(CALL)
    end = hang_up(model)
    assert end.reason == "callback" and end.answered_by is None
    assert not model.calls and not model._callbacks


def test_hang_up_without_a_callback_is_still_an_abandon() -> None:
    model = CallModel()
    waiting_call(model)
    assert hang_up(model).reason == "abandoned"


def test_no_callback_for_an_unknown_or_ended_call() -> None:
    model = CallModel()
    assert not model.callback_requested("nope")
    waiting_call(model)
    hang_up(model)
    assert not model.callback_requested(CALL)
