"""A patrol's GPS track: its walked distance and a simplified copy for drawing on a map.

Phones report fixes of very uneven quality. The distance leaves out fixes the phone itself calls
poor (`accuracy` above `MAX_ACCURACY_M`) and jumps no walker, cyclist or e-bike makes (faster than
`MAX_SPEED_MPS` since the last kept fix); the fixes stay in the track, only the sum skips them.
When several fixes in a row are all too far from the last kept one, that one was the glitch (a
bad first fix, say): the sum starts again from the newest, without the jump.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import shapely
from shapely.geometry import LineString

from app.core.geo import haversine_m

MAX_ACCURACY_M = 100.0
MAX_SPEED_MPS = 30.0  # 108 km/h
REANCHOR_AFTER = 3
_EARTH_M = 6371008.8


@dataclass(frozen=True)
class Fix:
    at: datetime
    lng: float
    lat: float
    accuracy: float | None = None


def distance_m(fixes: Sequence[Fix]) -> float:
    """Walked distance along fixes sorted by time."""
    total = 0.0
    last: Fix | None = None
    rejected = 0
    for fix in fixes:
        if fix.accuracy is not None and fix.accuracy > MAX_ACCURACY_M:
            continue
        if last is not None:
            step = haversine_m(last.lng, last.lat, fix.lng, fix.lat)
            seconds = (fix.at - last.at).total_seconds()
            if seconds <= 0 or step / seconds > MAX_SPEED_MPS:
                rejected += 1
                if rejected < REANCHOR_AFTER:
                    continue  # a glitch: measure the next fix from the last good one
                step = 0.0
            total += step
        last, rejected = fix, 0
    return total


def _project(fixes: Sequence[Fix]) -> list[tuple[float, float]]:
    """Local equirectangular metres around the first fix: exact enough across a grid."""
    lat0 = math.radians(fixes[0].lat)
    k = math.pi / 180 * _EARTH_M
    return [((f.lng - fixes[0].lng) * k * math.cos(lat0), (f.lat - fixes[0].lat) * k)
            for f in fixes]


def simplify(fixes: Sequence[Fix], tolerance_m: float) -> list[Fix]:
    """Douglas–Peucker: drop fixes closer than `tolerance_m` to the line drawn without them; the
    first and last fixes always stay. GEOS does the work (its worst case on a crafted zigzag of
    20,000 fixes is about a second of C, where pure Python took over a minute); it keeps input
    vertices unchanged, so the kept fixes are found again by their projected coordinates."""
    if tolerance_m <= 0 or len(fixes) < 3:
        return list(fixes)
    xy = _project(fixes)
    kept = shapely.simplify(LineString(xy), tolerance_m, preserve_topology=False).coords
    # The ends always stay; the corners between are matched in order (a worker standing still
    # repeats coordinates: any of the repeats stands for them).
    out = [fixes[0]]
    i = 1
    for point in list(kept)[1:-1]:
        while i < len(xy) - 1 and xy[i] != point:
            i += 1
        if i == len(xy) - 1:  # never expected: keep the whole track rather than guess
            return list(fixes)
        out.append(fixes[i])
        i += 1
    return [*out, fixes[-1]]
