"""爱心超市: goods on a community's shelf, redemptions with points."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response, status

from app.core.auth import CurrentPrincipal
from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.pagination import Page, PageDep, page_of
from app.core.permissions import Perm
from app.core.routing import DomainRouter
from app.models import MarketGoods, Redemption
from app.volunteers.market import service
from app.volunteers.market.schemas import (
    GoodsCreate,
    GoodsRead,
    GoodsUpdate,
    RedemptionCreate,
    RedemptionRead,
    RedemptionStatus,
    StockChange,
)

router = DomainRouter(tags=["market"])
GOODS = "/market/goods/{goods_id}"
REDEMPTION = "/market/redemptions/{redemption_id}"
IdQuery = Annotated[Id | None, Query()]


def _goods(response: Response, goods: MarketGoods) -> GoodsRead:
    set_etag(response, goods.version)
    return service.read_goods(goods)


def _redemption(response: Response, row: service.RedemptionRow) -> RedemptionRead:
    set_etag(response, row.redemption.version)
    return service.read_redemption(row)


@router.post("/market/goods", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent],
             responses=problems(403, 422))
async def create_goods(body: GoodsCreate, principal: CurrentPrincipal, session: SessionDep,
                       response: Response) -> GoodsRead:
    """社区爱心超市上架商品（market:write）：名称、所需积分、库存。"""
    return _goods(response, await service.create_goods(session, principal, body))


@router.get("/market/goods", responses=problems(400))
async def list_goods(principal: CurrentPrincipal, session: SessionDep, page: PageDep,
                     community_id: IdQuery = None, active: bool | None = None
                     ) -> Page[GoodsRead]:
    """可见范围内各社区爱心超市的商品，最新在前。"""
    filters = []
    if community_id is not None:
        filters.append(MarketGoods.community_id == community_id)
    if active is not None:
        filters.append(MarketGoods.active == active)
    rows = await service.goods_page(session, principal, filters=filters, page=page)
    return page_of(rows, page, lambda g: [g.id], service.read_goods)


@router.get(GOODS, responses=problems(403, 404))
async def get_goods(goods_id: Id, principal: CurrentPrincipal, session: SessionDep,
                    response: Response) -> GoodsRead:
    """商品详情（含库存）。"""
    return _goods(response, await service.get_goods(session, principal, goods_id))


@router.patch(GOODS, responses=problems(403, 404, 412, 422))
async def update_goods(goods_id: Id, body: GoodsUpdate, principal: CurrentPrincipal,
                       session: SessionDep, response: Response, if_match: IfMatch = None
                       ) -> GoodsRead:
    """修改名称、说明、积分价格，或下架（active=false）。库存用 POST …/stock 调整。"""
    goods = await service.get_goods(session, principal, goods_id, Perm.market_write)
    check_if_match(if_match, goods.version)
    return _goods(response, await service.update_goods(session, principal, goods, body))


@router.post(f"{GOODS}/stock", responses=problems(403, 404, 409, 422))
async def change_stock(goods_id: Id, body: StockChange, principal: CurrentPrincipal,
                       session: SessionDep, response: Response) -> GoodsRead:
    """入库（delta 为正）或出库、损耗（为负，库存不足 → 409 goods_out_of_stock）。"""
    goods = await service.get_goods(session, principal, goods_id, Perm.market_write)
    return _goods(response, await service.change_stock(session, principal, goods, body))


redemptions = DomainRouter(tags=["redemptions"])


@redemptions.post(f"{GOODS}/redemptions", status_code=status.HTTP_201_CREATED,
                  dependencies=[Idempotent], responses=problems(403, 404, 409, 422))
async def redeem_goods(goods_id: Id, body: RedemptionCreate, principal: CurrentPrincipal,
                       session: SessionDep, response: Response) -> RedemptionRead:
    """本人用积分兑换：同一事务内扣减库存并扣除积分。库存不足 → 409 goods_out_of_stock；
    积分不足 → 409 points_insufficient；已下架 → 409 goods_withdrawn。"""
    return _redemption(response, await service.redeem(session, principal, goods_id, body))


@redemptions.get("/market/redemptions", responses=problems(400))
async def list_redemptions(principal: CurrentPrincipal, session: SessionDep, page: PageDep,
                           community_id: IdQuery = None, status: RedemptionStatus | None = None,
                           mine: bool = False) -> Page[RedemptionRead]:
    """超市管理员（market:write）看其范围内的兑换记录；其他人（或 mine=true）只看本人的。"""
    filters = []
    if community_id is not None:
        filters.append(Redemption.community_id == community_id)
    if status is not None:
        filters.append(Redemption.status == status)
    rows = await service.redemptions_page(session, principal, filters=filters, mine_only=mine,
                                          page=page)
    return page_of(rows, page, lambda r: [r.redemption.id], service.read_redemption)


@redemptions.get(REDEMPTION, responses=problems(404))
async def get_redemption(redemption_id: Id, principal: CurrentPrincipal, session: SessionDep,
                         response: Response) -> RedemptionRead:
    """兑换记录（本人或超市管理员可见）。"""
    return _redemption(response, await service.find_redemption(session, principal,
                                                               redemption_id))


@redemptions.post(f"{REDEMPTION}/collect", responses=problems(403, 404, 409, 412))
async def collect_redemption(redemption_id: Id, principal: CurrentPrincipal,
                             session: SessionDep, response: Response, if_match: IfMatch = None
                             ) -> RedemptionRead:
    """超市管理员交付商品后标记已领取。"""
    row = await service.find_redemption(session, principal, redemption_id)
    check_if_match(if_match, row.redemption.version)
    return _redemption(response, await service.collect(session, principal, row))


@redemptions.post(f"{REDEMPTION}/cancel", responses=problems(403, 404, 409, 412))
async def cancel_redemption(redemption_id: Id, principal: CurrentPrincipal,
                            session: SessionDep, response: Response, if_match: IfMatch = None
                            ) -> RedemptionRead:
    """本人或超市管理员取消未领取的兑换：库存退回，积分以新的收支记录退还。"""
    row = await service.find_redemption(session, principal, redemption_id)
    check_if_match(if_match, row.redemption.version)
    return _redemption(response, await service.cancel(session, principal, row))
