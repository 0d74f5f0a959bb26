"""Reading the audit log: auditors (and district admins) in their subtree, newest first."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import repository as repo
from app.audit.errors import AuditRangeInvalid
from app.audit.schemas import AuditQuery
from app.core.pagination import PageParams
from app.core.security import Principal
from app.models import AuditEntry


async def page(session: AsyncSession, principal: Principal, q: AuditQuery, params: PageParams
               ) -> list[AuditEntry]:
    """A caller without `audit:read` anywhere gets an empty page, as every list does."""
    if q.start is not None and q.end is not None and q.start >= q.end:
        raise AuditRangeInvalid()
    return await repo.page(session, principal, q, params)
