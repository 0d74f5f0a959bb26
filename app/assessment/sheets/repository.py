"""SQL for scoring sheets: lists start from the caller's scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.scope import readable
from app.core.security import Principal
from app.models import AssessmentItem, AssessmentSheet


async def by_id(session: AsyncSession, sheet_id: int) -> AssessmentSheet | None:
    return await session.get(AssessmentSheet, sheet_id)


async def items_of(session: AsyncSession, sheet_ids: list[int]) -> list[AssessmentItem]:
    stmt = (
        select(AssessmentItem)
        .where(AssessmentItem.sheet_id.in_(sheet_ids))
        .order_by(AssessmentItem.sheet_id, AssessmentItem.position)
    )
    return list((await session.execute(stmt)).scalars())


async def delete_items(session: AsyncSession, sheet_id: int) -> None:
    await session.execute(delete(AssessmentItem).where(AssessmentItem.sheet_id == sheet_id))


async def next_version_no(session: AsyncSession, org_id: int, year: int, org_kind: str) -> int:
    stmt = select(func.max(AssessmentSheet.version_no)).where(
        AssessmentSheet.org_id == org_id,
        AssessmentSheet.year == year,
        AssessmentSheet.org_kind == org_kind,
    )
    return int((await session.scalar(stmt)) or 0) + 1


async def page(
    session: AsyncSession, principal: Principal, *, filters: list[Any], params: PageParams
) -> list[AssessmentSheet]:
    stmt = select(AssessmentSheet).where(
        readable(principal, AssessmentSheet.org_path, Perm.assessment_read), *filters
    )
    return list(
        (await session.execute(keyset(stmt, [(AssessmentSheet.id, True)], params))).scalars()
    )
