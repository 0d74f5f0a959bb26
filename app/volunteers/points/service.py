"""积分: an append-only double-entry ledger. Every entry is a set of postings that sums to
zero: a credit for service is +n on the volunteer's account ("user:<id>") and -n on the issuing
community's ("issued:<community id>"); a redemption is -n on the person and +n on the
community's market ("market:<community id>"), and its cancellation the same reversed.
Corrections are new entries for the difference, never edits. No entry takes a person below
zero: their account row moves by one conditional UPDATE first (repository.move_balance), so
concurrent debits queue there and the loser gets 409 `points_insufficient`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.crypto import mask_name
from app.core.pagination import PageParams, next_cursor
from app.core.permissions import Perm
from app.core.scope import authorize
from app.core.security import Principal
from app.models import PointsEntry, PointsPosting
from app.models.scoped import ScopedRow, scope_from
from app.orgs import service as orgs
from app.orgs.errors import OrgNotFound
from app.volunteers.points import repository as repo
from app.volunteers.points.errors import InsufficientPoints
from app.volunteers.points.schemas import (
    EntryKind,
    Leaderboard,
    LeaderboardEntry,
    PostingRead,
    Statement,
)


async def post(session: AsyncSession, principal: Principal | None, *, user_id: int,
               amount: int, other: str, kind: EntryKind, memo: str, scope: ScopedRow,
               signup_id: int | None = None, rule: str | None = None,
               source_ref: str | None = None) -> PointsEntry | None:
    """One entry: `amount` to the user's account, `-amount` to the `other` account. Scoped by
    `scope` (the activity's sign-up, the market's goods). None when there is nothing to post."""
    if amount == 0:
        return None
    if not await repo.move_balance(session, user_id, amount):
        raise InsufficientPoints()
    actor = principal.id if principal is not None and principal.kind == "user" else None
    entry = PointsEntry(kind=kind, memo=memo[:255], signup_id=signup_id, actor_id=actor,
                        rule=rule, source_ref=source_ref, **scope_from(scope, PointsEntry))
    session.add(entry)
    await session.flush()
    session.add_all([
        PointsPosting(entry_id=entry.id, account=f"user:{user_id}", user_id=user_id,
                      amount=amount),
        PointsPosting(entry_id=entry.id, account=other, amount=-amount),
    ])
    await session.flush()
    return entry


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


async def account_mismatches(session: AsyncSession) -> list[tuple[int, int, int]]:
    return await repo.account_mismatches(session)


async def leaderboard(session: AsyncSession, principal: Principal, community_id: int,
                      limit: int) -> Leaderboard:
    """A community's top earners, for whoever may read its activities (else 404)."""
    community = await orgs.get(session, principal, community_id)
    authorize(principal, Perm.activity_read, community.path, not_found=OrgNotFound())
    rows = await repo.leaderboard(session, limit, community_id=community.id)
    return Leaderboard(community_id=community.id, items=_ranked(rows, community.path))


async def team_leaderboard(session: AsyncSession, user_ids: list[int], path: str,
                           limit: int) -> list[LeaderboardEntry]:
    """The team's members ranked by the points their service earned (any community); the
    caller's right to see the team is the teams service's to check."""
    return _ranked(await repo.leaderboard(session, limit, user_ids=user_ids), path)


def _ranked(rows: list[Any], path: str) -> list[LeaderboardEntry]:
    return [LeaderboardEntry(rank=i, user_id=uid, name=mask_name(name), points=int(total),
                             org_path=path)
            for i, (uid, name, total) in enumerate(rows, start=1)]
