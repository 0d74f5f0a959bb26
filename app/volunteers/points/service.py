"""积分: an append-only double-entry ledger. Every entry is a set of postings that sums to
zero: a credit for service is +n on the volunteer's account ("user:<id>") and -n on the
issuing community's ("issued:<community id>"). Balances are derived by summing; a correction
is a new entry for the difference, never an edit; no entry may take a person below zero."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, next_cursor
from app.core.security import Principal
from app.models import ActivitySignup, PointsEntry, PointsPosting
from app.models.scoped import scope_from
from app.volunteers.points import repository as repo
from app.volunteers.points.errors import InsufficientPoints
from app.volunteers.points.schemas import EntryKind, PostingRead, Statement


async def post_for_signup(session: AsyncSession, principal: Principal | None,
                          signup: ActivitySignup, amount: int, *, kind: EntryKind,
                          memo: str) -> None:
    """Credit (or, for a correction downwards, take back) `amount` points for a sign-up."""
    if amount == 0:
        return
    if amount < 0 and await repo.balance(session, signup.user_id) + amount < 0:
        raise InsufficientPoints()
    entry = PointsEntry(kind=kind, memo=memo[:255], signup_id=signup.id,
                        actor_id=principal.id if principal and principal.kind == "user" else None,
                        **scope_from(signup, PointsEntry))
    session.add(entry)
    await session.flush()
    session.add_all([
        PointsPosting(entry_id=entry.id, account=f"user:{signup.user_id}",
                      user_id=signup.user_id, amount=amount),
        PointsPosting(entry_id=entry.id, account=f"issued:{signup.community_id or 0}",
                      amount=-amount),
    ])
    await session.flush()


async def balance(session: AsyncSession, user_id: int) -> int:
    return await repo.balance(session, user_id)


async def statement(session: AsyncSession, principal: Principal, page: PageParams) -> Statement:
    """The caller's own balance and postings (a client has none)."""
    if principal.kind != "user":
        return Statement(balance=0, items=[])
    rows = await repo.statement_page(session, principal.id, page)
    rows, cursor = next_cursor(rows, page, lambda r: [r[0]])
    items = [PostingRead(id=r[0], amount=r[1], created_at=r[2], entry_id=r[3],
                         kind=EntryKind(r[4]), memo=r[5], signup_id=r[6], community_id=r[7])
             for r in rows]
    return Statement(balance=await repo.balance(session, principal.id), items=items,
                     next_cursor=cursor)


async def entry_sums(session: AsyncSession) -> list[int]:
    return await repo.entry_sums(session)
