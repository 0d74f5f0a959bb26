"""Working calendar for case time limits (处置时限): working windows, weekends, holidays, 调休.

Limits count working hours on the Asia/Shanghai wall clock. China has had no DST since 1991, so
local dates and times map one-to-one onto instants; datetimes may arrive with any offset and
leave in UTC. Arithmetic is done in integer microseconds, so long spans never drift, and whole
working days are counted with weekday arithmetic plus a bisect over the exception dates, so a
limit of thousands of hours costs the same as one of two hours.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from app.core.config import Settings

Light = Literal["green", "yellow", "red"]
Window = tuple[time, time]

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_WINDOWS: tuple[Window, ...] = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))
# Issue 3: green while less than 80 % of the limit is used. Kept as a fraction so the
# comparison is exact in integers (used / limit < 4 / 5).
YELLOW_NUM, YELLOW_DEN = 4, 5

_US_PER_HOUR = 3_600_000_000
_US_PER_DAY = 24 * _US_PER_HOUR


def _span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04), as published by Xinhua and carried by
# gov.cn (https://www.gov.cn/zhengce/content/202511/content_7047090.htm). Only days off that
# would otherwise be working days matter to the calendar, but the full ranges are kept so the
# list reads like the notice.
CN_2026_HOLIDAYS: tuple[date, ...] = tuple(
    _span(date(2026, 1, 1), date(2026, 1, 3))  # 元旦
    + _span(date(2026, 2, 15), date(2026, 2, 23))  # 春节
    + _span(date(2026, 4, 4), date(2026, 4, 6))  # 清明节
    + _span(date(2026, 5, 1), date(2026, 5, 5))  # 劳动节
    + _span(date(2026, 6, 19), date(2026, 6, 21))  # 端午节
    + _span(date(2026, 9, 25), date(2026, 9, 27))  # 中秋节
    + _span(date(2026, 10, 1), date(2026, 10, 7))  # 国庆节
)
# 调休上班: weekend days that are working days under the same notice.
CN_2026_WORKDAYS: tuple[date, ...] = (
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
)


def _us_of_day(t: time | datetime) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def _window_spans(windows: Iterable[Window]) -> tuple[tuple[int, int], ...]:
    spans = tuple((_us_of_day(s), _us_of_day(e)) for s, e in windows)
    if not spans:
        # With no working time a limit could never be reached.
        raise ValueError("a working calendar needs at least one window")
    for i, (s, e) in enumerate(spans):
        if s >= e:
            raise ValueError(f"window {i} does not end after it starts")
        if i and s < spans[i - 1][1]:
            raise ValueError(f"window {i} overlaps or precedes window {i - 1}")
    return spans


def _weekdays_before(ordinal: int) -> int:
    """Mondays–Fridays from 0001-01-01 (a Monday, ordinal 1) up to, not including, `ordinal`."""
    weeks, rest = divmod(ordinal - 1, 7)
    return weeks * 5 + min(rest, 5)


class WorkCalendar:
    """Working days and hours in one time zone.

    A date is a working day when it is a make-up working day (调休), or else when it is a
    Monday–Friday that is not a holiday. Working time on a working day is the union of
    `windows`, each half-open: [08:30, 12:00) contains 08:30 but not 12:00.
    """

    def __init__(
        self,
        *,
        windows: Iterable[Window] = DEFAULT_WINDOWS,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        tz: ZoneInfo = SHANGHAI,
    ) -> None:
        self.tz = tz
        self.windows: tuple[Window, ...] = tuple(windows)
        self._spans = _window_spans(self.windows)
        self._day_us = sum(e - s for s, e in self._spans)
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        if clash := sorted(self.holidays & self.workdays):
            raise ValueError(f"dates both holiday and working day: {clash}")
        # Only exceptions that change the weekday rule affect counts: holidays on Mon–Fri
        # remove a working day, make-up days on Sat/Sun add one.
        self._removed = sorted(d.toordinal() for d in self.holidays if d.weekday() < 5)
        self._added = sorted(d.toordinal() for d in self.workdays if d.weekday() >= 5)
        self._now_memo: tuple[datetime, tuple[date, int]] | None = None

    @classmethod
    def from_lists(
        cls,
        holidays: Iterable[date],
        workdays: Iterable[date],
        windows: Iterable[Window] | None = None,
    ) -> WorkCalendar:
        return cls(
            windows=DEFAULT_WINDOWS if windows is None else windows,
            holidays=holidays,
            workdays=workdays,
        )

    @property
    def hours_per_day(self) -> float:
        return self._day_us / _US_PER_HOUR

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day not in self.holidays and day.weekday() < 5

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The instant (UTC) at which `hours` working hours after `start` have elapsed.

        A start outside working time counts from the next window. A limit that runs out exactly
        at the end of a window ends there (12:00, not 13:30). `hours == 0` returns `start` itself
        when it lies inside a window, otherwise the start of the next window: the clock of a
        zero-hour limit starts, and stops, at the next working instant.
        """
        if not (hours >= 0 and math.isfinite(hours)):
            raise ValueError(f"hours must be a finite number >= 0, not {hours!r}")
        remaining = round(hours * _US_PER_HOUR)
        day, now = self._local(start)
        if self.is_working_day(day):
            for s, e in self._spans:
                begin = max(s, now)
                if begin >= e:
                    continue
                if remaining <= e - begin:
                    return self._instant(day, begin + remaining)
                remaining -= e - begin
        # The rest ends on a later working day: skip whole days so that what is left,
        # `rest`, is in [0, one working day], then walk that day's windows.
        skip = max(0, (remaining - 1) // self._day_us)
        target = self._nth_working_day(day + timedelta(days=1), skip + 1)
        rest = remaining - skip * self._day_us
        for s, e in self._spans:
            if rest <= e - s:
                return self._instant(target, s + rest)
            rest -= e - s
        raise AssertionError("unreachable: rest never exceeds one working day")

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Working hours in [start, end); 0 when `end` is not after `start`."""
        return self._between_us(start, end) / _US_PER_HOUR

    def light(self, start: datetime, due: datetime, now: datetime) -> Light:
        """Traffic light of a case: red once `now` is past `due`; otherwise green while less
        than 80 % of the working hours from `start` to `due` are used, else yellow. A zero-hour
        limit is yellow until it is overdue."""
        if now > due:
            return "red"
        begin = self._local(start)
        limit = self._between_local(begin, self._local(due)) if due > start else 0
        if limit == 0:
            return "yellow"
        # A list page asks with one `now` for every case: convert it once.
        memo = self._now_memo
        if memo is None or memo[0] != now:
            memo = self._now_memo = (now, self._local(now))
        used = self._between_local(begin, memo[1]) if now > start else 0
        return "green" if used * YELLOW_DEN < limit * YELLOW_NUM else "yellow"

    def _between_us(self, start: datetime, end: datetime) -> int:
        if end <= start:
            return 0
        return self._between_local(self._local(start), self._local(end))

    def _between_local(self, start: tuple[date, int], end: tuple[date, int]) -> int:
        (d0, t0), (d1, t1) = start, end
        if d0 == d1:
            return self._worked_in_day(d0, t0, t1)
        head = self._worked_in_day(d0, t0, _US_PER_DAY)
        tail = self._worked_in_day(d1, 0, t1)
        full_days = self._working_days_before(d1.toordinal()) - self._working_days_before(
            d0.toordinal() + 1
        )
        return head + full_days * self._day_us + tail

    def _worked_in_day(self, day: date, t0: int, t1: int) -> int:
        if t1 <= t0 or not self.is_working_day(day):
            return 0
        # A plain loop: a list page works out two spans per case, and a generator with
        # min/max calls cost several times this.
        total = 0
        for s, e in self._spans:
            lo = s if s > t0 else t0
            hi = e if e < t1 else t1
            if hi > lo:
                total += hi - lo
        return total

    def _working_days_before(self, ordinal: int) -> int:
        return (
            _weekdays_before(ordinal)
            - bisect_left(self._removed, ordinal)
            + bisect_left(self._added, ordinal)
        )

    def _nth_working_day(self, first: date, n: int) -> date:
        """The `n`-th (1-based) working day on or after `first`, by binary search on counts."""
        lo = first.toordinal()
        base = self._working_days_before(lo)
        # Each removed weekday pushes the answer by at most one weekday; 7/5 converts weekdays
        # to calendar days and the slack covers a partial week at either end.
        hi = lo + (n + len(self._removed)) * 7 // 5 + 14
        while lo < hi:
            mid = (lo + hi) // 2
            if self._working_days_before(mid + 1) - base >= n:
                hi = mid
            else:
                lo = mid + 1
        return date.fromordinal(lo)

    def _local(self, dt: datetime) -> tuple[date, int]:
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise ValueError("naive datetime: pass an aware datetime")
        loc = dt.astimezone(self.tz)
        return loc.date(), _us_of_day(loc)

    def _instant(self, day: date, us: int) -> datetime:
        wall = datetime.combine(day, time()) + timedelta(microseconds=us)
        return wall.replace(tzinfo=self.tz).astimezone(UTC)


# No holidays here: the deployment's configuration supplies them (see `from_lists`).
DEFAULT_CALENDAR = WorkCalendar()


def calendar_for(settings: Settings) -> WorkCalendar:
    """The deployment's calendar: the published national schedule (unless turned off) plus
    locally configured holidays and make-up working days."""
    holidays, workdays = list(settings.holidays), list(settings.extra_workdays)
    if settings.use_cn_holidays:
        holidays += CN_2026_HOLIDAYS
        workdays += CN_2026_WORKDAYS
    return WorkCalendar.from_lists(holidays, workdays)
