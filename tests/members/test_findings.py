"""The member search campaign: findings recorded where members were found, verified or rejected by
the holding branch (only from pending, If-Match honoured), scoped lists, and the per business
district summary with a constant number of statements."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.core.permissions import Role
from app.models import Member
from tests.factories import World, finding_id_number, member_id_number, phone_number
from tests.members.helpers import admin, call, fields, ids, instructor, new_id, worker

FINDINGS = "/member-findings"


def finding_body(world: World, seq: int = 200, **changes: Any) -> dict[str, Any]:
    return {"org_id": world.communities[0].id, "name": "孙丽", "id_number": new_id(seq),
            "phone": phone_number(500 + seq), "category_found": "hidden",
            "work_unit": "老街茶馆", "badge_posted": True, "branch_id": world.branches[0].id,
            "notes": "店主自述 2010 年入党", **changes}


async def business_district(client: Any, auth: Any, world: World, name: str = "老城商圈"
                            ) -> dict[str, Any]:
    r = await call(client, auth, world.user(Role.street_admin, "s1"), "POST", "/orgs", 201,
                   {"parent_id": world.streets[0].id, "kind": "business_district", "name": name})
    return dict(r.json())


async def enterprise(client: Any, auth: Any, world: World, parent_id: int, name: str
                     ) -> dict[str, Any]:
    r = await call(client, auth, world.user(Role.street_admin, "s1"), "POST", "/orgs", 201,
                   {"parent_id": parent_id, "kind": "enterprise", "name": name})
    return dict(r.json())


class TestCreate:
    async def test_pending_and_masked(self, client, auth, world: World):
        r = await call(client, auth, admin(world), "POST", FINDINGS, 201, finding_body(world))
        f = r.json()
        assert (f["status"], f["category_found"], f["badge_posted"]) == ("pending", "hidden", True)
        assert f["name"] == "孙*" and f["id_number"].startswith("411***")
        assert f["phone"] == "138****" + phone_number(700)[-4:]
        assert f["reported_by"] == admin(world).id and r.headers["etag"] == '"1"'

    async def test_in_a_business_district(self, client, auth, world: World):
        bd = await business_district(client, auth, world)
        r = await call(client, auth, world.user(Role.street_admin, "s1"), "POST", FINDINGS, 201,
                       finding_body(world, seq=201, org_id=bd["id"]))
        assert r.json()["org_path"] == bd["path"]

    async def test_grid_branch_is_not_a_place_of_finding(self, client, auth, world: World):
        r = await call(client, auth, admin(world), "POST", FINDINGS, 422,
                       finding_body(world, org_id=world.branches[0].id))
        assert fields(r) == ["org_id"]

    async def test_unknown_branch_names_branch_id(self, client, auth, world: World):
        r = await call(client, auth, admin(world), "POST", FINDINGS, 422,
                       finding_body(world, branch_id=world.branches[3].id))
        assert fields(r) == ["branch_id"]

    async def test_bad_id_names_id_number(self, client, auth, world: World):
        r = await call(client, auth, admin(world), "POST", FINDINGS, 422,
                       finding_body(world, id_number="41102319700101123"))
        assert fields(r) == ["id_number"]

    async def test_numbers_in_notes_are_refused(self, client, auth, world: World):
        r = await call(client, auth, admin(world), "POST", FINDINGS, 422,
                       finding_body(world, notes=f"电话 {phone_number(5)}"))
        assert fields(r) == ["notes"]

    async def test_grid_worker_may_not_record(self, client, auth, world: World):
        # The community is outside the worker's grid: reads as missing.
        r = await call(client, auth, worker(world), "POST", FINDINGS, 422, finding_body(world))
        assert fields(r) == ["org_id"]

    async def test_volunteer_is_403(self, client, auth, world: World):
        await call(client, auth, world.user(Role.volunteer, "s1c1"), "POST", FINDINGS, 403,
                   finding_body(world))


class TestList:
    async def test_community_does_not_see_other_community(self, client, auth, world: World):
        assert await ids(client, auth, admin(world), FINDINGS) == [world.findings[0].id]
        assert await ids(client, auth, admin(world, "s2c1"), FINDINGS) == [world.findings[2].id]

    async def test_holding_branch_sees_it_other_grid_does_not(self, client, auth, world: World):
        # world.findings[0] names s1c1g2's branch as the holder.
        assert await ids(client, auth, instructor(world, "s1c1g2"), FINDINGS) == [
            world.findings[0].id]
        assert await ids(client, auth, instructor(world), FINDINGS) == []
        await call(client, auth, instructor(world), "GET",
                   f"{FINDINGS}/{world.findings[0].id}", 404)

    async def test_filters(self, client, auth, world: World):
        a = admin(world)
        made = (await call(client, auth, a, "POST", FINDINGS, 201,
                           finding_body(world, seq=202, category_found="mobile"))).json()
        assert await ids(client, auth, a, FINDINGS, category_found="mobile") == [made["id"]]
        assert await ids(client, auth, a, FINDINGS, status="pending") == [
            world.findings[0].id, made["id"]]
        assert await ids(client, auth, a, FINDINGS, status="verified") == []
        assert await ids(client, auth, a, FINDINGS, org_id=world.communities[1].id) == []

    async def test_statements_do_not_grow_with_page_size(self, client, auth, world: World,
                                                        statements):
        d = world.user(Role.district_admin)
        counts = []
        for limit in (1, 100):
            with statements:
                r = await call(client, auth, d, "GET", FINDINGS, 200, limit=limit)
            assert len(r.json()["items"]) == min(limit, 4)
            counts.append(statements.count)
        assert counts[0] == counts[1]


class TestVerify:
    async def test_branch_verifies_and_creates_the_member(self, client, auth, world: World, db):
        f = world.findings[0]
        r = await call(client, auth, instructor(world, "s1c1g2"), "POST",
                       f"{FINDINGS}/{f.id}/verify", 200, {}, headers={"If-Match": '"1"'})
        body = r.json()
        assert body["status"] == "verified" and body["member_id"] and body["version"] == 2
        async with db.writing() as s:
            m = (await s.execute(select(Member).where(Member.id == body["member_id"]))
                 ).scalar_one()
        assert (m.org_id, m.category, m.status) == (world.branches[1].id, "pocket", "full")
        assert m.id_number_index == f.id_number_index and m.work_unit == "便民超市"
        got = await call(client, auth, instructor(world, "s1c1g2"), "GET",
                         f"/members/{m.id}", 200)
        assert got.json()["id_number"].endswith(finding_id_number(0)[-4:])

    async def test_existing_member_is_linked_and_reclassified(self, client, auth, world: World):
        # The s1c1g1 member was found as a hidden member with the badge posted.
        a = admin(world)
        made = (await call(client, auth, a, "POST", FINDINGS, 201, finding_body(
            world, seq=0, id_number=member_id_number(0)))).json()
        r = await call(client, auth, instructor(world), "POST",
                       f"{FINDINGS}/{made['id']}/verify", 200, {})
        assert r.json()["member_id"] == world.members[0].id
        m = (await call(client, auth, a, "GET", f"/members/{world.members[0].id}", 200)).json()
        assert (m["category"], m["badge_posted"], m["work_unit"]) == ("hidden", True, "老街茶馆")

    async def test_category_from_the_body(self, client, auth, world: World):
        made = (await call(client, auth, admin(world), "POST", FINDINGS, 201,
                           finding_body(world, seq=203))).json()
        r = await call(client, auth, instructor(world), "POST",
                       f"{FINDINGS}/{made['id']}/verify", 200,
                       {"category": "mobile", "status": "probationary"})
        m = (await call(client, auth, admin(world), "GET", f"/members/{r.json()['member_id']}",
                        200)).json()
        assert (m["category"], m["status"], m["badge_posted"]) == ("mobile", "probationary", True)

    async def test_member_held_outside_the_verifier_is_409(self, client, auth, world: World):
        # The finding names s1c1g1's branch, but the person is s1c1g2's member.
        made = (await call(client, auth, admin(world), "POST", FINDINGS, 201, finding_body(
            world, seq=1, id_number=member_id_number(1)))).json()
        r = await call(client, auth, instructor(world), "POST",
                       f"{FINDINGS}/{made['id']}/verify", 409, {})
        assert r.json()["code"] == "member_held_elsewhere"

    async def test_only_from_pending(self, client, auth, world: World):
        url = f"{FINDINGS}/{world.findings[0].id}"
        who = instructor(world, "s1c1g2")
        await call(client, auth, who, "POST", f"{url}/reject", 200, {"reason": "查无此人"})
        r = await call(client, auth, who, "POST", f"{url}/verify", 409, {})
        assert r.json()["code"] == "finding_not_pending"
        await call(client, auth, who, "POST", f"{url}/reject", 409, {"reason": "查无此人"})

    async def test_stale_if_match_is_412(self, client, auth, world: World):
        await call(client, auth, instructor(world, "s1c1g2"), "POST",
                   f"{FINDINGS}/{world.findings[0].id}/verify", 412, {},
                   headers={"If-Match": '"7"'})

    async def test_reader_without_verify_is_403(self, client, auth, world: World):
        # The s1c1g2 grid worker sees the finding through the branch but may not verify it.
        await call(client, auth, worker(world, "s1c1g2"), "POST",
                   f"{FINDINGS}/{world.findings[0].id}/verify", 403, {})

    async def test_other_community_is_404(self, client, auth, world: World):
        r = await call(client, auth, admin(world), "POST",
                       f"{FINDINGS}/{world.findings[1].id}/verify", 404, {})
        assert r.json()["code"] == "finding_not_found"


class TestReject:
    async def test_reject_with_reason(self, client, auth, world: World):
        r = await call(client, auth, admin(world), "POST",
                       f"{FINDINGS}/{world.findings[0].id}/reject", 200, {"reason": "不是党员"})
        f = r.json()
        assert (f["status"], f["reason"], f["decided_by"]) == ("rejected", "不是党员",
                                                              admin(world).id)

    async def test_reason_required(self, client, auth, world: World):
        r = await call(client, auth, admin(world), "POST",
                       f"{FINDINGS}/{world.findings[0].id}/reject", 422, {"reason": " "})
        assert fields(r) == ["reason"]


class TestSummary:
    async def _campaign(self, client: Any, auth: Any, world: World) -> dict[str, Any]:
        street = world.user(Role.street_admin, "s1")
        bd = await business_district(client, auth, world)
        shop = await enterprise(client, auth, world, bd["id"], "老街茶馆")
        made = []
        for seq, org, cat, badge in ((210, bd, "mobile", True), (211, shop, "hidden", True),
                                     (212, shop, "pocket", False)):
            body = finding_body(world, seq=seq, category_found=cat, badge_posted=badge,
                                org_id=org["id"], branch_id=None)
            made.append((await call(client, auth, street, "POST", FINDINGS, 201, body)).json())
        await call(client, auth, street, "POST", f"{FINDINGS}/{made[0]['id']}/verify", 200, {})
        await call(client, auth, street, "POST", f"{FINDINGS}/{made[2]['id']}/reject", 200,
                   {"reason": "已转出"})
        return bd

    async def test_counts_per_business_district_and_community(self, client, auth,
                                                              world: World):
        bd = await self._campaign(client, auth, world)
        r = await call(client, auth, world.user(Role.street_admin, "s1"), "GET",
                       f"{FINDINGS}/summary", 200, org_id=world.streets[0].id)
        s = r.json()
        [d] = s["business_districts"]
        assert (d["org_id"], d["found"], d["verified"], d["rejected"], d["pending"]) == (
            bd["id"], 3, 1, 1, 1)
        assert d["badges_posted"] == 2
        assert d["by_category"] == {"regular": 0, "mobile": 1, "pocket": 1, "hidden": 1}
        # The world's findings in s1c1 and s1c2, one pending pocket member each.
        assert [(c["org_id"], c["found"], c["pending"]) for c in s["communities"]] == [
            (world.communities[0].id, 1, 1), (world.communities[1].id, 1, 1)]
        assert s["total"]["found"] == 5

    async def test_enterprise_in_a_community_counts_for_the_community(self, client, auth,
                                                                     world: World):
        shop = await enterprise(client, auth, world, world.communities[0].id, "社区超市")
        await call(client, auth, admin(world), "POST", FINDINGS, 201,
                   finding_body(world, seq=230, org_id=shop["id"]))
        s = (await call(client, auth, admin(world), "GET", f"{FINDINGS}/summary", 200,
                        org_id=world.communities[0].id)).json()
        assert [(c["org_id"], c["found"]) for c in s["communities"]] == [
            (world.communities[0].id, 2)]

    async def test_community_admin_sees_own_counts_only(self, client, auth, world: World):
        await self._campaign(client, auth, world)
        s = (await call(client, auth, admin(world), "GET", f"{FINDINGS}/summary", 200)).json()
        assert s["business_districts"] == [] and s["total"]["found"] == 1
        await call(client, auth, admin(world), "GET", f"{FINDINGS}/summary", 404,
                   org_id=world.streets[0].id)

    async def test_statements_constant_in_number_of_districts(self, client, auth, world: World,
                                                             statements):
        street = world.user(Role.street_admin, "s1")
        counts = []
        for n in range(2):
            bd = await business_district(client, auth, world, f"商圈{n}")
            await call(client, auth, street, "POST", FINDINGS, 201, finding_body(
                world, seq=220 + n, org_id=bd["id"], branch_id=None))
            with statements:
                r = await call(client, auth, street, "GET", f"{FINDINGS}/summary", 200,
                               org_id=world.streets[0].id)
            assert len(r.json()["business_districts"]) == n + 1
            counts.append(statements.count)
        assert counts[0] == counts[1]
