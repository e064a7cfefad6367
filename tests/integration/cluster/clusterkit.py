"""Helpers for the multi-process cluster tests: a site file, node processes, CRM counts."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from redis.exceptions import RedisError

from cti.demo import DEMO_SERVICES
from cti.simulator import AgentPhone, CallerSpec, SimConfig, Simulator

SKILLS = ("billing", "repair", "installation", "complaint", "english")
ROOT = Path(__file__).resolve().parents[3]


def agent_exts(n: int) -> list[str]:
    return [str(2001 + i) for i in range(n)]


def write_site(tmp: Path, ami_port: int, db_url: str, redis_url: str, agents: int) -> Path:
    lines = [
        "asterisk:",
        f"  - {{name: sim, host: 127.0.0.1, port: {ami_port}, username: cti,"
        " secret: ctisecret, md5_auth: true, ping_interval: 2}",
        "fastagi: {host: 127.0.0.1, port: 0}",
        f"database: {{url: '{db_url}'}}",
        f"redis: {{url: '{redis_url}'}}",
        f"journal: {tmp / 'journal.jsonl'}",
        f"recordings_dir: {tmp / 'recordings'}",
        "wrap_up_seconds: 0",
        f"skills: [{', '.join(SKILLS)}]",
        "services:",
    ]
    for svc in DEMO_SERVICES:  # the bundled IVR flows hand off to these
        skills = ", ".join(f"{k}: {v}" for k, v in svc.skills.items())
        lines.append(f"  - {{name: {svc.name}, skills: {{{skills}}}, priority: {svc.priority}}}")
    lines.append("agents:")
    lines += [f"  - {{id: a{e}, name: Agent {e}, extension: '{e}', skills: {{billing: 1}}}}"
              for e in agent_exts(agents)]  # fmt: skip
    path = tmp / "site.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def simulator(tmp: Path, agents: int, *, answer_after: float, talk: float) -> Simulator:
    phones = [AgentPhone(e, answer_after=answer_after, talk_time=talk) for e in agent_exts(agents)]
    return Simulator(SimConfig(agents=phones, time_scale=1.0, recordings_dir=tmp / "rec",
                               auth_failure_delay=0.05))  # fmt: skip


def add_members(sim: Simulator, agents: int) -> None:
    queue = sim.queues.queues["support"]
    for e in agent_exts(agents):
        sim.queues.add_member(queue, f"Local/{e}@agents", f"Agent {e}")


@dataclass
class Node:
    node_id: str
    proc: asyncio.subprocess.Process

    def kill(self) -> None:
        if self.proc.returncode is None:
            os.kill(self.proc.pid, signal.SIGKILL)

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.terminate()
            try:
                async with asyncio.timeout(10):
                    await self.proc.wait()
            except TimeoutError:
                self.kill()
                await self.proc.wait()


async def start_node(site: Path, node_id: str, tmp: Path, role: str = "engine") -> Node:
    log = (tmp / f"node-{node_id}.log").open("wb")  # the child writes to it; we close ours
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cti.cluster.node", "--role", role, "--config", str(site),
        "--node-id", node_id, "--lease-ttl", "2.0",
        cwd=str(ROOT), stdout=log, stderr=log,
    )  # fmt: skip
    log.close()
    return Node(node_id, proc)


async def takeovers(redis: Any) -> list[dict[str, str]]:
    rows = await redis.xrange("cti:takeovers")
    return [{k.decode(): v.decode() for k, v in f.items()} for _id, f in rows]


async def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll an async check until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = await check()
        except RedisError:  # the test's own client meets the restarted server
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for: {what}")
        await asyncio.sleep(0.05)


def crm_counts(sql: sa.Engine) -> dict[str, int]:
    with sql.connect() as conn:
        rows = conn.execute(sa.text("SELECT call_id, count(*) FROM interactions GROUP BY call_id"))
        return {r[0]: int(r[1]) for r in rows}


def crm_reasons(sql: sa.Engine) -> dict[str, str]:
    with sql.connect() as conn:
        rows = conn.execute(sa.text("SELECT call_id, end_reason FROM interactions"))
        return {r[0]: r[1] for r in rows}


@dataclass
class Load:
    """Places queue callers at a steady rate and notes each one's wall-clock start."""

    sim: Simulator
    rate: float
    patience: float = 20.0
    placed: dict[str, float] = field(default_factory=dict)
    n: int = 0

    async def run(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.n += 1
            spec = CallerSpec(f"555{self.n:05d}", f"Load {self.n}", entry="queue:support",
                              patience=self.patience)  # fmt: skip
            self.placed[self.sim.place_call(spec)] = time.time()
            await asyncio.sleep(1.0 / self.rate)  # arrival pacing, not synchronization

    def wall(self, t: float) -> float:
        pbx = self.sim.pbx
        return t - pbx.boot_mono + pbx.boot_wall
