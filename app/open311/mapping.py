"""Our cases and categories as Open311 records: every field present, ids and codes as strings,
datetimes ISO-8601 in UTC with their offset."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from app.cases.rules import FINAL
from app.cases.schemas import CategoryNode
from app.core.i18n import t
from app.models import Case, CaseEvent

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this face last changed in a way clients should notice (discovery's `changeset`).
CHANGESET = "2026-11-27T00:00:00+00:00"
KIND_LABELS = {"component": ("部件", "Components"), "event": ("事件", "Events"),
               "community": ("社区事务", "Community affairs")}
STATE_LABELS = {
    "reported": ("已上报", "Reported"), "accepted": ("已受理", "Accepted"),
    "rejected": ("不予受理", "Rejected"), "dispatched": ("已派遣", "Dispatched"),
    "in_progress": ("处置中", "In progress"),
    "resolved": ("已处置，待核查", "Resolved, to be verified"),
    "closed": ("已结案", "Closed"), "suspended": ("已挂账", "Suspended"),
}
ACTION_LABELS = {
    "report": ("已上报", "Reported"), "return": ("退回指挥中心重新派遣", "Returned for redispatch"),
    "rework": ("核查未通过，返工", "Reopened for rework"), "resume": ("恢复办理", "Resumed"),
    "merge": ("重复上报，已并入原案件", "Duplicate, merged into the original request"),
    "merged_in": ("有重复上报并入本案件", "A duplicate was merged into this request"),
    "escalate": ("已超时，督办中", "Overdue, escalated"),
    "self_resolve": ("网格员现场处置，已结案", "Resolved on the spot, closed"),
}
# A media_url a client sent is kept as the description's last line (we have no column for it
# and never fetch third-party URLs), and split out again here.
MEDIA_MARK = "\n\n[media_url] "
_MEDIA_TAIL = re.compile(re.escape(MEDIA_MARK) + r"(\S+)\Z")


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str
    required: bool
    order: int
    description: tuple[str, str]
    datatype_description: tuple[str, str] | None = None
    max_len: int = 100
    values: tuple[tuple[str, str, str], ...] = ()  # (key, zh, en) of list datatypes


# Every service takes the same extra field; `attribute[address_detail]` joins the address.
ATTRIBUTES = (
    Attribute("address_detail", "string", False, 1,
              ("门牌号、楼栋单元或明显参照物", "House number, building or a landmark nearby"),
              ("不超过 100 个字", "At most 100 characters")),
)


def iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def open_or_closed(state: str) -> str:
    return "closed" if state in FINAL else "open"


def state_label(state: str) -> str:
    zh, en = STATE_LABELS.get(state, (state, state))
    return t(zh, en)


def time_limit_notice(hours: float | None) -> str | None:
    if hours is None:
        return None
    return t(f"处置时限 {hours:g} 个工作小时", f"To be handled within {hours:g} working hours")


def group_of(leaf: CategoryNode, parent: CategoryNode | None) -> str:
    if parent is not None:
        return parent.name
    zh, en = KIND_LABELS.get(leaf.kind, (leaf.kind, leaf.kind))
    return t(zh, en)


def service_record(leaf: CategoryNode, parent: CategoryNode | None) -> dict[str, object]:
    group = group_of(leaf, parent)
    kind = t(*KIND_LABELS.get(leaf.kind, (leaf.kind, leaf.kind)))
    notice = time_limit_notice(leaf.time_limit_hours)
    return {
        "service_code": leaf.code,
        "service_name": leaf.name,
        "description": t(f"{group} · {leaf.name}（{notice}）", f"{group} · {leaf.name} ({notice})"),
        "metadata": bool(ATTRIBUTES),
        "type": "realtime",
        "keywords": ",".join(dict.fromkeys([leaf.name, group, kind])),
        "group": group,
    }


def definition_record(code: str) -> dict[str, object]:
    return {"service_code": code, "attributes": [
        {"variable": True, "code": a.code, "datatype": a.datatype, "required": a.required,
         "datatype_description": t(*a.datatype_description) if a.datatype_description else None,
         "order": a.order, "description": t(*a.description),
         "values": [{"key": key, "name": t(zh, en)} for key, zh, en in a.values]}
        for a in ATTRIBUTES
    ]}


def split_media(description: str) -> tuple[str, str | None]:
    match = _MEDIA_TAIL.search(description)
    if match is None:
        return description, None
    return description[: match.start()], match.group(1)


@dataclass(frozen=True)
class RequestRow:
    case: Case
    service_name: str
    time_limit_hours: float | None
    grid_name: str
    grid_code: str | None
    agency: str | None


def request_record(row: RequestRow, attachment_url: str | None, *, public: bool = False
                   ) -> dict[str, object]:
    """A case as a request. `public` (a reader without a key) differs in two fields only:
    `status_notes` is the status wording alone, and `media_url` never points at our photos."""
    case = row.case
    description, sent_media = split_media(case.description)
    notes = state_label(case.status) if public else f"{case.status}: {state_label(case.status)}"
    return {
        "service_request_id": case.code,
        "status": open_or_closed(case.status),
        # Never a timeline note: those are staff's and may name people.
        "status_notes": notes,
        "service_name": row.service_name,
        "service_code": case.category_code,
        "description": description,
        "agency_responsible": row.agency,
        "service_notice": time_limit_notice(row.time_limit_hours),
        "requested_datetime": iso(case.reported_at),
        "updated_datetime": iso(case.updated_at),
        "expected_datetime": iso(case.due_at),
        # The address as the reporter wrote it (nothing is looked up in the people register),
        # else the grid's name, else the point.
        "address": case.address or row.grid_name or f"{case.lat:.6f},{case.lng:.6f}",
        "address_id": row.grid_code,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lng,
        # Our own (EXIF-stripped) photo first; else the URL the reporting client sent; never "".
        # Without a key only the sent URL: our photo's download needs a bearer token anyway,
        # and field staff's photos (doorways, faces, plates) are for those who handle the case,
        # whereas the reporting app sent its URL to be shown with the request.
        "media_url": sent_media if public else attachment_url or sent_media,
    }


def update_record(event: CaseEvent, code: str) -> dict[str, object]:
    label = ACTION_LABELS.get(event.action)
    return {
        "update_id": str(event.id),
        "service_request_id": code,
        "status": open_or_closed(event.to_status),
        "updated_datetime": iso(event.at),
        # Labels only: staff notes may name people and never leave through this face.
        "description": t(*label) if label else state_label(event.to_status),
        "media_url": None,
    }
