"""Joint meetings (联席会议): a yearly schedule per org node (district quarterly, streets and
communities monthly), attendees, phone sign-in with a one-time code, minutes; resolutions become
key tasks (key_tasks.meeting_id)."""

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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.types import UTCDateTime, path_type
from app.models.base import Base, IdMixin, TimestampMixin
from app.models.scoped import ScopedRow


class Meeting(IdMixin, TimestampMixin, ScopedRow, Base):
    __tablename__ = "joint_meetings"

    org_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"), index=True
    )
    org_path: Mapped[str] = mapped_column(path_type(), index=True)
    street_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    community_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    year: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(8))  # "2026-Q1" or "2026-03"
    title: Mapped[str] = mapped_column(String(200))
    scheduled_on: Mapped[date] = mapped_column(Date)  # Asia/Shanghai date
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    reason: Mapped[str | None] = mapped_column(Text)  # why moved or cancelled
    moved_from: Mapped[date | None] = mapped_column(Date)
    signin_code_hash: Mapped[str | None] = mapped_column(String(64))
    signin_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    minutes: Mapped[str | None] = mapped_column(Text)
    minutes_attachment_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("org_id", "period"),
        Index("ix_joint_meetings_year_org_path", "year", "org_path"),
    )


class MeetingAttendee(IdMixin, Base):
    """Who is expected: an org node, a unit or a seconded cadre; signed in from the phone."""

    __tablename__ = "meeting_attendees"

    meeting_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("joint_meetings.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # org | unit | cadre
    ref_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(100))
    # Who may sign in for it: staff holding a role on this org node, or the cadre's account.
    staff_org_id: Mapped[int | None] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_in_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )

    __table_args__ = (UniqueConstraint("meeting_id", "kind", "ref_id"),)
