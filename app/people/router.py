"""The people-and-house register: buildings, households, residents (masked), and the audited
reveal of a resident's full details."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response, status

from app.core.auth import CurrentPrincipal
from app.core.concurrency import set_etag
from app.core.db import SessionDep
from app.core.deps import CipherDep, LimitsDep, client_ip
from app.core.errors import problems
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.pagination import Page, PageDep, page_of
from app.core.routing import DomainRouter
from app.people import service
from app.people.schemas import (
    BuildingCreate,
    BuildingRead,
    CrsQuery,
    HouseholdCreate,
    HouseholdRead,
    ResidentCreate,
    ResidentRead,
    ResidentRevealed,
    RevealIn,
)

# The transfer routes (app/people/transfer.py) are included before this router (app/api.py):
# their fixed paths (/residents/export.xlsx) must win over /residents/{resident_id}.
router = DomainRouter(tags=["people"])


@router.post("/buildings", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent],
             responses=problems(403, 422))
async def create_building(body: BuildingCreate, principal: CurrentPrincipal, session: SessionDep,
                          response: Response) -> BuildingRead:
    """在网格内登记楼栋（坐标可为 gcj02，保存为 WGS-84）。"""
    building = await service.create_building(session, principal, body)
    set_etag(response, building.version)
    return service.building_read(building)


@router.get("/buildings", responses=problems(400))
async def list_buildings(principal: CurrentPrincipal, session: SessionDep, page: PageDep,
                         grid_id: Annotated[Id | None, Query()] = None,
                         crs: CrsQuery = "wgs84") -> Page[BuildingRead]:
    """可见范围内的楼栋，按登记顺序；坐标按 crs 输出（小程序地图用 gcj02）。"""
    rows = await service.list_buildings(session, principal, grid_id=grid_id, page=page)
    return page_of(rows, page, lambda b: [b.id], lambda b: service.building_read(b, crs))


@router.get("/buildings/{building_id}", responses=problems(403, 404))
async def get_building(building_id: Id, principal: CurrentPrincipal, session: SessionDep,
                       response: Response, crs: CrsQuery = "wgs84") -> BuildingRead:
    """楼栋详情；坐标按 crs 输出。"""
    building = await service.get_building(session, principal, building_id)
    set_etag(response, building.version)
    return service.building_read(building, crs)


@router.post("/households", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent],
             responses=problems(403, 422))
async def create_household(body: HouseholdCreate, principal: CurrentPrincipal,
                           session: SessionDep, response: Response) -> HouseholdRead:
    """在楼栋内登记住户（单元、房号、户人数）。"""
    household = await service.create_household(session, principal, body)
    set_etag(response, household.version)
    return HouseholdRead.model_validate(household)


@router.get("/households", responses=problems(400))
async def list_households(principal: CurrentPrincipal, session: SessionDep, page: PageDep,
                          building_id: Annotated[Id | None, Query()] = None
                          ) -> Page[HouseholdRead]:
    """可见范围内的住户，按登记顺序。"""
    rows = await service.list_households(session, principal, building_id=building_id, page=page)
    return page_of(rows, page, lambda h: [h.id], HouseholdRead.model_validate)


@router.get("/households/{household_id}", responses=problems(403, 404))
async def get_household(household_id: Id, principal: CurrentPrincipal, session: SessionDep,
                        response: Response) -> HouseholdRead:
    """住户详情。"""
    household = await service.get_household(session, principal, household_id)
    set_etag(response, household.version)
    return HouseholdRead.model_validate(household)


@router.post("/residents", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent],
             responses=problems(403, 409, 422))
async def create_resident(body: ResidentCreate, principal: CurrentPrincipal, session: SessionDep,
                          cipher: CipherDep, response: Response) -> ResidentRead:
    """登记居民。身份证号按 GB 11643 校验（地区码、出生日期、校验位），无效时 422 指明
    id_number；手机号无效时 422 指明 phone。同一身份证号全区只能登记一次（409 resident_exists）。
    返回脱敏信息。"""
    resident = await service.create_resident(session, principal, cipher, body)
    set_etag(response, resident.version)
    return service.resident_read(resident, cipher)


@router.get("/residents", responses=problems(400))
async def list_residents(
    principal: CurrentPrincipal,
    session: SessionDep,
    cipher: CipherDep,
    page: PageDep,
    household_id: Annotated[Id | None, Query()] = None,
    id_number: Annotated[str | None, Query(max_length=18, description="按身份证号精确查找")] = None,
) -> Page[ResidentRead]:
    """可见范围内的居民（姓名、身份证号、手机号均脱敏），可按住户或身份证号精确查找。"""
    rows = await service.list_residents(session, principal, cipher, household_id=household_id,
                                        id_number=id_number, page=page)
    return page_of(rows, page, lambda r: [r.id], lambda r: service.resident_read(r, cipher))


@router.get("/residents/{resident_id}", responses=problems(403, 404))
async def get_resident(resident_id: Id, principal: CurrentPrincipal, session: SessionDep,
                       cipher: CipherDep, response: Response) -> ResidentRead:
    """居民详情（脱敏）。"""
    resident = await service.get_resident(session, principal, resident_id)
    set_etag(response, resident.version)
    return service.resident_read(resident, cipher)


@router.post("/residents/{resident_id}/reveal", responses=problems(403, 404, 422, 429))
async def reveal_resident(resident_id: Id, body: RevealIn, request: Request,
                          principal: CurrentPrincipal, session: SessionDep, cipher: CipherDep,
                          limits: LimitsDep, response: Response) -> ResidentRevealed:
    """查看居民完整姓名、身份证号和手机号：须说明事由，仅网格长及以上管理员可用（403），
    每人每小时限 30 次（429），每次查看都记入审计（记录事由，不记录号码）。"""
    response.headers["Cache-Control"] = "no-store"
    return await service.reveal(session, principal, resident_id, cipher=cipher, limits=limits,
                                purpose=body.purpose, ip=client_ip(request))
