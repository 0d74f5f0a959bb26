"""Party members (党员): registered under a party organisation, classified (regular, mobile,
pocket, hidden), linked to their resident record and their own account.

Personal data as for residents: ID-card and phone numbers are AES-GCM ciphertext plus an HMAC
blind index (one person, one member across the district); every read masks them and the name.
Full values come only from `reveal` (`residents:reveal`, a purpose, rate-limited, audited).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.concurrency import flush_versioned
from app.core.crypto import FieldCipher, mask_id_number, mask_name, mask_phone
from app.core.errors import field_error
from app.core.pagination import PageParams
from app.core.permissions import Perm
from app.core.ratelimit import RateLimits
from app.core.reveal import reveal_fields
from app.core.scope import authorize, in_paths
from app.core.security import Principal
from app.members import repository as repo
from app.members.errors import MemberExists, MemberNotFound, MemberNotLinked, UserAlreadyLinked
from app.members.schemas import (
    CATEGORY_LABELS,
    Category,
    MemberCreate,
    MemberRead,
    MemberRevealed,
    MemberUpdate,
)
from app.models import Member, Org
from app.models.scoped import scope_from
from app.orgs.schemas import OrgKind
from app.people.idcard import birth_date_of, gender_of, normalize_id_number
from app.people.service import ID_CONTEXT as RESIDENT_ID_CONTEXT
from app.users import service as users
from app.users.errors import UserNotFound

ID_CONTEXT = "member.id_number"  # findings use it too: a finding matches its member directly
PHONE_CONTEXT = "member.phone"
# Nodes that hold party memberships: everything but the district committee itself.
PARTY_ORG_KINDS = frozenset(OrgKind) - {OrgKind.district}


async def get_member(session: AsyncSession, principal: Principal, member_id: int,
                     permission: Perm = Perm.member_read) -> Member:
    member = await repo.member_visible(session, principal, member_id)
    if member is None:
        raise MemberNotFound()
    authorize(principal, permission, member.org_path, not_found=MemberNotFound())
    return member


async def party_org(session: AsyncSession, principal: Principal, org_id: int, *, field: str,
                    permission: Perm | None, kinds: frozenset[str] = PARTY_ORG_KINDS) -> Org:
    """A node named in a body: unseen reads like missing (422 naming the field), the wrong kind
    is 422, a visible node without the right is 403."""
    org = await repo.org_visible(session, principal, org_id)
    if org is None:
        raise field_error(field, "党组织不存在", f"No such organisation: {field}")
    if org.kind not in kinds:
        allowed = "、".join(sorted(kinds))
        raise field_error(field, f"该类组织不能用于此处（允许：{allowed}）",
                          f"{field} must be one of: {allowed}")
    if permission is not None:
        authorize(principal, permission, org.path)
    return org


def org_columns(org: Org) -> dict[str, Any]:
    """A member (or finding) on `org`: the org and its scope columns."""
    return {"org_id": org.id, **scope_from(org)}


async def check_user(session: AsyncSession, principal: Principal, user_id: int,
                     member_id: int | None = None) -> None:
    """A user the caller may see, not linked to another member."""
    try:
        await users.get(session, principal, user_id)
    except UserNotFound:
        raise field_error("user_id", "用户不存在", "No such user") from None
    linked = await repo.member_of_user(session, user_id)
    if linked is not None and linked.id != member_id:
        raise UserAlreadyLinked()


async def _resident_id(session: AsyncSession, principal: Principal, cipher: FieldCipher,
                       id_number: str, given: int | None) -> int | None:
    """The given resident (visible, and the same person), else the one with this ID in scope."""
    index = cipher.blind_index(id_number, context=RESIDENT_ID_CONTEXT)
    if given is None:
        found = await repo.resident_visible(session, principal, id_number_index=index)
        return found.id if found else None
    resident = await repo.resident_visible(session, principal, resident_id=given)
    if resident is None:
        raise field_error("resident_id", "居民不存在", "No such resident")
    if resident.id_number_index != index:
        raise field_error("resident_id", "该居民的身份证号与党员不一致",
                          "The resident has another ID number")
    return resident.id


def _check_joined(joined_on: date, born: date) -> None:
    if joined_on > date.today() or joined_on <= born:
        raise field_error("joined_on", "入党日期无效", "joined_on is not a possible date")


async def create_member(session: AsyncSession, principal: Principal, cipher: FieldCipher,
                        data: MemberCreate) -> Member:
    org = await party_org(session, principal, data.org_id, field="org_id",
                          permission=Perm.member_write)
    born, gender = birth_date_of(data.id_number), gender_of(data.id_number)
    if data.gender is not None and data.gender != gender:
        raise field_error("gender", "性别与身份证号不一致", "gender does not match the ID number")
    _check_joined(data.joined_on, born)
    index = cipher.blind_index(data.id_number, context=ID_CONTEXT)
    if await repo.member_by_index(session, index) is not None:
        raise MemberExists()
    if data.user_id is not None:
        await check_user(session, principal, data.user_id)
    member = Member(
        **org_columns(org), name=data.name, gender=gender, birth_date=born,
        id_number_cipher=cipher.encrypt(data.id_number, context=ID_CONTEXT),
        id_number_index=index, phone_cipher=cipher.encrypt(data.phone, context=PHONE_CONTEXT),
        phone_index=cipher.blind_index(data.phone, context=PHONE_CONTEXT),
        education=data.education, joined_on=data.joined_on, status=data.status,
        category=data.category, work_unit=data.work_unit, badge_posted=data.badge_posted,
        user_id=data.user_id,
        resident_id=await _resident_id(session, principal, cipher, data.id_number,
                                       data.resident_id),
    )
    await add_member(session, member)
    await audit.record(session, principal, "member.create", "member", member.id,
                       org_path=member.org_path)
    return member


async def add_member(session: AsyncSession, member: Member) -> None:
    try:
        async with session.begin_nested():
            session.add(member)
    except IntegrityError:
        # A concurrent registration won the race: of the same person, or of the same account.
        if await repo.member_by_index(session, member.id_number_index) is not None:
            raise MemberExists() from None
        raise UserAlreadyLinked() from None


async def update_member(session: AsyncSession, principal: Principal, member: Member,
                        data: MemberUpdate) -> Member:
    fields = data.model_dump(exclude_unset=True)
    for name in ("category", "status", "badge_posted", "org_id"):
        if name in fields and fields[name] is None:
            raise field_error(name, "不能为空", "must not be null")
    if fields.get("status") == "probationary" and member.status == "full":
        raise field_error("status", "正式党员不能改为预备党员",
                          "A full member cannot become probationary")
    if fields.get("user_id") is not None:
        await check_user(session, principal, fields["user_id"], member.id)
    if fields.get("org_id") not in (None, member.org_id):
        org = await party_org(session, principal, fields["org_id"], field="org_id",
                              permission=Perm.member_write)
        for key, value in org_columns(org).items():
            setattr(member, key, value)
    fields.pop("org_id", None)
    for name, value in fields.items():
        setattr(member, name, value.value if isinstance(value, Category) else value)
    try:
        await flush_versioned(session)
    except IntegrityError as exc:
        raise UserAlreadyLinked() from exc
    # Field names only: values (work unit…) may identify the person.
    await audit.record(session, principal, "member.update", "member", member.id,
                       org_path=member.org_path, detail={"fields": sorted(data.model_fields_set)})
    return member


async def list_members(session: AsyncSession, principal: Principal, cipher: FieldCipher, *,
                       org_id: int | None, category: Category | None, status: str | None,
                       badge_posted: bool | None, id_number: str | None, page: PageParams
                       ) -> list[Member]:
    filters: list[Any] = []
    if org_id is not None:
        org = await repo.org_visible(session, principal, org_id)
        if org is None:
            return []  # an org the caller cannot see has no members they can see
        filters.append(in_paths(Member.org_path, [org.path]))
    if category is not None:
        filters.append(Member.category == category.value)
    if status is not None:
        filters.append(Member.status == status)
    if badge_posted is not None:
        filters.append(Member.badge_posted == badge_posted)
    if id_number is not None:
        index = cipher.blind_index(normalize_id_number(id_number), context=ID_CONTEXT)
        filters.append(Member.id_number_index == index)
    return await repo.list_members(session, principal, filters=filters, page=page)


async def me(session: AsyncSession, principal: Principal) -> Member:
    member = (await repo.member_of_user(session, principal.id)
              if principal.kind == "user" else None)
    if member is None:
        raise MemberNotLinked()
    return member


def _age(born: date | None, today: date) -> int | None:
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def member_read(member: Member, cipher: FieldCipher) -> MemberRead:
    """The masked view every role gets."""
    id_number = cipher.decrypt(member.id_number_cipher, context=ID_CONTEXT)
    phone = (cipher.decrypt(member.phone_cipher, context=PHONE_CONTEXT)
             if member.phone_cipher else None)
    category = Category(member.category)
    return MemberRead(
        id=member.id, org_id=member.org_id, org_path=member.org_path,
        street_id=member.street_id, community_id=member.community_id,
        name=mask_name(member.name) or "", gender=member.gender,
        id_number=mask_id_number(id_number) or "", phone=mask_phone(phone),
        age=_age(member.birth_date, date.today()), status=member.status,
        category=category, category_label=CATEGORY_LABELS[category], joined_on=member.joined_on,
        work_unit=member.work_unit, education=member.education,
        badge_posted=member.badge_posted, resident_id=member.resident_id,
        user_id=member.user_id, version=member.version, created_at=member.created_at,
        updated_at=member.updated_at,
    )


async def reveal(session: AsyncSession, principal: Principal, member_id: int, *,
                 cipher: FieldCipher, limits: RateLimits, purpose: str, ip: str
                 ) -> MemberRevealed:
    """As for residents: 404 outside, 403 without `residents:reveal` there, 429 past the
    per-user limit (shared with resident reveals), an audit row with the purpose."""
    member = await get_member(session, principal, member_id, Perm.resident_reveal)
    plain = await reveal_fields(
        session, principal, cipher=cipher, limits=limits, object_type="member",
        object_id=member.id, org_path=member.org_path, purpose=purpose, ip=ip,
        sealed={"id_number": (member.id_number_cipher, ID_CONTEXT),
                "phone": (member.phone_cipher, PHONE_CONTEXT)},
    )
    return MemberRevealed(id=member.id, name=member.name, birth_date=member.birth_date,
                          id_number=plain["id_number"] or "", phone=plain["phone"])
