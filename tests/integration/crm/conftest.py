"""Every CRM database test runs twice: on SQLite (a temp file) and on a real PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from crm.db import create_schema, make_engine
from crm.schema import metadata
from tests.integration.crm.postgres import Cluster, start_cluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_url(pg_cluster: Cluster) -> str:
    admin = make_engine(pg_cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE crm_test"))
    finally:
        admin.dispose()
    url = pg_cluster.url("crm_test")
    engine = make_engine(url)
    try:
        create_schema(engine)
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crm-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        create_schema(engine)
    finally:
        engine.dispose()  # the last close checkpoints the WAL into the main file
    return path


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        path = tmp_path / "crm.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        built = make_engine(f"sqlite:///{path}")
    else:
        built = make_engine(request.getfixturevalue("pg_url"))
        _truncate_all(built)
    try:
        yield built
    finally:
        built.dispose()


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
