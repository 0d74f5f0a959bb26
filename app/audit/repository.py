"""SQL for reading the audit log, from the caller's audit scope."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.schemas import AuditQuery
from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.scope import in_paths, scope_paths
from app.core.security import Principal
from app.models import AuditEntry


def _is_root(path: str) -> bool:
    return path.count("/") == 2


def readable_entries(principal: Principal) -> Select[AuditEntry]:
    """Entries filed under the caller's `audit:read` subtrees. Entries filed under no node
    (a failed sign-in with an unknown name, retention's purges) are district-wide: only an
    auditor of a whole district reads them."""
    paths = scope_paths(principal, Perm.audit_read)
    cond: ColumnElement[bool] = in_paths(AuditEntry.org_path, paths)
    if any(_is_root(p) for p in paths):
        cond = or_(cond, AuditEntry.org_path.is_(None))
    return select(AuditEntry).where(cond)


def _filtered(stmt: Select[AuditEntry], q: AuditQuery) -> Select[AuditEntry]:
    if q.action is not None:
        if q.action.endswith("*"):  # `case.*`: every case action
            stmt = stmt.where(AuditEntry.action.startswith(q.action[:-1], autoescape=True))
        else:
            stmt = stmt.where(AuditEntry.action == q.action)
    if q.actor is not None:
        stmt = stmt.where(AuditEntry.actor == q.actor)
    if q.object_type is not None:
        stmt = stmt.where(AuditEntry.object_type == q.object_type)
    if q.object_id is not None:
        stmt = stmt.where(AuditEntry.object_id == q.object_id)
    if q.start is not None:
        stmt = stmt.where(AuditEntry.at >= q.start)
    if q.end is not None:
        stmt = stmt.where(AuditEntry.at < q.end)
    return stmt


async def page(session: AsyncSession, principal: Principal, q: AuditQuery, params: PageParams
               ) -> list[AuditEntry]:
    stmt = keyset(_filtered(readable_entries(principal), q), [(AuditEntry.id, True)], params)
    return list((await session.execute(stmt)).scalars())
