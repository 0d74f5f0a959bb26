"""重点任务进度报告: file (one per unit, task and ISO week), edit with If-Match, list, read, and
download evidence."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response, status

from app.core.auth import CurrentPrincipal
from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.pagination import Page, PageDep, page_of
from app.core.routing import DomainRouter
from app.files.service import StorageDep, public_copy_response
from app.models import TaskReport
from app.tasks.lists import service as tasks
from app.tasks.reports import service
from app.tasks.reports.schemas import TaskReportCreate, TaskReportRead, TaskReportUpdate
from app.tasks.weeks import WEEK_PATTERN, WEEK_TEXT, Week

router = DomainRouter(tags=["tasks"])
REPORTS = "/tasks/{task_id}/reports"
ITEM = REPORTS + "/{report_id}"


def _answer(response: Response, row: TaskReport) -> TaskReportRead:
    set_etag(response, row.version)
    return service.read(row)


@router.post(
    REPORTS,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problems(403, 404, 409, 422),
)
async def create_task_report(
    task_id: Id,
    body: TaskReportCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
) -> TaskReportRead:
    """责任单位的工作人员提交本周（或指定 ISO 周）进度；同一单位同一周已报告 → 409
    task_report_exists（请用 PATCH 修改）。周结束（北京时间周日 24 时）后提交的标记为迟报。"""
    task, named = await tasks.find(session, principal, task_id)
    return _answer(response, await service.create(session, principal, task, named, body))


@router.get(REPORTS, responses=problems(400, 403, 404, 422))
async def list_task_reports(
    task_id: Id,
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    week: Annotated[str | None, Query(pattern=WEEK_PATTERN, description=WEEK_TEXT)] = None,
    responsible_id: Annotated[Id | None, Query()] = None,
) -> Page[TaskReportRead]:
    """任务的进度报告，最新在前；可按周、责任单位筛选。"""
    task, _ = await tasks.find(session, principal, task_id)
    wanted = str(Week.field(week)) if week else None
    rows = await service.page(
        session, task, week=wanted, responsible_id=responsible_id, params=page
    )
    return page_of(rows, page, lambda r: [r.id], service.read)


@router.get(ITEM, responses=problems(403, 404))
async def get_task_report(
    task_id: Id, report_id: Id, principal: CurrentPrincipal, session: SessionDep, response: Response
) -> TaskReportRead:
    """一份进度报告。"""
    await tasks.find(session, principal, task_id)
    return _answer(response, await service.get(session, task_id, report_id))


@router.patch(ITEM, responses=problems(403, 404, 412, 422))
async def update_task_report(
    task_id: Id,
    report_id: Id,
    body: TaskReportUpdate,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> TaskReportRead:
    """修改本单位的报告（带 If-Match，过期 → 412）；已发布的周通报不随之改变。"""
    _, named = await tasks.find(session, principal, task_id)
    row = await service.get(session, task_id, report_id)
    check_if_match(if_match, row.version)
    return _answer(response, await service.update(session, principal, named, row, body))


@router.get(
    ITEM + "/attachments/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "application/pdf": {}}}, **problems(404)},
)
async def download_task_report_attachment(
    task_id: Id,
    report_id: Id,
    attachment_id: Id,
    principal: CurrentPrincipal,
    session: SessionDep,
    storage: StorageDep,
) -> Response:
    """下载报告的佐证材料（去除 EXIF 位置信息的副本）；权限同查看任务。"""
    await tasks.find(session, principal, task_id)
    row = await service.get(session, task_id, report_id)
    att = await service.evidence(session, row, attachment_id)
    return await public_copy_response(storage, public_key=att.public_key, mime=att.mime)
