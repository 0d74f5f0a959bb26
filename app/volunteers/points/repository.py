"""SQL for the points ledger. Balances are sums of postings, never a stored number that could
drift from them; a member's statement is the postings of their own account."""

from __future__ import annotations

from typing import Any
from typing import cast as typed

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset
from app.models import PointsEntry, PointsPosting


async def balance(session: AsyncSession, user_id: int) -> int:
    stmt = select(func.coalesce(func.sum(PointsPosting.amount), 0)).where(
        PointsPosting.user_id == user_id)
    return int(await session.scalar(stmt) or 0)


async def statement_page(session: AsyncSession, user_id: int, page: PageParams
                         ) -> list[Any]:
    """The user's postings, newest first, each with its entry's kind, memo and activity."""
    stmt = (select(PointsPosting.id, PointsPosting.amount, PointsPosting.created_at,
                   PointsEntry.id, PointsEntry.kind, PointsEntry.memo, PointsEntry.signup_id,
                   PointsEntry.community_id)
            .join(PointsEntry, PointsEntry.id == PointsPosting.entry_id)
            .where(PointsPosting.user_id == user_id))
    page_stmt = keyset(typed(Select[Any], stmt), [(PointsPosting.id, True)], page)
    return list(await session.execute(page_stmt))


async def entry_sums(session: AsyncSession) -> list[int]:
    """Each entry's sum of postings (all zero when the ledger balances)."""
    stmt = select(func.sum(PointsPosting.amount)).group_by(PointsPosting.entry_id)
    return [int(s) for s in (await session.execute(stmt)).scalars()]
