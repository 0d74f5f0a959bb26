"""Key tasks (重点任务): a yearly list per org node, split into sub-tasks for streets and
communities, with the units responsible for each, their weekly progress reports and the frozen
weekly bulletins published from them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
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


class _OnNode(ScopedRow):
    """Rows scoped by the org node whose list (or bulletin) they belong to."""

    org_path: Mapped[str] = mapped_column(path_type(), index=True)
    street_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    community_id: Mapped[int | None] = mapped_column(BigInteger, index=True)


class KeyTask(IdMixin, TimestampMixin, _OnNode, Base):
    """One key task of an org node's list for a year; `parent_id` when split from a task of the
    node above; `meeting_id` when a joint meeting's resolution made it."""

    __tablename__ = "key_tasks"

    org_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"), index=True
    )
    year: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("key_tasks.id", ondelete="RESTRICT"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer, default=0)  # its number in the list
    content: Mapped[str] = mapped_column(Text)
    target: Mapped[str | None] = mapped_column(Text)
    lead_org_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("orgs.id", ondelete="SET NULL"), index=True
    )
    lead_unit_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("units.id", ondelete="SET NULL"), index=True
    )
    deadline: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    meeting_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("joint_meetings.id", ondelete="SET NULL"), index=True
    )
    created_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_key_tasks_year_org_path", "year", "org_path"),)


class TaskResponsible(IdMixin, Base):
    """A unit responsible for a task: an org node or a co-construction unit (exactly one).
    `org_path` is where its staff sit: the node's path, or the unit's own org node's path."""

    __tablename__ = "key_task_responsibles"

    task_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("key_tasks.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"), index=True
    )
    unit_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("units.id", ondelete="RESTRICT"), index=True
    )
    # The node where its staff hold their roles (the org itself, or the unit's org node).
    staff_org_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("(org_id IS NULL) <> (unit_id IS NULL)", name="one_kind"),
        UniqueConstraint("task_id", "org_id", "unit_id"),
    )


class TaskReport(IdMixin, TimestampMixin, _OnNode, Base):
    """A responsible unit's progress on a task for one ISO week (one per unit, task and week)."""

    __tablename__ = "key_task_reports"

    task_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("key_tasks.id", ondelete="CASCADE"))
    responsible_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("key_task_responsibles.id", ondelete="CASCADE"), index=True
    )
    week: Mapped[str] = mapped_column(String(8))  # "2026-W49"
    week_start: Mapped[date] = mapped_column(Date)  # its Monday (Asia/Shanghai calendar)
    percent: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    attachment_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    reported_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("task_id", "responsible_id", "week"),
        CheckConstraint("percent >= 0 AND percent <= 100", name="percent_range"),
        Index("ix_key_task_reports_week_start_task_id", "week_start", "task_id"),
    )


class TaskBulletin(IdMixin, _OnNode, Base):
    """A published weekly bulletin: the snapshot is stored, so later edits do not change it."""

    __tablename__ = "task_bulletins"

    org_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"), index=True
    )
    week: Mapped[str] = mapped_column(String(8))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("org_id", "week"),)
