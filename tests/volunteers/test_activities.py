"""志愿活动: post, list (scoped), sign up with a waiting list, cancel a place and promote the next
in line (inbox + WeChat through the outbox), cancel an activity."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.core.geo import wgs84_to_gcj02
from app.core.permissions import Role
from app.core.types import utcnow
from app.main import create_app
from app.models import Activity, AuditEntry, Notification, OutboxEvent, User
from app.notify.service import WECHAT_TOPIC
from tests.conftest import make_settings
from tests.factories import World
from tests.volunteers.helpers import ACTIVITIES, body, volunteers


def admin(world: World, key: str = "s1c1") -> Any:
    return world.user(Role.community_admin, key)


async def create(client: Any, auth: Any, world: World, **changes: Any) -> dict[str, Any]:
    r = await client.post(ACTIVITIES, headers=auth(admin(world)), json=body(world, **changes))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def sign_up(client: Any, auth: Any, user: User, activity_id: int, expect: int = 201
                  ) -> dict[str, Any]:
    r = await client.post(f"{ACTIVITIES}/{activity_id}/signups", headers=auth(user))
    assert r.status_code == expect, r.text
    return dict(r.json())


class TestCreate:
    async def test_admin_posts_an_activity_at_a_gcj02_place(self, client, auth, world: World,
                                                             db):
        wgs = (113.805, 34.005)
        gcj = wgs84_to_gcj02(*wgs)
        a = await create(client, auth, world, lng=gcj[0], lat=gcj[1], crs="gcj02")
        assert (a["status"], a["accepted_count"], a["capacity"]) == ("open", 0, 2)
        assert a["community_id"] == world.communities[0].id
        assert abs(a["lng"] - wgs[0]) < 1e-6 and abs(a["lat"] - wgs[1]) < 1e-6
        async with db.reading() as s:
            audit = (await s.execute(select(AuditEntry.action).where(
                AuditEntry.object_type == "activity",
                AuditEntry.object_id == str(a["id"])))).scalars().all()
        assert audit == ["activity.create"]

    async def test_grid_worker_may_not_organise(self, client, auth, world: World):
        r = await client.post(ACTIVITIES, headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json=body(world, org_id=world.branches[0].id))
        assert r.status_code == 403

    async def test_org_outside_scope_is_422_naming_org_id(self, client, auth, world: World):
        r = await client.post(ACTIVITIES, headers=auth(admin(world)), json=body(world, 1))
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["org_id"]

    async def test_end_before_start_is_422(self, client, auth, world: World):
        b = body(world)
        b["ends_at"] = b["starts_at"]
        r = await client.post(ACTIVITIES, headers=auth(admin(world)), json=b)
        assert r.status_code == 422


class TestList:
    async def test_community_a_member_does_not_see_community_b(self, client, auth,
                                                                world: World):
        mine = await create(client, auth, world)
        r = await client.get(ACTIVITIES, headers=auth(world.reg_users[0]))
        assert r.status_code == 200
        ids = [a["id"] for a in r.json()["items"]]
        assert ids == [mine["id"], world.activities[0].id]  # newest first
        other = await client.get(ACTIVITIES, headers=auth(world.reg_users[1]))
        assert mine["id"] not in [a["id"] for a in other.json()["items"]]
        assert [a["id"] for a in other.json()["items"]] == [world.activities[1].id]

    async def test_other_community_activity_is_404(self, client, auth, world: World):
        r = await client.get(f"{ACTIVITIES}/{world.activities[1].id}",
                             headers=auth(world.reg_users[0]))
        assert r.status_code == 404
        assert r.json()["code"] == "activity_not_found"

    async def test_filters(self, client, auth, world: World):
        await create(client, auth, world)
        r = await client.get(ACTIVITIES, headers=auth(world.user(Role.district_admin)),
                             params={"community_id": world.communities[0].id,
                                     "kind": "lecture"})
        assert [a["title"] for a in r.json()["items"]] == ["道德讲堂"]


class TestSignUp:
    async def test_past_capacity_waits_and_twice_is_409(self, client, auth, world: World, db):
        a = await create(client, auth, world)
        users = await volunteers(db, world, 3)
        statuses = [(await sign_up(client, auth, u, a["id"]))["status"] for u in users]
        assert statuses == ["accepted", "accepted", "waitlisted"]
        p = await sign_up(client, auth, users[0], a["id"], expect=409)
        assert p["code"] == "signup_exists"
        got = (await client.get(f"{ACTIVITIES}/{a['id']}", headers=auth(admin(world)))).json()
        assert got["accepted_count"] == 2

    async def test_outside_scope_is_404(self, client, auth, world: World):
        p = await sign_up(client, auth, world.reg_users[1], world.activities[0].id, expect=404)
        assert p["code"] == "activity_not_found"

    async def test_grid_worker_may_not_sign_up(self, client, auth, world: World):
        user = world.user(Role.grid_worker, "s1c1g1")
        # The activity is organised by the community, above the worker's grid: not visible.
        await sign_up(client, auth, user, world.activities[0].id, expect=404)

    async def test_after_the_deadline_is_409(self, client, auth, world: World):
        soon = utcnow() + timedelta(hours=1)
        a = await create(client, auth, world, signup_deadline=(soon - timedelta(hours=2))
                         .isoformat())
        p = await sign_up(client, auth, world.reg_users[0], a["id"], expect=409)
        assert p["code"] == "signup_closed"

    async def test_cancelled_activity_is_409_and_everyone_is_told(self, client, auth,
                                                                  world: World, db):
        a = await create(client, auth, world)
        users = await volunteers(db, world, 3)
        for u in users:
            await sign_up(client, auth, u, a["id"])
        r = await client.post(f"{ACTIVITIES}/{a['id']}/cancel", headers=auth(admin(world)),
                              json={"reason": "暴雨预警"})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "cancelled"
        p = await sign_up(client, auth, world.reg_users[0], a["id"], expect=409)
        assert p["code"] == "activity_closed"
        async with db.reading() as s:
            told = set((await s.execute(select(Notification.user_id).where(
                Notification.kind == "activity_cancelled"))).scalars())
        assert told == {u.id for u in users}

    async def test_stale_if_match_on_cancel_is_412(self, client, auth, world: World):
        a = await create(client, auth, world)
        r = await client.post(f"{ACTIVITIES}/{a['id']}/cancel",
                              headers=auth(admin(world), **{"If-Match": '"99"'}),
                              json={"reason": "x"})
        assert r.status_code == 412

    async def test_idempotency_key_replays(self, client, auth, world: World):
        a = await create(client, auth, world)
        h = auth(world.reg_users[0], **{"Idempotency-Key": "signup-1"})
        first = await client.post(f"{ACTIVITIES}/{a['id']}/signups", headers=h)
        again = await client.post(f"{ACTIVITIES}/{a['id']}/signups", headers=h)
        assert (first.status_code, again.status_code) == (201, 201)
        assert first.json()["id"] == again.json()["id"]


class TestWithdraw:
    async def test_cancelling_promotes_the_first_in_line_and_tells_them(self, client, auth,
                                                                        world: World, db):
        a = await create(client, auth, world)
        users = await volunteers(db, world, 4)
        signups = [await sign_up(client, auth, u, a["id"]) for u in users]
        r = await client.delete(f"{ACTIVITIES}/{a['id']}/signups/{signups[0]['id']}",
                                headers=auth(users[0]))
        assert r.status_code == 204, r.text
        page = (await client.get(f"{ACTIVITIES}/{a['id']}/signups",
                                 headers=auth(admin(world)))).json()["items"]
        assert [s["status"] for s in page] == ["cancelled", "accepted", "accepted", "waitlisted"]
        assert page[2]["promoted_at"] is not None and page[3]["promoted_at"] is None
        async with db.reading() as s:
            told = (await s.execute(select(Notification.user_id).where(
                Notification.kind == "activity_promoted"))).scalars().all()
        assert told == [users[2].id]
        got = (await client.get(f"{ACTIVITIES}/{a['id']}", headers=auth(admin(world)))).json()
        assert got["accepted_count"] == 2

    async def test_cancelling_a_waitlisted_place_promotes_nobody(self, client, auth,
                                                                  world: World, db):
        a = await create(client, auth, world)
        users = await volunteers(db, world, 4)
        signups = [await sign_up(client, auth, u, a["id"]) for u in users]
        r = await client.delete(f"{ACTIVITIES}/{a['id']}/signups/{signups[2]['id']}",
                                headers=auth(users[2]))
        assert r.status_code == 204
        page = (await client.get(f"{ACTIVITIES}/{a['id']}/signups",
                                 headers=auth(admin(world)))).json()["items"]
        assert [s["status"] for s in page] == ["accepted", "accepted", "cancelled", "waitlisted"]

    async def test_signing_up_again_after_cancelling(self, client, auth, world: World):
        a = await create(client, auth, world)
        user = world.reg_users[0]
        first = await sign_up(client, auth, user, a["id"])
        await client.delete(f"{ACTIVITIES}/{a['id']}/signups/{first['id']}", headers=auth(user))
        again = await sign_up(client, auth, user, a["id"])
        assert again["status"] == "accepted" and again["id"] != first["id"]

    async def test_someone_elses_place_is_403_and_twice_is_409(self, client, auth,
                                                                world: World, db):
        a = await create(client, auth, world)
        u1, u2 = await volunteers(db, world, 2)
        s1 = await sign_up(client, auth, u1, a["id"])
        url = f"{ACTIVITIES}/{a['id']}/signups/{s1['id']}"
        assert (await client.delete(url, headers=auth(u2))).status_code == 403
        assert (await client.delete(url, headers=auth(admin(world)))).status_code == 204
        r = await client.delete(url, headers=auth(u1))
        assert (r.status_code, r.json()["code"]) == (409, "signup_invalid_state")

    async def test_a_volunteer_lists_only_their_own_signups(self, client, auth, world: World,
                                                            db):
        a = await create(client, auth, world)
        u1, u2 = await volunteers(db, world, 2)
        await sign_up(client, auth, u1, a["id"])
        await sign_up(client, auth, u2, a["id"])
        page = (await client.get(f"{ACTIVITIES}/{a['id']}/signups",
                                 headers=auth(u1))).json()["items"]
        assert [s["user_id"] for s in page] == [u1.id]
        assert page[0]["name"].startswith(u1.display_name[0]) and "*" in page[0]["name"]


class TestWechatOnPromotion:
    @pytest.fixture
    async def wx_client(self, db):
        app = create_app(make_settings(wechat_appid="wxtest", wechat_secret="s" * 32,
                                       wechat_case_template_id="TPL-1"), db)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://test") as c:
            yield c

    async def test_the_promoted_volunteer_gets_a_subscription_message(self, wx_client, auth,
                                                                      world: World, db):
        a = await create(wx_client, auth, world, capacity=1)
        u1, u2 = await volunteers(db, world, 2)
        async with db.writing() as s:
            row = await s.get(User, u2.id)
            assert row is not None
            row.wechat_openid = "openid-u2"
            await s.commit()
        s1 = await sign_up(wx_client, auth, u1, a["id"])
        await sign_up(wx_client, auth, u2, a["id"])
        r = await wx_client.delete(f"{ACTIVITIES}/{a['id']}/signups/{s1['id']}",
                                   headers=auth(u1))
        assert r.status_code == 204
        async with db.reading() as s:
            events = (await s.execute(select(OutboxEvent).where(
                OutboxEvent.topic == WECHAT_TOPIC))).scalars().all()
        assert [e.payload["user_id"] for e in events] == [u2.id]
        assert events[0].payload["fields"]["status"] == "候补成功"


async def test_seats_never_exceed_capacity_in_the_table(db, world: World):
    """The CHECK constraint is the last line: a count past capacity cannot be stored."""
    from sqlalchemy.exc import IntegrityError
    async with db.writing() as s:
        row = await s.get(Activity, world.activities[0].id)
        assert row is not None
        row.accepted_count = row.capacity + 1
        with pytest.raises(IntegrityError):
            await s.flush()
        await s.rollback()


class TestNearMe:
    async def test_only_activities_near_the_phone(self, client, auth, world: World):
        here = await create(client, auth, world)  # at the community's first grid
        far = await create(client, auth, world, lng=here["lng"] + 0.1, title="远处的活动")
        lng, lat = wgs84_to_gcj02(here["lng"] + 0.001, here["lat"])
        r = await client.get(ACTIVITIES, headers=auth(world.reg_users[0]),
                             params={"lng": lng, "lat": lat, "crs": "gcj02",
                                     "within_m": 1000})
        assert r.status_code == 200, r.text
        ids = [a["id"] for a in r.json()["items"]]
        assert here["id"] in ids and far["id"] not in ids
        # Scope still applies: community B's activity near the same point stays hidden.
        assert world.activities[1].id not in ids

    async def test_lng_without_lat_is_422(self, client, auth, world: World):
        r = await client.get(ACTIVITIES, headers=auth(world.reg_users[0]),
                             params={"lng": 113.8})
        assert r.status_code == 422

    async def test_upcoming_leaves_out_what_has_ended(self, client, auth, world: World):
        past = utcnow() - timedelta(days=2)
        ended = await create(client, auth, world, starts_at=past.isoformat(),
                             ends_at=(past + timedelta(hours=1)).isoformat())
        r = await client.get(ACTIVITIES, headers=auth(world.reg_users[0]),
                             params={"upcoming": "true"})
        ids = [a["id"] for a in r.json()["items"]]
        assert ended["id"] not in ids and world.activities[0].id in ids

    async def test_statements_do_not_grow_with_page_size(self, client, auth, world: World,
                                                        statements):
        counts = []
        for limit in (1, 100):
            with statements:
                r = await client.get(ACTIVITIES, params={"limit": limit, "lng": 113.85,
                                                         "lat": 34.005, "within_m": 50_000},
                                     headers=auth(world.user(Role.district_admin)))
            assert r.status_code == 200 and len(r.json()["items"]) == min(limit, 4)
            counts.append(statements.count)
        assert counts[0] == counts[1]
