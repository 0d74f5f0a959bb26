"""Importing a resident spreadsheet into one grid.

Row by row: each row is checked with the same rules as `POST /residents` (the ID and phone
checks of `idcard`), buildings and households are found or created in the grid, and residents
are inserted in batches (one existence query and a few multi-row INSERTs per batch, never a
statement per row). Parsing, checking and encrypting a batch run in a worker thread so a large
file does not stall the event loop.

Modes: `valid_rows` keeps the good rows and reports the rest; `all_or_nothing` creates nothing
when any row is bad (the inserts sit in a savepoint that is rolled back), but still checks every
row so the report lists all of them.

Rejections hold the row number, the field and the reason, never the cell's value. The rejected
rows' cells are kept apart, encrypted (`rejected_rows_cipher`), for the rejected-rows workbook
only: the office fixes them there and imports that sheet again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any, Literal, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.crypto import FieldCipher
from app.core.security import Principal
from app.core.types import utcnow
from app.models import Building, Grid, Household, Resident, ResidentImport
from app.models.scoped import scope_from
from app.people import sheets
from app.people.errors import IdentifierError
from app.people.idcard import (
    birth_date_of,
    check_phone,
    gender_of,
    normalize_id_number,
)
from app.people.schemas import TAG_LABELS, ResidentTag
from app.people.sheets import BY_KEY, Column

Mode = Literal["valid_rows", "all_or_nothing"]
BATCH = 1000
ID_CONTEXT = "resident.id_number"  # the same contexts as app.people.service
PHONE_CONTEXT = "resident.phone"
REJECTED_CONTEXT = "resident_import.rejected_rows"
# The cells of at most this many rejected rows are kept for the workbook (memory and row size
# stay bounded on a wholly wrong 100,000-row file); the reasons of all of them are kept.
KEEP_CELLS_OF = 20_000
GENDERS = {"男": "male", "女": "female", "male": "male", "female": "female", "m": "male",
           "f": "female"}
TAG_SPLIT = re.compile(r"[、，,;；/／\s]+")
TAGS = {**{label: tag for tag, label in TAG_LABELS.items()}, **{t.value: t for t in ResidentTag}}
Progress = Callable[["Outcome"], None]
# Core, not ORM, inserts for residents: 100,000 rows without per-row ORM bookkeeping.
RESIDENTS = cast(Table, Resident.__table__)


@dataclass
class Outcome:
    """Counts. The checking thread writes `total`, `invalid` and appends to `rejected`; the
    event loop writes `created` and `registered`: no counter has two writers."""

    total: int = 0
    created: int = 0
    invalid: int = 0  # rows that failed a check of their own cells
    registered: int = 0  # rows whose person is already in the register
    rejected: list[dict[str, Any]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)  # the file's header row, as it was
    rejected_cells: dict[int, list[str]] = field(default_factory=dict)  # row → its cells

    @property
    def rejected_rows(self) -> int:
        return self.invalid + self.registered

    def reject(self, row: int, column: str, code: str, zh: str, en: str) -> None:
        self.rejected.append({"row": row, "field": column, "code": code, "zh": zh, "en": en})

    def keep_cells(self, row: int, cells: list[str]) -> None:
        if len(self.rejected_cells) < KEEP_CELLS_OF:
            self.rejected_cells[row] = cells

    def sealed_cells(self, cipher: FieldCipher) -> str | None:
        """The header and the rejected rows' cells, encrypted (None when nothing was rejected)."""
        if not self.rejected_cells:
            return None
        plain = json.dumps({"header": self.header,
                            "rows": sorted(self.rejected_cells.items())}, ensure_ascii=False)
        return cipher.encrypt(plain, context=REJECTED_CONTEXT)


@dataclass
class _Valid:
    row: int
    place: tuple[str, str | None, str]  # building, unit, room
    values: dict[str, Any]  # resident columns, encrypted where personal
    index: str
    cells: list[str]  # as read, for the rejected-rows workbook if the person is registered


_STORED_AS_NUMBER = (
    "id_stored_as_number",
    "身份证号被表格存成了数字，末几位已丢失：请把身份证号列设为文本格式，重新填写后再导入",
    "The ID number was stored as a number and lost its last digits: store the ID column as "
    "text, re-enter the numbers and import again",
)
# 4.11023199003030E+17 (as Excel shows a long number), 411023199003030000.0, 4.1e17.
_NUMBER_FORMS = re.compile(r"\d+(\.\d*)?E\+?\d+|\d+\.\d*", re.IGNORECASE)


def stored_as_number(value: str, error: str) -> bool:
    """An ID number a spreadsheet kept as a number: in exponent or decimal form, or 18 digits
    whose last three became zeros (15 significant digits kept) and no longer check."""
    if _NUMBER_FORMS.fullmatch(value):
        return True
    return error == "id_checksum" and value.isdigit() and value.endswith("000")


def _required(column: Column) -> tuple[str, str, str]:
    return "required", f"{column.zh}不能为空", f"{column.en} is required"


class _Checker:
    """Checks one row at a time; remembers the ID numbers seen (blind indexes) for duplicates."""

    def __init__(self, cipher: FieldCipher, columns: list[Column | None]) -> None:
        self.cipher = cipher
        self.columns = columns
        self.seen: dict[str, int] = {}

    def check(self, number: int, cells: list[str]) -> tuple[_Valid | None, list[tuple[str, ...]]]:
        raw = {c.key: v for c, v in zip(self.columns, cells, strict=False) if c is not None}
        errors: list[tuple[str, ...]] = []
        for key in ("building", "unit_no", "room", "name", "ethnicity", "relation_to_head"):
            column = BY_KEY[key]
            if column.required and not raw.get(key):
                errors.append((key, *_required(column)))
            elif len(raw.get(key, "")) > column.max_length:
                errors.append((key, "too_long", f"{column.zh}过长（不超过 {column.max_length} 字）",
                               f"{column.en} is too long (at most {column.max_length})"))
        id_number, index, id_error = self._id_number(raw.get("id_number", ""), number)
        if id_error:
            errors.append(id_error)
        phone = self._phone(raw.get("phone", ""), errors)
        gender = self._gender(raw.get("gender", ""), id_number, errors)
        tags = self._tags(raw.get("tags", ""), errors)
        if errors or id_number is None or gender is None:
            return None, errors
        values = {
            "name": raw["name"], "gender": gender, "birth_date": birth_date_of(id_number),
            "id_number_cipher": self.cipher.encrypt(id_number, context=ID_CONTEXT),
            "id_number_index": index,
            "phone_cipher": self.cipher.encrypt(phone, context=PHONE_CONTEXT) if phone else None,
            "phone_index": (self.cipher.blind_index(phone, context=PHONE_CONTEXT)
                            if phone else None),
            "ethnicity": raw.get("ethnicity") or None,
            "relation_to_head": raw.get("relation_to_head") or None, "tags": tags,
        }
        place = (raw["building"], raw.get("unit_no") or None, raw["room"])
        return _Valid(number, place, values, index, cells), []

    def _id_number(self, value: str, number: int
                   ) -> tuple[str | None, str, tuple[str, ...] | None]:
        """(number, blind index, error). A valid number counts as seen even when another
        cell of its row is wrong: a second row with it is still a duplicate to fix."""
        if not value:
            return None, "", ("id_number", *_required(BY_KEY["id_number"]))
        value = normalize_id_number(value)
        try:
            birth_date_of(value)
        except IdentifierError as exc:
            if stored_as_number(value, exc.code):
                return None, "", ("id_number", *_STORED_AS_NUMBER)
            return None, "", ("id_number", exc.code, exc.zh, exc.en)
        index = self.cipher.blind_index(value, context=ID_CONTEXT)
        first = self.seen.setdefault(index, number)
        if first != number:
            return None, index, ("id_number", "id_duplicate_in_file",
                                 f"与第 {first} 行的身份证号重复", f"Same ID number as row {first}")
        return value, index, None

    @staticmethod
    def _phone(value: str, errors: list[tuple[str, ...]]) -> str | None:
        if not value:
            return None
        try:
            return check_phone(value)
        except IdentifierError as exc:
            errors.append(("phone", exc.code, exc.zh, exc.en))
            return None

    @staticmethod
    def _gender(value: str, id_number: str | None, errors: list[tuple[str, ...]]) -> str | None:
        if not value:
            return gender_of(id_number) if id_number else None
        gender = GENDERS.get(value.lower())
        if gender is None:
            errors.append(("gender", "gender_invalid", "性别应为“男”或“女”",
                           "Gender must be 男/女 (male/female)"))
        return gender

    @staticmethod
    def _tags(value: str, errors: list[tuple[str, ...]]) -> list[str]:
        tags = [TAGS.get(part) for part in TAG_SPLIT.split(value) if part]
        if any(t is None for t in tags):
            errors.append(("tags", "tag_unknown",
                           "重点人群类别无法识别（可填：" + "、".join(TAG_LABELS.values()) + "）",
                           "Unknown tag (use: " + ", ".join(t.value for t in ResidentTag) + ")"))
            return []
        return list(dict.fromkeys(t.value for t in tags if t is not None))


class _Places:
    """The grid's buildings (by name) and households (by building, unit, room), loaded once
    and created in bulk as batches need them."""

    def __init__(self, session: AsyncSession, grid: Grid) -> None:
        self.session = session
        self.grid = grid
        self.buildings: dict[str, int] = {}
        self.households: dict[tuple[int, str | None, str], int] = {}

    @property
    def scope(self) -> dict[str, Any]:
        return {"grid_id": self.grid.id, **scope_from(self.grid)}

    async def load(self) -> None:
        rows = await self.session.execute(
            select(Building.id, Building.name).where(Building.grid_id == self.grid.id))
        self.buildings = {name: id_ for id_, name in rows}
        homes = await self.session.execute(
            select(Household.id, Household.building_id, Household.unit_no, Household.room)
            .where(Household.grid_id == self.grid.id))
        self.households = {(b, u, r): id_ for id_, b, u, r in homes}

    def checkpoint(self) -> tuple[dict[str, int], dict[tuple[int, str | None, str], int]]:
        return dict(self.buildings), dict(self.households)

    def restore(self, saved: tuple[dict[str, int], dict[tuple[int, str | None, str], int]]
                ) -> None:
        """After a rolled-back batch: forget the rows it had created."""
        self.buildings, self.households = saved

    async def household_ids(self, places: list[tuple[str, str | None, str]]) -> list[int]:
        """Ids for (building, unit, room), creating what is missing: one multi-row INSERT and
        one SELECT back each for buildings and households (RETURNING with many rows falls back
        to a statement per row on SQLite)."""
        names = list(dict.fromkeys(p[0] for p in places if p[0] not in self.buildings))
        if names:
            await self._insert(Building, [{"name": n} for n in names])
            rows = await self.session.execute(select(Building.id, Building.name).where(
                Building.grid_id == self.grid.id, Building.name.in_(names)))
            self.buildings.update({name: id_ for id_, name in rows})
        keys = [(self.buildings[b], u, r) for b, u, r in places]
        new = list(dict.fromkeys(k for k in keys if k not in self.households))
        if new:
            await self._insert(Household, [{"building_id": b, "unit_no": u, "room": r}
                                           for b, u, r in new])
            wanted = set(new)
            homes = await self.session.execute(
                select(Household.id, Household.building_id, Household.unit_no, Household.room)
                .where(Household.building_id.in_({b for b, _, _ in new}),
                       Household.room.in_({r for _, _, r in new}))
                .order_by(Household.id))
            for id_, b, u, r in homes:
                if (b, u, r) in wanted:
                    self.households.setdefault((b, u, r), id_)
        return [self.households[k] for k in keys]

    async def _insert(self, model: type[Building] | type[Household],
                      rows: list[dict[str, Any]]) -> None:
        now = utcnow()
        table = cast(Table, model.__table__)
        await self.session.execute(insert(table), [
            {**self.scope, **row, "version": 1, "created_at": now, "updated_at": now}
            for row in rows])


class Importer:
    def __init__(self, session: AsyncSession, cipher: FieldCipher, grid: Grid, mode: Mode,
                 progress: Progress | None = None) -> None:
        self.session = session
        self.cipher = cipher
        self.mode = mode
        self.places = _Places(session, grid)
        self.outcome = Outcome()
        self.progress = progress

    @property
    def inserting(self) -> bool:
        return self.mode == "valid_rows" or not self.outcome.rejected_rows

    async def run(self, file: IO[bytes]) -> Outcome:
        with contextlib.ExitStack() as stack:
            # Opening reads the shared strings of a workbook (or checks a CSV's encoding over
            # the whole file): off the event loop too.
            rows = await asyncio.to_thread(stack.enter_context, sheets.open_rows(file))
            checker = await asyncio.to_thread(self._header, rows)
            await self.places.load()
            savepoint = await self.session.begin_nested()
            await self._pipeline(rows, checker)
            if self.inserting:
                await savepoint.commit()
            else:
                await savepoint.rollback()  # all or nothing: a bad row undoes every insert
                self.outcome.created = 0
        self.outcome.rejected.sort(key=lambda r: r["row"])
        return self.outcome

    async def _pipeline(self, rows: Iterator[tuple[int, list[str]]], checker: _Checker) -> None:
        """Reading and checking the next batch (a thread) overlaps storing this one (the
        database), which roughly halves a large import."""
        pending = asyncio.ensure_future(asyncio.to_thread(self._next_batch, rows, checker))
        try:
            while (batch := await pending) is not None:
                pending = asyncio.ensure_future(
                    asyncio.to_thread(self._next_batch, rows, checker))
                await self._store(batch)
                if self.progress:
                    self.progress(self.outcome)
        finally:
            if not pending.done():
                # Storing failed: let the reader finish its batch before the file closes.
                await asyncio.wait([pending])
            if not pending.cancelled() and pending.done():
                pending.exception()  # retrieved: its error, if any, is not the one to report

    def _header(self, rows: Iterator[tuple[int, list[str]]]) -> _Checker:
        for _, cells in islice(rows, sheets.HEADER_SCAN_ROWS):
            columns = sheets.map_header(cells)
            if columns is not None:
                self.outcome.header = cells
                return _Checker(self.cipher, columns)
        raise sheets.header_error("身份证号", "未找到表头行（应含“姓名”“身份证号”等列）",
                                   "No header row found (with Name, ID number, ...)")

    def _next_batch(self, rows: Iterator[tuple[int, list[str]]], checker: _Checker
                    ) -> list[_Valid] | None:
        """Check rows until a batch of good ones is ready; None at the end of the file."""
        batch: list[_Valid] = []
        seen_any = False
        for number, cells in rows:
            if not any(cells):
                continue  # blank lines are not rows
            seen_any = True
            self.outcome.total += 1
            valid, errors = checker.check(number, cells)
            if valid is not None:
                batch.append(valid)
            else:
                self.outcome.invalid += 1
                self.outcome.keep_cells(number, cells)
                for column, code, zh, en in errors:
                    self.outcome.reject(number, column, code, zh, en)
            if len(batch) >= BATCH:
                return batch
        return batch if (batch or seen_any) else None

    async def _store(self, batch: list[_Valid]) -> None:
        """All-or-nothing may see a bad row of the next batch here already: it stops
        inserting a batch early, which the final rollback would have undone anyway."""
        batch = await self._unregistered(batch)
        if not batch or not self.inserting:
            return
        saved = self.places.checkpoint()
        try:
            async with self.session.begin_nested():
                await self._insert(batch)
        except IntegrityError:
            # Someone registered one of these people since the check: check again, once.
            self.places.restore(saved)
            batch = await self._unregistered(batch)
            if batch and self.inserting:
                async with self.session.begin_nested():
                    await self._insert(batch)

    async def _unregistered(self, batch: list[_Valid]) -> list[_Valid]:
        """Drops (and reports) rows whose person is already in the register, district-wide."""
        if not batch:
            return batch
        stmt = select(Resident.id_number_index).where(
            Resident.id_number_index.in_([v.index for v in batch]))
        taken = set((await self.session.scalars(stmt)).all())
        for v in batch:
            if v.index in taken:
                self.outcome.registered += 1
                self.outcome.keep_cells(v.row, v.cells)
                self.outcome.reject(v.row, "id_number", "id_registered", "该身份证号已登记",
                                    "A resident with this ID number is already registered")
        return [v for v in batch if v.index not in taken]

    async def _insert(self, batch: list[_Valid]) -> None:
        households = await self.places.household_ids([v.place for v in batch])
        now = utcnow()
        await self.session.execute(insert(RESIDENTS), [
            {**self.places.scope, **v.values, "household_id": h, "version": 1,
             "created_at": now, "updated_at": now}
            for v, h in zip(batch, households, strict=True)
        ])
        self.outcome.created += len(batch)


async def import_file(session: AsyncSession, actor: Principal | None, cipher: FieldCipher, *,
                      grid: Grid, file: IO[bytes], filename: str, mode: Mode,
                      progress: Progress | None = None, ip: str | None = None
                      ) -> ResidentImport:
    """Imports and records the report (a `ResidentImport` row and one audit row with the
    counts). The caller has checked the actor's right to write in the grid."""
    outcome = await Importer(session, cipher, grid, mode, progress).run(file)
    status = "rejected" if mode == "all_or_nothing" and outcome.rejected_rows else "completed"
    report = ResidentImport(
        grid_id=grid.id, **scope_from(grid), filename=filename[:255], mode=mode, status=status,
        rows_total=outcome.total, rows_created=outcome.created,
        rows_rejected=outcome.rejected_rows, rejected=outcome.rejected,
        rejected_rows_cipher=outcome.sealed_cells(cipher),
        created_by=actor.id if actor is not None and actor.kind == "user" else None,
    )
    session.add(report)
    await session.flush()
    await audit.record(session, actor, "resident.import", "resident_import", report.id,
                       org_path=grid.org_path, ip=ip,
                       detail={"mode": mode, "status": status, "rows_total": outcome.total,
                               "rows_created": outcome.created,
                               "rows_rejected": outcome.rejected_rows})
    return report
