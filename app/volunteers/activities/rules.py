"""Attendance arithmetic (志愿服务记录与证明出具办法): service time runs from check-in to
check-out within the activity's span, never more than the activity lasted."""

from __future__ import annotations

from datetime import datetime, timedelta

# A phone may check in this long before the start (people arrive early), not earlier.
EARLY_CHECK_IN = timedelta(minutes=30)
# Check-out stays open this long after the end, for whoever forgot; the hours stay capped.
LATE_CHECK_OUT = timedelta(hours=2)


def span_minutes(starts_at: datetime, ends_at: datetime) -> int:
    return int((ends_at - starts_at).total_seconds() // 60)


def service_minutes(checked_in: datetime, checked_out: datetime, starts_at: datetime,
                    ends_at: datetime) -> int:
    """Whole minutes of the overlap of [checked_in, checked_out] and [starts_at, ends_at]."""
    begin, end = max(checked_in, starts_at), min(checked_out, ends_at)
    return max(0, int((end - begin).total_seconds() // 60))


def points_for(minutes: int, points_per_hour: int) -> int:
    """Points for the minutes served, rounded down (no points for part of a point)."""
    return minutes * points_per_hour // 60
