"""Quarterly assessment (季度考核): a round applies a sheet, for one quarter in Asia/Shanghai
dates, to every org of the sheet's kind under the round's node. Applying writes one score row
per (org, item): computed items get their metric's value and score at once, manual ones stay
empty until an assessor with assessment:write over that org scores them with a reason (each
score is audited with the one it replaced). Totals, ranks and the points lost per item are
read from those rows.

Applying costs a constant number of statements whatever the number of orgs: one for the orgs,
one per metric the sheet uses (app/assessment/rounds/metrics.py), one batched insert."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessment import periods
from app.assessment.assessed import assessed_under
from app.assessment.errors import ItemComputed, RoundExists, RoundNotFound, RoundPublished
from app.assessment.rounds import repository as repo
from app.assessment.rounds.metrics import Metric, MetricScope, get_metric, score_of
from app.assessment.rounds.schemas import (
    RoundCreate,
    RoundItemResult,
    RoundOrgResult,
    RoundRead,
    RoundResults,
    ScoreIn,
    ScoreRead,
)
from app.assessment.sheets import service as sheets
from app.core import audit
from app.core.concurrency import flush_versioned
from app.core.errors import Forbidden, Unprocessable, field_error
from app.core.pagination import PageParams
from app.core.permissions import Perm
from app.core.scope import authorize, covers, scope_paths, sees
from app.core.security import Principal
from app.core.types import utcnow
from app.models import AssessmentItem, AssessmentRound, AssessmentScore, AssessmentSheet, Org
from app.models.base import table_of
from app.models.scoped import scope_from
from app.orgs import service as orgs
from app.orgs.errors import OrgNotFound


async def get(
    session: AsyncSession,
    principal: Principal,
    round_id: int,
    permission: Perm = Perm.assessment_read,
) -> AssessmentRound:
    rnd = await repo.round_by_id(session, round_id)
    if rnd is None:
        raise RoundNotFound()
    if not sees(principal, rnd.org_path) and await assessed_under(
        session, principal, rnd.org_path, rnd.org_kind
    ):
        # An assessed org's own staff: they read it (results and lists cut to their subtree)
        # and may do nothing else with it.
        if permission != Perm.assessment_read:
            raise Forbidden()
        return rnd
    authorize(principal, permission, rnd.org_path, not_found=RoundNotFound())
    return rnd


async def locked(session: AsyncSession, rnd: AssessmentRound) -> AssessmentRound:
    """The round re-read under a row lock, refused once published: a score, a recompute and
    a publication of the same round take turns, so nothing lands after the freeze."""
    fresh = await session.get(
        AssessmentRound, rnd.id, with_for_update=True, populate_existing=True
    )
    assert fresh is not None  # rounds are not deleted
    if fresh.status != "open":
        raise RoundPublished()
    return fresh


async def _round_org(
    session: AsyncSession, principal: Principal, org_id: int, sheet: AssessmentSheet
) -> Org:
    try:
        org = await orgs.get(session, principal, org_id)
    except OrgNotFound as exc:
        raise field_error("org_id", "组织不存在", "No such organisation") from exc
    authorize(principal, Perm.assessment_write, org.path)
    if not covers(sheet.org_path, org.path):
        raise field_error(
            "org_id",
            "考核范围须在细则制定组织之内",
            "The round's org must lie under the sheet's org",
        )
    return org


async def create(session: AsyncSession, principal: Principal, data: RoundCreate) -> AssessmentRound:
    sheet = await sheets.get(session, principal, data.sheet_id)
    org = await _round_org(session, principal, data.org_id, sheet)
    year, quarter = periods.parse_quarter(data.quarter)
    if year != sheet.year:
        raise field_error(
            "quarter", "季度须在细则所属年度内", "The quarter must be in the sheet's year"
        )
    if await repo.round_exists(session, sheet.id, org.id, year, quarter):
        raise RoundExists()
    rnd, count = await apply(session, sheet, org, year, quarter, created_by=principal.id)
    await audit.record(
        session,
        principal,
        "assessment_round.create",
        "assessment_round",
        rnd.id,
        org_path=rnd.org_path,
        detail={"sheet_id": sheet.id, "quarter": data.quarter, "orgs": count},
    )
    return rnd


async def apply(
    session: AsyncSession,
    sheet: AssessmentSheet,
    org: Org,
    year: int,
    quarter: int,
    *,
    created_by: int | None,
) -> tuple[AssessmentRound, int]:
    """The round and its score rows, without the caller's checks (the demo seed calls it too);
    returns the round and the number of orgs assessed."""
    start, end = periods.quarter_bounds(year, quarter)
    await sheets.mark_in_use(session, sheet)
    rnd = AssessmentRound(
        sheet_id=sheet.id,
        org_id=org.id,
        **scope_from(org, AssessmentRound),
        year=year,
        quarter=quarter,
        org_kind=sheet.org_kind,
        starts_at=start,
        ends_at=end,
        created_by=created_by,
    )
    session.add(rnd)
    try:
        await session.flush()
    except IntegrityError as exc:  # applied by a concurrent request
        raise RoundExists() from exc
    items = await sheets.items(session, sheet)
    targets = await repo.target_orgs(session, org.path, sheet.org_kind)
    scope = MetricScope(org.path, sheet.org_kind, start, end)
    values = await metric_values(session, items, scope)
    rows = [score_row(rnd, item, target, values) for target in targets for item in items]
    if rows:
        # One executemany, not one INSERT per row (the ORM sends those, needing each new id).
        await session.execute(insert(table_of(AssessmentScore)), rows)
    return rnd, len(targets)


async def metric_values(
    session: AsyncSession, items: list[AssessmentItem], scope: MetricScope
) -> dict[str, tuple[Metric, dict[int, float | None]]]:
    """Each metric the sheet names, computed once for every org (one statement each)."""
    out: dict[str, tuple[Metric, dict[int, float | None]]] = {}
    for item in items:
        if item.metric and item.metric not in out:
            metric = get_metric(item.metric)
            if metric is None:  # unregistered since the sheet was written
                raise Unprocessable(
                    f"未知的计算指标 {item.metric}", f"Unknown metric {item.metric}"
                )
            out[item.metric] = (metric, await metric.compute(session, scope))
    return out


def score_row(
    rnd: AssessmentRound,
    item: AssessmentItem,
    target: Org,
    values: dict[str, tuple[Metric, dict[int, float | None]]],
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "round_id": rnd.id,
        "item_id": item.id,
        "org_id": target.id,
        **scope_from(target, AssessmentScore),
        "score": None,
        "value": None,
        "reason": None,
        "entered_by": None,
        "entered_at": None,
        "version": 1,
    }
    if item.metric:
        row["value"], row["score"] = computed(item, target.id, values)
        row["entered_at"] = rnd.computed_at
    return row


def computed(
    item: AssessmentItem, org_id: int, values: dict[str, tuple[Metric, dict[int, float | None]]]
) -> tuple[float | None, float]:
    """A computed item's raw value and score for one org."""
    assert item.metric is not None
    metric, by_org = values[item.metric]
    # An org with no rows in the quarter is absent from the metric's result: no data.
    value = by_org.get(org_id, 0.0 if metric.unit == "count" else None)
    return value, score_of(metric, value, item.max_score, item.target)


async def enter_score(
    session: AsyncSession, principal: Principal, rnd: AssessmentRound, data: ScoreIn
) -> AssessmentScore:
    score = await repo.score_for(session, rnd.id, data.org_id, data.item_id)
    if score is None or not any(
        covers(p, score.org_path) for p in scope_paths(principal, Perm.assessment_read)
    ):
        raise Unprocessable(
            "该组织或考核项不在本轮考核中",
            "No such org or item in this round",
            errors=[{"field": "item_id", "message": "not in this round"}],
        )
    authorize(principal, Perm.assessment_write, score.org_path)
    await locked(session, rnd)
    item = await session.get(AssessmentItem, score.item_id)
    assert item is not None  # RESTRICT: a score's item outlives it
    if item.source != "manual":
        raise ItemComputed()
    if data.score > item.max_score:
        raise field_error(
            "score",
            f"得分不能超过本项满分 {item.max_score:g}",
            f"The score cannot exceed the item's maximum {item.max_score:g}",
        )
    previous = score.score
    score.score, score.reason = data.score, data.reason
    score.entered_by, score.entered_at = principal.id, utcnow()
    await flush_versioned(session)
    await audit.record(
        session,
        principal,
        "assessment_score.enter",
        "assessment_round",
        rnd.id,
        org_path=score.org_path,
        detail={
            "org_id": score.org_id,
            "item_id": score.item_id,
            "score": data.score,
            "previous": previous,
            "reason": data.reason,
        },
    )
    return score


async def page(
    session: AsyncSession, principal: Principal, *, filters: list[Any], params: PageParams
) -> list[AssessmentRound]:
    return await repo.rounds_page(session, principal, filters=filters, params=params)


async def assessing_page(
    session: AsyncSession, principal: Principal, *, filters: list[Any], params: PageParams
) -> list[AssessmentRound]:
    return await repo.rounds_assessing(session, principal, filters=filters, params=params)


async def scores_page(
    session: AsyncSession,
    principal: Principal,
    rnd: AssessmentRound,
    *,
    filters: list[Any],
    params: PageParams,
) -> list[AssessmentScore]:
    return await repo.scores_page(session, principal, rnd.id, filters=filters, params=params)


def _org_result(
    org_id: int, name: str, rows: list[tuple[AssessmentScore, AssessmentItem]]
) -> RoundOrgResult:
    items = [
        RoundItemResult(
            item_id=i.id,
            name=i.name,
            source=i.source,
            weight=i.weight,
            max_score=i.max_score,
            score=s.score,
            value=s.value,
            lost=round(i.weight * (i.max_score - (s.score or 0.0)), 2),
            reason=s.reason,
        )
        for s, i in rows
    ]
    total = round(sum(i.weight * (s.score or 0.0) for s, i in rows), 2)
    max_total = round(sum(i.weight * i.max_score for _, i in rows), 2)
    return RoundOrgResult(
        org_id=org_id,
        org_name=name,
        org_path=rows[0][0].org_path,
        total=total,
        max_total=max_total,
        lost=round(max_total - total, 2),
        rank=0,
        complete=all(s.score is not None for s, _ in rows),
        items=items,
    )


def _ranked(results: list[RoundOrgResult]) -> list[RoundOrgResult]:
    """Highest total first; equal totals share a rank (1, 2, 2, 4)."""
    results.sort(key=lambda r: (-r.total, r.org_path))
    for i, r in enumerate(results):
        same = i and results[i - 1].total == r.total
        r.rank = results[i - 1].rank if same else i + 1
    return results


async def _all_results(
    session: AsyncSession, round_ids: list[int]
) -> dict[int, list[RoundOrgResult]]:
    grouped: dict[tuple[int, int], list[tuple[AssessmentScore, AssessmentItem]]] = {}
    names: dict[int, str] = {}
    for score, item, name in await repo.result_rows(session, round_ids):
        grouped.setdefault((score.round_id, score.org_id), []).append((score, item))
        names[score.org_id] = name
    by_round: dict[int, list[RoundOrgResult]] = defaultdict(list)
    for (round_id, org_id), rows in grouped.items():
        by_round[round_id].append(_org_result(org_id, names[org_id], rows))
    return {rid: _ranked(rs) for rid, rs in by_round.items()}


async def results(
    session: AsyncSession, principal: Principal, rnd: AssessmentRound
) -> RoundResults:
    """Ranks are over every org of the round; the caller sees the orgs in its read scope."""
    ranked = (await _all_results(session, [rnd.id])).get(rnd.id, [])
    paths = scope_paths(principal, Perm.assessment_read)
    shown = [r for r in ranked if any(covers(p, r.org_path) for p in paths)]
    return RoundResults(
        round_id=rnd.id,
        quarter=periods.label(rnd.year, rnd.quarter),
        org_kind=rnd.org_kind,
        status=rnd.status,
        ranked=len(ranked),
        items=shown,
    )


async def year_percentages(
    session: AsyncSession, root_path: str, year: int, org_kind: str
) -> dict[int, list[float]]:
    """Per org under `root_path`: its total as a percentage of the maximum, one per round of
    that year and kind (the year-end review's quarterly part)."""
    round_ids = await repo.rounds_of_year(session, root_path, year, org_kind)
    out: dict[int, list[float]] = defaultdict(list)
    if not round_ids:
        return out
    for ranked in (await _all_results(session, round_ids)).values():
        for r in ranked:
            if covers(root_path, r.org_path) and r.max_total:
                out[r.org_id].append(100.0 * r.total / r.max_total)
    return out


def read(rnd: AssessmentRound) -> RoundRead:
    return RoundRead(
        id=rnd.id,
        sheet_id=rnd.sheet_id,
        org_id=rnd.org_id,
        org_path=rnd.org_path,
        year=rnd.year,
        quarter=periods.label(rnd.year, rnd.quarter),
        org_kind=rnd.org_kind,
        starts_at=rnd.starts_at,
        ends_at=rnd.ends_at,
        computed_at=rnd.computed_at,
        status=rnd.status,
        published_at=rnd.published_at,
        version=rnd.version,
        created_at=rnd.created_at,
    )


def read_score(s: AssessmentScore) -> ScoreRead:
    return ScoreRead(
        id=s.id,
        round_id=s.round_id,
        org_id=s.org_id,
        org_path=s.org_path,
        item_id=s.item_id,
        score=s.score,
        value=s.value,
        reason=s.reason,
        entered_by=s.entered_by,
        entered_at=s.entered_at,
        version=s.version,
    )


def export_rows(res: RoundResults, lang: str) -> tuple[list[str], list[list[Any]]]:
    """One row per org: rank, name, total, max, lost, then each item's score and points lost."""
    names = [i.name for i in res.items[0].items] if res.items else []
    head = (
        ["名次", "组织", "总分", "满分", "失分"]
        if lang == "zh"
        else ["Rank", "Org", "Total", "Maximum", "Lost"]
    )
    lost = "失分" if lang == "zh" else "lost"
    for n in names:
        head += [n, f"{n} {lost}"]
    rows = []
    for r in res.items:
        line: list[Any] = [r.rank, r.org_name, r.total, r.max_total, r.lost]
        for i in r.items:
            line += [i.score, i.lost]
        rows.append(line)
    return head, rows


async def orgs_of_kind(session: AsyncSession, root_path: str, org_kind: str) -> list[Org]:
    return await repo.target_orgs(session, root_path, org_kind)
