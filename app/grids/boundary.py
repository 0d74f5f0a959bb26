"""Grid boundaries: GeoJSON polygons checked for shape and place, stored in WGS-84."""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

import shapely
from shapely.geometry import Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from app.core.errors import Unprocessable
from app.core.geo import Crs, in_china, to_wgs84
from app.grids.schemas import PolygonIn


def _invalid(zh: str, en: str) -> Unprocessable:
    return Unprocessable(zh, en, code="invalid_boundary",
                         errors=[{"field": "boundary", "message": en}])


def _is_number(value: Any) -> bool:
    # JSON true/false arrive as bool, a subclass of int; NaN/Infinity are accepted by the parser.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _ring(ring: Any, datum: Crs) -> list[list[float]]:
    """One linear ring checked for shape and place, converted to rounded WGS-84."""
    if not isinstance(ring, list) or len(ring) < 4:
        raise _invalid("边界环至少需要 4 个点（首尾相同）", "A ring needs at least 4 positions")
    for pos in ring:
        if not isinstance(pos, list) or len(pos) not in (2, 3) or not all(map(_is_number, pos)):
            raise _invalid("坐标须为 [经度, 纬度]", "A position is [lng, lat]")
    if ring[0] != ring[-1]:
        raise _invalid("边界环未闭合：首点与末点须相同", "Ring not closed: first != last")
    out = []
    for lng, lat, *_ in ring:
        if not in_china(lng, lat):
            raise _invalid("边界超出中国境内范围（注意经纬度顺序）",
                           "Boundary lies outside China (check lng/lat order)")
        w_lng, w_lat = to_wgs84(lng, lat, datum)
        out.append([round(w_lng, 7), round(w_lat, 7)])
    out[-1] = out[0]
    return out


def normalize(boundary: PolygonIn, crs: Crs | None) -> dict[str, Any]:
    """Validate and convert to a WGS-84 GeoJSON Polygon; raises 422 naming what is wrong."""
    if boundary.type != "Polygon":
        raise _invalid("边界须为 GeoJSON Polygon", "The boundary must be a GeoJSON Polygon")
    if not boundary.coordinates:
        raise _invalid("边界至少需要一个外环", "A polygon needs an exterior ring")
    datum: Crs = boundary.crs or crs or "wgs84"
    rings = [_ring(ring, datum) for ring in boundary.coordinates]
    poly = Polygon(rings[0], rings[1:])
    if not poly.is_valid:
        reason = explain_validity(poly)
        raise _invalid(f"边界多边形无效（自相交等）：{reason}",
                       f"Invalid polygon (self-intersection etc.): {reason}")
    if poly.area == 0:
        raise _invalid("边界面积为零", "Boundary has zero area")
    return {"type": "Polygon", "coordinates": rings}


def bbox(geojson: dict[str, Any]) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = shape(geojson).bounds
    return minx, miny, maxx, maxy


def covers(polygon: BaseGeometry, lng: float, lat: float) -> bool:
    """Inside or on the edge (for a polygon and a point, intersecting is covering); the _xy
    form tests the coordinates without building a Point."""
    return bool(shapely.intersects_xy(polygon, lng, lat))


class Shapes:
    """Parsed, prepared grid polygons by grid id and stamp: placing a report tests the same
    grids again and again, and parsing a polygon costs more than testing it. The stamp is
    (version, created_at): every change of a grid bumps its version (the mapper's version
    counter), and SQLite gives a deleted newest grid's id to the next one created, at version 1
    again — its creation time tells them apart. So an entry is never used for a boundary other
    than the one it was built from, whichever process changed it."""

    MAX = 4096

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[Hashable, BaseGeometry | None]] = {}

    def get(self, grid_id: int, stamp: Hashable) -> tuple[bool, BaseGeometry | None]:
        """(known, polygon): a grid without a boundary is known as None."""
        hit = self._by_id.get(grid_id)
        if hit is None or hit[0] != stamp:
            return False, None
        return True, hit[1]

    def put(self, grid_id: int, stamp: Hashable, geojson: dict[str, Any] | None
            ) -> BaseGeometry | None:
        polygon = shape(geojson) if geojson else None
        if polygon is not None:
            shapely.prepare(polygon)
        if len(self._by_id) >= self.MAX:
            self._by_id.clear()
        self._by_id[grid_id] = (stamp, polygon)
        return polygon


def distance_m(geojson: dict[str, Any], lng: float, lat: float) -> float:
    """Metres from a WGS-84 point to the boundary's area (0 inside): the polygon is projected
    onto a local plane at the point, which is exact enough at grid scale (a few km)."""
    kx, ky = 111_320.0 * math.cos(math.radians(lat)), 110_540.0
    local = shapely.transform(shape(geojson), lambda xy: (xy - (lng, lat)) * (kx, ky))
    return float(local.distance(Point(0.0, 0.0)))
