"""Abuse limits on sign-in (password and WeChat), phone binding, reveals, exports and case
reports: counted once across API processes when they share a Redis (two app instances, one
Redis, requests alternating between them), 429 with Retry-After past the limit."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.db import Database
from app.core.permissions import Role
from app.main import create_app
from app.seed.accounts import create_client
from tests.auth.helpers import login, new_user
from tests.cases.helpers import API, body, grid_index
from tests.conftest import make_settings
from tests.factories import World
from tests.open311.helpers import BASE, report_form

LIMITS = {"reveal_limit": "2/hour", "export_limit": "2/hour", "case_create_limit": "2/minute",
          "phone_bind_limit": "2/hour", "wechat_login_limit": "2/minute",
          "login_max_failures": 3}


def _apps(db: Database, redis_url: str | None) -> list[FastAPI]:
    prefix = f"test-abuse-{uuid.uuid4().hex[:8]}"  # one namespace for both instances
    return [create_app(make_settings(redis_url=redis_url, rate_limit_prefix=prefix, **LIMITS),
                       db) for _ in range(2)]


@pytest.fixture
async def pair(db: Database) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Two API instances on one Redis."""
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("REDIS_URL is not set")
    apps = _apps(db, url)
    clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://t")
               for a in apps]
    yield clients
    for c in clients:
        await c.aclose()
    await apps[0].state.limits.storage.reset()


async def _alternating(clients: list[httpx.AsyncClient], n: int, send: Any) -> list[int]:
    """`send(client)` n times, alternating instances; the status codes."""
    return [(await send(clients[i % 2])).status_code for i in range(n)]


def _limited(codes: list[int], allowed: int) -> None:
    assert 429 not in codes[:allowed], codes
    assert codes[allowed:] == [429] * (len(codes) - allowed), codes


class TestSharedThroughRedis:
    async def test_password_lockout(self, pair, db):
        user = await new_user(db)
        codes = await _alternating(pair, 4, lambda c: login(c, user.username, "wrong"))
        assert codes[:2] == [401, 401] and codes[2:] == [429, 429]
        r = await login(pair[1], user.username)  # the right password, on the other instance
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0

    async def test_wechat_login_per_address(self, pair):
        codes = await _alternating(
            pair, 3, lambda c: c.post(f"{API}/auth/wechat", json={"code": "abc"}))
        _limited(codes, 2)  # 503 before: WeChat is not configured in tests, but it counts

    async def test_phone_binding_per_user(self, pair, auth, world: World):
        h = auth(world.user(Role.grid_worker, "s1c1g1"))
        codes = await _alternating(
            pair, 3, lambda c: c.post(f"{API}/auth/wechat/phone", headers=h, json={"code": "x"}))
        _limited(codes, 2)

    async def test_reveal_per_user(self, pair, auth, world: World):
        h = auth(world.user(Role.grid_head, "s1c1g1"))
        codes = await _alternating(pair, 3, lambda c: c.post(
            f"{API}/residents/{world.residents[0].id}/reveal", headers=h,
            json={"purpose": "走访核实"}))
        assert codes[:2] == [200, 200]
        _limited(codes, 2)

    async def test_export_per_user(self, pair, auth, world: World):
        h = auth(world.user(Role.grid_head, "s1c1g1"))
        codes = await _alternating(
            pair, 3, lambda c: c.get(f"{API}/residents/export.xlsx", headers=h))
        assert codes[:2] == [200, 200]
        _limited(codes, 2)

    async def test_case_reports_per_user(self, pair, auth, world: World):
        h = auth(world.user(Role.grid_worker, "s1c1g1"))
        k = grid_index(world, "s1c1g1")
        codes = await _alternating(pair, 3, lambda c: c.post(
            f"{API}/cases", headers=h, json=body(k, description=f"重复 {uuid.uuid4().hex}")))
        assert codes[:2] == [201, 201]
        _limited(codes, 2)

    async def test_open311_reports_per_client(self, pair, db, world: World):
        async with db.writing() as s:
            key = (await create_client(s, name="热线", org_id=world.streets[0].id,
                                       scopes=None))["api_key"]
        codes = await _alternating(pair, 3, lambda c: c.post(
            f"{BASE}/requests.json", params={"api_key": key, **report_form(world)}))
        assert codes[:2] == [200, 200]
        _limited(codes, 2)


async def test_without_redis_each_instance_counts_alone(db, auth, world: World):
    """The control: two instances without Redis allow twice as much between them."""
    apps = _apps(db, None)
    h = auth(world.user(Role.grid_head, "s1c1g1"))
    clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://t")
               for a in apps]
    try:
        codes = await _alternating(clients, 4, lambda c: c.get(
            f"{API}/residents/export.xlsx", headers=h))
    finally:
        for c in clients:
            await c.aclose()
    assert codes == [200] * 4
