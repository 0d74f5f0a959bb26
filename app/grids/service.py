"""Grids: created with their grid_branch node, bounded by a polygon, staffed by
"one head, two staff" (grid head, grid workers, party-building instructors)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.errors import NotFound, Unprocessable, field_error
from app.core.geo import Crs, polygon_from_wgs84, to_wgs84
from app.core.pagination import PageParams
from app.core.permissions import Perm, Role
from app.core.scope import authorize, sees
from app.core.security import Principal
from app.grids import boundary as geo
from app.grids import repository as repo
from app.grids.errors import GridCodeTaken, GridNotFound
from app.grids.schemas import GridCreate, GridRead, GridUpdate, PolygonIn, StaffIn, StaffRead
from app.models import Grid, GridStaff, RoleAssignment
from app.models.scoped import scope_from
from app.orgs import service as orgs
from app.orgs.errors import OrgNotEmpty
from app.orgs.schemas import OrgKind
from app.users import service as users

STAFF_ROLES = (Role.grid_head, Role.grid_worker, Role.party_instructor)
BRANCH_SUFFIX = "党支部"
ORG_NAME_MAX = 100  # orgs.name is String(100), as is grids.name


async def get(session: AsyncSession, principal: Principal, grid_id: int,
              permission: Perm = Perm.grid_read) -> Grid:
    grid: Grid = _authorized(principal, await repo.get_visible(session, principal, grid_id),
                             permission)
    return grid


def _authorized(principal: Principal, grid: Any, permission: Perm) -> Any:
    """The grid (an object or a row) if the caller may use it with `permission`: 404 when
    they cannot see it, 403 when only the right lacks."""
    if grid is None:
        raise GridNotFound()
    authorize(principal, permission, grid.org_path, not_found=GridNotFound())
    return grid


async def read_one(session: AsyncSession, principal: Principal, grid_id: int, crs: Crs
                   ) -> GridRead:
    """`GET /grids/{id}`: the same checks as `get`, read as rows (no ORM objects): the
    per-request floor of the most read grid endpoint (bench/floor.py)."""
    grid = _authorized(principal, await repo.get_visible_row(session, principal, grid_id),
                       Perm.grid_read)
    return grid_read(grid, await repo.staff_of_grid(session, grid_id), crs)


def branch_name(grid_name: str) -> str:
    # A 100-character grid name plus the suffix would overflow orgs.name (a 500 on PostgreSQL).
    return grid_name[: ORG_NAME_MAX - len(BRANCH_SUFFIX)] + BRANCH_SUFFIX


def _apply_boundary(grid: Grid, boundary: PolygonIn | None, crs: Crs | None) -> None:
    if boundary is None:
        return
    shape = geo.normalize(boundary, crs)
    grid.boundary = shape
    grid.min_lng, grid.min_lat, grid.max_lng, grid.max_lat = geo.bbox(shape)


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        raise GridCodeTaken() from exc


async def create(session: AsyncSession, principal: Principal, data: GridCreate) -> Grid:
    community = await orgs.get(session, principal, data.community_id, Perm.grid_write)
    if community.kind != OrgKind.community:
        raise Unprocessable("网格只能建在社区下", "Grids belong to a community",
                            code="grid_parent_not_community",
                            errors=[{"field": "community_id", "message": "not a community"}])
    branch = await orgs.add_node(session, principal, community, OrgKind.grid_branch,
                                 branch_name(data.name), None)
    # The branch sits under the community: its path, street and community are the grid's.
    grid = Grid(branch_id=branch.id, **scope_from(branch), name=data.name, code=data.code,
                level=data.level)
    _apply_boundary(grid, data.boundary, data.crs)
    session.add(grid)
    await _flush(session)
    await audit.record(session, principal, "grid.create", "grid", grid.id, org_path=grid.org_path)
    return grid


async def update(session: AsyncSession, principal: Principal, grid: Grid, data: GridUpdate
                 ) -> Grid:
    fields = data.model_dump(exclude_unset=True, exclude={"boundary", "crs"})
    if "name" in fields and fields["name"] is None:
        raise Unprocessable(errors=[{"field": "name", "message": "不能为空"}])
    # The branch is read before the grid changes: its query would flush them first, and a
    # taken code would then fail there (a 500) instead of in `_flush` (409 grid_code_taken).
    branch = (await orgs.get(session, principal, grid.branch_id, Perm.org_read)
              if "name" in fields else None)
    for field, value in fields.items():
        setattr(grid, field, value)
    if branch is not None:
        branch.name = branch_name(grid.name)  # the branch is named after its grid
    _apply_boundary(grid, data.boundary, data.crs)
    await _flush(session)
    await audit.record(session, principal, "grid.update", "grid", grid.id, org_path=grid.org_path)
    return grid


async def delete(session: AsyncSession, principal: Principal, grid: Grid) -> None:
    """Remove the grid, its branch and its staff roles; accounts homed on the branch move up
    to the community. Anything else still under the branch (building groups…) → 409."""
    branch = await orgs.get(session, principal, grid.branch_id, Perm.grid_write)
    community = await orgs.get(session, principal, branch.parent_id or 0, Perm.org_read)
    await _replace_assignments(session, principal, grid, [])
    await repo.clear_staff(session, grid.id)
    await users.rehome(session, principal, branch, community)
    await session.delete(grid)
    try:
        await session.flush()
    except IntegrityError as exc:  # rows of other domains (cases…) still point at the grid
        raise OrgNotEmpty() from exc
    await orgs.delete(session, principal, branch, grid_removed=True)


async def list_page(session: AsyncSession, principal: Principal, *, community_id: int | None,
                    street_id: int | None, page: PageParams) -> list[Grid]:
    return await repo.list_page(session, principal, community_id=community_id,
                                street_id=street_id, page=page)


_SHAPES = geo.Shapes()  # parsed grid polygons (report placement and locate)


async def locate(session: AsyncSession, principal: Principal, lng: float, lat: float,
                 crs: Crs) -> Grid:
    w_lng, w_lat = to_wgs84(lng, lat, crs)
    for grid in await repo.candidates_at(session, principal, w_lng, w_lat):
        stamp = (grid.version, grid.created_at)
        known, polygon = _SHAPES.get(grid.id, stamp)
        if not known:
            polygon = _SHAPES.put(grid.id, stamp, grid.boundary)
        if polygon is not None and geo.covers(polygon, w_lng, w_lat):
            return grid
    raise NotFound("该位置不在任何可见网格内", "No visible grid contains this point",
                   code="grid_not_located")


async def place(session: AsyncSession, lng: float, lat: float) -> Row[Any] | None:
    """The grid containing a WGS-84 point, whoever asks (reports are placed before any scope
    check; the caller's right to report there is checked against the grid found): its id,
    org_path, street_id, community_id and version."""
    for grid in await repo.candidates_anywhere(session, lng, lat):
        polygon = await _polygon(session, grid.id, (grid.version, grid.created_at))
        if polygon is not None and geo.covers(polygon, lng, lat):
            return grid
    return None


async def _polygon(session: AsyncSession, grid_id: int, stamp: tuple[int, Any]) -> Any:
    known, polygon = _SHAPES.get(grid_id, stamp)
    if known:
        return polygon
    row = await repo.boundary_of(session, grid_id)
    # Versions read in one statement and the next may differ (an edit in between): the
    # polygon is cached under the version it was read with.
    return _SHAPES.put(grid_id, (row.version, row.created_at), row.boundary) if (
        row is not None) else None


async def referenced(session: AsyncSession, principal: Principal, grid_id: int,
                     field: str = "grid_id") -> Grid:
    """A grid named in a request body: one the caller cannot see reads exactly like one that
    does not exist (422 naming the field). The caller's right to act there is checked after."""
    grid = await session.get(Grid, grid_id)
    if grid is None or not sees(principal, grid.org_path):
        raise field_error(field, "网格不存在", "No such grid")
    return grid


async def by_id(session: AsyncSession, grid_id: int) -> Grid | None:
    """Unscoped lookup for the same purpose as `place`."""
    return await session.get(Grid, grid_id)


def staff_read(staff: list[GridStaff], grid_id: int) -> StaffRead:
    mine = [s for s in staff if s.grid_id == grid_id]
    head = next((s.user_id for s in mine if s.role == Role.grid_head), None)
    return StaffRead(
        head_user_id=head,
        worker_user_ids=[s.user_id for s in mine if s.role == Role.grid_worker],
        instructor_user_ids=[s.user_id for s in mine if s.role == Role.party_instructor],
    )


def grid_read(grid: Grid, staff: list[GridStaff], crs: Crs = "wgs84") -> GridRead:
    """The boundary is stored in WGS-84 and answered in `crs` (a mini-program map draws in
    GCJ-02: the same polygon in WGS-84 is drawn some hundreds of metres off)."""
    boundary = polygon_from_wgs84(grid.boundary, crs) if grid.boundary else None
    return GridRead(
        id=grid.id, community_id=grid.community_id, branch_id=grid.branch_id,
        street_id=grid.street_id, name=grid.name, code=grid.code, level=grid.level,
        boundary=boundary, crs=crs, staff=staff_read(staff, grid.id), org_path=grid.org_path,
        version=grid.version, created_at=grid.created_at, updated_at=grid.updated_at,
    )


async def reads(session: AsyncSession, grids: list[Grid], crs: Crs = "wgs84"
                ) -> list[GridRead]:
    """Grids with their staff: one extra statement for the whole page."""
    staff = await repo.staff_of(session, [g.id for g in grids])
    return [grid_read(g, staff, crs) for g in grids]


def _wanted(data: StaffIn) -> list[tuple[int, Role]]:
    wanted = [(data.head_user_id, Role.grid_head)]
    wanted += [(u, Role.grid_worker) for u in data.worker_user_ids]
    wanted += [(u, Role.party_instructor) for u in data.instructor_user_ids]
    people = [data.head_user_id, *data.worker_user_ids]
    if len(set(people)) != len(people) or len(set(data.instructor_user_ids)) != len(
        data.instructor_user_ids
    ):
        raise Unprocessable("同一人不能重复出现（网格长也不能兼任本网格网格员）",
                            "A person appears twice (the head cannot also be a worker)",
                            code="grid_staff_duplicate")
    return wanted


async def _replace_assignments(session: AsyncSession, principal: Principal, grid: Grid,
                               wanted: list[tuple[int, Role]]) -> None:
    """Make the grid roles held on the grid's branch node match `wanted` exactly."""
    stmt = select(RoleAssignment).where(
        RoleAssignment.org_id == grid.branch_id, RoleAssignment.role.in_(STAFF_ROLES)
    )
    current = list((await session.execute(stmt)).scalars())
    keep = set(wanted)
    for a in current:
        if (a.user_id, Role(a.role)) not in keep:
            await users.revoke(session, principal, a)
    have = {(a.user_id, Role(a.role)) for a in current}
    branch = await orgs.get(session, principal, grid.branch_id, Perm.org_read)
    for user_id, role in wanted:
        if (user_id, role) not in have:
            user = await users.get(session, principal, user_id)
            await users.grant(session, principal, user, role, branch)


async def set_staff(session: AsyncSession, principal: Principal, grid: Grid, data: StaffIn
                    ) -> StaffRead:
    wanted = _wanted(data)
    await _replace_assignments(session, principal, grid, wanted)
    await repo.clear_staff(session, grid.id)
    rows = [GridStaff(grid_id=grid.id, user_id=u, role=r) for u, r in wanted]
    session.add_all(rows)
    await session.flush()
    await audit.record(session, principal, "grid.staff", "grid", grid.id, org_path=grid.org_path,
                       detail=data.model_dump())
    return staff_read(rows, grid.id)
