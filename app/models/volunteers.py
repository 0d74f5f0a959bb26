"""Volunteers: activities and classes (志愿活动 / 培训班) with sign-ups, attendance and service
hours, the points ledger (积分) that service hours credit, and the love supermarket (爱心超市)
where points buy goods."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.crypto import encrypted
from app.core.types import UTCDateTime, path_type, utcnow
from app.models.base import Base, IdMixin, TimestampMixin
from app.models.scoped import ScopedRow


class _Scoped(ScopedRow):
    org_path: Mapped[str] = mapped_column(path_type(), index=True)
    street_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    community_id: Mapped[int | None] = mapped_column(BigInteger, index=True)


class Activity(IdMixin, TimestampMixin, _Scoped, Base):
    """An activity or class run by an org node (a community, a social organisation's branch):
    scope columns copied from that node. `accepted_count` is the seats taken, changed only while
    the row is locked (FOR UPDATE on PostgreSQL, the write lock on SQLite), so it never exceeds
    `capacity`."""

    __tablename__ = "activities"

    org_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"),
                                        index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    signup_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer)
    accepted_count: Mapped[int] = mapped_column(Integer, default=0)
    address: Mapped[str | None] = mapped_column(String(255))
    lng: Mapped[float | None] = mapped_column(Float)  # WGS-84
    lat: Mapped[float | None] = mapped_column(Float)
    radius_m: Mapped[int] = mapped_column(Integer, default=200)
    points_per_hour: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # Audience rules (e.g. the summer class: children aged 7-12 of the community's residents),
    # checked on the participant's age on the start date, from their ID number.
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    residents_only: Mapped[bool] = mapped_column(Boolean, default=False)
    # The organiser when not the org node's own staff: a volunteer team (its leader runs it)
    # or a co-construction unit (its liaison), optionally under one of the unit's agreements
    # with the community. The org node above stays the scope: whom the activity serves.
    team_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("volunteer_teams.id", ondelete="RESTRICT"), index=True)
    unit_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("agreements.id", ondelete="RESTRICT"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("accepted_count >= 0 AND accepted_count <= capacity", name="seats"),
        CheckConstraint("team_id IS NULL OR unit_id IS NULL", name="one_organiser"),
        CheckConstraint("agreement_id IS NULL OR unit_id IS NOT NULL", name="agreement_unit"),
        Index("ix_activities_community_id_starts_at", "community_id", "starts_at"),
        # "What's on near me": a bounding box on latitude first (the narrower range).
        Index("ix_activities_lat_lng", "lat", "lng"),
    )


class ActivitySignup(IdMixin, TimestampMixin, _Scoped, Base):
    """One person's place on an activity: accepted or waitlisted (in id order), cancelled;
    then checked in and out, which gives the service minutes (capped by the activity's span)."""

    __tablename__ = "activity_signups"

    activity_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("activities.id", ondelete="RESTRICT"), index=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="RESTRICT"),
                                         index=True)
    status: Mapped[str] = mapped_column(String(16))
    # The user's id while accepted or waitlisted, NULL once cancelled: one live place per person.
    # NULL too on a child's place, which `user_id` (the guardian) holds for them.
    active_user_id: Mapped[int | None] = mapped_column(BigInteger)
    # A child signed up by their guardian (`user_id`): the resident, and the same while live.
    resident_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("residents.id", ondelete="RESTRICT"), index=True
    )
    active_resident_id: Mapped[int | None] = mapped_column(BigInteger)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    minutes: Mapped[int | None] = mapped_column(Integer)
    points: Mapped[int | None] = mapped_column(Integer)  # credited so far, corrections included
    corrected_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    correction_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("activity_id", "active_user_id"),
        UniqueConstraint("activity_id", "active_resident_id"),
        Index("ix_activity_signups_activity_id_status_id", "activity_id", "status", "id"),
    )


class PointsEntry(IdMixin, _Scoped, Base):
    """One ledger entry (a credit for service, a correction, a redemption or its reversal): its
    postings sum to zero. Never
    updated or deleted; a correction is a new entry. Scoped by the community it concerns."""

    __tablename__ = "points_entries"

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))
    memo: Mapped[str] = mapped_column(String(255))
    actor_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    signup_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("activity_signups.id", ondelete="RESTRICT"), index=True
    )
    # A rule's credit (kind "rule"): the rule and the object it rewards, once per object.
    rule: Mapped[str | None] = mapped_column(String(32))
    source_ref: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("rule", "source_ref"),)


class PointsRule(IdMixin, TimestampMixin, _Scoped, Base):
    """A community's rule for credits that are not service hours ("a valid case report": so
    many points, at most `cap` credits per person per `period`). Scoped by its community."""

    __tablename__ = "points_rules"

    rule: Mapped[str] = mapped_column(String(32))
    points: Mapped[int] = mapped_column(Integer)
    cap: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(8))  # week | month | year
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("community_id", "rule"),
        CheckConstraint("points >= 0 AND cap >= 0", name="not_negative"),
    )


class PointsPosting(IdMixin, Base):
    """One side of an entry: `account` is "user:<id>" for a person's balance,
    "issued:<community id>" for what a community has handed out (its side goes negative), or
    "market:<community id>" for what its love supermarket has taken in."""

    __tablename__ = "points_postings"

    entry_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("points_entries.id", ondelete="RESTRICT"), index=True
    )
    account: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="RESTRICT")
    )
    amount: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_points_postings_user_id_id", "user_id", "id"),
        Index("ix_points_postings_account", "account"),
    )


class PointsAccount(IdMixin, Base):
    """A person's running balance, kept in the same transaction as their postings (a test holds
    it equal to their sum). It exists for the guard, not as the record: every change is one
    conditional UPDATE (`balance + amount >= 0`), so concurrent debits queue on its row and
    none can overdraw; the CHECK makes a negative balance unstorable."""

    __tablename__ = "points_accounts"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="RESTRICT"), unique=True
    )
    balance: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (CheckConstraint("balance >= 0", name="not_negative"),)


class MarketGoods(IdMixin, TimestampMixin, _Scoped, Base):
    """Goods on a community's love supermarket (爱心超市) shelf, priced in points. `stock` only
    moves by conditional UPDATEs (never below zero; a CHECK holds it too)."""

    __tablename__ = "market_goods"

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    price_points: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (CheckConstraint("stock >= 0", name="stock_not_negative"),
                      CheckConstraint("price_points > 0", name="price_positive"))


class Redemption(IdMixin, TimestampMixin, _Scoped, Base):
    """A person's redemption of goods: reserved (stock held, points debited) → collected at the
    market, or cancelled (stock and points given back by a reversing ledger entry)."""

    __tablename__ = "market_redemptions"

    goods_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("market_goods.id", ondelete="RESTRICT"), index=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="RESTRICT"),
                                         index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="reserved")
    entry_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("points_entries.id", ondelete="RESTRICT")
    )
    decided_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class VolunteerTeam(IdMixin, TimestampMixin, _Scoped, Base):
    """A social organisation, volunteer team or named studio (社会组织 / 志愿者队伍 / 工作室),
    scoped by the community or street it serves. Its contact's phone is encrypted."""

    __tablename__ = "volunteer_teams"

    org_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"),
                                        index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    leader_name: Mapped[str | None] = mapped_column(String(50))
    # The member who leads it: organises the team's own activities without being staff.
    leader_user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"))
    contact_phone_cipher: Mapped[str | None] = mapped_column(
        String(255), info=encrypted("volunteer_team.contact_phone")
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class TeamMembership(IdMixin, _Scoped, Base):
    """A volunteer on a team (scope columns copied from the team)."""

    __tablename__ = "volunteer_team_members"

    team_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("volunteer_teams.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("team_id", "user_id"),)


class VolunteerProfile(IdMixin, TimestampMixin, Base):
    """A person's own volunteer details: skills and when they are available."""

    __tablename__ = "volunteer_profiles"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    skills: Mapped[list[Any]] = mapped_column(JSON, default=list)
    availability: Mapped[list[Any]] = mapped_column(JSON, default=list)


class ServiceCertificate(IdMixin, _Scoped, Base):
    """A volunteer service certificate (志愿服务记录证明) as issued: registered under its own
    number, with who issued it and when, and the period and hours it certifies (VOLUNTEERS.md:
    certificates are numbered and registered, the organisation keeps a copy). Scope columns
    are the issuing community's. One per member and period: issuing again gives this one."""

    __tablename__ = "service_certificates"

    number: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("party_members.id", ondelete="RESTRICT"), index=True)
    issuer_org_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"))
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    hours: Mapped[float] = mapped_column(Float)
    activities: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text, default="")
    issued_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("member_id", "period_from", "period_to"),)
