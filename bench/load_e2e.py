"""End-to-end load bench: simulated PBX -> engine -> desk websockets of N agents.

    .venv/bin/python bench/load_e2e.py            # full: 50 calls/s, 500 agents, 60 s
    .venv/bin/python bench/load_e2e.py --quick    # sanity: 10 calls/s, 100 agents, 20 s
    .venv/bin/python bench/load_e2e.py --nodes 2  # two engine nodes (Redis lease)

Three kinds of process, so that each one's CPU is its own:

* the simulated Asterisk (bench/loadkit/simproc.py) places calls through the engine's
  FastAGI IVR; its callers key 1, wait for an agent, talk, hang up. It stamps each agent
  leg's DialBegin (the event that makes the phone ring) with ``time.time()``;
* the engine: ``cti run --config site.yaml`` (one node), or two cluster engine nodes
  (bench/loadkit/webnode.py: the stock node plus the web app, see LOAD.md);
* this process: one websocket client per agent (websockets library). Each logs in over
  HTTP first (real argon2 check, measured apart), says login + ready, stamps its pops as
  they are read and says ready again when its call ends (wrap-up would otherwise last 30 s).

Pop latency = pop frame read by the agent - DialBegin sent by the PBX (same machine clock).
Routing latency = Redirect executed by the PBX - max(call queued, agent ready) as the
engine stamped them in the pop and the agent's state. Lost/duplicated = interactions in
the CRM (SQLite) vs the calls the PBX placed. CPU and RSS are read from /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from bench.loadkit import analysis
from bench.loadkit.agents import AgentClient, http_login
from bench.loadkit.procs import Child, python
from bench.loadkit.procstat import Sampler, machine
from bench.loadkit.site import PASSWORD, agent_ids, create_users, write_site

FIRST_EXT = 3000
ENGINE_FIGURES = (
    "cti_interaction_duplicates_total",
    "cti_bus_handler_errors_total",
    "cti_ami_reconnects_total{server=sim}",
    "cti_journal_depth",
)


@dataclass(frozen=True)
class Profile:
    cps: float
    seconds: float
    agents: int
    answer_after: float  # the phone answers this long after it starts ringing
    talk: float  # seconds the agent talks once answered
    prompt: float  # seconds of each IVR prompt (welcome, menu)
    key_at: int  # seconds into the call when the caller keys 1 (time spent in the IVR)
    # Logins hold the SQLite write lock while argon2 checks the password (crm/auth.py
    # login inside a writing unit of work), so they run one at a time anyway; 8 at once
    # got HTTP 500 "database is locked" for waiters starved past the 10 s busy timeout.
    login_concurrency: int = 2


# About 10.5 s in the IVR + 1 s ringing + 8 s talking: ~20 s a call, so 50 calls/s keep
# ~1,000 calls up, 450 of them with an agent (500 agents: 90 % occupied).
FULL = Profile(cps=50, seconds=60, agents=500, answer_after=1.0, talk=8.0, prompt=4.0, key_at=10)
QUICK = Profile(cps=10, seconds=20, agents=100, answer_after=1.0, talk=8.0, prompt=4.0, key_at=10)


async def scrape(http: aiohttp.ClientSession, port: int) -> dict[str, float]:
    from prometheus_client.parser import text_string_to_metric_families

    async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
        text = await resp.text()
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            out[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
    return out


async def until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.1)


async def login_all(port: int, ids: list[tuple[str, str]], concurrency: int) -> tuple[
    dict[str, str], list[float], float, int
]:  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    gate = asyncio.Semaphore(concurrency)
    cookies: dict[str, str] = {}
    took: list[float] = []
    errors = 0

    async def one(aid: str) -> None:
        nonlocal errors
        async with gate:
            for attempt in range(3):  # a refused login (HTTP 500) is counted and retried
                try:
                    cookie, seconds = await http_login(base, aid, PASSWORD)
                except RuntimeError:
                    errors += 1
                    if attempt == 2:
                        raise
                    continue
                cookies[aid] = cookie
                took.append(seconds)
                return

    started = time.perf_counter()
    async with asyncio.timeout(600):
        async with asyncio.TaskGroup() as tg:
            for aid, _ext in ids:
                tg.create_task(one(aid))
    return cookies, took, time.perf_counter() - started, errors


async def run(
    profile: Profile,
    nodes: int,
    tmp: Path,
    diagnose: bool,
    switch_interval: float | None = None,
    gc_freeze_after: float | None = None,
) -> dict[str, Any]:
    ids = agent_ids(FIRST_EXT, profile.agents)
    sim = Child("simulator", python(
        "-m", "bench.loadkit.simproc", "--agents", str(profile.agents), "--first-ext",
        str(FIRST_EXT), "--answer-after", str(profile.answer_after), "--talk", str(profile.talk),
        "--prompt", str(profile.prompt), "--key-at", str(profile.key_at),
        "--recordings", str(tmp / "recordings"), "--out", str(tmp / "stamps.json"),
    ), tmp, stdin=True)  # fmt: skip
    children: list[Child] = [sim]
    stop = asyncio.Event()
    clients: dict[str, AgentClient] = {}
    tasks: list[asyncio.Task[None]] = []
    try:
        ami_port = int((await sim.line_with("AMI_PORT=", 30)).split("=")[1])
        if nodes == 1:
            from bench.loadkit.rig import single_node

            site = write_site(tmp, ami_port=ami_port, agents=profile.agents, first_ext=FIRST_EXT)
            await asyncio.to_thread(
                create_users, f"sqlite:///{tmp / 'crm.sqlite3'}", FIRST_EXT, profile.agents
            )
            engine_pid, web_port, agi_port, others = await single_node(
                tmp, site, children, diagnose or bool(switch_interval or gc_freeze_after),
                switch_interval, gc_freeze_after,
            )  # fmt: skip
        else:
            from bench.loadkit.rig import two_nodes

            engine_pid, web_port, agi_port, others = await two_nodes(
                tmp, ami_port, profile.agents, FIRST_EXT, children
            )
        sim.send(json.dumps({"cmd": "agi", "port": agi_port}))
        progress(f"engine pid {engine_pid} up (web {web_port}); logging {len(ids)} agents in")
        async with aiohttp.ClientSession() as http:
            cookies, login_times, login_total, login_errors = await login_all(
                web_port, ids, profile.login_concurrency
            )
            started = time.perf_counter()
            for aid, ext in ids:
                clients[aid] = AgentClient(aid, ext, cookies[aid], web_port)
                tasks.append(asyncio.create_task(clients[aid].run(stop), name=f"agent-{aid}"))
            async with asyncio.timeout(120):
                await asyncio.gather(*(c.ready_event.wait() for c in clients.values()))
            desks_ready = time.perf_counter() - started
            before = await scrape(http, web_port)
            samplers = {
                "placing": Sampler({"engine": engine_pid, "simulator": sim.pid,
                                    "bench+agents": _self_pid(), **others}),
                "whole": Sampler({"engine": engine_pid}),
            }  # fmt: skip
            halt = {k: asyncio.Event() for k in samplers}
            sampling = [asyncio.create_task(s.run(halt[k])) for k, s in samplers.items()]
            progress(f"desks ready; placing {profile.cps:g} calls/s for {profile.seconds:g} s")
            t0 = time.time()
            sim.send(json.dumps({"cmd": "load", "cps": profile.cps, "seconds": profile.seconds,
                                 "drain": 180}))  # fmt: skip
            await asyncio.sleep(profile.seconds)
            halt["placing"].set()
            after_placing = await scrape(http, web_port)
            placing_window = time.time() - t0
            progress("placing done; waiting for every call to end")
            await sim.line_with("DONE", profile.seconds + 240)
            halt["whole"].set()
            await asyncio.gather(*sampling)
            stamps = json.loads((tmp / "stamps.json").read_text(encoding="utf-8"))
            db = tmp / "crm.sqlite3"

            async def all_written() -> bool:
                rows = await asyncio.to_thread(analysis.crm_rows, db)
                return set(stamps["ended"]) <= set(rows)

            with contextlib.suppress(TimeoutError):
                await until(all_written, 30, "interactions written")
            after = await scrape(http, web_port)
        rows = await asyncio.to_thread(analysis.crm_rows, db)
        samples, missing = analysis.pop_samples(stamps, clients)
        (tmp / "pops.json").write_text(json.dumps(samples), encoding="utf-8")
        key = "cti_ami_events_received_total{server=sim}"
        per_second = {int(k): v for k, v in stamps["events_per_second"].items()}
        eps = sorted(per_second.values())
        window = range(int(stamps["started"]) + 1, int(stamps["placed_until"]))
        sent_placing = [per_second.get(s, 0) for s in window]
        placing = samplers["placing"]
        result = {
            "nodes": nodes,
            "profile": asdict(profile),
            "login": {
                **analysis.ms(login_times),
                "total_s": round(login_total, 2),
                "per_s": round(len(login_times) / login_total, 1),
                "errors": login_errors,
                "concurrency": profile.login_concurrency,
            },
            "desks_ready_s": round(desks_ready, 2),
            "pop_latency": analysis.pop_latency(samples, missing),
            "routing_latency": analysis.routing_latency(stamps, clients),
            "max_concurrent_calls": stamps["max_live"],
            "ami_events_per_s": {
                "engine_received_avg_while_placing": round(
                    (after_placing.get(key, 0) - before.get(key, 0)) / placing_window
                ),
                # The engine counts only the events it parses (its reader drops the rest,
                # VarSet, Newexten..., by their first line); the PBX counts all it wrote.
                "pbx_sent_avg_while_placing": round(sum(sent_placing) / max(1, len(window))),
                "pbx_sent_peak_second": eps[-1] if eps else 0,
                "engine_received_total": int(after.get(key, 0) - before.get(key, 0)),
            },
            "cpu_percent_of_one_core_while_placing": {
                k: round(placing.cpu_percent(k), 1) for k in placing.pids
            },
            # Everything the machine ran meanwhile (other test suites included), % of a core.
            "machine_busy_percent_while_placing": round(placing.machine_percent(), 1),
            "engine_cpu_busiest_second_percent": round(placing.busiest.get("engine", 0.0), 1),
            "engine_rss_peak_mb": round(samplers["whole"].peak_rss.get("engine", 0.0), 1),
            "crm": analysis.ledger(stamps, rows),
            "desk": {
                "pop_frames": sum(c.pop_frames for c in clients.values()),
                "reconnects": sum(max(0, c.connects - 1) for c in clients.values()),
                "closed_by_server": sum(len(c.closes) for c in clients.values()),
                "refusals": sum(len(c.refused) for c in clients.values()),
                "refusal_examples": sorted({r for c in clients.values() for r in c.refused})[:3],
            },
            "engine_metrics": {k: after.get(k) for k in ENGINE_FIGURES},
        }
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(20):
                await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            sim.send(json.dumps({"cmd": "stop"}))
        for child in reversed(children):
            child.stop()
    if (tmp / "gc.json").exists():  # the engine ran under loadkit/gcwatch.py
        watched = json.loads((tmp / "gc.json").read_text(encoding="utf-8"))
        samples = json.loads((tmp / "pops.json").read_text(encoding="utf-8"))
        result["gc"] = analysis.gc_overlap(samples, watched["pauses"], 0.02)
        result["gc"]["census_at_8th_gen2"] = watched.get("census")
    return result


def progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _self_pid() -> int:
    import os

    return os.getpid()


def table(result: dict[str, Any]) -> str:
    p, r, lg = result["pop_latency"], result["routing_latency"], result["login"]
    cpu, crm = result["cpu_percent_of_one_core_while_placing"], result["crm"]
    ami = result["ami_events_per_s"]
    rows = [
        ("nodes", result["nodes"], ""),
        ("calls/s x seconds, agents", f"{result['profile']['cps']:g} x "
         f"{result['profile']['seconds']:g}, {result['profile']['agents']}", ""),
        ("max concurrent calls (PBX)", result["max_concurrent_calls"], "1,000"),
        ("screen pop p50 / p99 / max ms", f"{p['p50_ms']} / {p['p99_ms']} / {p['max_ms']}"
         f" (n={p['n']}, no pop {p['rings_without_pop']})", "≤ 5 / ≤ 20"),
        ("routing p50 / p99 / max ms", f"{r['p50_ms']} / {r['p99_ms']} / {r['max_ms']}"
         f" (n={r['n']})", ""),
        ("AMI events/s received (avg placing)", ami["engine_received_avg_while_placing"], ""),
        ("AMI events/s sent by PBX (avg / peak)",
         f"{ami['pbx_sent_avg_while_placing']} / {ami['pbx_sent_peak_second']}", ""),
        ("engine CPU % of a core (avg / busiest s)",
         f"{cpu['engine']} / {result['engine_cpu_busiest_second_percent']}", ""),
        ("simulator / bench CPU %", f"{cpu['simulator']} / {cpu['bench+agents']}", ""),
        *[(f"{k} CPU %", cpu[k], "") for k in ("standby", "redis") if k in cpu],
        ("whole machine busy % (of 200)", result["machine_busy_percent_while_placing"], ""),
        ("engine RSS peak MB", result["engine_rss_peak_mb"], "≤ 300"),
        ("placed / interactions / lost / dup",
         f"{crm['placed']} / {crm['interactions']} / {crm['lost']} / {crm['duplicated']}",
         "0 lost"),
        ("login p50 / p99 ms, total s", f"{lg['p50_ms']} / {lg['p99_ms']}, {lg['total_s']}", ""),
        ("desk reconnects / server closes",
         f"{result['desk']['reconnects']} / {result['desk']['closed_by_server']}", ""),
    ]  # fmt: skip
    if "gc" in result:
        g = result["gc"]
        rows.append(
            (
                "engine gen-2 GCs (count / max / total ms)",
                f"{g['collections'][2]} / {g['gen2_max_ms']} / {g['gen2_total_ms']}",
                "",
            )
        )
        rows.append(("pops > 20 ms (during a gen-2 GC)",
                     f"{g['slow_pops']} ({g['slow_pops_during_gen2']})", ""))  # fmt: skip
    width = max(len(str(a)) for a, _, _ in rows)
    lines = [f"{'figure':<{width}}  value  [goal]"]
    lines += [f"{a:<{width}}  {b}" + (f"  [{c}]" if c else "") for a, b, c in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="10 calls/s, 100 agents, 20 s")
    ap.add_argument("--nodes", type=int, choices=(1, 2), default=1)
    ap.add_argument("--cps", type=float)
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--agents", type=int)
    ap.add_argument("--diagnose", action="store_true", help="one node: note the engine's GC pauses")
    ap.add_argument(
        "--switch-interval",
        type=float,
        help="experiment, one node: the engine's GIL switch interval in seconds (default 0.005)",
    )
    ap.add_argument(
        "--gc-freeze-after",
        type=float,
        help="experiment, one node: gc.freeze() in the engine this many seconds after start",
    )
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args(argv)
    profile = QUICK if args.quick else FULL
    overrides = {k: v for k in ("cps", "seconds", "agents") if (v := getattr(args, k))}
    profile = Profile(**{**asdict(profile), **overrides})
    info = machine()
    tmp = Path(tempfile.mkdtemp(prefix="load-e2e-"))
    result = asyncio.run(
        run(profile, args.nodes, tmp, args.diagnose, args.switch_interval, args.gc_freeze_after)
    )
    if args.switch_interval:
        result["engine_gil_switch_interval_s"] = args.switch_interval
    if args.gc_freeze_after:
        result["engine_gc_freeze_after_s"] = args.gc_freeze_after
    result["machine"] = info
    print(f"machine: {info['nproc']} CPUs, {info['cpu']}, Python {info['python']}, "
          f"load average before {info['load_avg_1m_before']}")  # fmt: skip
    print(table(result))
    print(json.dumps(result, ensure_ascii=False))
    if args.keep:
        print(f"work directory: {tmp}")
    else:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    ok = result["crm"]["lost"] == 0 and result["crm"]["duplicated"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
