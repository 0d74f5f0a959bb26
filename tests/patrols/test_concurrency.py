"""Real concurrency against the real database (no shared test connection): two phones starting
a patrol for one worker, and batches of one patrol uploaded at once after a network outage."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import delete, func, select

from app.core.db import Database
from app.core.permissions import Role
from app.main import create_app
from app.models import AuditEntry, Patrol
from app.patrols.track import Fix, distance_m
from tests.conftest import make_settings
from tests.factories import World
from tests.patrols.helpers import PATROLS, ago, grid_index, walk
from tests.realdb import delete_audit

pytestmark = pytest.mark.real_commits
KEY = "s2c2g2"


@pytest.fixture
async def real_client(engine):
    app = create_app(make_settings(), Database(engine))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as c:
        yield c


@pytest.fixture
async def worker(engine, world: World):
    user = world.user(Role.grid_worker, KEY)
    yield user
    keep = [p.id for p in world.patrols]
    async with engine.begin() as conn:
        ids = (await conn.execute(select(Patrol.id).where(
            Patrol.worker_id == user.id, Patrol.id.not_in(keep)))).scalars().all()
        await delete_audit(conn, AuditEntry.object_type == "patrol",
                           AuditEntry.object_id.in_([str(i) for i in ids]))
        await conn.execute(delete(Patrol).where(Patrol.id.in_(ids)))


async def test_concurrent_starts_leave_one_running(real_client, auth, world: World, worker,
                                                   engine):
    body = {"grid_id": world.grids[grid_index(KEY)].id}
    results = await asyncio.gather(*[
        real_client.post(PATROLS, headers=auth(worker), json=body) for _ in range(6)
    ])
    codes = sorted(r.status_code for r in results)
    assert codes == [201] + [409] * 5, [r.text for r in results]
    assert {r.json()["code"] for r in results if r.status_code == 409} == {
        "patrol_already_running"}
    async with engine.connect() as conn:
        running = await conn.scalar(select(func.count()).where(
            Patrol.worker_id == worker.id, Patrol.status == "running"))
    assert running == 1


async def test_batches_uploaded_at_once_all_land(real_client, auth, world: World, worker):
    started = await real_client.post(PATROLS, headers=auth(worker), json={
        "grid_id": world.grids[grid_index(KEY)].id,
        "started_at": ago(minutes=50).isoformat()})
    assert started.status_code == 201, started.text
    url = f"{PATROLS}/{started.json()['id']}/points"
    points = walk(ago(minutes=45), KEY, n=40, step_s=60, step_deg=0.0002)
    batches = [points[i:i + 5] for i in range(0, 40, 5)]
    results = await asyncio.gather(*[
        real_client.post(url, headers=auth(worker), json={"points": b}) for b in batches
    ])
    assert [r.status_code for r in results] == [200] * len(batches), [r.text for r in results]
    final = (await real_client.get(f"{PATROLS}/{started.json()['id']}",
                                   headers=auth(worker))).json()
    assert final["point_count"] == 40
    whole = distance_m([Fix(ago(minutes=45) + timedelta(minutes=i), p["lng"], p["lat"])
                        for i, p in enumerate(points)])
    assert final["distance_m"] == pytest.approx(whole, abs=0.1)
