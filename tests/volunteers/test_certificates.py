"""The certificate register: the member's registered community issues a numbered certificate
(who, when, the period and hours it certifies); issuing again for the same member and period
gives the same one; the service record then shows its number; verification by number for the
issuing community and the member's unit liaison, 404 for anyone out of scope."""

from __future__ import annotations

import asyncio
from io import BytesIO
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.core.db import Database
from app.core.permissions import Role
from app.main import create_app
from app.models import AuditEntry, ServiceCertificate
from tests.conftest import make_settings
from tests.factories import World
from tests.realdb import committed_rows_removed
from tests.volunteers.test_service_record import period, shanghai_today, units, url

API = "/api/v1"
VERIFY = f"{API}/service-certificates"


def issue_url(member: Any) -> str:
    return f"{API}/members/{member.id}/service-certificates"


def body(p: dict[str, str]) -> dict[str, str]:
    return {"from": p["from"], "to": p["to"]}


class TestIssue:
    async def test_issued_once_registered_and_shown_on_the_record(self, client, auth,
                                                                  world: World, db):
        u = await units(db, world)
        admin = world.user(Role.community_admin, "s1c1")
        p = period()
        before = (await client.get(url(u.member), params=p, headers=auth(admin))).json()
        assert (before["certificate"]["certificate_number"],
                before["certificate"]["issued_on"]) == (None, None)
        r = await client.post(issue_url(u.member), json=body(p), headers=auth(admin))
        assert r.status_code == 201, r.text
        cert = r.json()
        assert cert["number"].startswith(f"ZYZM-{world.communities[0].id}-")
        assert (cert["hours"], cert["activities"], cert["issued_by"], cert["period_from"]) == (
            1.5, 1, admin.id, p["from"])
        assert cert["issuing_org"] == world.communities[0].name
        again = await client.post(issue_url(u.member), json=body(p), headers=auth(admin))
        assert (again.status_code, again.json()["number"]) == (200, cert["number"])
        record = (await client.get(url(u.member), params=p, headers=auth(admin))).json()
        assert record["certificate"]["certificate_number"] == cert["number"]
        assert record["certificate"]["issued_on"] is not None
        sheet = await client.get(url(u.member, xlsx=True), params=p, headers=auth(admin))
        rows = list(load_workbook(BytesIO(sheet.content)).active.iter_rows(values_only=True))
        assert (rows[10][1], rows[11][1]) == (cert["number"], shanghai_today().isoformat())
        other = {"from": p["from"], "to": p["from"]}
        shown = (await client.get(url(u.member), params=other, headers=auth(admin))).json()
        assert shown["certificate"]["certificate_number"] is None
        async with db.reading() as s:
            count = await s.scalar(select(func.count()).select_from(ServiceCertificate).where(
                ServiceCertificate.member_id == u.member.id))
            issued = await s.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.action == "member.certificate_issue"))
        assert (count, issued) == (1, 1)

    async def test_another_period_gets_another_number(self, client, auth, world: World, db):
        u = await units(db, world)
        admin = auth(world.user(Role.community_admin, "s1c1"))
        p = period()
        first = await client.post(issue_url(u.member), json=body(p), headers=admin)
        second = await client.post(issue_url(u.member), json={"from": p["from"], "to": p["from"]},
                                   headers=admin)
        assert (first.status_code, second.status_code) == (201, 201), second.text
        assert first.json()["number"] != second.json()["number"]

    async def test_idempotency_key_replays_the_answer(self, client, auth, world: World, db):
        u = await units(db, world)
        headers = auth(world.user(Role.community_admin, "s1c1"), **{"Idempotency-Key": "cert-1"})
        a = await client.post(issue_url(u.member), json=body(period()), headers=headers)
        b = await client.post(issue_url(u.member), json=body(period()), headers=headers)
        assert (a.status_code, b.status_code) == (201, 201)
        assert a.json() == b.json()

    async def test_the_liaison_reads_but_does_not_issue_others_get_404(self, client, auth,
                                                                        world: World, db):
        u = await units(db, world)
        r = await client.post(issue_url(u.member), json=body(period()), headers=auth(u.liaison))
        assert (r.status_code, r.json()["code"]) == (403, "certificate_not_issuer")
        for outsider in (u.other_liaison, world.user(Role.community_admin, "s2c1")):
            r = await client.post(issue_url(u.member), json=body(period()),
                                  headers=auth(outsider))
            assert r.status_code == 404, r.text

    async def test_a_bad_period_is_422(self, client, auth, world: World, db):
        u = await units(db, world)
        r = await client.post(issue_url(u.member), json={"from": "2026-05-01", "to": "2026-04-01"},
                              headers=auth(world.user(Role.community_admin, "s1c1")))
        assert r.status_code == 422


class TestVerify:
    async def test_by_number_within_scope(self, client, auth, world: World, db):
        u = await units(db, world)
        admin = world.user(Role.community_admin, "s1c1")
        number = (await client.post(issue_url(u.member), json=body(period()),
                                    headers=auth(admin))).json()["number"]
        for reader in (admin, u.liaison, world.user(Role.street_admin, "s1")):
            r = await client.get(VERIFY, params={"number": number}, headers=auth(reader))
            assert (r.status_code, r.json()["number"]) == (200, number), r.text
        for outsider in (u.other_liaison, world.user(Role.community_admin, "s2c1"),
                         world.user(Role.community_admin, "s1c2")):
            r = await client.get(VERIFY, params={"number": number}, headers=auth(outsider))
            assert (r.status_code, r.json()["code"]) == (404, "certificate_not_found")

    async def test_each_community_verifies_its_own_only(self, client, auth, world: World):
        """The world's registered certificates, one per community (tests/factories.py)."""
        admin = auth(world.user(Role.community_admin, "s1c1"))
        own, other = world.certificates[0], world.certificates[2]
        r = await client.get(VERIFY, params={"number": own.number}, headers=admin)
        assert (r.status_code, r.json()["member_id"]) == (200, own.member_id)
        r = await client.get(VERIFY, params={"number": other.number}, headers=admin)
        assert r.status_code == 404

    async def test_unknown_and_malformed_numbers(self, client, auth, world: World):
        admin = auth(world.user(Role.community_admin, "s1c1"))
        r = await client.get(VERIFY, params={"number": "ZYZM-0-2026-999999"}, headers=admin)
        assert r.status_code == 404
        r = await client.get(VERIFY, params={"number": "bad number"}, headers=admin)
        assert r.status_code == 422


@pytest.mark.real_commits
async def test_two_issues_at_once_give_one_certificate(engine, auth, world: World):
    """Two staff press "issue" for the same member and period at the same moment, without an
    Idempotency-Key: one certificate, both answered with it (on PostgreSQL the unique key
    decides the race; SQLite serialises the writers)."""
    db = Database(engine)
    app = create_app(make_settings(), db)
    async with committed_rows_removed(db):
        u = await units(db, world)
        admin = world.user(Role.community_admin, "s1c1")
        p = period()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://t") as c:
            answers = await asyncio.gather(*[
                c.post(issue_url(u.member), json=body(p), headers=auth(admin))
                for _ in range(4)])
        assert sorted(r.status_code for r in answers) == [200, 200, 200, 201], [
            r.text for r in answers]
        assert len({r.json()["number"] for r in answers}) == 1
        async with db.reading() as s:
            assert await s.scalar(select(func.count()).select_from(ServiceCertificate).where(
                ServiceCertificate.member_id == u.member.id)) == 1
