"""Case KPIs for a subtree and a time range: reported, accepted, closed and the rates."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Forbidden, Unprocessable
from app.core.permissions import Perm
from app.core.scope import authorize, scope_paths
from app.core.security import Principal
from app.core.types import utcnow
from app.models import Org
from app.orgs import service as orgs
from app.stats import repository as repo
from app.stats.schemas import CaseKpis, CaseStats, KpiGroup, KpiPeriod

MAX_RANGE = timedelta(days=366)
DEFAULT_RANGE = timedelta(days=30)


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def kpis(row: dict[str, Any]) -> dict[str, Any]:
    reported, closed = int(row["reported"]), int(row["closed"])
    seconds = row["close_seconds"]
    return {
        "reported": reported, "accepted": int(row["accepted"]), "closed": closed,
        "closure_rate": _rate(closed, reported),
        "on_time_rate": _rate(int(row["on_time"]), closed),
        "rework_rate": _rate(int(row["reworked"]), closed),
        "return_rate": _rate(int(row["returned"]), int(row["dispatched"])),
        "mean_hours_to_close": round(float(seconds) / 3600, 2) if seconds is not None else None,
    }


async def _org(session: AsyncSession, principal: Principal, org_id: int | None) -> Org:
    if org_id is None:
        paths = scope_paths(principal, Perm.case_read)
        grant = next((g for g in principal.grants if g.org_path in paths), None)
        if grant is None:
            raise Forbidden()
        org_id = grant.org_id
    org = await orgs.get(session, principal, org_id, Perm.org_read)
    authorize(principal, Perm.case_read, org.path)
    return org


def _range(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    end = end or utcnow()
    start = start or end - DEFAULT_RANGE
    if start >= end or end - start > MAX_RANGE:
        raise Unprocessable("时间范围须为 from < to 且不超过 366 天",
                            "The range must have from < to and span at most 366 days",
                            errors=[{"field": "from", "message": "invalid range"}])
    return start, end


async def case_stats(session: AsyncSession, principal: Principal, *, org_id: int | None,
                     start: datetime | None, end: datetime | None, group_by: str | None,
                     interval: str | None) -> CaseStats:
    org = await _org(session, principal, org_id)
    start, end = _range(start, end)
    [total] = await repo.aggregate(session, path=org.path, start=start, end=end)
    out = CaseStats(org_id=org.id, **{"from": start}, to=end, totals=CaseKpis(**kpis(total)))
    if group_by:
        rows = await repo.aggregate(session, path=org.path, start=start, end=end,
                                    group_by=group_by)
        names = await repo.labels(session, group_by, [r["key"] for r in rows])
        out.groups = [KpiGroup(key=str(r["key"]), label=names.get(str(r["key"])), **kpis(r))
                      for r in rows]
    if interval:
        rows = await repo.aggregate(session, path=org.path, start=start, end=end,
                                    interval=interval)
        out.series = [KpiPeriod(period=str(r["period"]), **kpis(r)) for r in rows]
    return out
