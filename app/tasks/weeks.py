"""ISO weeks on the Asia/Shanghai calendar: "2026-W49" ↔ Monday..Sunday, and the instant a
week ends (a report filed after it is late).

ISO years have 52 or 53 weeks: 2026 has 53, and 2027-01-01 (a Friday) is in 2026-W53, so a
week's year is the ISO year, not the calendar year of its days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.core.errors import field_error

SHANGHAI = ZoneInfo("Asia/Shanghai")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
# The shape a schema can state: a year 0001..9998 is checked after it, and whether W53 exists
# depends on the year (ISO 8601), which no pattern says; `Week.parse` refuses both.
WEEK_PATTERN = r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$"
WEEK_TEXT = "ISO 周，如 2026-W49（年份 0001–9998；W53 只在有 53 周的年份）"


def weeks_in(year: int) -> int:
    # 28 December is always in the last ISO week of its year.
    return date(year, 12, 28).isocalendar().week


@dataclass(frozen=True)
class Week:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Week:
        """ValueError (with the reason) for anything but an existing ISO week."""
        m = _WEEK.match(text)
        if not m:
            raise ValueError("周须写作 YYYY-Www，如 2026-W49")
        year, number = int(m.group(1)), int(m.group(2))
        if not 1 <= year <= 9998 or not 1 <= number <= weeks_in(year):
            raise ValueError(f"{year} 年没有第 {number} 周")
        return cls(year, number)

    @classmethod
    def field(cls, text: str, name: str = "week") -> Week:
        """`parse` for a request's field: a 422 naming it. Not a pydantic validator: the schema
        states the shape (WEEK_PATTERN), and a week the pattern allows but the year lacks is a
        rule of the calendar, refused here like the service's other rules."""
        try:
            return cls.parse(text)
        except ValueError as exc:
            raise field_error(name, str(exc), "Not an ISO week such as 2026-W49") from exc

    @classmethod
    def of(cls, day: date) -> Week:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def at(cls, instant: datetime) -> Week:
        """The week an instant falls in, on the Shanghai wall clock."""
        return cls.of(instant.astimezone(SHANGHAI).date())

    def __str__(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def ends_at(self) -> datetime:
        """The first instant after the week (next Monday 00:00 in Shanghai), in UTC."""
        start = datetime.combine(self.monday + timedelta(days=7), time(), SHANGHAI)
        return start.astimezone(UTC)

    def previous(self) -> Week:
        return Week.of(self.monday - timedelta(days=7))


def is_late(week: Week, filed_at: datetime) -> bool:
    return filed_at >= week.ends_at


def shanghai_today(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()
