"""SQL for seconded cadres: a cadre is reached by the served org's path or its unit's
(`readable_rows`); the summary counts by the served org's path only."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.coconstruction.repository import readable_rows
from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.scope import in_paths, readable, visible_paths
from app.core.security import Principal
from app.models import Cadre, Org, Unit, User


async def cadre_visible(session: AsyncSession, principal: Principal, cadre_id: int
                        ) -> tuple[Cadre, str] | None:
    seen = visible_paths(principal)
    stmt = (select(Cadre, Unit.org_path).join(Unit, Unit.id == Cadre.unit_id)
            .where(Cadre.id == cadre_id,
                   or_(in_paths(Cadre.org_path, seen), in_paths(Unit.org_path, seen))))
    row = (await session.execute(stmt)).one_or_none()
    return (row[0], row[1]) if row else None


def active_on(day: date) -> ColumnElement[bool]:
    return (Cadre.starts_on <= day) & or_(Cadre.ends_on.is_(None), Cadre.ends_on >= day)


async def list_cadres(session: AsyncSession, principal: Principal, *, filters: list[Any],
                      page: PageParams) -> list[Cadre]:
    stmt = select(Cadre).where(readable_rows(principal, Cadre), *filters)
    return list((await session.execute(keyset(stmt, [(Cadre.id, False)], page))).scalars())


async def cadre_counts(session: AsyncSession, principal: Principal, *, under: str | None,
                       day: date) -> list[tuple[int | None, int | None, str, int]]:
    """(street_id, community_id, rank, count) of cadres serving on `day`, in one GROUP BY.
    Counted by the served org's path only: a summary is the streets' and communities' view."""
    stmt = (select(Cadre.street_id, Cadre.community_id, Cadre.rank, func.count())
            .where(readable(principal, Cadre.org_path, Perm.unit_read), active_on(day))
            .group_by(Cadre.street_id, Cadre.community_id, Cadre.rank))
    if under is not None:
        stmt = stmt.where(in_paths(Cadre.org_path, [under]))
    return [(s, c, r, n) for s, c, r, n in (await session.execute(stmt))]


async def user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def org_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Org.id, Org.name).where(Org.id.in_(ids)))
    return {i: n for i, n in rows}
