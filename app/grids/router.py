"""Grids and their staff; finding the grid that contains a point."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response, status

from app.core.auth import CurrentPrincipal
from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.pagination import Page, PageDep, next_cursor
from app.core.permissions import Perm
from app.core.routing import DomainRouter
from app.grids import service
from app.grids.schemas import CrsQuery, GridCreate, GridRead, GridUpdate, StaffIn, StaffRead

router = DomainRouter(prefix="/grids", tags=["grids"])


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent],
             responses=problems(404, 403, 409, 422))
async def create_grid(body: GridCreate, principal: CurrentPrincipal, session: SessionDep,
                      response: Response) -> GridRead:
    """在社区下新建网格，同时建立其网格党支部；边界为 GeoJSON Polygon。"""
    grid = await service.create(session, principal, body)
    set_etag(response, grid.version)
    return service.grid_read(grid, [])


@router.get("", responses=problems(400))
async def list_grids(
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    community_id: Annotated[Id | None, Query()] = None,
    street_id: Annotated[Id | None, Query()] = None,
    crs: CrsQuery = "wgs84",
) -> Page[GridRead]:
    """列出可见范围内的网格（含一长两员）；边界按 crs 输出（小程序地图用 gcj02）。"""
    rows = await service.list_page(session, principal, community_id=community_id,
                                   street_id=street_id, page=page)
    rows, cursor = next_cursor(rows, page, lambda g: [g.id])
    return Page(items=await service.reads(session, rows, crs), next_cursor=cursor)


@router.get("/locate", responses=problems(404))
async def locate_grid(
    principal: CurrentPrincipal,
    session: SessionDep,
    lng: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    crs: CrsQuery = "wgs84",
) -> GridRead:
    """按坐标查找所在网格（小程序定位为 gcj02）；不在任何可见网格内时 404。返回的边界与
    查询坐标同一坐标系（crs）。"""
    grid = await service.locate(session, principal, lng, lat, crs)
    return (await service.reads(session, [grid], crs))[0]


@router.get("/{grid_id}", responses=problems(404, 403))
async def get_grid(grid_id: Id, principal: CurrentPrincipal, session: SessionDep,
                   response: Response, crs: CrsQuery = "wgs84") -> GridRead:
    """网格详情；边界按 crs 输出（小程序地图用 gcj02）。"""
    read = await service.read_one(session, principal, grid_id, crs)
    set_etag(response, read.version)
    return read


@router.patch("/{grid_id}", responses=problems(404, 403, 409, 412, 422))
async def update_grid(grid_id: Id, body: GridUpdate, principal: CurrentPrincipal,
                      session: SessionDep, response: Response, if_match: IfMatch = None
                      ) -> GridRead:
    grid = await service.get(session, principal, grid_id, Perm.grid_write)
    check_if_match(if_match, grid.version)
    grid = await service.update(session, principal, grid, body)
    set_etag(response, grid.version)
    return (await service.reads(session, [grid]))[0]


@router.delete("/{grid_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problems(404, 403, 409, 412))
async def delete_grid(grid_id: Id, principal: CurrentPrincipal, session: SessionDep,
                      if_match: IfMatch = None) -> Response:
    """删除网格及其网格党支部；支部下仍有数据时 409。"""
    grid = await service.get(session, principal, grid_id, Perm.grid_write)
    check_if_match(if_match, grid.version)
    await service.delete(session, principal, grid)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/{grid_id}/staff", responses=problems(404, 403, 422))
async def put_grid_staff(grid_id: Id, body: StaffIn, principal: CurrentPrincipal,
                         session: SessionDep) -> StaffRead:
    """设置一长两员：恰好一名网格长、至少一名网格员；同步相应角色分配。"""
    grid = await service.get(session, principal, grid_id, Perm.grid_staff)
    return await service.set_staff(session, principal, grid, body)
