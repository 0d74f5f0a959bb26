"""SQL shared by units, agreements and cadres: how a row naming a unit is reached through that
unit's path, and orgs named in bodies.

Two ways to reach a row: by its own path (a unit by the node it sits under; a registration,
agreement or cadre by the street or community it concerns), and — for rows that name a unit — by
that unit's path, so whoever reads a unit (its liaison on the unit's node) reads its agreements
and cadres in every community. Both are `readable` conditions from `app/core/scope.py`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.core.permissions import Perm
from app.core.scope import in_paths, readable, scope_paths
from app.core.security import Principal
from app.models import Org, Unit


def via_unit(principal: Principal, unit_col: Any, permission: Perm) -> ColumnElement[bool]:
    """`unit_col` names a unit on whose path the caller holds `permission`."""
    paths = scope_paths(principal, permission)
    if not paths:
        return false()
    cond: ColumnElement[bool] = unit_col.in_(select(Unit.id).where(in_paths(Unit.org_path,
                                                                             paths)))
    return cond


def readable_rows(principal: Principal, model: Any) -> ColumnElement[bool]:
    """The starting condition for agreements and cadres: by their own path or their unit's."""
    return or_(readable(principal, model.org_path, Perm.unit_read),
               via_unit(principal, model.unit_id, Perm.unit_read))


async def org(session: AsyncSession, org_id: int) -> Org | None:
    """An org named in a body (unscoped: the services decide what the caller may see)."""
    return await session.get(Org, org_id)
