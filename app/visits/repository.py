"""SQL for household visit logs, starting from the caller's scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.scope import in_paths, readable, visible_paths
from app.core.security import Principal
from app.models import Visit


def readable_visits(principal: Principal) -> Select[Visit]:
    return select(Visit).where(readable(principal, Visit.org_path, Perm.visit_read))


async def get_visible(session: AsyncSession, principal: Principal, visit_id: int) -> Visit | None:
    stmt = select(Visit).where(Visit.id == visit_id,
                               in_paths(Visit.org_path, visible_paths(principal)))
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_page(session: AsyncSession, principal: Principal, *, filters: list[Any],
                    page: PageParams) -> list[Visit]:
    stmt = readable_visits(principal).where(*filters)
    return list((await session.execute(keyset(stmt, [(Visit.id, True)], page))).scalars())


async def by_client_ref(session: AsyncSession, author_id: int, client_ref: str) -> Visit | None:
    stmt = select(Visit).where(Visit.author_id == author_id, Visit.client_ref == client_ref)
    return (await session.execute(stmt)).scalar_one_or_none()
