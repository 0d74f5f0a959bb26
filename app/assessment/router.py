"""考核与述职评议: scoring sheets, quarterly rounds with their scores and results, year-end
reviews. Each sub-package's router is included in the app on its own (app/api.py)."""

from __future__ import annotations

from app.assessment.reviews.router import router as reviews_router
from app.assessment.rounds.router import router as rounds_router
from app.assessment.sheets.router import router as sheets_router

ROUTERS = (sheets_router, rounds_router, reviews_router)
