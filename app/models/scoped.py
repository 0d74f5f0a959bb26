"""Marker for rows that carry a copy of their org path (and level ids) for scoping, and the one
function that copies them from the node a row is placed under."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import Row


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


def scope_from(node: ScopedRow | Row[Any], into: type[ScopedRow] = ScopedRow) -> dict[str, Any]:
    """The scope columns of a row placed under `node` (an org, or a scoped row such as a grid or
    a building), as keyword arguments for a model of type `into`: the node's path, street id and
    community id, each under the column name `into` gives it (a column `into` lacks is left
    out). Copied together, so a row never carries one node's path with another's ids. A plain
    result row (a grid placed by location) carries them under the default names."""
    columns = getattr(node, "__scope_columns__", ScopedRow.__scope_columns__)
    values: dict[str, Any] = {}
    for source, target in zip(columns, into.__scope_columns__, strict=True):
        if target is not None:
            values[target] = getattr(node, source) if source is not None else None
    return values
