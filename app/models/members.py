"""Party members (党员), the member search campaign (寻找党员、亮出身份), and the links that tie
building groups to buildings and member households to the households they look after."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.crypto import encrypted
from app.core.types import UTCDateTime, path_type
from app.models.base import Base, IdMixin, TimestampMixin
from app.models.scoped import ScopedRow


class _OnOrg(ScopedRow):
    """Rows that live under one org node; scope columns are copied from that node."""

    org_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"),
                                        index=True)
    org_path: Mapped[str] = mapped_column(path_type(), index=True)
    street_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    community_id: Mapped[int | None] = mapped_column(BigInteger, index=True)


class Member(IdMixin, TimestampMixin, _OnOrg, Base):
    """A party member; `org_id` is the branch (or other party org) holding the membership.
    ID-card and phone numbers are ciphertext plus blind index, as for residents."""

    __tablename__ = "party_members"

    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str | None] = mapped_column(String(8))
    id_number_cipher: Mapped[str] = mapped_column(String(255), info=encrypted("member.id_number"))
    id_number_index: Mapped[str] = mapped_column(String(64), unique=True)
    phone_cipher: Mapped[str | None] = mapped_column(String(255), info=encrypted("member.phone"))
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    education: Mapped[str | None] = mapped_column(String(20))
    joined_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # full | probationary
    category: Mapped[str] = mapped_column(String(16))  # regular | mobile | pocket | hidden
    work_unit: Mapped[str | None] = mapped_column(String(100))
    badge_posted: Mapped[bool] = mapped_column(Boolean, default=False)  # 挂牌上岗
    resident_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    # The member's own account (mini-program): how 双报到 finds "me".
    user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_party_members_org_id_id", "org_id", "id"),
        # Dashboard counts per community and category come from the index alone.
        Index("ix_party_members_community_id_category", "community_id", "category"),
    )


class MemberFinding(IdMixin, TimestampMixin, _OnOrg, Base):
    """One member found by the search campaign in a business district or community (`org_id`
    is where they were found). The holding branch verifies it; verification links (or creates)
    the member and reclassifies them."""

    __tablename__ = "member_findings"

    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str | None] = mapped_column(String(8))
    id_number_cipher: Mapped[str] = mapped_column(String(255), info=encrypted("member.id_number"))
    id_number_index: Mapped[str] = mapped_column(String(64), index=True)
    phone_cipher: Mapped[str | None] = mapped_column(String(255), info=encrypted("member.phone"))
    phone_index: Mapped[str | None] = mapped_column(String(64))
    category_found: Mapped[str] = mapped_column(String(16))  # mobile | pocket | hidden | regular
    work_unit: Mapped[str | None] = mapped_column(String(100))  # the shop or employer
    badge_posted: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    # The branch said to hold the membership, which verifies the finding.
    branch_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="pending")  # verified | rejected
    reported_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    member_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("party_members.id", ondelete="SET NULL"), index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_member_findings_org_id_status", "org_id", "status"),)


class BuildingGroupBuilding(IdMixin, Base):
    """A building covered by a building group (楼栋党小组, an org node of kind building_group)."""

    __tablename__ = "building_group_buildings"

    group_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("orgs.id", ondelete="CASCADE"))
    # A building belongs to at most one group.
    building_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("buildings.id", ondelete="CASCADE"), unique=True
    )

    __table_args__ = (Index("ix_building_group_buildings_group_id_id", "group_id", "id"),)


class MemberHouseholdLink(IdMixin, Base):
    """A member household (党员中心户, an org node of kind member_household): its own household
    (`is_home`) and the 10–20 households around it that it looks after."""

    __tablename__ = "member_household_links"

    node_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("orgs.id", ondelete="CASCADE"))
    # A household is one member household's home or in one member household's care, not two.
    household_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("households.id", ondelete="CASCADE"), unique=True
    )
    is_home: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_member_household_links_node_id_id", "node_id", "id"),)
