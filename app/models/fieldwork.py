"""Field work: a grid worker's patrols (巡查, with their GPS track and the cases raised on the way)
and household visits (走访)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
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


class Patrol(IdMixin, TimestampMixin, ScopedRow, Base):
    """One patrol of one worker in one grid; scope columns are copied from the grid."""

    __tablename__ = "patrols"

    grid_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("grids.id", ondelete="RESTRICT"))
    org_path: Mapped[str] = mapped_column(path_type(), index=True)
    street_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    community_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # Logs are records: an account with patrols is deactivated, never deleted.
    worker_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The worker's id while running, NULL once ended: the unique constraint makes "one running
    # patrol per worker" hold under concurrent starts, on both databases (NULLs never collide).
    running_worker_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    # Ended by the server because the worker started a new patrol long after this one went quiet.
    auto_ended: Mapped[bool] = mapped_column(Boolean, default=False)
    distance_m: Mapped[float] = mapped_column(Float, default=0.0)
    point_count: Mapped[int] = mapped_column(Integer, default=0)
    last_point_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notes: Mapped[str | None] = mapped_column(Text)
    client_ref: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("worker_id", "client_ref"),
        Index("ix_patrols_grid_id_id", "grid_id", "id"),
        Index("ix_patrols_worker_id_id", "worker_id", "id"),
        Index("ix_patrols_started_at", "started_at"),
    )


class PatrolPoint(IdMixin, Base):
    """One GPS fix of a patrol's track, WGS-84. A fix is identified by its time, so a batch the
    phone uploads twice (weak network) adds nothing the second time."""

    __tablename__ = "patrol_points"

    patrol_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("patrols.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    lng: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    accuracy: Mapped[float | None] = mapped_column(Float)  # metres, as the phone reports it

    # Also the index that reads a track in order.
    __table_args__ = (UniqueConstraint("patrol_id", "at"),)


class PatrolCase(IdMixin, Base):
    """A case raised (or met) on a patrol."""

    __tablename__ = "patrol_cases"

    patrol_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("patrols.id", ondelete="CASCADE")
    )
    case_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    linked_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("patrol_id", "case_id"),)


class Visit(IdMixin, TimestampMixin, ScopedRow, Base):
    """A household visit log; scope columns are copied from the grid."""

    __tablename__ = "visits"

    grid_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("grids.id", ondelete="RESTRICT"))
    org_path: Mapped[str] = mapped_column(path_type(), index=True)
    street_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    community_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    author_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="RESTRICT"))
    # The worker writes the household as they know it ("3栋2单元501"); `household_id` links the
    # register's row when known (given, or matched from `household_ref` by the migration).
    household_ref: Mapped[str] = mapped_column(String(100))
    household_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("households.id", ondelete="SET NULL"), index=True
    )
    address: Mapped[str | None] = mapped_column(String(255))
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime())
    purpose: Mapped[str] = mapped_column(String(16))
    # May name people: never logged, never copied into audit rows.
    notes: Mapped[str | None] = mapped_column(Text)
    people_met: Mapped[int | None] = mapped_column(Integer)
    follow_up_case_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    # Where the visit was logged, WGS-84 (optional: indoors there is often no fix).
    lng: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    client_ref: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("author_id", "client_ref"),
        Index("ix_visits_grid_id_id", "grid_id", "id"),
        Index("ix_visits_author_id_id", "author_id", "id"),
        Index("ix_visits_visited_at", "visited_at"),
        Index("ix_visits_grid_id_household_ref", "grid_id", "household_ref"),
    )
