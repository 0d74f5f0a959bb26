"""The demo's scored quarter and the year's review: the district's 2026 scoring sheet for its
communities (three items computed from the platform's data, two scored by hand) applied to
2026-Q3, the last quarter complete when the demo was written, with every manual item scored and
a reason given; and the year-end review of the community secretaries.

Idempotent like the rest of the demo: the sheet is found by (district, year, kind, name), the
round by (sheet, district, quarter), the review by (district, title) before anything is
created."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessment.periods import SHANGHAI
from app.assessment.rounds import service as rounds
from app.core.db import Database
from app.core.types import utcnow
from app.models import (
    AssessmentItem,
    AssessmentRound,
    AssessmentScore,
    AssessmentSheet,
    Org,
    Review,
)
from app.models.scoped import scope_from

YEAR, QUARTER = 2026, 3
SHEET_NAME = "2026年城市社区党建工作季度考核细则"
REVIEW_TITLE = "2026年度城市社区党组织书记抓基层党建工作述职评议"
# (name, weight, max, source, metric, target)
ITEMS: list[tuple[str, float, float, str, str | None, float | None]] = [
    ("案件办结率", 1.0, 20.0, "computed", "case_closure_rate", None),
    ("案件按期办结率", 1.0, 20.0, "computed", "case_on_time_rate", None),
    ("在职党员到社区报到", 1.0, 10.0, "computed", "registrations_approved", 20.0),
    ("组织生活（“三会一课”）", 1.0, 30.0, "manual", None, None),
    ("党群服务阵地建设", 1.0, 20.0, "manual", None, None),
]
# Points taken off the manual items, in turn, with the assessor's reason.
DEDUCTIONS: list[tuple[float, str]] = [
    (0.0, "台账齐全，按时开展"),
    (2.0, "支部委员会记录缺1次，扣2分"),
    (4.0, "党课未按季度开展，扣4分"),
    (1.0, "阵地开放时间未公示，扣1分"),
]


async def _sheet(session: AsyncSession, district: Org, created: Counter[str]) -> AssessmentSheet:
    sheet = await session.scalar(
        select(AssessmentSheet).where(
            AssessmentSheet.org_id == district.id,
            AssessmentSheet.year == YEAR,
            AssessmentSheet.org_kind == "community",
            AssessmentSheet.name == SHEET_NAME,
        )
    )
    if sheet is not None:
        return sheet
    sheet = AssessmentSheet(
        org_id=district.id,
        **scope_from(district, AssessmentSheet),
        year=YEAR,
        org_kind="community",
        name=SHEET_NAME,
    )
    session.add(sheet)
    await session.flush()
    for pos, (name, weight, top, source, metric, target) in enumerate(ITEMS, start=1):
        session.add(
            AssessmentItem(
                sheet_id=sheet.id,
                position=pos,
                name=name,
                weight=weight,
                max_score=top,
                source=source,
                metric=metric,
                target=target,
            )
        )
    await session.flush()
    created["assessment_sheets"] += 1
    return sheet


async def _score_manual(session: AsyncSession, rnd: AssessmentRound) -> None:
    stmt = (
        select(AssessmentScore, AssessmentItem)
        .join(AssessmentItem, AssessmentItem.id == AssessmentScore.item_id)
        .where(AssessmentScore.round_id == rnd.id, AssessmentItem.source == "manual")
        .order_by(AssessmentScore.org_id, AssessmentItem.position)
    )
    for i, (score, item) in enumerate(await session.execute(stmt)):
        off, reason = DEDUCTIONS[i % len(DEDUCTIONS)]
        score.score, score.reason, score.entered_at = item.max_score - off, reason, utcnow()


async def seed(db: Database, street_code: str) -> Counter[str]:
    created: Counter[str] = Counter()
    async with db.writing() as session:
        street = await session.scalar(select(Org).where(Org.code == street_code))
        district = await session.get(Org, street.parent_id) if street and street.parent_id else None
        if district is None:
            return created
        sheet = await _sheet(session, district, created)
        exists = await session.scalar(
            select(AssessmentRound.id).where(
                AssessmentRound.sheet_id == sheet.id,
                AssessmentRound.org_id == district.id,
                AssessmentRound.year == YEAR,
                AssessmentRound.quarter == QUARTER,
            )
        )
        if exists is None:
            rnd, count = await rounds.apply(
                session, sheet, district, YEAR, QUARTER, created_by=None
            )
            await _score_manual(session, rnd)
            created["assessment_rounds"] += 1
            created["assessment_scores"] += count * len(ITEMS)
        await _review(session, district, created)
    return created


async def _review(session: AsyncSession, district: Org, created: Counter[str]) -> None:
    """The year's review of the community secretaries, open for rating 20 Dec – 15 Jan
    (Asia/Shanghai); reports are for the secretaries to file."""
    found = await session.scalar(
        select(Review.id).where(Review.org_id == district.id, Review.title == REVIEW_TITLE)
    )
    if found is not None:
        return
    session.add(
        Review(
            org_id=district.id,
            **scope_from(district, Review),
            year=YEAR,
            org_kind="community",
            title=REVIEW_TITLE,
            opens_at=datetime(2026, 12, 20, tzinfo=SHANGHAI),
            closes_at=datetime(2027, 1, 16, tzinfo=SHANGHAI),
        )
    )
    created["reviews"] += 1
