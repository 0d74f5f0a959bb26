"""People and party members end to end on the production session paths: a resident registered,
revealed and exported for a purpose (its audit rows written from the export's own short
write transaction while the GET's read session is open), a party member registered and
reclassified, and a member's 双报到 from application to approval."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.models import AuditEntry
from tests.e2e import flows
from tests.e2e.flows import COMMUNITY_ADMIN, HEAD, WORKER
from tests.e2e.harness import API, Harness
from tests.people.spreadsheets import read_xlsx

PHONE = "13912345678"  # made up; only ever stored encrypted


async def _audits(h: Harness, action: str) -> int:
    count: int = await h.scalar(select(func.count()).select_from(AuditEntry)
                                .where(AuditEntry.action == action))
    return count


async def test_resident_registered_revealed_and_exported(harness: Harness) -> None:
    h, d = harness, await flows.demo(harness)
    building = (await h.call("POST", f"{API}/buildings", WORKER, expect=201, headers=flows.key(),
                             json={"grid_id": d.grid_id, "name": "9栋", "floors": 6})).json()
    household = (await h.call("POST", f"{API}/households", WORKER, expect=201,
                              headers=flows.key(), json={"building_id": building["id"],
                                                         "unit_no": "1单元", "room": "601"})
                 ).json()
    number = flows.id_number(901)
    resident = (await h.call("POST", f"{API}/residents", WORKER, expect=201, headers=flows.key(),
                             json={"household_id": household["id"], "name": "钱多多",
                                   "gender": "male", "id_number": number, "phone": PHONE,
                                   "tags": ["elderly_alone"]})).json()
    assert resident["name"] == "钱**" and number not in resident["id_number"]
    found = (await h.call("GET", f"{API}/residents", WORKER, expect=200,
                          params={"id_number": number})).json()["items"]
    assert [r["id"] for r in found] == [resident["id"]]

    full = (await h.call("POST", f"{API}/residents/{resident['id']}/reveal", HEAD, expect=200,
                         json={"purpose": "核对低保"})).json()
    assert (full["name"], full["id_number"], full["phone"]) == ("钱多多", number, PHONE)
    r = await h.call("GET", f"{API}/residents/export.xlsx", HEAD, expect=200,
                     params={"household_id": household["id"], "purpose": "核对低保"})
    rows = read_xlsx(r.content)
    assert [(row[3], row[5]) for row in rows[1:]] == [("钱多多", number)]
    assert await _audits(h, "resident.reveal") == 1
    assert await _audits(h, "resident.export") == 1


async def test_member_registered_and_reclassified(harness: Harness) -> None:
    h, d = harness, await flows.demo(harness)
    member = (await h.call("POST", f"{API}/members", COMMUNITY_ADMIN, expect=201,
                           headers=flows.key(), json={
                               "name": "孙先锋", "id_number": flows.id_number(902),
                               "phone": PHONE, "org_id": d.branch_id, "status": "full",
                               "category": "regular", "joined_on": "2012-07-01"})).json()
    assert member["name"] == "孙**"
    moved = (await h.call("PATCH", f"{API}/members/{member['id']}", COMMUNITY_ADMIN,
                          expect=200, json={"category": "mobile", "work_unit": "外出务工"},
                          headers=flows.if_match(member))).json()
    assert moved["version"] == member["version"] + 1
    read = (await h.call("GET", f"{API}/members/{member['id']}", flows.INSTRUCTOR,
                         expect=200)).json()
    assert (read["category"], read["work_unit"]) == ("mobile", "外出务工")


async def test_registration_applied_and_approved(harness: Harness) -> None:
    """双报到: a new member account, linked to its member record, registers with 幸福社区; the
    community approves."""
    h, d = harness, await flows.demo(harness)
    password = "E2e-Passw0rd!"
    user = (await h.call("POST", f"{API}/users", COMMUNITY_ADMIN, expect=201, headers=flows.key(),
                         json={"username": "e2e_member", "password": password,
                               "display_name": "周报到", "org_id": d.community_id})).json()
    await h.call("POST", f"{API}/users/{user['id']}/roles", COMMUNITY_ADMIN, expect=201,
                 headers=flows.key(), json={"role": "member", "org_id": d.community_id})
    await h.call("POST", f"{API}/members", COMMUNITY_ADMIN, expect=201, headers=flows.key(),
                 json={"name": "周报到", "id_number": flows.id_number(903, date(1990, 3, 3)),
                       "phone": PHONE, "org_id": d.branch_id, "status": "full",
                       "category": "regular", "joined_on": "2015-07-01", "user_id": user["id"]})
    me = await h.login("e2e_member", password)
    r = await h.client.post(f"{API}/registrations", headers={**me, **flows.key()},
                            json={"community_id": d.community_id, "address": "幸福社区9栋601",
                                  "skills": ["理发"]})
    assert r.status_code == 201, r.text
    reg = r.json()
    assert reg["status"] == "pending"
    approved = (await h.call("POST", f"{API}/registrations/{reg['id']}/approve",
                             COMMUNITY_ADMIN, expect=200, headers=flows.if_match(reg))).json()
    assert approved["status"] == "approved"
    mine = await h.client.get(f"{API}/registrations/mine", headers=me)
    assert mine.status_code == 200, mine.text
    assert [(x["id"], x["status"]) for x in mine.json()["items"]] == [(reg["id"], "approved")]
