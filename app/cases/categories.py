"""The case category tree: reference data kept in step with `categories_data` by
`gridapi migrate`, and served as a tree."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases import repository as repo
from app.cases.categories_data import CATEGORIES
from app.cases.schemas import CategoryNode
from app.models import CaseCategory


async def sync(session: AsyncSession) -> int:
    """Insert missing categories and refresh names, limits and order; returns rows written.
    Categories no longer in the data are deactivated, never deleted (cases refer to them)."""
    existing = {c.code: c for c in (await session.execute(select(CaseCategory))).scalars()}
    changed = 0
    for seed in CATEGORIES:  # parents come before their children in the data
        row = existing.get(seed.code)
        values = {"name": seed.name, "parent_code": seed.parent_code, "kind": seed.kind,
                  "time_limit_hours": seed.time_limit_hours, "sort": seed.sort,
                  "is_active": True}
        if row is None:
            session.add(CaseCategory(code=seed.code, **values))
            await session.flush()
            changed += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            changed += 1
    known = {s.code for s in CATEGORIES}
    for code, row in existing.items():
        if code not in known and row.is_active:
            row.is_active = False
            changed += 1
    await session.flush()
    forget_names()
    return changed


_NAMES: tuple[float, dict[str, str]] = (0.0, {})
NAMES_TTL = 300.0


async def names(session: AsyncSession) -> dict[str, str]:
    """Code → name of every category. Reference data: cached per process for a few minutes,
    so list pages don't pay a statement for it."""
    global _NAMES
    expires, cached = _NAMES
    if expires < time.monotonic():
        cached = {c.code: c.name for c in await repo.all_categories(session)}
        _NAMES = (time.monotonic() + NAMES_TTL, cached)
    return cached


def forget_names() -> None:
    global _NAMES
    _NAMES = (0.0, {})


async def tree(session: AsyncSession) -> list[CategoryNode]:
    rows = await repo.categories(session)
    nodes = {r.code: CategoryNode(code=r.code, name=r.name, kind=r.kind,
                                  time_limit_hours=r.time_limit_hours, children=[])
             for r in rows}
    roots: list[CategoryNode] = []
    for r in rows:
        parent = nodes.get(r.parent_code) if r.parent_code else None
        (parent.children if parent else roots).append(nodes[r.code])
    return roots
