"""Re-encrypt personal data under the current data key, so an old key can be retired.

Every encrypted column declares its context (`crypto.encrypted`); this walks each such table in
id order, a batch per transaction, and rewrites the values whose key is not the current one.
Rows are locked while rewritten (PostgreSQL `FOR UPDATE`; SQLite writers are serialised), so an
edit made through the API meanwhile is neither lost nor overwritten. Safe to stop and run again:
values already under the current key are skipped. Blind indexes are keyed separately and are
not touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, Table, select, update

from app.core import audit
from app.core.crypto import CONTEXT_INFO, FieldCipher
from app.core.db import Database
from app.models.base import Base


@dataclass
class Tally:
    table: str
    rows: int = 0  # rows read
    values: int = 0  # values under an old key (rewritten unless a dry run)


class UnknownKey(Exception):
    def __init__(self, table: str, column: str, row_id: int, kid: str) -> None:
        super().__init__(f"{table}.{column} of row {row_id} is under key {kid!r}, which is not "
                         "in GRID_DATA_KEYS: add it back to re-encrypt the value")


def encrypted_columns() -> list[tuple[Table, list[Column[str]]]]:
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.c if CONTEXT_INFO in c.info]
        if columns:
            found.append((table, columns))
    return found


async def reencrypt(db: Database, cipher: FieldCipher, *, batch: int = 500, dry_run: bool = False,
                    progress: Callable[[Tally], None] | None = None) -> list[Tally]:
    tallies = []
    for table, columns in encrypted_columns():
        tally = Tally(table.name)
        last = 0
        while True:
            async with db.writing() as session:
                stmt = (select(table.c.id, *columns).where(table.c.id > last)
                        .order_by(table.c.id).limit(batch).with_for_update())
                rows = (await session.execute(stmt)).all()
                for row in rows:
                    changes = _rotated(cipher, table, columns, row)
                    tally.values += len(changes)
                    if changes and not dry_run:
                        await session.execute(
                            update(table).where(table.c.id == row.id).values(**changes))
            if not rows:
                break
            tally.rows += len(rows)
            last = rows[-1].id
            if progress is not None:
                progress(tally)
        tallies.append(tally)
    if not dry_run:
        async with db.writing() as session:
            await audit.record(session, "cli", "keys.reencrypt", "data_keys", "all",
                               detail={t.table: t.values for t in tallies if t.values})
    return tallies


def _rotated(cipher: FieldCipher, table: Table, columns: list[Column[str]], row: object
             ) -> dict[str, str]:
    changes = {}
    for column in columns:
        value = getattr(row, column.name)
        if value is None or not cipher.needs_rotation(value):
            continue
        kid = cipher.kid_of(value)
        if not cipher.knows(kid):
            raise UnknownKey(table.name, column.name, getattr(row, "id", 0), kid)
        changes[column.name] = cipher.rotate(value, context=column.info[CONTEXT_INFO])
    return changes
