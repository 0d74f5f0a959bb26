"""双报到 and co-construction: members registering with the community where they live, district
units (区直单位) registering with communities and signing agreements (共驻共建协议) that they
report back on (双报告), seconded cadres (下沉干部), and residents' small wishes (微心愿)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
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


class _InCommunity(ScopedRow):
    """Rows scoped by the community (or street) they concern; scope columns copied from it."""

    org_path: Mapped[str] = mapped_column(path_type(), index=True)
    street_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    community_id: Mapped[int | None] = mapped_column(BigInteger, index=True)


class Registration(IdMixin, TimestampMixin, _InCommunity, Base):
    """An in-service member's registration with the community where they live (在职党员到社区报到):
    pending → approved | rejected; withdrawn by the member; ended when they move on."""

    __tablename__ = "community_registrations"

    member_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("party_members.id", ondelete="RESTRICT"), index=True
    )
    # The community registered with; `community_id` (scope column) holds the same id.
    address: Mapped[str] = mapped_column(String(255))
    skills: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # The member's id while pending or approved, NULL otherwise: the unique constraint makes
    # "one active registration per member" hold under concurrent requests on both databases.
    active_member_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    decided_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_community_registrations_community_id_status_id", "community_id", "status",
              "id"),
    )


class Unit(IdMixin, TimestampMixin, ScopedRow, Base):
    """A district-level agency or institution (区直单位). Scoped by the org node it sits under
    (normally the district, or its own `agency` party org)."""

    __tablename__ = "units"
    __scope_columns__ = ("org_path", "street_id", None)

    org_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"),
                                        index=True)
    org_path: Mapped[str] = mapped_column(path_type(), index=True)
    street_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone_cipher: Mapped[str | None] = mapped_column(
        String(255), info=encrypted("unit.contact_phone")
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class UnitRegistration(IdMixin, TimestampMixin, _InCommunity, Base):
    """A unit registered with a community (单位到社区报到)."""

    __tablename__ = "unit_registrations"

    unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("units.id", ondelete="RESTRICT"),
                                         index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | ended
    # The unit's id while active: one active registration per unit and community.
    active_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Agreement(IdMixin, TimestampMixin, _InCommunity, Base):
    """A co-construction agreement between a unit and a community: what the unit offers, what the
    community needs, and the projects they run together."""

    __tablename__ = "agreements"

    unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("units.id", ondelete="RESTRICT"),
                                         index=True)
    title: Mapped[str] = mapped_column(String(200))
    resources: Mapped[list[Any]] = mapped_column(JSON, default=list)  # offered by the unit
    needs: Mapped[list[Any]] = mapped_column(JSON, default=list)  # stated by the community
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active|completed|ended
    signed_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_agreements_unit_id_id", "unit_id", "id"),)


class AgreementProject(IdMixin, TimestampMixin, Base):
    """A project under an agreement, with its owner and dates."""

    __tablename__ = "agreement_projects"

    agreement_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(100))  # the person or team in charge, as written
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="planned")  # in_progress | done
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class AgreementReport(IdMixin, Base):
    """A report back on an agreement (双报告): by the unit to the community or the reverse."""

    __tablename__ = "agreement_reports"

    agreement_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("agreements.id", ondelete="CASCADE")
    )
    side: Mapped[str] = mapped_column(String(16))  # unit | community
    period: Mapped[str] = mapped_column(String(20))  # "2026-Q3", "2026"
    summary: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_agreement_reports_agreement_id_id", "agreement_id", "id"),)


class Cadre(IdMixin, TimestampMixin, _InCommunity, Base):
    """A cadre seconded (下沉干部) from a unit to a street or community for a period. Scoped by
    the street or community served."""

    __tablename__ = "seconded_cadres"

    unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("units.id", ondelete="RESTRICT"),
                                         index=True)
    org_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"),
                                        index=True)  # the street or community served
    name: Mapped[str] = mapped_column(String(50))
    rank: Mapped[str] = mapped_column(String(16))  # section | general
    position: Mapped[str | None] = mapped_column(String(100))
    phone_cipher: Mapped[str | None] = mapped_column(String(255), info=encrypted("cadre.phone"))
    user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_seconded_cadres_community_id_rank", "community_id", "rank"),)


class Wish(IdMixin, TimestampMixin, _InCommunity, Base):
    """A resident's small wish (微心愿) posted by a grid worker: posted → claimed (by a registered
    member or a unit) → fulfilled (with evidence) → confirmed by the grid worker; or cancelled."""

    __tablename__ = "wishes"

    grid_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("grids.id", ondelete="RESTRICT"),
                                         index=True)
    resident_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="posted")
    posted_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    claimed_by_member_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("party_members.id", ondelete="SET NULL"), index=True
    )
    claimed_by_unit_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("units.id", ondelete="SET NULL"), index=True
    )
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    evidence: Mapped[str | None] = mapped_column(Text)
    evidence_attachment_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_wishes_grid_id_status_id", "grid_id", "status", "id"),)
