"""志愿服务: activities with sign-ups and attendance, the points ledger, the love supermarket.

Each sub-package's router is included in the app on its own (app/api.py), like coconstruction."""

from __future__ import annotations

from app.volunteers.activities.router import router as activities_router
from app.volunteers.market.router import redemptions as redemptions_router
from app.volunteers.market.router import router as market_router
from app.volunteers.points.router import router as points_router

ROUTERS = (activities_router, points_router, market_router, redemptions_router)
