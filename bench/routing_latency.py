"""From an agent becoming free to the next waiting caller's Redirect, over real TCP, with
the simulated Asterisk in its own process.

Run: ``.venv/bin/python bench/routing_latency.py [--agents 20 --callers 300]``.

The simulator runs in a child process (multiprocessing, spawn) so the PBX does not share
the engine's event loop or CPU time slices, as a real Asterisk would not. It holds many
callers in the hold context and a few agents who answer at once and talk briefly; the
engine (this process) queues every caller for one service and routes.

Both timestamps are taken in the simulator process: when it emits the last ``Hangup`` of
an agent's call (Asterisk reports the agent free) and when it receives the ``Redirect``
of that agent's next caller. This covers the AMI event crossing TCP, parsing, the call
model, the router's decision and the Setvar + Redirect crossing back. The engine side
alone (CallEnded published -> Redirect handed to the AMI session) is printed too.

For comparison, Asterisk 22's own app_queue takes about 500 ms (median) from
AgentComplete to the next AgentCalled in the recorded 50-call burst (d_burst trace).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import multiprocessing as mp
import os
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


# -- the simulator process ------------------------------------------------------------
def simulator_process(conn: Connection, agents: int, callers: int, scale: float) -> None:
    asyncio.run(_simulate(conn, agents, callers, scale))


async def _simulate(conn: Connection, agents: int, callers: int, scale: float) -> None:
    from cti.simulator import AgentPhone, CallerSpec, SimConfig, Simulator

    loop = asyncio.get_running_loop()
    # Talk times differ from agent to agent, as real calls do (1.0 s to ~3.6 s here):
    # with equal ones every agent would free up in the same millisecond, round after
    # round, a lockstep that measures a burst of 20 redirects, not the step itself.
    phones = [
        AgentPhone(f"30{i:02d}", answer_after=0.0, talk_time=1.0 + 0.137 * i, tones=False)
        for i in range(agents)
    ]
    # Recordings of the last calls may still be written while the directory is removed.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        cfg = SimConfig(agents=phones, time_scale=scale, recordings_dir=Path(tmp),
                        noanswer_to_hold=True, auth_failure_delay=0.05)
        async with Simulator(cfg) as sim:
            handler = sim.server.handler
            last_hangup: dict[str, float] = {}  # linkedid -> time of its latest Hangup
            call_of: dict[str, str] = {}  # agent extension -> linkedid of its last call
            pending_agent: dict[str, str] = {}  # caller channel -> agent (from Setvar)
            samples: list[float] = []
            want = (callers - agents) * 0.9
            enough = asyncio.Event()

            def listen(pairs: Any) -> None:
                if pairs[0] == ("Event", "Hangup"):
                    fields = dict(pairs)
                    last_hangup[fields.get("Linkedid", "")] = time.perf_counter()

            sim.pbx.listeners.insert(0, listen)  # before the event is written to the engine
            setvar, redirect = handler.do_setvar, handler.do_redirect

            def on_setvar(s: Any, a: Any, aid: Any) -> None:
                pending_agent[a["Channel"][0]] = a["Value"][0]
                setvar(s, a, aid)

            def on_redirect(s: Any, a: Any, aid: Any) -> None:
                now = time.perf_counter()
                agent = pending_agent.pop(a["Channel"][0], "")
                prev = call_of.get(agent)
                if prev is not None and prev in last_hangup:
                    samples.append(now - last_hangup[prev])
                    if len(samples) >= want:
                        enough.set()
                _name, ch = handler._chan(a)
                if ch is not None:
                    call_of[agent] = ch.linkedid
                redirect(s, a, aid)

            handler.do_setvar, handler.do_redirect = on_setvar, on_redirect
            conn.send(("port", sim.ami_port))
            await loop.run_in_executor(None, conn.recv)  # "go": the engine is ready
            for i in range(callers):
                sim.place_call(CallerSpec(number=f"1380000{i:04d}", entry="hold",
                                          caller_context="caller-wait"))
                if i % 50 == 49:
                    await asyncio.sleep(0.01)
            try:
                async with asyncio.timeout(300):
                    await enough.wait()
            except TimeoutError:
                pass  # report what was measured
            conn.send(("samples", samples))
            # Stay up until the engine has logged off, so it does not see a lost link.
            await loop.run_in_executor(None, conn.recv)


# -- the engine (this process) ----------------------------------------------------------
async def run_engine(agents: int, callers: int, scale: float) -> tuple[list[float], list[float]]:
    from crm.db import create_schema, make_engine
    from crm.store import InteractionStore
    from cti import events as ev
    from cti.crm_sink import CrmSink
    from cti.engine import Engine
    from cti.settings import AgentConfig
    from tests.integration.enginekit import settings_for

    parent, child = mp.get_context("spawn").Pipe()
    proc = mp.get_context("spawn").Process(
        target=simulator_process, args=(child, agents, callers, scale), daemon=True)
    proc.start()
    loop = asyncio.get_running_loop()
    try:
        kind, port = await loop.run_in_executor(None, parent.recv)
        assert kind == "port"
        with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
            base = settings_for(Path(tmp))
            settings = dataclasses.replace(
                base, wrap_up_seconds=0.0,
                asterisk=(dataclasses.replace(base.asterisk[0], port=port),),
                agents=tuple(AgentConfig(f"a{i}", f"a{i}", f"30{i:02d}", {})
                             for i in range(agents)))
            sql = make_engine(settings.database_url)
            create_schema(sql)
            engine = Engine(settings, CrmSink(InteractionStore(sql)))
            engine_side: list[float] = []
            freed: list[float] = []  # CallEnded times not yet followed by a Redirect

            def hand_off(e: ev.CallStarted) -> None:
                engine.bus.publish_all(engine.model.queue(e.call_id, "general", e.at))

            def ended(e: ev.CallEnded) -> None:
                if e.answered_by is not None:
                    freed.append(time.perf_counter())

            engine.bus.subscribe(hand_off, ev.CallStarted)
            engine.bus.subscribe(ended, ev.CallEnded)
            try:
                async with engine:
                    await engine.wait_ready(timeout=10)
                    session = next(iter(engine.sessions.values()))
                    send = session.send

                    async def timed_send(action: str, fields: Any = None, **kw: Any) -> Any:
                        if action == "Redirect" and freed:
                            engine_side.append(time.perf_counter() - freed.pop(0))
                        return await send(action, fields, **kw)

                    session.send = timed_send  # type: ignore[method-assign]
                    parent.send("go")
                    kind, samples = await loop.run_in_executor(None, parent.recv)
                    assert kind == "samples"
            finally:
                sql.dispose()
                parent.send("stop")
        return samples, engine_side
    finally:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()


def pct(samples: list[float], q: float) -> float:
    return sorted(samples)[min(len(samples) - 1, int(q * len(samples)))] * 1e3


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=20)
    ap.add_argument("--callers", type=int, default=300)
    ap.add_argument("--scale", type=float, default=1.0, help="simulator time scale")
    args = ap.parse_args(argv)
    samples, engine_side = asyncio.run(run_engine(args.agents, args.callers, args.scale))
    print(f"python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}; "
          f"{args.agents} agents, {args.callers} callers waiting in hold; simulator in its "
          "own process")
    if engine_side:
        print(f"engine only, CallEnded -> Redirect sent: p50 {pct(engine_side, 0.5):.2f} ms"
              f"  p99 {pct(engine_side, 0.99):.2f} ms")
    print(f"agent free (Hangup sent) -> next Redirect received: p50 {pct(samples, 0.5):.2f} ms"
          f"  p99 {pct(samples, 0.99):.2f} ms  max {max(samples) * 1e3:.2f} ms"
          f"  (n={len(samples)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
