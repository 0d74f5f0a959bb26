"""SQL of the Open311 face. Every case read starts from `readable_cases`: what a third-party
client sees through the API (its cases:read subtree, and the cases it reported itself)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.cases import service as cases
from app.core.scope import in_paths
from app.core.security import Principal
from app.models import ApiClient, Case, CaseAttachment, CaseCategory, CaseEvent, Grid, Org
from app.open311.mapping import RequestRow

Handler = aliased(Org)


# Handler.name is typed str but comes back None when the outer join finds no handler.
RequestSelect = Select[Case, str, float | None, str, str | None, str]


def readable_cases(principal: Principal) -> RequestSelect:
    return (
        select(Case, CaseCategory.name, CaseCategory.time_limit_hours, Grid.name, Grid.code,
               Handler.name)
        .join(CaseCategory, CaseCategory.code == Case.category_code)
        .join(Grid, Grid.id == Case.grid_id)
        .outerjoin(Handler, Handler.id == Case.handler_org_id)
        .where(cases.visibility(principal))
    )


def _rows(result: Any) -> list[RequestRow]:
    return [RequestRow(case=c, service_name=name, time_limit_hours=hours, grid_name=grid,
                       grid_code=code, agency=agency)
            for c, name, hours, grid, code, agency in result]


async def by_codes(session: AsyncSession, principal: Principal, codes: list[str]
                   ) -> list[RequestRow]:
    stmt = readable_cases(principal).where(Case.code.in_(codes)).order_by(Case.id.desc())
    return _rows(await session.execute(stmt))


async def search(session: AsyncSession, principal: Principal, *, start: datetime,
                 end: datetime, services: list[str], states: list[str] | None, offset: int,
                 limit: int) -> list[RequestRow]:
    stmt = readable_cases(principal).where(Case.reported_at >= start, Case.reported_at <= end)
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


async def events(session: AsyncSession, principal: Principal, *, start: datetime,
                 end: datetime, offset: int, limit: int) -> list[tuple[CaseEvent, str]]:
    stmt = (
        select(CaseEvent, Case.code).join(Case, Case.id == CaseEvent.case_id)
        .where(cases.visibility(principal), CaseEvent.at >= start, CaseEvent.at <= end)
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
