"""What a PATCH of an activity changes: the fields sent (`exclude_unset`), a place converted to
WGS-84, and the whole checked against the activity as it stands (times in order, the deadline
not after the end). Field problems are 422 naming the field."""

from __future__ import annotations

from typing import Any

from app.core.errors import field_error
from app.core.geo import to_wgs84
from app.models import Activity
from app.volunteers.activities import audience
from app.volunteers.activities.schemas import ActivityUpdate

TIMES = frozenset({"starts_at", "ends_at"})
# Changes the people holding a place are told about.
NOTIFIED = frozenset({"starts_at", "ends_at", "address", "lng", "lat"})


def changes(activity: Activity, data: ActivityUpdate) -> dict[str, Any]:
    """The columns to set: only those whose value differs from the activity's."""
    sent = data.model_dump(exclude_unset=True)
    crs = sent.pop("crs", "wgs84")
    if sent.get("lng") is not None and sent.get("lat") is not None:
        sent["lng"], sent["lat"] = to_wgs84(sent["lng"], sent["lat"], crs)
    _check(activity, sent)
    return {k: v for k, v in sent.items() if getattr(activity, k) != v}


def _check(activity: Activity, sent: dict[str, Any]) -> None:
    if sent.get("residents_only") and activity.community_id is None:
        raise audience.no_community()
    starts = sent.get("starts_at", activity.starts_at)
    ends = sent.get("ends_at", activity.ends_at)
    if ends <= starts:
        raise field_error("ends_at", "结束时间须晚于开始时间", "ends_at must be after starts_at")
    deadline = sent.get("signup_deadline", activity.signup_deadline)
    if deadline is not None and deadline > ends:
        raise field_error(
            "signup_deadline", "报名截止不能晚于结束时间", "signup_deadline cannot be after ends_at"
        )
    low = sent.get("min_age", activity.min_age)
    high = sent.get("max_age", activity.max_age)
    if low is not None and high is not None and low > high:
        raise field_error("min_age", "最小年龄不能大于最大年龄", "min_age cannot exceed max_age")
