"""Units (区直单位): create, read, list, edit, and their registrations with communities."""

from __future__ import annotations

from sqlalchemy import select

from app.core.permissions import Role
from app.models import AuditEntry, Unit
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

UNIT = {"name": "区司法局", "code": "SFJ", "contact_name": "周明", "contact_phone": "13700001111"}


def unit_body(world: World, **changes: object) -> dict[str, object]:
    return {"org_id": world.root.id, **UNIT, **changes}


class TestCreateUnit:
    async def test_admin_creates_a_unit_masked_and_encrypted(self, client, auth, world: World,
                                                             db):
        r = await client.post("/api/v1/units", json=unit_body(world),
                              headers=auth(admin(world)))
        assert r.status_code == 201, r.text
        body = r.json()
        assert r.headers["ETag"] == '"1"'
        assert (body["contact_name"], body["contact_phone"]) == ("周*", "137****1111")
        assert body["org_path"] == world.root.path
        async with db.writing() as s:
            unit = (await s.execute(select(Unit).where(Unit.id == body["id"]))).scalar_one()
        assert unit.contact_phone_cipher and "13700001111" not in unit.contact_phone_cipher

    async def test_audit_row_names_the_unit_not_the_contact(self, client, auth, world: World,
                                                            db):
        body = await post(client, auth, admin(world), "/units", unit_body(world))
        async with db.writing() as s:
            entry = (await s.execute(select(AuditEntry).where(
                AuditEntry.action == "unit.create",
                AuditEntry.object_id == str(body["id"])))).scalar_one()
        assert "13700001111" not in str(entry.detail) and "周明" not in str(entry.detail)

    async def test_duplicate_code_is_409(self, client, auth, world: World):
        p = await post(client, auth, admin(world), "/units", unit_body(world, code="WJW"),
                       expect=409)
        assert p["code"] == "unit_code_taken"

    async def test_unit_under_a_community_is_422_naming_org_id(self, client, auth,
                                                              world: World):
        p = await post(client, auth, admin(world), "/units",
                       unit_body(world, org_id=world.communities[0].id), expect=422)
        assert fields(p) == ["org_id"]

    async def test_district_node_unseen_by_street_admin_reads_as_missing(self, client, auth,
                                                                        world: World):
        p = await post(client, auth, world.user(Role.street_admin, "s1"), "/units",
                       unit_body(world), expect=422)
        assert fields(p) == ["org_id"]

    async def test_bad_phone_is_422_naming_the_field(self, client, auth, world: World):
        p = await post(client, auth, admin(world), "/units",
                       unit_body(world, contact_phone="12345"), expect=422)
        assert fields(p) == ["contact_phone"]

    async def test_idempotency_key_replays_the_first_answer(self, client, auth, world: World):
        first = await post(client, auth, admin(world), "/units", unit_body(world),
                           **{"Idempotency-Key": "unit-1"})
        again = await post(client, auth, admin(world), "/units", unit_body(world),
                           **{"Idempotency-Key": "unit-1"})
        assert again["id"] == first["id"]


class TestReadUnits:
    async def test_community_staff_do_not_see_district_units(self, client, auth, world: World):
        unit = world.units[0]
        p = await get(client, auth, community_admin(world), f"/units/{unit.id}", expect=404)
        assert p["code"] == "unit_not_found"
        assert await ids(client, auth, community_admin(world), "/units") == []

    async def test_english_problem_detail(self, client, auth, world: World):
        r = await client.get(f"/api/v1/units/{world.units[0].id}",
                             headers=auth(community_admin(world), **{"Accept-Language": "en"}))
        assert r.status_code == 404 and r.json()["detail"] == "Unit not found"

    async def test_admin_reads_the_unit_masked(self, client, auth, world: World):
        body = await get(client, auth, admin(world), f"/units/{world.units[0].id}")
        assert body["contact_phone"] == "138****0700" and body["contact_name"] == "刘**"

    async def test_liaison_sees_only_their_agency_unit(self, client, auth, world: World):
        agency = await agency_unit(client, auth, world)
        assert await ids(client, auth, agency.liaison, "/units") == [agency.unit_id]
        assert world.units[0].id in await ids(client, auth, admin(world), "/units")

    async def test_member_on_the_agency_without_units_read_is_403(self, client, auth,
                                                                  world: World):
        agency = await agency_unit(client, auth, world)
        member = world.user(Role.member, "s1c1")
        await post(client, auth, admin(world), f"/users/{member.id}/roles",
                   {"role": Role.member, "org_id": agency.agency_id})
        await get(client, auth, member, f"/units/{agency.unit_id}", expect=403)

    async def test_list_statements_do_not_grow_with_page_size(self, client, auth,
                                                              world: World, statements):
        for i in range(3):
            await post(client, auth, admin(world), "/units", unit_body(world, code=f"U{i}"))
        counts = []
        for limit in (1, 100):
            with statements:
                page = await get(client, auth, admin(world), "/units", limit=limit)
            assert len(page["items"]) == min(limit, 4)
            counts.append(statements.count)
        assert counts[0] == counts[1]


class TestUpdateUnit:
    async def test_stale_if_match_is_412(self, client, auth, world: World):
        url = f"/units/{world.units[0].id}"
        p = await patch(client, auth, admin(world), url, {"name": "新名"}, expect=412,
                        **{"If-Match": '"99"'})
        assert p["code"] == "version_mismatch"

    async def test_update_bumps_version_and_rewrites_the_phone(self, client, auth,
                                                               world: World):
        url = f"/units/{world.units[0].id}"
        body = await patch(client, auth, admin(world), url,
                           {"name": "区卫生健康委员会", "contact_phone": "13655556666"},
                           **{"If-Match": '"1"'})
        assert (body["version"], body["contact_phone"]) == (2, "136****6666")

    async def test_taking_another_units_code_is_409(self, client, auth, world: World):
        other = await post(client, auth, admin(world), "/units", unit_body(world))
        p = await patch(client, auth, admin(world), f"/units/{other['id']}", {"code": "WJW"},
                        expect=409)
        assert p["code"] == "unit_code_taken"

    async def test_name_cannot_be_cleared(self, client, auth, world: World):
        p = await patch(client, auth, admin(world), f"/units/{world.units[0].id}",
                        {"name": None}, expect=422)
        assert fields(p) == ["name"]


class TestRegistrations:
    async def test_lifecycle_register_conflict_end_reregister(self, client, auth,
                                                              world: World):
        boss = admin(world)
        unit = await post(client, auth, boss, "/units", unit_body(world))
        url = f"/units/{unit['id']}/registrations"
        body = {"community_id": world.communities[1].id}
        reg = await post(client, auth, boss, url, body)
        assert (reg["status"], reg["org_path"]) == ("active", world.communities[1].path)
        assert (await post(client, auth, boss, url, body, expect=409))["code"] == \
            "unit_already_registered"
        ended = await post(client, auth, boss, f"{url}/{reg['id']}/end", {}, expect=200)
        assert ended["status"] == "ended" and ended["ended_at"]
        p = await post(client, auth, boss, f"{url}/{reg['id']}/end", {}, expect=409)
        assert p["code"] == "registration_not_active"
        await post(client, auth, boss, url, body)
        page = await get(client, auth, boss, url)
        assert [r["status"] for r in page["items"]] == ["ended", "active"]
        active = await get(client, auth, boss, url, status="active")
        assert len(active["items"]) == 1

    async def test_registering_with_a_non_community_is_422(self, client, auth, world: World):
        p = await post(client, auth, admin(world),
                       f"/units/{world.units[0].id}/registrations",
                       {"community_id": world.streets[0].id}, expect=422)
        assert fields(p) == ["community_id"]

    async def test_community_admin_cannot_reach_a_district_unit(self, client, auth,
                                                                world: World):
        await post(client, auth, community_admin(world),
                   f"/units/{world.units[0].id}/registrations",
                   {"community_id": world.communities[0].id}, expect=404)

    async def test_community_cannot_list_a_district_units_registrations(self, client, auth,
                                                                         world: World):
        await get(client, auth, community_admin(world),
                  f"/units/{world.units[0].id}/registrations", expect=404)

    async def test_registration_of_another_unit_is_404(self, client, auth, world: World):
        agency = await agency_unit(client, auth, world)
        reg = world.unit_registrations[0].id
        p = await post(client, auth, admin(world),
                       f"/units/{agency.unit_id}/registrations/{reg}/end", {}, expect=404)
        assert p["code"] == "unit_registration_not_found"


class TestCommunityUnits:
    async def test_community_sees_units_registered_with_it_masked(self, client, auth,
                                                                  world: World):
        page = await get(client, auth, community_admin(world),
                         f"/communities/{world.communities[0].id}/units")
        [item] = page["items"]
        assert item["id"] == world.units[0].id
        assert item["registration_id"] == world.unit_registrations[0].id
        assert item["contact_phone"] == "138****0700"

    async def test_other_community_is_404(self, client, auth, world: World):
        await get(client, auth, community_admin(world),
                  f"/communities/{world.communities[1].id}/units", expect=404)

    async def test_member_without_units_read_is_403(self, client, auth, world: World):
        await get(client, auth, world.user(Role.member, "s1c1"),
                  f"/communities/{world.communities[0].id}/units", expect=403)

    async def test_ended_registration_drops_the_unit(self, client, auth, world: World):
        boss = admin(world)
        unit, reg = world.units[0], world.unit_registrations[0]
        await post(client, auth, boss, f"/units/{unit.id}/registrations/{reg.id}/end", {},
                   expect=200)
        page = await get(client, auth, community_admin(world),
                         f"/communities/{world.communities[0].id}/units")
        assert page["items"] == []

    async def test_street_is_not_a_community(self, client, auth, world: World):
        await get(client, auth, admin(world), f"/communities/{world.streets[0].id}/units",
                  expect=404)
