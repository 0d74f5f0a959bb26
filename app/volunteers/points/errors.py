"""The errors the points ledger raises."""

from __future__ import annotations

from app.core.errors import Conflict


class InsufficientPoints(Conflict):
    code, zh, en = "points_insufficient", "积分余额不足", "Not enough points"
