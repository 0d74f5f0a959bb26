"""The audit log, read-only: there is no route that changes or removes an entry."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.audit import service
from app.audit.schemas import AuditEntryRead, AuditQuery
from app.core.auth import CurrentPrincipal
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.inputs import IsoAwareDateTime
from app.core.pagination import Page, PageDep, page_of
from app.core.routing import DomainRouter

router = DomainRouter(prefix="/audit", tags=["audit"])


@router.get("", responses=problems(400, 422))
async def list_audit_entries(
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    action: Annotated[str | None, Query(max_length=64, description=(
        "动作，精确匹配；以 `*` 结尾按前缀匹配（如 `case.*`、`auth.*`）"))] = None,
    actor: Annotated[str | None, Query(max_length=64, description="如 `user:12`")] = None,
    object_type: Annotated[str | None, Query(max_length=32)] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    from_: Annotated[IsoAwareDateTime | None, Query(alias="from", description="含")] = None,
    to: Annotated[IsoAwareDateTime | None, Query(description="不含")] = None,
) -> Page[AuditEntryRead]:
    """审计日志（只读，新的在前）：查看完整信息、导出、角色变更、登录成功与失败、案件流转等。
    审计员（及区级管理员）只看到其管理范围内的记录；未归属组织的记录（如未知用户名的登录失败）
    仅区级可见。无审计权限时返回空列表。日志只增不改，按 `GRID_AUDIT_RETENTION_DAYS` 保留。"""
    q = AuditQuery(action=action, actor=actor, object_type=object_type, object_id=object_id,
                   start=from_, end=to)
    rows = await service.page(session, principal, q, page)
    return page_of(rows, page, lambda e: [e.id], AuditEntryRead.model_validate)
