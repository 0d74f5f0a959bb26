"""双报告: a member's service record for their work unit, as JSON and as a printable .xlsx."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Response, status

from app.core.auth import CurrentPrincipal
from app.core.db import SessionDep
from app.core.deps import CipherDep
from app.core.errors import problems
from app.core.idempotency import Idempotent
from app.core.inputs import Id, IsoDate
from app.core.routing import DomainRouter
from app.volunteers.records import certificates, service, sheet
from app.volunteers.records.schemas import CertificateEntry, CertificateIssue, ServiceRecord

router = DomainRouter(tags=["members"])
ITEM = "/members/{member_id}/service-record"
From = Annotated[
    IsoDate | None, Query(alias="from", description="起始日期（含），缺省为当年1月1日")
]
To = Annotated[IsoDate | None, Query(alias="to", description="结束日期（含），缺省为今天")]
XLSX: dict[int | str, dict[str, Any]] = {200: {"content": {sheet.XLSX_MIME: {}}}}


@router.get(ITEM, responses=problems(403, 404, 422))
async def service_record(
    member_id: Id,
    principal: CurrentPrincipal,
    session: SessionDep,
    cipher: CipherDep,
    start: From = None,
    end: To = None,
) -> ServiceRecord:
    """党员的志愿服务记录（双报告，供社区发给其工作单位）：期间的活动（日期、时段、时长、内容、
    组织方）、时长合计、完成的微心愿、上报的案件、积分，以及志愿服务记录证明的各项（姓名、证件号
    脱敏、志愿者编号、出具组织及负责人与联系方式、证明编号、出具日期）。党员报到社区的工作人员
    可见；单位联络员（unit_liaison）只见本单位党员的。"""
    return await service.record(
        session, cipher, principal, member_id, service.Period.of(start, end)
    )


@router.get(f"{ITEM}.xlsx", response_class=Response, responses={**XLSX, **problems(403, 404, 422)})
async def service_record_xlsx(
    member_id: Id,
    principal: CurrentPrincipal,
    session: SessionDep,
    cipher: CipherDep,
    start: From = None,
    end: To = None,
) -> Response:
    """同上，可打印的 .xlsx（表头随 Accept-Language：默认中文，en 为英文）。"""
    period = service.Period.of(start, end)
    record = await service.record(session, cipher, principal, member_id, period)
    name = f"service-record-{member_id}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
    return Response(
        sheet.build(record),
        media_type=sheet.XLSX_MIME,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post(
    "/members/{member_id}/service-certificates",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses={200: {"description": "本期间已出具：同一份证明"}, **problems(403, 404, 422)},
)
async def issue_certificate(
    member_id: Id,
    body: CertificateIssue,
    principal: CurrentPrincipal,
    session: SessionDep,
    cipher: CipherDep,
    response: Response,
) -> CertificateEntry:
    """党员报到社区的工作人员（registrations:review）出具志愿服务记录证明并登记：证明编号唯一，
    记录出具人、出具时间、证明的期间与时长。同一党员同一期间再次出具 → 200 返回同一份证明
    （带 Idempotency-Key 重放原答复）。单位联络员可查阅但不能出具 → 403
    certificate_not_issuer。"""
    period = service.Period.of(body.period_from, body.period_to)
    cert, issuer, new = await certificates.issue(session, cipher, principal, member_id, period)
    if not new:
        response.status_code = status.HTTP_200_OK
    return certificates.read(cert, issuer)


@router.get("/service-certificates", responses=problems(403, 404, 422))
async def verify_certificate(
    number: Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$",
                                 description="证明编号")],
    principal: CurrentPrincipal,
    session: SessionDep,
) -> CertificateEntry:
    """按证明编号核验（出具社区的审核人员、党员所在单位的联络员可查）；不存在或范围外 → 404。
    编号不是资源 id（路径参数一律为 *_id），故以查询参数给出。"""
    cert, issuer = await certificates.verify(session, principal, number)
    return certificates.read(cert, issuer)
