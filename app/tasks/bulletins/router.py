"""重点任务周通报: the live bulletin (JSON or .xlsx), publishing a frozen copy, and the
published ones."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import Query, status
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from app.core.auth import CurrentPrincipal
from app.core.db import SessionDep
from app.core.deps import SettingsDep
from app.core.errors import problems
from app.core.i18n import current_language
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.pagination import Page, PageDep, page_of
from app.core.routing import DomainRouter
from app.people.sheets import XLSX_MIME
from app.tasks.bulletins import service
from app.tasks.bulletins.schemas import BulletinPublish, BulletinRead, PublishedBulletin
from app.tasks.bulletins.sheet import bulletin_xlsx
from app.tasks.weeks import WEEK_PATTERN, WEEK_TEXT, Week

router = DomainRouter(tags=["tasks"])
XLSX: dict[int | str, dict[str, Any]] = {200: {"content": {XLSX_MIME: {}}}}
WeekQuery = Annotated[str, Query(pattern=WEEK_PATTERN, description=WEEK_TEXT + "，北京时间")]
OrgQuery = Annotated[Id, Query(description="区、街道或社区")]


@router.get("/tasks/bulletin", responses=problems(403, 422))
async def get_task_bulletin(
    week: WeekQuery, org_id: OrgQuery, principal: CurrentPrincipal, session: SessionDep
) -> BulletinRead:
    """该组织及其下级清单中（本人可见的）重点任务在该周的情况：谁报告了、谁未报告、哪些逾期、
    较上次报告的进度变化。按报告的当前内容实时生成。"""
    return await service.live(session, principal, org_id=org_id, week=Week.field(week))


def _written(bulletin: BulletinRead, lang: str) -> Path:
    """The workbook in a temporary file (deleted once sent); off the event loop."""
    fd, name = tempfile.mkstemp(prefix="gridapi-", suffix=".xlsx")
    os.close(fd)
    path = Path(name)
    try:
        bulletin_xlsx(bulletin, path, lang)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


@router.get(
    "/tasks/bulletin.xlsx", response_class=FileResponse, responses={**XLSX, **problems(403, 422)}
)
async def export_task_bulletin(
    week: WeekQuery, org_id: OrgQuery, principal: CurrentPrincipal, session: SessionDep
) -> FileResponse:
    """同 GET /tasks/bulletin，导出为 Excel（每个任务、责任单位一行）。"""
    bulletin = await service.live(session, principal, org_id=org_id, week=Week.field(week))
    path = await run_in_threadpool(_written, bulletin, current_language())
    return FileResponse(
        path,
        media_type=XLSX_MIME,
        filename=f"bulletin-{bulletin.week}.xlsx",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


@router.post(
    "/tasks/bulletins",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problems(403, 409, 422),
)
async def publish_task_bulletin(
    body: BulletinPublish, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> PublishedBulletin:
    """发布该组织该周的通报（tasks:write）：保存当时的内容（之后修改报告不影响已发布的通报），
    并通知责任单位的工作人员（站内信与微信订阅消息）。同一组织同一周再次发布 → 409。"""
    return service.read(await service.publish(session, principal, settings, body))


@router.get("/tasks/bulletins", responses=problems(400, 422))
async def list_task_bulletins(
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    org_id: Annotated[Id | None, Query()] = None,
    week: Annotated[str | None, Query(pattern=WEEK_PATTERN, description=WEEK_TEXT)] = None,
) -> Page[PublishedBulletin]:
    """已发布的通报，最新在前。"""
    wanted = str(Week.field(week)) if week else None
    rows = await service.page(session, principal, org_id=org_id, week=wanted, params=page)
    return page_of(rows, page, lambda r: [r.id], service.read)


@router.get("/tasks/bulletins/{bulletin_id}", responses=problems(403, 404))
async def get_task_bulletin_published(
    bulletin_id: Id, principal: CurrentPrincipal, session: SessionDep
) -> PublishedBulletin:
    """一份已发布的通报（发布时冻结的内容）。"""
    return service.read(await service.get(session, principal, bulletin_id))
