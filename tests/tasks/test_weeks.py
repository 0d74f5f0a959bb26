"""ISO weeks on the Asia/Shanghai calendar, around New Year: 2026 has 53 weeks and
2027-01-01 lies in 2026-W53; a week ends at Monday 00:00 in Shanghai (16:00 UTC Sunday)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.tasks.weeks import Week, is_late, weeks_in


class TestParse:
    def test_2026_has_53_weeks_and_2025_has_52(self):
        assert weeks_in(2026) == 53 and weeks_in(2025) == 52
        assert str(Week.parse("2026-W53")) == "2026-W53"
        with pytest.raises(ValueError):
            Week.parse("2025-W53")

    @pytest.mark.parametrize(
        "text", ["2026-W00", "2026-W54", "2026W49", "2026-w49", "", "0000-W01", "2026-W4"]
    )
    def test_rejects_what_is_not_a_week(self, text):
        with pytest.raises(ValueError):
            Week.parse(text)


class TestNewYear:
    def test_new_years_day_2027_is_in_2026_w53(self):
        assert Week.of(date(2027, 1, 1)) == Week(2026, 53)
        week = Week.parse("2026-W53")
        assert (week.monday, week.sunday) == (date(2026, 12, 28), date(2027, 1, 3))
        assert Week.parse("2027-W01").monday == date(2027, 1, 4)

    def test_2026_w01_starts_in_2025(self):
        assert Week.parse("2026-W01").monday == date(2025, 12, 29)
        assert Week.of(date(2025, 12, 31)) == Week(2026, 1)

    def test_shanghai_wall_clock_decides_the_week(self):
        # 2027-01-03 23:30 in Shanghai is still 2026-W53; 00:00 on the 4th is 2027-W01.
        assert Week.at(datetime(2027, 1, 3, 15, 30, tzinfo=UTC)) == Week(2026, 53)
        assert Week.at(datetime(2027, 1, 3, 16, 0, tzinfo=UTC)) == Week(2027, 1)
        # New Year's Eve 16:30 UTC is already 2027-01-01 in Shanghai: still 2026-W53.
        assert Week.at(datetime(2026, 12, 31, 16, 30, tzinfo=UTC)) == Week(2026, 53)

    def test_a_report_is_late_from_monday_midnight_in_shanghai(self):
        week = Week.parse("2026-W53")
        assert week.ends_at == datetime(2027, 1, 3, 16, 0, tzinfo=UTC)
        assert not is_late(week, datetime(2027, 1, 3, 15, 59, 59, tzinfo=UTC))
        assert is_late(week, datetime(2027, 1, 3, 16, 0, tzinfo=UTC))

    def test_previous_crosses_the_year(self):
        assert Week.parse("2027-W01").previous() == Week(2026, 53)
        assert Week.parse("2026-W01").previous() == Week(2025, 52)
