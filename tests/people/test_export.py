"""GET /residents/export.xlsx: what the caller sees, masked unless revealed for a purpose by a
role that may reveal, always audited, in the import template's columns."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from openpyxl.worksheet import _writer as openpyxl_writer
from sqlalchemy import select

from app.core.permissions import Role
from app.models import AuditEntry
from app.people import export
from tests.factories import World, id_number, phone_number
from tests.people.spreadsheets import HEADER, XLSX, read_xlsx, upload, xlsx
from tests.people.test_no_full_numbers import FULL_ID, FULL_PHONE

API = "/api/v1"
EXPORT = f"{API}/residents/export.xlsx"


async def _audits(db: Any, actor_id: int) -> list[AuditEntry]:
    async with db.writing() as s:
        stmt = select(AuditEntry).where(AuditEntry.action == "resident.export",
                                        AuditEntry.actor == f"user:{actor_id}")
        return list((await s.scalars(stmt.order_by(AuditEntry.id))).all())


async def test_masked_export_of_what_the_caller_sees(client, auth, world: World, db):
    user = world.user(Role.grid_worker, "s1c1g1")
    r = await client.get(EXPORT, headers=auth(user))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == XLSX and r.headers["cache-control"] == "no-store"
    rows = read_xlsx(r.content)
    assert rows[0] == HEADER
    assert len(rows) == 2  # the one resident of the worker's grid
    building, unit, room, name, gender, id_no, phone, _, _, tags = rows[1]
    assert (building, unit, room, gender, tags) == ("1栋", "1单元", "101", "男", "独居老人")
    assert name == "王**" and "*" in id_no and "*" in phone
    text = " ".join(str(c) for row in rows for c in row if c is not None)
    assert not FULL_ID.findall(text) and not FULL_PHONE.findall(text)
    audit = (await _audits(db, user.id))[-1]
    assert audit.detail == {"filters": {}, "rows": 1, "revealed": False, "purpose": None}
    assert audit.ip


async def test_revealed_export_with_purpose_is_full_and_audited(client, auth, world: World, db):
    head = world.user(Role.grid_head, "s1c1g1")
    r = await client.get(EXPORT, params={"grid_id": world.grids[0].id, "purpose": "核对低保名单"},
                         headers=auth(head))
    assert r.status_code == 200, r.text
    row = read_xlsx(r.content)[1]
    assert (row[3], row[5], row[6]) == ("王建国", id_number(0), phone_number(0))
    audit = (await _audits(db, head.id))[-1]
    assert audit.detail == {"filters": {"grid_id": world.grids[0].id}, "rows": 1,
                            "revealed": True, "purpose": "核对低保名单"}
    assert id_number(0) not in str(audit.detail)


async def test_worker_asking_for_a_revealed_export_is_403(client, auth, world: World):
    r = await client.get(EXPORT, params={"purpose": "核对"},
                         headers=auth(world.user(Role.grid_worker, "s1c1g1")))
    assert r.status_code == 403 and r.json()["code"] == "export_reveal_forbidden"


async def test_roles_without_the_register_get_403(client, auth, world: World):
    r = await client.get(EXPORT, headers=auth(world.user(Role.party_instructor, "s1c1g1")))
    assert r.status_code == 403


async def test_filters_are_scoped(client, auth, world: World):
    worker = auth(world.user(Role.grid_worker, "s1c1g1"))
    r = await client.get(EXPORT, params={"grid_id": world.grids[1].id}, headers=worker)
    assert r.status_code == 404
    r = await client.get(EXPORT, params={"household_id": world.households[1].id}, headers=worker)
    assert r.status_code == 404
    admin = auth(world.user(Role.community_admin, "s1c1"))
    r = await client.get(EXPORT, headers=admin)
    assert len(read_xlsx(r.content)) == 3  # both grids of the community
    r = await client.get(EXPORT, params={"household_id": world.households[1].id, "tag": "veteran"},
                         headers=admin)
    assert len(read_xlsx(r.content)) == 1  # header only: nobody tagged veteran


async def test_too_many_rows_is_422(client, auth, world: World, monkeypatch):
    monkeypatch.setattr(export, "MAX_ROWS", 1)
    r = await client.get(EXPORT, headers=auth(world.user(Role.community_admin, "s1c1")))
    assert r.status_code == 422 and r.json()["code"] == "export_too_large"


async def test_revealed_export_reimports(client, auth, world: World):
    """The export's columns are the template's: a revealed export is a valid import file (its
    people are already registered, which is what the import then reports)."""
    head = world.user(Role.grid_head, "s1c1g1")
    r = await client.get(EXPORT, params={"purpose": "迁移核对"}, headers=auth(head))
    rows = read_xlsx(r.content)
    back = await upload(client, auth(head), xlsx(rows[1:], rows[0]), grid_id=world.grids[0].id)
    assert back.status_code == 201, back.text
    assert [x["code"] for x in back.json()["rejected"]] == ["id_registered"]


async def test_rows_are_read_page_by_page(client, auth, world: World, monkeypatch):
    monkeypatch.setattr(export, "CHUNK", 1)  # one resident per page: pages follow on by id
    r = await client.get(EXPORT, headers=auth(world.user(Role.community_admin, "s1c1")))
    assert len(read_xlsx(r.content)) == 3


def _openpyxl_temp_files() -> list[str]:
    return [f for f in openpyxl_writer.ALL_TEMP_FILES if os.path.exists(f)]


class TestRevealBudget:
    """A revealed export spends one reveal and leaves its audit row only once it has succeeded;
    a used-up budget refuses it before any work."""

    @pytest.fixture
    async def budget(self, app: Any, world: World) -> AsyncIterator[Callable[[], Awaitable[int]]]:
        limits, key = app.state.limits, f"user:{world.user(Role.grid_head, 's1c1g1').id}"
        await limits.limiter.clear(limits.reveal, "reveal", key)

        async def remaining() -> int:
            stats = await limits.limiter.get_window_stats(limits.reveal, "reveal", key)
            return int(stats.remaining)

        yield remaining
        await limits.limiter.clear(limits.reveal, "reveal", key)

    async def test_success_spends_one_reveal(self, client, auth, world: World, db, budget):
        head = world.user(Role.grid_head, "s1c1g1")
        before = await budget()
        r = await client.get(EXPORT, params={"purpose": "核对"}, headers=auth(head))
        assert r.status_code == 200, r.text
        assert await budget() == before - 1
        assert (await _audits(db, head.id))[-1].detail["purpose"] == "核对"

    async def test_failed_export_spends_nothing_and_records_nothing(
            self, client, auth, world: World, db, budget, monkeypatch):
        def disk_full(*_: Any) -> None:
            raise OSError("no space left on device")

        monkeypatch.setattr(export, "_append", disk_full)
        head = world.user(Role.grid_head, "s1c1g1")
        before = await budget()
        r = await client.get(EXPORT, params={"purpose": "核对"}, headers=auth(head))
        assert r.status_code == 500 and r.json()["code"] == "internal_error"
        assert await budget() == before
        assert await _audits(db, head.id) == []
        # openpyxl's own temp file of the half-written sheet is gone too (export._discard).
        assert not _openpyxl_temp_files()

    async def test_used_up_budget_is_429_before_any_work(
            self, app, client, auth, world: World, db, budget, monkeypatch):
        head = world.user(Role.grid_head, "s1c1g1")
        limits = app.state.limits
        while await budget():
            await limits.hit(limits.reveal, "reveal", f"user:{head.id}")

        async def no_rows(*_: Any) -> AsyncIterator[Any]:
            raise AssertionError("read the register although the budget was used up")
            yield

        monkeypatch.setattr(export, "_pages", no_rows)
        r = await client.get(EXPORT, params={"purpose": "核对"}, headers=auth(head))
        assert r.status_code == 429 and r.json()["code"] == "reveal_rate_limited"
        assert r.headers["retry-after"]
        assert await _audits(db, head.id) == []
