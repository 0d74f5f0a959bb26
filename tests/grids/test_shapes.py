"""The parsed-polygon cache behind report placement (app/grids/boundary.py `Shapes`)."""

from __future__ import annotations

from shapely.geometry import Point, shape

from app.grids import boundary

SQUARE = {"type": "Polygon",
          "coordinates": [[[113.80, 34.00], [113.81, 34.00], [113.81, 34.01], [113.80, 34.01],
                           [113.80, 34.00]]]}
TRIANGLE = {"type": "Polygon",
            "coordinates": [[[113.80, 34.00], [113.81, 34.00], [113.80, 34.01],
                             [113.80, 34.00]]]}


def test_an_entry_serves_only_its_version():
    shapes = boundary.Shapes()
    assert shapes.get(1, 1) == (False, None)
    square = shapes.put(1, 1, SQUARE)
    assert shapes.get(1, 1) == (True, square)
    assert shapes.get(1, 2) == (False, None)  # edited since: read again
    triangle = shapes.put(1, 2, TRIANGLE)
    assert shapes.get(1, 2) == (True, triangle)
    assert shapes.get(1, 1) == (False, None)


def test_a_grid_without_boundary_is_known_as_none():
    shapes = boundary.Shapes()
    assert shapes.put(7, 3, None) is None
    assert shapes.get(7, 3) == (True, None)


def test_covers_counts_the_edge_and_matches_shapely():
    polygon = boundary.Shapes().put(1, 1, TRIANGLE)
    assert polygon is not None
    for lng, lat, inside in ((113.802, 34.002, True), (113.80, 34.005, True),  # on the edge
                             (113.80, 34.00, True), (113.807, 34.007, False),
                             (113.79, 34.005, False)):
        assert boundary.covers(polygon, lng, lat) is inside
        assert shape(TRIANGLE).covers(Point(lng, lat)) is inside  # shapely's own answer


def test_the_cache_is_bounded():
    shapes = boundary.Shapes()
    for grid_id in range(shapes.MAX + 10):
        shapes.put(grid_id, 1, None)
    assert len(shapes._by_id) <= shapes.MAX
