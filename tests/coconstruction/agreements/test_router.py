"""Co-construction agreements: signing, status, projects, 双报告, and who sees them."""

from __future__ import annotations

from typing import Any

from app.core.permissions import Role
from tests.coconstruction.helpers import (
    admin,
    agency_unit,
    community_admin,
    fields,
    get,
    ids,
    patch,
    post,
)
from tests.factories import World


def agreement_body(world: World, community: int = 0, **changes: Any) -> dict[str, Any]:
    return {"unit_id": world.units[0].id, "community_id": world.communities[community].id,
            "title": "法律服务进社区", "resources": ["律师坐班"], "needs": ["矛盾调解"],
            "starts_on": "2026-03-01", "ends_on": "2026-12-31",
            "projects": [{"name": "每周法律咨询", "owner": "李律师", "starts_on": "2026-03-01"}],
            **changes}


class TestCreateAgreement:
    async def test_community_signs_with_a_registered_unit(self, client, auth, world: World):
        r = await client.post("/api/v1/agreements", json=agreement_body(world),
                              headers=auth(community_admin(world)))
        assert r.status_code == 201, r.text
        body = r.json()
        assert (body["status"], body["org_path"]) == ("active", world.communities[0].path)
        assert body["signed_by"] == community_admin(world).id
        [project] = body["projects"]
        assert (project["status"], project["owner"]) == ("planned", "李**")
        assert r.headers["ETag"] == '"1"'

    async def test_unregistered_unit_is_422_naming_unit_id(self, client, auth, world: World):
        agency = await agency_unit(client, auth, world, communities=(1,))
        p = await post(client, auth, community_admin(world), "/agreements",
                       agreement_body(world, unit_id=agency.unit_id), expect=422)
        assert p["code"] == "unit_not_registered" and fields(p) == ["unit_id"]

    async def test_unregistered_in_english(self, client, auth, world: World):
        r = await client.post("/api/v1/agreements",
                              json=agreement_body(world, unit_id=2_000_000_000),
                              headers=auth(community_admin(world), **{"Accept-Language": "en"}))
        assert r.status_code == 422
        assert r.json()["errors"][0]["message"] == \
            "The unit is not registered with this community"

    async def test_missing_unit_answers_like_an_unregistered_one(self, client, auth,
                                                                 world: World):
        p = await post(client, auth, community_admin(world), "/agreements",
                       agreement_body(world, unit_id=2_000_000_000), expect=422)
        assert p["code"] == "unit_not_registered"

    async def test_ends_before_starts_is_422(self, client, auth, world: World):
        p = await post(client, auth, community_admin(world), "/agreements",
                       agreement_body(world, ends_on="2026-01-01"), expect=422)
        assert fields(p) == ["ends_on"]

    async def test_project_dates_are_checked_too(self, client, auth, world: World):
        projects = [{"name": "x", "owner": "y", "starts_on": "2026-05-01",
                     "ends_on": "2026-04-01"}]
        p = await post(client, auth, community_admin(world), "/agreements",
                       agreement_body(world, projects=projects), expect=422)
        assert fields(p) == ["projects.0.ends_on"]

    async def test_other_community_reads_as_missing(self, client, auth, world: World):
        p = await post(client, auth, community_admin(world), "/agreements",
                       agreement_body(world, community=1), expect=422)
        assert fields(p) == ["community_id"]

    async def test_member_may_not_sign(self, client, auth, world: World):
        await post(client, auth, world.user(Role.member, "s1c1"), "/agreements",
                   agreement_body(world), expect=403)

    async def test_blank_resource_is_422(self, client, auth, world: World):
        p = await post(client, auth, community_admin(world), "/agreements",
                       agreement_body(world, resources=["  "]), expect=422)
        assert fields(p) == ["resources.0"]  # the item, by its pattern


class TestListAgreements:
    async def test_community_sees_only_its_own(self, client, auth, world: World):
        got = await ids(client, auth, community_admin(world), "/agreements")
        assert got == [world.agreements[0].id]
        other = await ids(client, auth, community_admin(world, "s1c2"), "/agreements")
        assert other == [world.agreements[1].id]

    async def test_street_sees_its_communities(self, client, auth, world: World):
        got = await ids(client, auth, world.user(Role.street_admin, "s2"), "/agreements")
        assert sorted(got) == sorted(a.id for a in world.agreements[2:])

    async def test_filters(self, client, auth, world: World):
        boss = admin(world)
        got = await ids(client, auth, boss, "/agreements",
                        community_id=world.communities[3].id)
        assert got == [world.agreements[3].id]
        assert await ids(client, auth, boss, "/agreements", status="completed") == []
        assert len(await ids(client, auth, boss, "/agreements",
                             unit_id=world.units[0].id)) == 4

    async def test_grid_worker_sees_none(self, client, auth, world: World):
        assert await ids(client, auth, world.user(Role.grid_worker, "s1c1g1"),
                         "/agreements") == []

    async def test_statements_do_not_grow_with_page_size(self, client, auth, world: World,
                                                         statements):
        counts = []
        for limit in (1, 100):
            with statements:
                page = await get(client, auth, admin(world), "/agreements", limit=limit)
            assert len(page["items"]) == min(limit, 4)
            counts.append(statements.count)
        assert counts[0] == counts[1] == 3  # principal, page, the page's projects


class TestLiaisonView:
    async def _signed(self, client: Any, auth: Any, world: World) -> tuple[Any, list[int]]:
        agency = await agency_unit(client, auth, world, communities=(0, 3))
        made = []
        for c in (0, 3):
            a = await post(client, auth, admin(world), "/agreements",
                           agreement_body(world, community=c, unit_id=agency.unit_id))
            made.append(a["id"])
        return agency, made

    async def test_liaison_sees_their_units_agreements_everywhere(self, client, auth,
                                                                   world: World):
        agency, made = await self._signed(client, auth, world)
        got = await ids(client, auth, agency.liaison, "/agreements",
                        unit_id=agency.unit_id)
        assert sorted(got) == sorted(made)
        # Their other grant (the s1c1 community) still shows s1c1's agreements too.
        everything = await ids(client, auth, agency.liaison, "/agreements")
        assert set(everything) == {*made, world.agreements[0].id}
        await get(client, auth, agency.liaison, f"/agreements/{made[1]}")

    async def test_liaison_reports_for_the_unit_only(self, client, auth, world: World):
        agency, made = await self._signed(client, auth, world)
        url = f"/agreements/{made[1]}/reports"  # s2c1: outside the liaison's community
        report = {"side": "unit", "period": "2026-Q3", "summary": "已派出律师 12 人次"}
        row = await post(client, auth, agency.liaison, url, report)
        assert (row["side"], row["author_id"]) == ("unit", agency.liaison.id)
        p = await post(client, auth, agency.liaison, url, {**report, "side": "community"},
                       expect=403)
        assert p["code"] == "report_side_forbidden"

    async def test_community_reports_for_the_community_only(self, client, auth,
                                                            world: World):
        url = f"/agreements/{world.agreements[0].id}/reports"
        report = {"side": "community", "period": "2026", "summary": "群众满意"}
        await post(client, auth, community_admin(world), url, report)
        p = await post(client, auth, community_admin(world), url, {**report, "side": "unit"},
                       expect=403)
        assert p["code"] == "report_side_forbidden"
        page = await get(client, auth, community_admin(world), url)
        assert [r["side"] for r in page["items"]] == ["community", "community"]

    async def test_liaison_may_report_but_not_edit(self, client, auth, world: World):
        agency, made = await self._signed(client, auth, world)
        await patch(client, auth, agency.liaison, f"/agreements/{made[0]}", {"title": "x"},
                    expect=403)

    async def test_bad_period_is_422(self, client, auth, world: World):
        p = await post(client, auth, community_admin(world),
                       f"/agreements/{world.agreements[0].id}/reports",
                       {"side": "community", "period": "Q3", "summary": "x"}, expect=422)
        assert fields(p) == ["period"]

    async def test_other_community_cannot_see_or_report(self, client, auth, world: World):
        url = f"/agreements/{world.agreements[1].id}"
        await get(client, auth, community_admin(world), url, expect=404)
        await get(client, auth, community_admin(world), f"{url}/reports", expect=404)
        await post(client, auth, community_admin(world), f"{url}/reports",
                   {"side": "community", "period": "2026", "summary": "x"}, expect=404)


class TestAgreementStatus:
    async def test_complete_then_no_way_back(self, client, auth, world: World):
        url = f"/agreements/{world.agreements[0].id}"
        done = await patch(client, auth, community_admin(world), url, {"status": "completed"},
                           **{"If-Match": '"1"'})
        assert (done["status"], done["version"]) == ("completed", 2)
        p = await patch(client, auth, community_admin(world), url, {"status": "active"},
                        expect=409)
        assert p["code"] == "agreement_invalid_transition"
        p = await post(client, auth, community_admin(world), f"{url}/projects",
                       {"name": "晚到的项目", "owner": "张三"}, expect=409)
        assert p["code"] == "agreement_not_active"

    async def test_stale_if_match_is_412(self, client, auth, world: World):
        await patch(client, auth, community_admin(world),
                    f"/agreements/{world.agreements[0].id}", {"title": "新"}, expect=412,
                    **{"If-Match": '"7"'})

    async def test_member_may_read_nothing_and_write_nothing(self, client, auth,
                                                             world: World):
        url = f"/agreements/{world.agreements[0].id}"
        member = world.user(Role.member, "s1c1")
        await get(client, auth, member, url, expect=403)
        await patch(client, auth, member, url, {"title": "x"}, expect=403)

    async def test_end_date_before_start_is_422(self, client, auth, world: World):
        p = await patch(client, auth, community_admin(world),
                        f"/agreements/{world.agreements[0].id}", {"ends_on": "2025-01-01"},
                        expect=422)
        assert fields(p) == ["ends_on"]


class TestProjects:
    async def test_project_steps_forward_only(self, client, auth, world: World):
        base = f"/agreements/{world.agreements[0].id}/projects"
        proj = await post(client, auth, community_admin(world), base,
                          {"name": "助老服务", "owner": "区卫健委志愿队"})
        url = f"{base}/{proj['id']}"
        p = await patch(client, auth, community_admin(world), url, {"status": "done"},
                        expect=409)
        assert p["code"] == "project_invalid_transition"
        step = await patch(client, auth, community_admin(world), url,
                           {"status": "in_progress"}, **{"If-Match": '"1"'})
        assert step["version"] == 2
        await patch(client, auth, community_admin(world), url, {"status": "done"},
                    expect=412, **{"If-Match": '"1"'})
        done = await patch(client, auth, community_admin(world), url, {"status": "done"})
        assert done["status"] == "done"
        detail = await get(client, auth, community_admin(world),
                           f"/agreements/{world.agreements[0].id}")
        assert [x["status"] for x in detail["projects"]] == ["planned", "done"]

    async def test_project_of_another_agreement_is_404(self, client, auth, world: World):
        other = world.agreement_projects[1].id
        p = await patch(client, auth, admin(world),
                        f"/agreements/{world.agreements[0].id}/projects/{other}",
                        {"name": "x"}, expect=404)
        assert p["code"] == "project_not_found"
