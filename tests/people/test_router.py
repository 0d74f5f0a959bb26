"""The people-and-house register: buildings, households, residents (masked, encrypted at rest),
lookup through the blind index, and the audited reveal."""

from __future__ import annotations

import logging
from typing import Any

from limits import parse
from sqlalchemy import select

from app.core.geo import wgs84_to_gcj02
from app.core.permissions import Role
from app.models import AuditEntry, Building, Resident
from app.people.idcard import check_digit
from tests.factories import World, id_number, phone_number

API = "/api/v1"
MASKED_ID = "411***********"


def worker(world: World, key: str = "s1c1g1") -> Any:
    return world.user(Role.grid_worker, key)


def head(world: World, key: str = "s1c1g1") -> Any:
    return world.user(Role.grid_head, key)


def resident_body(world: World, seq: int = 600, grid: int = 0, **changes: Any) -> dict[str, Any]:
    return {"household_id": world.households[grid].id, "name": "李秀英", "gender": "female",
            "id_number": id_number(seq), "phone": phone_number(seq), "ethnicity": "汉族",
            "relation_to_head": "户主", "tags": ["elderly_alone", "low_income"], **changes}


async def post(client: Any, auth: Any, user: Any, path: str, body: dict[str, Any],
               expect: int = 201) -> dict[str, Any]:
    r = await client.post(f"{API}{path}", headers=auth(user), json=body)
    assert r.status_code == expect, r.text
    return dict(r.json())


async def ids(client: Any, auth: Any, user: Any, path: str, **params: Any) -> list[int]:
    r = await client.get(f"{API}{path}", headers=auth(user), params={"limit": 100, **params})
    assert r.status_code == 200, r.text
    return [i["id"] for i in r.json()["items"]]


def field_of(problem: dict[str, Any]) -> list[str]:
    return [e["field"] for e in problem["errors"]]


class TestCreateBuilding:
    async def test_worker_registers_a_building_in_their_grid(self, client, auth, world: World):
        b = await post(client, auth, worker(world), "/buildings",
                       {"grid_id": world.grids[0].id, "name": "3栋", "floors": 6, "units": 2})
        assert (b["grid_id"], b["org_path"]) == (world.grids[0].id, world.grids[0].org_path)
        assert b["community_id"] == world.communities[0].id

    async def test_gcj02_location_is_stored_as_wgs84(self, client, auth, world: World):
        lng, lat = wgs84_to_gcj02(113.805, 34.005)
        b = await post(client, auth, worker(world), "/buildings",
                       {"grid_id": world.grids[0].id, "name": "5栋", "lng": lng, "lat": lat,
                        "crs": "gcj02"})
        assert abs(b["lng"] - 113.805) < 1e-5 and abs(b["lat"] - 34.005) < 1e-5

    async def test_location_answered_in_the_crs_asked(self, client, auth, world: World):
        b = await post(client, auth, worker(world), "/buildings",
                       {"grid_id": world.grids[0].id, "name": "6栋", "lng": 113.805,
                        "lat": 34.005})
        assert b["crs"] == "wgs84"
        want = wgs84_to_gcj02(113.805, 34.005)
        one = await client.get(f"/api/v1/buildings/{b['id']}", params={"crs": "gcj02"},
                               headers=auth(worker(world)))
        page = await client.get("/api/v1/buildings", headers=auth(worker(world)),
                                params={"crs": "gcj02", "grid_id": world.grids[0].id,
                                        "limit": 100})
        [listed] = [x for x in page.json()["items"] if x["id"] == b["id"]]
        for read in (one.json(), listed):
            assert read["crs"] == "gcj02"
            assert abs(read["lng"] - want[0]) < 2e-7 and abs(read["lat"] - want[1]) < 2e-7
        plain = await client.get(f"/api/v1/buildings/{b['id']}", headers=auth(worker(world)))
        assert (plain.json()["lng"], plain.json()["crs"]) == (113.805, "wgs84")

    async def test_other_grid_reads_like_a_missing_one(self, client, auth, world: World):
        p = await post(client, auth, worker(world), "/buildings",
                       {"grid_id": world.grids[1].id, "name": "3栋"}, expect=422)
        assert field_of(p) == ["grid_id"]

    async def test_read_only_role_is_forbidden(self, client, auth, world: World):
        await post(client, auth, world.user(Role.command_operator), "/buildings",
                   {"grid_id": world.grids[0].id, "name": "3栋"}, expect=403)

    async def test_lng_without_lat_is_rejected(self, client, auth, world: World):
        await post(client, auth, worker(world), "/buildings",
                   {"grid_id": world.grids[0].id, "name": "3栋", "lng": 113.8}, expect=422)


class TestCreateHousehold:
    async def test_household_copies_the_buildings_scope(self, client, auth, world: World):
        h = await post(client, auth, worker(world), "/households",
                       {"building_id": world.buildings[0].id, "unit_no": "2单元", "room": "501"})
        assert (h["building_id"], h["grid_id"]) == (world.buildings[0].id, world.grids[0].id)
        assert h["org_path"] == world.grids[0].org_path

    async def test_other_grids_building_is_rejected(self, client, auth, world: World):
        p = await post(client, auth, worker(world), "/households",
                       {"building_id": world.buildings[1].id, "room": "501"}, expect=422)
        assert field_of(p) == ["building_id"]


class TestCreateResident:
    async def test_response_is_masked(self, client, auth, world: World):
        r = await post(client, auth, worker(world), "/residents", resident_body(world))
        assert r["name"] == "李**"
        assert r["id_number"] == MASKED_ID + id_number(600)[-4:]
        assert r["phone"] == "138****0600"
        assert [t["label"] for t in r["tags"]] == ["独居老人", "低保户"]
        assert r["age"] >= 70 and r["org_path"] == world.grids[0].org_path

    async def test_bad_checksum_names_id_number(self, client, auth, world: World):
        good = id_number(601)
        bad = good[:17] + ("0" if good[17] != "0" else "1")
        p = await post(client, auth, worker(world), "/residents",
                       resident_body(world, id_number=bad), expect=422)
        assert field_of(p) == ["id_number"]
        assert bad not in str(p)  # the problem never echoes the number

    async def test_impossible_birth_date_names_id_number(self, client, auth, world: World):
        first17 = "41102319501301001"  # month 13
        p = await post(client, auth, worker(world), "/residents",
                       resident_body(world, id_number=first17 + check_digit(first17)),
                       expect=422)
        assert field_of(p) == ["id_number"]

    async def test_unknown_region_names_id_number(self, client, auth, world: World):
        first17 = "00102319500101001"
        p = await post(client, auth, worker(world), "/residents",
                       resident_body(world, id_number=first17 + check_digit(first17)),
                       expect=422)
        assert field_of(p) == ["id_number"]

    async def test_bad_phone_names_phone(self, client, auth, world: World):
        p = await post(client, auth, worker(world), "/residents",
                       resident_body(world, phone="12345678901"), expect=422)
        assert field_of(p) == ["phone"]

    async def test_unknown_tag_is_rejected(self, client, auth, world: World):
        p = await post(client, auth, worker(world), "/residents",
                       resident_body(world, tags=["vip"]), expect=422)
        assert field_of(p) == ["tags.0"]

    async def test_duplicate_id_number_anywhere_in_the_district_is_409(self, client, auth,
                                                                        world: World):
        # The same person already registered in another street's grid.
        p = await post(client, auth, worker(world), "/residents",
                       resident_body(world, id_number=id_number(7)), expect=409)
        assert p["code"] == "resident_exists"

    async def test_lowercase_x_is_the_same_person(self, client, auth, world: World):
        number = next(id_number(s) for s in range(700, 800) if id_number(s).endswith("X"))
        await post(client, auth, worker(world), "/residents",
                   resident_body(world, id_number=number))
        await post(client, auth, worker(world), "/residents",
                   resident_body(world, id_number=number.lower()), expect=409)

    async def test_numbers_are_encrypted_at_rest(self, client, auth, world: World, db):
        r = await post(client, auth, worker(world), "/residents", resident_body(world, seq=602))
        async with db.writing() as s:
            row = (await s.execute(select(Resident).where(Resident.id == r["id"]))).scalar_one()
        assert id_number(602) not in row.id_number_cipher
        assert phone_number(602) not in (row.phone_cipher or "")
        assert row.id_number_cipher.startswith("d1:")  # key id, then the sealed value
        assert len(row.id_number_index) == 64 and id_number(602) not in row.id_number_index

    async def test_other_grids_household_is_rejected(self, client, auth, world: World):
        p = await post(client, auth, worker(world), "/residents",
                       resident_body(world, grid=1), expect=422)
        assert field_of(p) == ["household_id"]


class TestListResidents:
    async def test_lookup_by_id_number(self, client, auth, world: World):
        admin = world.user(Role.district_admin)
        assert await ids(client, auth, admin, "/residents",
                         id_number=id_number(5)) == [world.residents[5].id]

    async def test_lookup_stays_in_scope(self, client, auth, world: World):
        assert await ids(client, auth, worker(world), "/residents", id_number=id_number(1)) == []

    async def test_by_household(self, client, auth, world: World):
        assert await ids(client, auth, worker(world), "/residents",
                         household_id=world.households[0].id) == [world.residents[0].id]

    async def test_items_are_masked(self, client, auth, world: World):
        r = await client.get(f"{API}/residents", headers=auth(world.user(Role.district_admin)))
        for item in r.json()["items"]:
            assert item["id_number"].startswith(MASKED_ID) and "****" in item["phone"]
            assert item["name"] == "王**"

    async def test_worker_does_not_see_other_grids_residents(self, client, auth, world: World):
        assert await ids(client, auth, worker(world), "/residents") == [world.residents[0].id]

    async def test_statements_do_not_grow_with_page_size(self, client, auth, world: World,
                                                        statements):
        admin = world.user(Role.district_admin)
        counts = []
        for limit in (2, 100):
            with statements:
                r = await client.get(f"{API}/residents", params={"limit": limit},
                                     headers=auth(admin))
            assert r.status_code == 200 and len(r.json()["items"]) == min(limit, 8)
            counts.append(statements.count)
        assert counts[0] == counts[1]


class TestListBuildingsAndHouseholds:
    async def test_worker_does_not_see_other_grids_buildings(self, client, auth, world: World):
        assert await ids(client, auth, worker(world), "/buildings") == [world.buildings[0].id]

    async def test_worker_does_not_see_other_grids_households(self, client, auth, world: World):
        assert await ids(client, auth, worker(world), "/households") == [world.households[0].id]

    async def test_buildings_by_grid(self, client, auth, world: World):
        admin = world.user(Role.district_admin)
        assert await ids(client, auth, admin, "/buildings",
                         grid_id=world.grids[3].id) == [world.buildings[3].id]

    async def test_households_by_building(self, client, auth, world: World):
        admin = world.user(Role.district_admin)
        assert await ids(client, auth, admin, "/households",
                         building_id=world.buildings[2].id) == [world.households[2].id]

    async def test_statements_do_not_grow_with_page_size(self, client, auth, world: World,
                                                        statements):
        admin = world.user(Role.district_admin)
        for path in ("/buildings", "/households"):
            counts = []
            for limit in (2, 100):
                with statements:
                    r = await client.get(f"{API}{path}", params={"limit": limit},
                                         headers=auth(admin))
                assert r.status_code == 200
                counts.append(statements.count)
            assert counts[0] == counts[1], path


class TestGetById:
    async def test_resident_is_masked(self, client, auth, world: World):
        r = await client.get(f"{API}/residents/{world.residents[0].id}", headers=auth(head(world)))
        assert r.status_code == 200 and r.json()["id_number"].startswith(MASKED_ID)

    async def test_other_grids_resident_is_404(self, client, auth, world: World):
        r = await client.get(f"{API}/residents/{world.residents[1].id}",
                             headers=auth(worker(world)))
        assert r.status_code == 404

    async def test_building_and_household(self, client, auth, world: World):
        for path in (f"/buildings/{world.buildings[0].id}",
                     f"/households/{world.households[0].id}"):
            r = await client.get(f"{API}{path}", headers=auth(worker(world)))
            assert r.status_code == 200 and r.json()["org_path"] == world.grids[0].org_path

    async def test_role_without_read_in_scope_is_403(self, client, auth, world: World):
        r = await client.get(f"{API}/buildings/{world.buildings[0].id}",
                             headers=auth(world.user(Role.member, "s1c1")))
        assert r.status_code == 403


async def reveal(client: Any, auth: Any, user: Any, resident_id: int, expect: int = 200,
                 purpose: Any = "走访核实低保资格") -> Any:
    body = {} if purpose is None else {"purpose": purpose}
    r = await client.post(f"{API}/residents/{resident_id}/reveal", headers=auth(user), json=body)
    assert r.status_code == expect, r.text
    return r


class TestReveal:
    async def test_grid_head_sees_full_values(self, client, auth, world: World):
        r = await reveal(client, auth, head(world), world.residents[0].id)
        body = r.json()
        assert (body["name"], body["id_number"], body["phone"]) == (
            "王建国", id_number(0), phone_number(0))
        assert body["birth_date"] == "1950-01-01"
        assert r.headers["cache-control"] == "no-store"

    async def test_community_admin_may_reveal(self, client, auth, world: World):
        await reveal(client, auth, world.user(Role.community_admin, "s1c1"),
                     world.residents[1].id)

    async def test_grid_worker_is_forbidden(self, client, auth, world: World):
        await reveal(client, auth, worker(world), world.residents[0].id, expect=403)

    async def test_outside_scope_is_404(self, client, auth, world: World):
        await reveal(client, auth, head(world), world.residents[1].id, expect=404)

    async def test_purpose_is_required(self, client, auth, world: World):
        await reveal(client, auth, head(world), world.residents[0].id, expect=422, purpose=None)

    async def test_blank_purpose_is_rejected(self, client, auth, world: World):
        await reveal(client, auth, head(world), world.residents[0].id, expect=422, purpose="  ")

    async def test_audit_row_records_who_why_and_where_but_no_values(self, client, auth,
                                                                     world: World, db):
        user = head(world)
        await reveal(client, auth, user, world.residents[0].id)
        async with db.writing() as s:
            entry = (await s.execute(select(AuditEntry).where(
                AuditEntry.action == "resident.reveal").order_by(AuditEntry.id.desc()))
            ).scalars().first()
        assert entry is not None
        assert (entry.actor, entry.object_id) == (f"user:{user.id}", str(world.residents[0].id))
        assert entry.detail == {"purpose": "走访核实低保资格"}
        assert entry.ip and entry.request_id
        row = f"{entry.detail} {entry.object_id} {entry.org_path} {entry.actor}"
        assert id_number(0) not in row and phone_number(0) not in row and "王建国" not in row

    async def test_rate_limited_per_user(self, client, auth, world: World, app):
        limits = app.state.limits
        original = limits.reveal
        limits.reveal = parse("2/hour")
        try:
            user = head(world, "s2c2g2")
            for _ in range(2):
                await reveal(client, auth, user, world.residents[7].id)
            r = await reveal(client, auth, user, world.residents[7].id, expect=429)
            assert r.json()["code"] == "reveal_rate_limited" and r.headers["retry-after"]
            # Another user is not affected.
            await reveal(client, auth, world.user(Role.community_admin, "s2c2"),
                         world.residents[7].id)
        finally:
            limits.reveal = original

    async def test_nothing_unmasked_reaches_the_log(self, client, auth, world: World, caplog):
        # INFO: what runs in production (a driver's DEBUG echo of SQL parameters is an operator's
        # explicit choice, and holds only ciphertext for the numbers).
        with caplog.at_level(logging.INFO):
            await post(client, auth, worker(world), "/residents", resident_body(world, seq=650))
            await post(client, auth, worker(world), "/residents",
                       resident_body(world, seq=651, phone="123"), expect=422)
            await reveal(client, auth, head(world), world.residents[0].id)
        logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
        for secret in (id_number(650), phone_number(650), id_number(651), id_number(0),
                       phone_number(0), "李秀英", "王建国"):
            assert secret not in logged


class TestOrgMove:
    async def test_moving_a_community_carries_the_register(self, client, auth, world: World, db):
        admin = world.user(Role.district_admin)
        community, street = world.communities[0], world.streets[1]
        r = await client.post(f"{API}/orgs/{community.id}/move", headers=auth(admin),
                              json={"new_parent_id": street.id})
        assert r.status_code == 200, r.text
        async with db.writing() as s:
            building = await s.get(Building, world.buildings[0].id)
        assert building is not None and building.org_path.startswith(street.path)
        assert building.street_id == street.id
