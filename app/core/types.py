"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# SQLite only auto-increments an INTEGER PRIMARY KEY, PostgreSQL wants BIGINT.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


def path_type(length: int = 255) -> String:
    """Materialized paths compare byte-wise so a prefix is a B-tree range on both databases."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, always hands back an aware datetime (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return _as_utc(value)

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        """One step per value instead of the impl's parse plus `process_result_value` (a list
        page reads hundreds of datetimes): SQLite's stored text goes straight through
        `fromisoformat`, and asyncpg already returns aware UTC datetimes, so nothing is done."""
        if dialect.name == "postgresql" and dialect.driver == "asyncpg":
            return None
        if dialect.name == "sqlite":
            return _as_utc
        return super().result_processor(dialect, coltype)


def _as_utc(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed: datetime
    if isinstance(value, str):
        try:
            # What this type stores on SQLite: naive UTC text. Parsing it with the offset
            # appended is one C call, ~5× cheaper than parsing and then `.replace(tzinfo=)`.
            parsed = datetime.fromisoformat(value + "+00:00")
        except ValueError:  # text with an offset of its own
            parsed = datetime.fromisoformat(value)
    else:
        parsed = value
    if parsed.tzinfo is None:  # a date alone ("2026-11-28+00:00" parses naive)
        return parsed.replace(tzinfo=UTC)
    return parsed if parsed.tzinfo is UTC else parsed.astimezone(UTC)
