"""A desk that stops reading its websocket: the hub drops it, the other desks never notice.

`cti run` runs as a child process against the simulator (this process). Six agents' desks
read their sockets normally and stamp each ringing pop as it arrives; the PBX stamps the
DialBegin that rang the agent, so pop latency is measured end to end (same clock).

1. Baseline: calls for the six agents, pop latency noted.
2. A seventh agent (not ready, so it takes no calls) opens a desk that stops reading
   (tiny receive buffer, no compression, the client library's queue of one frame) and
   keeps changing its not-ready reason, as a stuck tab whose agent keeps clicking would:
   every change is a result and a state message queued for that socket. Calls keep coming
   for the six meanwhile.
3. What a user checks: every call still popped on its agent's desk, about as fast as in
   the baseline; the engine logged the slow client and closed it (its socket is gone,
   not stuck); the other desks stayed connected; the slow agent's desk reconnects and
   gets its state back in the first message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import statistics
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from crm.auth import create_user
from crm.db import create_schema, make_engine
from crm.uow import UnitOfWork
from cti.demo import DEMO_PROMPTS, DEMO_SERVICES
from cti.simulator import AgentPhone, CallerSpec, SimConfig, Simulator
from cti.websession import COOKIE
from tests.fault.kit import LOCAL, Proc, start_engine, until

pytestmark = pytest.mark.timeout(90)

PASSWORD = "slow-desk-password"
EXTS = [str(5001 + i) for i in range(6)]
SLOW = "a5099"  # extension 5099: never rung (not ready throughout)
SKILLS = "{billing: 5, repair: 5, installation: 5, complaint: 5, english: 5}"
CALLS_PER_PHASE = 12
# Each reason change queues ~650 bytes (a result and a state message). Before the hub's
# queue (256 messages) fills, the server's pump must be stuck: the kernel's send buffer
# (up to 4 MiB, net.ipv4.tcp_wmem) and aiohttp's 64 KiB must be full, ~6,600 changes.
FLOOD_LIMIT = 15_000


def write_site(tmp: Path, ami_port: int) -> Path:
    services = "\n".join(
        f"  - {{name: {s.name}, skills: {{{', '.join(f'{k}: {v}' for k, v in s.skills.items())}}}}}"
        for s in DEMO_SERVICES
    )
    agents = "\n".join(
        f"  - {{id: a{e}, name: a{e}, extension: '{e}', skills: {SKILLS}}}" for e in [*EXTS, "5099"]
    )
    site = tmp / "site.yaml"
    site.write_text(
        f"""asterisk:
  - {{name: sim, host: {LOCAL}, port: {ami_port}, username: cti, secret: ctisecret,
     md5_auth: true, ping_interval: 5}}
fastagi: {{host: {LOCAL}, port: 0}}
database: {{url: "sqlite:///{tmp / "crm.sqlite3"}"}}
web: {{host: {LOCAL}, port: 0, secret: "slow-desk-test-secret-{"x" * 20}"}}
journal: {tmp / "journal.jsonl"}
recordings_dir: {tmp / "recordings"}
wrap_up_seconds: 0
skills: [billing, repair, installation, complaint, english]
services:
{services}
agents:
{agents}
""",
        encoding="utf-8",
    )
    return site


def create_users(tmp: Path) -> None:
    sql = make_engine(f"sqlite:///{tmp / 'crm.sqlite3'}")
    try:
        create_schema(sql)
        with UnitOfWork(sql) as uow:
            for user in [f"a{e}" for e in EXTS] + [SLOW]:
                create_user(uow, username=user, password=PASSWORD, role="agent")
            uow.commit()
    finally:
        sql.dispose()


async def session_cookie(base: str, username: str) -> str:
    """Log in through the real form; the signed session cookie the desk socket needs."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"{base}/login") as resp:
            csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', await resp.text())
        assert csrf is not None
        form = {"csrf": csrf.group(1), "username": username, "password": PASSWORD, "next": "/"}
        async with http.post(f"{base}/login", data=form, allow_redirects=False) as resp:
            assert resp.status == 302, await resp.text()
            cookie = resp.cookies.get(COOKIE)
    assert cookie is not None
    return cookie.value


def desk(port: int, cookie: str, **kw: Any) -> Any:
    return connect(
        f"ws://{LOCAL}:{port}/desk/ws",
        origin=Origin(f"http://{LOCAL}:{port}"),
        additional_headers={"Cookie": f"{COOKIE}={cookie}"},
        proxy=None,
        **kw,
    )


class Desk:
    """A desk that reads everything and stamps the first ringing pop of each call."""

    def __init__(self, agent_id: str, ws: ClientConnection) -> None:
        self.agent_id = agent_id
        self.ws = ws
        self.pops: dict[str, float] = {}
        self.first: dict[str, Any] | None = None
        self.closed: int | None = None
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                at = time.time()
                msg = json.loads(text)
                if self.first is None:
                    self.first = msg
                pop = msg.get("pop") if msg.get("type") == "pop" else None
                if pop and pop["status"] == "ringing" and pop["agent"] == self.agent_id:
                    self.pops.setdefault(pop["call_id"], at)
        except ConnectionClosed:
            pass
        self.closed = self.ws.close_code


async def stop_reading_desk(port: int, cookie: str) -> ClientConnection:
    """A desk socket that stops reading: a 4 KiB receive buffer, no compression (so every
    byte the server queues counts), and the client library pauses the socket as soon as
    one frame waits unread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (LOCAL, port))
    return await desk(port, cookie, sock=sock, compression=None, max_queue=1, ping_interval=None)


async def place_calls(sim: Simulator, n: int, first: int, rate: float) -> None:
    for i in range(n):
        sim.place_call(CallerSpec(f"1370000{first + i:04d}", "Slow Test", dtmf=["1"]))
        await asyncio.sleep(1.0 / rate)  # arrival pacing, not synchronization


def dropped(engine: Proc) -> bool:
    """The hub's warning is in the engine's log (JSON lines on stderr)."""
    return "websocket client too slow" in engine.err.read_text(encoding="utf-8", errors="replace")


def latencies(
    rings: dict[tuple[str, str], float], desks: dict[str, Desk], calls: set[str]
) -> tuple[list[float], list[str]]:
    """(pop latencies, calls that rang an agent whose desk never got the pop)."""
    out: list[float] = []
    missing: list[str] = []
    for (call_id, ext), sent in rings.items():
        if call_id not in calls:
            continue
        got = desks[f"a{ext}"].pops.get(call_id)
        if got is None:
            missing.append(call_id)
        else:
            out.append(got - sent)
    return out, missing


async def test_slow_desktop_is_dropped_and_others_keep_their_pops(tmp_path: Path) -> None:
    started = time.monotonic()
    phones = [AgentPhone(e, answer_after=0.3, talk_time=1.0, tones=False) for e in EXTS]
    cfg = SimConfig(agents=phones, recordings_dir=tmp_path / "recordings",
                    noanswer_to_hold=True, auth_failure_delay=0.05)  # fmt: skip
    cfg.sounds.update(DEMO_PROMPTS)
    rings: dict[tuple[str, str], float] = {}

    def stamp(pairs: list[tuple[str, str]]) -> None:
        if pairs[0][1] == "DialBegin":
            f = dict(pairs)
            dest = f.get("DestChannel", "")
            if f.get("Channel") and dest.startswith("Local/") and "@cti-agents" in dest:
                rings.setdefault((f["Linkedid"], dest[6 : dest.index("@")]), time.time())

    engine: Proc | None = None
    slow: ClientConnection | None = None
    async with Simulator(cfg) as sim:
        sim.pbx.listeners.insert(0, stamp)  # before the event is written to the engine
        try:
            site = write_site(tmp_path, sim.ami_port)
            await asyncio.to_thread(create_users, tmp_path)
            engine, port = await start_engine(tmp_path, site, "engine")
            banner = await engine.line_with("FastAGI on", 5)
            sim.set_agi_target(LOCAL, int(banner.rsplit(" ", 1)[1]))
            base = f"http://{LOCAL}:{port}"
            cookies = {u: await session_cookie(base, u) for u in [f"a{e}" for e in EXTS] + [SLOW]}

            # The slow agent goes not ready first (from a normal tab): it takes no calls.
            async with desk(port, cookies[SLOW]) as setup:
                await setup.send(json.dumps({"type": "not_ready", "id": 1, "reason": "break"}))
                for _ in range(20):
                    reply = json.loads(await asyncio.wait_for(setup.recv(), 10))
                    if reply.get("id") == 1:
                        assert reply["type"] == "result", reply
                        break
            desks = {f"a{e}": Desk(f"a{e}", await desk(port, cookies[f"a{e}"])) for e in EXTS}
            await until(lambda: all(d.first for d in desks.values()), 10, "desk snapshots")

            # 1. Baseline.
            before = set(sim.live_calls()) | set(sim.ended_calls())
            await place_calls(sim, CALLS_PER_PHASE, 0, 2.0)
            await sim.wait_until_idle(20)
            base_calls = set(sim.ended_calls()) - before
            base_lat, base_missing = latencies(rings, desks, base_calls)

            # 2. The stuck desk, while calls keep coming.
            slow = await stop_reading_desk(port, cookies[SLOW])
            before = set(sim.ended_calls())
            # Calls for 12 s: before the socket is stuck, while it is, and after the drop.
            calls = asyncio.create_task(place_calls(sim, 2 * CALLS_PER_PHASE, 100, 2.0))
            flood_started = time.monotonic()
            sent, dropped_after = 0, None
            with contextlib.suppress(ConnectionClosed, ConnectionError):
                for i in range(FLOOD_LIMIT):
                    reason = ("lunch", "break")[i % 2]
                    await slow.send(json.dumps({"type": "not_ready", "id": i, "reason": reason}))
                    sent += 1
                    if i % 100 == 99:
                        await asyncio.sleep(0.1)  # ~1,000 a second, paced
                        if dropped(engine):
                            dropped_after = time.monotonic() - flood_started
                            break
            await calls
            await sim.wait_until_idle(20)
            slow_calls = set(sim.ended_calls()) - before
            slow_lat, slow_missing = latencies(rings, desks, slow_calls)

            # 3. What a user checks.
            # The operator's view: the engine logged that it closed a too-slow client.
            await until(lambda: dropped(engine), 10, "the engine to drop the desk")
            # The stuck socket is closed by the server: reading again ends in a close
            # (1013 "try again later" if the close frame got through, else 1006).
            try:
                async with asyncio.timeout(15):
                    async for _ in slow:
                        pass
            except (ConnectionClosed, TimeoutError):
                pass
            code = slow.close_code
            assert code in (1013, 1006), code
            assert not base_missing and not slow_missing, (base_missing, slow_missing)
            assert len(base_lat) == CALLS_PER_PHASE and len(slow_lat) == 2 * CALLS_PER_PHASE
            b50, s50 = statistics.median(base_lat), statistics.median(slow_lat)
            assert s50 <= 3 * b50 + 0.010, (b50, s50)
            assert max(slow_lat) <= max(base_lat) + 0.200, (base_lat, slow_lat)
            assert all(d.closed is None for d in desks.values()), "another desk was dropped"
            # The slow agent's desk comes back: its state is in the first message.
            async with desk(port, cookies[SLOW]) as again:
                first = json.loads(await asyncio.wait_for(again.recv(), 10))
                assert first["type"] == "snapshot" and first["agent"]["id"] == SLOW
                assert first["agent"]["state"] == "not_ready"
                await again.send(json.dumps({"type": "ping", "id": "p"}))
                reply = json.loads(await asyncio.wait_for(again.recv(), 10))
                assert reply["type"] == "result" and reply["ok"]
            print(json.dumps({
                "scenario": "slow_desktop",
                "baseline_pop_ms": {"p50": round(b50 * 1e3, 2),
                                    "max": round(max(base_lat) * 1e3, 2)},
                "with_stuck_desk_pop_ms": {"p50": round(s50 * 1e3, 2),
                                           "max": round(max(slow_lat) * 1e3, 2)},
                "reason_changes_sent": sent,
                "dropped_after_s": None if dropped_after is None else round(dropped_after, 2),
                "slow_close_code": code,
                "seconds": round(time.monotonic() - started, 1),
            }), flush=True)  # fmt: skip
            for d in desks.values():
                await d.ws.close()
                await d.task
        finally:
            if slow is not None:
                slow.transport.abort()  # it reads nothing: a close handshake would wait
            if engine is not None:
                engine.stop()
    assert time.monotonic() - started < 60
