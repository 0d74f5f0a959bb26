"""共驻共建: units (区直单位) and their registrations, agreements (双报告), seconded cadres.

Each sub-package's router is included in the app on its own (app/api.py): a router holding
routers would be tried route by route for every path (see `core.routing.DomainRouter`)."""

from __future__ import annotations

from app.coconstruction.agreements.router import router as agreements_router
from app.coconstruction.cadres.router import router as cadres_router
from app.coconstruction.units.router import router as units_router

ROUTERS = (units_router, agreements_router, cadres_router)
