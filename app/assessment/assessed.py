"""What the assessed orgs themselves may read (issue 14): a round or a year-end review is run
at a street or the district, above the communities it assesses, so their own staff hold no
grant covering it. A caller holding assessment:read on an org of the assessed kind strictly
under the round's (or review's) node reaches it to read: its results are then cut to the
caller's own subtree (their line, points lost, their rank among all), and the scores/reports
lists stay scoped to the caller's own rows, so one community never sees another's line or
manual reasons."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.core.permissions import Perm
from app.core.scope import covers
from app.core.security import Principal
from app.models import Org


async def assessed_under(
    session: AsyncSession, principal: Principal, root_path: str, org_kind: str
) -> bool:
    """The caller reads assessments on an org of `org_kind` strictly under `root_path`: that
    org's own staff (a street's staff are not assessed by a district round of communities)."""
    ids = sorted({
        g.org_id for g in principal.grants
        if covers(root_path, g.org_path) and g.org_path != root_path
        and Perm.assessment_read in g.permissions
    })
    if not ids:
        return False
    stmt = select(Org.id).where(Org.id.in_(ids), Org.kind == org_kind).limit(1)
    return (await session.execute(stmt)).first() is not None


def _ancestors(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts))]


def assessing(principal: Principal, path_column: Any, kind_column: Any) -> ColumnElement[bool]:
    """SQL: rows run at a node above one of the caller's assessment:read nodes, for that node's
    kind of org (a district's round of streets does not assess a community)."""
    grants = [g for g in principal.grants if Perm.assessment_read in g.permissions]
    above = sorted({a for g in grants for a in _ancestors(g.org_path)})
    kinds = select(Org.kind).where(Org.id.in_(sorted({g.org_id for g in grants})))
    return and_(path_column.in_(above), kind_column.in_(kinds))
