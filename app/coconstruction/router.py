"""共驻共建: units (区直单位) and their registrations, agreements (双报告), seconded cadres."""

from __future__ import annotations

from fastapi import APIRouter

from app.coconstruction.agreements.router import router as agreements_router
from app.coconstruction.cadres.router import router as cadres_router
from app.coconstruction.units.router import router as units_router

router = APIRouter()
for r in (units_router, agreements_router, cadres_router):
    router.include_router(r)
