"""Starting the engine side: ``cti run`` (one node) or Redis + two web-enabled engine
nodes (active + standby). Each returns (engine pid, web port, FastAGI port, other pids
to sample by name)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import time
from pathlib import Path

import aiohttp

from bench.loadkit.procs import Child, python
from bench.loadkit.site import create_users, write_site


async def wait_healthy(port: int, timeout: float) -> None:
    """/health is 200 once the AMI link is logged in and resynced."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(f"http://127.0.0.1:{port}/health") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"engine on {port} not healthy after {timeout}s")
            await asyncio.sleep(0.1)


async def single_node(
    tmp: Path,
    site: Path,
    children: list[Child],
    diagnose: bool = False,
    switch_interval: float | None = None,
    gc_freeze_after: float | None = None,
) -> tuple[int, int, int, dict[str, int]]:
    cmd = ["-m", "cti.cli", "run", "--config", str(site)]
    if diagnose:  # the same engine, its collector's pauses noted (loadkit/gcwatch.py)
        cmd = ["-m", "bench.loadkit.gcwatch", str(tmp / "gc.json"), *cmd[2:]]
    env = {"BENCH_SWITCH_INTERVAL": str(switch_interval)} if switch_interval else {}
    if gc_freeze_after:
        env["BENCH_GC_FREEZE_AFTER"] = str(gc_freeze_after)
    engine = Child("engine", python(*cmd), tmp, env=env)
    children.append(engine)
    banner = await engine.line_with("CTI engine running", 120)
    web = int(banner.split("web on port ")[1].split(",")[0])
    agi = int(banner.split("FastAGI on ")[1].strip())
    await wait_healthy(web, 60)
    return engine.pid, web, agi, {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def two_nodes(
    tmp: Path, ami_port: int, agents: int, first_ext: int, children: list[Child]
) -> tuple[int, int, int, dict[str, int]]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server not found (apt-get install redis-server)")
    port = free_port()
    redis = Child("redis", [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                            "--appendonly", "no", "--dir", str(tmp)], tmp)  # fmt: skip
    children.append(redis)
    await redis.line_with("Ready to accept connections", 20)
    site = write_site(tmp, ami_port=ami_port, agents=agents, first_ext=first_ext,
                      redis_url=f"redis://127.0.0.1:{port}/0")  # fmt: skip
    await asyncio.to_thread(create_users, f"sqlite:///{tmp / 'crm.sqlite3'}", first_ext, agents)
    a = Child("node-a", python("-m", "bench.loadkit.webnode", "--config", str(site),
                               "--node-id", "a"), tmp)  # fmt: skip
    children.append(a)
    line = await a.line_with("ACTIVE", 120)
    b = Child("node-b", python("-m", "bench.loadkit.webnode", "--config", str(site),
                               "--node-id", "b"), tmp)  # fmt: skip
    children.append(b)
    await b.line_with("standby", 60)
    web = int(line.split("web=")[1].split()[0])
    agi = int(line.split("agi=")[1].split()[0])
    await wait_healthy(web, 60)
    return a.pid, web, agi, {"standby": b.pid, "redis": redis.pid}
