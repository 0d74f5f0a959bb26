"""Keyset pagination: `limit` 1..100, an opaque `cursor`, and `next_cursor` in the page.

A cursor carries a short tag of the list that made it (the route's path): one handed to
another list, or a malformed one, is a 422, not a page of that list starting at a foreign id."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic_core import PydanticCustomError
from sqlalchemy import Integer, Select, and_, bindparam, or_
from sqlalchemy.sql.elements import ColumnElement

from app.core.errors import Unprocessable

MIN_LIMIT, MAX_LIMIT = 1, 100
_BOUNDS = frozenset({"greater_than_equal", "less_than_equal", "greater_than", "less_than"})
T = TypeVar("T")
R = TypeVar("R")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int
    cursor: str | None
    list_key: str = ""  # which list the cursor belongs to (page_params: the route's path)


class PageQuery(BaseModel):
    """`limit` and `cursor` as a query-parameter model (`Annotated[Model, Query()]`): list
    endpoints with filters of their own extend it, the others take `page_params`."""

    limit: int = Field(20, ge=MIN_LIMIT, le=MAX_LIMIT, description="每页条数 (1..100)")
    cursor: str | None = Field(None, description="上一页返回的 next_cursor（`<列表标记>.<id>`）")

    @field_validator("limit", mode="wrap")
    @classmethod
    def _limit_in_range(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """An out-of-range limit says the range (1..100), not only "greater than or equal
        to 1"; core/errors.py gives its Chinese text."""
        try:
            return handler(value)
        except ValidationError as exc:
            if any(e["type"] in _BOUNDS for e in exc.errors()):
                raise PydanticCustomError(
                    "limit_range", "limit must be between {min} and {max} ({min}..{max})",
                    {"min": MIN_LIMIT, "max": MAX_LIMIT}) from None
            raise

    def page(self, list_key: str) -> PageParams:
        if self.cursor is not None:
            decode_cursor(self.cursor, 1, list_key)  # a malformed one is a 422 before any work
        return PageParams(limit=self.limit, cursor=self.cursor, list_key=list_key)


async def page_params(query: Annotated[PageQuery, Query()], request: Request) -> PageParams:
    route = request.scope.get("route")
    return query.page(getattr(route, "path_format", request.url.path))


PageDep = Annotated[PageParams, Depends(page_params)]




class InvalidCursor(Unprocessable):
    code, zh, en = "invalid_cursor", "分页游标无效", "Invalid pagination cursor"


class ForeignCursor(InvalidCursor):
    code = "invalid_cursor"
    zh = "分页游标来自另一个列表，请使用本列表上一页返回的 next_cursor"
    en = "The cursor belongs to another list: pass the next_cursor this list returned"


def list_tag(list_key: str) -> str:
    """8 hex digits naming the list (its route path) a cursor was made by."""
    return hashlib.blake2s(list_key.encode(), digest_size=4).hexdigest()


# Every list here is ordered by one integer id, so a cursor is `<list tag>.<last id>`: a
# pattern (published per list, app/core/openapi.py) that only cursors this list can make match.
# 18 digits at most keep the id inside BIGINT; anything else would reach the driver and fail.
_CURSOR = re.compile(r"([0-9a-f]{8})\.([1-9][0-9]{0,17})")


def cursor_pattern(list_key: str) -> str:
    return rf"^{list_tag(list_key)}\.[1-9][0-9]{{0,17}}$"


def encode_cursor(values: Sequence[Any], list_key: str = "") -> str:
    (value,) = values
    return f"{list_tag(list_key)}.{int(value)}"


def decode_cursor(cursor: str, arity: int, list_key: str = "") -> list[Any]:
    """The cursor's id; 422 for one that is malformed or made by another list."""
    match = _CURSOR.fullmatch(cursor)
    if match is None or arity != 1:
        raise InvalidCursor()
    if match.group(1) != list_tag(list_key):
        raise ForeignCursor()
    return [int(match.group(2))]


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
        values = decode_cursor(params.cursor, len(keys), params.list_key)
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
    values = decode_cursor(params.cursor, len(keys), params.list_key) if params.cursor else []
    return {"page_limit": params.limit + 1} | {f"page_after_{i}": v for i, v in enumerate(values)}


def _order(keys: Sequence[tuple[Any, bool]]) -> list[Any]:
    return [col.desc() if desc else col.asc() for col, desc in keys]


def next_cursor(rows: list[Any], params: PageParams, key_of: Any) -> tuple[list[Any], str | None]:
    """Trim the extra row; the cursor encodes the last returned row's sort key."""
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    return rows, encode_cursor(key_of(rows[-1]), params.list_key)


def page_of(rows: list[R], params: PageParams, key_of: Callable[[R], list[Any]],
            read: Callable[[R], T]) -> Page[T]:
    """The page answered for the rows a `keyset` statement returned: the extra row trimmed,
    each row read, the cursor set."""
    rows, cursor = next_cursor(rows, params, key_of)
    return Page(items=[read(r) for r in rows], next_cursor=cursor)
