"""Patrols (巡查): a grid worker starts one in their grid, uploads the GPS track in batches as the
network allows, links the cases raised on the way, and ends it.

Rules:
- only the grid's own staff log patrols there (a role held on the grid's branch with
  `patrols:write`; admins hold the right only so they can grant grid roles);
- one running patrol per worker; one left running and quiet for `STALE_AFTER` is ended at its
  last fix when the worker starts the next, so a phone that died mid-patrol blocks nothing;
- only the patrol's worker adds points, ends it or links cases (403 for others in scope);
- a point belongs to the patrol's time window; points, ending and links stay open for
  `LATE_UPLOAD` after the end, for phones that come back online late, then the log is closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from anyio import to_thread
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases import service as cases
from app.core import audit
from app.core.concurrency import flush_versioned
from app.core.errors import (
    Conflict,
    Unprocessable,
    field_error,
)
from app.core.geo import Crs, from_wgs84, in_china, to_wgs84
from app.core.i18n import t
from app.core.pagination import PageParams
from app.core.permissions import Perm
from app.core.scope import authorize, holds_on_node
from app.core.security import Principal
from app.core.types import utcnow
from app.grids import service as grids
from app.models import Grid, Patrol, PatrolCase
from app.models.scoped import scope_from
from app.patrols import repository as repo
from app.patrols.errors import (
    NotGridStaff,
    NotPatrolOwner,
    PatrolAlreadyRunning,
    PatrolClosed,
    PatrolNotFound,
    TrackFull,
)
from app.patrols.schemas import (
    PatrolDetail,
    PatrolEnd,
    PatrolRead,
    PatrolStart,
    PatrolStatus,
    PointsIn,
    TrackPoint,
)
from app.patrols.track import Fix, distance_m, simplify

CLOCK_SKEW = timedelta(minutes=5)  # phone clocks run a little ahead
WINDOW_SLACK = timedelta(minutes=2)  # a fix taken just before "start" was pressed
MAX_BACKDATE = timedelta(days=7)  # an offline patrol uploaded later
STALE_AFTER = timedelta(hours=12)
LATE_UPLOAD = timedelta(hours=24)
MAX_POINTS = 20_000  # more than 5 hours at one fix a second
MAX_ERRORS = 10


async def get(session: AsyncSession, principal: Principal, patrol_id: int) -> Patrol:
    patrol = await repo.get_visible(session, principal, patrol_id)
    if patrol is None:
        raise PatrolNotFound()
    authorize(principal, Perm.patrol_read, patrol.org_path, not_found=PatrolNotFound())
    return patrol


async def get_own(session: AsyncSession, principal: Principal, patrol_id: int) -> Patrol:
    """The caller's own patrol, locked for the write: 404 outside, 403 someone else's."""
    patrol = await repo.get_visible(session, principal, patrol_id, lock=True)
    if patrol is None:
        raise PatrolNotFound()
    if principal.kind != "user" or patrol.worker_id != principal.id:
        raise NotPatrolOwner()
    if not holds_on_node(principal, Perm.patrol_write, patrol.org_path):
        raise NotGridStaff()
    return patrol


async def _grid(session: AsyncSession, principal: Principal, grid_id: int) -> Grid:
    grid = await grids.referenced(session, principal, grid_id)
    if not holds_on_node(principal, Perm.patrol_write, grid.org_path):
        raise NotGridStaff()
    return grid


def _check_time(name: str, value: datetime, now: datetime, oldest: datetime) -> None:
    if value > now + CLOCK_SKEW or value < oldest:
        raise field_error(name, "时间不能晚于当前时间，也不能早于允许的范围",
                     f"{name} must not be in the future or too far in the past")


def _close(patrol: Patrol, at: datetime, *, auto: bool) -> None:
    patrol.status = PatrolStatus.ended
    patrol.ended_at = at
    patrol.running_worker_id = None
    patrol.auto_ended = auto


async def _make_room(session: AsyncSession, worker_id: int, now: datetime) -> None:
    """One running patrol per worker; a stale one is ended at its last sign of life."""
    running = await repo.running_of(session, worker_id)
    if running is None:
        return
    quiet_since = running.last_point_at or running.started_at
    if now - quiet_since < STALE_AFTER:
        raise PatrolAlreadyRunning(running.id)
    _close(running, quiet_since, auto=True)
    await session.flush()


async def start(session: AsyncSession, principal: Principal, data: PatrolStart
                ) -> tuple[Patrol, bool]:
    """Returns (patrol, created). A repeated `client_ref` returns the first patrol."""
    if principal.kind != "user":
        raise NotGridStaff()
    if data.client_ref:
        existing = await repo.by_client_ref(session, principal.id, data.client_ref)
        if existing is not None:
            return existing, False
    grid = await _grid(session, principal, data.grid_id)
    now = utcnow()
    started_at = data.started_at or now
    _check_time("started_at", started_at, now, now - MAX_BACKDATE)
    await _make_room(session, principal.id, now)
    patrol = Patrol(grid_id=grid.id, **scope_from(grid), worker_id=principal.id,
                    status=PatrolStatus.running, started_at=started_at,
                    running_worker_id=principal.id, notes=data.notes, client_ref=data.client_ref)
    try:
        async with session.begin_nested():
            session.add(patrol)
    except IntegrityError:
        # A concurrent start (a retry with the same client_ref, or a second phone) won.
        if data.client_ref:
            existing = await repo.by_client_ref(session, principal.id, data.client_ref)
            if existing is not None:
                return existing, False
        running = await repo.running_of(session, principal.id)
        if running is None:
            raise
        raise PatrolAlreadyRunning(running.id) from None
    await audit.record(session, principal, "patrol.start", "patrol", patrol.id,
                       org_path=patrol.org_path)
    return patrol, True


def _check_open(patrol: Patrol, now: datetime) -> None:
    if patrol.ended_at is not None and now - patrol.ended_at > LATE_UPLOAD:
        raise PatrolClosed()


def _point_errors(patrol: Patrol, fixes: Sequence[Fix], now: datetime) -> list[dict[str, Any]]:
    low = patrol.started_at - WINDOW_SLACK
    high = patrol.ended_at + WINDOW_SLACK if patrol.ended_at else now + CLOCK_SKEW
    errors: list[dict[str, Any]] = []
    for i, fix in enumerate(fixes):
        if not low <= fix.at <= high:
            errors.append({"field": f"points.{i}.at", "message": t(
                "定位时间不在本次巡查的时间范围内", "Outside the patrol's time window")})
        elif not in_china(fix.lng, fix.lat):
            errors.append({"field": f"points.{i}", "message": t(
                "坐标不在中国境内（请检查 crs 与经纬度顺序）",
                "Not a location in China (check crs and the lng/lat order)")})
        if len(errors) == MAX_ERRORS:
            break
    return errors


def _fixes(data: PointsIn) -> list[Fix]:
    out = []
    for p in data.points:
        lng, lat = to_wgs84(p.lng, p.lat, data.crs)
        out.append(Fix(p.at.astimezone(UTC), lng, lat, p.accuracy))
    return out


async def add_points(session: AsyncSession, patrol: Patrol, data: PointsIn) -> int:
    """Store a batch (any order); fixes already stored (same time) are skipped, so a re-sent
    batch changes nothing. Returns how many were new. Distance is recomputed over the whole
    track, so a batch arriving late still lands in its place."""
    now = utcnow()
    _check_open(patrol, now)
    fixes = _fixes(data)
    errors = _point_errors(patrol, fixes, now)
    if errors:
        raise Unprocessable("部分轨迹点无效，整批未保存",
                            "Some points are invalid; nothing was saved",
                            code="patrol_invalid_points", errors=errors)
    stored = await repo.track(session, patrol.id)
    new: dict[datetime, Fix] = {}
    seen = {f.at for f in stored}
    for fix in fixes:
        if fix.at not in seen and fix.at not in new:
            new[fix.at] = fix
    if not new:
        return 0
    if len(stored) + len(new) > MAX_POINTS:
        raise TrackFull(MAX_POINTS)
    rows = [{"patrol_id": patrol.id, "at": f.at, "lng": f.lng, "lat": f.lat,
             "accuracy": f.accuracy} for f in new.values()]
    try:
        await repo.add_points(session, rows)
    except IntegrityError as exc:  # the same fixes from a concurrent retry of this batch
        raise Conflict("轨迹点正在由另一请求写入，请重试",
                       "Points are being written by another request; retry",
                       code="patrol_points_busy") from exc
    fixes_now = sorted([*stored, *new.values()], key=lambda f: f.at)
    patrol.point_count = len(fixes_now)
    patrol.last_point_at = fixes_now[-1].at
    patrol.distance_m = round(distance_m(fixes_now), 1)
    await flush_versioned(session)
    return len(new)


async def end(session: AsyncSession, principal: Principal, patrol: Patrol, data: PatrolEnd
              ) -> Patrol:
    """End the patrol. Ending an ended patrol again (a retry) changes nothing."""
    if patrol.status == PatrolStatus.ended:
        return patrol
    now = utcnow()
    ended_at = data.ended_at or max(now, patrol.last_point_at or now)
    _check_time("ended_at", ended_at, now, patrol.started_at)
    if patrol.last_point_at and ended_at < patrol.last_point_at:
        raise field_error("ended_at", "结束时间早于已上传的轨迹点",
                          "ended_at is before recorded points")
    if data.notes is not None:
        patrol.notes = data.notes
    _close(patrol, ended_at, auto=False)
    await flush_versioned(session)
    await audit.record(session, principal, "patrol.end", "patrol", patrol.id,
                       org_path=patrol.org_path,
                       detail={"distance_m": patrol.distance_m, "points": patrol.point_count})
    return patrol


async def link_case(session: AsyncSession, principal: Principal, patrol: Patrol, case_id: int
                    ) -> tuple[PatrolCase, bool]:
    """Returns (link, created); linking the same case again returns the first link."""
    _check_open(patrol, utcnow())
    if await cases.find_visible(session, principal, case_id) is None:
        raise field_error("case_id", "案件不存在", "No such case")
    existing = await repo.case_link(session, patrol.id, case_id)
    if existing is not None:
        return existing, False
    link = PatrolCase(patrol_id=patrol.id, case_id=case_id, linked_by=principal.id)
    try:
        async with session.begin_nested():
            session.add(link)
    except IntegrityError:
        raced = await repo.case_link(session, patrol.id, case_id)
        if raced is None:
            raise
        return raced, False
    await audit.record(session, principal, "patrol.link_case", "patrol", patrol.id,
                       org_path=patrol.org_path, detail={"case_id": case_id})
    return link, True


def list_filters(*, grid_id: int | None, community_id: int | None, worker_id: int | None,
                 status: PatrolStatus | None, start: datetime | None, end: datetime | None
                 ) -> list[Any]:
    out: list[Any] = []
    if grid_id is not None:
        out.append(Patrol.grid_id == grid_id)
    if community_id is not None:
        out.append(Patrol.community_id == community_id)
    if worker_id is not None:
        out.append(Patrol.worker_id == worker_id)
    if status is not None:
        out.append(Patrol.status == status.value)
    if start is not None:
        out.append(Patrol.started_at >= start)
    if end is not None:
        out.append(Patrol.started_at < end)
    return out


async def list_page(session: AsyncSession, principal: Principal, *, filters: list[Any],
                    page: PageParams) -> list[Patrol]:
    return await repo.list_page(session, principal, filters=filters, page=page)


def patrol_read(patrol: Patrol, case_ids: list[int]) -> PatrolRead:
    duration = (patrol.ended_at - patrol.started_at).total_seconds() if patrol.ended_at else None
    return PatrolRead(
        id=patrol.id, grid_id=patrol.grid_id, community_id=patrol.community_id,
        street_id=patrol.street_id, org_path=patrol.org_path, worker_id=patrol.worker_id,
        status=PatrolStatus(patrol.status), started_at=patrol.started_at,
        ended_at=patrol.ended_at, auto_ended=patrol.auto_ended,
        duration_s=round(duration) if duration is not None else None,
        distance_m=patrol.distance_m, point_count=patrol.point_count,
        last_point_at=patrol.last_point_at, notes=patrol.notes, client_ref=patrol.client_ref,
        case_ids=case_ids, version=patrol.version, created_at=patrol.created_at,
        updated_at=patrol.updated_at,
    )


async def reads(session: AsyncSession, patrols: list[Patrol]) -> list[PatrolRead]:
    """Patrols for a response: one extra statement for the whole page, whatever its size."""
    links = await repo.case_ids(session, [p.id for p in patrols])
    return [patrol_read(p, links.get(p.id, [])) for p in patrols]


async def detail(session: AsyncSession, patrol: Patrol, *, crs: Crs, simplify_m: float
                 ) -> PatrolDetail:
    (summary,) = await reads(session, [patrol])
    fixes = await repo.track(session, patrol.id)
    # GEOS releases the GIL: a long track is simplified off the event loop.
    shown = await to_thread.run_sync(simplify, fixes, simplify_m) if simplify_m > 0 else fixes
    track = []
    for f in shown:
        lng, lat = from_wgs84(f.lng, f.lat, crs)
        track.append(TrackPoint(lng=lng, lat=lat, at=f.at, accuracy=f.accuracy))
    return PatrolDetail(**summary.model_dump(), crs=crs, simplified=len(shown) < len(fixes),
                        track=track)
