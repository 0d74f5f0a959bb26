"""The registry of computed items: a metric turns platform data into one value per org, for
every org of a kind under a node at once, in one SQL statement (so scoring a quarter for every
community of the district costs the same number of statements as for one).

Other domains' data is read here through the shared models (cases, registrations, the key
tasks' progress reports); `register_metric(Metric(...))` adds one. A sheet's computed item names
its metric; an unknown name is refused when the sheet is written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.assessment.rounds import repository as repo
from app.cases.calendar import SHANGHAI


@dataclass(frozen=True)
class MetricScope:
    root_path: str  # every org of `org_kind` under this node
    org_kind: str
    start: datetime  # the quarter, half-open, UTC
    end: datetime


Compute = Callable[[AsyncSession, MetricScope], Awaitable[dict[int, float | None]]]


@dataclass(frozen=True)
class Metric:
    name: str
    zh: str
    en: str
    unit: Literal["rate", "count"]  # rate: 0..1; count: scored against the item's target
    compute: Compute


_REGISTRY: dict[str, Metric] = {}


def register_metric(metric: Metric) -> None:
    if metric.name in _REGISTRY:
        raise ValueError(f"metric {metric.name!r} is already registered")
    _REGISTRY[metric.name] = metric


def get_metric(name: str) -> Metric | None:
    return _REGISTRY.get(name)


def all_metrics() -> list[Metric]:
    return sorted(_REGISTRY.values(), key=lambda m: m.name)


async def _closure_rate(session: AsyncSession, s: MetricScope) -> dict[int, float | None]:
    rows = await repo.case_counts(session, s.root_path, s.org_kind, s.start, s.end)
    return {org: (closed / reported if reported else None) for org, reported, closed, _ in rows}


async def _on_time_rate(session: AsyncSession, s: MetricScope) -> dict[int, float | None]:
    rows = await repo.case_counts(session, s.root_path, s.org_kind, s.start, s.end)
    return {org: (on_time / closed if closed else None) for org, _, closed, on_time in rows}


async def _registrations(session: AsyncSession, s: MetricScope) -> dict[int, float | None]:
    rows = await repo.approved_registrations(session, s.root_path, s.org_kind, s.start, s.end)
    return {org: float(n) for org, n in rows}


async def _task_reports_on_time(session: AsyncSession, s: MetricScope) -> dict[int, float | None]:
    first, after = _local_date(s.start), _local_date(s.end)
    rows = await repo.task_report_counts(session, s.root_path, s.org_kind, first, after)
    return {org: (on_time / filed if filed else None) for org, filed, on_time in rows}


def _local_date(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


# Cases reported in the quarter: closed ones over all of them; of the closed ones, those closed
# by their due time (`due_at` comes from the working calendar, app/cases/calendar.py, as in
# GET /stats/cases). Registrations: 双报到 approved in the quarter and still approved.
register_metric(
    Metric("case_closure_rate", "案件办结率", "Case closure rate", "rate", _closure_rate)
)
register_metric(
    Metric("case_on_time_rate", "案件按期办结率", "Cases closed on time", "rate", _on_time_rate)
)
register_metric(
    Metric(
        "registrations_approved",
        "在职党员报到人数（审核通过）",
        "Registrations approved",
        "count",
        _registrations,
    )
)


# Key tasks: of the progress reports an org's own node filed for the quarter's weeks (a week
# belongs to the quarter its Monday falls in), the share filed by the week's end.
register_metric(
    Metric(
        "task_reports_on_time",
        "重点任务进展按时报送率",
        "Key-task reports on time",
        "rate",
        _task_reports_on_time,
    )
)


def score_of(metric: Metric, value: float | None, max_score: float, target: float | None) -> float:
    """A rate scores `max × rate`; a count scores `max × min(1, value / target)`. No data (no
    cases in the quarter) loses nothing: there was nothing to close late."""
    if value is None:
        return max_score
    share = value if metric.unit == "rate" else value / (target or 1.0)
    return round(max_score * min(1.0, max(0.0, share)), 2)
