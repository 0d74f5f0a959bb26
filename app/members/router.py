"""Party members (masked, with the audited reveal), the member search campaign, and the building
groups and member households tied to the register."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response, status

from app.core.auth import CurrentPrincipal
from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.db import SessionDep
from app.core.deps import CipherDep, LimitsDep, client_ip
from app.core.errors import problems
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.pagination import Page, PageDep, page_of
from app.core.permissions import Perm
from app.core.routing import DomainRouter
from app.members import findings, groups, service
from app.members.schemas import (
    CampaignSummary,
    Category,
    FindingCreate,
    FindingRead,
    FindingReject,
    FindingStatus,
    FindingVerify,
    GroupBuildingsIn,
    GroupBuildingsRead,
    MemberCreate,
    MemberHouseholdIn,
    MemberHouseholdRead,
    MemberRead,
    MemberRevealed,
    MemberStatus,
    MemberUpdate,
)
from app.people.schemas import RevealIn

router = DomainRouter(tags=["members"])


@router.post("/members", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent],
             responses=problems(403, 409, 422))
async def create_member(body: MemberCreate, principal: CurrentPrincipal, session: SessionDep,
                        cipher: CipherDep, response: Response) -> MemberRead:
    """登记党员（须在 org_id 所在党组织有 members:write）。身份证号按 GB 11643 校验，出生日期和
    性别取自号码；同一身份证号全区只能登记一次（409 member_exists）；user_id 已关联其他党员 →
    409。未给 resident_id 时按身份证号自动关联本人可见范围内的居民。返回脱敏信息。"""
    member = await service.create_member(session, principal, cipher, body)
    set_etag(response, member.version)
    return service.member_read(member, cipher)


@router.get("/members", responses=problems(400))
async def list_members(
    principal: CurrentPrincipal,
    session: SessionDep,
    cipher: CipherDep,
    page: PageDep,
    org_id: Annotated[Id | None, Query(description="该党组织及其下级")] = None,
    category: Category | None = None,
    status_: Annotated[MemberStatus | None, Query(alias="status")] = None,
    badge_posted: bool | None = None,
    id_number: Annotated[str | None, Query(max_length=18, description="按身份证号精确查找")] = None,
) -> Page[MemberRead]:
    """可见范围内的党员（姓名、身份证号、手机号均脱敏），按登记顺序。"""
    rows = await service.list_members(session, principal, cipher, org_id=org_id,
                                      category=category, status=status_,
                                      badge_posted=badge_posted, id_number=id_number, page=page)
    return page_of(rows, page, lambda m: [m.id], lambda m: service.member_read(m, cipher))


@router.get("/members/me", responses=problems(404))
async def my_member(principal: CurrentPrincipal, session: SessionDep, cipher: CipherDep,
                    response: Response) -> MemberRead:
    """当前账号关联的党员信息（脱敏）；未关联 → 404 member_not_linked。"""
    member = await service.me(session, principal)
    set_etag(response, member.version)
    return service.member_read(member, cipher)


@router.get("/members/{member_id}", responses=problems(403, 404))
async def get_member(member_id: Id, principal: CurrentPrincipal, session: SessionDep,
                     cipher: CipherDep, response: Response) -> MemberRead:
    """党员详情（脱敏）。"""
    member = await service.get_member(session, principal, member_id)
    set_etag(response, member.version)
    return service.member_read(member, cipher)


@router.patch("/members/{member_id}", responses=problems(403, 404, 409, 412, 422))
async def update_member(member_id: Id, body: MemberUpdate, principal: CurrentPrincipal,
                        session: SessionDep, cipher: CipherDep, response: Response,
                        if_match: IfMatch = None) -> MemberRead:
    """调整党员信息：类别、预备转正式、挂牌上岗、工作单位、学历、关联账号，或在本人管理范围内
    转移组织关系。If-Match 过期 → 412。"""
    member = await service.get_member(session, principal, member_id, Perm.member_write)
    check_if_match(if_match, member.version)
    member = await service.update_member(session, principal, member, body)
    set_etag(response, member.version)
    return service.member_read(member, cipher)


@router.post("/members/{member_id}/reveal", responses=problems(403, 404, 422, 429))
async def reveal_member(member_id: Id, body: RevealIn, request: Request,
                        principal: CurrentPrincipal, session: SessionDep, cipher: CipherDep,
                        limits: LimitsDep, response: Response) -> MemberRevealed:
    """查看党员完整姓名、身份证号和手机号：须说明事由，须有 residents:reveal（403），与查看居民
    共用每人每小时的次数（429），每次查看都记入审计（记录事由，不记录号码）。"""
    response.headers["Cache-Control"] = "no-store"
    return await service.reveal(session, principal, member_id, cipher=cipher, limits=limits,
                                purpose=body.purpose, ip=client_ip(request))


# --- the search campaign --------------------------------------------------------------------

@router.post("/member-findings", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent],
             responses=problems(403, 422))
async def create_finding(body: FindingCreate, principal: CurrentPrincipal, session: SessionDep,
                         cipher: CipherDep, response: Response) -> FindingRead:
    """寻找党员、亮出身份：在商圈、社区或企业发现的党员（流动、口袋、隐形…），待所在党支部
    （branch_id，未给时为发现地）核实。返回脱敏信息。"""
    finding = await findings.create_finding(session, principal, cipher, body)
    set_etag(response, finding.version)
    return findings.finding_read(finding, cipher)


@router.get("/member-findings", responses=problems(400))
async def list_findings(
    principal: CurrentPrincipal,
    session: SessionDep,
    cipher: CipherDep,
    page: PageDep,
    org_id: Annotated[Id | None, Query(description="发现地及其下级")] = None,
    status_: Annotated[FindingStatus | None, Query(alias="status")] = None,
    category_found: Category | None = None,
) -> Page[FindingRead]:
    """可见范围内的寻找党员记录（发现地或所在党支部在范围内），按登记顺序。"""
    rows = await findings.list_findings(session, principal, org_id=org_id, status=status_,
                                        category_found=category_found, page=page)
    return page_of(rows, page, lambda f: [f.id], lambda f: findings.finding_read(f, cipher))


@router.get("/member-findings/summary", responses=problems(403, 404))
async def campaign_summary(
    principal: CurrentPrincipal, session: SessionDep,
    org_id: Annotated[Id | None, Query(description="省略时为本人可见的全部")] = None,
) -> CampaignSummary:
    """寻找党员活动的统计：按商圈（含商圈内企业）和社区，发现、已核实、不予核实、待核实、
    挂牌上岗人数及各类别人数。"""
    return await findings.summary(session, principal, org_id)


@router.get("/member-findings/{finding_id}", responses=problems(403, 404))
async def get_finding(finding_id: Id, principal: CurrentPrincipal, session: SessionDep,
                      cipher: CipherDep, response: Response) -> FindingRead:
    finding, _ = await findings.get_finding(session, principal, finding_id)
    set_etag(response, finding.version)
    return findings.finding_read(finding, cipher)


@router.post("/member-findings/{finding_id}/verify",
             responses=problems(403, 404, 409, 412, 422))
async def verify_finding(finding_id: Id, body: FindingVerify, principal: CurrentPrincipal,
                         session: SessionDep, cipher: CipherDep, response: Response,
                         if_match: IfMatch = None) -> FindingRead:
    """所在党支部核实：关联已登记的党员（按身份证号）或在该支部下新建党员，按核实结果调整类别，
    挂牌上岗随之记录。只能核实待核实的记录（409）；If-Match 过期 → 412。"""
    finding, branch_path = await findings.get_finding(session, principal, finding_id)
    check_if_match(if_match, finding.version)
    finding = await findings.verify(session, principal, cipher, finding, branch_path, body)
    set_etag(response, finding.version)
    return findings.finding_read(finding, cipher)


@router.post("/member-findings/{finding_id}/reject", responses=problems(403, 404, 409, 412, 422))
async def reject_finding(finding_id: Id, body: FindingReject, principal: CurrentPrincipal,
                         session: SessionDep, cipher: CipherDep, response: Response,
                         if_match: IfMatch = None) -> FindingRead:
    """不予核实（须说明原因）。只能处理待核实的记录（409）；If-Match 过期 → 412。"""
    finding, branch_path = await findings.get_finding(session, principal, finding_id)
    check_if_match(if_match, finding.version)
    finding = await findings.reject(session, principal, finding, branch_path, body)
    set_etag(response, finding.version)
    return findings.finding_read(finding, cipher)


# --- building groups and member households --------------------------------------------------

@router.get("/building-groups/{group_id}/buildings", responses=problems(403, 404))
async def get_group_buildings(group_id: Id, principal: CurrentPrincipal, session: SessionDep
                              ) -> GroupBuildingsRead:
    """楼栋党小组联系的楼栋。"""
    return await groups.group_buildings(session, principal, group_id)


@router.put("/building-groups/{group_id}/buildings", responses=problems(403, 404, 409, 422))
async def put_group_buildings(group_id: Id, body: GroupBuildingsIn, principal: CurrentPrincipal,
                              session: SessionDep) -> GroupBuildingsRead:
    """整体替换楼栋党小组联系的楼栋：须为本网格的楼栋（422），一栋楼只归一个党小组（409）。"""
    return await groups.set_group_buildings(session, principal, group_id, body)


@router.get("/member-households/{node_id}/households", responses=problems(403, 404))
async def get_member_household(node_id: Id, principal: CurrentPrincipal, session: SessionDep
                               ) -> MemberHouseholdRead:
    """党员中心户本户及其联系服务的住户。"""
    return await groups.member_household(session, principal, node_id)


@router.put("/member-households/{node_id}/households", responses=problems(403, 404, 409, 422))
async def put_member_household(node_id: Id, body: MemberHouseholdIn,
                               principal: CurrentPrincipal, session: SessionDep
                               ) -> MemberHouseholdRead:
    """整体替换党员中心户的本户和联系户（一般 10–20 户，允许 1–30 户，422）：须为本网格的住户，
    一户只由一个中心户联系（409）。"""
    return await groups.set_member_household(session, principal, node_id, body)
