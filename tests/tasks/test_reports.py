"""Weekly progress reports: one per unit, task and ISO week (a second is 409, edits go through
PATCH with If-Match), late after the week ends in Shanghai, only the responsible unit's staff,
evidence through the upload path."""

from __future__ import annotations

from datetime import UTC, datetime

from app.core.types import utcnow
from app.tasks.weeks import Week
from tests.factories import World, png_bytes
from tests.tasks.helpers import (
    API,
    admin,
    call,
    community_admin,
    district_task,
    report,
    responsible_of,
    street_admin,
)


def this_week() -> str:
    return str(Week.at(utcnow()))


async def upload(client, headers) -> int:
    r = await client.post(
        f"{API}/attachments", headers=headers, files={"file": ("p.png", png_bytes(), "image/png")}
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


class TestFile:
    async def test_this_week_is_on_time_and_a_second_is_409(self, client, auth, world: World):
        task = await district_task(client, auth, world)
        s1 = street_admin(world)
        first = await report(client, auth, s1, task, world.streets[0].id, this_week(), 30)
        assert first["late"] is False and first["week"] == this_week()
        again = await report(
            client, auth, s1, task, world.streets[0].id, this_week(), 40, expect=409
        )
        assert again["code"] == "task_report_exists"

    async def test_week_defaults_to_the_current_one(self, client, auth, world: World):
        task = await district_task(client, auth, world)
        body = {
            "responsible_id": responsible_of(task, world.streets[0].id),
            "percent": 5,
            "text": "开始",
        }
        r = await call(
            client,
            auth,
            street_admin(world),
            "POST",
            f"/tasks/{task['id']}/reports",
            expect=201,
            json=body,
        )
        assert r["week"] == this_week()

    async def test_a_past_week_is_late(self, client, auth, world: World):
        task = await district_task(client, auth, world)
        r = await report(
            client, auth, street_admin(world), task, world.streets[0].id, "2026-W40", 20
        )
        assert r["late"] is True and r["week_start"] == "2026-09-28"

    async def test_future_and_impossible_weeks_are_422(self, client, auth, world: World):
        task = await district_task(client, auth, world)
        future = str(Week.at(datetime(2030, 1, 10, tzinfo=UTC)))
        for week in (future, "2026-W54", "2025-W53"):
            r = await report(
                client, auth, street_admin(world), task, world.streets[0].id, week, 20, expect=422
            )
            assert r["errors"][0]["field"] == "week", r

    async def test_percent_over_100_is_422(self, client, auth, world: World):
        task = await district_task(client, auth, world)
        await report(
            client,
            auth,
            street_admin(world),
            task,
            world.streets[0].id,
            this_week(),
            101,
            expect=422,
        )

    async def test_only_the_responsible_units_staff(self, client, auth, world: World):
        task = await district_task(client, auth, world, streets=(0,))
        # The other street neither sees the task nor is named: 404.
        await report(
            client,
            auth,
            street_admin(world, "s2"),
            task,
            world.streets[0].id,
            this_week(),
            10,
            expect=404,
        )
        # The district admin sees it but is not the street's staff: 403.
        r = await report(
            client, auth, admin(world), task, world.streets[0].id, this_week(), 10, expect=403
        )
        assert r["code"] == "task_not_responsible"

    async def test_another_units_responsible_id_is_403(self, client, auth, world: World):
        task = await district_task(client, auth, world)
        r = await report(
            client,
            auth,
            street_admin(world, "s1"),
            task,
            world.streets[1].id,
            this_week(),
            10,
            expect=403,
        )
        assert r["code"] == "task_not_responsible"


class TestEdit:
    async def test_patch_with_if_match(self, client, auth, world: World):
        task = await district_task(client, auth, world)
        s1 = street_admin(world)
        row = await report(client, auth, s1, task, world.streets[0].id, "2026-W40", 20)
        url = f"/tasks/{task['id']}/reports/{row['id']}"
        await call(
            client, auth, s1, "PATCH", url, expect=412, json={"percent": 25}, **{"If-Match": '"7"'}
        )
        edited = await call(
            client,
            auth,
            s1,
            "PATCH",
            url,
            expect=200,
            json={"percent": 25},
            **{"If-Match": f'"{row["version"]}"'},
        )
        assert edited["percent"] == 25 and edited["version"] == row["version"] + 1
        assert edited["late"] is True  # the filing time decides; an edit does not clear it

    async def test_list_by_week(self, client, auth, world: World):
        task = await district_task(client, auth, world)
        await report(
            client, auth, street_admin(world, "s1"), task, world.streets[0].id, "2026-W40", 20
        )
        await report(
            client, auth, street_admin(world, "s2"), task, world.streets[1].id, "2026-W41", 20
        )
        page = await call(
            client,
            auth,
            street_admin(world, "s1"),
            "GET",
            f"/tasks/{task['id']}/reports",
            expect=200,
            params={"week": "2026-W41"},
        )
        assert [r["week"] for r in page["items"]] == ["2026-W41"]
        await call(
            client,
            auth,
            street_admin(world),
            "GET",
            f"/tasks/{task['id']}/reports",
            expect=422,
            params={"week": "soon"},
        )


class TestEvidence:
    async def test_own_upload_is_bound_and_served(self, client, auth, world: World):
        task = await district_task(client, auth, world)
        s1 = street_admin(world)
        att = await upload(client, auth(s1))
        body = {
            "responsible_id": responsible_of(task, world.streets[0].id),
            "percent": 10,
            "text": "现场照片",
            "attachment_ids": [att],
        }
        row = await call(
            client, auth, s1, "POST", f"/tasks/{task['id']}/reports", expect=201, json=body
        )
        assert row["attachment_ids"] == [att]
        url = f"{API}/tasks/{task['id']}/reports/{row['id']}/attachments/{att}"
        r = await client.get(url, headers=auth(admin(world)))
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/")

    async def test_someone_elses_upload_is_422(self, client, auth, world: World):
        task = await district_task(client, auth, world)
        att = await upload(client, auth(community_admin(world)))
        body = {
            "responsible_id": responsible_of(task, world.streets[0].id),
            "percent": 10,
            "text": "x",
            "attachment_ids": [att],
        }
        r = await call(
            client,
            auth,
            street_admin(world),
            "POST",
            f"/tasks/{task['id']}/reports",
            expect=422,
            json=body,
        )
        assert r["errors"][0]["field"] == "attachment_ids"
