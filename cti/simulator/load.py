"""Load mode: place calls at a steady rate into the simulated PBX and count what happens."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from cti.simulator.events import Pairs
from cti.simulator.parties import AgentPhone, CallerSpec
from cti.simulator.sim import Simulator

CallerFactory = Callable[[int], CallerSpec]


@dataclass(frozen=True)
class LoadReport:
    placed: int
    ended: int
    answered: int
    abandoned: int
    max_concurrent: int
    events_sent: int
    seconds: float


def queue_caller(i: int) -> CallerSpec:
    """The default caller: straight into Queue(support), patient for 60 s."""
    return CallerSpec(f"555{i:05d}", f"Load {i}", entry="queue:support", patience=60.0)


async def run_load(
    sim: Simulator,
    calls_per_second: float,
    agents: int,
    seconds: float,
    caller_factory: CallerFactory | None = None,
    *,
    answer_after: float = 1.0,
    talk_time: float = 10.0,
    drain_timeout: float = 600.0,
) -> LoadReport:
    """Place ``calls_per_second`` calls for ``seconds`` (model time, i.e. scaled by the
    simulator's time_scale), with ``agents`` phones 1001.. answering as members of queue
    ``support``; then wait until every placed call has ended."""
    if calls_per_second <= 0 or seconds < 0:
        raise ValueError("calls_per_second must be > 0 and seconds >= 0")
    factory = caller_factory or queue_caller
    queue = sim.queues.queues["support"]
    for n in range(agents):
        ext = str(1001 + n)
        sim.set_agent(AgentPhone(ext, answer_after, talk_time))
        iface = f"Local/{ext}@agents"
        if iface not in queue.members:
            sim.queues.add_member(queue, iface, f"Agent {ext}")
    counts = {"events": 0, "max": 0}

    def listen(pairs: Pairs) -> None:
        counts["events"] += 1
        counts["max"] = max(counts["max"], len(sim.pbx.calls))

    loop = asyncio.get_running_loop()
    started = loop.time()
    sim.pbx.listeners.append(listen)
    ids: list[str] = []
    try:
        total = int(calls_per_second * seconds)
        for i in range(total):
            due = started + i / calls_per_second * sim.config.time_scale
            await asyncio.sleep(max(0.0, due - loop.time()))  # the arrival schedule itself
            ids.append(sim.place_call(factory(i)))
            counts["max"] = max(counts["max"], len(sim.pbx.calls))
        async with asyncio.timeout(drain_timeout):
            while not set(ids) <= set(sim.pbx.ended):
                await sim.pbx.idle.wait()
                await asyncio.sleep(0)
    finally:
        sim.pbx.listeners.remove(listen)
    ended = {k: v for k, v in sim.ended_calls().items() if k in set(ids)}
    answered = sum(1 for e in ended.values() if e.agent is not None)
    return LoadReport(
        placed=len(ids),
        ended=len(ended),
        answered=answered,
        abandoned=len(ended) - answered,
        max_concurrent=counts["max"],
        events_sent=counts["events"],
        seconds=round(loop.time() - started, 3),
    )
