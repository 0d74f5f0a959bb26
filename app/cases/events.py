"""What a case change tells the world: webhook events for third parties, inbox rows (and WeChat
messages) for the people concerned. Written in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.rows import NewRow
from app.core.security import Principal
from app.core.types import utcnow
from app.models import Case
from app.notify import service as notify
from app.webhooks import service as webhooks

STATUS_LABELS = {
    "reported": "已上报", "accepted": "已受理", "rejected": "不予受理", "dispatched": "已派遣",
    "in_progress": "处置中", "resolved": "已处置", "closed": "已结案", "suspended": "已挂账",
}


def snapshot(case: Case | Row[Any]) -> dict[str, Any]:
    """The case as third parties see it (no reporter identity, WGS-84)."""
    return {
        "id": case.id, "code": case.code, "status": case.status,
        "category_code": case.category_code, "grid_id": case.grid_id,
        "community_id": case.community_id, "street_id": case.street_id,
        "lng": case.lng, "lat": case.lat, "address": case.address,
        "reported_at": case.reported_at.isoformat(), "due_at": case.due_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
    }


def created(case: Case | Row[Any]) -> NewRow:
    """`case.created` for subscribers, as an outbox row for `app.core.rows`."""
    return webhooks.event_row("case.created", org_path=case.org_path, data=snapshot(case))


async def transitioned(session: AsyncSession, settings: Settings, principal: Principal,
                       case: Case, action: str, before: str, note: str | None) -> None:
    data = {**snapshot(case), "from_status": before, "action": action}
    webhooks.publish(session, "case.status_changed", org_path=case.org_path, data=data)
    label = STATUS_LABELS.get(case.status, case.status)
    title = f"案件 {case.code} {label}"
    wechat = {"code": case.code, "status": label,
              "time": utcnow().astimezone().strftime("%Y-%m-%d %H:%M"),
              "note": (note or label)[:20]}
    reporter = {case.reporter_id} if case.reporter_id else set()
    if principal.kind == "user":
        reporter.discard(principal.id)  # nobody needs telling what they just did
    await notify.notify(session, settings, reporter, kind="case_status", title=title,
                        body=note or "", case_id=case.id,
                        data={"action": action, "status": case.status}, wechat=wechat)
    if action == "dispatch" and case.assignee_id and case.assignee_id != principal.id:
        await notify.notify(session, settings, {case.assignee_id}, kind="case_assigned",
                            title=f"新派遣案件 {case.code}", body=case.description[:200],
                            case_id=case.id, data={"due_at": case.due_at.isoformat()})
