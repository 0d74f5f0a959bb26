"""A round's life after it is applied: while `open`, its computed items can be recomputed
(cases closed late, reports filed after the quarter's end change the metrics) and its manual
items scored; publishing freezes it (recompute or a score after that → 409
assessment_round_published). Both actions are audited.

Recomputing costs the same statements as applying, whatever the number of orgs: the metrics
(one statement each) and one executemany UPDATE of the computed rows. Orgs created since the
round was applied are not added: a round assesses the orgs it was applied to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessment import periods
from app.assessment.rounds import repository as repo
from app.assessment.rounds import service
from app.assessment.rounds.metrics import MetricScope
from app.assessment.sheets import service as sheets
from app.core import audit
from app.core.concurrency import flush_versioned
from app.core.permissions import Perm
from app.core.scope import authorize
from app.core.security import Principal
from app.core.types import utcnow
from app.models import AssessmentRound, AssessmentScore, AssessmentSheet
from app.models.base import table_of

_SCORES = table_of(AssessmentScore)
_UPDATE = (
    update(_SCORES)
    .where(
        _SCORES.c.round_id == bindparam("b_round"),
        _SCORES.c.org_id == bindparam("b_org"),
        _SCORES.c.item_id == bindparam("b_item"),
    )
    .values(
        value=bindparam("b_value"),
        score=bindparam("b_score"),
        entered_at=bindparam("b_at"),
        version=_SCORES.c.version + 1,
    )
)


async def recompute(
    session: AsyncSession, principal: Principal, rnd: AssessmentRound
) -> tuple[AssessmentRound, int]:
    """Every computed item of every org of the round from today's data; returns the round
    and the number of score rows whose value changed."""
    authorize(principal, Perm.assessment_write, rnd.org_path)
    rnd = await service.locked(session, rnd)
    sheet = await session.get(AssessmentSheet, rnd.sheet_id)
    assert sheet is not None  # RESTRICT: a round's sheet outlives it
    items = [i for i in await sheets.items(session, sheet) if i.metric]
    scope = MetricScope(rnd.org_path, rnd.org_kind, rnd.starts_at, rnd.ends_at)
    values = await service.metric_values(session, items, scope)
    before = await repo.computed_scores(session, rnd.id)
    rnd.computed_at = utcnow()
    by_id = {i.id: i for i in items}
    rows: list[dict[str, Any]] = []
    changed = 0
    for org_id, item_id, old_value in before:
        value, score = service.computed(by_id[item_id], org_id, values)
        changed += value != old_value
        rows.append({"b_round": rnd.id, "b_org": org_id, "b_item": item_id,
                     "b_value": value, "b_score": score, "b_at": rnd.computed_at})
    if rows:
        await session.execute(_UPDATE, rows)
    await flush_versioned(session)
    await audit.record(
        session, principal, "assessment_round.recompute", "assessment_round", rnd.id,
        org_path=rnd.org_path, detail={"rows": len(rows), "changed": changed},
    )
    return rnd, changed


async def publish(
    session: AsyncSession, principal: Principal, rnd: AssessmentRound
) -> AssessmentRound:
    authorize(principal, Perm.assessment_write, rnd.org_path)
    rnd = await service.locked(session, rnd)
    rnd.status, rnd.published_at, rnd.published_by = "published", utcnow(), principal.id
    await flush_versioned(session)
    await audit.record(
        session, principal, "assessment_round.publish", "assessment_round", rnd.id,
        org_path=rnd.org_path, detail={"quarter": periods.label(rnd.year, rnd.quarter)},
    )
    return rnd

