"""Playback over real HTTP: Range requests (start, middle, suffix, 416), names that try to
leave the directory, agents limited to their own calls, one audit row per play."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from crm.db import make_engine
from cti.simulator import AgentPhone
from cti.web import make_app
from cti.webauth import crm_authenticator
from tests.integration.enginekit import caller
from tests.integration.recordings.kit import answered, rec_rig, stored
from tests.integration.recordings.webkit import add_users, login


async def test_range_requests_traversal_and_access(tmp_path: Path) -> None:
    phones = [AgentPhone("1001", answer_after=0.2, talk_time=40)]
    async with rec_rig(tmp_path, time_scale=0.02, phones=phones, transcribe=False) as r:
        cid = r.sim.place_call(caller(1, "1"))
        await answered(r, "1001")
        await stored(r, cid)
        (seg,) = r.engine.recordings.registry.segments(cid)
        data = (tmp_path / "rec" / seg["name"]).read_bytes()
        size = len(data)
        assert size > 10_000
        (tmp_path / "secret.txt").write_text("not audio")
        sql = make_engine(r.engine.settings.database_url)
        try:
            add_users(sql, ("qa1", "qa"), ("a1001", "agent"), ("a1002", "agent"),
                      ("boss", "admin"))
            app = make_app(r.engine, authenticate=crm_authenticator(sql), crm_sql=sql)
            async with TestClient(TestServer(app)) as client:
                url = f"/recordings/audio/{seg['id']}"
                assert (await client.get(url, allow_redirects=False)).status == 302
                await login(client, "qa1")

                whole = await client.get(url)
                assert whole.status == 200 and await whole.read() == data
                assert whole.headers["Accept-Ranges"] == "bytes"
                assert whole.headers["Content-Type"] == "audio/wav"

                start = await client.get(url, headers={"Range": "bytes=0-99"})
                assert start.status == 206 and await start.read() == data[:100]
                assert start.headers["Content-Range"] == f"bytes 0-99/{size}"

                middle = await client.get(url, headers={"Range": "bytes=5000-5999"})
                assert middle.status == 206 and await middle.read() == data[5000:6000]
                assert middle.headers["Content-Length"] == "1000"

                open_end = await client.get(url, headers={"Range": f"bytes={size - 10}-"})
                assert open_end.status == 206 and await open_end.read() == data[-10:]

                suffix = await client.get(url, headers={"Range": "bytes=-500"})
                assert suffix.status == 206 and await suffix.read() == data[-500:]
                assert suffix.headers["Content-Range"] == f"bytes {size - 500}-{size - 1}/{size}"

                bad = await client.get(url, headers={"Range": f"bytes={size}-"})
                assert bad.status == 416 and bad.headers["Content-Range"] == f"bytes */{size}"

                for name in ("..%2Fsecret.txt", "%2E%2E%2Fsecret.txt", "..", ".hidden.wav",
                             "..%5C..%5Csecret.txt", "%2Fetc%2Fpasswd"):
                    resp = await client.get(f"/recordings/files/{name}")
                    assert resp.status in (400, 404), name
                    assert b"not audio" not in await resp.read()
                resp = await client.get("/recordings/files/../../secret.txt")
                assert resp.status in (400, 404)
                by_name = await client.get(f"/recordings/files/{seg['name']}",
                                           headers={"Range": "bytes=44-47"})
                assert by_name.status == 206 and await by_name.read() == data[44:48]

                # Agents: their own calls only, in the list and the audio.
                await login(client, "a1002")
                assert (await client.get(url)).status == 403
                assert cid not in await (await client.get("/recordings")).text()
                await login(client, "a1001")
                assert (await client.get(url, headers={"Range": "bytes=0-"})).status == 206
                assert cid in await (await client.get("/recordings")).text()

                await login(client, "boss")
                audit = await client.get("/api/audit", params={"action": "recording.play"})
                assert audit.status == 200, await audit.text()
                rows = [a for a in await audit.json()
                        if a["action"] == "recording.play"]
                # Every read is audited, but a person's seeks in the same file (qa1's
                # ranges and the by-name read) are one listening: one entry each.
                by_user = sorted(a["actor"] for a in rows)
                assert by_user == ["a1001", "qa1"], by_user
        finally:
            sql.dispose()
