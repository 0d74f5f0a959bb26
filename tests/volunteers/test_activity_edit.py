"""PATCH /activities/{id}: the organiser edits an open activity under If-Match; more seats go to
the waiting list in order, fewer than the places taken is 409."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.core.permissions import Role
from app.core.types import utcnow
from app.models import AuditEntry, Notification
from tests.factories import World
from tests.volunteers.helpers import ACTIVITIES, activity_now, body, volunteers


def admin(world: World, key: str = "s1c1") -> Any:
    return world.user(Role.community_admin, key)


async def create(client: Any, auth: Any, world: World, **changes: Any) -> dict[str, Any]:
    r = await client.post(ACTIVITIES, headers=auth(admin(world)), json=body(world, **changes))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def patch(
    client: Any,
    auth: Any,
    user: Any,
    activity_id: int,
    json: dict[str, Any],
    version: int | None = None,
) -> Any:
    headers = auth(user, **({"If-Match": f'"{version}"'} if version is not None else {}))
    return await client.patch(f"{ACTIVITIES}/{activity_id}", json=json, headers=headers)


class TestEdit:
    async def test_title_and_rate_change_under_if_match(self, client, auth, world: World, db):
        a = await create(client, auth, world)
        r = await patch(
            client,
            auth,
            admin(world),
            a["id"],
            {"title": "  道德讲堂（第二期） ", "points_per_hour": 20},
            a["version"],
        )
        assert r.status_code == 200, r.text
        got = r.json()
        assert (got["title"], got["points_per_hour"], got["version"]) == (
            "道德讲堂（第二期）",
            20,
            a["version"] + 1,
        )
        assert r.headers["ETag"] == f'"{a["version"] + 1}"'
        async with db.reading() as s:
            detail = (
                await s.execute(
                    select(AuditEntry.detail).where(
                        AuditEntry.action == "activity.update", AuditEntry.object_id == str(a["id"])
                    )
                )
            ).scalar_one()
        assert detail == {"fields": ["points_per_hour", "title"]}

    async def test_stale_if_match_is_412(self, client, auth, world: World):
        a = await create(client, auth, world)
        r = await patch(client, auth, admin(world), a["id"], {"title": "x"}, a["version"] + 5)
        assert r.status_code == 412

    async def test_raised_capacity_promotes_the_waiting_list_in_order(
        self, client, auth, world: World, db
    ):
        a = await create(client, auth, world, capacity=1)
        people = await volunteers(db, world, 3, prefix="cap")
        ids = []
        for p in people:
            r = await client.post(f"{ACTIVITIES}/{a['id']}/signups", headers=auth(p))
            ids.append((r.json()["id"], r.json()["status"]))
        assert [s for _, s in ids] == ["accepted", "waitlisted", "waitlisted"]
        r = await patch(client, auth, admin(world), a["id"], {"capacity": 2})
        assert (r.status_code, r.json()["accepted_count"]) == (200, 2)
        r = await client.get(f"{ACTIVITIES}/{a['id']}/signups", headers=auth(admin(world)))
        assert [s["status"] for s in r.json()["items"]] == ["accepted", "accepted", "waitlisted"]
        async with db.reading() as s:
            told = (
                (
                    await s.execute(
                        select(Notification.user_id).where(Notification.kind == "activity_promoted")
                    )
                )
                .scalars()
                .all()
            )
        assert told == [people[1].id]

    async def test_capacity_below_the_places_taken_is_409(self, client, auth, world: World, db):
        a = await create(client, auth, world, capacity=3)
        for p in await volunteers(db, world, 2, prefix="shrink"):
            await client.post(f"{ACTIVITIES}/{a['id']}/signups", headers=auth(p))
        r = await patch(client, auth, admin(world), a["id"], {"capacity": 1})
        assert (r.status_code, r.json()["code"]) == (409, "activity_capacity_below_accepted")
        r = await patch(client, auth, admin(world), a["id"], {"capacity": 2})
        assert r.status_code == 200

    async def test_new_time_tells_everyone_holding_a_place(self, client, auth, world: World, db):
        a = await create(client, auth, world)
        [p] = await volunteers(db, world, 1, prefix="moved")
        await client.post(f"{ACTIVITIES}/{a['id']}/signups", headers=auth(p))
        starts = utcnow() + timedelta(days=4)
        r = await patch(
            client,
            auth,
            admin(world),
            a["id"],
            {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat()},
        )
        assert r.status_code == 200, r.text
        async with db.reading() as s:
            told = (
                (
                    await s.execute(
                        select(Notification.user_id).where(Notification.kind == "activity_changed")
                    )
                )
                .scalars()
                .all()
            )
        assert told == [p.id]

    async def test_end_before_start_is_422_naming_ends_at(self, client, auth, world: World):
        a = await create(client, auth, world)
        r = await patch(client, auth, admin(world), a["id"], {"ends_at": a["starts_at"]})
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["ends_at"]

    async def test_null_title_and_unknown_field_are_422(self, client, auth, world: World):
        a = await create(client, auth, world)
        for bad in ({"title": None}, {"accepted_count": 0}, {"capacity": 0}, {"lng": 113.8}):
            r = await patch(client, auth, admin(world), a["id"], bad)
            assert r.status_code == 422, bad

    async def test_times_of_a_started_activity_are_409(self, client, auth, world: World, db):
        a = await activity_now(db, world, before=timedelta(minutes=10), after=timedelta(hours=1))
        ends = utcnow() + timedelta(hours=3)
        r = await patch(client, auth, admin(world), a.id, {"ends_at": ends.isoformat()})
        assert (r.status_code, r.json()["code"]) == (409, "activity_started")

    async def test_volunteer_is_403_and_other_community_admin_404(self, client, auth, world: World):
        a = await create(client, auth, world)
        r = await patch(client, auth, world.reg_users[0], a["id"], {"title": "x"})
        assert r.status_code == 403
        r = await patch(client, auth, admin(world, "s1c2"), a["id"], {"title": "x"})
        assert r.status_code == 404

    async def test_cancelled_activity_is_409(self, client, auth, world: World):
        a = await create(client, auth, world)
        await client.post(
            f"{ACTIVITIES}/{a['id']}/cancel", json={"reason": "下雨"}, headers=auth(admin(world))
        )
        r = await patch(client, auth, admin(world), a["id"], {"title": "x"})
        assert (r.status_code, r.json()["code"]) == (409, "activity_closed")
