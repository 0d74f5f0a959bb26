"""Case KPI aggregation in SQL, the same on SQLite and PostgreSQL (dialect-specific only for
date arithmetic). Counts come from index ranges on the copied org path."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.core.db import OFF_LOOP
from app.core.scope import in_paths
from app.models import Case, CaseCategory, Grid, Org, User

CLOSED = "closed"


def _seconds_between(dialect: str, start: Any, end: Any) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _period(dialect: str, interval: str) -> ColumnElement[Any]:
    """The Asia/Shanghai calendar period a case was reported in, as 'YYYY-MM-DD'."""
    if dialect == "postgresql":
        local = func.timezone("Asia/Shanghai", Case.reported_at)
        return func.to_char(func.date_trunc(interval, local), "YYYY-MM-DD")
    local = func.datetime(Case.reported_at, "+8 hours")
    if interval == "day":
        return func.strftime("%Y-%m-%d", local)
    if interval == "month":
        return func.strftime("%Y-%m-01", local)
    return func.date(local, "weekday 0", "-6 days")  # the Monday of that week


def _flag(cond: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _measures(dialect: str) -> list[Any]:
    closed = Case.status == CLOSED
    return [
        func.count().label("reported"),
        _flag(Case.accepted_at.is_not(None)).label("accepted"),
        _flag(closed).label("closed"),
        _flag(closed & (Case.closed_at <= Case.due_at)).label("on_time"),
        _flag(closed & (Case.rework_count > 0)).label("reworked"),
        _flag(Case.dispatched_at.is_not(None)).label("dispatched"),
        _flag(Case.return_count > 0).label("returned"),
        func.avg(case((closed, _seconds_between(dialect, Case.reported_at, Case.closed_at)),
                      else_=None)).label("close_seconds"),
    ]


GROUP_COLUMNS: dict[str, Any] = {
    "grid": Case.grid_id,
    "community": Case.community_id,
    "street": Case.street_id,
    "category": Case.category_code,
    "reporter": Case.reporter_id,
    "assignee": Case.assignee_id,
}


async def aggregate(session: AsyncSession, *, path: str, start: datetime, end: datetime,
                    group_by: str | None = None, interval: str | None = None
                    ) -> list[dict[str, Any]]:
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    keys: list[Any] = []
    if group_by:
        keys.append(GROUP_COLUMNS[group_by].label("key"))
    if interval:
        keys.append(_period(dialect, interval).label("period"))
    stmt = select(*keys, *_measures(dialect)).where(
        in_paths(Case.org_path, [path]), Case.reported_at >= start, Case.reported_at < end
    )
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    # Scans the subtree's cases in the range: long for a district, so never on the loop.
    stmt = stmt.execution_options(**OFF_LOOP)
    return [dict(r._mapping) for r in (await session.execute(stmt)).all()]


async def labels(session: AsyncSession, group_by: str, keys: list[Any]) -> dict[str, str]:
    keys = [k for k in keys if k is not None]
    if not keys:
        return {}
    if group_by == "category":
        stmt: Any = select(CaseCategory.code, CaseCategory.name).where(
            CaseCategory.code.in_(keys))
    elif group_by == "grid":
        stmt = select(cast(Grid.id, Integer), Grid.name).where(Grid.id.in_(keys))
    elif group_by in ("community", "street"):
        stmt = select(Org.id, Org.name).where(Org.id.in_(keys))
    else:
        stmt = select(User.id, User.display_name).where(User.id.in_(keys))
    return {str(k): str(v) for k, v in (await session.execute(stmt)).all()}


