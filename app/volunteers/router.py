"""志愿服务: activities with sign-ups and attendance, the points ledger, the love supermarket,
volunteer teams and profiles.

Each sub-package's router is included in the app on its own (app/api.py), like coconstruction."""

from __future__ import annotations

from app.volunteers.activities.router import router as activities_router
from app.volunteers.home.router import router as home_router
from app.volunteers.market.router import redemptions as redemptions_router
from app.volunteers.market.router import router as market_router
from app.volunteers.points.router import router as points_router
from app.volunteers.profiles.router import router as profiles_router
from app.volunteers.records.router import router as records_router
from app.volunteers.teams.router import router as teams_router

ROUTERS = (activities_router, points_router, market_router, redemptions_router, teams_router,
           profiles_router, records_router, home_router)
