"""The yearly schedule, on Asia/Shanghai dates: the district meets quarterly (periods
"2026-Q1".."2026-Q4", in the quarter's first month), streets, towns and communities monthly
("2026-01".."2026-12"). A meeting falls on the 10th, or the Monday after when the 10th is a
Saturday or Sunday."""

from __future__ import annotations

from datetime import date, timedelta

QUARTERLY = frozenset({"district"})
MONTHLY = frozenset({"street", "town", "community"})
DAY = 10


def _weekday_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def periods(kind: str, year: int) -> list[tuple[str, date]]:
    """(period, date) of every meeting of the year for a node of this kind."""
    if kind in QUARTERLY:
        return [
            (f"{year}-Q{q}", _weekday_on_or_after(date(year, 3 * q - 2, DAY))) for q in range(1, 5)
        ]
    if kind in MONTHLY:
        return [(f"{year}-{m:02d}", _weekday_on_or_after(date(year, m, DAY))) for m in range(1, 13)]
    return []
