"""Grids (1:1 with their grid_branch org node) and their "one head, two staff"."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.types import path_type
from app.models.base import Base, IdMixin, TimestampMixin
from app.models.scoped import ScopedRow


class Grid(IdMixin, TimestampMixin, ScopedRow, Base):
    __tablename__ = "grids"

    branch_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"), unique=True
    )
    community_id: Mapped[int | None] = mapped_column(BigInteger)
    street_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    org_path: Mapped[str] = mapped_column(path_type(), index=True)
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    level: Mapped[str] = mapped_column(String(16), default="basic")
    # GeoJSON Polygon in WGS-84, plus its bounding box so a point lookup is an index range.
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    min_lng: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lng: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_grids_community_id_id", "community_id", "id"),
        Index("ix_grids_bbox", "min_lng", "max_lng", "min_lat", "max_lat"),
    )


class GridStaff(IdMixin, Base):
    __tablename__ = "grid_staff"

    grid_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("grids.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(32))

    __table_args__ = (UniqueConstraint("grid_id", "user_id", "role"),)
