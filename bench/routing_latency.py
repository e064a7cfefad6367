"""From an agent becoming free to the next waiting caller's Redirect, over real TCP.

Run: ``.venv/bin/python bench/routing_latency.py [--agents 20 --callers 600]``. The
simulator (a separate AMI server on a TCP port, same process) holds many callers in the
hold context and a few agents who answer at once and talk briefly; the engine routes.
Measured at the simulator: from the last ``Hangup`` event it emits for an agent's call
(the moment Asterisk reports the agent free) to the ``Redirect`` action it receives for
that agent's next caller. This includes the AMI event crossing TCP, parsing, the call
model, the router's decision and the Setvar + Redirect crossing back.

For comparison, Asterisk 22's own app_queue takes about 500 ms (median) from
AgentComplete to the next AgentCalled in the recorded 50-call burst (d_burst trace).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cti import events as ev
from cti.settings import AgentConfig
from cti.simulator import AgentPhone, CallerSpec
from tests.integration.enginekit import rig, settings_for, until


async def run(agents: int, callers: int, scale: float, fsync: bool) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        base = settings_for(Path(tmp))
        settings = dataclasses.replace(
            base, wrap_up_seconds=0.0,
            # The site keeps its services (the IVR flows name them); every call here is general.
            skills=base.skills,
            agents=tuple(AgentConfig(f"a{i}", f"a{i}", f"30{i:02d}", {}) for i in range(agents)))
        phones = [AgentPhone(a.extension, answer_after=0.0, talk_time=1.0, tones=False)
                  for a in settings.agents]
        async with rig(Path(tmp), time_scale=scale, phones=phones, settings=settings) as r:
            # The interaction journal fsyncs each ended call on the event loop before
            # routing hears of it; --no-fsync shows what is left when the disk is fast.
            r.engine.journal._fsync = fsync
            sim, handler = r.sim, r.sim.server.handler
            last_hangup: dict[str, float] = {}  # linkedid -> time of its latest Hangup
            call_of: dict[str, str] = {}  # agent extension -> linkedid of its last call
            pending_agent: dict[str, str] = {}  # caller channel -> agent (from Setvar)
            samples: list[float] = []
            seen_end: dict[str, float] = {}  # linkedid -> when the engine published CallEnded
            split: list[float] = []
            engine_side: list[float] = []  # CallEnded seen -> Redirect written by the engine
            session = next(iter(r.engine.sessions.values()))
            send = session.send
            freed: list[float] = []  # CallEnded times not yet followed by a Redirect

            async def timed_send(action: str, fields: Any = None, **kw: Any) -> Any:
                if action == "Redirect" and freed:
                    engine_side.append(time.perf_counter() - freed.pop(0))
                return await send(action, fields, **kw)

            session.send = timed_send  # type: ignore[method-assign]

            def listen(pairs: Any) -> None:
                fields = dict(pairs)
                if fields.get("Event") == "Hangup":
                    last_hangup[fields.get("Linkedid", "")] = time.perf_counter()

            sim.pbx.listeners.append(listen)
            setvar, redirect = handler.do_setvar, handler.do_redirect

            def on_setvar(s: Any, a: Any, aid: Any) -> None:
                pending_agent[a["Channel"][0]] = a["Value"][0]
                setvar(s, a, aid)

            def on_redirect(s: Any, a: Any, aid: Any) -> None:
                now = time.perf_counter()
                channel = a["Channel"][0]
                agent = pending_agent.pop(channel, "")
                prev = call_of.get(agent)
                if prev is not None and prev in last_hangup:
                    samples.append(now - last_hangup[prev])
                    if prev in seen_end:
                        split.append(seen_end[prev] - last_hangup[prev])
                _name, ch = handler._chan(a)
                if ch is not None:
                    call_of[agent] = ch.linkedid
                redirect(s, a, aid)

            handler.do_setvar, handler.do_redirect = on_setvar, on_redirect

            def hand_off(e: ev.CallStarted) -> None:
                r.engine.bus.publish_all(r.engine.model.queue(e.call_id, "general", e.at))

            r.engine.bus.subscribe(hand_off, ev.CallStarted)
            def ended(e: ev.CallEnded) -> None:
                seen_end.setdefault(e.call_id, time.perf_counter())
                if e.answered_by is not None:
                    freed.append(seen_end[e.call_id])

            r.engine.bus.subscribe(ended, ev.CallEnded)
            for i in range(callers):
                sim.place_call(CallerSpec(number=f"1380000{i:04d}", entry="hold",
                                          caller_context="caller-wait"))
                if i % 50 == 49:
                    await asyncio.sleep(0.01)
            want = callers - agents
            await until(lambda: len(samples) >= want * 0.9, 300, "redirects to freed agents")
            print(f"of which Asterisk's Hangup -> engine's CallEnded: p50 {pct(split, 0.5):.2f} ms"
                  f"  p99 {pct(split, 0.99):.2f} ms")
            print(f"engine only, CallEnded -> Redirect written: p50 {pct(engine_side, 0.5):.2f} ms"
                  f"  p99 {pct(engine_side, 0.99):.2f} ms")
            return samples


def pct(samples: list[float], q: float) -> float:
    return sorted(samples)[min(len(samples) - 1, int(q * len(samples)))] * 1e3


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=20)
    ap.add_argument("--callers", type=int, default=300)
    ap.add_argument("--scale", type=float, default=1.0, help="simulator time scale")
    ap.add_argument("--no-fsync", action="store_true", help="journal without fsync")
    args = ap.parse_args(argv)
    samples = asyncio.run(run(args.agents, args.callers, args.scale, not args.no_fsync))
    print(f"python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}; "
          f"{args.agents} agents, {args.callers} callers waiting in hold, "
          f"journal fsync {'off' if args.no_fsync else 'on'}")
    print(f"agent free -> next Redirect: p50 {pct(samples, 0.5):.2f} ms  "
          f"p99 {pct(samples, 0.99):.2f} ms  max {max(samples) * 1e3:.2f} ms  "
          f"(n={len(samples)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
