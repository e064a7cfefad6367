from __future__ import annotations

from pathlib import Path

import pytest

from crm.cli import admin_main
from crm.db import make_engine
from crm.store import InteractionStore
from crm.uow import UnitOfWork


def test_admin_creates_users_and_loads_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pg_url: str
) -> None:
    for url in (f"sqlite:///{tmp_path / 'demo.db'}", pg_url):
        engine = make_engine(url)
        try:
            if url == pg_url:  # the session database may hold other tests' rows
                from tests.integration.crm.conftest import _truncate_all

                _truncate_all(engine)
            assert (
                admin_main(
                    [
                        "--database",
                        url,
                        "create-user",
                        "boss",
                        "--role",
                        "admin",
                        "--password",
                        "long-password",
                    ]
                )
                == 0
            )
            assert (
                admin_main(
                    [
                        "--database",
                        url,
                        "create-user",
                        "boss",
                        "--role",
                        "admin",
                        "--password",
                        "long-password",
                    ]
                )
                == 2
            )
            assert admin_main(["--database", url, "load-demo"]) == 0
            assert admin_main(["--database", url, "load-demo"]) == 2
            store = InteractionStore(engine)
            card = store.find_customer_by_phone("13800138000")
            assert card is not None and card.name == "张伟"
            [incident] = store.open_incidents_for_caller("+86 138-0013-8000")
            assert incident.areas == ["北京/朝阳区"]
            assert store.open_incidents_for_caller("139 1000 2000") == []  # 海淀区
            with UnitOfWork(engine, write=False) as uow:
                assert uow.users.by_username("boss") is not None
                assert uow.incidents.open_for_area("北京/朝阳区/望京")
                assert uow.knowledge.search("停电") and uow.knowledge.search("router")
        finally:
            engine.dispose()
    assert "demo loaded" in capsys.readouterr().out
