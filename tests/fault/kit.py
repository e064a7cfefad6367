"""Helpers for the fault suite: processes, an independent AMI observer, the ledger.

The observer is a second AMI client on the PBX (as a monitoring tool would be): it
records when each call (Linkedid) began and when its last channel hung up, so the
tests know the truth without asking the engine under test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from cti.ami.protocol import Event
from cti.ami.session import AmiSession, AmiSettings, backoff
from tests.conftest import REPO

CTI = [sys.executable, "-m", "cti.cli"]
LOCAL = "127.0.0.1"  # every fault test talks to this host only


async def until(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll a cheap condition until it holds; return the seconds it took."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for: {what}")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def until_async(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for: {what}")
        await asyncio.sleep(0.05)


# ---- the observer --------------------------------------------------------------------
@dataclass
class CallTruth:
    started: float
    ended: float | None = None
    channels: set[str] = field(default_factory=set)


class Observer:
    """Every call the PBX carries, from its own AMI link (Newchannel/Hangup only)."""

    def __init__(self, port: int, secret: str = "ctisecret") -> None:
        self.calls: dict[str, CallTruth] = {}
        self._chan_call: dict[str, str] = {}
        self.session = AmiSession(
            AmiSettings(
                host=LOCAL,
                port=port,
                username="cti",
                secret=secret,
                md5_auth=True,
                name="observer",
                ping_interval=5.0,
            ),
            on_event=self._on_event,
            on_connect=self._snapshot,
            backoff_factory=lambda: backoff(0.02, 2.0, 0.2),
            # CoreShowChannel(sComplete) too: the snapshot's rows and its end marker.
            only_events=frozenset(
                {"Newchannel", "Hangup", "CoreShowChannel", "CoreShowChannelsComplete"}
            ),
        )

    def _on_event(self, e: Event, now: float) -> None:
        uid = e.get("Uniqueid")
        if e.name == "Newchannel":
            lid = e.get("Linkedid") or uid
            truth = self.calls.setdefault(lid, CallTruth(now))
            truth.channels.add(uid)
            self._chan_call[uid] = lid
        elif e.name == "Hangup":
            lid = self._chan_call.pop(uid, "")
            truth = self.calls.get(lid)
            if truth is not None:
                truth.channels.discard(uid)
                if not truth.channels:
                    truth.ended = now

    async def _snapshot(self, session: AmiSession) -> None:
        # Calls already up when the observer logs in: known from now on (start approximate).
        result = await session.send("CoreShowChannels", timeout=10)
        now = time.time()
        for row in result.events:
            uid = row.get("Uniqueid")
            if row.name != "CoreShowChannel" or not uid or uid in self._chan_call:
                continue
            lid = row.get("Linkedid") or uid
            self.calls.setdefault(lid, CallTruth(now)).channels.add(uid)
            self._chan_call[uid] = lid

    @property
    def unbroken(self) -> bool:
        """The observer's own link never dropped: its record of the calls is whole."""
        return self.session.connects == 1

    def ended(self) -> dict[str, CallTruth]:
        return {k: v for k, v in self.calls.items() if v.ended is not None}

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Observer]:
        async with asyncio.TaskGroup() as group:
            task = group.create_task(self.session.run(), name="observer")
            try:
                async with asyncio.timeout(10):
                    await self.session.ready.wait()  # logged in and snapshot taken
                yield self
            finally:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(2):
                        await self.session.stop()
                if not task.done():
                    task.cancel()


# ---- processes -----------------------------------------------------------------------
class Proc:
    """A child process whose output goes to files (a full pipe must never stall it)."""

    def __init__(self, name: str, args: list[str], tmp: Path, env: dict[str, str]) -> None:
        self.name = name
        self.out = tmp / f"{name}.out"
        self.err = tmp / f"{name}.err"
        with open(self.out, "wb") as out, open(self.err, "wb") as err:
            self.popen = subprocess.Popen(
                args, stdout=out, stderr=err, cwd=REPO, env={**os.environ, **env}
            )

    def text(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")

    def tail(self) -> str:
        return self.err.read_text(encoding="utf-8", errors="replace")[-3000:]

    async def line_with(self, marker: str, timeout: float) -> str:
        def found() -> bool:
            if marker in self.text():  # printed, then exited normally: found all the same
                return True
            if self.popen.poll() is not None:
                raise AssertionError(f"{self.name} exited: {self.tail()}")
            return False

        await until(found, timeout, f"{self.name} to print {marker!r}")
        return next(x for x in self.text().splitlines() if marker in x)

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def start_simulator(tmp: Path, *, cps: float, seconds: float, agents: int, scale: float) -> Proc:
    return Proc(
        "simulate",
        [
            *CTI,
            "simulate",
            "--ami-host",
            LOCAL,
            "--ami-port",
            "0",
            "--agi-port",
            "0",
            "--agents",
            str(agents),
            "--time-scale",
            str(scale),
            "--load",
            str(cps),
            "--seconds",
            str(seconds),
            "--recordings",
            str(tmp / "rec"),
        ],
        tmp,
        {},
    )


def write_site(tmp: Path, ami_port: int, database_url: str) -> Path:
    site = tmp / "site.yaml"
    site.write_text(
        f"""asterisk:
  - name: pbx1
    host: {LOCAL}
    port: {ami_port}
    username: cti
    secret_env: CTI_AMI_SECRET
    md5_auth: true
    ping_interval: 2
fastagi: {{host: {LOCAL}, port: 0}}
database: {{url: "{database_url}"}}
web: {{host: {LOCAL}, port: 0}}
journal: {tmp / "journal.jsonl"}
recordings_dir: {tmp / "recordings"}
wrap_up_seconds: 0
""",
        encoding="utf-8",
    )
    return site


async def start_engine(tmp: Path, site: Path, name: str) -> tuple[Proc, int]:
    """``cti run`` as a child; returns it and its web port once it printed its banner."""
    proc = Proc(name, [*CTI, "run", "--config", str(site)], tmp, {"CTI_AMI_SECRET": "ctisecret"})
    banner = await proc.line_with("CTI engine running", 60)
    port = int(banner.split("web on port ")[1].split(",")[0])
    return proc, port


# ---- scraping ------------------------------------------------------------------------
async def scrape(http: aiohttp.ClientSession, port: int) -> dict[str, float]:
    """/metrics as {"name{label=value}": value} (counters keep their _total name)."""
    async with http.get(f"http://{LOCAL}:{port}/metrics") as resp:
        assert resp.status == 200, await resp.text()
        text = await resp.text()
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            out[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
    return out


async def until_metric(
    http: aiohttp.ClientSession, port: int, name: str, at_least: float, timeout: float
) -> None:
    async def reached() -> bool:
        with contextlib.suppress(aiohttp.ClientError):
            return (await scrape(http, port)).get(name, 0.0) >= at_least
        return False

    await until_async(reached, timeout, f"{name} >= {at_least}")


async def healthy(http: aiohttp.ClientSession, port: int) -> bool:
    try:
        async with http.get(f"http://{LOCAL}:{port}/health") as resp:
            return resp.status == 200
    except aiohttp.ClientError:
        return False


# ---- ledgers -------------------------------------------------------------------------
def journal_pending(path: Path) -> set[str]:
    """Record ids in a journal file without an ack (read-only, like Journal.pending)."""
    records: set[str] = set()
    acked: set[str] = set()
    if not path.exists():
        return records
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "ack" in item:
            acked.add(item["ack"])
        elif "id" in item:
            records.add(item["id"])
    return records - acked


def sqlite_rows(path: Path) -> dict[str, int]:
    """call id -> number of interaction rows (a duplicate shows as 2)."""
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
        rows = db.execute("select call_id, count(*) from interactions group by call_id")
        return {cid: n for cid, n in rows}


def figures(name: str, **values: Any) -> None:
    """One JSON line per scenario (pytest -s shows it; the bench commands print it)."""
    print(json.dumps({"scenario": name, **values}), flush=True)
