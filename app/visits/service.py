"""Household visit logs (走访): which household, why, what came of it, and the case to follow up.

Rules:
- only the grid's own staff log visits there (a role held on the grid's branch with
  `visits:write`);
- a log is a record: it is corrected, never deleted. Its author may correct it for
  `EDIT_WINDOW`; after that, and for anyone else's, it takes `visits:manage` (admins) in scope.
  Every correction bumps `version` (If-Match → 412) and writes an audit row naming the fields
  changed, never their values: notes may name people.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases import service as cases
from app.core import audit
from app.core.concurrency import flush_versioned
from app.core.errors import field_error
from app.core.geo import Crs, from_wgs84, in_china, to_wgs84
from app.core.pagination import PageParams
from app.core.permissions import Perm
from app.core.scope import authorize, covers, holds_on_node, scope_paths, sees
from app.core.security import Principal
from app.core.types import utcnow
from app.grids import service as grids
from app.models import Grid, Household, Visit
from app.models.scoped import scope_from
from app.visits import repository as repo
from app.visits.errors import EditWindowClosed, NotGridStaff, NotVisitAuthor, VisitNotFound
from app.visits.schemas import PURPOSE_LABELS, Purpose, VisitCreate, VisitRead, VisitUpdate

CLOCK_SKEW = timedelta(minutes=5)
MAX_BACKDATE = timedelta(days=30)  # as for a case captured offline
EDIT_WINDOW = timedelta(days=7)
REQUIRED = ("household_ref", "visited_at", "purpose")


async def get(session: AsyncSession, principal: Principal, visit_id: int) -> Visit:
    visit = await repo.get_visible(session, principal, visit_id)
    if visit is None:
        raise VisitNotFound()
    authorize(principal, Perm.visit_read, visit.org_path, not_found=VisitNotFound())
    return visit


async def _grid(session: AsyncSession, principal: Principal, grid_id: int) -> Grid:
    grid = await grids.referenced(session, principal, grid_id)
    if not holds_on_node(principal, Perm.visit_write, grid.org_path):
        raise NotGridStaff()
    return grid


def _check_visited_at(value: datetime, now: datetime, logged_at: datetime) -> None:
    if value > now + CLOCK_SKEW:
        raise field_error("visited_at", "走访时间不能晚于当前时间", "visited_at is in the future")
    if value < logged_at - MAX_BACKDATE:
        raise field_error("visited_at", "走访时间不能早于记录时间 30 天以上",
                     "visited_at is more than 30 days before the log")


def _location(lng: float | None, lat: float | None, crs: Crs) -> tuple[float | None, float | None]:
    """Both coordinates or neither; stored WGS-84."""
    if lng is None and lat is None:
        return None, None
    if lng is None or lat is None:
        missing = "lat" if lat is None else "lng"
        raise field_error(missing, "经度和纬度须同时提供", "lng and lat go together")
    w_lng, w_lat = to_wgs84(lng, lat, crs)
    if not in_china(w_lng, w_lat):
        raise field_error("lng", "坐标不在中国境内（请检查 crs 与经纬度顺序）",
                     "Not a location in China (check crs and the lng/lat order)")
    return w_lng, w_lat


async def _check_case(session: AsyncSession, principal: Principal, case_id: int | None) -> None:
    if case_id is not None and await cases.find_visible(session, principal, case_id) is None:
        raise field_error("follow_up_case_id", "案件不存在", "No such case")


async def _check_household(session: AsyncSession, principal: Principal, grid_id: int,
                           household_id: int | None) -> None:
    """A linked household is one of the visit's grid that the caller sees; any other reads like
    a missing one (422 naming the field), so the check reveals nothing outside the caller."""
    if household_id is None:
        return
    household = await session.get(Household, household_id)
    if household is None or household.grid_id != grid_id or not sees(principal,
                                                                      household.org_path):
        raise field_error("household_id", "住户不存在或不在该网格",
                          "No such household in this grid")


async def create(session: AsyncSession, principal: Principal, data: VisitCreate
                 ) -> tuple[Visit, bool]:
    """Returns (visit, created). A repeated `client_ref` returns the first log."""
    if principal.kind != "user":
        raise NotGridStaff()
    if data.client_ref:
        existing = await repo.by_client_ref(session, principal.id, data.client_ref)
        if existing is not None:
            return existing, False
    grid = await _grid(session, principal, data.grid_id)
    now = utcnow()
    _check_visited_at(data.visited_at, now, now)
    lng, lat = _location(data.lng, data.lat, data.crs)
    await _check_case(session, principal, data.follow_up_case_id)
    await _check_household(session, principal, grid.id, data.household_id)
    visit = Visit(grid_id=grid.id, **scope_from(grid), author_id=principal.id,
                  household_ref=data.household_ref, household_id=data.household_id,
                  address=data.address,
                  visited_at=data.visited_at, purpose=data.purpose, notes=data.notes,
                  people_met=data.people_met, follow_up_case_id=data.follow_up_case_id,
                  lng=lng, lat=lat, client_ref=data.client_ref)
    try:
        async with session.begin_nested():
            session.add(visit)
    except IntegrityError:
        # The same client_ref from a retry that raced this request and committed first.
        existing = (await repo.by_client_ref(session, principal.id, data.client_ref)
                    if data.client_ref else None)
        if existing is None:
            raise
        return existing, False
    await audit.record(session, principal, "visit.create", "visit", visit.id,
                       org_path=visit.org_path, detail={"purpose": visit.purpose})
    return visit, True


def authorize_edit(principal: Principal, visit: Visit) -> None:
    """The author within the edit window, or an admin (`visits:manage`) in scope."""
    if any(covers(p, visit.org_path) for p in scope_paths(principal, Perm.visit_manage)):
        return
    if principal.kind != "user" or visit.author_id != principal.id:
        raise NotVisitAuthor()
    if not holds_on_node(principal, Perm.visit_write, visit.org_path):
        raise NotGridStaff()
    if utcnow() - visit.created_at > EDIT_WINDOW:
        raise EditWindowClosed()


async def update(session: AsyncSession, principal: Principal, visit: Visit, data: VisitUpdate
                 ) -> Visit:
    fields = data.model_dump(exclude_unset=True, exclude={"lng", "lat", "crs"})
    for name in REQUIRED:
        if name in fields and fields[name] is None:
            raise field_error(name, "不能为空", "must not be null")
    if fields.get("visited_at") is not None:
        _check_visited_at(fields["visited_at"], utcnow(), visit.created_at)
    if fields.get("follow_up_case_id") not in (None, visit.follow_up_case_id):
        await _check_case(session, principal, fields["follow_up_case_id"])
    if fields.get("household_id") not in (None, visit.household_id):
        await _check_household(session, principal, visit.grid_id, fields["household_id"])
    if {"lng", "lat"} & data.model_fields_set:
        visit.lng, visit.lat = _location(data.lng, data.lat, data.crs)
    for name, value in fields.items():
        setattr(visit, name, value)
    changed = sorted(set(fields) | ({"lng", "lat"} & data.model_fields_set))
    await flush_versioned(session)
    # Field names only: the values (notes above all) may be personal data.
    await audit.record(session, principal, "visit.update", "visit", visit.id,
                       org_path=visit.org_path, detail={"fields": changed})
    return visit


def list_filters(*, grid_id: int | None, community_id: int | None, author_id: int | None,
                 purpose: Purpose | None, household_ref: str | None, start: datetime | None,
                 end: datetime | None, household_id: int | None = None) -> list[Any]:
    out: list[Any] = []
    if grid_id is not None:
        out.append(Visit.grid_id == grid_id)
    if community_id is not None:
        out.append(Visit.community_id == community_id)
    if author_id is not None:
        out.append(Visit.author_id == author_id)
    if purpose is not None:
        out.append(Visit.purpose == purpose.value)
    if household_ref is not None:
        out.append(Visit.household_ref == household_ref)
    if household_id is not None:
        out.append(Visit.household_id == household_id)
    if start is not None:
        out.append(Visit.visited_at >= start)
    if end is not None:
        out.append(Visit.visited_at < end)
    return out


async def list_page(session: AsyncSession, principal: Principal, *, filters: list[Any],
                    page: PageParams) -> list[Visit]:
    return await repo.list_page(session, principal, filters=filters, page=page)


def visit_read(visit: Visit, crs: Crs = "wgs84") -> VisitRead:
    lng, lat = visit.lng, visit.lat
    if lng is not None and lat is not None:
        lng, lat = from_wgs84(lng, lat, crs)
    purpose = Purpose(visit.purpose)
    return VisitRead(
        id=visit.id, grid_id=visit.grid_id, community_id=visit.community_id,
        street_id=visit.street_id, org_path=visit.org_path, author_id=visit.author_id,
        household_ref=visit.household_ref, household_id=visit.household_id,
        address=visit.address, visited_at=visit.visited_at, purpose=purpose,
        purpose_label=PURPOSE_LABELS[purpose], notes=visit.notes, people_met=visit.people_met,
        follow_up_case_id=visit.follow_up_case_id, lng=lng, lat=lat, crs=crs,
        client_ref=visit.client_ref, version=visit.version, created_at=visit.created_at,
        updated_at=visit.updated_at,
    )
