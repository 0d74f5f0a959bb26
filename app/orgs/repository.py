"""SQL for the org tree. Reads start from the caller's scope (`core/scope.py`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, Table, exists, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.scope import in_paths, path_upper_bound, readable, visible_paths
from app.core.security import Principal
from app.models import Base, Org, ScopedRow


def readable_orgs(principal: Principal) -> Select[Org]:
    return select(Org).where(readable(principal, Org.path, Perm.org_read))


async def get_visible(session: AsyncSession, principal: Principal, org_id: int) -> Org | None:
    """An org the caller can see at all (any role); permission is checked by the service."""
    stmt = select(Org).where(Org.id == org_id, in_paths(Org.path, visible_paths(principal)))
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_page(
    session: AsyncSession, principal: Principal, *, parent_id: int | None, kind: str | None,
    page: PageParams,
) -> list[Org]:
    stmt = readable_orgs(principal)
    if parent_id is not None:
        stmt = stmt.where(Org.parent_id == parent_id)
    if kind is not None:
        stmt = stmt.where(Org.kind == kind)
    return list((await session.execute(keyset(stmt, [(Org.id, False)], page))).scalars())


async def subtree(session: AsyncSession, principal: Principal, root: Org, depth: int) -> list[Org]:
    stmt = (
        readable_orgs(principal)
        .where(in_paths(Org.path, [root.path]), Org.depth <= root.depth + depth)
        .order_by(Org.depth, Org.id)
    )
    return list((await session.execute(stmt)).scalars())


async def has_children(session: AsyncSession, org: Org) -> bool:
    return bool(await session.scalar(select(exists().where(Org.parent_id == org.id))))


def scoped_tables() -> list[tuple[Table, str, str | None, str | None]]:
    """Every table that copies org paths: (table, path col, street col, community col).
    Extra path columns come as their own entries without level ids."""
    out: list[tuple[Table, str, str | None, str | None]] = []
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if issubclass(cls, ScopedRow):
            table = mapper.local_table
            assert isinstance(table, Table)
            out.append((table, *cls.__scope_columns__))
            out += [(table, col, None, None) for col in cls.__extra_path_columns__]
    return out


async def rows_under(session: AsyncSession, org: Org) -> bool:
    """Anything other than the node itself lives under it (rows in any scoped table)."""
    for table, path_col, _, _ in scoped_tables():
        col = table.c[path_col]
        cond = in_paths(col, [org.path])
        if table is Org.__table__:
            cond = cond & (col != org.path)
        if await session.scalar(select(exists().where(cond))):
            return True
    return False


async def rewrite_paths(
    session: AsyncSession, *, old: str, new: str, depth_delta: int,
    street_id: int | None, community_id: int | None, set_street: bool, set_community: bool,
) -> None:
    """Move every scoped row under `old` to `new` (one UPDATE per table, same transaction)."""
    for table, path_col, street_col, community_col in scoped_tables():
        col = table.c[path_col]
        values: dict[str, Any] = {path_col: literal(new) + func.substr(col, len(old) + 1)}
        if table is Org.__table__ and path_col == "path":
            values["depth"] = table.c.depth + depth_delta
            values["version"] = table.c.version + 1
        if set_street and street_col:
            values[street_col] = street_id
        if set_community and community_col:
            values[community_col] = community_id
        await session.execute(
            update(table).where(col >= old, col < path_upper_bound(old)).values(**values)
        )


async def set_identity(session: AsyncSession, org: Org, path: str, street_id: int | None,
                       community_id: int | None) -> None:
    """Second half of an insert (the path needs the id); not a user-visible change, so it
    leaves `version` alone."""
    values = {"path": path, "street_id": street_id, "community_id": community_id}
    await session.execute(update(Org).where(Org.id == org.id).values(**values))
    for key, value in values.items():
        set_committed_value(org, key, value)
