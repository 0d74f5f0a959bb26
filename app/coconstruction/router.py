"""共驻共建: units (区直单位) and their registrations, agreements (双报告), seconded cadres."""

from __future__ import annotations

from fastapi import APIRouter

from app.coconstruction.agreement_routes import router as agreements_router
from app.coconstruction.cadre_routes import router as cadres_router
from app.coconstruction.unit_routes import router as units_router

router = APIRouter()
for r in (units_router, agreements_router, cadres_router):
    router.include_router(r)
