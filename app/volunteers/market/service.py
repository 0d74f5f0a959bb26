"""爱心超市: a community's love supermarket. Staff (market:write) put goods on the shelf with a
price in points; a member or volunteer whose grants cover the community redeems them. One
transaction takes the stock (conditional UPDATE, never below zero) and debits the points (the
ledger's conditional UPDATE, never below zero): either both happen or neither. Staff mark a
redemption collected when they hand the goods over; the redeemer or staff cancel a reserved
one, which puts the stock back and reverses the points with a new ledger entry."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.concurrency import flush_versioned
from app.core.crypto import mask_name
from app.core.errors import field_error
from app.core.pagination import PageParams
from app.core.permissions import Perm
from app.core.scope import authorize, covers, scope_paths, sees
from app.core.security import Principal
from app.core.types import utcnow
from app.models import MarketGoods, Redemption
from app.models.scoped import scope_from
from app.orgs import service as orgs
from app.orgs.errors import OrgNotFound
from app.volunteers.market import repository as repo
from app.volunteers.market.errors import (
    GoodsNotFound,
    GoodsWithdrawn,
    NotRedeemer,
    OutOfStock,
    RedemptionInvalidTransition,
    RedemptionNotFound,
)
from app.volunteers.market.repository import RedemptionRow as RedemptionRow
from app.volunteers.market.schemas import (
    GoodsCreate,
    GoodsRead,
    GoodsUpdate,
    RedemptionCreate,
    RedemptionRead,
    RedemptionStatus,
    StockChange,
)
from app.volunteers.points import service as points
from app.volunteers.points.schemas import EntryKind


def _staff(principal: Principal, path: str) -> bool:
    return any(covers(p, path) for p in scope_paths(principal, Perm.market_write))


async def get_goods(session: AsyncSession, principal: Principal, goods_id: int,
                    permission: Perm = Perm.market_read) -> MarketGoods:
    goods = await repo.goods(session, goods_id)
    if goods is None:
        raise GoodsNotFound()
    authorize(principal, permission, goods.org_path, not_found=GoodsNotFound())
    return goods


async def create_goods(session: AsyncSession, principal: Principal, data: GoodsCreate
                       ) -> MarketGoods:
    try:
        community = await orgs.get(session, principal, data.community_id)
    except OrgNotFound as exc:
        raise field_error("community_id", "社区不存在", "No such community") from exc
    if community.kind != "community":
        raise field_error("community_id", "爱心超市须设在社区", "A market belongs to a community")
    authorize(principal, Perm.market_write, community.path)
    goods = MarketGoods(**scope_from(community, MarketGoods), name=data.name,
                        description=data.description, price_points=data.price_points,
                        stock=data.stock, active=True)
    session.add(goods)
    await session.flush()
    await audit.record(session, principal, "market.goods_create", "market_goods", goods.id,
                       org_path=goods.org_path)
    return goods


async def update_goods(session: AsyncSession, principal: Principal, goods: MarketGoods,
                       data: GoodsUpdate) -> MarketGoods:
    changes = data.model_dump(exclude_unset=True)
    for key, value in changes.items():
        if value is None and key != "description":
            raise field_error(key, "不能为空", "May not be null")
        setattr(goods, key, value)
    await flush_versioned(session)
    await audit.record(session, principal, "market.goods_update", "market_goods", goods.id,
                       org_path=goods.org_path, detail=changes)
    return goods


async def change_stock(session: AsyncSession, principal: Principal, goods: MarketGoods,
                       data: StockChange) -> MarketGoods:
    if data.delta < 0:
        if not await repo.take_stock(session, goods.id, -data.delta):
            raise OutOfStock()
    else:
        await repo.put_stock(session, goods.id, data.delta)
    await audit.record(session, principal, "market.stock", "market_goods", goods.id,
                       org_path=goods.org_path, detail={"delta": data.delta})
    fresh = await repo.goods(session, goods.id)
    assert fresh is not None
    return fresh


async def redeem(session: AsyncSession, principal: Principal, goods_id: int,
                 data: RedemptionCreate) -> RedemptionRow:
    goods = await get_goods(session, principal, goods_id, Perm.market_redeem)
    if principal.kind != "user":
        raise field_error("user", "只有个人用户可以兑换", "Only a person may redeem")
    if not goods.active:
        raise GoodsWithdrawn()
    cost = goods.price_points * data.quantity
    if goods.stock < data.quantity:  # as read, unlocked: a burst past the last item ends here
        raise OutOfStock()
    # Raises 409 points_insufficient if the balance cannot cover it (the person's own account
    # row: no queue across people).
    entry = await points.post(session, principal, user_id=principal.id, amount=-cost,
                              other=f"market:{goods.community_id or 0}",
                              kind=EntryKind.redemption,
                              memo=f"兑换 {goods.name} × {data.quantity}", scope=goods)
    redemption = Redemption(goods_id=goods.id, user_id=principal.id, quantity=data.quantity,
                            points=cost, status=RedemptionStatus.reserved,
                            entry_id=entry.id if entry else None,
                            **scope_from(goods, Redemption))
    session.add(redemption)
    await session.flush()
    await audit.record(session, principal, "market.redeem", "market_redemption", redemption.id,
                       org_path=redemption.org_path, detail={"points": cost})
    # The stock last: the goods' row is locked from this UPDATE to the commit, so concurrent
    # redeemers queue for that stretch only. None left → 409, and the request's rollback takes
    # back the debit and the redemption written above.
    if not await repo.take_stock(session, goods.id, data.quantity):
        raise OutOfStock()
    return await _row(session, redemption.id)


async def _row(session: AsyncSession, redemption_id: int) -> RedemptionRow:
    row = await repo.redemption_row(session, redemption_id)
    if row is None:
        raise RedemptionNotFound()
    return row


async def find_redemption(session: AsyncSession, principal: Principal, redemption_id: int
                          ) -> RedemptionRow:
    """The redemption if the caller made it or may see the market, else 404."""
    row = await repo.redemption_row(session, redemption_id)
    if row is None:
        raise RedemptionNotFound()
    r = row.redemption
    own = principal.kind == "user" and r.user_id == principal.id
    if not own and not (sees(principal, r.org_path) and _staff(principal, r.org_path)):
        raise RedemptionNotFound()
    return row


async def collect(session: AsyncSession, principal: Principal, row: RedemptionRow
                  ) -> RedemptionRow:
    r = row.redemption
    authorize(principal, Perm.market_write, r.org_path, not_found=RedemptionNotFound())
    if r.status != RedemptionStatus.reserved:
        raise RedemptionInvalidTransition()
    r.status, r.collected_at = RedemptionStatus.collected, utcnow()
    r.decided_by = principal.id if principal.kind == "user" else None
    await flush_versioned(session)
    await audit.record(session, principal, "market.collect", "market_redemption", r.id,
                       org_path=r.org_path)
    return await _row(session, r.id)


async def cancel(session: AsyncSession, principal: Principal, row: RedemptionRow
                 ) -> RedemptionRow:
    r = row.redemption
    own = principal.kind == "user" and r.user_id == principal.id
    if not own and not _staff(principal, r.org_path):
        raise NotRedeemer()
    if r.status != RedemptionStatus.reserved:
        raise RedemptionInvalidTransition()
    r.status, r.cancelled_at = RedemptionStatus.cancelled, utcnow()
    r.decided_by = principal.id if principal.kind == "user" else None
    # The version check makes a cancel racing a collect (or a second cancel) lose with 412
    # before anything is given back twice.
    await flush_versioned(session)
    await repo.put_stock(session, r.goods_id, r.quantity)
    await points.post(session, principal, user_id=r.user_id, amount=r.points,
                      other=f"market:{r.community_id or 0}", kind=EntryKind.reversal,
                      memo=f"取消兑换 {row.goods_name} × {r.quantity}", scope=r)
    await audit.record(session, principal, "market.cancel", "market_redemption", r.id,
                       org_path=r.org_path)
    return await _row(session, r.id)


async def goods_page(session: AsyncSession, principal: Principal, *, filters: list[Any],
                     page: PageParams) -> list[MarketGoods]:
    return await repo.goods_page(session, principal, filters=filters, page=page)


async def redemptions_page(session: AsyncSession, principal: Principal, *,
                           filters: list[Any], mine_only: bool, page: PageParams
                           ) -> list[RedemptionRow]:
    staff = bool(scope_paths(principal, Perm.market_write))
    me = principal.id if principal.kind == "user" else -1
    mine = me if mine_only or not staff else None
    return await repo.redemptions_page(session, principal, mine=mine, filters=filters,
                                       page=page)


def read_goods(g: MarketGoods) -> GoodsRead:
    return GoodsRead(id=g.id, community_id=g.community_id, street_id=g.street_id,
                     org_path=g.org_path, name=g.name, description=g.description,
                     price_points=g.price_points, stock=g.stock, active=g.active,
                     version=g.version, created_at=g.created_at)


def read_redemption(row: RedemptionRow) -> RedemptionRead:
    r = row.redemption
    return RedemptionRead(id=r.id, goods_id=r.goods_id, goods_name=row.goods_name,
                          community_id=r.community_id, org_path=r.org_path, user_id=r.user_id,
                          name=mask_name(row.name), quantity=r.quantity, points=r.points,
                          status=RedemptionStatus(r.status), collected_at=r.collected_at,
                          cancelled_at=r.cancelled_at, version=r.version,
                          created_at=r.created_at)
