"""SQL for grids and their staff, starting from the caller's scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Row, Select, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.reads import Read, Shaped
from app.core.scope import in_path_params, in_paths, path_params, readable, visible_paths
from app.core.security import Principal
from app.models import Grid, GridStaff


def readable_grids(principal: Principal) -> Select[Grid]:
    return select(Grid).where(readable(principal, Grid.org_path, Perm.grid_read))


async def get_visible(session: AsyncSession, principal: Principal, grid_id: int) -> Grid | None:
    stmt = select(Grid).where(Grid.id == grid_id,
                              in_paths(Grid.org_path, visible_paths(principal)))
    return (await session.execute(stmt)).scalar_one_or_none()


# `GET /grids/{id}` as compiled reads (app/core/reads.py): the grid's columns as a row, one
# statement shape per number of subtrees in the caller's scope, and its staff.
_VISIBLE: Shaped[int] = Shaped(lambda n: select(*Grid.__table__.c).where(
    Grid.id == bindparam("grid_id"), in_path_params(Grid.org_path, n)))
_STAFF_OF_ONE = Read(select(*GridStaff.__table__.c).where(
    GridStaff.grid_id == bindparam("grid_id")).order_by(GridStaff.id))


async def get_visible_row(session: AsyncSession, principal: Principal, grid_id: int) -> Any:
    """The grid as a row with the model's attribute names, if the caller sees it."""
    paths = visible_paths(principal)
    return await _VISIBLE[len(paths)].first(session, grid_id=grid_id, **path_params(paths))


async def staff_of_grid(session: AsyncSession, grid_id: int) -> list[Any]:
    return await _STAFF_OF_ONE.all(session, grid_id=grid_id)


async def list_page(session: AsyncSession, principal: Principal, *, community_id: int | None,
                    street_id: int | None, page: PageParams) -> list[Grid]:
    stmt = readable_grids(principal)
    if community_id is not None:
        stmt = stmt.where(Grid.community_id == community_id)
    if street_id is not None:
        stmt = stmt.where(Grid.street_id == street_id)
    return list((await session.execute(keyset(stmt, [(Grid.id, False)], page))).scalars())


def _containing_bbox(stmt: Select[Any], lng: Any, lat: Any) -> Select[Any]:
    return stmt.where(
        Grid.min_lng <= lng, Grid.max_lng >= lng, Grid.min_lat <= lat, Grid.max_lat >= lat
    ).order_by(Grid.id)


async def candidates_at(session: AsyncSession, principal: Principal, lng: float, lat: float
                        ) -> list[Grid]:
    stmt = _containing_bbox(readable_grids(principal), lng, lat)
    return list((await session.execute(stmt)).scalars())


# Unscoped: placing a report needs every grid; the caller's right is checked after. Built once
# with bound coordinates and read as plain rows (no ORM loading): it runs on every report.
# The boundary itself is not read: the version says whether the parsed polygon cached in
# the process is still this grid's (`boundary_of` reads it when it is not).
_PLACED: list[Any] = [Grid.id, Grid.org_path, Grid.street_id, Grid.community_id, Grid.version,
                      Grid.created_at]
_PLACEMENT = _containing_bbox(
    select(*_PLACED),
    bindparam("lng", type_=Float), bindparam("lat", type_=Float))
_BOUNDARY = select(Grid.version, Grid.created_at, Grid.boundary).where(
    Grid.id == bindparam("grid_id"))


async def candidates_anywhere(session: AsyncSession, lng: float, lat: float) -> list[Row[Any]]:
    """Grids whose bounding box holds the point, as rows of the facts a report copies."""
    result = await (await session.connection()).execute(_PLACEMENT, {"lng": lng, "lat": lat})
    return list(result.all())


async def boundary_of(session: AsyncSession, grid_id: int) -> Row[Any] | None:
    """A grid's (version, boundary)."""
    result = await (await session.connection()).execute(_BOUNDARY, {"grid_id": grid_id})
    return result.one_or_none()


async def staff_of(session: AsyncSession, grid_ids: list[int]) -> list[GridStaff]:
    if not grid_ids:
        return []
    stmt = select(GridStaff).where(GridStaff.grid_id.in_(grid_ids)).order_by(GridStaff.id)
    return list((await session.execute(stmt)).scalars())


async def clear_staff(session: AsyncSession, grid_id: int) -> None:
    await session.execute(delete(GridStaff).where(GridStaff.grid_id == grid_id))
