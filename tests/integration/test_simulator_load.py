"""Load mode and the ``cti simulate`` command."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from cti.simulator import CallerSpec, SimConfig, Simulator
from cti.simulator.load import run_load
from tests.integration.simhelpers import AgiConn, AgiServer, AmiClient

SCALE = 0.01


async def test_load_into_the_queue(tmp_path: Path) -> None:
    cfg = SimConfig(time_scale=SCALE, recordings_dir=tmp_path)
    async with Simulator(cfg) as sim:
        report = await run_load(sim, 20, agents=3, seconds=1, drain_timeout=30)
    assert report.placed == report.ended == 20
    assert report.answered + report.abandoned == 20
    assert report.answered >= 3
    assert report.max_concurrent >= 4  # 3 talking, the rest waiting
    # An answered queue call is ~147 events, an abandoned one ~69 (README).
    assert report.events_sent >= 60 * 20


async def test_load_through_a_fastagi_ivr(tmp_path: Path) -> None:
    async def ivr(c: AgiConn) -> None:
        await c.cmd("ANSWER")
        # A long digit timeout: the caller keys 2 s (scaled) after the answer, and a busy
        # machine must not turn that into a timeout.
        await c.cmd("GET DATA silence/1 20000 1")

    agi = AgiServer(ivr)
    port = await agi.start()
    # Slower model time than the other tests: the caller keys 2 s (model) after the
    # answer, and the FastAGI session must be in GET DATA by then even on a busy machine.
    cfg = SimConfig(agi_port=port, time_scale=0.1, recordings_dir=tmp_path)

    def caller(i: int) -> CallerSpec:
        return CallerSpec(f"1390000{i:04d}", f"L{i}", entry="ivr", dtmf=["1"], patience=1)

    try:
        async with Simulator(cfg) as sim:
            report = await run_load(sim, 20, agents=0, seconds=1, caller_factory=caller)
    finally:
        await agi.stop()
    assert (report.placed, report.ended, report.answered, report.abandoned) == (20, 20, 0, 20)
    assert len(agi.sessions) == 20
    assert all(conn.log[1][1] == "200 result=1" for conn in agi.sessions)


async def read_port(stdout: asyncio.StreamReader) -> int:
    while line := await stdout.readline():
        text = line.decode()
        if text.startswith("AMI_PORT="):
            return int(text.split("=", 1)[1])
    raise AssertionError("cti simulate exited before printing its port")


REPO = Path(__file__).resolve().parents[2]


async def test_cti_simulate_answers_a_login(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cti.cli",
        "simulate",
        "--ami-port",
        "0",
        "--time-scale",
        "0.01",
        "--recordings",
        str(tmp_path),
        "--users",
        "cti:secret",
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO,
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(30):
            port = await read_port(proc.stdout)
            cl = AmiClient()
            await cl.connect(port)
            r = await cl.action(
                [
                    ("Action", "Login"),
                    ("ActionID", "l1"),
                    ("Username", "cti"),
                    ("Secret", "secret"),
                ]
            )
            assert r.message == "Authentication accepted"
            await cl.close()
            proc.send_signal(signal.SIGINT)
            rest = await proc.stdout.read()
            assert await proc.wait() == 0
            assert b"stopping" in rest
    finally:
        if proc.returncode is None:
            proc.kill()
            with contextlib.suppress(ProcessLookupError):
                await proc.wait()
