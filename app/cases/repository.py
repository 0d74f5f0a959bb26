"""SQL for cases. Every read starts from `readable_cases`: the grid path in the caller's
cases:read scope, the handler org in their cases:handle scope, or a case they report or hold.
One exception, `near` (duplicate suggestions), reads a few columns of every case; see there."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Row,
    Select,
    String,
    and_,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.core.pagination import PageParams, keyset, keyset_template, keyset_values
from app.core.permissions import ROLE_PERMISSIONS, Perm
from app.core.reads import Shaped
from app.core.scope import in_path_params, in_paths, path_params, scope_paths
from app.core.security import Principal
from app.models import Case, CaseAttachment, CaseCategory, CaseEvent, RoleAssignment, User
from app.models.base import table_of, with_defaults


def visible(principal: Principal) -> ColumnElement[bool]:
    cached: ColumnElement[bool] | None = principal.memo.get("cases.visible")
    if cached is not None:
        return cached
    conds = [
        in_paths(Case.org_path, scope_paths(principal, Perm.case_read)),
        in_paths(Case.handler_org_path, scope_paths(principal, Perm.case_handle)),
        Case.reporter_key == principal.key,
    ]
    if principal.kind == "user":
        conds.append(Case.assignee_id == principal.id)
    principal.memo["cases.visible"] = condition = or_(*conds)
    return condition


def readable_cases(principal: Principal) -> Select[Case]:
    return select(Case).where(visible(principal))


async def get_visible(session: AsyncSession, principal: Principal, case_id: int) -> Case | None:
    stmt = readable_cases(principal).where(Case.id == case_id)
    case: Case | None = (await session.execute(stmt)).scalar_one_or_none()
    return case


# A case's attachment ids as "3,7,9" in the case's own row: one statement for a whole page.
# The separator is literal SQL: a plain "," would be a parameter rendered into the SQL text
# on every execution (the stub asks for a str; SQLAlchemy takes any expression).
_SEPARATOR: Any = literal_column("','")
_ATTACHMENT_IDS = (
    select(func.aggregate_strings(cast(CaseAttachment.id, String), _SEPARATOR))
    .where(CaseAttachment.case_id == Case.id)
    .correlate(Case.__table__)
    .scalar_subquery()
    .label("attachment_csv")
)


_NEWEST_FIRST = [(Case.id, True)]


def _listed(principal: Principal, filters: list[Any]) -> Select[Any]:
    return _listed_where(visible(principal), filters)


def _listed_where(condition: ColumnElement[bool], filters: list[Any]) -> Select[Any]:
    return select(*Case.__table__.c, _ATTACHMENT_IDS).where(condition, *filters)


def list_statement(principal: Principal, *, filters: list[Any], page: PageParams
                   ) -> Select[Any]:
    return keyset(_listed(principal, filters), _NEWEST_FIRST, page)


async def list_rows(session: AsyncSession, principal: Principal, *, filters: list[Any],
                    page: PageParams) -> list[Any]:
    """The page as plain rows (the case's columns plus `attachment_csv`), no ORM objects: the
    hot list endpoint pays neither identity-map loading nor a second statement."""
    if filters:
        stmt = list_statement(principal, filters=filters, page=page)
        # On the session's connection (same transaction): a Core statement run through
        # `session.execute` still pays for ORM result set-up.
        return list((await (await session.connection()).execute(stmt)).all())
    # The most common page, everything the caller may see: a compiled read per shape of the
    # caller's scope, its values bound (app/core/reads.py; straight to the driver on PostgreSQL).
    read_paths = scope_paths(principal, Perm.case_read)
    handle_paths = scope_paths(principal, Perm.case_handle)
    user = principal.kind == "user"
    read = _PAGES[(len(read_paths), len(handle_paths), user, bool(page.cursor))]
    return await read.all(
        session, reporter_key=principal.key, **({"assignee_id": principal.id} if user else {}),
        **path_params(read_paths, "read"), **path_params(handle_paths, "handle"),
        **keyset_values(_NEWEST_FIRST, page))


def _page_shape(shape: tuple[int, int, bool, bool]) -> Select[Any]:
    """`visible` with its values as parameters, as a keyset page."""
    n_read, n_handle, user, after = shape
    conds = [in_path_params(Case.org_path, n_read, "read"),
             in_path_params(Case.handler_org_path, n_handle, "handle"),
             Case.reporter_key == bindparam("reporter_key")]
    if user:
        conds.append(Case.assignee_id == bindparam("assignee_id"))
    return keyset_template(_listed_where(or_(*conds), []), _NEWEST_FIRST, after=after)


_PAGES: Shaped[tuple[int, int, bool, bool]] = Shaped(_page_shape)


def split_ids(csv: str | None) -> list[int]:
    return sorted(int(v) for v in csv.split(",")) if csv else []


# What a duplicate check needs of a case the caller may not see (schemas.NearbyCase): id,
# category_code, status, reported_at, lng, lat, and in_scope.
NearRow = Row[int, str, str, datetime, float, float, bool]


async def near(session: AsyncSession, principal: Principal, *, category_code: str,
               box: tuple[float, float, float, float], since: datetime, statuses: list[str]
               ) -> list[NearRow]:
    """Unfinished cases of a category in a box, whoever's they are: a duplicate is as likely
    20 m across a grid or community line as inside it. The one case read that does not start
    from `readable_cases`, so it reads only the columns of `NearRow`, `in_scope` saying whether
    the caller sees the case; a case's other columns come through `visible_by_ids`."""
    west, south, east, north = box
    stmt = select(Case.id, Case.category_code, Case.status, Case.reported_at, Case.lng,
                  Case.lat, visible(principal).label("in_scope")).where(
        Case.category_code == category_code,
        Case.lat >= south, Case.lat <= north, Case.lng >= west, Case.lng <= east,
        Case.reported_at >= since, Case.status.in_(statuses),
    ).order_by(Case.id.desc()).limit(50)
    return list((await session.execute(stmt)).all())


async def visible_by_ids(session: AsyncSession, principal: Principal, ids: list[int]
                         ) -> list[Case]:
    if not ids:
        return []
    stmt = readable_cases(principal).where(Case.id.in_(ids))
    return list((await session.execute(stmt)).scalars())


async def by_client_ref(session: AsyncSession, reporter_key: str, client_ref: str
                        ) -> Case | None:
    stmt = select(Case).where(Case.reporter_key == reporter_key, Case.client_ref == client_ref)
    case: Case | None = (await session.execute(stmt)).scalar_one_or_none()
    return case


async def handling_paths(session: AsyncSession, user_id: int) -> list[str]:
    """Org paths where an active user holds a role that may handle cases."""
    roles = [r.value for r, perms in ROLE_PERMISSIONS.items() if Perm.case_handle in perms]
    stmt = (
        select(RoleAssignment.org_path)
        .join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.user_id == user_id, RoleAssignment.role.in_(roles),
               User.is_active.is_(True))
    )
    return list((await session.execute(stmt)).scalars())


_CASES = table_of(Case)
# What a report writes: every column but the id and the code, which the statement works out.
_REPORTED = tuple(c for c in _CASES.c if c.key not in ("id", "code"))
_INSERTS: dict[str, Any] = {}


def _insert_statement(dialect: str) -> Any:
    """INSERT … SELECT that takes the next id itself and writes the code from it, so a report
    is one statement, not an INSERT and an UPDATE of the code. PostgreSQL draws the id from
    the column's sequence. SQLite takes max(id) + 1, which is how it assigns an INTEGER
    PRIMARY KEY anyway; the statement runs under the write lock, so no other writer can take
    the same id in between."""
    if dialect == "postgresql":
        n = select(func.nextval(func.pg_get_serial_sequence("cases", "id")).label("id")
                   ).subquery("n")
        text_id = cast(n.c.id, String)
        # Seven digits at least, never truncated (lpad would cut an eight-digit id).
        digits = func.lpad(text_id, func.greatest(7, func.length(text_id)), "0")
    else:
        n = select((func.coalesce(func.max(_CASES.c.id), 0) + 1).label("id")).subquery("n")
        digits = func.printf("%07d", n.c.id)
    code = bindparam("code_prefix", type_=String) + digits
    columns = [bindparam(c.key, type_=c.type) for c in _REPORTED]
    return (insert(_CASES)
            .from_select(["id", "code", *(c.key for c in _REPORTED)],
                         select(n.c.id, code, *columns))
            .returning(*_CASES.c))


async def insert_reported(session: AsyncSession, values: dict[str, Any], code_prefix: str
                          ) -> Row[Any]:
    """A new case with code `code_prefix` + its id (7 digits or more), as a row of all its
    columns. Columns missing from `values` take the model's defaults, else NULL."""
    conn = await session.connection()
    stmt = _INSERTS.get(conn.dialect.name)
    if stmt is None:
        stmt = _INSERTS[conn.dialect.name] = _insert_statement(conn.dialect.name)
    params = dict.fromkeys(c.key for c in _REPORTED)
    params.update(with_defaults(_CASES, values))
    params["code_prefix"] = code_prefix
    return (await conn.execute(stmt, params)).one()


async def all_categories(session: AsyncSession) -> list[CaseCategory]:
    return list((await session.execute(select(CaseCategory))).scalars())


async def categories(session: AsyncSession) -> list[CaseCategory]:
    stmt = select(CaseCategory).where(CaseCategory.is_active.is_(True)).order_by(
        CaseCategory.sort, CaseCategory.code
    )
    return list((await session.execute(stmt)).scalars())


async def timeline(session: AsyncSession, case_id: int) -> list[CaseEvent]:
    stmt = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
    return list((await session.execute(stmt)).scalars())


async def last_actor(session: AsyncSession, case_id: int, action: str) -> str | None:
    """Who last took `action` on the case (the timeline's actor key), if anyone did."""
    stmt = (select(CaseEvent.actor).where(CaseEvent.case_id == case_id, CaseEvent.action == action)
            .order_by(CaseEvent.id.desc()).limit(1))
    actor: str | None = (await session.execute(stmt)).scalar_one_or_none()
    return actor


async def attachment_ids(session: AsyncSession, case_ids: list[int]) -> dict[int, list[int]]:
    if not case_ids:
        return {}
    rows = await session.execute(
        select(CaseAttachment.case_id, CaseAttachment.id)
        .where(CaseAttachment.case_id.in_(case_ids)).order_by(CaseAttachment.id)
    )
    out: dict[int, list[int]] = {}
    for case_id, att_id in rows:
        if case_id is not None:
            out.setdefault(case_id, []).append(att_id)
    return out


def unbound() -> ColumnElement[bool]:
    """An upload nothing holds yet (an orphan until a report binds it)."""
    return and_(CaseAttachment.case_id.is_(None), CaseAttachment.wish_id.is_(None),
                CaseAttachment.task_report_id.is_(None), CaseAttachment.meeting_id.is_(None))


async def bind_uploads(session: AsyncSession, owner: str, ids: set[int], *,
                       case_id: int | None = None, wish_id: int | None = None,
                       task_report_id: int | None = None, meeting_id: int | None = None) -> int:
    """Bind the owner's uploads that nothing holds yet to a case, a wish, a task report or a
    meeting's minutes, in one conditional
    UPDATE; returns how many were bound. The condition is re-checked under the row lock, so
    two requests binding the same upload at once cannot both have it."""
    result = await session.execute(
        update(CaseAttachment)
        .where(CaseAttachment.id.in_(ids), CaseAttachment.uploaded_by == owner,
               unbound())
        .values(case_id=case_id, wish_id=wish_id, task_report_id=task_report_id,
                meeting_id=meeting_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


async def attachment(session: AsyncSession, att_id: int) -> CaseAttachment | None:
    return await session.get(CaseAttachment, att_id)
