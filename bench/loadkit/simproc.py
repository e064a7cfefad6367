"""The simulated PBX of the load bench, in its own process (its CPU is not the engine's).

    python -m bench.loadkit.simproc --agents 500 --out stamps.json

Prints ``AMI_PORT=<port>`` once listening, then reads one JSON command per line on stdin:
``{"cmd": "agi", "port": P}`` (where the engine's FastAGI listens), ``{"cmd": "load",
"cps": 50, "seconds": 60}`` (place calls, wait until they all ended, write the stamps to
``--out``, print ``DONE``) and ``{"cmd": "stop"}``.

Stamps are taken with ``time.time()`` by a listener inserted first in the PBX's listener
list, i.e. just before the event is formatted and written to the AMI clients:

* ``ring``: the ``DialBegin`` of an agent leg (the event the engine turns into
  AgentRinging and a pop) per call and extension;
* ``redirect``: the first ``Newexten`` in the connect context, emitted synchronously when
  the engine's ``Redirect`` is executed (so: when routing's decision reached the PBX);
* ``ended``: the call's last ``Hangup``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from cti.demo import DEMO_PROMPTS
from cti.simulator import AgentPhone, CallerSpec, SimConfig, Simulator

Pairs = list[tuple[str, str]]


class Stamps:
    """What the PBX sent and when (wall clock, shared with the other processes)."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.ring: dict[str, list[tuple[str, float]]] = {}  # linkedid -> [(ext, t)]
        self.redirect: dict[str, float] = {}
        self.ended: dict[str, float] = {}
        self.events = 0
        self.max_live = 0
        self.per_second: dict[int, int] = {}

    def __call__(self, pairs: Pairs) -> None:
        now = time.time()
        self.events += 1
        sec = int(now)
        self.per_second[sec] = self.per_second.get(sec, 0) + 1
        name = pairs[0][1]
        if name == "DialBegin":
            f = dict(pairs)
            dest = f.get("DestChannel", "")
            # Only Dial() from a caller's channel towards an agent phone, not Originate's.
            if f.get("Channel") and dest.startswith("Local/") and "@cti-agents" in dest:
                ext = dest[6 : dest.index("@")]
                self.ring.setdefault(f.get("Linkedid", ""), []).append((ext, now))
        elif name == "Newexten":
            f = dict(pairs)
            if f.get("Context") == "cti-connect" and f.get("Priority") == "1":
                self.redirect.setdefault(f.get("Linkedid", ""), now)
        elif name == "Hangup":
            self.ended[dict(pairs).get("Linkedid", "")] = now
            self.max_live = max(self.max_live, len(self.sim.pbx.calls))


async def place(
    sim: Simulator, cps: float, seconds: float, key_at: int, stamps: Stamps
) -> list[str]:
    """Calls at a steady wall-clock rate (not scaled: the target is calls per real second).
    The caller keys 1 (billing) ``key_at`` seconds in (keys go 2 s apart, "" = no key)
    and waits up to 120 s for an agent."""
    keys = [""] * max(0, key_at // 2 - 1) + ["1"]
    loop = asyncio.get_running_loop()
    start = loop.time()
    ids: list[str] = []
    total = int(cps * seconds)
    for i in range(total):
        await asyncio.sleep(max(0.0, start + i / cps - loop.time()))
        spec = CallerSpec(f"1390{i:07d}", f"Load {i}", entry="ivr", dtmf=keys, patience=120)
        ids.append(sim.place_call(spec))
        stamps.max_live = max(stamps.max_live, len(sim.pbx.calls))
    return ids


async def main_async(args: argparse.Namespace) -> int:
    phones = [
        AgentPhone(str(args.first_ext + n), answer_after=args.answer_after, talk_time=args.talk,
                   tones=False)
        for n in range(args.agents)
    ]  # fmt: skip
    cfg = SimConfig(
        agents=phones,
        time_scale=1.0,
        recordings_dir=Path(args.recordings),
        noanswer_to_hold=True,
        auth_failure_delay=0.05,
    )
    # The IVR's prompts as the PBX would have them installed; --prompt stretches them so
    # calls spend as long in the IVR as the profile asks.
    samples = int(args.prompt * 8000)
    cfg.sounds.update({name: samples for name in DEMO_PROMPTS})
    loop = asyncio.get_running_loop()
    async with Simulator(cfg) as sim:
        stamps = Stamps(sim)
        sim.pbx.listeners.insert(0, stamps)  # before the AMI server writes the event
        print(f"AMI_PORT={sim.ami_port}", flush=True)
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        ids: list[str] = []
        while True:
            line = await reader.readline()
            if not line:
                break  # the bench went away
            cmd: dict[str, Any] = json.loads(line)
            if cmd["cmd"] == "agi":
                sim.set_agi_target("127.0.0.1", int(cmd["port"]))
            elif cmd["cmd"] == "load":
                started = time.time()
                ids = await place(
                    sim, float(cmd["cps"]), float(cmd["seconds"]), args.key_at, stamps
                )
                placed_until = time.time()
                # Every call ends by itself (talk time, or the caller's patience); what
                # has not ended after ``drain`` seconds is reported as placed, not ended.
                for _ in range(int(float(cmd.get("drain", 180)) / 0.2)):
                    if set(ids) <= set(sim.pbx.ended):
                        break
                    await asyncio.sleep(0.2)
                ended = sim.ended_calls()
                out = {
                    "placed": ids,
                    "started": started,
                    "placed_until": placed_until,
                    "ended_at": time.time(),
                    "ended": [i for i in ids if i in ended],
                    "answered": [i for i in ids if i in ended and ended[i].agent],
                    "ring": stamps.ring,
                    "redirect": stamps.redirect,
                    "events": stamps.events,
                    "events_per_second": stamps.per_second,
                    "max_live": stamps.max_live,
                }
                await asyncio.to_thread(
                    Path(args.out).write_text, json.dumps(out), encoding="utf-8"
                )
                print("DONE", flush=True)
            elif cmd["cmd"] == "stop":
                break
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--agents", type=int, default=500)
    p.add_argument("--first-ext", type=int, default=3000)
    p.add_argument("--answer-after", type=float, default=1.0)
    p.add_argument("--talk", type=float, default=7.0)
    p.add_argument("--prompt", type=float, default=2.0, help="seconds per IVR prompt")
    p.add_argument("--key-at", type=int, default=2, help="seconds until the caller keys 1")
    p.add_argument("--recordings", default="recordings-sim")
    p.add_argument("--out", required=True)
    return asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
