"""重点任务: yearly lists with sub-tasks, weekly progress reports, weekly bulletins.

Each sub-package's router is included in the app on its own (app/api.py). The bulletins come
first, then the list's import and export: `/tasks/bulletin`, `/tasks/export.xlsx` before
`/tasks/{task_id}`."""

from __future__ import annotations

from app.tasks.bulletins.router import router as bulletins_router
from app.tasks.lists.router import router as lists_router
from app.tasks.lists.transfer import router as transfer_router
from app.tasks.reports.router import router as reports_router

ROUTERS = (bulletins_router, transfer_router, lists_router, reports_router)
