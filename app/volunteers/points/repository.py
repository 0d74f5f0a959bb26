"""SQL for the points ledger. The record is the postings; a person's account row carries the
running balance kept with them in the same transaction, and is where concurrent debits queue:
one conditional UPDATE moves it only if it stays at or above zero."""

from __future__ import annotations

from typing import Any
from typing import cast as typed

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset
from app.models import PointsAccount, PointsEntry, PointsPosting, PointsRule, RoleAssignment, User
from app.models.base import table_of

_ACCOUNTS = table_of(PointsAccount)
# Opening an account is idempotent and race-free on both databases (two first credits at once).
_OPEN = {
    "postgresql": pg_insert(_ACCOUNTS).values(balance=0).on_conflict_do_nothing(
        index_elements=["user_id"]),
    "sqlite": sqlite_insert(_ACCOUNTS).values(balance=0).on_conflict_do_nothing(
        index_elements=["user_id"]),
}


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind else "sqlite"


async def move_balance(session: AsyncSession, user_id: int, amount: int) -> bool:
    """Add `amount` (negative for a debit) to the user's balance unless it would go below zero;
    False when it would (nothing changed). On PostgreSQL a concurrent debit waits for this
    row and re-checks the condition against the balance the first one left."""
    if amount > 0:
        await session.execute(_OPEN[_dialect(session)].values(user_id=user_id))
    stmt = (update(_ACCOUNTS)
            .where(_ACCOUNTS.c.user_id == user_id, _ACCOUNTS.c.balance + amount >= 0)
            .values(balance=_ACCOUNTS.c.balance + amount))
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


async def balance(session: AsyncSession, user_id: int) -> int:
    """The derived balance: the sum of the user's postings."""
    stmt = select(func.coalesce(func.sum(PointsPosting.amount), 0)).where(
        PointsPosting.user_id == user_id)
    return int(await session.scalar(stmt) or 0)


async def statement_page(session: AsyncSession, user_id: int, page: PageParams
                         ) -> list[Any]:
    """The user's postings, newest first, each with its entry's kind, memo and references."""
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


async def account_mismatches(session: AsyncSession) -> list[tuple[int, int, int]]:
    """(user, account balance, sum of postings) wherever the two disagree."""
    sums = (select(PointsPosting.user_id, func.sum(PointsPosting.amount).label("total"))
            .where(PointsPosting.user_id.is_not(None)).group_by(PointsPosting.user_id)
            .subquery())
    stmt = (select(PointsAccount.user_id, PointsAccount.balance,
                   func.coalesce(sums.c.total, 0))
            .outerjoin(sums, sums.c.user_id == PointsAccount.user_id)
            .where(PointsAccount.balance != func.coalesce(sums.c.total, 0)))
    return [(u, b, int(t)) for u, b, t in await session.execute(stmt)]


async def leaderboard(session: AsyncSession, limit: int, *, community_id: int | None = None,
                      user_ids: list[int] | None = None) -> list[Any]:
    """(user id, display name, points earned) for the top earners in a community, or among
    `user_ids` (a team's members, wherever they served): service and its corrections only,
    so spending at the market does not lower anyone's rank."""
    earned = func.sum(PointsPosting.amount)
    where: list[Any] = [PointsEntry.kind.in_(("service", "correction")),
                        PointsPosting.user_id.is_not(None)]
    if community_id is not None:
        where.append(PointsEntry.community_id == community_id)
    if user_ids is not None:
        where.append(PointsPosting.user_id.in_(user_ids))
    stmt = (select(PointsPosting.user_id, User.display_name, earned)
            .join(PointsEntry, PointsEntry.id == PointsPosting.entry_id)
            .join(User, User.id == PointsPosting.user_id)
            .where(*where)
            .group_by(PointsPosting.user_id, User.display_name)
            .having(earned > 0)
            .order_by(earned.desc(), PointsPosting.user_id)
            .limit(limit))
    return list(await session.execute(stmt))


async def lock_account(session: AsyncSession, user_id: int) -> None:
    """Open the user's account if need be and lock it: a capped credit counts what the user
    already has in the period under this lock, so two at once cannot both pass the cap."""
    await session.execute(_OPEN[_dialect(session)].values(user_id=user_id))
    await session.execute(select(_ACCOUNTS.c.id).where(_ACCOUNTS.c.user_id == user_id)
                          .with_for_update())


async def rule_credits_since(session: AsyncSession, user_id: int, rule: str, since: Any
                             ) -> int:
    stmt = (select(func.count()).select_from(PointsPosting)
            .join(PointsEntry, PointsEntry.id == PointsPosting.entry_id)
            .where(PointsPosting.user_id == user_id, PointsEntry.rule == rule,
                   PointsEntry.created_at >= since))
    return int(await session.scalar(stmt) or 0)


async def credited(session: AsyncSession, rule: str, source_ref: str) -> bool:
    stmt = select(PointsEntry.id).where(PointsEntry.rule == rule,
                                        PointsEntry.source_ref == source_ref)
    return (await session.execute(stmt)).first() is not None


async def rules_of(session: AsyncSession, community_id: int) -> list[PointsRule]:
    stmt = select(PointsRule).where(PointsRule.community_id == community_id)
    return list((await session.execute(stmt)).scalars())


async def joined_paths(session: AsyncSession, user_id: int, roles: tuple[str, ...]
                       ) -> list[str]:
    """Where the user holds one of `roles` (a member registered with a community, a
    volunteer): rule credits go to people serving there, not to staff doing their job."""
    stmt = select(RoleAssignment.org_path).where(RoleAssignment.user_id == user_id,
                                                 RoleAssignment.role.in_(roles))
    return list((await session.execute(stmt)).scalars())
