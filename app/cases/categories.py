"""The case category tree: reference data kept in step with `categories_data` by
`gridapi migrate`, and served as a tree."""

from __future__ import annotations

import time
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Facts:
    """What a request needs to know about a category, without asking the database."""

    name: str
    time_limit_hours: float | None
    is_active: bool
    parent_code: str | None = None

    @property
    def reportable(self) -> bool:
        """Cases are reported against active leaves (the ones with a time limit)."""
        return self.is_active and self.time_limit_hours is not None


_CACHE: tuple[float, dict[str, Facts], dict[str, str]] = (0.0, {}, {})
CACHE_TTL = 300.0


async def _load(session: AsyncSession) -> tuple[dict[str, Facts], dict[str, str]]:
    """Reference data, cached per process for a few minutes (`gridapi migrate` in another
    process changes it; the TTL bounds how long this one keeps the old facts): list pages and
    reports pay no statement for it."""
    global _CACHE
    expires, facts, names_ = _CACHE
    if expires < time.monotonic():
        facts = {c.code: Facts(c.name, c.time_limit_hours, c.is_active, c.parent_code)
                 for c in await repo.all_categories(session)}
        names_ = {code: f.name for code, f in facts.items()}
        _CACHE = (time.monotonic() + CACHE_TTL, facts, names_)
    return facts, names_


async def names(session: AsyncSession) -> dict[str, str]:
    """Code → name of every category."""
    return (await _load(session))[1]


async def reportable(session: AsyncSession, code: str) -> Facts | None:
    """The category's facts when cases may be reported against it, else None."""
    found = (await _load(session))[0].get(code)
    return found if found is not None and found.reportable else None


async def leaves_under(session: AsyncSession, code: str) -> list[tuple[str, str]]:
    """(code, name) of the categories a case may be reported against below `code`, in code
    order: what to choose from when a group (a parent) was sent instead of a leaf."""
    facts = (await _load(session))[0]
    if code not in facts:
        return []

    def under(c: str) -> bool:
        parent = facts[c].parent_code
        while parent is not None:
            if parent == code:
                return True
            parent = facts[parent].parent_code if parent in facts else None
        return False

    return sorted((c, f.name) for c, f in facts.items() if f.reportable and under(c))


def forget_names() -> None:
    global _CACHE
    _CACHE = (0.0, {}, {})


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
