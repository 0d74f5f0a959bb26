"""The assessment part of the test world: per street, a sheet for its communities (one computed
item, one manual), a 2026-Q4 round of it with the scores applying wrote, and a year-end review
open now with each community's report filed by its admin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from app.assessment.periods import quarter_bounds
from app.core.permissions import Role
from app.core.types import utcnow
from app.models import (
    AssessmentItem,
    AssessmentRound,
    AssessmentScore,
    AssessmentSheet,
    Org,
    Review,
    ReviewReport,
)

if TYPE_CHECKING:
    from tests.factories import World


def _scope(node: Org) -> dict[str, object]:
    return {"org_path": node.path, "street_id": node.street_id, "community_id": node.community_id}


async def make_sheet(
    session: AsyncSession, org: Org, *, kind: str = "community", status: str = "in_use"
) -> tuple[AssessmentSheet, list[AssessmentItem]]:
    sheet = AssessmentSheet(
        org_id=org.id,
        **_scope(org),
        year=2026,
        org_kind=kind,
        name="2026年社区党建考核细则",
        status=status,
    )
    session.add(sheet)
    await session.flush()
    items = [
        AssessmentItem(
            sheet_id=sheet.id,
            position=1,
            name="案件办结率",
            weight=1.0,
            max_score=30.0,
            source="computed",
            metric="case_closure_rate",
        ),
        AssessmentItem(
            sheet_id=sheet.id,
            position=2,
            name="组织生活",
            weight=1.0,
            max_score=70.0,
            source="manual",
        ),
    ]
    session.add_all(items)
    await session.flush()
    return sheet, items


async def add_assessment(session: AsyncSession, world: World) -> None:
    start, end = quarter_bounds(2026, 4)
    now = utcnow()
    for si, street in enumerate(world.streets):
        sheet, items = await make_sheet(session, street)
        rnd = AssessmentRound(
            sheet_id=sheet.id,
            org_id=street.id,
            **_scope(street),
            year=2026,
            quarter=4,
            org_kind="community",
            starts_at=start,
            ends_at=end,
            computed_at=datetime(2026, 12, 1, tzinfo=UTC),
        )
        session.add(rnd)
        await session.flush()
        communities = world.communities[2 * si : 2 * si + 2]
        for c in communities:
            session.add(
                AssessmentScore(
                    round_id=rnd.id, item_id=items[0].id, org_id=c.id, **_scope(c), score=30.0
                )
            )
            session.add(
                AssessmentScore(round_id=rnd.id, item_id=items[1].id, org_id=c.id, **_scope(c))
            )
        review = Review(
            org_id=street.id,
            **_scope(street),
            year=2026,
            org_kind="community",
            title="2026年度社区书记述职评议",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=60),
        )
        session.add(review)
        await session.flush()
        for ci, c in enumerate(communities):
            author = world.users[f"s{si + 1}c{ci + 1}:{Role.community_admin}"]
            report = ReviewReport(
                review_id=review.id,
                org_id=c.id,
                **_scope(c),
                author_id=author.id,
                content="一年来，社区党委……",
            )
            session.add(report)
            await session.flush()
            world.review_reports.append(report)
        world.assessment_sheets.append(sheet)
        world.assessment_manual_items.append(items[1].id)
        world.assessment_rounds.append(rnd)
        world.reviews.append(review)
    await session.flush()
