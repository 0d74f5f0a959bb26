"""SQL of the Open311 face. Every case read starts from `readable_cases` with one of two
scopes: `client_scope`, what a third-party client sees through the API (its cases:read subtree,
and the cases it reported itself), or `public_scope`, what anyone may read without a key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from app.cases import service as cases
from app.core.scope import in_paths
from app.core.security import Principal
from app.models import ApiClient, Case, CaseAttachment, CaseCategory, CaseEvent, Grid, Org
from app.open311.mapping import RequestRow
from app.orgs.schemas import OrgKind

Handler = aliased(Org)
# Case categories whose cases anyone may read: things in public space (数字城管 components and
# events). Community affairs (kind "community": family conflicts, care of the elderly, follow-up
# of psychiatric patients, rented rooms) are about households and people: a key is needed.
PUBLIC_KINDS = ("component", "event")


# Handler.name is typed str but comes back None when the outer join finds no handler.
RequestSelect = Select[Case, str, float | None, str, str | None, str]


def client_scope(principal: Principal) -> ColumnElement[bool]:
    return cases.visibility(principal)


def public_scope(district_paths: list[str]) -> ColumnElement[bool]:
    """Cases of the deployment's district (`district_paths`) in a public-space category."""
    public_categories = select(CaseCategory.code).where(CaseCategory.kind.in_(PUBLIC_KINDS))
    return and_(in_paths(Case.org_path, district_paths),
                Case.category_code.in_(public_categories))


async def district_paths(session: AsyncSession) -> list[str]:
    """The paths of the org tree's roots: the district this deployment serves."""
    stmt = select(Org.path).where(Org.parent_id.is_(None), Org.kind == OrgKind.district)
    return list((await session.execute(stmt)).scalars())


def readable_cases(scope: ColumnElement[bool]) -> RequestSelect:
    return (
        select(Case, CaseCategory.name, CaseCategory.time_limit_hours, Grid.name, Grid.code,
               Handler.name)
        .join(CaseCategory, CaseCategory.code == Case.category_code)
        .join(Grid, Grid.id == Case.grid_id)
        .outerjoin(Handler, Handler.id == Case.handler_org_id)
        .where(scope)
    )


def _rows(result: Any) -> list[RequestRow]:
    return [RequestRow(case=c, service_name=name, time_limit_hours=hours, grid_name=grid,
                       grid_code=code, agency=agency)
            for c, name, hours, grid, code, agency in result]


async def by_codes(session: AsyncSession, scope: ColumnElement[bool], codes: list[str]
                   ) -> list[RequestRow]:
    stmt = readable_cases(scope).where(Case.code.in_(codes)).order_by(Case.id.desc())
    return _rows(await session.execute(stmt))


async def search(session: AsyncSession, scope: ColumnElement[bool], *, start: datetime,
                 end: datetime, services: list[str], states: list[str] | None, offset: int,
                 limit: int) -> list[RequestRow]:
    stmt = readable_cases(scope).where(Case.reported_at >= start, Case.reported_at <= end)
    if services:
        stmt = stmt.where(Case.category_code.in_(services))
    if states is not None:
        stmt = stmt.where(Case.status.in_(states))
    stmt = stmt.order_by(Case.reported_at.desc(), Case.id.desc()).offset(offset).limit(limit)
    return _rows(await session.execute(stmt))


async def first_attachments(session: AsyncSession, case_ids: list[int]) -> dict[int, int]:
    """The first photo of each case, for `media_url` (one statement for a whole page)."""
    if not case_ids:
        return {}
    stmt = (select(CaseAttachment.case_id, func.min(CaseAttachment.id))
            .where(CaseAttachment.case_id.in_(case_ids)).group_by(CaseAttachment.case_id))
    return {case_id: att_id for case_id, att_id in await session.execute(stmt)
            if case_id is not None}


async def events(session: AsyncSession, scope: ColumnElement[bool], *, start: datetime,
                 end: datetime, offset: int, limit: int) -> list[tuple[CaseEvent, str]]:
    stmt = (
        select(CaseEvent, Case.code).join(Case, Case.id == CaseEvent.case_id)
        .where(scope, CaseEvent.at >= start, CaseEvent.at <= end)
        .order_by(CaseEvent.at, CaseEvent.id).offset(offset).limit(limit)
    )
    return [(event, code) for event, code in await session.execute(stmt)]


async def client_by_prefix(session: AsyncSession, prefix: str) -> ApiClient | None:
    stmt = select(ApiClient).where(ApiClient.api_key_prefix == prefix)
    client: ApiClient | None = (await session.execute(stmt)).scalar_one_or_none()
    return client


async def grid_by_code(session: AsyncSession, paths: list[str], code: str) -> Grid | None:
    stmt = select(Grid).where(Grid.code == code, in_paths(Grid.org_path, paths))
    grid: Grid | None = (await session.execute(stmt)).scalar_one_or_none()
    return grid


async def grids_named_in(session: AsyncSession, paths: list[str], address: str) -> list[Grid]:
    """Grids within `paths` whose name (or code) appears in the address text. LIKE may
    over-match on `%`/`_` in a name; the caller confirms with a plain substring test."""
    text = literal(address)
    stmt = (select(Grid).where(in_paths(Grid.org_path, paths),
                               or_(text.like("%" + Grid.name + "%"),
                                   text.like("%" + Grid.code + "%")))
            .order_by(Grid.id).limit(20))
    found = (await session.execute(stmt)).scalars()
    return [g for g in found if g.name in address or (g.code and g.code in address)]
