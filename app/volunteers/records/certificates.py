"""The certificate register (志愿服务记录证明, VOLUNTEERS.md: numbered and registered, the
organisation keeps a copy). The community the member is registered with issues it (谁记录谁证明:
its staff holding registrations:review there); the register keeps its own number, who issued
it and when, and the period, hours and content it certifies. Issuing is idempotent: the same
member and period give the same certificate (and an Idempotency-Key replays the answer).

Verification by number: the issuing community's reviewers and whoever reads the member's
service record (the unit's liaison over their own unit's members); 404 for anyone else who
cannot see it, 403 for one who sees it without either right."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.crypto import FieldCipher
from app.core.errors import Forbidden
from app.core.permissions import Perm
from app.core.scope import covers, scope_paths, sees
from app.core.security import Principal
from app.core.types import utcnow
from app.models import Org, ServiceCertificate
from app.models.scoped import scope_from
from app.volunteers.records import repository as repo
from app.volunteers.records import service as records
from app.volunteers.records.errors import CertificateNotFound, NotIssuer
from app.volunteers.records.schemas import CertificateEntry
from app.volunteers.records.service import SHANGHAI, Period


def _holds(principal: Principal, permission: Perm, path: str) -> bool:
    return any(covers(p, path) for p in scope_paths(principal, permission))


async def issue(session: AsyncSession, cipher: FieldCipher, principal: Principal,
                member_id: int, period: Period) -> tuple[ServiceCertificate, Org, bool]:
    """(certificate, issuing community, newly issued)."""
    record = await records.record(session, cipher, principal, member_id, period)
    community = await repo.registered_community(session, member_id)
    if community is None or not _holds(principal, Perm.registration_review, community.path):
        raise NotIssuer()
    existing = await repo.certificate_of(session, member_id, period.start, period.end)
    if existing is not None:
        return existing, community, False
    now = utcnow()
    cert = ServiceCertificate(
        number=f"pending-{member_id}-{now.timestamp()}", member_id=member_id,
        issuer_org_id=community.id, **scope_from(community, ServiceCertificate),
        period_from=period.start, period_to=period.end, hours=record.hours_total,
        activities=len(record.activities), content=record.certificate.content,
        issued_by=principal.id if principal.kind == "user" else None, issued_at=now)
    try:
        async with session.begin_nested():  # a savepoint: a lost race leaves the rest intact
            session.add(cert)
            await session.flush()
    except IntegrityError:
        # Another request issued it for this member and period meanwhile (PostgreSQL: the
        # unique key decides): that one is the certificate, as for a later request.
        existing = await repo.certificate_of(session, member_id, period.start, period.end)
        if existing is None:
            raise
        return existing, community, False
    # The register's own number, from its row: unique however many periods overlap.
    cert.number = f"ZYZM-{community.id}-{now.astimezone(SHANGHAI):%Y}-{cert.id:06d}"
    await session.flush()
    await audit.record(session, principal, "member.certificate_issue", "service_certificate",
                       cert.id, org_path=cert.org_path,
                       detail={"member_id": member_id, "number": cert.number})
    return cert, community, True


async def verify(session: AsyncSession, principal: Principal, number: str
                 ) -> tuple[ServiceCertificate, Org]:
    found = await repo.certificate_by_number(session, number)
    if found is None:
        raise CertificateNotFound()
    cert, member, issuer = found
    if not (_holds(principal, Perm.registration_review, cert.org_path)
            or _holds(principal, Perm.service_record_read, member.org_path)):
        if sees(principal, cert.org_path) or sees(principal, member.org_path):
            raise Forbidden()
        raise CertificateNotFound()
    await audit.record(session, principal, "member.certificate_verify", "service_certificate",
                       cert.id, org_path=cert.org_path)
    return cert, issuer


def read(cert: ServiceCertificate, issuer: Org) -> CertificateEntry:
    return CertificateEntry(
        number=cert.number, member_id=cert.member_id, issuer_org_id=cert.issuer_org_id,
        issuing_org=issuer.name, org_path=cert.org_path, community_id=cert.community_id,
        period_from=cert.period_from, period_to=cert.period_to, hours=cert.hours,
        activities=cert.activities, content=cert.content, issued_by=cert.issued_by,
        issued_at=cert.issued_at)


