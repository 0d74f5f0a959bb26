"""Real concurrency against the real database (no shared test connection): concurrent writers
and retried Idempotency-Keys must never surface as 500s ("database is locked" on SQLite)."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import delete, func, select

from app.core.db import Database
from app.core.permissions import Role
from app.main import create_app
from app.models import AuditEntry, IdempotencyKey, Org
from tests.conftest import IS_PG, make_settings
from tests.factories import World

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
        await conn.execute(
            delete(AuditEntry).where(AuditEntry.object_id.in_([str(i) for i in ids])))
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
