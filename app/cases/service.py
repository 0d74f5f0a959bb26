"""Reporting cases and moving them through the workflow (rules.py holds the table)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.cases import categories, events
from app.cases import repository as repo
from app.cases.actors import acting_role
from app.cases.calendar import WorkCalendar
from app.cases.errors import (
    CaseNotFound,
    CategoryNotLeaf,
    InvalidTransition,
    OutsideArea,
    OutsideGrids,
    UnknownCategory,
    VerifierIsResolver,
)
from app.cases.rules import FINAL, OPEN, RULES, UNFINISHED, Rule
from app.cases.schemas import Action, CaseCreate, CaseListQuery, Status, TransitionIn
from app.core import audit, rows
from app.core.concurrency import flush_versioned
from app.core.config import Settings
from app.core.errors import Forbidden, Unprocessable, field_error
from app.core.geo import haversine_m, to_wgs84
from app.core.pagination import next_cursor
from app.core.permissions import Perm
from app.core.scope import covers, scope_paths
from app.core.security import Principal
from app.core.types import utcnow
from app.grids import boundary
from app.grids import service as grids
from app.models import Case, CaseAttachment, CaseEvent, Grid
from app.models.base import table_of
from app.models.scoped import scope_from
from app.orgs import service as orgs
from app.volunteers.points import credits as points_credits

CAPTURE_MAX_AGE = timedelta(days=30)
CLOCK_SKEW = timedelta(minutes=5)
GRID_TOLERANCE_M = 200  # how far outside a named grid a reported location may be
NEARBY_METRES = 50.0  # duplicate suggestions: this close…
NEARBY_HOURS = 72  # …and this recent
_EVENTS = table_of(CaseEvent)
CASES_LIST = "/api/v1/cases"  # GET /cases's cursors carry it (the route path, as page_params)


def visibility(principal: Principal) -> ColumnElement[bool]:
    """Which cases the caller can see, as a SQL condition (for other domains' queries)."""
    return repo.visible(principal)


async def find_visible(session: AsyncSession, principal: Principal, case_id: int
                       ) -> Case | None:
    return await repo.get_visible(session, principal, case_id)


async def get(session: AsyncSession, principal: Principal, case_id: int) -> Case:
    case = await repo.get_visible(session, principal, case_id)
    if case is None:
        raise CaseNotFound()
    return case


@dataclass(frozen=True)
class Nearby:
    """A duplicate suggestion: its row of `repo.near`, how far it is, and the case itself when
    the caller may see it (read through the caller's scope), else None."""

    row: repo.NearRow
    distance_m: float
    case: Case | None


async def nearby(session: AsyncSession, principal: Principal, *, lng: float, lat: float,
                 category_code: str) -> list[Nearby]:
    """Unfinished cases (suspended ones too) of the category within 50 m of the WGS-84 point,
    reported in the last 72 hours, whoever's they are: the reporter should hear of the case
    20 m away across a grid line too. Three statements at most, whatever the count."""
    d = 0.0006  # ≈ 67 m of latitude; ×1.3 in longitude still spans 50 m up to 53° N
    box = (lng - d * 1.3, lat - d, lng + d * 1.3, lat + d)
    rows = await repo.near(session, principal, category_code=category_code, box=box,
                           since=utcnow() - timedelta(hours=NEARBY_HOURS),
                           statuses=[s.value for s in UNFINISHED])
    close = [(r, haversine_m(lng, lat, r.lng, r.lat)) for r in rows]
    close = [(r, m) for r, m in close if m <= NEARBY_METRES]
    seen = await repo.visible_by_ids(session, principal, [r.id for r, _ in close if r.in_scope])
    by_id = {c.id: c for c in seen}
    return [Nearby(r, m, by_id.get(r.id)) for r, m in close]


async def _grid_for(session: AsyncSession, principal: Principal, data: CaseCreate,
                    lng: float, lat: float) -> Grid | Row[Any]:
    """The grid a report goes to (a grid row when placed by location): id, org_path,
    street_id and community_id are what a case takes from it."""
    grid = await grids.by_id(session, data.grid_id) if data.grid_id else await grids.place(
        session, lng, lat)
    if grid is None and data.grid_id:
        raise field_error("grid_id", "网格不存在", "No such grid")
    if grid is None:
        raise OutsideGrids()
    if not any(covers(p, grid.org_path) for p in scope_paths(principal, Perm.case_report)):
        raise OutsideArea()
    if data.grid_id and grid.boundary and (
            boundary.distance_m(grid.boundary, lng, lat) > GRID_TOLERANCE_M):
        # A grid named by hand must be where the case is (a phone's fix may be a little off):
        # a case filed under the wrong grid lands in the wrong people's scope.
        raise field_error("grid_id", f"案件位置不在该网格内（超出 {GRID_TOLERANCE_M} 米）",
                          f"The location is more than {GRID_TOLERANCE_M} m outside this grid")
    return grid


async def _unreportable(session: AsyncSession, code: str) -> NoReturn:
    """Why a case cannot be filed under `code`: a group names the leaves to choose from."""
    choices = await categories.leaves_under(session, code)
    if choices:
        raise CategoryNotLeaf((await categories.names(session)).get(code, code), choices)
    raise UnknownCategory(errors=[{"field": "category_code", "message": "unknown"}])


def _check_capture(captured_at: datetime | None, now: datetime) -> None:
    if captured_at is None:
        return
    if captured_at > now + CLOCK_SKEW or captured_at < now - CAPTURE_MAX_AGE:
        raise field_error("captured_at", "记录时间不能晚于当前时间或早于 30 天前",
                     "captured_at must be in the last 30 days and not in the future")


async def create(session: AsyncSession, principal: Principal, data: CaseCreate,
                 calendar: WorkCalendar, *, source: str | None = None
                 ) -> tuple[Case | Row[Any], bool]:
    """Returns (case, created): a new case as the row it was written as (one INSERT, no ORM
    object), a repeated `client_ref` the first case."""
    if data.client_ref:
        existing = await repo.by_client_ref(session, principal.key, data.client_ref)
        if existing is not None:
            return existing, False
    category = await categories.reportable(session, data.category_code)
    if category is None or category.time_limit_hours is None:
        await _unreportable(session, data.category_code)
    now = utcnow()
    _check_capture(data.captured_at, now)
    lng, lat = to_wgs84(data.lng, data.lat, data.crs)
    grid = await _grid_for(session, principal, data, lng, lat)
    values = {
        "category_code": data.category_code, "description": data.description,
        "address": data.address, "lng": lng, "lat": lat, "grid_id": grid.id,
        **scope_from(grid), "status": Status.reported.value,
        "source": source or ("app" if principal.kind == "user" else "client"),
        "reporter_id": principal.id if principal.kind == "user" else None,
        "reporter_key": principal.key, "client_ref": data.client_ref,
        "captured_at": data.captured_at, "reported_at": now, "created_at": now,
        "updated_at": now, "due_at": calendar.add_working_hours(now, category.time_limit_hours),
    }
    code_prefix = f"AJ{now:%Y%m%d}"
    if data.client_ref is None:
        case = await repo.insert_reported(session, values, code_prefix)
    else:
        try:
            # A savepoint (two round trips) only where a race is possible: the same client_ref
            # from a retry that raced this request and committed first.
            async with session.begin_nested():
                case = await repo.insert_reported(session, values, code_prefix)
        except IntegrityError:
            existing = await repo.by_client_ref(session, principal.key, data.client_ref)
            if existing is None:
                raise
            return existing, False
    await bind_uploads(session, principal, data.attachment_ids, case_id=case.id)
    # Written with the key's completion (one statement on PostgreSQL) or at the commit.
    rows.defer(session, [
        (_EVENTS, _event_values(case, principal, "report", None, Status.reported, None, {})),
        events.created(case),
        audit.row(principal, "case.report", "case", case.id, org_path=case.org_path),
    ])
    return case, True


async def bind_uploads(session: AsyncSession, principal: Principal, ids: list[int], *,
                       case_id: int | None = None, wish_id: int | None = None,
                       task_report_id: int | None = None, meeting_id: int | None = None
                       ) -> None:
    """Photos uploaded beforehand become a case's (or a wish's evidence): only the caller's own
    uploads that nothing holds yet; otherwise 422 and nothing is bound (the request rolls
    back)."""
    if not ids:
        return
    wanted = set(ids)
    bound = await repo.bind_uploads(session, principal.key, wanted, case_id=case_id,
                                    wish_id=wish_id, task_report_id=task_report_id,
                                    meeting_id=meeting_id)
    if bound != len(wanted):
        raise field_error("attachment_ids", "附件不存在、已被使用或不是您上传的",
                          "Attachments must be your own, unused uploads")


def _event(session: AsyncSession, case: Case, principal: Principal, action: str,
           from_status: str | None, to_status: str, note: str | None,
           data: dict[str, Any]) -> None:
    session.add(CaseEvent(**_event_values(case, principal, action, from_status, to_status,
                                          note, data)))


def _event_values(case: Case | Row[Any], principal: Principal, action: str,
                  from_status: str | None, to_status: str, note: str | None,
                  data: dict[str, Any]) -> dict[str, Any]:
    """A timeline entry's columns."""
    return {"case_id": case.id, "action": action, "from_status": from_status,
            "to_status": to_status, "actor": principal.key,
            "actor_id": principal.id if principal.kind == "user" else None,
            "actor_role": acting_role(principal, [case.org_path, case.handler_org_path]),
            "note": note, "data": data}


def _authorize_action(principal: Principal, case: Case, rule: Rule) -> None:
    if rule.on == "handler":
        if principal.kind == "user" and case.assignee_id == principal.id:
            return
        if case.handler_org_path and any(
            covers(p, case.handler_org_path) for p in scope_paths(principal, rule.permission)
        ):
            return
        raise Forbidden("您不是该案件的承办人", "You are not handling this case")
    # The case is visible already (`get`), perhaps only as its handler or reporter: lacking the
    # right on its grid is 403, never a 404 for a case the caller has just read.
    if not any(covers(p, case.org_path) for p in scope_paths(principal, rule.permission)):
        raise Forbidden()


async def transition(session: AsyncSession, settings: Settings, principal: Principal, case: Case,
                     data: TransitionIn, calendar: WorkCalendar) -> Case:
    rule = RULES[data.action]
    if case.status not in rule.sources:
        raise InvalidTransition(
            f"当前状态“{case.status}”不能执行“{data.action.value}”",
            f"Action {data.action.value!r} is not allowed from status {case.status!r}",
        )
    _authorize_action(principal, case, rule)
    if data.action == Action.verify and not settings.case_same_person_verify:
        await _check_second_person(session, principal, case)
    if rule.needs_note and not (data.note or "").strip():
        raise field_error("note", "该操作须填写说明", "This action needs a note")
    before = case.status
    extra = await _apply(session, principal, case, data, calendar)
    target = rule.target or Status(case.suspended_from or Status.accepted)
    if data.action == Action.resume:
        case.suspended_from, case.suspended_at = None, None
    case.status = target
    _event(session, case, principal, data.action.value, before, target, data.note, extra)
    # The timeline is the case's own story; the audit log is where an auditor reads who moved
    # which case where, beside the reveals and role changes (a deferred row: no round trip).
    await audit.record(session, principal, f"case.{data.action.value}", "case", case.id,
                       org_path=case.org_path, detail={"from": before, "to": target})
    await events.transitioned(session, settings, principal, case, data.action.value, before,
                              data.note)
    if target == Status.closed:  # a valid report earns its reporter points (community rule)
        await points_credits.case_closed(session, case, data.action.value)
    await flush_versioned(session)
    return case


async def _check_second_person(session: AsyncSession, principal: Principal, case: Case
                               ) -> None:
    """核查 is a second person's check: not by whoever resolved the case last."""
    if await repo.last_actor(session, case.id, Action.resolve.value) == principal.key:
        raise VerifierIsResolver()


async def _apply(session: AsyncSession, principal: Principal, case: Case, data: TransitionIn,
                 calendar: WorkCalendar) -> dict[str, Any]:
    """Side effects of each action beyond the status change; returns timeline data."""
    now = utcnow()
    action = data.action
    if action == Action.accept:
        case.accepted_at = now
    elif action == Action.reject:
        # Final: stops the clock, or the light of a case rejected in time turns red later.
        case.closed_at = now
    elif action == Action.dispatch:
        return await _dispatch(session, principal, case, data, now)
    elif action == Action.return_:
        case.return_count += 1
        case.handler_org_id = case.handler_org_path = case.assignee_id = None
    elif action == Action.resolve:
        case.resolved_at = now
    elif action in (Action.verify, Action.self_resolve, Action.merge):
        if action == Action.self_resolve:
            await _require_evidence(session, case)
        if action == Action.merge:
            return await _merge(session, principal, case, data)
        case.closed_at = now
        if action == Action.self_resolve:
            case.resolved_at = now
    elif action == Action.rework:
        case.rework_count += 1
        case.resolved_at = None
    elif action == Action.suspend:
        case.suspended_from, case.suspended_at = case.status, now
    elif action == Action.resume and case.suspended_at is not None:
        # The clock stops while a case is suspended (挂账): push the deadline back.
        paused = calendar.working_hours_between(case.suspended_at, now)
        if paused > 0:
            case.due_at = calendar.add_working_hours(case.due_at, paused)
    return {}


async def _dispatch(session: AsyncSession, principal: Principal, case: Case, data: TransitionIn,
                    now: datetime) -> dict[str, Any]:
    if data.org_id is None:
        raise field_error("org_id", "派遣须指定承办单位", "dispatch needs org_id")
    handler = await orgs.get(session, principal, data.org_id, Perm.org_read)
    if data.assignee_id is not None:
        await _check_assignee(session, data.assignee_id, handler.path)
    case.handler_org_id, case.handler_org_path = handler.id, handler.path
    case.assignee_id = data.assignee_id
    case.dispatched_at = now
    return {"org_id": handler.id, "assignee_id": data.assignee_id}


async def _check_assignee(session: AsyncSession, user_id: int, handler_path: str) -> None:
    """The assignee must be able to handle cases in or above the handler org (a liaison of the
    community) or below it (a grid worker of the community the case was sent to)."""
    paths = await repo.handling_paths(session, user_id)
    if not any(covers(p, handler_path) or covers(handler_path, p) for p in paths):
        raise field_error("assignee_id", "承办人须为承办单位中可处置案件的人员",
                     "The assignee must be someone who handles cases for that org")


async def _merge(session: AsyncSession, principal: Principal, case: Case, data: TransitionIn
                 ) -> dict[str, Any]:
    if data.into_id is None or data.into_id == case.id:
        raise field_error("into_id", "须指定另一原案件", "merge needs into_id of another case")
    original = await get(session, principal, data.into_id)
    if original.status in FINAL:
        raise InvalidTransition("原案件已办结，不能合并", "The original case is already final")
    case.merged_into_id = original.id
    case.closed_at = utcnow()
    _event(session, original, principal, "merged_in", original.status, original.status,
           data.note, {"case_id": case.id})
    return {"into_id": original.id}


async def _require_evidence(session: AsyncSession, case: Case) -> None:
    ids = await repo.attachment_ids(session, [case.id])
    if not ids.get(case.id):
        raise Unprocessable("现场处置须上传照片", "Resolving on the spot needs a photo",
                            code="case_needs_evidence")


def parse_statuses(values: list[str] | None) -> list[Status] | None:
    """`status=a&status=b` or `status=a,b`."""
    if not values:
        return None
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    unknown = [n for n in names if n not in {s.value for s in Status}]
    if unknown:
        raise field_error("status", f"未知状态：{'、'.join(unknown)}",
                     f"Unknown status: {', '.join(unknown)}")
    return [Status(n) for n in names] or None


def list_filters(*, statuses: list[Status] | None, grid_id: int | None,
                 community_id: int | None, category_code: str | None, overdue: bool | None
                 ) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if statuses:
        out.append(Case.status.in_([s.value for s in statuses]))
    if grid_id:
        out.append(Case.grid_id == grid_id)
    if community_id:
        out.append(Case.community_id == community_id)
    if category_code:
        out.append(Case.category_code == category_code)
    if overdue is not None:
        late = (Case.due_at < utcnow()) & Case.status.in_([s.value for s in OPEN])
        out.append(late if overdue else ~late)
    return out


async def list_page(session: AsyncSession, principal: Principal, query: CaseListQuery
                    ) -> tuple[list[Row[Any]], str | None]:
    """A page of the caller's cases as plain rows (the hot list's fast path), and its cursor."""
    filters = list_filters(statuses=parse_statuses(query.status), grid_id=query.grid_id,
                           community_id=query.community_id, category_code=query.category_code,
                           overdue=query.overdue)
    page = query.page(CASES_LIST)
    found = await repo.list_rows(session, principal, filters=filters, page=page)
    return next_cursor(found, page, lambda c: [c.id])


async def timeline(session: AsyncSession, case: Case) -> list[CaseEvent]:
    return await repo.timeline(session, case.id)


async def held_upload(session: AsyncSession, attachment_id: int, *,
                      task_report_id: int | None = None, meeting_id: int | None = None
                      ) -> CaseAttachment | None:
    """An upload bound to that task report or meeting (None when it is not theirs)."""
    att = await repo.attachment(session, attachment_id)
    if att is None:
        return None
    if task_report_id is not None and att.task_report_id == task_report_id:
        return att
    if meeting_id is not None and att.meeting_id == meeting_id:
        return att
    return None


async def wish_evidence(session: AsyncSession, wish_id: int, attachment_id: int
                        ) -> CaseAttachment | None:
    """An upload bound to the wish as its evidence (None when it is not the wish's)."""
    att = await repo.attachment(session, attachment_id)
    return att if att is not None and att.wish_id == wish_id else None
