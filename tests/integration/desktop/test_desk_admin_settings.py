"""The desk and the wallboard follow the administrator's settings: not-ready reasons and
dispositions from the CRM (built-in until changed), alarm limits stored by the admin page
over the site file's."""

from __future__ import annotations

from pathlib import Path

from crm.auth import create_user
from crm.model.settings import ReasonKind
from crm.services import settings
from crm.uow import UnitOfWork
from cti.demo import DEMO_AGENTS
from tests.integration.desktop.kit import PASSWORD, client, desk_rig, login, open_tab
from tests.integration.enginekit import settings_for, until


async def test_desk_reads_reasons_and_wallboard_reads_alarm_limits(tmp_path: Path) -> None:
    site = settings_for(tmp_path, agents=DEMO_AGENTS[:1])
    async with desk_rig(tmp_path, settings=site) as r:
        with UnitOfWork(r.sql) as uow:
            create_user(uow, username="a1001", password=PASSWORD, role="agent")
            settings.set_reason(uow, "admin", ReasonKind.NOT_READY, "coaching",
                                name_zh="辅导", name_en="Coaching")  # fmt: skip
            settings.set_reason(uow, "admin", ReasonKind.NOT_READY, "lunch",
                                name_zh="用餐", name_en="Lunch", active=False)  # fmt: skip
            settings.set_reason(uow, "admin", ReasonKind.DISPOSITION, "bill_explained",
                                name_zh="账单已解释", name_en="Bill explained")  # fmt: skip
            settings.set_alarm_limit(uow, "admin", "repair", "waiting", 1, 2)
            settings.set_alarm_limit(uow, "admin", "", "longest_wait", 11, 22)
            uow.commit()
        async with client() as agent:
            await login(agent, r.base, "a1001")
            async with agent.get(f"{r.base}/desk?lang=zh") as resp:
                page = await resp.text()
            assert 'value="coaching">辅导' in page and 'value="bill_explained">账单已解释' in page
            assert 'value="lunch"' not in page  # deactivated: no longer offered
            tab = await open_tab(agent, r.base.replace("http", "ws") + "/desk/ws")
            await until(lambda: bool(tab.messages), 10, "the desk's snapshot")
            await tab.ask("login")
            coaching = await tab.ask("not_ready", reason="coaching")
            assert coaching["type"] == "result", coaching
            lunch = await tab.ask("not_ready", reason="lunch")
            assert lunch["type"] == "error" and lunch["code"] == "invalid"
        # Wrap-up codes: the new one is accepted, an unknown one refused.
        crm = r.desk.crm
        assert crm is not None
        assert "bill_explained" in crm.reason_table("disposition")
        assert "lunch" not in crm.reason_table("not_ready")

        def limits(service: str | None) -> dict[str, tuple[float, float]]:
            board = r.desk.board
            found = board.services[service].thresholds if service else board.thresholds
            return {t.metric: (t.warn, t.critical) for t in found or ()}

        await until(lambda: limits("repair").get("waiting") == (1, 2), 20, "repair's limit")
        assert limits("repair")["longest_wait"] == (11, 22)  # the all-services override
        assert limits("billing")["longest_wait"] == (11, 22)
        assert limits("billing")["waiting"] != (1, 2)  # another service keeps its own
        assert limits(None)["longest_wait"] == (11, 22)
