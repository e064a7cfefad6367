"""Login flood vs calls: does an unauthenticated login flood hurt the calls? (issue 12, 8)

    .venv/bin/python bench/login_flood.py            # 5 calls/s, 60 agents, 20 s + 20 s
    .venv/bin/python bench/login_flood.py --flooders 30 --seconds 20

One engine (``cti run``), the simulated PBX and N agents' desks as in bench/load_e2e.py.
Calls are placed for ``2 x seconds``: the first half is the baseline, during the second
half ``flooders`` clients post wrong passwords to /login as fast as the server answers
(GET the form, POST it, again), each from the same address, as the issue's attack did.

Printed per phase: screen-pop latency p50/p99 (PBX DialBegin -> pop read by the agent),
interactions lost, recordings written vs lost (answered calls without a stored
recording segment); for the flood: logins tried, answered 429/503/302, login p99, and
the engine's peak RSS. Goals: 0 recordings lost, pop p99 unchanged within noise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from bench.load_e2e import login_all, progress
from bench.loadkit import analysis
from bench.loadkit.agents import AgentClient
from bench.loadkit.procs import Child, python
from bench.loadkit.procstat import Sampler, machine
from bench.loadkit.site import agent_ids, create_users, write_site

FIRST_EXT = 3000
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


async def flood(port: int, clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` loops of wrong-password logins for ``seconds``; their outcomes."""
    base = f"http://127.0.0.1:{port}"
    statuses: Counter[str] = Counter()
    took: list[float] = []
    stop_at = time.monotonic() + seconds

    async def one(i: int) -> None:
        jar = aiohttp.CookieJar(unsafe=True)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as http:
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                try:
                    async with http.get(f"{base}/login") as resp:
                        token = CSRF.search(await resp.text())
                    form = {
                        "csrf": token.group(1) if token else "",
                        "username": f"flood-{i}",
                        "password": f"wrong-{i}",
                    }
                    async with http.post(f"{base}/login", data=form, allow_redirects=False) as r:
                        await r.read()
                        statuses[str(r.status)] += 1
                except (aiohttp.ClientError, TimeoutError) as exc:
                    statuses[type(exc).__name__] += 1
                took.append(time.perf_counter() - started)

    await asyncio.gather(*(one(i) for i in range(clients)))
    return {"tries": sum(statuses.values()), "answers": dict(statuses), **analysis.ms(took)}


async def flood_process(port: int, clients: int, seconds: float) -> dict[str, Any]:
    """The flood in a process of its own, so that its HTTP work does not delay the agents'
    reading of their pops in this one (which would inflate the measured latency)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--flood-only", str(port), "--flooders", str(clients),
        "--seconds", str(seconds), stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), seconds + 120)
    return json.loads(out.decode().strip().splitlines()[-1])


def recordings(db: Path, answered: list[str]) -> tuple[int, int]:
    """(answered calls with a stored recording, answered calls without one)."""
    with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
        stored = {
            cid
            for (cid,) in conn.execute(
                "select distinct call_id from rec_segments where status='stored'"
            )
        }
    written = sum(1 for c in answered if c in stored)
    return written, len(answered) - written


async def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    ids = agent_ids(FIRST_EXT, args.agents)
    sim = Child("simulator", python(
        "-m", "bench.loadkit.simproc", "--agents", str(args.agents), "--first-ext",
        str(FIRST_EXT), "--answer-after", "1.0", "--talk", "6.0", "--prompt", "2.0",
        "--key-at", "5", "--recordings", str(tmp / "recordings"), "--out",
        str(tmp / "stamps.json"),
    ), tmp, stdin=True)  # fmt: skip
    children: list[Child] = [sim]
    stop = asyncio.Event()
    clients: dict[str, AgentClient] = {}
    tasks: list[asyncio.Task[None]] = []
    try:
        ami_port = int((await sim.line_with("AMI_PORT=", 30)).split("=")[1])
        from bench.loadkit.rig import single_node

        site = write_site(tmp, ami_port=ami_port, agents=args.agents, first_ext=FIRST_EXT)
        await asyncio.to_thread(
            create_users, f"sqlite:///{tmp / 'crm.sqlite3'}", FIRST_EXT, args.agents
        )
        engine_pid, web_port, agi_port, _ = await single_node(tmp, site, children)
        sim.send(json.dumps({"cmd": "agi", "port": agi_port}))
        progress(f"engine pid {engine_pid} up (web {web_port}); logging {len(ids)} agents in")
        cookies, _times, _total, _errors = await login_all(web_port, ids, 2)
        for aid, ext in ids:
            clients[aid] = AgentClient(aid, ext, cookies[aid], web_port)
            tasks.append(asyncio.create_task(clients[aid].run(stop), name=f"agent-{aid}"))
        async with asyncio.timeout(120):
            await asyncio.gather(*(c.ready_event.wait() for c in clients.values()))
        phases = {
            "baseline": Sampler({"engine": engine_pid}),
            "flood": Sampler({"engine": engine_pid}),
        }
        halt = {k: asyncio.Event() for k in phases}
        progress(f"placing {args.cps:g} calls/s for {2 * args.seconds:g} s; flood in the 2nd half")
        t0 = time.time()
        sim.send(json.dumps({"cmd": "load", "cps": args.cps, "seconds": 2 * args.seconds,
                             "drain": 120}))  # fmt: skip
        base_task = asyncio.create_task(phases["baseline"].run(halt["baseline"]))
        await asyncio.sleep(args.seconds)
        halt["baseline"].set()
        t1 = time.time()
        flood_task = asyncio.create_task(phases["flood"].run(halt["flood"]))
        flooded = await flood_process(web_port, args.flooders, args.seconds)
        halt["flood"].set()
        t2 = time.time()
        await asyncio.gather(base_task, flood_task)
        progress("flood over; waiting for every call to end")
        await sim.line_with("DONE", 2 * args.seconds + 180)
        stamps = json.loads((tmp / "stamps.json").read_text(encoding="utf-8"))
        db = tmp / "crm.sqlite3"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the writer drains; poll, bounded
            rows = await asyncio.to_thread(analysis.crm_rows, db)
            if set(stamps["ended"]) <= set(rows):
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(2.0)  # scenario timing: the recorder stores the last files
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(20):
                await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            sim.send(json.dumps({"cmd": "stop"}))
        for child in reversed(children):
            child.stop()
    rows = analysis.crm_rows(db)
    samples, _missing = analysis.pop_samples(stamps, clients)
    # A call belongs to the phase in which its agent's phone first rang.
    rang = {c: min(sent for _ext, sent in rings) for c, rings in stamps["ring"].items() if rings}
    result: dict[str, Any] = {"logins": flooded, "flooders": args.flooders}
    for name, (lo, hi) in {"baseline": (t0, t1), "flood": (t1, t2)}.items():
        answered = [c for c in stamps["answered"] if lo <= rang.get(c, 0.0) < hi]
        written, lost = recordings(db, answered)
        result[name] = {
            "pop": analysis.ms([x for sent, x in samples if lo <= sent < hi]),
            "answered_calls": len(answered),
            "recordings_written": written,
            "recordings_lost": lost,
            "engine_rss_peak_mb": round(phases[name].peak_rss.get("engine", 0.0), 1),
            "engine_cpu_percent": round(phases[name].cpu_percent("engine"), 1),
        }
    result["recordings_written"], result["recordings_lost"] = recordings(db, stamps["answered"])
    result["crm"] = analysis.ledger(stamps, rows)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--cps", type=float, default=5.0)
    ap.add_argument("--agents", type=int, default=60)
    ap.add_argument("--seconds", type=float, default=20.0, help="per phase")
    ap.add_argument("--flooders", type=int, default=30)
    ap.add_argument("--flood-only", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.flood_only:
        print(json.dumps(asyncio.run(flood(args.flood_only, args.flooders, args.seconds))))
        return 0
    info = machine()
    tmp = Path(tempfile.mkdtemp(prefix="login-flood-"))
    try:
        result = asyncio.run(run(args, tmp))
    finally:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    lg, crm = result["logins"], result["crm"]
    print(f"machine: {info['nproc']} CPUs, load average before {info['load_avg_1m_before']}")
    print(f"calls: {args.cps:g}/s for 2 x {args.seconds:g} s, {args.agents} agents; "
          f"flood: {args.flooders} parallel wrong logins in the 2nd half")  # fmt: skip
    print("phase     pop p50 / p99 ms (n)       recordings written / lost   RSS peak MB  CPU %")
    for name in ("baseline", "flood"):
        p = result[name]
        print(f"{name:<9} {p['pop']['p50_ms']} / {p['pop']['p99_ms']} ({p['pop']['n']})"
              f"{'':>10}{p['recordings_written']} / {p['recordings_lost']}{'':>20}"
              f"{p['engine_rss_peak_mb']}  {p['engine_cpu_percent']}")  # fmt: skip
    print(f"logins tried {lg['tries']}, answers {lg['answers']}, "
          f"login p50 / p99 ms {lg['p50_ms']} / {lg['p99_ms']}")  # fmt: skip
    print(f"interactions placed / written / lost: {crm['placed']} / {crm['interactions']} / "
          f"{crm['lost']}")  # fmt: skip
    print(f"recordings written / lost (answered calls): {result['recordings_written']} / "
          f"{result['recordings_lost']}")  # fmt: skip
    print(json.dumps(result, ensure_ascii=False))
    ok = result["recordings_lost"] == 0 and crm["lost"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
