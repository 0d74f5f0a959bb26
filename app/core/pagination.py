"""Keyset pagination: `limit` 1..100, an opaque `cursor`, and `next_cursor` in the page."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import Integer, Select, and_, bindparam, or_
from sqlalchemy.sql.elements import ColumnElement

from app.core.errors import BadRequest

T = TypeVar("T")
R = TypeVar("R")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int
    cursor: str | None


class PageQuery(BaseModel):
    """`limit` and `cursor` as a query-parameter model (`Annotated[Model, Query()]`): list
    endpoints with filters of their own extend it, the others take `page_params`."""

    limit: int = Field(20, ge=1, le=100, description="每页条数 (1..100)")
    cursor: str | None = Field(None, description="上一页返回的 next_cursor")

    def page(self) -> PageParams:
        return PageParams(limit=self.limit, cursor=self.cursor or None)


async def page_params(query: Annotated[PageQuery, Query()]) -> PageParams:
    return query.page()


PageDep = Annotated[PageParams, Depends(page_params)]


_BIGINT_MIN, _BIGINT_MAX = -(2**63), 2**63 - 1


class InvalidCursor(BadRequest):
    code, zh, en = "invalid_cursor", "分页游标无效", "Invalid pagination cursor"


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except ValueError as exc:
        raise InvalidCursor() from exc
    if not isinstance(values, list) or len(values) != arity:
        raise InvalidCursor()
    # Every list here is ordered by integer ids: anything else in a cursor was not made by us
    # (and would reach the driver as a value the column cannot take).
    if any(type(v) is not int or not _BIGINT_MIN <= v <= _BIGINT_MAX for v in values):
        raise InvalidCursor()
    return values


def _after(keys: Sequence[tuple[Any, bool]], values: list[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in the (column, descending) order."""
    clauses = []
    for i, (col, desc) in enumerate(keys):
        equal = [keys[j][0] == values[j] for j in range(i)]
        step = col < values[i] if desc else col > values[i]
        clauses.append(and_(*equal, step))
    return or_(*clauses)


def keyset(
    stmt: Select[Any], keys: Sequence[tuple[Any, bool]], params: PageParams
) -> Select[Any]:
    """Order by `keys`, start after the cursor, fetch one extra row to know if more follow."""
    if params.cursor:
        values = decode_cursor(params.cursor, len(keys))
        stmt = stmt.where(_after(keys, values))
    return stmt.order_by(*_order(keys)).limit(params.limit + 1)


def keyset_template(
    stmt: Select[Any], keys: Sequence[tuple[Any, bool]], *, after: bool
) -> Select[Any]:
    """`keyset` with bind parameters where the cursor's values and the limit go, to be run
    with `keyset_values`. Built once and reused, a statement skips being built and keyed for
    SQLAlchemy's compiled cache on every request (it memoizes the key on the statement)."""
    if after:
        stmt = stmt.where(_after(keys, [bindparam(f"page_after_{i}") for i in range(len(keys))]))
    return stmt.order_by(*_order(keys)).limit(bindparam("page_limit", type_=Integer))


def keyset_values(keys: Sequence[tuple[Any, bool]], params: PageParams) -> dict[str, Any]:
    """The values of a `keyset_template` statement for this page."""
    values = decode_cursor(params.cursor, len(keys)) if params.cursor else []
    return {"page_limit": params.limit + 1} | {f"page_after_{i}": v for i, v in enumerate(values)}


def _order(keys: Sequence[tuple[Any, bool]]) -> list[Any]:
    return [col.desc() if desc else col.asc() for col, desc in keys]


def next_cursor(rows: list[Any], params: PageParams, key_of: Any) -> tuple[list[Any], str | None]:
    """Trim the extra row; the cursor encodes the last returned row's sort key."""
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    return rows, encode_cursor(key_of(rows[-1]))


def page_of(rows: list[R], params: PageParams, key_of: Callable[[R], list[Any]],
            read: Callable[[R], T]) -> Page[T]:
    """The page answered for the rows a `keyset` statement returned: the extra row trimmed,
    each row read, the cursor set."""
    rows, cursor = next_cursor(rows, params, key_of)
    return Page(items=[read(r) for r in rows], next_cursor=cursor)
