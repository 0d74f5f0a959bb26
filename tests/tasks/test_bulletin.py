"""The weekly bulletin: who reported, who did not, what is overdue, the week's changes; the
.xlsx copy; a published bulletin is frozen (a later edit of a report does not change it) and
tells the responsible units' staff; a constant number of statements however much data."""

from __future__ import annotations

import io

import httpx
from openpyxl import load_workbook
from sqlalchemy import select

from app.main import create_app
from app.models import Notification, OutboxEvent, TaskResponsible, User
from app.notify.service import WECHAT_TOPIC
from app.tasks.weeks import Week
from tests.conftest import PRINCIPAL_LOADS, make_settings
from tests.factories import World
from tests.factories_steering import make_report, make_task
from tests.tasks.helpers import (
    API,
    admin,
    call,
    community_admin,
    district_task,
    report,
    street_admin,
)

BULLETIN = "/tasks/bulletin"


async def bulletin(client, auth, user, org_id: int, week: str, expect: int = 200):
    return await call(
        client, auth, user, "GET", BULLETIN, expect=expect, params={"org_id": org_id, "week": week}
    )


def entry(b, task_id: int):
    return next(t for t in b["tasks"] if t["task_id"] == task_id)


class TestLive:
    async def test_reported_missing_and_change(self, client, auth, world: World):
        task = await district_task(client, auth, world, deadline="2026-12-31")
        s1 = street_admin(world, "s1")
        await report(client, auth, s1, task, world.streets[0].id, "2026-W40", 30)
        await report(client, auth, s1, task, world.streets[0].id, "2026-W42", 55)
        b = await bulletin(client, auth, admin(world), world.root.id, "2026-W42")
        e = entry(b, task["id"])
        [done] = e["reported"]
        assert (done["percent"], done["previous_percent"], done["change"]) == (55, 30, 25)
        assert [m["name"] for m in e["missing"]] == [world.streets[1].name]
        assert e["overdue"] is False
        assert (b["week_start"], b["week_end"]) == ("2026-10-12", "2026-10-18")

    async def test_overdue_when_the_deadline_passed_by_sunday(self, client, auth, world: World):
        task = await district_task(client, auth, world, deadline="2026-10-14")
        before = await bulletin(client, auth, admin(world), world.root.id, "2026-W41")
        after = await bulletin(client, auth, admin(world), world.root.id, "2026-W42")
        assert entry(before, task["id"])["overdue"] is False
        assert entry(after, task["id"])["overdue"] is True
        assert after["totals"]["overdue"] >= 1

    async def test_new_year_week_53(self, client, auth, world: World, db):
        # Filed in advance through the factories: the API refuses weeks not yet begun.
        week = Week.parse("2026-W53")
        async with db.writing() as s:
            task, named = await make_task(s, world.root, responsible=world.streets[0])
            await make_report(s, task, named, week=str(week), week_start=week.monday, percent=90)
            task_id = task.id
        b = await bulletin(client, auth, admin(world), world.root.id, "2026-W53")
        assert (b["week_start"], b["week_end"]) == ("2026-12-28", "2027-01-03")
        assert entry(b, task_id)["reported"][0]["percent"] == 90
        # 2027-W01's bulletin is of the 2027 lists: the 2026 task is not in it.
        nxt = await bulletin(client, auth, admin(world), world.root.id, "2027-W01")
        assert task_id not in [t["task_id"] for t in nxt["tasks"]]

    async def test_community_sees_its_own_list_only(self, client, auth, world: World):
        b = await bulletin(
            client, auth, community_admin(world, "s1c1"), world.communities[0].id, "2026-W48"
        )
        assert [t["task_id"] for t in b["tasks"]] == [world.tasks[0].id]
        assert b["totals"]["reported"] == 1

    async def test_node_outside_scope_is_422_and_bad_week_too(self, client, auth, world: World):
        s1 = street_admin(world, "s1")
        await bulletin(client, auth, s1, world.streets[1].id, "2026-W48", expect=422)
        await bulletin(client, auth, s1, world.streets[0].id, "2026-W60", expect=422)

    async def test_xlsx(self, client, auth, world: World):
        task = await district_task(client, auth, world, content="老旧小区改造")
        await report(client, auth, street_admin(world), task, world.streets[0].id, "2026-W42", 40)
        r = await client.get(
            f"{API}/tasks/bulletin.xlsx",
            headers=auth(admin(world)),
            params={"org_id": world.root.id, "week": "2026-W42"},
        )
        assert r.status_code == 200, r.text
        rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
        mine = [row for row in rows if row[1] == "老旧小区改造"]
        assert {row[5] for row in mine} == {world.streets[0].name, world.streets[1].name}
        assert any(row[6] == "是" and row[7] == 40 for row in mine)


class TestPublish:
    async def test_frozen_against_a_later_edit(self, client, auth, world: World):
        task = await district_task(client, auth, world)
        s1 = street_admin(world)
        row = await report(client, auth, s1, task, world.streets[0].id, "2026-W42", 40)
        published = await call(
            client,
            auth,
            admin(world),
            "POST",
            "/tasks/bulletins",
            expect=201,
            json={"org_id": world.root.id, "week": "2026-W42"},
        )
        await call(
            client,
            auth,
            s1,
            "PATCH",
            f"/tasks/{task['id']}/reports/{row['id']}",
            expect=200,
            json={"percent": 99, "text": "改了"},
        )
        frozen = await call(
            client, auth, admin(world), "GET", f"/tasks/bulletins/{published['id']}", expect=200
        )
        assert entry(frozen["bulletin"], task["id"])["reported"][0]["percent"] == 40
        live = await bulletin(client, auth, admin(world), world.root.id, "2026-W42")
        assert entry(live, task["id"])["reported"][0]["percent"] == 99

    async def test_a_published_bulletin_has_no_way_to_be_edited(
        self, client, auth, world: World
    ):
        published = await call(client, auth, admin(world), "POST", "/tasks/bulletins",
                               expect=201, json={"org_id": world.root.id, "week": "2026-W42"})
        url = f"/api/v1/tasks/bulletins/{published['id']}"
        headers = auth(admin(world))
        for method in ("PUT", "PATCH", "DELETE"):
            r = await client.request(method, url, headers=headers, json={"bulletin": {}})
            assert r.status_code == 405, (method, r.text)
        again = await call(client, auth, admin(world), "GET",
                           f"/tasks/bulletins/{published['id']}", expect=200)
        assert again == published

    async def test_second_publish_is_409(self, client, auth, world: World):
        body = {"org_id": world.root.id, "week": "2026-W42"}
        await call(client, auth, admin(world), "POST", "/tasks/bulletins", expect=201, json=body)
        r = await call(
            client, auth, admin(world), "POST", "/tasks/bulletins", expect=409, json=body
        )
        assert r["code"] == "task_bulletin_published"

    async def test_responsible_staff_get_it_in_their_inbox(self, client, auth, world: World):
        await district_task(client, auth, world, streets=(0,))
        await call(
            client,
            auth,
            admin(world),
            "POST",
            "/tasks/bulletins",
            expect=201,
            json={"org_id": world.root.id, "week": "2026-W42"},
        )
        inbox = await call(
            client, auth, street_admin(world, "s1"), "GET", "/notifications", expect=200
        )
        assert any(n["kind"] == "task_bulletin" for n in inbox["items"])
        other = await call(
            client, auth, street_admin(world, "s2"), "GET", "/notifications", expect=200
        )
        assert not any(n["kind"] == "task_bulletin" for n in other["items"])

    async def _publish_with(self, auth, world: World, db, **wechat: str) -> list[OutboxEvent]:
        """Publishes 2026-W42 under `wechat` settings; the WeChat events and inbox kinds."""
        settings = make_settings(wechat_appid="wxtest", wechat_secret="s" * 32, **wechat)
        s1 = street_admin(world, "s1")
        async with db.writing() as s:
            user = await s.get(User, s1.id)
            assert user is not None
            user.wechat_openid = "o-street"
        app = create_app(settings, db)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            await district_task(c, auth, world, streets=(0,))
            await call(
                c,
                auth,
                admin(world),
                "POST",
                "/tasks/bulletins",
                expect=201,
                json={"org_id": world.root.id, "week": "2026-W42"},
            )
        async with db.reading() as s:
            events = list(
                await s.scalars(select(OutboxEvent).where(OutboxEvent.topic == WECHAT_TOPIC))
            )
            kinds = (
                await s.scalars(select(Notification.kind).where(Notification.user_id == s1.id))
            ).all()
        assert "task_bulletin" in kinds  # the inbox either way
        return events

    async def test_wechat_message_on_the_bulletin_template(self, auth, world: World, db):
        events = await self._publish_with(
            auth, world, db, wechat_case_template_id="TPL-CASE",
            wechat_bulletin_template_id="TPL-BULLETIN",
        )
        assert [e.payload["user_id"] for e in events] == [street_admin(world, "s1").id]
        assert events[0].payload["template"] == "bulletin"
        assert events[0].payload["fields"]["week"] == "2026-W42"

    async def test_no_bulletin_template_means_inbox_only(self, auth, world: World, db):
        # The case template is configured, but its fields mean a case: not borrowed.
        events = await self._publish_with(auth, world, db, wechat_case_template_id="TPL-CASE")
        assert events == []

    async def test_published_list_stays_in_scope(self, client, auth, world: World):
        page = await call(
            client, auth, community_admin(world, "s1c1"), "GET", "/tasks/bulletins", expect=200
        )
        assert [b["id"] for b in page["items"]] == [world.bulletins[0].id]


async def grow(db, world: World, tasks: int, weeks: int) -> None:
    """`tasks` district tasks naming both streets, with `weeks` weeks of reports each."""
    async with db.writing() as s:
        root = world.root
        for i in range(tasks):
            task, first = await make_task(
                s, root, seq=100 + i, responsible=world.streets[0], content=f"任务{i}"
            )
            street = world.streets[1]
            s.add(
                TaskResponsible(
                    task_id=task.id, org_id=street.id, staff_org_id=street.id, name=street.name
                )
            )  # never reports: always missing
            for w in range(1, weeks + 1):
                week = Week(2026, w)
                await make_report(
                    s, task, first, week=str(week), week_start=week.monday, percent=min(100, w)
                )


class TestStatements:
    async def test_constant_whatever_the_tasks_and_weeks(
        self, client, auth, world: World, db, statements
    ):
        boss = auth(admin(world))
        params = {"org_id": world.root.id, "week": "2026-W10"}
        await client.get(f"{API}{BULLETIN}", headers=boss, params=params)  # warms the caller
        await grow(db, world, tasks=2, weeks=2)
        with statements:
            small = await client.get(f"{API}{BULLETIN}", headers=boss, params=params)
        few = statements.count
        await grow(db, world, tasks=8, weeks=12)
        with statements:
            big = await client.get(f"{API}{BULLETIN}", headers=boss, params=params)
        assert small.status_code == big.status_code == 200
        assert big.json()["totals"]["tasks"] > small.json()["totals"]["tasks"]
        # principal + org + tasks + responsible units + the week's reports (previous within)
        assert statements.count == few == PRINCIPAL_LOADS + 4
