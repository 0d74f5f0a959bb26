"""Code-scan check-in: the volunteer's phone shows a short-lived signed code, the organiser
posts it to check them in, and a later code to check them out; expired, forged and other
activities' codes are 422; audited."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.core.permissions import Role
from app.core.types import utcnow
from app.models import Activity, AuditEntry
from app.volunteers.activities import codes
from tests.factories import World
from tests.volunteers.helpers import ACTIVITIES, activity_now, set_signup
from tests.volunteers.test_attendance import signed_up

POINTS = "/api/v1/points/statement"


def admin(world: World, key: str = "s1c1") -> Any:
    return world.user(Role.community_admin, key)


async def running(db: Any, world: World) -> Activity:
    return await activity_now(db, world, before=timedelta(minutes=90), after=timedelta(hours=1))


async def code_of(client: Any, auth: Any, user: Any, a: Activity, sid: int) -> str:
    r = await client.get(f"{ACTIVITIES}/{a.id}/signups/{sid}/code", headers=auth(user))
    assert r.status_code == 200, r.text
    return str(r.json()["code"])


@pytest.fixture
async def activity(db: Any, world: World) -> Activity:
    return await running(db, world)


@pytest.fixture
def scan(client: Any, auth: Any, world: World) -> Any:
    """Post a scanned code as the organiser (community s1c1's admin) unless `user` is given."""

    async def post(a: Activity, code: str, user: Any = None, **headers: str) -> Any:
        return await client.post(
            f"{ACTIVITIES}/{a.id}/checkins",
            json={"code": code},
            headers=auth(user or admin(world), **headers),
        )

    return post


class TestCode:
    async def test_volunteer_gets_a_two_minute_code(
        self, client, auth, scan, world: World, db, activity
    ):
        user, sid = await signed_up(db, world, activity)
        r = await client.get(f"{ACTIVITIES}/{activity.id}/signups/{sid}/code", headers=auth(user))
        assert r.status_code == 200
        got = r.json()
        assert got["signup_id"] == sid and len(got["code"]) < 60
        left = datetime.fromisoformat(got["expires_at"]) - utcnow()
        assert timedelta(seconds=100) < left <= timedelta(minutes=2)

    async def test_someone_elses_sign_up_is_403_even_for_the_organiser(
        self, client, auth, world: World, db, activity
    ):
        _, sid = await signed_up(db, world, activity)
        for other in (world.reg_users[0], admin(world)):
            r = await client.get(
                f"{ACTIVITIES}/{activity.id}/signups/{sid}/code", headers=auth(other)
            )
            assert (r.status_code, r.json()["code"]) == (403, "signup_not_owner")


class TestScan:
    async def test_scan_checks_in_then_a_later_code_checks_out(
        self, client, auth, scan, world: World, db, activity
    ):
        user, sid = await signed_up(db, world, activity)
        r = await scan(activity, await code_of(client, auth, user, activity, sid))
        assert r.status_code == 200, r.text
        assert r.json()["checked_in_at"] is not None and r.json()["checked_out_at"] is None
        await set_signup(db, sid, checked_in_at=utcnow() - timedelta(minutes=45))
        r = await scan(activity, await code_of(client, auth, user, activity, sid))
        assert r.status_code == 200, r.text
        assert (r.json()["minutes"], r.json()["points"]) == (45, 7)  # 10 points an hour
        r = await client.get(POINTS, headers=auth(user))
        assert r.json()["balance"] == 7
        async with db.reading() as s:
            rows = (
                await s.execute(
                    select(AuditEntry.action, AuditEntry.detail)
                    .where(
                        AuditEntry.object_type == "activity_signup",
                        AuditEntry.object_id == str(sid),
                    )
                    .order_by(AuditEntry.id)
                )
            ).all()
        assert [(a, d["by"]) for a, d in rows] == [
            ("activity.check_in", "code"),
            ("activity.check_out", "code"),
        ]

    async def test_the_check_in_code_scanned_again_is_409(
        self, client, auth, scan, world: World, db, activity
    ):
        user, sid = await signed_up(db, world, activity)
        code = await code_of(client, auth, user, activity, sid)
        assert (await scan(activity, code)).status_code == 200
        r = await scan(activity, code)
        assert (r.status_code, r.json()["code"]) == (409, "checkin_code_used")

    async def test_expired_code_is_422(
        self, client, auth, scan, world: World, db, activity, settings
    ):
        _, sid = await signed_up(db, world, activity)
        code, _ = codes.issue(settings, activity.id, sid, utcnow() - timedelta(minutes=3))
        r = await scan(activity, code, **{"Accept-Language": "en"})
        assert (r.status_code, r.json()["code"]) == (422, "checkin_code_expired")
        assert r.json()["detail"] == "The check-in code has expired; show a new one"

    async def test_forged_and_malformed_codes_are_422(
        self, client, auth, scan, world: World, db, activity, settings
    ):
        _, sid = await signed_up(db, world, activity)
        code, _ = codes.issue(settings, activity.id, sid, utcnow())
        kid, signup, issued, mac = code.split(".")
        forged = [
            f"{kid}.{signup}.{issued}.{'A' * len(mac)}",
            f"{kid}.{int(signup) + 1}.{issued}.{mac}",
            f"{kid}.{signup}.{int(issued) + 1}.{mac}",
            f"nokey.{signup}.{issued}.{mac}",
            "x",
            "a.b.c.d",
            f"{kid}.-1.{issued}.{mac}",
            f"{kid}.{'9' * 40}.{issued}.{mac}",
        ]
        for bad in forged:
            r = await scan(activity, bad)
            assert (r.status_code, r.json()["code"]) == (422, "checkin_code_invalid"), bad
        r = await scan(activity, "")
        assert r.status_code == 422

    async def test_another_activitys_code_is_422(
        self, client, auth, scan, world: World, db, activity
    ):
        other = await running(db, world)
        user, sid = await signed_up(db, world, other)
        code = await code_of(client, auth, user, other, sid)
        r = await scan(activity, code)
        assert (r.status_code, r.json()["code"]) == (422, "checkin_code_invalid")

    async def test_a_volunteer_cannot_scan(self, client, auth, scan, world: World, db, activity):
        user, sid = await signed_up(db, world, activity)
        code = await code_of(client, auth, user, activity, sid)
        r = await scan(activity, code, user=user)
        assert r.status_code == 403

    async def test_retry_with_the_same_idempotency_key_replays(
        self, client, auth, scan, world: World, db, activity
    ):
        user, sid = await signed_up(db, world, activity)
        code = await code_of(client, auth, user, activity, sid)
        key = {"Idempotency-Key": "scan-1"}
        first = await scan(activity, code, **key)
        again = await scan(activity, code, **key)
        assert (first.status_code, again.status_code) == (200, 200)
        assert first.json() == again.json()
