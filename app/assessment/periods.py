"""Quarters in Asia/Shanghai dates: "2026-Q4" is [2026-10-01 00:00+08:00, 2027-01-01 00:00+08:00),
so a case reported at 00:30 on New Year's Day in Xuchang (16:30 UTC on 31 December) belongs to
the next year's first quarter."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def parse_quarter(text: str) -> tuple[int, int]:
    m = QUARTER.match(text)
    if not m:
        raise ValueError("季度格式应为 YYYY-Qn，如 2026-Q4")
    return int(m.group(1)), int(m.group(2))


def quarter_bounds(year: int, quarter: int) -> tuple[datetime, datetime]:
    """The quarter as a half-open UTC range."""
    start = datetime(year, 3 * quarter - 2, 1, tzinfo=SHANGHAI)
    end = (
        datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
        if quarter == 4
        else datetime(year, 3 * quarter + 1, 1, tzinfo=SHANGHAI)
    )
    return start.astimezone(UTC), end.astimezone(UTC)


def label(year: int, quarter: int) -> str:
    return f"{year}-Q{quarter}"
