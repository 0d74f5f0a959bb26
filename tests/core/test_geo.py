"""GCJ-02 ↔ WGS-84 against reference pairs published by other implementations."""

from __future__ import annotations

import math

import pytest

from app.core.geo import (
    CHINA_BOUNDS,
    from_wgs84,
    gcj02_to_wgs84,
    haversine_m,
    in_china,
    to_wgs84,
    wgs84_to_gcj02,
)

# (wgs_lng, wgs_lat, gcj_lng, gcj_lat). Library code takes (lng, lat); the sources list lat first.
REFERENCE_PAIRS = [
    # googollee/eviltransform, python/test.py (same table in go/transform_test.go,
    # javascript/test.js and csharp/EvilTransformUnitTest.cs): Shanghai, Shenzhen, Beijing.
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
    # wandergis/coordtransform, README.md: wgs84togcj02(116.404, 39.915) printed result.
    (116.404, 39.915, 116.41024449916938, 39.91640428150164),
]
IDS = ["shanghai", "shenzhen", "beijing", "beijing-wandergis"]
XUCHANG = (113.8, 34.0)


class TestWgs84ToGcj02:
    @pytest.mark.parametrize(("wgs_lng", "wgs_lat", "gcj_lng", "gcj_lat"), REFERENCE_PAIRS,
                             ids=IDS)
    def test_matches_published_pair(self, wgs_lng, wgs_lat, gcj_lng, gcj_lat):
        lng, lat = wgs84_to_gcj02(wgs_lng, wgs_lat)
        assert lng == pytest.approx(gcj_lng, abs=1e-6)
        assert lat == pytest.approx(gcj_lat, abs=1e-6)

    def test_offset_is_hundreds_of_metres(self):
        lng, lat = wgs84_to_gcj02(*XUCHANG)
        assert 100 < haversine_m(*XUCHANG, lng, lat) < 1000

    @pytest.mark.parametrize(("lng", "lat"), [(139.6917, 35.6895), (-0.1276, 51.5072),
                                              (151.2093, -33.8688)],
                             ids=["tokyo", "london", "sydney"])
    def test_outside_china_is_unchanged(self, lng, lat):
        assert wgs84_to_gcj02(lng, lat) == (lng, lat)


class TestGcj02ToWgs84:
    @pytest.mark.parametrize(("wgs_lng", "wgs_lat", "gcj_lng", "gcj_lat"), REFERENCE_PAIRS,
                             ids=IDS)
    def test_inverts_published_pair_sub_centimetre(self, wgs_lng, wgs_lat, gcj_lng, gcj_lat):
        lng, lat = gcj02_to_wgs84(gcj_lng, gcj_lat)
        assert abs(lng - wgs_lng) < 1e-7
        assert abs(lat - wgs_lat) < 1e-7
        assert haversine_m(lng, lat, wgs_lng, wgs_lat) < 0.01

    @pytest.mark.parametrize(("lng", "lat"), [(73.5, 39.5), (87.6, 43.8), (113.8, 34.0),
                                              (126.6, 45.8), (110.3, 20.0), (134.9, 48.4)])
    def test_round_trip_across_china(self, lng, lat):
        back = gcj02_to_wgs84(*wgs84_to_gcj02(lng, lat))
        assert abs(back[0] - lng) < 1e-7
        assert abs(back[1] - lat) < 1e-7

    @pytest.mark.parametrize(("lng", "lat"), [(139.6917, 35.6895), (-0.1276, 51.5072)],
                             ids=["tokyo", "london"])
    def test_outside_china_is_unchanged(self, lng, lat):
        assert gcj02_to_wgs84(lng, lat) == (lng, lat)


class TestCrsHelpers:
    def test_wgs84_is_identity(self):
        assert to_wgs84(*XUCHANG, "wgs84") == XUCHANG
        assert from_wgs84(*XUCHANG, "wgs84") == XUCHANG

    def test_gcj02_goes_through_the_transform(self):
        gcj = from_wgs84(*XUCHANG, "gcj02")
        assert gcj == wgs84_to_gcj02(*XUCHANG)
        back = to_wgs84(*gcj, "gcj02")
        assert math.dist(back, XUCHANG) < 1e-7


class TestHaversine:
    def test_rosetta_code_bna_to_lax(self):
        # acmeism/RosettaCodeData, Task/Haversine-formula/00-TASK.txt: BNA (36.12, -86.67) to
        # LAX (33.94, -118.40) is 2887.25995060711033944886 km with r = 6372.8 km. Haversine
        # distance is proportional to the radius, so rescale ours (6371008.8 m) to compare.
        metres = haversine_m(-86.67, 36.12, -118.40, 33.94)
        assert metres * 6372.8 / 6371.0088 / 1000 == pytest.approx(2887.2599506071103, abs=1e-6)

    def test_one_degree_of_equator(self):
        assert haversine_m(0, 0, 1, 0) == pytest.approx(6371008.8 * math.pi / 180, rel=1e-12)

    def test_antipodal_is_half_the_circumference(self):
        assert haversine_m(113.8, 34.0, 113.8 - 180, -34.0) == pytest.approx(math.pi * 6371008.8)

    def test_same_point_is_zero(self):
        assert haversine_m(*XUCHANG, *XUCHANG) == 0

    def test_symmetric(self):
        a = haversine_m(113.8, 34.0, 116.4, 39.9)
        assert a == pytest.approx(haversine_m(116.4, 39.9, 113.8, 34.0), rel=1e-15)


class TestInChina:
    @pytest.mark.parametrize(("lng", "lat"), [(113.8, 34.0), (116.404, 39.915), (87.6, 43.8),
                                              (109.5, 18.25), (126.6, 45.8)],
                             ids=["xuchang", "beijing", "urumqi", "sanya", "harbin"])
    def test_inside(self, lng, lat):
        assert in_china(lng, lat)

    @pytest.mark.parametrize(("lng", "lat"), [(34.0, 113.8), (139.6917, 35.6895),
                                              (-0.1276, 51.5072), (113.8, -34.0), (0.0, 0.0)],
                             ids=["lng-lat-swapped", "tokyo", "london", "southern", "null-island"])
    def test_outside(self, lng, lat):
        assert not in_china(lng, lat)

    def test_bounds_are_inclusive(self):
        w, s, e, n = CHINA_BOUNDS
        assert in_china(w, s) and in_china(e, n)
        assert not in_china(w - 1e-9, s) and not in_china(e, n + 1e-9)
