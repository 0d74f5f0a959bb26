"""Real concurrency against the real database (no shared test connection): concurrent writers
and retried Idempotency-Keys must never surface as 500s ("database is locked" on SQLite)."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import delete, func, select

from app.core.db import Database
from app.core.idempotency import advisory_key
from app.core.permissions import Role
from app.main import create_app
from app.models import AuditEntry, IdempotencyKey, Org
from tests.conftest import IS_PG, make_settings
from tests.factories import World
from tests.realdb import delete_audit

pytestmark = pytest.mark.real_commits
API = "/api/v1"


@pytest.fixture
async def real_client(engine):
    app = create_app(make_settings(), Database(engine))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as c:
        yield c


@pytest.fixture
async def cleanup(engine):
    tag = f"conc-{uuid.uuid4().hex[:6]}"  # ASCII: it also prefixes Idempotency-Key headers
    yield tag
    async with engine.begin() as conn:
        ids = (await conn.execute(select(Org.id).where(Org.name.like(f"{tag}%")))).scalars().all()
        await delete_audit(conn, AuditEntry.object_id.in_([str(i) for i in ids]))
        await conn.execute(delete(Org).where(Org.id.in_(ids)))
        await conn.execute(delete(IdempotencyKey).where(IdempotencyKey.key.like(f"{tag}%")))


def _body(world: World, name: str) -> dict:
    return {"parent_id": world.root.id, "kind": "agency", "name": name}


async def test_concurrent_writers_all_succeed(real_client, auth, world: World, cleanup):
    h = auth(world.user(Role.district_admin))
    results = await asyncio.gather(*[
        real_client.post(f"{API}/orgs", headers=h, json=_body(world, f"{cleanup}-{i}"))
        for i in range(12)
    ])
    assert [r.status_code for r in results] == [201] * 12


async def test_concurrent_retries_of_one_key_create_once(real_client, auth, world: World,
                                                         cleanup, engine):
    h = auth(world.user(Role.district_admin), **{"Idempotency-Key": f"{cleanup}-k"})
    results = await asyncio.gather(*[
        real_client.post(f"{API}/orgs", headers=h, json=_body(world, f"{cleanup}-once"))
        for _ in range(4)
    ])
    codes = sorted(r.status_code for r in results)
    # SQLite serialises writers, so retries wait and replay; PostgreSQL answers 409 to a retry
    # that arrives while the first is still running.
    assert codes.count(201) >= 1 and set(codes) <= ({201, 409} if IS_PG else {201})
    bodies = {r.text for r in results if r.status_code == 201}
    assert len(bodies) == 1
    async with engine.connect() as conn:
        n = await conn.scalar(select(func.count()).where(Org.name == f"{cleanup}-once"))
    assert n == 1


@pytest.mark.skipif(not IS_PG, reason="SQLite has one writer: a retry waits and replays")
async def test_a_retry_while_the_first_runs_is_409_at_once(real_client, auth, world: World,
                                                           cleanup, engine):
    admin = world.user(Role.district_admin)
    key = f"{cleanup}-held"
    h = auth(admin, **{"Idempotency-Key": key})
    async with engine.connect() as conn:
        # A first request in flight: its transaction holds the key's lock.
        await conn.execute(select(func.pg_advisory_xact_lock(
            advisory_key(f"user:{admin.id}", key))))
        r = await asyncio.wait_for(real_client.post(
            f"{API}/orgs", headers=h, json=_body(world, f"{cleanup}-held")), timeout=10)
        assert r.status_code == 409 and r.json()["code"] == "idempotency_in_flight"
        await conn.rollback()  # the first request failed: its claim is gone with it
    again = await real_client.post(f"{API}/orgs", headers=h, json=_body(world, f"{cleanup}-held"))
    assert again.status_code == 201
