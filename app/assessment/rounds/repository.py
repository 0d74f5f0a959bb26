"""SQL for rounds and scores. Metrics join the orgs of a kind to the rows in their subtrees by
path range (`row.path >= org.path AND row.path < org.path with its last "/" bumped to "0"`, see
core/scope.py), grouped by org: one statement for all orgs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import String, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.assessment.assessed import assessing
from app.core.db import OFF_LOOP
from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.scope import in_paths, readable
from app.core.security import Principal
from app.models import (
    AssessmentItem,
    AssessmentRound,
    AssessmentScore,
    Case,
    Org,
    Registration,
    TaskReport,
    TaskResponsible,
)


def _subtree_of_org(column: Any) -> ColumnElement[bool]:
    upper = func.substr(Org.path, 1, func.length(Org.path) - 1, type_=String).op("||")("0")
    return and_(column >= Org.path, column < upper)


def _targets(root_path: str, org_kind: str) -> list[ColumnElement[bool]]:
    return [Org.kind == org_kind, in_paths(Org.path, [root_path])]


def _flag(cond: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


async def target_orgs(session: AsyncSession, root_path: str, org_kind: str) -> list[Org]:
    stmt = select(Org).where(*_targets(root_path, org_kind)).order_by(Org.path)
    return list((await session.execute(stmt)).scalars())


async def case_counts(
    session: AsyncSession, root_path: str, org_kind: str, start: datetime, end: datetime
) -> list[tuple[int, int, int, int]]:
    """Per org: cases reported in [start, end), closed, closed by their due time."""
    closed = Case.status == "closed"
    stmt = (
        select(
            Org.id,
            func.count(Case.id),
            _flag(closed),
            _flag(closed & (Case.closed_at <= Case.due_at)),
        )
        .join(Case, _subtree_of_org(Case.org_path))
        .where(*_targets(root_path, org_kind), Case.reported_at >= start, Case.reported_at < end)
        .group_by(Org.id)
        .execution_options(**OFF_LOOP)
    )
    return [(int(o), int(n), int(c), int(t)) for o, n, c, t in await session.execute(stmt)]


async def approved_registrations(
    session: AsyncSession, root_path: str, org_kind: str, start: datetime, end: datetime
) -> list[tuple[int, int]]:
    stmt = (
        select(Org.id, func.count(Registration.id))
        .join(Registration, _subtree_of_org(Registration.org_path))
        .where(
            *_targets(root_path, org_kind),
            Registration.status == "approved",
            Registration.decided_at >= start,
            Registration.decided_at < end,
        )
        .group_by(Org.id)
    )
    return [(int(o), int(n)) for o, n in await session.execute(stmt)]


async def task_report_counts(
    session: AsyncSession, root_path: str, org_kind: str, first: date, after: date
) -> list[tuple[int, int, int]]:
    """Per org: progress reports its own node filed (as a key task's responsible) for the weeks
    starting in [first, after) — Asia/Shanghai dates — and how many of them were on time."""
    stmt = (
        select(Org.id, func.count(TaskReport.id), _flag(TaskReport.late.is_(False)))
        .join(TaskResponsible, TaskResponsible.org_id == Org.id)
        .join(TaskReport, TaskReport.responsible_id == TaskResponsible.id)
        .where(*_targets(root_path, org_kind), TaskReport.week_start >= first,
               TaskReport.week_start < after)
        .group_by(Org.id)
    )
    return [(int(o), int(n), int(t)) for o, n, t in await session.execute(stmt)]


async def round_by_id(session: AsyncSession, round_id: int) -> AssessmentRound | None:
    return await session.get(AssessmentRound, round_id)


async def round_exists(
    session: AsyncSession, sheet_id: int, org_id: int, year: int, quarter: int
) -> bool:
    stmt = select(AssessmentRound.id).where(
        AssessmentRound.sheet_id == sheet_id,
        AssessmentRound.org_id == org_id,
        AssessmentRound.year == year,
        AssessmentRound.quarter == quarter,
    )
    return (await session.execute(stmt)).first() is not None


async def rounds_page(
    session: AsyncSession, principal: Principal, *, filters: list[Any], params: PageParams
) -> list[AssessmentRound]:
    stmt = select(AssessmentRound).where(
        readable(principal, AssessmentRound.org_path, Perm.assessment_read), *filters
    )
    return list(
        (await session.execute(keyset(stmt, [(AssessmentRound.id, True)], params))).scalars()
    )


async def score_for(
    session: AsyncSession, round_id: int, org_id: int, item_id: int
) -> AssessmentScore | None:
    stmt = select(AssessmentScore).where(
        AssessmentScore.round_id == round_id,
        AssessmentScore.org_id == org_id,
        AssessmentScore.item_id == item_id,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def scores_page(
    session: AsyncSession,
    principal: Principal,
    round_id: int,
    *,
    filters: list[Any],
    params: PageParams,
) -> list[AssessmentScore]:
    stmt = select(AssessmentScore).where(
        AssessmentScore.round_id == round_id,
        readable(principal, AssessmentScore.org_path, Perm.assessment_read),
        *filters,
    )
    return list(
        (await session.execute(keyset(stmt, [(AssessmentScore.id, False)], params))).scalars()
    )


async def computed_scores(
    session: AsyncSession, round_id: int
) -> list[tuple[int, int, float | None]]:
    """(org, item, value) of the round's computed score rows."""
    stmt = (
        select(AssessmentScore.org_id, AssessmentScore.item_id, AssessmentScore.value)
        .join(AssessmentItem, AssessmentItem.id == AssessmentScore.item_id)
        .where(AssessmentScore.round_id == round_id, AssessmentItem.metric.is_not(None))
    )
    return [(int(o), int(i), v) for o, i, v in await session.execute(stmt)]


async def rounds_assessing(
    session: AsyncSession, principal: Principal, *, filters: list[Any], params: PageParams
) -> list[AssessmentRound]:
    """Rounds run above the caller's nodes that assess the caller's kind of org."""
    stmt = select(AssessmentRound).where(
        assessing(principal, AssessmentRound.org_path, AssessmentRound.org_kind), *filters
    )
    return list(
        (await session.execute(keyset(stmt, [(AssessmentRound.id, True)], params))).scalars()
    )


async def result_rows(
    session: AsyncSession, round_ids: list[int]
) -> list[tuple[AssessmentScore, AssessmentItem, str]]:
    """Every score of the rounds with its item and the org's name: what totals and ranks are
    computed from (ranks need every org, so this is not scoped: callers filter what they show)."""
    stmt = (
        select(AssessmentScore, AssessmentItem, Org.name)
        .join(AssessmentItem, AssessmentItem.id == AssessmentScore.item_id)
        .join(Org, Org.id == AssessmentScore.org_id)
        .where(AssessmentScore.round_id.in_(round_ids))
        .order_by(AssessmentScore.round_id, Org.path, AssessmentItem.position)
    )
    return [(s, i, str(n)) for s, i, n in await session.execute(stmt)]


async def rounds_of_year(
    session: AsyncSession, root_path: str, year: int, org_kind: str
) -> list[int]:
    """Rounds of that year and kind run at the node, under it, or above it (a district's round
    scores a street's communities too)."""
    parts = root_path.strip("/").split("/")
    ancestors = ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts))]
    stmt = select(AssessmentRound.id).where(
        or_(
            in_paths(AssessmentRound.org_path, [root_path]), AssessmentRound.org_path.in_(ancestors)
        ),
        AssessmentRound.year == year,
        AssessmentRound.org_kind == org_kind,
    )
    return list((await session.execute(stmt)).scalars())
