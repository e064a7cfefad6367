from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from tests.integration.cluster.redisproc import RedisProcess


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def redis(redis_server: RedisProcess) -> AsyncIterator[Any]:
    client = aioredis.Redis.from_url(redis_server.url, socket_connect_timeout=1.0)
    try:
        yield client
    finally:
        await client.aclose()
