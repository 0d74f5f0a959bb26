"""Joint meetings: the year's schedule on Asia/Shanghai dates (district quarterly, streets and
communities monthly), move and cancel with a reason, attendees and phone sign-in with a
one-time code, minutes with attachments, resolutions that become key tasks (linked both
ways), scope."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from app.core.permissions import Role
from app.main import create_app
from app.meetings.schedule import periods
from tests.conftest import make_settings
from tests.factories import World, png_bytes
from tests.tasks.helpers import API, admin, call, community_admin, street_admin


async def schedule(client, auth, user, org_id: int, year: int = 2027, **extra):
    return await call(
        client,
        auth,
        user,
        "POST",
        "/meetings/schedule",
        expect=201,
        json={"org_id": org_id, "year": year, **extra},
    )


class TestSchedule:
    def test_dates_skip_weekends(self):
        district = periods("district", 2026)
        assert [p for p, _ in district] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
        # 2026-01-10 is a Saturday: the Monday after.
        assert district[0][1] == date(2026, 1, 12)
        assert all(d.weekday() < 5 for _, d in periods("community", 2026))
        assert len(periods("street", 2026)) == 12 and periods("grid_branch", 2026) == []

    async def test_district_quarterly_street_monthly_and_idempotent(
        self, client, auth, world: World
    ):
        made = await schedule(client, auth, admin(world), world.root.id)
        assert [m["period"] for m in made["items"]] == [f"2027-Q{q}" for q in range(1, 5)]
        monthly = await schedule(client, auth, street_admin(world), world.streets[0].id)
        assert len(monthly["items"]) == 12
        again = await schedule(client, auth, street_admin(world), world.streets[0].id)
        assert again["items"] == []

    async def test_attendees_copied_to_every_meeting(self, client, auth, world: World):
        made = await schedule(
            client,
            auth,
            street_admin(world),
            world.streets[0].id,
            attendees=[
                {"kind": "org", "id": world.communities[0].id},
                {"kind": "unit", "id": world.units[0].id},
                {"kind": "cadre", "id": world.cadres[0].id},
            ],
        )
        kinds = {tuple(a["kind"] for a in m["attendees"]) for m in made["items"]}
        assert kinds == {("org", "unit", "cadre")}

    async def test_grid_branch_holds_no_meetings(self, client, auth, world: World):
        r = await client.post(
            f"{API}/meetings/schedule",
            headers=auth(admin(world)),
            json={"org_id": world.branches[0].id, "year": 2027},
        )
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "org_id"


class TestMoveCancel:
    async def test_move_keeps_the_first_date_then_cancel_then_409(self, client, auth, world: World):
        boss = community_admin(world)
        m = world.meetings[0]
        url = f"/meetings/{m.id}"
        moved = await call(
            client,
            auth,
            boss,
            "POST",
            f"{url}/move",
            expect=200,
            json={"scheduled_on": "2026-12-15", "reason": "与上级会议冲突"},
        )
        assert (moved["scheduled_on"], moved["moved_from"]) == ("2026-12-15", "2026-12-10")
        await call(
            client,
            auth,
            boss,
            "POST",
            f"{url}/cancel",
            expect=412,
            json={"reason": "x"},
            **{"If-Match": '"1"'},
        )
        cancelled = await call(
            client,
            auth,
            boss,
            "POST",
            f"{url}/cancel",
            expect=200,
            json={"reason": "防汛"},
            **{"If-Match": f'"{moved["version"]}"'},
        )
        assert cancelled["status"] == "cancelled" and cancelled["reason"] == "防汛"
        r = await call(
            client,
            auth,
            boss,
            "POST",
            f"{url}/move",
            expect=409,
            json={"scheduled_on": "2026-12-20", "reason": "x"},
        )
        assert r["code"] == "meeting_invalid_transition"

    @pytest.mark.parametrize("day", ["2027-01-04", "2025-12-31"])
    async def test_moving_into_another_year_is_422(self, client, auth, world: World, day):
        m = world.meetings[0]  # 2026's schedule
        r = await call(
            client,
            auth,
            community_admin(world),
            "POST",
            f"/meetings/{m.id}/move",
            expect=422,
            json={"scheduled_on": day, "reason": "跨年顺延"},
            **{"Accept-Language": "en"},
        )
        assert r["errors"][0]["field"] == "scheduled_on"
        assert "schedule's year (2026)" in r["errors"][0]["message"]
        after = await call(client, auth, community_admin(world), "GET", f"/meetings/{m.id}",
                           expect=200)
        assert after["scheduled_on"] == m.scheduled_on.isoformat()

    async def test_reason_is_required(self, client, auth, world: World):
        await call(
            client,
            auth,
            community_admin(world),
            "POST",
            f"/meetings/{world.meetings[0].id}/cancel",
            expect=422,
            json={"reason": " "},
        )


class TestSignIn:
    async def test_attendee_signs_in_with_the_code(self, client, auth, world: World):
        # The street's meeting expects community s1c1: its admin signs in from the phone.
        made = await schedule(
            client,
            auth,
            street_admin(world),
            world.streets[0].id,
            attendees=[{"kind": "org", "id": world.communities[0].id}],
        )
        m = made["items"][0]
        code = await call(
            client,
            auth,
            street_admin(world),
            "POST",
            f"/meetings/{m['id']}/sign-in-code",
            expect=200,
        )
        attendee = community_admin(world, "s1c1")
        wrong = "000000" if code["code"] != "000000" else "111111"
        r = await call(
            client,
            auth,
            attendee,
            "POST",
            f"/meetings/{m['id']}/sign-in",
            expect=403,
            json={"code": wrong},
        )
        assert r["code"] == "meeting_code_invalid"
        signed = await call(
            client,
            auth,
            attendee,
            "POST",
            f"/meetings/{m['id']}/sign-in",
            expect=200,
            json={"code": code["code"]},
        )
        assert signed["signed_in_at"] is not None
        # The attendee reads the meeting though it lies above their community.
        read = await call(client, auth, attendee, "GET", f"/meetings/{m['id']}", expect=200)
        assert read["attendees"][0]["signed_in_at"] is not None
        # Not expected and not in scope: as missing.
        await call(
            client,
            auth,
            community_admin(world, "s2c1"),
            "POST",
            f"/meetings/{m['id']}/sign-in",
            expect=404,
            json={"code": code["code"]},
        )

    async def test_a_member_of_the_attending_community_is_not_an_attendee(
        self, client, auth, world: World
    ):
        made = await schedule(
            client,
            auth,
            street_admin(world),
            world.streets[0].id,
            attendees=[{"kind": "org", "id": world.communities[0].id}],
        )
        m = made["items"][0]
        code = await call(
            client,
            auth,
            street_admin(world),
            "POST",
            f"/meetings/{m['id']}/sign-in-code",
            expect=200,
        )
        await call(
            client,
            auth,
            world.user(Role.member, "s1c1"),
            "POST",
            f"/meetings/{m['id']}/sign-in",
            expect=404,
            json={"code": code["code"]},
        )

    async def test_no_code_open_is_409(self, client, auth, world: World):
        r = await call(
            client,
            auth,
            community_admin(world),
            "POST",
            f"/meetings/{world.meetings[0].id}/sign-in",
            expect=409,
            json={"code": "123456"},
        )
        assert r["code"] == "meeting_sign_in_closed"


class TestMinutesAndResolutions:
    async def test_minutes_with_an_attachment(self, client, auth, world: World):
        boss = community_admin(world)
        r = await client.post(
            f"{API}/attachments",
            headers=auth(boss),
            files={"file": ("m.png", png_bytes(), "image/png")},
        )
        att = r.json()["id"]
        url = f"/meetings/{world.meetings[0].id}"
        held = await call(
            client,
            auth,
            boss,
            "PUT",
            f"{url}/minutes",
            expect=200,
            json={"minutes": "议定三件事", "attachment_ids": [att]},
        )
        assert held["status"] == "held" and att in held["minutes_attachment_ids"]
        r = await client.get(f"{API}{url}/attachments/{att}", headers=auth(admin(world)))
        assert r.status_code == 200

    async def test_resolution_becomes_a_task_linked_both_ways(self, client, auth, world: World):
        boss = community_admin(world)
        m = world.meetings[0]
        task = await call(
            client,
            auth,
            boss,
            "POST",
            f"/meetings/{m.id}/resolutions",
            expect=201,
            json={
                "content": "加装电梯摸底",
                "lead_org_id": world.communities[0].id,
                "deadline": "2027-03-31",
                "responsibles": [{"org_id": world.communities[0].id}],
            },
        )
        assert task["meeting_id"] == m.id and task["org_id"] == world.communities[0].id
        read = await call(client, auth, boss, "GET", f"/meetings/{m.id}", expect=200)
        assert read["resolution_task_ids"] == [task["id"]]
        listed = await call(
            client, auth, boss, "GET", "/tasks", expect=200, params={"meeting_id": m.id}
        )
        assert [t["id"] for t in listed["items"]] == [task["id"]]

    async def test_resolution_needs_an_owner(self, client, auth, world: World):
        await call(
            client,
            auth,
            community_admin(world),
            "POST",
            f"/meetings/{world.meetings[0].id}/resolutions",
            expect=422,
            json={"content": "x", "deadline": "2027-01-31"},
        )


class TestScope:
    async def test_community_lists_its_own_meetings(self, client, auth, world: World):
        page = await call(
            client, auth, community_admin(world, "s1c1"), "GET", "/meetings", expect=200
        )
        assert [m["id"] for m in page["items"]] == [world.meetings[0].id]
        r = await client.get(
            f"{API}/meetings/{world.meetings[1].id}", headers=auth(community_admin(world, "s1c1"))
        )
        assert r.status_code == 404 and r.json()["code"] == "meeting_not_found"

    async def test_auditor_reads_but_may_not_write(self, client, auth, world: World):
        auditor = world.user(Role.auditor)
        await call(client, auth, auditor, "GET", f"/meetings/{world.meetings[0].id}", expect=200)
        await call(
            client,
            auth,
            auditor,
            "POST",
            f"/meetings/{world.meetings[0].id}/cancel",
            expect=403,
            json={"reason": "x"},
        )


async def test_sign_in_codes_cannot_be_guessed_quickly(db, auth, world: World):
    """Six digits valid for hours: past the per-caller limit every further try is 429 with
    Retry-After, the right code included."""
    app = create_app(make_settings(meeting_sign_in_limit="3/minute"), db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as c:
        made = await schedule(c, auth, street_admin(world), world.streets[0].id,
                              attendees=[{"kind": "org", "id": world.communities[0].id}])
        m = made["items"][0]
        code = await call(c, auth, street_admin(world), "POST",
                          f"/meetings/{m['id']}/sign-in-code", expect=200)
        h = auth(community_admin(world, "s1c1"))
        wrong = "000000" if code["code"] != "000000" else "111111"
        codes = [(await c.post(f"{API}/meetings/{m['id']}/sign-in", headers=h,
                               json={"code": wrong})).status_code for _ in range(3)]
        assert codes == [403, 403, 403]
        r = await c.post(f"{API}/meetings/{m['id']}/sign-in", headers=h,
                         json={"code": code["code"]})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert r.json()["code"] == "meeting_sign_in_rate_limited"
