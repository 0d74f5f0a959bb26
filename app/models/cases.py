"""Cases (grid events): categories, the case itself, its timeline and its attachments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.types import UTCDateTime, path_type, utcnow
from app.models.base import Base, IdMixin, TimestampMixin
from app.models.scoped import ScopedRow


class CaseCategory(Base):
    __tablename__ = "case_categories"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_code: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("case_categories.code", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    time_limit_hours: Mapped[float | None] = mapped_column(Float)
    sort: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Case(IdMixin, TimestampMixin, ScopedRow, Base):
    __tablename__ = "cases"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    category_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("case_categories.code", ondelete="RESTRICT")
    )
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(255))
    # Stored in WGS-84 whatever the phone sent.
    lng: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    grid_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("grids.id", ondelete="RESTRICT"), index=True
    )
    org_path: Mapped[str] = mapped_column(path_type(), index=True)
    street_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    community_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    status: Mapped[str] = mapped_column(String(16), default="reported")
    source: Mapped[str] = mapped_column(String(16), default="app")
    reporter_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # "user:12" or "client:cli_x": who reported, for client_ref de-duplication.
    reporter_key: Mapped[str] = mapped_column(String(64))
    client_ref: Mapped[str | None] = mapped_column(String(64))
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspended_from: Mapped[str | None] = mapped_column(String(16))
    handler_org_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"), index=True
    )
    handler_org_path: Mapped[str | None] = mapped_column(path_type(), index=True)
    assignee_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    merged_into_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("cases.id", ondelete="SET NULL")
    )
    # 督办: how many overdue thresholds have been escalated (each exactly once).
    escalation_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __extra_path_columns__ = ("handler_org_path",)
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("reporter_key", "client_ref"),
        Index("ix_cases_status_due_at", "status", "due_at"),
        Index("ix_cases_grid_id_id", "grid_id", "id"),
        Index("ix_cases_category_code_lat_lng", "category_code", "lat", "lng"),
    )


class CaseEvent(IdMixin, Base):
    """Append-only timeline: one row per transition, written with it."""

    __tablename__ = "case_events"

    case_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(64))
    # The role the actor acted in (their grant that covers the case; null before it was kept).
    actor_role: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CaseAttachment(IdMixin, Base):
    __tablename__ = "case_attachments"

    # Null until the case it was uploaded for is submitted (photos are taken before the report).
    case_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    # Or the evidence of a fulfilled wish (微心愿): bound to the wish instead of a case.
    wish_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("wishes.id", ondelete="CASCADE"), index=True
    )
    # Or the evidence of a key task's progress report, or a joint meeting's minutes.
    task_report_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("key_task_reports.id", ondelete="CASCADE"), index=True
    )
    meeting_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("joint_meetings.id", ondelete="CASCADE"), index=True
    )
    uploaded_by: Mapped[str] = mapped_column(String(64), index=True)
    storage_key: Mapped[str] = mapped_column(String(255))
    public_key: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(64))
    # Of the bytes as uploaded (the original, kept private)...
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # ...and of the copy that is served (re-encoded without EXIF; a PDF is served as it came).
    # Null only for photos stored before these were recorded.
    public_size: Mapped[int | None] = mapped_column(Integer)
    public_sha256: Mapped[str | None] = mapped_column(String(64))
    original_name: Mapped[str | None] = mapped_column(String(255))
    exif_lng: Mapped[float | None] = mapped_column(Float)
    exif_lat: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
