"""What a case looks like in a response (`CaseRead`), built in one place for every endpoint.

`case_values` turns a case — an ORM object or a row of the cases table, they have the same
attribute names — into CaseRead's fields; the names and roles of its reporter and assignee
come from one statement for the whole page (`actors.load`). Single cases become a `CaseRead`;
the hot list pages serialise those values straight to JSON (`page_json`): a model per item
costs more than the whole SQL round trip of the page. tests/cases/test_presenters.py validates
every item of a listed page with `CaseRead` and holds it to the bytes pydantic would write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from operator import attrgetter, itemgetter
from typing import Any

import orjson
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases import actors as people
from app.cases import categories
from app.cases import repository as repo
from app.cases.actors import Actors, user_key
from app.cases.calendar import WorkCalendar
from app.cases.rules import FINAL, OPEN
from app.cases.schemas import CaseRead, Light, NearbyCase, Status, TimelineEntry
from app.cases.service import Nearby
from app.core.geo import from_wgs84
from app.core.security import Principal
from app.core.types import utcnow
from app.models import Case, CaseEvent

# CaseRead's fields that are the case's own columns, copied as they are.
_COLUMNS = tuple(name for name in CaseRead.model_fields if name in Case.__table__.c)
_FIELDS = tuple(CaseRead.model_fields)
# ...and the columns the people and the light need besides them, read last (so zip() with
# _COLUMNS drops them).
_READ = (*_COLUMNS, "reporter_key", "handler_org_path", "suspended_at")
_FROM_CASE = attrgetter(*_READ)
# Every CaseRead field in order: filling a copy keeps the order whatever is set first.
_TEMPLATE: dict[str, Any] = dict.fromkeys(_FIELDS)
# A duplicate suggestion beyond the caller's scope: every field null but these few.
_NEARBY_TEMPLATE: dict[str, Any] = dict.fromkeys(NearbyCase.model_fields)


@lru_cache(maxsize=16)
def _from_row(keys: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """Reads _READ from a row of a result with these column names, by position."""
    return itemgetter(*(keys.index(name) for name in _READ))


def light(values: Mapping[str, Any], suspended_at: datetime | None, calendar: WorkCalendar,
          now: datetime) -> Light:
    """The case's traffic light from its columns: a final case keeps the colour it ended with,
    a suspended one the colour it had when it was suspended."""
    status, due = values["status"], values["due_at"]
    if status in FINAL:
        end = values["closed_at"] or now
        return "green" if end <= due else "red"
    at = suspended_at if status == Status.suspended and suspended_at else now
    return calendar.light(values["reported_at"], due, at)


def case_values(case: Case | Row[Any], calendar: WorkCalendar, *, names: Mapping[str, str],
                attachment_ids: list[int], crs: str, now: datetime, actors: Actors,
                keys: tuple[str, ...] | None = None) -> dict[str, Any]:
    """CaseRead's fields, in its order, from a case's columns (status as a plain string).
    A row is read by position with its result's `keys`."""
    if isinstance(case, Row):
        read = _from_row(keys or case._fields)(case)
    else:
        read = _FROM_CASE(case)
    values = _TEMPLATE.copy()
    values.update(zip(_COLUMNS, read, strict=False))  # the extra columns come last
    reporter_key, handler_path = read[-3], read[-2]
    values["reporter_name"] = actors.name(reporter_key)
    values["reporter_role"] = actors.role(reporter_key, [values["org_path"]])
    assignee = user_key(values["assignee_id"])
    values["assignee_name"] = actors.name(assignee)
    values["assignee_role"] = actors.role(assignee, [handler_path])
    if crs == "gcj02":
        values["lng"], values["lat"] = from_wgs84(values["lng"], values["lat"], "gcj02")
        values["crs"] = "gcj02"
    else:
        values["crs"] = "wgs84"
    values["category_name"] = names.get(values["category_code"])
    values["light"] = light(values, read[-1], calendar, now)
    # Same rule as the `overdue=` filter: late and still in someone's hands.
    values["overdue"] = values["status"] in OPEN and now > values["due_at"]
    values["attachment_ids"] = attachment_ids
    return values


def case_read(case: Case | Row[Any], calendar: WorkCalendar, *, names: Mapping[str, str],
              attachment_ids: list[int], actors: Actors, crs: str = "wgs84",
              now: datetime | None = None) -> CaseRead:
    """Built without validation (`model_construct`): every value comes typed from the
    database."""
    values = case_values(case, calendar, names=names, attachment_ids=attachment_ids, crs=crs,
                         now=now or utcnow(), actors=actors)
    values["status"] = Status(values["status"])
    return CaseRead.model_construct(**values)


def _people_of(cases: Sequence[Any]) -> list[str | None]:
    return [k for c in cases for k in (c.reporter_key, user_key(c.assignee_id))]


async def reads(session: AsyncSession, principal: Principal, cases: Sequence[Case | Row[Any]],
                calendar: WorkCalendar, crs: str = "wgs84", *,
                attachments: dict[int, list[int]] | None = None) -> list[CaseRead]:
    """Cases for a response: two extra statements for the whole page (attachment ids, unless
    the caller knows them, and the people), whatever its size."""
    names = await categories.names(session)
    if attachments is None:
        attachments = await repo.attachment_ids(session, [c.id for c in cases])
    actors = await people.load(session, principal, _people_of(cases))
    now = utcnow()
    return [case_read(c, calendar, names=names, attachment_ids=attachments.get(c.id, []),
                      actors=actors, crs=crs, now=now)
            for c in cases]


async def page_json(session: AsyncSession, principal: Principal, rows: list[Row[Any]],
                    calendar: WorkCalendar, crs: str, next_cursor: str | None) -> bytes:
    """A `Page[CaseRead]` as JSON, from rows of `repo.list_rows` (attachment ids in them);
    one statement more for the people of the whole page."""
    names = await categories.names(session)
    actors = await people.load(session, principal, _people_of(rows))
    now = utcnow()
    keys = rows[0]._fields if rows else ()
    items = [case_values(r, calendar, names=names, crs=crs, now=now, keys=keys, actors=actors,
                         attachment_ids=repo.split_ids(r.attachment_csv))
             for r in rows]
    # orjson writes the same bytes as pydantic here (UTC as "Z"; tests/cases/test_presenters.py)
    # in a third of the time.
    return orjson.dumps({"items": items, "next_cursor": next_cursor}, option=orjson.OPT_UTC_Z)


async def nearby_reads(session: AsyncSession, principal: Principal, found: list[Nearby],
                       calendar: WorkCalendar, crs: str) -> list[NearbyCase]:
    """Duplicate suggestions: a case the caller may see in full, as CaseRead; any other with
    only what a duplicate check needs. Its distance is rounded to 10 m: asking from three
    points then places a case the caller may not see to within some metres, not exactly."""
    full = {r.id: r for r in await reads(
        session, principal, [n.case for n in found if n.case is not None], calendar, crs)}
    names = await categories.names(session)
    out: list[NearbyCase] = []
    for n in found:
        if n.case is not None:
            values = {**dict(full[n.case.id]), "in_scope": True,
                      "distance_m": round(n.distance_m, 1)}
        else:
            values = {**_NEARBY_TEMPLATE, "id": n.row.id, "status": Status(n.row.status),
                      "category_code": n.row.category_code,
                      "category_name": names.get(n.row.category_code),
                      "reported_at": n.row.reported_at, "in_scope": False,
                      "distance_m": float(round(n.distance_m, -1))}
        out.append(NearbyCase.model_construct(**values))
    return out


async def timeline_reads(session: AsyncSession, principal: Principal, case: Case,
                         events: Sequence[CaseEvent]) -> list[TimelineEntry]:
    """Timeline entries with who acted: their name (masked outside the caller's scope) and
    the role written with the entry (for entries written before roles were kept, the role
    they hold at the case now); one statement for all the people."""
    actors = await people.load(session, principal, [e.actor for e in events])
    paths = [case.org_path, case.handler_org_path]
    return [TimelineEntry(action=e.action, from_status=e.from_status, to_status=e.to_status,
                          actor_id=e.actor_id, actor=e.actor, actor_name=actors.name(e.actor),
                          actor_role=e.actor_role or actors.role(e.actor, paths), note=e.note,
                          data=e.data, at=e.at)
            for e in events]
