"""The one place that turns a caller into scope paths.

Every org node has a path like "/1/4/17/". A caller's grant on a node covers that node's subtree:
every row whose copied path starts with the node's path. A prefix is expressed as a B-tree range
(`path >= p AND path < p'`, p' = p with its trailing "/" bumped to "0"), which both SQLite and
PostgreSQL (with `COLLATE "C"`) answer from an index.

Rules: a row is *visible* when any grant covers it; a visible row without the needed permission is
403; a row that is not visible is 404, so its existence is not revealed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, bindparam, false, or_
from sqlalchemy.sql.elements import ColumnElement

from app.core.errors import Forbidden, NotFound
from app.core.permissions import Perm
from app.core.security import Principal


def path_upper_bound(path: str) -> str:
    # '/' is followed by '0' in byte order, and paths hold only digits and slashes.
    return path[:-1] + "0"


def covers(scope_path: str, path: str | None) -> bool:
    return path is not None and path.startswith(scope_path)


def minimal_paths(paths: Iterable[str]) -> list[str]:
    """Drop paths already covered by a shorter one, so filters stay small."""
    kept: list[str] = []
    for p in sorted(set(paths), key=len):
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return sorted(kept)


def scope_paths(principal: Principal, permission: Perm | str) -> list[str]:
    """Subtree roots where the caller holds `permission`."""
    return minimal_paths(g.org_path for g in principal.grants if permission in g.permissions)


def common_path(paths: Iterable[str]) -> str | None:
    """The deepest node whose subtree holds all `paths` (None for none, or for paths under
    different roots): where a row about all of them is filed."""
    split = [p.strip("/").split("/") for p in paths]
    if not split:
        return None
    shared: list[str] = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        shared.append(parts[0])
    return "/" + "/".join(shared) + "/" if shared else None


def visible_paths(principal: Principal) -> list[str]:
    return minimal_paths(g.org_path for g in principal.grants)


def in_paths(column: Any, paths: list[str]) -> ColumnElement[bool]:
    """SQL condition: `column` lies in one of the subtrees."""
    if not paths:
        return false()
    ranges = [and_(column >= p, column < path_upper_bound(p)) for p in paths]
    return ranges[0] if len(ranges) == 1 else or_(*ranges)


def in_path_params(column: Any, n: int, name: str = "scope") -> ColumnElement[bool]:
    """`in_paths` for a statement built once (`reads.Shaped`): the `n` subtrees come as bound
    parameters named after `name`, filled in by `path_params`."""
    if n == 0:
        return false()
    ranges = [and_(column >= bindparam(f"{name}_{i}"), column < bindparam(f"{name}_end_{i}"))
              for i in range(n)]
    return ranges[0] if n == 1 else or_(*ranges)


def path_params(paths: list[str], name: str = "scope") -> dict[str, str]:
    """The bound values of `in_path_params(column, len(paths), name)`."""
    out = {}
    for i, p in enumerate(paths):
        out[f"{name}_{i}"], out[f"{name}_end_{i}"] = p, path_upper_bound(p)
    return out


def readable(principal: Principal, column: Any, permission: Perm | str) -> ColumnElement[bool]:
    """The scoped starting condition of every repository read."""
    return in_paths(column, scope_paths(principal, permission))


def sees(principal: Principal, path: str | None) -> bool:
    """Whether any of the caller's grants covers the row (visible at all, whatever the right)."""
    return path is not None and any(covers(g.org_path, path) for g in principal.grants)


def authorize(
    principal: Principal,
    permission: Perm | str,
    path: str | None,
    *,
    not_found: NotFound | None = None,
) -> None:
    """404 when the row is outside everything the caller can see, 403 when only the right lacks."""
    if not sees(principal, path):
        raise not_found or NotFound()
    if not any(covers(p, path) for p in scope_paths(principal, permission)):
        raise Forbidden()


def holds_on_node(principal: Principal, permission: Perm | str, path: str) -> bool:
    """The caller holds `permission` on exactly this node (not merely above it): e.g. field
    staff of this grid, as opposed to admins whose subtree contains it."""
    return any(g.org_path == path and permission in g.permissions for g in principal.grants)


def permissions_at(principal: Principal, path: str) -> frozenset[str]:
    """Everything the caller may do at the node with this path."""
    out: set[str] = set()
    for g in principal.grants:
        if covers(g.org_path, path):
            out |= g.permissions
    return frozenset(out)
