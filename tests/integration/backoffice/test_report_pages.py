"""The reports page over real HTTP: every report renders (chart data + table) over days in
the site's time zone, exports as CSV and XLSX, refuses bad ranges and the wrong roles."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import load_workbook

from crm.api.report_views import REPORT_NAMES
from crm.model.interaction import InteractionRecord
from crm.store import InteractionStore
from tests.integration.backoffice.kit import HOSTILE, site

DATA = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.S)


async def test_every_report_renders_and_exports(tmp_path: Path) -> None:
    async with site(tmp_path) as s:
        store = InteractionStore(s.sql)
        # 2026-03-01 23:30 and 2026-03-02 00:30 in Beijing: two local days.
        for call_id, hour, minute, agent in (("a", 15, 30, "1001"), ("b", 16, 30, None)):
            store.record_interaction(InteractionRecord(
                call_id, datetime(2026, 3, 1, hour, minute, tzinfo=UTC), service=HOSTILE[1],
                agent_answered=agent, wait_seconds=12, talk_seconds=60,
                end_reason="completed" if agent else "abandoned"))  # fmt: skip
        await s.login("boss")
        days = "from=2026-03-01&to=2026-03-02"
        for name in REPORT_NAMES:
            resp = await s.client.get(f"/reports?report={name}&{days}")
            page = await resp.text()
            assert resp.status == 200, (name, page[:300])
            chart = DATA.search(page)
            assert chart is not None, name
            json.loads(chart.group(1))  # valid JSON for the chart script
        page = await (await s.client.get(f"/reports?report=calls-by-day&{days}")).text()
        chart = json.loads(DATA.search(page).group(1))  # type: ignore[union-attr]
        assert chart["x"] == ["2026-03-01", "2026-03-02"]
        assert chart["series"][0]["data"] == [1, 1]
        page = await (await s.client.get(f"/reports?report=service-level&{days}")).text()
        assert HOSTILE[1] not in page  # in the table escaped, in the JSON as \u003c...
        assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
        xlsx = await s.client.get(f"/reports/export/abandons.xlsx?{days}")
        assert xlsx.status == 200
        rows = list(load_workbook(io.BytesIO(await xlsx.read())).active.iter_rows(values_only=True))
        assert rows == [
            ("day", "offered", "abandoned", "abandon_rate", "mean_wait_before_abandon_seconds"),
            ("2026-03-01", 1, 0, 0, None),
            ("2026-03-02", 1, 1, 1, 12),
        ]
        csv = await (await s.client.get(f"/reports/export/calls-by-hour.csv?{days}")).read()
        # Hours in the site's zone, not UTC.
        assert b"2026-03-01 23:00" in csv and b"2026-03-02 00:00" in csv
        for bad in ("from=2026-03-05&to=2026-03-01", "from=x", "from=2020-01-01&to=2026-01-01"):
            assert (await s.client.get(f"/reports?{bad}")).status == 400, bad
        assert (await s.client.get("/reports?report=nope")).status == 404
        assert (await s.client.get(f"/reports/export/abandons.pdf?{days}")).status == 404
        await s.login("a1001")
        assert (await s.client.get("/reports", allow_redirects=False)).status == 403
        assert (await s.client.get(f"/reports/export/abandons.xlsx?{days}")).status == 403
