"""Rules of the org tree: where a node may go, who may change it, and moving subtrees."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.errors import Conflict, Unprocessable
from app.core.pagination import PageParams
from app.core.permissions import Perm
from app.core.scope import authorize, covers
from app.core.security import Principal
from app.models import Org
from app.orgs import repository as repo
from app.orgs.errors import OrgCodeTaken, OrgKindNotAllowed, OrgNotEmpty, OrgNotFound
from app.orgs.rules import (
    ALLOWED_PARENTS,
    COMMUNITY_LEVEL,
    STREET_LEVEL,
    level_ids,
    may_sit_under,
)
from app.orgs.schemas import OrgCreate, OrgKind, OrgTreeNode, OrgUpdate


async def get(session: AsyncSession, principal: Principal, org_id: int,
              permission: Perm = Perm.org_read) -> Org:
    org = await repo.get_visible(session, principal, org_id)
    if org is None:
        raise OrgNotFound()
    authorize(principal, permission, org.path, not_found=OrgNotFound())
    return org


def _kind_error(kind: OrgKind, parent: OrgKind) -> OrgKindNotAllowed:
    allowed = "、".join(sorted(ALLOWED_PARENTS[kind])) or "-"
    return OrgKindNotAllowed(
        f"“{kind}”类组织不能建在“{parent}”下（允许的上级：{allowed}）",
        f"A {kind} cannot sit under a {parent} (allowed parents: {allowed})",
        errors=[{"field": "kind", "message": f"not allowed under {parent}"}],
    )


async def create(session: AsyncSession, principal: Principal, data: OrgCreate) -> Org:
    parent = await get(session, principal, data.parent_id, Perm.org_write)
    if data.kind == OrgKind.grid_branch:
        raise OrgKindNotAllowed("网格党支部随网格一起创建，请使用 POST /grids",
                                "Grid branches are created with their grid: POST /grids")
    if not may_sit_under(data.kind, OrgKind(parent.kind)):
        raise _kind_error(data.kind, OrgKind(parent.kind))
    return await add_node(session, principal, parent, data.kind, data.name, data.code)


async def add_node(session: AsyncSession, principal: Principal | None, parent: Org | None,
                   kind: OrgKind, name: str, code: str | None) -> Org:
    """Insert a node; its path needs its id, so it is written in two steps."""
    org = Org(parent_id=parent.id if parent else None, kind=kind, name=name, code=code,
              path=f"tmp-{uuid.uuid4().hex}", depth=(parent.depth + 1) if parent else 0)
    session.add(org)
    await _flush_unique(session)
    street_id, community_id = level_ids(
        kind, org.id, parent.street_id if parent else None, parent.community_id if parent else None
    )
    await repo.set_identity(session, org, f"{parent.path if parent else '/'}{org.id}/",
                            street_id, community_id)
    await audit.record(session, principal, "org.create", "org", org.id, org_path=org.path)
    return org


async def _flush_unique(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        raise OrgCodeTaken() from exc


async def update(session: AsyncSession, principal: Principal, org: Org, data: OrgUpdate) -> Org:
    for field, value in data.model_dump(exclude_unset=True).items():
        if field == "name" and value is None:
            raise Unprocessable(errors=[{"field": "name", "message": "不能为空"}])
        setattr(org, field, value)
    await _flush_unique(session)
    await audit.record(session, principal, "org.update", "org", org.id, org_path=org.path,
                       detail=data.model_dump(exclude_unset=True))
    return org


async def _parent_of(session: AsyncSession, principal: Principal, org: Org) -> Org:
    if org.parent_id is None:
        raise Conflict("根组织不能删除或移动", "The root cannot be deleted or moved",
                       code="org_is_root")
    return await get(session, principal, org.parent_id, Perm.org_write)


async def delete(session: AsyncSession, principal: Principal, org: Org, *,
                 grid_removed: bool = False) -> None:
    """Delete an empty node. A grid branch goes only with its grid (`DELETE /grids/{id}`)."""
    await _parent_of(session, principal, org)
    branch_alone = org.kind != OrgKind.grid_branch or grid_removed
    if not branch_alone or await repo.rows_under(session, org):
        raise OrgNotEmpty()
    await audit.record(session, principal, "org.delete", "org", org.id, org_path=org.path)
    await session.delete(org)
    await session.flush()


async def move(session: AsyncSession, principal: Principal, org: Org, new_parent_id: int) -> Org:
    await _parent_of(session, principal, org)
    new_parent = await get(session, principal, new_parent_id, Perm.org_write)
    if covers(org.path, new_parent.path):
        raise Conflict("不能移动到自身或其下级之下", "Cannot move a node under itself",
                       code="org_move_cycle")
    kind = OrgKind(org.kind)
    if not may_sit_under(kind, OrgKind(new_parent.kind)):
        raise _kind_error(kind, OrgKind(new_parent.kind))
    old_path, new_path = org.path, f"{new_parent.path}{org.id}/"
    org.parent_id = new_parent.id
    await session.flush()
    await repo.rewrite_paths(
        session, old=old_path, new=new_path, depth_delta=new_parent.depth + 1 - org.depth,
        street_id=new_parent.street_id, community_id=new_parent.community_id,
        set_street=kind not in STREET_LEVEL,
        set_community=kind not in STREET_LEVEL | COMMUNITY_LEVEL,
    )
    await session.refresh(org)
    await audit.record(session, principal, "org.move", "org", org.id, org_path=new_path,
                       detail={"from": old_path, "to": new_path})
    return org


async def list_page(session: AsyncSession, principal: Principal, *, parent_id: int | None,
                    kind: OrgKind | None, page: PageParams) -> list[Org]:
    return await repo.list_page(session, principal, parent_id=parent_id,
                                kind=kind.value if kind else None, page=page)


async def tree(session: AsyncSession, principal: Principal, org: Org, depth: int) -> OrgTreeNode:
    nodes = await repo.subtree(session, principal, org, depth)
    by_id = {n.id: OrgTreeNode(id=n.id, kind=OrgKind(n.kind), name=n.name, code=n.code, children=[])
             for n in nodes}
    for n in nodes:
        if n.id != org.id and n.parent_id in by_id:
            by_id[n.parent_id].children.append(by_id[n.id])
    return by_id[org.id]
