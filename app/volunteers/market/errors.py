"""The errors the love supermarket raises."""

from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound


class GoodsNotFound(NotFound):
    code, zh, en = "goods_not_found", "商品不存在", "Goods not found"


class RedemptionNotFound(NotFound):
    code, zh, en = "redemption_not_found", "兑换记录不存在", "Redemption not found"


class OutOfStock(Conflict):
    code, zh, en = "goods_out_of_stock", "库存不足", "Not enough in stock"


class GoodsWithdrawn(Conflict):
    code, zh, en = "goods_withdrawn", "商品已下架", "The goods are no longer offered"


class RedemptionInvalidTransition(Conflict):
    code = "redemption_invalid_transition"
    zh, en = "兑换记录的当前状态不允许此操作", "Not allowed from the redemption's current status"


class NotRedeemer(Forbidden):
    code = "redemption_not_owner"
    zh, en = "只有兑换人本人或超市管理员可以取消", "Only the redeemer or market staff may cancel"
