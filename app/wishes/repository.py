"""SQL for 微心愿: lists start from the caller's scope; one statement brings the resident's,
claimant's and unit's names along, so a page costs the same whatever its size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from typing import cast as typed

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.scope import readable
from app.core.security import Principal
from app.models import Member, Registration, Resident, Unit, UnitRegistration, Wish


@dataclass
class Row:
    wish: Wish
    resident_name: str | None
    claimant_name: str | None
    claimant_user_id: int | None  # the claiming member's account
    unit_name: str | None
    unit_org_id: int | None  # the claiming unit's org node (where its liaisons hold their role)


def _joined() -> Select[Any]:
    stmt = (
        select(Wish, Resident.name, Member.name, Member.user_id, Unit.name, Unit.org_id)
        .outerjoin(Resident, Resident.id == Wish.resident_id)
        .outerjoin(Member, Member.id == Wish.claimed_by_member_id)
        .outerjoin(Unit, Unit.id == Wish.claimed_by_unit_id)
    )
    return typed(Select[Any], stmt)


def _rows(result: Any) -> list[Row]:
    return [Row(*r) for r in result]


async def by_id(session: AsyncSession, wish_id: int) -> Row | None:
    """Unscoped: a claimant outside the wish's subtree may still reach it; the service decides."""
    rows = _rows(await session.execute(_joined().where(Wish.id == wish_id)))
    return rows[0] if rows else None


async def list_page(session: AsyncSession, principal: Principal, *, filters: list[Any],
                    page: PageParams) -> list[Row]:
    stmt = _joined().where(readable(principal, Wish.org_path, Perm.wish_read), *filters)
    return _rows(await session.execute(keyset(stmt, [(Wish.id, True)], page)))


async def approved_in(session: AsyncSession, member_id: int, community_id: int | None) -> bool:
    stmt = select(Registration.id).where(Registration.member_id == member_id,
                                         Registration.community_id == community_id,
                                         Registration.status == "approved")
    return (await session.execute(stmt.limit(1))).first() is not None


async def unit_registered(session: AsyncSession, unit_id: int, community_id: int | None) -> bool:
    stmt = select(UnitRegistration.id).where(UnitRegistration.unit_id == unit_id,
                                             UnitRegistration.community_id == community_id,
                                             UnitRegistration.status == "active")
    return (await session.execute(stmt.limit(1))).first() is not None
