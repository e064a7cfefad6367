"""Virtual-hold callbacks: ``Originate Local/<number>@<callback context>`` with
``Context: connect``.

On a real site the ``;2`` half runs the callback context, which dials the customer over a
trunk (``Dial(PJSIP/${EXTEN}@trunk)``); once the customer answers, the ``;1`` half (the
Originate's channel) is answered and runs the Originate's ``Context`` — the connect
dialplan, which records and dials the agent. Here the customer is simulated behind ``;2``
(answering after ``answer_after`` model seconds, or never) and the connect dialplan runs on
``;1``: the ``Leg`` is built with the halves swapped (``leg.c2`` = the half that runs
connect), so Dial(), the bridge and the hangup paths are the ones a held caller uses.
No trace covers this flow; the events follow the Originate and Dial orders of the traces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cti.simulator import events as ev
from cti.simulator.leg import FOREVER, Leg, local_device
from cti.simulator.model import CallRecord
from cti.simulator.parties import CallerSpec

if TYPE_CHECKING:
    from cti.simulator.dialplan import Dialplan


def originate_callback(
    dp: Dialplan,
    spec: CallerSpec,
    *,
    number: str,
    dial_context: str,
    connect_context: str,
    action_id: str,
    timeout: float,
    answer_after: float | None,
) -> Leg:
    pbx = dp.pbx
    record = CallRecord(linkedid="", number=number, started=pbx.now())
    one, two = pbx.new_local_pair(number, dial_context, None, record)
    record.linkedid = one.linkedid
    pbx.calls[record.linkedid] = record
    pbx.processed_calls += 1
    # c1 = the customer's half, c2 = the half that runs the connect dialplan.
    leg = Leg(spec, record, two, one)
    dp.legs[one.name] = leg
    dp.legs[two.name] = leg
    one.role, two.role = "dialplan", "caller"
    pbx.chan_event("Newchannel", one)
    pbx.chan_event("Newchannel", two)
    pbx.newexten(one, "AppDial2", "(Outgoing Line)")
    for name, value in reversed(list(spec.variables.items())):
        pbx.varset(one, name, value)
    one.cid_num, one.cid_name = spec.number, spec.name
    pbx.newcallerid(one)
    for name, value in spec.variables.items():
        pbx.varset(two, name, value)
    pbx.emit(ev.local_bridge(one, two, dial_context, number))
    pbx.emit(ev.dial_event("DialBegin", None, one, [("DialString", f"{number}@{dial_context}")]))
    pbx.newexten(two, "NoOp", f"callback {number}", priority=1)
    pbx.newexten(two, "Dial", f"PJSIP/{number}@trunk,{int(timeout)}", priority=2)
    pbx.set_phase(two, "callback")
    two.task = pbx.spawn(
        _customer(dp, leg, number, connect_context, action_id, timeout, answer_after)
    )
    return leg


async def _customer(
    dp: Dialplan,
    leg: Leg,
    number: str,
    connect_context: str,
    action_id: str,
    timeout: float,
    answer_after: float | None,
) -> None:
    pbx, cust, runner = dp.pbx, leg.c1, leg.c2
    ring = FOREVER if answer_after is None else answer_after
    if ring > timeout:
        await dp.wait(cust, timeout)
        _response(dp, leg, action_id, connect_context, "Failure", "3")
        pbx.emit(ev.dial_event("DialEnd", None, runner, [("DialStatus", "NOANSWER")]))
        for ch in (cust, runner):
            pbx.soft_hangup(ch, 19)
            pbx.hangup(ch, 19)
            pbx.device_state(local_device(ch), "NOT_INUSE")
        leg.where = "gone"
        return
    if await dp.wait(cust, ring):
        return
    pbx.newstate(cust, 6)
    pbx.newstate(runner, 6)
    pbx.emit(ev.dial_event("DialEnd", None, runner, [("DialStatus", "ANSWER")]))
    _response(dp, leg, action_id, connect_context, "Success", "4")
    pbx.device_state(local_device(cust), "INUSE")
    pbx.newexten(
        runner,
        "NoOp",
        f"connect {runner.name} to agent {runner.variables.get('AGENT', '')}",
        context=connect_context,
        exten="s",
        priority=1,
    )
    runner.task = pbx.spawn(dp.connect(leg, first=False))
    # The customer talks until the agent (or the engine) ends the call.
    if await dp.wait(cust, FOREVER):
        return


def _response(
    dp: Dialplan, leg: Leg, action_id: str, context: str, response: str, reason: str
) -> None:
    runner = leg.c2
    dp.pbx.emit(
        [
            *ev.head("OriginateResponse"),
            ("ActionID", action_id),
            ("Response", response),
            ("Channel", runner.name),
            ("Context", context),
            ("Exten", "s"),
            ("Reason", reason),
            ("Uniqueid", runner.uniqueid),
            ("CallerIDNum", leg.spec.number),
            ("CallerIDName", leg.spec.name),
        ]
    )
