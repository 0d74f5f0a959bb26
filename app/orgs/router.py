"""The organisation tree: street working committees down to member households."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response, status

from app.core.auth import CurrentPrincipal
from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.pagination import Page, PageDep, page_of
from app.core.permissions import Perm
from app.core.routing import DomainRouter
from app.orgs import service
from app.orgs.schemas import OrgCreate, OrgKind, OrgMove, OrgRead, OrgTreeNode, OrgUpdate

router = DomainRouter(prefix="/orgs", tags=["orgs"])


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent],
             responses=problems(404, 403, 409, 422))
async def create_org(body: OrgCreate, principal: CurrentPrincipal, session: SessionDep,
                     response: Response) -> OrgRead:
    """在上级组织下新建组织；组织类型须符合层级关系，否则 422。"""
    org = await service.create(session, principal, body)
    set_etag(response, org.version)
    return OrgRead.model_validate(org)


@router.get("", responses=problems(400))
async def list_orgs(
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    parent_id: Annotated[Id | None, Query()] = None,
    kind: OrgKind | None = None,
) -> Page[OrgRead]:
    """列出可见范围内的组织，可按上级与类型筛选。"""
    rows = await service.list_page(session, principal, parent_id=parent_id, kind=kind, page=page)
    return page_of(rows, page, lambda o: [o.id], OrgRead.model_validate)


@router.get("/{org_id}", responses=problems(404, 403))
async def get_org(org_id: Id, principal: CurrentPrincipal, session: SessionDep,
                  response: Response) -> OrgRead:
    org = await service.get(session, principal, org_id)
    set_etag(response, org.version)
    return OrgRead.model_validate(org)


@router.patch("/{org_id}", responses=problems(404, 403, 409, 412))
async def update_org(org_id: Id, body: OrgUpdate, principal: CurrentPrincipal,
                     session: SessionDep, response: Response, if_match: IfMatch = None) -> OrgRead:
    """修改名称或编码；带 If-Match 时版本不符返回 412。"""
    org = await service.get(session, principal, org_id, Perm.org_write)
    check_if_match(if_match, org.version)
    org = await service.update(session, principal, org, body)
    set_etag(response, org.version)
    return OrgRead.model_validate(org)


@router.delete("/{org_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problems(404, 403, 409, 412))
async def delete_org(org_id: Id, principal: CurrentPrincipal, session: SessionDep,
                     if_match: IfMatch = None) -> Response:
    """删除组织；仍有下级或数据时 409。"""
    org = await service.get(session, principal, org_id)
    check_if_match(if_match, org.version)
    await service.delete(session, principal, org)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{org_id}/tree", responses=problems(404, 403))
async def get_org_tree(org_id: Id, principal: CurrentPrincipal, session: SessionDep,
                       depth: Annotated[int, Query(ge=0, le=6)] = 2) -> OrgTreeNode:
    """以该组织为根的子树（嵌套 children），depth 为向下层数。"""
    org = await service.get(session, principal, org_id)
    return await service.tree(session, principal, org, depth)


@router.post("/{org_id}/move", responses=problems(404, 403, 409, 412, 422))
async def move_org(org_id: Id, body: OrgMove, principal: CurrentPrincipal, session: SessionDep,
                   response: Response, if_match: IfMatch = None) -> OrgRead:
    """把组织连同其下级与所属数据整体移到新的上级下（一个事务内完成）。"""
    org = await service.get(session, principal, org_id)
    check_if_match(if_match, org.version)
    org = await service.move(session, principal, org, body.new_parent_id)
    set_etag(response, org.version)
    return OrgRead.model_validate(org)
