"""Every read of a recording is audited, ranged or not (issue 12, item 14): a first
request of ``Range: bytes=1-`` is a play like any other. A person's seeks in the same
file are one entry, so seeking cannot flood the log. A Range header with thousands of
digits is a plain 416 (or the clamped range), never a 500 (item 15)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from crm.db import make_engine
from cti.simulator import AgentPhone
from cti.web import make_app
from cti.webauth import crm_authenticator
from recordings.play_audit import PlayLog
from recordings.ranges import Unsatisfiable, parse_range
from tests.integration.enginekit import caller
from tests.integration.recordings.kit import answered, rec_rig, stored
from tests.integration.recordings.webkit import add_users, login


async def plays(client: TestClient) -> list[dict]:
    audit = await client.get("/api/audit", params={"action": "recording.play"})
    assert audit.status == 200, await audit.text()
    return await audit.json()


async def test_ranged_reads_are_audited_once_per_listening(tmp_path: Path) -> None:
    phones = [AgentPhone("1001", answer_after=0.2, talk_time=40)]
    async with rec_rig(tmp_path, time_scale=0.02, phones=phones, transcribe=False) as r:
        cid = r.sim.place_call(caller(1, "1"))
        await answered(r, "1001")
        await stored(r, cid)
        (seg,) = r.engine.recordings.registry.segments(cid)
        size = (tmp_path / "rec" / seg["name"]).stat().st_size
        sql = make_engine(r.engine.settings.database_url)
        try:
            add_users(sql, ("a1001", "agent"), ("qa1", "qa"), ("boss", "admin"))
            app = make_app(r.engine, authenticate=crm_authenticator(sql), crm_sql=sql)
            async with TestClient(TestServer(app)) as client:
                url = f"/recordings/audio/{seg['id']}"
                await login(client, "a1001")
                first = await client.get(url, headers={"Range": "bytes=1-"})
                assert first.status == 206 and len(await first.read()) == size - 1
                for seek in ("bytes=5000-", "bytes=-100", "bytes=0-"):  # a player seeking
                    assert (await client.get(url, headers={"Range": seek})).status == 206
                await login(client, "qa1")
                got = await client.get(f"/recordings/files/{seg['name']}",
                                       headers={"Range": "bytes=100-199"})
                assert got.status == 206 and len(await got.read()) == 100
                # Thousands of digits: past the end (416), or an end clamped to the file.
                huge = "9" * 5000
                assert (await client.get(url, headers={"Range": f"bytes={huge}-"})).status == 416
                clamped = await client.get(url, headers={"Range": f"bytes=10-{huge}"})
                assert clamped.status == 206 and len(await clamped.read()) == size - 10
                tail = await client.get(url, headers={"Range": f"bytes=-{huge}"})
                assert tail.status == 206 and len(await tail.read()) == size
                odd = await client.get(url, headers={"Range": "bytes=²-"})
                assert odd.status == 200  # a bad header is ignored: the whole file

                await login(client, "boss")
                rows = await plays(client)
                assert sorted(a["actor"] for a in rows) == ["a1001", "qa1"], rows
                mine = next(a for a in rows if a["actor"] == "a1001")
                assert mine["object_id"] == cid
                assert mine["detail"]["range"] == f"bytes 1-{size - 1}/{size}"
        finally:
            sql.dispose()


def test_the_play_log_audits_again_after_its_window_and_stays_bounded() -> None:
    log = PlayLog(window=600.0, max_keys=2)
    assert log.should_audit(("qa1", 7), 0.0)
    assert not log.should_audit(("qa1", 7), 599.0)
    assert log.should_audit(("qa1", 7), 601.0)
    assert log.should_audit(("qa1", 8), 602.0) and log.should_audit(("qa1", 9), 603.0)
    assert log.should_audit(("qa1", 7), 604.0), "forgotten keys are audited again"


def test_range_numbers_of_any_length() -> None:
    huge = "1" * 10_000
    assert parse_range(f"bytes=0-{huge}", 50).end == 49  # type: ignore[union-attr]
    assert parse_range(f"bytes=-{huge}", 50).start == 0  # type: ignore[union-attr]
    with pytest.raises(Unsatisfiable):
        parse_range(f"bytes={huge}-", 50)
