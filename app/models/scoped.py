"""Marker for rows that carry a copy of their org path (and level ids) for scoping."""

from __future__ import annotations

from typing import ClassVar


class ScopedRow:
    """A table whose rows live under an org node.

    `__scope_columns__` names (path column, street id column or None, community id column or
    None). Moving a subtree rewrites these columns in every such table, so a new domain only has
    to inherit from this class to stay correct under moves.
    """

    __scope_columns__: ClassVar[tuple[str, str | None, str | None]] = (
        "org_path",
        "street_id",
        "community_id",
    )
    # Other columns holding a copy of some org's path (e.g. a case's handler org): rewritten on
    # moves too, but they carry no level ids.
    __extra_path_columns__: ClassVar[tuple[str, ...]] = ()
