"""Check-in and check-out at the place and in the window; service minutes capped by the
activity's span; the points they earn; organisers' corrections (audited, the difference posted
as a new ledger entry)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.core.geo import wgs84_to_gcj02
from app.core.permissions import Role
from app.core.types import utcnow
from app.models import Activity, AuditEntry, User
from app.volunteers.activities import rules
from tests.factories import World, make_signup, post_points
from tests.volunteers.helpers import ACTIVITIES, activity_now, set_signup, volunteers

PLACE = (113.805, 34.005)
POINTS = "/api/v1/points/statement"


async def signed_up(db: Any, world: World, activity: Activity) -> tuple[User, int]:
    """A fresh volunteer (no points yet) with an accepted place on the activity."""
    (user,) = await volunteers(db, world, 1, prefix="attendee")
    async with db.writing() as s:
        row = await s.get(Activity, activity.id)
        assert row is not None
        signup = await make_signup(s, row, user)
        await s.commit()
    return user, signup.id


def url(activity: Activity, signup_id: int, action: str) -> str:
    return f"{ACTIVITIES}/{activity.id}/signups/{signup_id}/{action}"


class TestRules:
    def test_minutes_are_the_overlap_with_the_span(self):
        t0 = utcnow()
        starts, ends = t0, t0 + timedelta(hours=2)
        assert rules.service_minutes(t0 - timedelta(hours=1), t0 + timedelta(hours=5),
                                     starts, ends) == 120
        assert rules.service_minutes(t0 + timedelta(minutes=30), t0 + timedelta(minutes=75),
                                     starts, ends) == 45
        assert rules.service_minutes(t0 + timedelta(hours=3), t0 + timedelta(hours=4),
                                     starts, ends) == 0

    def test_points_round_down(self):
        assert rules.points_for(150, 10) == 25
        assert rules.points_for(59, 1) == 0


class TestCheckIn:
    async def test_inside_the_radius_with_gcj02(self, client, auth, world: World, db):
        a = await activity_now(db, world, before=timedelta(minutes=10), after=timedelta(hours=1))
        user, sid = await signed_up(db, world, a)
        lng, lat = wgs84_to_gcj02(PLACE[0] + 0.0005, PLACE[1])  # ~46 m east, as WeChat sends
        r = await client.post(url(a, sid, "check-in"), headers=auth(user),
                              json={"lng": lng, "lat": lat, "crs": "gcj02"})
        assert r.status_code == 200, r.text
        assert r.json()["checked_in_at"] is not None
        again = await client.post(url(a, sid, "check-in"), headers=auth(user),
                                  json={"lng": PLACE[0], "lat": PLACE[1]})
        assert again.status_code == 409

    async def test_gcj02_read_as_wgs84_is_out_of_range(self, client, auth, world: World, db):
        """The GCJ-02 offset (~500 m here) is larger than the radius: the conversion matters."""
        a = await activity_now(db, world, before=timedelta(minutes=10), after=timedelta(hours=1))
        user, sid = await signed_up(db, world, a)
        lng, lat = wgs84_to_gcj02(*PLACE)
        r = await client.post(url(a, sid, "check-in"), headers=auth(user),
                              json={"lng": lng, "lat": lat, "crs": "wgs84"})
        assert (r.status_code, r.json()["code"]) == (422, "attendance_out_of_range")

    async def test_before_the_window_is_409(self, client, auth, world: World, db):
        # The world's sign-up: the activity starts two days ahead.
        r = await client.post(url(world.activities[0], world.signups[0].id, "check-in"),
                              headers=auth(world.reg_users[0]),
                              json={"lng": PLACE[0], "lat": PLACE[1]})
        assert (r.status_code, r.json()["code"]) == (409, "attendance_outside_window")

    async def test_someone_else_is_403(self, client, auth, world: World, db):
        a = await activity_now(db, world, before=timedelta(minutes=10), after=timedelta(hours=1))
        _, sid = await signed_up(db, world, a)
        r = await client.post(url(a, sid, "check-in"),
                              headers=auth(world.user(Role.community_admin, "s1c1")),
                              json={"lng": PLACE[0], "lat": PLACE[1]})
        assert (r.status_code, r.json()["code"]) == (403, "signup_not_owner")

    async def test_waitlisted_may_not_check_in(self, client, auth, world: World, db):
        a = await activity_now(db, world, before=timedelta(minutes=10), after=timedelta(hours=1))
        user, sid = await signed_up(db, world, a)
        await set_signup(db, sid, status="waitlisted")
        r = await client.post(url(a, sid, "check-in"), headers=auth(user),
                              json={"lng": PLACE[0], "lat": PLACE[1]})
        assert (r.status_code, r.json()["code"]) == (409, "signup_invalid_state")


class TestCheckOut:
    async def test_hours_capped_by_the_activity_and_points_credited(self, client, auth,
                                                                    world: World, db):
        # 2.5 hours that ended 30 minutes ago; checked in 20 minutes before the start.
        a = await activity_now(db, world, before=timedelta(hours=3),
                               after=-timedelta(minutes=30))
        user, sid = await signed_up(db, world, a)
        await set_signup(db, sid, checked_in_at=a.starts_at - timedelta(minutes=20))
        r = await client.post(url(a, sid, "check-out"), headers=auth(user),
                              json={"lng": PLACE[0], "lat": PLACE[1]})
        assert r.status_code == 200, r.text
        assert (r.json()["minutes"], r.json()["points"]) == (150, 25)
        st = (await client.get(POINTS, headers=auth(user))).json()
        assert st["balance"] == 25
        assert [(i["kind"], i["amount"]) for i in st["items"]] == [("service", 25)]

    async def test_check_out_without_check_in_is_409(self, client, auth, world: World, db):
        a = await activity_now(db, world, before=timedelta(minutes=10), after=timedelta(hours=1))
        user, sid = await signed_up(db, world, a)
        r = await client.post(url(a, sid, "check-out"), headers=auth(user),
                              json={"lng": PLACE[0], "lat": PLACE[1]})
        assert r.status_code == 409

    async def test_too_late_to_check_out(self, client, auth, world: World, db):
        a = await activity_now(db, world, before=timedelta(hours=6), after=-timedelta(hours=3))
        user, sid = await signed_up(db, world, a)
        await set_signup(db, sid, checked_in_at=a.starts_at)
        r = await client.post(url(a, sid, "check-out"), headers=auth(user),
                              json={"lng": PLACE[0], "lat": PLACE[1]})
        assert (r.status_code, r.json()["code"]) == (409, "attendance_outside_window")

    async def test_checked_in_place_cannot_be_cancelled(self, client, auth, world: World, db):
        a = await activity_now(db, world, before=timedelta(minutes=10), after=timedelta(hours=1))
        user, sid = await signed_up(db, world, a)
        await set_signup(db, sid, checked_in_at=utcnow())
        r = await client.delete(f"{ACTIVITIES}/{a.id}/signups/{sid}",
                                headers=auth(user))
        assert r.status_code == 409


class TestCorrection:
    async def _served(self, client, auth, world: World, db) -> tuple[Activity, int, User]:
        a = await activity_now(db, world, before=timedelta(hours=3),
                               after=-timedelta(minutes=30))
        user, sid = await signed_up(db, world, a)
        await set_signup(db, sid, checked_in_at=a.starts_at)
        r = await client.post(url(a, sid, "check-out"), headers=auth(user),
                              json={"lng": PLACE[0], "lat": PLACE[1]})
        assert r.json()["points"] == 25
        return a, sid, user

    async def test_organiser_corrects_down_with_a_reason(self, client, auth, world: World, db):
        a, sid, user = await self._served(client, auth, world, db)
        admin = world.user(Role.community_admin, "s1c1")
        r = await client.post(url(a, sid, "correction"), headers=auth(admin),
                              json={"minutes": 60, "reason": "中途离开"})
        assert r.status_code == 200, r.text
        assert (r.json()["minutes"], r.json()["points"]) == (60, 10)
        assert r.json()["correction_reason"] == "中途离开"
        st = (await client.get(POINTS, headers=auth(user))).json()
        # The first credit stays; the correction is a new posting for the difference.
        assert [(i["kind"], i["amount"]) for i in st["items"]] == [("correction", -15),
                                                                   ("service", 25)]
        assert st["balance"] == 10
        async with db.reading() as s:
            detail = (await s.execute(select(AuditEntry.detail).where(
                AuditEntry.action == "activity.attendance_correct",
                AuditEntry.object_id == str(sid)))).scalar_one()
        assert detail == {"from_minutes": 150, "to_minutes": 60, "reason": "中途离开"}

    async def test_forgotten_check_in_is_recorded_by_the_organiser(self, client, auth,
                                                                   world: World, db):
        a = await activity_now(db, world, before=timedelta(hours=3),
                               after=-timedelta(minutes=30))
        _, sid = await signed_up(db, world, a)
        r = await client.post(url(a, sid, "correction"),
                              headers=auth(world.user(Role.community_admin, "s1c1")),
                              json={"minutes": 90, "reason": "忘记签到，现场确认"})
        assert (r.status_code, r.json()["points"]) == (200, 15)

    async def test_more_than_the_activity_lasted_is_422(self, client, auth, world: World, db):
        a, sid, _ = await self._served(client, auth, world, db)
        r = await client.post(url(a, sid, "correction"),
                              headers=auth(world.user(Role.community_admin, "s1c1")),
                              json={"minutes": 151, "reason": "x"})
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["minutes"]

    async def test_taking_back_points_already_spent_is_409(self, client, auth, world: World,
                                                            db):
        a, sid, user = await self._served(client, auth, world, db)
        async with db.writing() as s:
            await post_points(s, user, world.communities[0], -20, kind="redemption",
                              other=f"market:{world.communities[0].id}")
            await s.commit()
        r = await client.post(url(a, sid, "correction"),
                              headers=auth(world.user(Role.community_admin, "s1c1")),
                              json={"minutes": 0, "reason": "未到场"})
        assert (r.status_code, r.json()["code"]) == (409, "points_insufficient")
        st = (await client.get(POINTS, headers=auth(user))).json()
        assert st["balance"] == 5

    async def test_the_volunteer_may_not_correct_their_own(self, client, auth, world: World,
                                                           db):
        a, sid, user = await self._served(client, auth, world, db)
        r = await client.post(url(a, sid, "correction"), headers=auth(user),
                              json={"minutes": 150, "reason": "x"})
        assert r.status_code == 403
