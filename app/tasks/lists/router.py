"""重点任务清单: create, read, edit (If-Match), delete, list, and the tasks the caller's units
are responsible for."""

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
from app.models import KeyTask, TaskResponsible
from app.tasks.lists import service
from app.tasks.lists.schemas import TaskCreate, TaskRead, TaskStatus, TaskUpdate

router = DomainRouter(tags=["tasks"])
ITEM = "/tasks/{task_id}"
IdQuery = Annotated[Id | None, Query()]
YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]


def _answer(response: Response, found: tuple[KeyTask, list[TaskResponsible]]) -> TaskRead:
    task, named = found
    set_etag(response, task.version)
    return service.read(task, named)


@router.post(
    "/tasks",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problems(403, 422),
)
async def create_task(
    body: TaskCreate, principal: CurrentPrincipal, session: SessionDep, response: Response
) -> TaskRead:
    """在区、街道或社区的年度清单中新增重点任务（tasks:write）；`parent_id` 把上级任务分解到
    本级；责任单位为本级及下级组织或区直单位。"""
    return _answer(response, await service.create(session, principal, body))


@router.get("/tasks", responses=problems(400))
async def list_tasks(
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    year: YearQuery = None,
    org_id: IdQuery = None,
    parent_id: IdQuery = None,
    task_status: Annotated[TaskStatus | None, Query(alias="status")] = None,
    meeting_id: IdQuery = None,
) -> Page[TaskRead]:
    """可见范围内的重点任务，最新在前。"""
    rows = await service.list_page(
        session,
        principal,
        year=year,
        org_id=org_id,
        parent_id=parent_id,
        status=task_status,
        meeting_id=meeting_id,
        page=page,
    )
    return page_of(rows, page, lambda t: [t.id], lambda t: t)


@router.get("/tasks/assigned", responses=problems(400))
async def list_assigned_tasks(
    principal: CurrentPrincipal, session: SessionDep, page: PageDep, year: YearQuery = None
) -> Page[TaskRead]:
    """本人所在责任单位（任职的组织，或联络的区直单位）承担的任务，无论任务属于哪一级清单。"""
    rows = await service.assigned(session, principal, year=year, page=page)
    return page_of(rows, page, lambda t: [t.id], lambda t: t)


@router.get(ITEM, responses=problems(403, 404))
async def get_task(
    task_id: Id, principal: CurrentPrincipal, session: SessionDep, response: Response
) -> TaskRead:
    """任务详情；责任单位的工作人员也可查看。"""
    return _answer(response, await service.find(session, principal, task_id))


@router.patch(ITEM, responses=problems(403, 404, 412, 422))
async def update_task(
    task_id: Id,
    body: TaskUpdate,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> TaskRead:
    """修改任务（tasks:write）；`responsibles` 整体替换，保留的责任单位的报告不受影响。"""
    task, _ = await service.writable(session, principal, task_id)
    check_if_match(if_match, task.version)
    return _answer(response, await service.update(session, principal, task, body))


@router.delete(ITEM, status_code=status.HTTP_204_NO_CONTENT, responses=problems(403, 404, 409, 412))
async def delete_task(
    task_id: Id, principal: CurrentPrincipal, session: SessionDep, if_match: IfMatch = None
) -> Response:
    """删除任务；已有子任务或进度报告时 409 task_has_children。"""
    task, _ = await service.writable(session, principal, task_id)
    check_if_match(if_match, task.version)
    await service.delete(session, principal, task)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
