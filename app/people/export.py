"""Exporting the residents a caller may see to .xlsx, in the import template's columns (so a
revealed export can be imported elsewhere).

Masked for everyone; full names, ID and phone numbers only with `purpose` and
`residents:reveal` over every exported row (the export then covers only the caller's reveal
scope) and counted against the caller's reveal rate limit. Every export writes an audit row
with the filters, the row count, the purpose and the address — never a value.

A revealed export is paid for only when it has succeeded: the budget is checked before the
work (429 at once when it is used up) and spent, and the audit row written, after the workbook
is (`settle`). An export that fails on the way leaves neither a spent reveal nor a row saying
data left.

Rows are read a page at a time by id, not through a streamed cursor: a GET's session runs in
autocommit on PostgreSQL (core/db.py), where a server-side cursor cannot be opened (asyncpg
needs a transaction for one). Each page is its own snapshot, so a resident added during the
export may or may not be in it; none is read twice."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit, reveal
from app.core.crypto import FieldCipher, mask_id_number, mask_name, mask_phone
from app.core.db import Database
from app.core.errors import Forbidden
from app.core.permissions import Perm
from app.core.ratelimit import RateLimits
from app.core.scope import authorize, common_path, readable, scope_paths
from app.core.security import Principal
from app.grids import service as grids
from app.models import Building, Household, Resident
from app.people import sheets
from app.people.errors import ExportTooLarge, RevealNotAllowed
from app.people.schemas import TAG_LABELS, ResidentTag
from app.people.service import ID_CONTEXT, PHONE_CONTEXT, get_household

Rows = Select[Resident, str | None, str, str]  # resident, unit, room, building name
MAX_ROWS = 200_000
CHUNK = 2_000
GENDER_LABELS = {"male": "男", "female": "女"}


@dataclass(frozen=True)
class ExportQuery:
    grid_id: int | None = None
    household_id: int | None = None
    tag: ResidentTag | None = None
    purpose: str | None = None

    @property
    def filters(self) -> dict[str, Any]:
        return {k: v for k, v in (("grid_id", self.grid_id), ("household_id", self.household_id),
                                  ("tag", self.tag.value if self.tag else None)) if v is not None}


async def _statement(session: AsyncSession, principal: Principal, q: ExportQuery
                     ) -> Rows:
    """The scoped query; 404/403 for a named grid or household outside or without rights."""
    right = Perm.resident_reveal if q.purpose else Perm.people_read
    if not principal.has(Perm.people_read):
        raise Forbidden()  # no register anywhere: say so rather than send an empty workbook
    if q.purpose and not principal.has(Perm.resident_reveal):
        raise RevealNotAllowed()
    stmt: Rows = (select(Resident, Household.unit_no, Household.room, Building.name)
            .join(Household, Household.id == Resident.household_id)
            .join(Building, Building.id == Household.building_id)
            .where(readable(principal, Resident.org_path, right)))
    if q.grid_id is not None:
        grid = await grids.get(session, principal, q.grid_id, Perm.people_read)
        _may_reveal(principal, q, grid.org_path)
        stmt = stmt.where(Resident.grid_id == grid.id)
    if q.household_id is not None:
        household = await get_household(session, principal, q.household_id)
        _may_reveal(principal, q, household.org_path)
        stmt = stmt.where(Resident.household_id == household.id)
    return stmt


def _may_reveal(principal: Principal, q: ExportQuery, path: str) -> None:
    if q.purpose:
        try:
            authorize(principal, Perm.resident_reveal, path)
        except Forbidden:
            raise RevealNotAllowed() from None


def _has_tag(row: Resident, tag: ResidentTag | None) -> bool:
    # Tags are a JSON list: filtered here rather than with dialect-specific JSON operators.
    return tag is None or tag.value in (row.tags or [])


def _line(cipher: FieldCipher, row: Any, reveal: bool) -> list[Any]:
    resident: Resident = row[0]
    id_number = cipher.decrypt(resident.id_number_cipher, context=ID_CONTEXT)
    phone = (cipher.decrypt(resident.phone_cipher, context=PHONE_CONTEXT)
             if resident.phone_cipher else None)
    if not reveal:
        id_number, phone = mask_id_number(id_number) or "", mask_phone(phone)
    name = resident.name if reveal else mask_name(resident.name)
    tags = "、".join(TAG_LABELS[ResidentTag(t)] for t in resident.tags or [])
    return [row[3], row[1] or "", row[2], name, GENDER_LABELS.get(resident.gender, ""),
            id_number, phone or "", resident.ethnicity or "", resident.relation_to_head or "",
            tags]


async def write(session: AsyncSession, principal: Principal, cipher: FieldCipher,
                limits: RateLimits, q: ExportQuery, path: Path, lang: str) -> int:
    """Writes the workbook to `path`; returns the row count."""
    stmt = await _statement(session, principal, q)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    if (total or 0) > MAX_ROWS:
        raise ExportTooLarge(f"导出行数超过上限 {MAX_ROWS} 行，请按网格或住户筛选",
                             f"More than {MAX_ROWS} rows; filter by grid or household")
    if q.purpose:
        await reveal.check(limits, principal)  # spent by `settle`, once the workbook is written
    book = Workbook(write_only=True)
    sheet = book.create_sheet("居民" if lang == "zh" else "Residents")
    try:
        count = await _fill(session, cipher, q, stmt, sheet, lang)
        await asyncio.to_thread(book.save, path)
    except BaseException:
        await asyncio.to_thread(_discard, sheet)
        raise
    return count


async def _fill(session: AsyncSession, cipher: FieldCipher, q: ExportQuery, stmt: Rows,
                sheet: Any, lang: str) -> int:
    sheet.append(sheets.header_row(lang))
    count = 0
    async for chunk in _pages(session, stmt):
        lines = [_line(cipher, r, bool(q.purpose)) for r in chunk if _has_tag(r[0], q.tag)]
        # Appending to a write-only sheet serialises the rows: off the event loop.
        await asyncio.to_thread(_append, sheet, lines)
        count += len(lines)
    return count


def _discard(sheet: Any) -> None:
    """A workbook given up half-way: openpyxl keeps the rows written so far (revealed ones,
    perhaps) in a temp file of its own until the process exits; close and remove it now."""
    writer = sheet._writer  # openpyxl has no public way to drop an unsaved write-only sheet
    if writer is None:
        return
    with contextlib.suppress(Exception):
        sheet.close()
    with contextlib.suppress(OSError, ValueError):
        writer.cleanup()


async def _pages(session: AsyncSession, stmt: Rows) -> AsyncIterator[Sequence[Any]]:
    """The rows in id order, CHUNK at a time, each page one plain SELECT (see the module
    docstring: no server-side cursor)."""
    after = 0
    while True:
        page = (await session.execute(
            stmt.where(Resident.id > after).order_by(Resident.id).limit(CHUNK))).all()
        if page:
            yield page
        if len(page) < CHUNK:
            return
        after = page[-1][0].id


def _append(sheet: Any, lines: Sequence[list[Any]]) -> None:
    for line in lines:
        sheet.append(line)


async def settle(db: Database, limits: RateLimits, principal: Principal, q: ExportQuery,
                 rows: int, ip: str) -> None:
    """After the workbook is written: a revealed export spends one reveal (429 if a concurrent
    reveal used the budget up meanwhile; nothing is sent then), then the audit row."""
    if q.purpose:
        await reveal.spend(limits, principal)
    await record(db, principal, q, rows, ip)


async def record(db: Database, principal: Principal, q: ExportQuery, rows: int, ip: str) -> None:
    """The audit row, in a short write transaction of its own: the export itself is a GET
    whose read transaction may not take SQLite's write lock for its whole duration."""
    # Filed under the caller's scope for the export (where an auditor in scope looks for it);
    # the filters say what was asked within it.
    right = Perm.resident_reveal if q.purpose else Perm.people_read
    async with db.writing() as session:
        await audit.record(session, principal, "resident.export", "resident", "export",
                           org_path=common_path(scope_paths(principal, right)),
                           detail={"filters": q.filters, "rows": rows,
                                   "revealed": bool(q.purpose), "purpose": q.purpose},
                           ip=ip)
