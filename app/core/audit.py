"""Audit rows, written in the caller's transaction. The log is append-only: no code updates
or deletes an entry, and the database refuses it (migration 0007) except for retention's purge
of entries past `GRID_AUDIT_RETENTION_DAYS` (app/core/retention.py). Read by auditors in scope
through `GET /api/v1/audit`.

Side rows (audit entries, outbox events, webhook events, timeline entries) have one way to be
written: as prebuilt Core rows queued with `app.core.rows.defer`, written with the unit of
work's last statement (or at the session's commit outside a request). `record` queues one;
`row` gives it to a caller that queues several at once."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import rows
from app.core.observability import request_id_var
from app.core.rows import NewRow
from app.core.security import Principal
from app.models import AuditEntry
from app.models.base import table_of

_TABLE = table_of(AuditEntry)


async def record(
    session: AsyncSession,
    actor: Principal | str | None,
    action: str,
    object_type: str,
    object_id: object,
    *,
    org_path: str | None = None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    """`actor`: the caller; a key (`"user:12"`, `"anonymous"`) when there is no principal yet
    (sign-in); None for the system itself."""
    rows.defer(session, [(_TABLE, values(actor, action, object_type, object_id,
                                         org_path=org_path, detail=detail, ip=ip))])


def row(actor: Principal | None, action: str, object_type: str, object_id: object, *,
        org_path: str | None = None, detail: dict[str, Any] | None = None) -> NewRow:
    """The same entry as a row for `app.core.rows` (a hot write's side rows)."""
    return _TABLE, values(actor, action, object_type, object_id, org_path=org_path,
                          detail=detail)


def values(actor: Principal | str | None, action: str, object_type: str, object_id: object, *,
           org_path: str | None = None, detail: dict[str, Any] | None = None,
           ip: str | None = None) -> dict[str, Any]:
    return {
        "actor": actor if isinstance(actor, str) else actor.key if actor else "system",
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "org_path": org_path,
        "detail": detail or {},
        "ip": ip,
        "request_id": request_id_var.get(),
    }
