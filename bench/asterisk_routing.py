"""Agent free -> next caller ringing them, on one real Asterisk 22: the engine's routing
against Asterisk's own app_queue, same agents, same Asterisk, same callers, in one run.

Run: ``.venv/bin/python bench/asterisk_routing.py [--calls 60 --agents 3]`` (needs the
test suite's Asterisk: scripts/build_asterisk.sh).

The parties are SIP: SIPp agent phones registered to the shipped pjsip.conf endpoints
(answer at once, talk ``--talk`` seconds, hang up) and SIPp callers from the carrier side,
many more callers than agents, so a caller always waits when an agent hangs up. The
shipped config/asterisk files are loaded as in the tests (tests/asterisk/pbx.py).

* engine: callers key 1 in the shipped IVR and wait in cti-hold; the engine (in this
  process, wrap-up 0) redirects the next caller to the agent who became free.
* app_queue: callers go straight into the shipped Queue(support) whose static members
  are the same phones (wrapuptime 0 here, like the engine's wrap-up).

One independent AMI observer times both from Asterisk's own events: the agent leg's
``Hangup`` (the agent is free) and the next ``DialBegin`` to that agent's endpoint (its
phone is being rung). Both cross the same socket, so the difference is Asterisk's and the
router's time, not the observer's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.asterisk.phones import AgentPhone, Caller
from tests.asterisk.rig import Observer, real_rig, until

EXTS = ("1001", "1003", "1005")  # the shipped agents with the billing skill


def gaps(obs: Observer, exts: tuple[str, ...], since: int) -> list[float]:
    """Seconds from each agent leg's Hangup to the next DialBegin to the same endpoint."""
    out: list[float] = []
    free_at: dict[str, float] = {}
    for e, t in zip(obs.events[since:], obs.times[since:], strict=True):
        if e.name == "Hangup":
            ext = e.get("Channel").removeprefix("PJSIP/").rsplit("-", 1)[0]
            if ext in exts:
                free_at[ext] = t
        elif e.name == "DialBegin":
            ext = e.get("DestChannel").removeprefix("PJSIP/").rsplit("-", 1)[0]
            if ext in free_at:
                out.append(t - free_at.pop(ext))
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run_mode(r, tmp: Path, mode: str, calls: int, exts: tuple[str, ...], talk_ms: int):  # type: ignore[no-untyped-def]
    since = len(r.obs.events)
    phones = [
        AgentPhone(tmp / mode, ext, ring_ms=50, talk_ms=talk_ms, device=mode[0]) for ext in exts
    ]
    (tmp / mode).mkdir(parents=True, exist_ok=True)
    callers = [
        Caller(
            tmp / mode,
            did="4008001234" if mode == "engine" else "7000",
            party="caller" if mode == "engine" else "queue",
            keys="1" if mode == "engine" else "",
            number=f"1380000{i:04d}",
            hold_ms=600000,
        )
        for i in range(calls)
    ]
    try:
        for p in phones:
            await p.register(r.pbx)
        for c in callers:
            c.dial(r.pbx)
            await asyncio.sleep(0.05)  # arrival pacing: 20 callers a second
        # Every caller's SIPp has finished its one call (answered, talked, hung up).
        await until(
            lambda: all(c.proc is not None and c.proc.poll() is not None for c in callers),
            calls * talk_ms / 1000 + 120,
            f"{mode}: {calls} calls answered and ended",
        )
    finally:
        for p in [*callers, *phones]:
            p.stop()
    return gaps(r.obs, exts, since)


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=60, help="callers per mode")
    ap.add_argument("--agents", type=int, default=3, choices=(1, 2, 3))
    ap.add_argument("--talk", type=float, default=1.5, help="seconds each call talks")
    args = ap.parse_args()
    exts = EXTS[: args.agents]
    agents_on = tuple(f"a{e}" for e in exts)
    queue = "[support](+)\nwrapuptime = 0\n" + "".join(f"member => PJSIP/{e}\n" for e in exts)
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="cti-ast-bench-") as tmpdir:
        tmp = Path(tmpdir)
        async with real_rig(tmp, agents_on=agents_on, extra_queues=queue) as r:
            # Engine first: app_queue's static members must not take the IVR's callers,
            # so they are paused while the engine routes (QueuePause is what sites do).
            for e in exts:
                await r.obs.action(
                    [("Action", "QueuePause"), ("ActionID", f"p{e}"), ("Queue", "support"),
                     ("Interface", f"PJSIP/{e}"), ("Paused", "true")]
                )  # fmt: skip
            results["engine"] = await run_mode(
                r, tmp, "engine", args.calls, exts, int(args.talk * 1000)
            )
            for a in agents_on:
                r.engine.router.command(a, "logout")
            for e in exts:
                await r.obs.action(
                    [("Action", "QueuePause"), ("ActionID", f"u{e}"), ("Queue", "support"),
                     ("Interface", f"PJSIP/{e}"), ("Paused", "false")]
                )  # fmt: skip
            results["app_queue"] = await run_mode(
                r, tmp, "app_queue", args.calls, exts, int(args.talk * 1000)
            )
    report: dict[str, object] = {"agents": len(exts), "calls_per_mode": args.calls}
    for mode, values in results.items():
        if not values:
            print(f"{mode}: no samples", file=sys.stderr)
            return 1
        report[mode] = {
            "samples": len(values),
            "p50_ms": round(statistics.median(values) * 1000, 1),
            "p99_ms": round(pct(values, 0.99) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
            "slowest_ms": [round(v * 1000, 1) for v in sorted(values)[-5:]],
        }
    e, q = report["engine"], report["app_queue"]
    assert isinstance(e, dict) and isinstance(q, dict)
    report["ratio_p50_app_queue_over_engine"] = round(q["p50_ms"] / max(e["p50_ms"], 0.001), 1)
    report["ratio_p99_app_queue_over_engine"] = round(q["p99_ms"] / max(e["p99_ms"], 0.001), 1)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    print(
        f"engine    p50 {e['p50_ms']} ms  p99 {e['p99_ms']} ms  ({e['samples']} samples)\n"
        f"app_queue p50 {q['p50_ms']} ms  p99 {q['p99_ms']} ms  ({q['samples']} samples)\n"
        f"app_queue / engine: p50 x{report['ratio_p50_app_queue_over_engine']}, "
        f"p99 x{report['ratio_p99_app_queue_over_engine']}; goal engine p99 <= 20 ms: "
        f"{'met' if e['p99_ms'] <= 20 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
