"""SQL for the register, starting from the caller's scope."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.scope import in_paths, readable, visible_paths
from app.core.security import Principal
from app.models import Building, Household, Resident, ResidentImport

Row = TypeVar("Row", Building, Household, Resident, ResidentImport)


async def get_visible(session: AsyncSession, principal: Principal, model: type[Row],
                      row_id: int) -> Row | None:
    """The row if any grant covers it (the permission is checked by the service: 404 vs 403)."""
    stmt = select(model).where(model.id == row_id,
                               in_paths(model.org_path, visible_paths(principal)))
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_page(session: AsyncSession, principal: Principal, model: type[Row], *,
                    filters: list[Any], page: PageParams, newest_first: bool = False
                    ) -> list[Row]:
    stmt = select(model).where(readable(principal, model.org_path, Perm.people_read), *filters)
    order = [(model.id, newest_first)]
    return list((await session.execute(keyset(stmt, order, page))).scalars())


async def resident_by_index(session: AsyncSession, id_number_index: str) -> Resident | None:
    """Unscoped: uniqueness holds across the district."""
    stmt = select(Resident).where(Resident.id_number_index == id_number_index)
    return (await session.execute(stmt)).scalar_one_or_none()
