"""The audit log: what leaves a row (reveals, exports, role changes, sign-ins that work and
that fail, case transitions), that nothing can change or remove a row but retention, and
`GET /audit` for auditors in their scope."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import DBAPIError

from app.core import retention
from app.core.config import Settings
from app.core.permissions import Role
from app.core.types import utcnow
from app.models import AuditEntry, User
from tests.auth.helpers import login, new_user, unique
from tests.factories import World, give_role, make_user

API = "/api/v1"


async def entries(db, **where: Any) -> list[AuditEntry]:
    async with db.reading() as s:
        stmt = select(AuditEntry).filter_by(**where).order_by(AuditEntry.id)
        return list((await s.execute(stmt)).scalars())


class TestWhatIsAudited:
    async def test_login_success_names_the_user_and_their_org(self, client, db, world: World):
        user = await new_user(db)
        async with db.writing() as s:
            (await s.get(User, user.id)).org_id = world.streets[0].id
            (await s.get(User, user.id)).org_path = world.streets[0].path
        assert (await login(client, user.username)).status_code == 200
        [row] = await entries(db, action="auth.login", object_id=str(user.id))
        assert row.actor == f"user:{user.id}" and row.org_path == world.streets[0].path
        assert row.ip

    async def test_failed_login_is_kept_although_the_request_fails(self, client, db):
        user = await new_user(db)
        assert (await login(client, user.username, "wrong")).status_code == 401
        [row] = await entries(db, action="auth.login_failed", actor=f"user:{user.id}")
        assert row.detail == {"username": user.username, "locked": False}

    async def test_failed_login_with_an_unknown_name(self, client, db):
        name = unique("ghost")
        assert (await login(client, name, "wrong")).status_code == 401
        rows = [r for r in await entries(db, action="auth.login_failed", actor="anonymous")
                if r.detail["username"] == name]
        assert len(rows) == 1 and rows[0].org_path is None

    async def test_the_failure_that_locks_says_so(self, client, db):
        user = await new_user(db)
        codes = [(await login(client, user.username, "wrong")).status_code for _ in range(5)]
        assert codes[-1] == 429
        rows = await entries(db, action="auth.login_failed", actor=f"user:{user.id}")
        assert [r.detail["locked"] for r in rows] == [False] * 4 + [True]

    async def test_case_transition(self, client, auth, db, world: World):
        case = world.cases[0]
        r = await client.post(f"{API}/cases/{case.id}/transitions",
                              headers=auth(world.user(Role.command_operator)),
                              json={"action": "accept"})
        assert r.status_code == 200, r.text
        [row] = await entries(db, action="case.accept", object_id=str(case.id))
        assert row.org_path == case.org_path
        assert row.detail == {"from": "reported", "to": "accepted"}

    async def test_export_is_filed_under_the_callers_scope(self, client, auth, db,
                                                           world: World):
        head = world.user(Role.grid_head, "s1c1g1")
        r = await client.get(f"{API}/residents/export.xlsx", headers=auth(head))
        assert r.status_code == 200, r.text
        [row] = await entries(db, action="resident.export", actor=f"user:{head.id}")
        assert row.org_path == world.branches[0].path

    async def test_reveal_and_role_changes(self, client, auth, db, world: World):
        head = world.user(Role.grid_head, "s1c1g1")
        r = await client.post(f"{API}/residents/{world.residents[0].id}/reveal",
                              headers=auth(head), json={"purpose": "走访核实"})
        assert r.status_code == 200
        [row] = await entries(db, action="resident.reveal", actor=f"user:{head.id}")
        assert row.detail == {"purpose": "走访核实"}
        admin = auth(world.user(Role.community_admin, "s1c1"))
        uid = (await client.post(f"{API}/users", headers=admin, json={
            "username": unique("w"), "password": "Secret#2026", "display_name": "王"})).json()["id"]
        g = await client.post(f"{API}/users/{uid}/roles", headers=admin,
                              json={"role": "grid_worker", "org_id": world.branches[0].id})
        await client.delete(f"{API}/users/{uid}/roles/{g.json()['id']}", headers=admin)
        actions = [r.action for r in await entries(db, object_type="user", object_id=str(uid))]
        assert actions == ["user.create", "role.grant", "role.revoke"]


class TestAppendOnly:
    async def test_an_entry_cannot_be_changed(self, db, world: World):
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.writing() as s:
                await s.execute(update(AuditEntry).values(action="nothing.happened"))

    async def test_an_entry_cannot_be_removed(self, db, world: World):
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.writing() as s:
                await s.execute(delete(AuditEntry))

    async def test_the_api_has_no_way_to_change_it(self, app):
        paths = {p: set(ops) for p, ops in app.openapi()["paths"].items() if "audit" in p}
        assert paths == {f"{API}/audit": {"get"}}

    async def test_retention_removes_only_entries_past_it(self, db, world: World):
        now = utcnow()
        async with db.writing() as s:
            for days in (400, 200, 10):
                await s.execute(insert(AuditEntry).values(
                    actor="system", action=f"test.aged{days}", object_type="t", object_id="1",
                    detail={}, at=now - timedelta(days=days)))
        removed = await retention.purge(db, audit_keep=timedelta(days=365))
        assert removed["audit_log"] == 1
        left = {r.action for r in await entries(db, object_type="t")}
        assert left == {"test.aged200", "test.aged10"}
        [purge] = await entries(db, action="audit.purge")
        assert purge.detail["rows"] == 1
        # The gate is gone with its transaction: the log is append-only again.
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.writing() as s:
                await s.execute(delete(AuditEntry).where(AuditEntry.action == "test.aged200"))

    def test_retention_is_at_least_six_months(self):
        assert Settings(env="test").audit_retention_days >= 183
        with pytest.raises(ValidationError):
            Settings(env="test", audit_retention_days=90)


async def _rows_under(db, paths: dict[str, str | None]) -> None:
    async with db.writing() as s:
        for action, path in paths.items():
            await s.execute(insert(AuditEntry).values(
                actor="user:1", action=action, object_type="t", object_id="1", org_path=path,
                detail={}))


async def _auditor(db, world: World, where: int) -> User:
    async with db.writing() as s:
        user = await make_user(s, unique("auditor"), world.streets[where])
        await give_role(s, user, Role.auditor, world.streets[where])
        return user


async def _listed(client, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        r = await client.get(f"{API}/audit", headers=headers, params={**params, **page})
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return items


class TestReadingTheLog:
    async def test_grid_a_and_grid_b(self, client, auth, db, world: World):
        """A street's auditor reads the entries of its grids, never another street's; entries
        of no node are the district's."""
        grid_a, grid_b = world.branches[0].path, world.branches[4].path  # s1c1g1, s2c1g1
        assert grid_a.startswith(world.streets[0].path)
        assert grid_b.startswith(world.streets[1].path)
        await _rows_under(db, {"test.grid_a": grid_a, "test.grid_b": grid_b, "test.none": None})
        s1 = auth(await _auditor(db, world, 0))
        seen = {i["action"] for i in await _listed(client, s1, action="test.*")}
        assert seen == {"test.grid_a"}
        district = auth(world.user(Role.auditor))
        seen = {i["action"] for i in await _listed(client, district, action="test.*")}
        assert seen == {"test.grid_a", "test.grid_b", "test.none"}
        everything = await _listed(client, s1)
        assert everything and all((i["org_path"] or "").startswith(world.streets[0].path)
                                  for i in everything)

    async def test_without_the_right_the_list_is_empty(self, client, auth, db, world: World):
        await _rows_under(db, {"test.grid_a": world.branches[0].path})
        head = auth(world.user(Role.grid_head, "s1c1g1"))
        assert await _listed(client, head) == []

    async def test_filters(self, client, auth, db, world: World):
        head = world.user(Role.grid_head, "s1c1g1")
        await client.post(f"{API}/residents/{world.residents[0].id}/reveal", headers=auth(head),
                          json={"purpose": "核实"})
        h = auth(world.user(Role.auditor))
        got = await _listed(client, h, action="resident.reveal", actor=f"user:{head.id}")
        assert [i["detail"] for i in got] == [{"purpose": "核实"}]
        later = (utcnow() + timedelta(minutes=1)).isoformat()
        assert await _listed(client, h, actor=f"user:{head.id}", **{"from": later}) == []
        assert await _listed(client, h, actor=f"user:{head.id}", to=later)
        r = await client.get(f"{API}/audit", headers=h, params={"from": later, "to": later})
        assert r.status_code == 422 and r.json()["code"] == "audit_range_invalid"

    async def test_newest_first(self, client, auth, db, world: World):
        await _rows_under(db, {"test.first": None, "test.second": None})
        got = await _listed(client, auth(world.user(Role.auditor)), action="test.*")
        assert [i["action"] for i in got] == ["test.second", "test.first"]

