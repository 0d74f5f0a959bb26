"""Idempotency-Key on creating POSTs: replay, mismatch, in flight, released on failure."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from app.core.permissions import Role
from app.core.types import utcnow
from app.models import IdempotencyKey, Org
from tests.factories import World

API = "/api/v1"


def _body(world: World, name: str = "幂等街道") -> dict:
    return {"parent_id": world.root.id, "kind": "street", "name": name}


async def _count(db, name: str) -> int:
    async with db.writing() as s:
        return int(await s.scalar(select(func.count()).where(Org.name == name)) or 0)


class TestIdempotency:
    async def test_retry_replays_first_response(self, client, auth, world: World, db):
        h = auth(world.user(Role.district_admin), **{"Idempotency-Key": "k-replay"})
        first = await client.post(f"{API}/orgs", headers=h, json=_body(world))
        second = await client.post(f"{API}/orgs", headers=h, json=_body(world))
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert second.headers["idempotent-replayed"] == "true"
        assert second.headers["etag"] == first.headers["etag"]
        assert await _count(db, "幂等街道") == 1

    async def test_same_key_other_body_is_422(self, client, auth, world: World):
        h = auth(world.user(Role.district_admin), **{"Idempotency-Key": "k-mismatch"})
        await client.post(f"{API}/orgs", headers=h, json=_body(world, "甲"))
        r = await client.post(f"{API}/orgs", headers=h, json=_body(world, "乙"))
        assert r.status_code == 422
        assert r.json()["code"] == "idempotency_key_reused"

    async def test_keys_are_per_caller(self, client, auth, world: World, db):
        key = {"Idempotency-Key": "shared"}
        a = await client.post(f"{API}/orgs", headers=auth(world.user(Role.district_admin), **key),
                              json=_body(world, "丙"))
        b = await client.post(f"{API}/orgs", headers=auth(world.user(Role.street_admin, "s1"),
                                                          **key),
                              json={"parent_id": world.streets[0].id, "kind": "community",
                                    "name": "丙社区"})
        assert a.status_code == b.status_code == 201
        assert a.json()["id"] != b.json()["id"]

    async def test_in_flight_is_409(self, client, auth, world: World, db):
        admin = world.user(Role.district_admin)
        async with db.writing() as s:
            s.add(IdempotencyKey(principal=f"user:{admin.id}", key="k-busy",
                                 endpoint="POST /api/v1/orgs", request_hash="x"))
            await s.commit()
        h = auth(admin, **{"Idempotency-Key": "k-busy"})
        r = await client.post(f"{API}/orgs", headers=h, json=_body(world))
        # The stored hash differs from this body's: a mismatch is reported before in-flight.
        assert r.status_code == 422
        async with db.writing() as s:
            row = (await s.execute(select(IdempotencyKey).where(
                IdempotencyKey.key == "k-busy"))).scalar_one()
            first = await client.post(f"{API}/orgs", headers=auth(admin, **{
                "Idempotency-Key": "k-probe"}), json=_body(world, "丁"))
            assert first.status_code == 201
            probe = (await s.execute(select(IdempotencyKey).where(
                IdempotencyKey.key == "k-probe"))).scalar_one()
            row.request_hash = probe.request_hash
            await s.commit()
        r = await client.post(f"{API}/orgs", headers=h, json=_body(world, "丁"))
        assert r.status_code == 409
        assert r.json()["code"] == "idempotency_in_flight"

    async def test_stale_in_flight_key_is_taken_over(self, client, auth, world: World, db):
        admin = world.user(Role.district_admin)
        h = auth(admin, **{"Idempotency-Key": "k-stale"})
        first = await client.post(f"{API}/orgs", headers=h, json=_body(world, "戊"))
        async with db.writing() as s:
            await s.execute(update(IdempotencyKey).where(IdempotencyKey.key == "k-stale").values(
                state="in_flight", created_at=utcnow() - timedelta(hours=1)))
            await s.commit()
        r = await client.post(f"{API}/orgs", headers=h, json=_body(world, "戊"))
        assert first.status_code == 201 and r.status_code == 201

    async def test_failed_request_releases_key(self, client, auth, world: World, db):
        h = auth(world.user(Role.district_admin), **{"Idempotency-Key": "k-fail"})
        bad = await client.post(f"{API}/orgs", headers=h,
                                json={"parent_id": world.root.id, "kind": "community",
                                      "name": "己"})
        assert bad.status_code == 422
        async with db.writing() as s:
            left = await s.scalar(select(func.count()).where(IdempotencyKey.key == "k-fail"))
        assert left == 0

    async def test_without_key_each_post_creates(self, client, auth, world: World, db):
        h = auth(world.user(Role.district_admin))
        await client.post(f"{API}/orgs", headers=h, json=_body(world, "庚"))
        await client.post(f"{API}/orgs", headers=h, json=_body(world, "庚"))
        assert await _count(db, "庚") == 2
