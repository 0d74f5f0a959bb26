"""Declarative base with a constraint naming convention and the shared column helpers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.schema import CallableColumnDefault, ScalarElementColumnDefault

from app.core.types import BigIntId, UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Any]) -> Table:
    """A mapped class's Table, typed as one: hot paths send Core statements on the session's
    connection (an ORM-enabled INSERT/UPDATE costs several times the one-row SQL itself)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


_DEFAULTS: dict[str, tuple[dict[str, Any], tuple[tuple[str, Callable[[Any], Any]], ...]]] = {}


def with_defaults(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """`values` plus the model's Python-side defaults for the columns it leaves out: what an
    ORM flush or a plain Core INSERT adds by itself, for the statements that do not (INSERT …
    SELECT, INSERTs chained in a CTE)."""
    spec = _DEFAULTS.get(table.name)
    if spec is None:
        spec = _DEFAULTS[table.name] = _default_spec(table)
    scalars, calls = spec
    out = dict(scalars)
    for key, fn in calls:
        if key not in values:
            out[key] = fn(None)  # SQLAlchemy wraps every default callable to take a context
    out.update(values)
    return out


def _default_spec(table: Table
                  ) -> tuple[dict[str, Any], tuple[tuple[str, Callable[[Any], Any]], ...]]:
    scalars: dict[str, Any] = {}
    calls: list[tuple[str, Callable[[Any], Any]]] = []
    for column in table.c:
        default = column.default
        if isinstance(default, ScalarElementColumnDefault):
            scalars[column.key] = default.arg
        elif isinstance(default, CallableColumnDefault):
            calls.append((column.key, default.arg))
    return scalars, tuple(calls)


class IdMixin:
    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
