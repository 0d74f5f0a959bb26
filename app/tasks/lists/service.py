"""Key-task lists: one per year and org node (district, street, community), tasks split into
sub-tasks for the nodes below (`parent_id`), each naming the units responsible for it.

Visibility: a task is seen by whoever's grants cover its node (like every scoped row) and by the
staff of its responsible units wherever they sit (a community named on a district task holds no
grant over the district): they reach it to report on it, through `GET /tasks/assigned`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.concurrency import flush_versioned
from app.core.errors import field_error
from app.core.pagination import PageParams
from app.core.permissions import Perm
from app.core.scope import authorize, covers, sees
from app.core.security import Principal
from app.core.types import utcnow
from app.models import KeyTask, Org, TaskResponsible
from app.models.scoped import scope_from
from app.tasks.errors import TaskHasChildren, TaskNotFound
from app.tasks.lists import repository as repo
from app.tasks.lists.schemas import (
    ResponsibleIn,
    ResponsibleRead,
    TaskCreate,
    TaskRead,
    TaskStatus,
    TaskUpdate,
)

LIST_KINDS = frozenset({"district", "street", "town", "community"})


def staff_nodes(principal: Principal, permission: Perm = Perm.task_report) -> list[int]:
    """The nodes where the caller holds `permission` itself: the responsible units they act
    for."""
    return sorted({g.org_id for g in principal.grants if permission in g.permissions})


def acts_for(principal: Principal, responsible: TaskResponsible) -> bool:
    return responsible.staff_org_id in staff_nodes(principal)


async def find(
    session: AsyncSession, principal: Principal, task_id: int
) -> tuple[KeyTask, list[TaskResponsible]]:
    """The task if the caller may read it (its subtree, or staff of a responsible unit), else
    404 exactly as a missing one."""
    task = await repo.task(session, task_id)
    if task is None:
        raise TaskNotFound()
    named = (await repo.responsibles(session, [task.id]))[task.id]
    if any(acts_for(principal, r) for r in named):
        return task, named
    authorize(principal, Perm.task_read, task.org_path, not_found=TaskNotFound())
    return task, named


async def writable(
    session: AsyncSession, principal: Principal, task_id: int
) -> tuple[KeyTask, list[TaskResponsible]]:
    task = await repo.task(session, task_id)
    if task is None or not sees(principal, task.org_path):
        raise TaskNotFound()
    authorize(principal, Perm.task_write, task.org_path, not_found=TaskNotFound())
    return task, (await repo.responsibles(session, [task.id]))[task.id]


async def list_org(session: AsyncSession, principal: Principal, org_id: int) -> Org:
    org = await repo.org(session, org_id)
    if org is None or not sees(principal, org.path):
        raise field_error("org_id", "组织不存在", "No such organisation")
    if org.kind not in LIST_KINDS:
        raise field_error(
            "org_id",
            "任务清单只属于区、街道（镇）或社区",
            "Task lists belong to a district, street, town or community",
        )
    authorize(principal, Perm.task_write, org.path)
    return org


async def readable_org(session: AsyncSession, principal: Principal, org_id: int) -> Org:
    org = await repo.org(session, org_id)
    if org is None or not sees(principal, org.path):
        raise field_error("org_id", "组织不存在", "No such organisation")
    authorize(principal, Perm.task_read, org.path)
    return org


async def _parent(session: AsyncSession, org: Org, year: int, parent_id: int) -> KeyTask:
    """A sub-task splits a task of a node strictly above its own, for the same year."""
    parent = await repo.task(session, parent_id)
    if parent is None or not covers(parent.org_path, org.path) or parent.org_path == org.path:
        raise field_error(
            "parent_id", "上级任务不存在或不属于上级组织", "No such task on a node above this one"
        )
    if parent.year != year:
        raise field_error("parent_id", "上级任务不是同一年度的", "The parent is of another year")
    return parent


async def _responsible(
    session: AsyncSession, org: Org, item: ResponsibleIn, index: int
) -> TaskResponsible:
    field = f"responsibles.{index}"
    if item.org_id is not None:
        node = await repo.org(session, item.org_id)
        if node is None or not covers(org.path, node.path):
            raise field_error(
                field,
                "责任单位须为本组织或其下级组织",
                "A responsible org must lie in the task's subtree",
            )
        return TaskResponsible(org_id=node.id, staff_org_id=node.id, name=node.name)
    unit = await repo.unit(session, item.unit_id or 0)
    if unit is None:
        raise field_error(field, "单位不存在", "No such unit")
    return TaskResponsible(unit_id=unit.id, staff_org_id=unit.org_id, name=unit.name)


async def _responsibles(
    session: AsyncSession, org: Org, items: list[ResponsibleIn]
) -> list[TaskResponsible]:
    out: dict[tuple[int | None, int | None], TaskResponsible] = {}
    for i, item in enumerate(items):
        row = await _responsible(session, org, item, i)
        out.setdefault((row.org_id, row.unit_id), row)
    return list(out.values())


async def _check_leads(session: AsyncSession, org: Org, values: dict[str, Any]) -> None:
    lead_org = values.get("lead_org_id")
    if lead_org is not None:
        node = await repo.org(session, lead_org)
        if node is None or not covers(org.path, node.path):
            raise field_error(
                "lead_org_id",
                "牵头单位须为本组织或其下级组织",
                "The lead org must lie in the task's subtree",
            )
    lead_unit = values.get("lead_unit_id")
    if lead_unit is not None and await repo.unit(session, lead_unit) is None:
        raise field_error("lead_unit_id", "单位不存在", "No such unit")


async def create(
    session: AsyncSession, principal: Principal, data: TaskCreate, *, meeting_id: int | None = None
) -> tuple[KeyTask, list[TaskResponsible]]:
    org = await list_org(session, principal, data.org_id)
    if data.parent_id is not None:
        await _parent(session, org, data.year, data.parent_id)
    values = data.model_dump(exclude={"responsibles", "org_id"})
    await _check_leads(session, org, values)
    named = await _responsibles(session, org, data.responsibles)
    if data.seq is None:
        values["seq"] = 0
    task = KeyTask(
        org_id=org.id,
        **scope_from(org),
        **values,
        meeting_id=meeting_id,
        created_by=principal.id if principal.kind == "user" else None,
    )
    session.add(task)
    await session.flush()
    for r in named:
        r.task_id = task.id
    session.add_all(named)
    await session.flush()
    await audit.record(
        session, principal, "task.create", "key_task", task.id, org_path=task.org_path
    )
    return task, named


async def update(
    session: AsyncSession, principal: Principal, task: KeyTask, data: TaskUpdate
) -> tuple[KeyTask, list[TaskResponsible]]:
    changes = data.model_dump(exclude_unset=True)
    for name in ("content", "status", "seq"):
        if name in changes and changes[name] is None:
            raise field_error(name, "不能为空", "must not be null")
    org = await repo.org(session, task.org_id)
    assert org is not None  # orgs with tasks cannot be deleted (RESTRICT)
    await _check_leads(session, org, changes)
    if "responsibles" in changes:
        named = await _responsibles(session, org, data.responsibles or [])
        for r in named:
            r.task_id = task.id
        await repo.replace_responsibles(session, task.id, named)
        changes.pop("responsibles")
    for name, value in changes.items():
        setattr(task, name, value)
    task.updated_at = utcnow()  # dirty even when only the responsibles changed: version moves
    await flush_versioned(session)
    await audit.record(
        session,
        principal,
        "task.update",
        "key_task",
        task.id,
        org_path=task.org_path,
        detail={"fields": sorted(data.model_fields_set)},
    )
    return task, (await repo.responsibles(session, [task.id]))[task.id]


async def delete(session: AsyncSession, principal: Principal, task: KeyTask) -> None:
    if await repo.is_referenced(session, task.id):
        raise TaskHasChildren()
    await audit.record(
        session, principal, "task.delete", "key_task", task.id, org_path=task.org_path
    )
    await repo.remove(session, task)


async def list_page(
    session: AsyncSession,
    principal: Principal,
    *,
    year: int | None,
    org_id: int | None,
    parent_id: int | None,
    status: TaskStatus | None,
    meeting_id: int | None,
    page: PageParams,
) -> list[TaskRead]:
    filters = []
    for column, value in (
        (KeyTask.year, year),
        (KeyTask.org_id, org_id),
        (KeyTask.parent_id, parent_id),
        (KeyTask.status, status),
        (KeyTask.meeting_id, meeting_id),
    ):
        if value is not None:
            filters.append(column == value)
    tasks = await repo.list_page(session, principal, filters=filters, page=page)
    return await reads(session, tasks)


async def assigned(
    session: AsyncSession, principal: Principal, *, year: int | None, page: PageParams
) -> list[TaskRead]:
    tasks = await repo.assigned_page(session, staff_nodes(principal), year=year, page=page)
    return await reads(session, tasks)


async def reads(session: AsyncSession, tasks: list[KeyTask]) -> list[TaskRead]:
    named = await repo.responsibles(session, [t.id for t in tasks])
    return [read(t, named[t.id]) for t in tasks]


def read(task: KeyTask, named: list[TaskResponsible]) -> TaskRead:
    return TaskRead(
        id=task.id,
        org_id=task.org_id,
        org_path=task.org_path,
        year=task.year,
        parent_id=task.parent_id,
        seq=task.seq,
        content=task.content,
        target=task.target,
        lead_org_id=task.lead_org_id,
        lead_unit_id=task.lead_unit_id,
        responsibles=[
            ResponsibleRead(id=r.id, org_id=r.org_id, unit_id=r.unit_id, name=r.name) for r in named
        ],
        deadline=task.deadline,
        status=TaskStatus(task.status),
        meeting_id=task.meeting_id,
        version=task.version,
        created_at=task.created_at,
        updated_at=task.updated_at,
    )
