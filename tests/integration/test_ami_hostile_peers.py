"""Hostile AMI peers (issue 12, item 18), over real TCP.

The simulator's AMI server refuses an oversized message plainly and closes that
connection (no traceback; other clients go on), and drops a connection that does not
log in within its auth timeout, like Asterisk's ``authtimeout``. The engine's AMI
session logs garbage from Asterisk as a summary (the first line at once, then one line
per interval with a count), not one warning per message. The demo prints a
department-staff login.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from crm.db import create_schema, make_engine
from crm.uow import UnitOfWork
from cti.ami.session import AmiSession, AmiSettings
from cti.demo import _ensure_demo_logins, _load_demo_data
from cti.ratelog import Summary
from cti.simulator import SimConfig, Simulator
from tests.integration.enginekit import until
from tests.integration.test_ami_session import fake_asterisk, fast, running

LOGIN = b"Action: Login\r\nActionID: 1\r\nUsername: cti\r\nSecret: ctisecret\r\n\r\n"


async def read_all(reader: asyncio.StreamReader, timeout: float) -> bytes:
    """Everything until the server closes (EOF), or fail after ``timeout``."""
    out = b""
    async with asyncio.timeout(timeout):
        while chunk := await reader.read(65536):
            out += chunk
    return out


async def test_the_simulator_refuses_an_oversized_message_cleanly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with Simulator(SimConfig()) as sim:
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.ami_port)
        writer.write(b"Action: Ping\r\nX: " + b"A" * (2 << 20))  # over the 1 MiB cap
        await writer.drain()
        out = await read_all(reader, 10)
        writer.close()
        assert out.startswith(b"Asterisk Call Manager/")
        assert b"Response: Error\r\nMessage: Message too large" in out
        # Others are served as before.
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.ami_port)
        writer.write(LOGIN)
        await writer.drain()
        async with asyncio.timeout(10):
            reply = await reader.readuntil(b"\r\n\r\n")  # the banner and the reply
            while b"Response" not in reply:
                reply += await reader.readuntil(b"\r\n\r\n")
        assert b"Authentication accepted" in reply
        writer.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [
        r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR
    ]
    assert any("message refused" in r.getMessage() for r in caplog.records)


async def test_the_simulator_drops_idle_unauthenticated_connections() -> None:
    async with Simulator(SimConfig()) as sim:
        sim.server.auth_timeout = 0.5
        idle_r, idle_w = await asyncio.open_connection("127.0.0.1", sim.ami_port)
        user_r, user_w = await asyncio.open_connection("127.0.0.1", sim.ami_port)
        user_w.write(LOGIN)
        await user_w.drain()
        banner = await read_all(idle_r, 10)  # the server closes it: EOF within the wait
        assert banner.startswith(b"Asterisk Call Manager/")
        # The logged-in client stays connected past the timeout and still answers.
        await asyncio.sleep(1.0)  # scenario timing: longer than the auth timeout
        user_w.write(b"Action: Ping\r\nActionID: 2\r\n\r\n")
        await user_w.drain()
        async with asyncio.timeout(10):
            seen = b""
            while b"ActionID: 2" not in seen:
                seen += await user_r.readuntil(b"\r\n\r\n")
        assert b"Response: Success" in seen
        for w in (idle_w, user_w):
            w.close()


async def test_garbage_from_asterisk_is_logged_as_a_summary(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="cti.ami.session")
    sent = 800

    async def noisy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        data = await reader.readuntil(b"\r\n\r\n")
        aid = next(ln for ln in data.split(b"\r\n") if ln.startswith(b"ActionID:"))
        writer.write(b"Response: Success\r\n" + aid + b"\r\n\r\n")
        writer.write(b"".join(b"garbage line %d\r\n\r\n" % i for i in range(sent)))
        await writer.drain()
        while await reader.read(1024):
            pass

    async with fake_asterisk(noisy) as port:
        s = AmiSession(
            AmiSettings(port=port, secret="x"),
            on_event=lambda e, t: None,
            backoff_factory=fast,
            only_events=None,
        )
        async with running(s):
            await until(lambda: s.garbage_received >= sent, 10, "all the garbage read")
    lines = [r for r in caplog.records if r.getMessage() == "ami garbage ignored"]
    assert 1 <= len(lines) <= 2, len(lines)
    assert s.garbage_received == sent


def test_the_summary_counts_what_it_kept_quiet() -> None:
    now = [0.0]
    summary = Summary(interval=10.0, clock=lambda: now[0])
    assert summary.hit() == 1
    assert [summary.hit() for _ in range(99)] == [0] * 99
    now[0] = 10.5
    assert summary.hit() == 100  # the 99 kept quiet and this one
    assert summary.hit() == 0 and summary.flush() == 1 and summary.flush() == 0


def test_the_demo_prints_a_department_staff_login(tmp_path: Path) -> None:
    sql = make_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    create_schema(sql)
    _load_demo_data(sql)
    printed = _ensure_demo_logins(sql, tmp_path)
    line = next(x for x in printed.splitlines() if x.endswith("(department_staff)"))
    with UnitOfWork(sql, write=False) as uow:
        staff = uow.users.by_username(line.split()[0])
        assert staff is not None and staff.department_id is not None
        department = uow.departments.get(staff.department_id)
    assert department is not None and department.code == "BJ-REPAIR"
    sql.dispose()
