"""Working calendar: windows, lunch, weekends, holidays, 调休, offsets, long spans, lights."""

from __future__ import annotations

import random
import time as clock
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from app.cases.calendar import (
    CN_2026_HOLIDAYS,
    CN_2026_WORKDAYS,
    DEFAULT_CALENDAR,
    SHANGHAI,
    WorkCalendar,
)

CN = WorkCalendar.from_lists(list(CN_2026_HOLIDAYS), list(CN_2026_WORKDAYS))


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=SHANGHAI)


# 2026-03-02 is a Monday with no holiday in its week.
MON = (2026, 3, 2)


class TestAddWorkingHours:
    def test_within_one_window(self):
        assert CN.add_working_hours(sh(*MON, 9), 2) == sh(*MON, 11)

    def test_result_is_utc(self):
        due = CN.add_working_hours(sh(*MON, 9), 2)
        assert due.tzinfo is UTC
        assert due == datetime(2026, 3, 2, 3, 0, tzinfo=UTC)

    def test_fractional_hours(self):
        assert CN.add_working_hours(sh(*MON, 9), 0.25) == sh(*MON, 9, 15)

    def test_ends_at_window_end_not_next_start(self):
        assert CN.add_working_hours(sh(*MON, 10), 2) == sh(*MON, 12)
        assert CN.add_working_hours(sh(*MON, 8, 30), 7.5) == sh(*MON, 17, 30)
        assert CN.add_working_hours(sh(*MON, 8, 30), 15) == sh(2026, 3, 3, 17, 30)

    def test_across_lunch(self):
        assert CN.add_working_hours(sh(*MON, 11), 2) == sh(*MON, 14, 30)

    def test_across_weekend(self):
        friday = sh(2026, 3, 6, 16, 30)
        assert CN.add_working_hours(friday, 2) == sh(2026, 3, 9, 9, 30)

    def test_across_holiday(self):
        # 清明节 2026-04-04 (Sat) to 04-06 (Mon): Friday afternoon runs on to Tuesday.
        assert CN.add_working_hours(sh(2026, 4, 3, 17), 1) == sh(2026, 4, 7, 9)
        # 国庆节 10-01 (Thu) to 10-07 (Wed).
        assert CN.add_working_hours(sh(2026, 9, 30, 17), 1) == sh(2026, 10, 8, 9)

    def test_make_up_saturday_is_worked(self):
        # 2026-02-14 (Sat) is a 调休 working day before 春节 (02-15 to 02-23).
        assert CN.add_working_hours(sh(2026, 2, 13, 17), 1) == sh(2026, 2, 14, 9)
        assert CN.add_working_hours(sh(2026, 2, 14, 17), 1) == sh(2026, 2, 24, 9)

    def test_make_up_sunday_after_holiday(self):
        # 元旦 01-01 to 01-03 off, 01-04 (Sun) worked.
        assert CN.add_working_hours(sh(2026, 1, 3, 10), 0) == sh(2026, 1, 4, 8, 30)
        assert CN.add_working_hours(sh(2025, 12, 31, 17), 1) == sh(2026, 1, 4, 9)

    def test_default_calendar_has_no_holidays(self):
        # 2026-10-01 is a Thursday: a working day unless configuration says otherwise.
        assert DEFAULT_CALENDAR.add_working_hours(sh(2026, 9, 30, 17), 1) == sh(2026, 10, 1, 9)
        assert DEFAULT_CALENDAR.add_working_hours(sh(2026, 2, 13, 17), 1) == sh(2026, 2, 16, 9)

    @pytest.mark.parametrize(
        ("start", "expected"),
        [
            (sh(*MON, 7), sh(*MON, 9, 30)),
            (sh(*MON, 12), sh(*MON, 14, 30)),
            (sh(*MON, 12, 45), sh(*MON, 14, 30)),
            (sh(*MON, 17, 30), sh(2026, 3, 3, 9, 30)),
            (sh(*MON, 22), sh(2026, 3, 3, 9, 30)),
            (sh(2026, 3, 7, 10), sh(2026, 3, 9, 9, 30)),
        ],
        ids=["before-work", "lunch-start", "in-lunch", "at-close", "evening", "saturday"],
    )
    def test_start_outside_hours_begins_at_next_window(self, start, expected):
        assert CN.add_working_hours(start, 1) == expected

    def test_zero_inside_window_is_start_itself(self):
        start = sh(*MON, 10, 17, 33)
        assert CN.add_working_hours(start, 0) == start
        assert CN.add_working_hours(sh(*MON, 8, 30), 0) == sh(*MON, 8, 30)

    def test_zero_outside_window_is_next_working_instant(self):
        assert CN.add_working_hours(sh(*MON, 12), 0) == sh(*MON, 13, 30)
        assert CN.add_working_hours(sh(2026, 3, 6, 17, 30), 0) == sh(2026, 3, 9, 8, 30)

    @pytest.mark.parametrize("hours", [-1, float("nan"), float("inf")])
    def test_rejects_bad_hours(self, hours):
        with pytest.raises(ValueError, match="hours"):
            CN.add_working_hours(sh(*MON, 9), hours)

    def test_rejects_naive_datetime(self):
        with pytest.raises(ValueError, match="naive"):
            CN.add_working_hours(datetime(2026, 3, 2, 9), 1)


class TestOffsets:
    def test_shanghai_is_utc_plus_8_all_year(self):
        for month in range(1, 13):
            assert sh(2026, month, 15, 12).utcoffset() == timedelta(hours=8)

    @pytest.mark.parametrize(
        ("start", "monday"),
        [
            (datetime(2026, 3, 2, 1, 0, tzinfo=UTC), MON),
            (datetime(2026, 3, 2, 10, 0, tzinfo=timezone(timedelta(hours=9))), MON),
            # New York moved to EDT that morning; the calendar only sees the instant.
            (datetime(2026, 3, 8, 21, 0, tzinfo=ZoneInfo("America/New_York")), (2026, 3, 9)),
        ],
        ids=["utc", "plus-9", "new-york-after-dst"],
    )
    def test_any_offset_means_the_same_instant(self, start, monday):
        assert start == sh(*monday, 9)
        assert CN.add_working_hours(start, 4) == sh(*monday, 14, 30)
        assert CN.working_hours_between(start, sh(*monday, 17, 30)) == 7.0

    def test_limit_across_european_dst_switch_is_unaffected(self):
        # Europe moves its clocks on 2026-03-29; Shanghai does not, so a week is still 37.5 h.
        assert CN.working_hours_between(sh(2026, 3, 23), sh(2026, 3, 30)) == 37.5


class TestWorkingHoursBetween:
    def test_zero_when_end_not_after_start(self):
        assert CN.working_hours_between(sh(*MON, 10), sh(*MON, 10)) == 0
        assert CN.working_hours_between(sh(*MON, 11), sh(*MON, 10)) == 0

    def test_within_window_and_across_lunch(self):
        assert CN.working_hours_between(sh(*MON, 9), sh(*MON, 10, 30)) == 1.5
        assert CN.working_hours_between(sh(*MON, 11), sh(*MON, 14)) == 1.5

    def test_whole_week(self):
        assert CN.working_hours_between(sh(*MON), sh(2026, 3, 9)) == 37.5

    def test_over_spring_festival(self):
        # Fri 02-13 and make-up Sat 02-14 worked, 02-15..02-23 off, Tue 02-24 worked.
        assert CN.working_hours_between(sh(2026, 2, 13), sh(2026, 2, 25)) == 22.5

    @pytest.mark.parametrize("hours", [0.5, 3.5, 7.5, 8, 40, 333.25, 2000])
    def test_inverse_of_add(self, hours):
        start = sh(2026, 1, 30, 15, 10)
        assert CN.working_hours_between(start, CN.add_working_hours(start, hours)) == hours


class TestCalendarRules:
    def test_working_days(self):
        assert CN.is_working_day(date(2026, 3, 2))
        assert not CN.is_working_day(date(2026, 3, 7))
        assert not CN.is_working_day(date(2026, 10, 5))
        assert CN.is_working_day(date(2026, 9, 20))

    def test_2026_data_agrees_with_the_weekdays_printed_in_the_notice(self):
        # The notice prints the weekday of each boundary date; a typo in a date would show here.
        printed = {
            date(2026, 1, 1): 3, date(2026, 1, 3): 5, date(2026, 1, 4): 6,
            date(2026, 2, 15): 6, date(2026, 2, 23): 0, date(2026, 2, 14): 5,
            date(2026, 2, 28): 5, date(2026, 4, 4): 5, date(2026, 4, 6): 0,
            date(2026, 5, 1): 4, date(2026, 5, 5): 1, date(2026, 5, 9): 5,
            date(2026, 6, 19): 4, date(2026, 6, 21): 6, date(2026, 9, 25): 4,
            date(2026, 9, 27): 6, date(2026, 10, 1): 3, date(2026, 10, 7): 2,
            date(2026, 9, 20): 6, date(2026, 10, 10): 5,
        }
        for day, weekday in printed.items():
            assert day.weekday() == weekday, day
        assert len(CN_2026_HOLIDAYS) == 3 + 9 + 3 + 5 + 3 + 3 + 7
        assert all(d.weekday() >= 5 for d in CN_2026_WORKDAYS)

    def test_rejects_overlapping_windows(self):
        with pytest.raises(ValueError, match="overlaps"):
            WorkCalendar(windows=[(time(8), time(12)), (time(11), time(17))])

    def test_rejects_empty_or_inverted_windows(self):
        with pytest.raises(ValueError, match="at least one"):
            WorkCalendar(windows=[])
        with pytest.raises(ValueError, match="end after"):
            WorkCalendar(windows=[(time(12), time(8))])

    def test_rejects_date_both_holiday_and_workday(self):
        with pytest.raises(ValueError, match="both"):
            WorkCalendar.from_lists([date(2026, 2, 14)], [date(2026, 2, 14)])


# --- an obviously correct reference: one minute at a time ---------------------------------

class MinuteReference:
    """Counts working minutes one by one; instants are minutes since local 0001-01-01."""

    def __init__(self, windows, holidays, workdays):
        self.windows = [(s.hour * 60 + s.minute, e.hour * 60 + e.minute) for s, e in windows]
        self.holidays, self.workdays = set(holidays), set(workdays)
        self._days: dict[int, bool] = {}

    def _working_day(self, ordinal: int) -> bool:
        if ordinal not in self._days:
            d = date.fromordinal(ordinal)
            self._days[ordinal] = d in self.workdays or (
                d not in self.holidays and d.weekday() < 5
            )
        return self._days[ordinal]

    def is_work(self, m: int) -> bool:
        day, minute = divmod(m, 1440)
        return self._working_day(day) and any(s <= minute < e for s, e in self.windows)

    def add(self, m: int, minutes: int) -> int:
        if minutes == 0:
            while not self.is_work(m):
                m += 1
            return m
        counted = 0
        while True:
            counted += self.is_work(m)
            m += 1
            if counted == minutes:
                return m

    def between(self, a: int, b: int) -> int:
        return sum(self.is_work(m) for m in range(a, b))


def to_minutes(dt: datetime) -> int:
    loc = dt.astimezone(SHANGHAI)
    return loc.date().toordinal() * 1440 + loc.hour * 60 + loc.minute


def from_minutes(m: int) -> datetime:
    day, minute = divmod(m, 1440)
    return datetime.combine(date.fromordinal(day), time(), tzinfo=SHANGHAI) + timedelta(
        minutes=minute
    )


def random_calendar(rng: random.Random) -> tuple[list, list, list]:
    """Odd windows and random holidays / make-up weekend days in 2026."""
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    holidays = rng.sample(days, 30)
    weekends = [d for d in days if d.weekday() >= 5 and d not in holidays]
    workdays = rng.sample(weekends, 8)
    windows = [(time(7, 45), time(11, 15)), (time(12, 0), time(12, 40)), (time(14), time(19, 5))]
    return windows, holidays, workdays


CALENDARS = {
    "cn-2026": ([(time(8, 30), time(12)), (time(13, 30), time(17, 30))],
                list(CN_2026_HOLIDAYS), list(CN_2026_WORKDAYS)),
    "one-window": ([(time(9), time(18))], list(CN_2026_HOLIDAYS), list(CN_2026_WORKDAYS)),
    "random": random_calendar(random.Random(7)),
}
START_RANGE = (to_minutes(sh(2025, 12, 1)), to_minutes(sh(2026, 12, 31)))


@pytest.mark.parametrize("name", list(CALENDARS))
class TestAgainstMinuteReference:
    def test_add_short_limits(self, name):
        windows, holidays, workdays = CALENDARS[name]
        cal = WorkCalendar(windows=windows, holidays=holidays, workdays=workdays)
        ref = MinuteReference(windows, holidays, workdays)
        rng = random.Random(f"short-{name}")
        day = sum(e - s for s, e in ref.windows)
        for _ in range(200):
            start = rng.randint(*START_RANGE)
            # Whole working days end exactly at a closing time: the edge that matters most.
            minutes = rng.choice([0, 1, rng.randint(1, 600), rng.randint(1, 60 * 80),
                                  day * rng.randint(1, 10)])
            expected = from_minutes(ref.add(start, minutes))
            assert cal.add_working_hours(from_minutes(start), minutes / 60) == expected, (
                from_minutes(start), minutes)

    def test_add_long_limits(self, name):
        windows, holidays, workdays = CALENDARS[name]
        cal = WorkCalendar(windows=windows, holidays=holidays, workdays=workdays)
        ref = MinuteReference(windows, holidays, workdays)
        rng = random.Random(f"long-{name}")
        for _ in range(2):
            start = rng.randint(*START_RANGE)
            minutes = rng.randint(60 * 500, 60 * 2000)
            expected = from_minutes(ref.add(start, minutes))
            assert cal.add_working_hours(from_minutes(start), minutes / 60) == expected, (
                from_minutes(start), minutes)

    def test_between(self, name):
        windows, holidays, workdays = CALENDARS[name]
        cal = WorkCalendar(windows=windows, holidays=holidays, workdays=workdays)
        ref = MinuteReference(windows, holidays, workdays)
        rng = random.Random(f"between-{name}")
        for _ in range(60):
            a = rng.randint(*START_RANGE)
            b = a + rng.choice([-30, 0, rng.randint(1, 1440), rng.randint(1, 1440 * 60)])
            expected = ref.between(a, b) / 60
            got = cal.working_hours_between(from_minutes(a), from_minutes(b))
            assert got == pytest.approx(expected, abs=1e-9), (from_minutes(a), from_minutes(b))


def test_long_limits_are_fast():
    rng = random.Random(2000)
    starts = [sh(2026, 1, 1) + timedelta(minutes=rng.randint(0, 525_600)) for _ in range(500)]
    t0 = clock.perf_counter()
    for start in starts:
        due = CN.add_working_hours(start, 2000)
        CN.working_hours_between(start, due)
        CN.light(start, due, start + timedelta(days=100))
    per_case = (clock.perf_counter() - t0) / len(starts)
    assert per_case < 0.001, f"{per_case * 1e6:.0f} µs per due/between/light"


class TestLight:
    START = sh(*MON, 8, 30)
    DUE = CN.add_working_hours(START, 10)  # Tue 11:00

    @pytest.mark.parametrize(
        ("percent", "expected"),
        [(0, "green"), (79, "green"), (80, "yellow"), (100, "yellow"), (101, "red")],
    )
    def test_thresholds(self, percent, expected):
        now = CN.add_working_hours(self.START, 10 * percent / 100)
        assert CN.light(self.START, self.DUE, now) == expected

    def test_due_is_tuesday_eleven(self):
        assert self.DUE == sh(2026, 3, 3, 11)

    def test_just_before_eighty_percent_is_green(self):
        now = CN.add_working_hours(self.START, 8) - timedelta(microseconds=1)
        assert CN.light(self.START, self.DUE, now) == "green"

    def test_overdue_outside_working_hours_is_red(self):
        due = sh(2026, 3, 6, 17, 30)
        assert CN.light(sh(*MON, 9), due, sh(2026, 3, 7, 10)) == "red"

    def test_time_outside_working_hours_does_not_count(self):
        start, due = sh(2026, 3, 6, 17), CN.add_working_hours(sh(2026, 3, 6, 17), 2)
        # Saturday: still half an hour used of two hours.
        assert CN.light(start, due, sh(2026, 3, 7, 12)) == "green"

    def test_zero_length_limit(self):
        start = sh(*MON, 9)
        due = CN.add_working_hours(start, 0)
        assert CN.light(start, due, start - timedelta(minutes=1)) == "yellow"
        assert CN.light(start, due, due) == "yellow"
        assert CN.light(start, due, due + timedelta(seconds=1)) == "red"

    def test_now_before_start_is_green(self):
        assert CN.light(self.START, self.DUE, self.START - timedelta(hours=1)) == "green"
