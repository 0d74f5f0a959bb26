"""The track's arithmetic: walked distance with GPS glitches left out, and simplification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.core.geo import haversine_m
from app.patrols.track import Fix, distance_m, simplify

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def line(n: int, *, step_s: int = 60, step_deg: float = 0.001, lat: float = 34.0) -> list[Fix]:
    return [Fix(T0 + timedelta(seconds=i * step_s), 113.8 + i * step_deg, lat) for i in range(n)]


class TestDistance:
    def test_sum_of_the_steps(self):
        fixes = line(4)
        expected = 3 * haversine_m(113.8, 34.0, 113.801, 34.0)
        assert abs(distance_m(fixes) - expected) < 1e-6

    def test_no_fix_or_one_fix_is_no_distance(self):
        assert distance_m([]) == 0.0
        assert distance_m(line(1)) == 0.0

    def test_a_single_glitch_is_skipped(self):
        fixes = line(4)
        glitch = Fix(T0 + timedelta(seconds=90), 113.9, 34.0)
        assert distance_m([*fixes[:2], glitch, *fixes[2:]]) == distance_m(fixes)

    def test_a_bad_first_fix_is_left_behind(self):
        # Everything after it is "too fast" from it: after a few such fixes the sum starts
        # again from the newest one, without the jump.
        bad = Fix(T0 - timedelta(seconds=60), 114.5, 34.0)
        fixes = line(6)
        total = distance_m([bad, *fixes])
        assert abs(total - distance_m(fixes[2:])) < 1e-6

    def test_poor_accuracy_is_skipped(self):
        fixes = line(3)
        poor = Fix(T0 + timedelta(seconds=30), 113.8005, 34.002, accuracy=500)
        assert distance_m([fixes[0], poor, *fixes[1:]]) == distance_m(fixes)

    def test_a_fast_bicycle_counts(self):
        fixes = line(3, step_s=10, step_deg=0.001)  # ~9 m/s
        assert distance_m(fixes) > 180


class TestSimplify:
    def test_a_straight_line_keeps_its_ends(self):
        fixes = line(50)
        assert simplify(fixes, 1.0) == [fixes[0], fixes[-1]]

    def test_a_corner_stays(self):
        east = line(5)
        north = [Fix(east[-1].at + timedelta(seconds=60 * (i + 1)), east[-1].lng,
                     34.0 + 0.001 * (i + 1)) for i in range(5)]
        kept = simplify([*east, *north], 5.0)
        assert kept == [east[0], east[-1], north[-1]]

    def test_no_tolerance_keeps_everything(self):
        fixes = line(10)
        assert simplify(fixes, 0) == fixes

    def test_a_zigzag_keeps_every_corner(self):
        # Douglas–Peucker's worst case: every fix is a corner.
        zigzag = [Fix(T0 + timedelta(seconds=i), 113.8 + i * 1e-5, 34.0 + (i % 2) * 1e-3)
                  for i in range(5_000)]
        assert simplify(zigzag, 1.0) == zigzag

    def test_standing_still_keeps_the_ends(self):
        still = [Fix(T0 + timedelta(seconds=i), 113.8, 34.0) for i in range(5)]
        assert simplify(still, 1.0) == [still[0], still[-1]]
