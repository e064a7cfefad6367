"""A web node's /cluster/live lists live callers' numbers: it answers only a caller who
holds the node's bearer token, and nobody when no token is configured."""

from __future__ import annotations

from types import SimpleNamespace

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from cti.cluster.node import live_handler

STATE = SimpleNamespace(state=SimpleNamespace(calls={"c1": {"caller": "13800001111"}}, agents={}))


async def _client(token: str) -> TestClient:
    app = web.Application()
    app.router.add_get("/cluster/live", live_handler(STATE, token))
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


async def test_without_the_token_the_callers_stay_hidden() -> None:
    client = await _client("s3cret-token")
    try:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
            resp = await client.get("/cluster/live", headers=headers)
            assert resp.status == 401
            assert "13800001111" not in await resp.text()
        resp = await client.get("/cluster/live", headers={"Authorization": "Bearer s3cret-token"})
        assert resp.status == 200
        assert (await resp.json())["calls"]["c1"]["caller"] == "13800001111"
    finally:
        await client.close()


async def test_no_configured_token_means_nobody_reads_it() -> None:
    client = await _client("")
    try:
        resp = await client.get("/cluster/live", headers={"Authorization": "Bearer "})
        assert resp.status == 401
    finally:
        await client.close()
