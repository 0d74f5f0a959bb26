"""The caller's in-app inbox."""

from __future__ import annotations

from app.core.auth import CurrentPrincipal
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.pagination import Page, PageDep, page_of
from app.core.routing import DomainRouter
from app.notify import service
from app.notify.schemas import MarkRead, MarkReadResult, NotificationRead

router = DomainRouter(prefix="/notifications", tags=["notifications"])


@router.get("", responses=problems(400))
async def list_notifications(principal: CurrentPrincipal, session: SessionDep,
                             page: PageDep,
                             unread: bool | None = None) -> Page[NotificationRead]:
    """我的消息，新的在前；unread=true 只看未读。"""
    rows = await service.inbox(session, principal, unread=unread, params=page)
    return page_of(rows, page, lambda n: [n.id], NotificationRead.model_validate)


@router.post("/read", responses=problems(422))
async def mark_notifications_read(body: MarkRead, principal: CurrentPrincipal,
                                  session: SessionDep) -> MarkReadResult:
    """标记已读：{"ids": [...]} 或 {"all": true}；只作用于自己的消息。"""
    updated = await service.mark_read(session, principal, None if body.all else body.ids)
    return MarkReadResult(updated=updated)
