"""The one copy of a node's scope columns onto a row placed under it."""

from __future__ import annotations

from app.models import Grid, Org, Unit
from app.models.scoped import scope_from


def test_an_org_gives_its_path_as_org_path_and_its_level_ids():
    org = Org(path="/1/2/3/", street_id=2, community_id=3)
    assert scope_from(org) == {"org_path": "/1/2/3/", "street_id": 2, "community_id": 3}


def test_a_scoped_row_gives_its_own_scope():
    grid = Grid(org_path="/1/2/3/9/", street_id=2, community_id=3)
    assert scope_from(grid) == {"org_path": "/1/2/3/9/", "street_id": 2, "community_id": 3}


def test_a_column_the_target_lacks_is_left_out():
    org = Org(path="/1/7/", street_id=None, community_id=None)
    assert scope_from(org, Unit) == {"org_path": "/1/7/", "street_id": None}
