"""The web app restarted mid-day: the wallboard's totals come back equal to the CRM's."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import select

from agent_desktop import DESK
from crm.schema import interactions
from cti.demo import DEMO_AGENTS
from cti.simulator import AgentPhone, CallerSpec
from cti.web import make_app
from tests.integration.desktop.kit import desk_rig
from tests.integration.enginekit import settings_for, until

SHORT = 0.05  # short-abandon threshold (seconds); the simulator runs at 0.02


def from_crm(rows: list[Any], target: float) -> dict[str, Any]:
    offered = [r for r in rows if r.service]
    answered = [r for r in offered if r.agent_answered]
    long_ab = [r for r in offered if r.end_reason == "abandoned" and r.wait_seconds >= SHORT]
    in_target = [r for r in answered if r.wait_seconds <= target]
    # abandoned after the target (callers who gave up sooner were never failed)
    late = [r for r in offered if r.end_reason == "abandoned" and r.wait_seconds > target]
    handle = sum(r.talk_seconds + r.hold_seconds + (r.wrapup_seconds or 0) for r in answered)
    n, d = len(answered), len(answered) + len(late)  # nobody waits at the end
    return {
        "offered": len(offered),
        "answered": n,
        "abandoned": len(long_ab),
        "service_level": round(100 * len(in_target) / d, 1) if d else None,
        "asa": round(sum(r.wait_seconds for r in answered) / n, 1) if n else None,
        "aht": round(handle / n, 1) if n else None,
    }


def board_figures(figures: dict[str, Any]) -> dict[str, Any]:
    return {
        k: figures[k] for k in ("offered", "answered", "abandoned", "service_level", "asa", "aht")
    }


async def test_totals_survive_a_web_app_restart(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, agents=DEMO_AGENTS, wrap_up=0.05)
    phones = [AgentPhone(a.extension, answer_after=2.0, talk_time=8.0) for a in DEMO_AGENTS]
    async with desk_rig(tmp_path, settings=settings, phones=phones, time_scale=0.02) as r:
        old = r.desk
        old.board.short_abandon = SHORT
        target = 1.0
        for info in old.board.services.values():
            info.target_seconds = target
        ids = []
        for i, (key, patience) in enumerate(
            [("1", None), ("2", None), ("0", 1.0), ("1", 20.0), ("2", None), ("0", None)]
        ):
            spec = CallerSpec(f"1390000{i:04d}", f"客户{i}", dtmf=[key], patience=patience)
            ids.append(r.sim.place_call(spec))
            await asyncio.sleep(0.05)  # pacing of arrivals, not synchronization
        await until(lambda: set(ids) <= set(r.sim.ended_calls()), 120, "all calls ended")
        await r.engine.writer.drain(timeout=30)
        await until(lambda: old._wrapups.empty() and not r.engine.model.live(), 30, "idle")

        def rows() -> list[Any]:
            with r.sql.connect() as conn:
                return list(conn.execute(select(interactions)).all())

        await until(
            lambda: (
                len(rows()) == len(ids)
                and all(x.end_reason for x in rows())
                and all((x.wrapup_seconds or 0) > 0 for x in rows() if x.agent_answered)
            ),
            30,
            "every row and wrap-up written",
        )
        want = from_crm(rows(), target)
        assert want["offered"] > 0 and want["answered"] > 0
        assert board_figures(old.wallboard()["overall"]) == want

        # Restart the web app alone (the engine keeps running): a new desk, same CRM.
        await r.engine.web_runner.cleanup()
        runner = web.AppRunner(make_app(r.engine, crm_sql=r.sql), handle_signals=False)
        await runner.setup()
        try:
            new = runner.app[DESK]
            assert new is not old
            started = new.wallboard()["overall"]  # rebuilt by the app's start-up alone
            assert (started["offered"], started["answered"]) == (want["offered"], want["answered"])
            new.board.short_abandon = SHORT
            for info in new.board.services.values():
                info.target_seconds = target
            # Totals were rebuilt at start with the default thresholds: forget the day
            # (the next roll starts it afresh) and rebuild under this test's thresholds.
            new.board.day = None
            assert await new.rebuild_today() == want["offered"]
            assert board_figures(new.wallboard()["overall"]) == want
            per_service = {s["name"]: s["offered"] for s in new.wallboard()["services"]}
            assert sum(per_service.values()) == want["offered"]
            chart = new.wallboard()["chart"]
            assert sum(b[0] for b in chart) == want["offered"]
            assert sum(b[1] for b in chart) == want["answered"]
        finally:
            await runner.cleanup()
