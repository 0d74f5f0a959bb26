"""双报告: a member's service record (JSON and .xlsx) for the community they are registered with
and for their own unit's liaison, not another unit's; the certificate fields in their order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import select

from app.core.permissions import Role
from app.models import AuditEntry, Member, Org, User
from app.orgs import service as orgs
from app.orgs.schemas import OrgKind
from tests.factories import (
    World,
    give_role,
    make_activity,
    make_case,
    make_reg_member,
    make_registration,
    make_signup,
    make_user,
    post_points,
)

API = "/api/v1"
CERTIFICATE_ORDER = [
    "name",
    "id_type",
    "id_number",
    "volunteer_number",
    "hours",
    "content",
    "issuing_org",
    "person_in_charge",
    "contact",
    "certificate_number",
    "issued_on",
]


@dataclass
class Units:
    member: Member  # of unit A, registered with community 0, with service behind them
    other: Member  # of unit B
    liaison: User  # unit A's liaison
    other_liaison: User


def url(member: Member, xlsx: bool = False) -> str:
    return f"{API}/members/{member.id}/service-record{'.xlsx' if xlsx else ''}"


def shanghai_today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def period() -> dict[str, str]:
    today = shanghai_today()
    return {"from": (today - timedelta(days=30)).isoformat(), "to": today.isoformat()}


async def _unit(s: Any, world: World, name: str, seq: int) -> tuple[Org, Member, User]:
    agency = await orgs.add_node(s, None, world.root, OrgKind.agency, name, None)
    user = await make_user(s, f"svc_member_{seq}", agency)
    member = await make_reg_member(s, agency, seq, user=user, name="孙立新")
    member.work_unit = name
    liaison = await make_user(s, f"svc_liaison_{seq}", agency)
    await give_role(s, liaison, Role.unit_liaison, agency)
    return agency, member, liaison


async def _served(s: Any, world: World, member: Member, user: User) -> None:
    """Registered with community 0; 90 minutes at an activity there 3 days ago; a case."""
    await make_registration(s, member, world.communities[0])
    await give_role(s, user, Role.member, world.communities[0])
    activity = await make_activity(
        s, world.communities[0], title="道德讲堂", starts_in=-timedelta(days=3), hours=2
    )
    signup = await make_signup(s, activity, user)
    signup.checked_in_at, signup.minutes, signup.points = activity.starts_at, 90, 15
    await post_points(s, user, world.communities[0], 15)
    await make_case(s, world.grids[0], user)


async def units(db: Any, world: World) -> Units:
    async with db.writing() as s:
        _, member, liaison = await _unit(s, world, "区财政局", 970)
        _, other, other_liaison = await _unit(s, world, "区教育局", 971)
        user = await s.get(User, member.user_id)
        await _served(s, world, member, user)
        await s.commit()
    return Units(member, other, liaison, other_liaison)


class TestRecord:
    async def test_community_staff_see_activities_totals_and_certificate(
        self, client, auth, world: World, db
    ):
        u = await units(db, world)
        admin = world.user(Role.community_admin, "s1c1")
        r = await client.get(url(u.member), params=period(), headers=auth(admin))
        assert r.status_code == 200, r.text
        got = r.json()
        [item] = got["activities"]
        assert (item["hours"], item["content"], item["organiser"]) == (
            1.5,
            "道德讲堂（培训班）",
            world.communities[0].name,
        )
        assert (
            got["hours_total"],
            got["cases_reported"],
            got["wishes_fulfilled"],
            got["points_earned"],
            got["work_unit"],
        ) == (1.5, 1, 0, 15, "区财政局")
        cert = got["certificate"]
        assert list(cert) == CERTIFICATE_ORDER
        assert cert["name"] == "孙**" and cert["id_number"].startswith("411")
        assert "*" in cert["id_number"]
        assert (cert["issuing_org"], cert["person_in_charge"], cert["hours"]) == (
            world.communities[0].name,
            admin.display_name,
            1.5,
        )
        assert cert["volunteer_number"] == f"V{u.member.user_id:08d}"
        async with db.reading() as s:
            audited = (
                (
                    await s.execute(
                        select(AuditEntry.actor).where(
                            AuditEntry.action == "member.service_record",
                            AuditEntry.object_id == str(u.member.id),
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert audited == [f"user:{admin.id}"]

    async def test_activities_outside_the_period_are_left_out(self, client, auth, world: World, db):
        u = await units(db, world)
        today = shanghai_today()
        r = await client.get(
            url(u.member),
            headers=auth(u.liaison),
            params={"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()},
        )
        assert (r.json()["activities"], r.json()["hours_total"]) == ([], 0)

    async def test_unit_liaison_sees_own_unit_member_only(self, client, auth, world: World, db):
        u = await units(db, world)
        r = await client.get(url(u.member), params=period(), headers=auth(u.liaison))
        assert r.status_code == 200
        r = await client.get(url(u.other), params=period(), headers=auth(u.liaison))
        assert r.status_code == 404
        r = await client.get(url(u.member), params=period(), headers=auth(u.other_liaison))
        assert r.status_code == 404

    async def test_another_communitys_staff_get_404_and_volunteers_403(
        self, client, auth, world: World, db
    ):
        u = await units(db, world)
        r = await client.get(url(u.member), headers=auth(world.user(Role.community_admin, "s1c2")))
        assert r.status_code == 404
        r = await client.get(url(u.member), headers=auth(world.user(Role.volunteer, "s1c1")))
        assert r.status_code == 403

    async def test_from_after_to_is_422(self, client, auth, world: World, db):
        u = await units(db, world)
        r = await client.get(
            url(u.member),
            headers=auth(u.liaison),
            params={"from": "2026-05-02", "to": "2026-05-01"},
        )
        assert r.status_code == 422
        r = await client.get(url(u.member), headers=auth(u.liaison), params={"from": "x"})
        assert r.status_code == 422


class TestWorkbook:
    async def _sheet(self, client: Any, auth: Any, u: Units, **headers: str) -> list[Any]:
        r = await client.get(
            url(u.member, xlsx=True), params=period(), headers=auth(u.liaison, **headers)
        )
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
        ws = load_workbook(BytesIO(r.content)).active
        return [list(row) for row in ws.iter_rows(values_only=True)]

    async def test_chinese_headers_by_default(self, client, auth, world: World, db):
        rows = await self._sheet(client, auth, await units(db, world))
        assert rows[0][0] == "志愿服务记录证明"
        assert [r[0] for r in rows[1:12]] == [
            "姓名",
            "证件类型",
            "证件号码",
            "志愿者编号",
            "服务时长（小时）",
            "服务内容",
            "出具组织",
            "组织负责人",
            "联系方式",
            "证明编号",
            "出具日期",
        ]
        header = rows.index(["日期", "时段", "时长（小时）", "服务内容", "组织方"])
        assert rows[header + 1][2:] == [1.5, "道德讲堂（培训班）", world.communities[0].name]

    async def test_english_with_accept_language(self, client, auth, world: World, db):
        rows = await self._sheet(client, auth, await units(db, world), **{"Accept-Language": "en"})
        assert rows[0][0] == "Volunteer service record"
        assert rows[1][0] == "Name" and rows[10][0] == "Certificate number"
        assert ["Date", "Time span", "Hours", "Content", "Organiser"] in rows
        # Not issued for this period yet: no number, no date (tests/volunteers/test_certificates
        # for the sheet once it is).
        assert (rows[10][1], rows[11][1]) == (None, None)
