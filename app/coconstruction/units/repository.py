"""SQL for units and their registrations with communities, starting from the caller's scope."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.scope import in_paths, readable, visible_paths
from app.core.security import Principal
from app.models import Unit, UnitRegistration


async def unit_visible(session: AsyncSession, principal: Principal, unit_id: int) -> Unit | None:
    stmt = select(Unit).where(Unit.id == unit_id,
                              in_paths(Unit.org_path, visible_paths(principal)))
    return (await session.execute(stmt)).scalar_one_or_none()


async def unit_exists(session: AsyncSession, unit_id: int) -> Unit | None:
    return await session.get(Unit, unit_id)


async def unit_by_code(session: AsyncSession, code: str) -> Unit | None:
    """Unscoped: codes are unique across the district."""
    return (await session.execute(select(Unit).where(Unit.code == code))).scalar_one_or_none()


async def list_units(session: AsyncSession, principal: Principal, *, filters: list[Any],
                     page: PageParams) -> list[Unit]:
    stmt = select(Unit).where(readable(principal, Unit.org_path, Perm.unit_read), *filters)
    return list((await session.execute(keyset(stmt, [(Unit.id, False)], page))).scalars())


async def registration(session: AsyncSession, unit_id: int, reg_id: int
                       ) -> UnitRegistration | None:
    stmt = select(UnitRegistration).where(UnitRegistration.id == reg_id,
                                          UnitRegistration.unit_id == unit_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def active_registration(session: AsyncSession, unit_id: int, community_id: int
                              ) -> UnitRegistration | None:
    stmt = select(UnitRegistration).where(UnitRegistration.unit_id == unit_id,
                                          UnitRegistration.community_id == community_id,
                                          UnitRegistration.status == "active")
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_registrations(session: AsyncSession, unit_id: int, *, status: str | None,
                             page: PageParams) -> list[UnitRegistration]:
    """Of a unit the caller has already been authorized to read."""
    stmt = select(UnitRegistration).where(UnitRegistration.unit_id == unit_id)
    if status is not None:
        stmt = stmt.where(UnitRegistration.status == status)
    keys = [(UnitRegistration.id, False)]
    return list((await session.execute(keyset(stmt, keys, page))).scalars())


async def community_units(session: AsyncSession, principal: Principal, community_id: int, *,
                          page: PageParams) -> list[tuple[Unit, UnitRegistration]]:
    """Units actively registered with a community, read through the registration's path."""
    stmt: Select[Any] = cast(Select[Any], (
        select(Unit, UnitRegistration)
        .join(Unit, Unit.id == UnitRegistration.unit_id)
        .where(readable(principal, UnitRegistration.org_path, Perm.unit_read),
               UnitRegistration.community_id == community_id,
               UnitRegistration.status == "active")
    ))
    rows = await session.execute(keyset(stmt, [(UnitRegistration.id, False)], page))
    return [(u, r) for u, r in rows]
