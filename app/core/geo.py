"""Coordinates: GCJ-02 (WeChat/Chinese maps) ↔ WGS-84, China bounds, polygons and distances.

GCJ-02 is WGS-84 plus a published, deterministic offset; the inverse has no closed form and is
solved by fixed-point iteration to well under a millimetre.
"""

from __future__ import annotations

import math
from typing import Any, Literal

Crs = Literal["wgs84", "gcj02"]
_A = 6378245.0
_EE = 0.00669342162296594323
# A generous box around China (including the South China Sea islands); GCJ-02 offsets apply
# only inside the narrower box below.
CHINA_BOUNDS = (73.4, 3.5, 135.2, 53.7)
_GCJ_BOX = (72.004, 0.8293, 137.8347, 55.8271)


def in_china(lng: float, lat: float) -> bool:
    w, s, e, n = CHINA_BOUNDS
    return w <= lng <= e and s <= lat <= n


def _offset_applies(lng: float, lat: float) -> bool:
    w, s, e, n = _GCJ_BOX
    return w <= lng <= e and s <= lat <= n


def _t_lat(x: float, y: float) -> float:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _t_lng(x: float, y: float) -> float:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    if not _offset_applies(lng, lat):
        return lng, lat
    dlat = _t_lat(lng - 105.0, lat - 35.0)
    dlng = _t_lng(lng - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    if not _offset_applies(lng, lat):
        return lng, lat
    w_lng, w_lat = lng, lat
    for _ in range(30):
        g_lng, g_lat = wgs84_to_gcj02(w_lng, w_lat)
        d_lng, d_lat = g_lng - lng, g_lat - lat
        w_lng, w_lat = w_lng - d_lng, w_lat - d_lat
        if abs(d_lng) < 1e-10 and abs(d_lat) < 1e-10:
            break
    return w_lng, w_lat


def to_wgs84(lng: float, lat: float, crs: Crs) -> tuple[float, float]:
    return gcj02_to_wgs84(lng, lat) if crs == "gcj02" else (lng, lat)


def from_wgs84(lng: float, lat: float, crs: Crs) -> tuple[float, float]:
    return wgs84_to_gcj02(lng, lat) if crs == "gcj02" else (lng, lat)


def polygon_from_wgs84(geojson: dict[str, Any], crs: Crs) -> dict[str, Any]:
    """A stored (WGS-84) GeoJSON Polygon in `crs`, positions rounded as stored (7 decimals,
    about 1 cm); the same object when no conversion is needed."""
    if crs == "wgs84":
        return geojson
    rings = [
        [[round(v, 7) for v in from_wgs84(float(p[0]), float(p[1]), crs)] for p in ring]
        for ring in geojson["coordinates"]
    ]
    return {**geojson, "coordinates": rings}


def haversine_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def polygon_rings(geojson: dict[str, Any]) -> list[list[tuple[float, float]]]:
    return [[(float(p[0]), float(p[1])) for p in ring] for ring in geojson["coordinates"]]
