"""SQL for the love supermarket: lists start from the caller's scope; stock moves only by
conditional UPDATEs, so concurrent redemptions never take it below zero."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from typing import cast as typed

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.scope import readable
from app.core.security import Principal
from app.models import MarketGoods, Redemption, User
from app.models.base import table_of

_GOODS = table_of(MarketGoods)


@dataclass
class RedemptionRow:
    redemption: Redemption
    goods_name: str
    name: str | None


async def goods(session: AsyncSession, goods_id: int) -> MarketGoods | None:
    return await session.get(MarketGoods, goods_id, populate_existing=True)


async def goods_page(session: AsyncSession, principal: Principal, *, filters: list[Any],
                     page: PageParams) -> list[MarketGoods]:
    stmt = select(MarketGoods).where(readable(principal, MarketGoods.org_path, Perm.market_read),
                                     *filters)
    return list((await session.execute(keyset(stmt, [(MarketGoods.id, True)], page))).scalars())


async def take_stock(session: AsyncSession, goods_id: int, quantity: int) -> bool:
    """Take `quantity` off the shelf unless fewer are left (False, nothing changed), in one
    statement. On PostgreSQL a concurrent taker waits for the row and re-checks against what
    is left; the lock lasts to the commit, so callers run this as late as they can."""
    stmt = (update(_GOODS)
            .where(_GOODS.c.id == goods_id, _GOODS.c.stock >= quantity)
            .values(stock=_GOODS.c.stock - quantity, version=_GOODS.c.version + 1)
            .returning(_GOODS.c.stock))
    return (await session.execute(stmt)).first() is not None


async def put_stock(session: AsyncSession, goods_id: int, quantity: int) -> None:
    stmt = (update(_GOODS).where(_GOODS.c.id == goods_id)
            .values(stock=_GOODS.c.stock + quantity, version=_GOODS.c.version + 1))
    await session.execute(stmt)


def _joined() -> Select[Any]:
    stmt = (select(Redemption, MarketGoods.name, User.display_name)
            .join(MarketGoods, MarketGoods.id == Redemption.goods_id)
            .join(User, User.id == Redemption.user_id))
    return typed(Select[Any], stmt)


async def redemption_row(session: AsyncSession, redemption_id: int) -> RedemptionRow | None:
    stmt = _joined().where(Redemption.id == redemption_id).execution_options(
        populate_existing=True)
    row = (await session.execute(stmt)).first()
    return RedemptionRow(*row) if row else None


async def redemptions_page(session: AsyncSession, principal: Principal, *, mine: int | None,
                           filters: list[Any], page: PageParams) -> list[RedemptionRow]:
    """Staff: every redemption their market rights cover; anyone else (`mine`): their own."""
    scope = (Redemption.user_id == mine if mine is not None
             else readable(principal, Redemption.org_path, Perm.market_write))
    stmt = _joined().where(scope, *filters)
    result = await session.execute(keyset(stmt, [(Redemption.id, True)], page))
    return [RedemptionRow(*r) for r in result]
