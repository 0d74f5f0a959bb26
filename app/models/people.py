"""The people-and-house register (人房信息): buildings in a grid, households in a building,
residents in a household. Scope columns are copied from the grid."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.crypto import encrypted
from app.core.types import UTCDateTime, path_type, utcnow
from app.models.base import Base, IdMixin, TimestampMixin
from app.models.scoped import ScopedRow


class _InGrid(ScopedRow):
    grid_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("grids.id", ondelete="RESTRICT"),
                                         index=True)
    org_path: Mapped[str] = mapped_column(path_type(), index=True)
    street_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    community_id: Mapped[int | None] = mapped_column(BigInteger, index=True)


class Building(IdMixin, TimestampMixin, _InGrid, Base):
    __tablename__ = "buildings"

    name: Mapped[str] = mapped_column(String(100))  # the building number, "3栋"
    address: Mapped[str | None] = mapped_column(String(255))
    lng: Mapped[float | None] = mapped_column(Float)  # WGS-84
    lat: Mapped[float | None] = mapped_column(Float)
    floors: Mapped[int | None] = mapped_column(Integer)
    units: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Household(IdMixin, TimestampMixin, _InGrid, Base):
    __tablename__ = "households"

    building_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("buildings.id", ondelete="RESTRICT")
    )
    unit_no: Mapped[str | None] = mapped_column(String(20))
    room: Mapped[str] = mapped_column(String(20))
    size: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_households_building_id_id", "building_id", "id"),)


class Resident(IdMixin, TimestampMixin, _InGrid, Base):
    """ID-card and phone numbers are stored only as AES-GCM ciphertext plus an HMAC blind index;
    the name stays plain (searched by staff) and is masked in every response."""

    __tablename__ = "residents"

    household_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("households.id", ondelete="RESTRICT")
    )
    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str] = mapped_column(String(8))
    id_number_cipher: Mapped[str] = mapped_column(String(255), info=encrypted("resident.id_number"))
    # One person, one register entry across the district.
    id_number_index: Mapped[str] = mapped_column(String(64), unique=True)
    phone_cipher: Mapped[str | None] = mapped_column(String(255), info=encrypted("resident.phone"))
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    birth_date: Mapped[date] = mapped_column(Date)
    ethnicity: Mapped[str | None] = mapped_column(String(20))
    relation_to_head: Mapped[str | None] = mapped_column(String(20))
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_residents_household_id_id", "household_id", "id"),)


class ResidentImport(IdMixin, ScopedRow, Base):
    """One import of a resident spreadsheet into a grid: the counts, the mode, and the rejected
    rows with their reasons (kept so the office can download them and fix the sheet)."""

    __tablename__ = "resident_imports"

    grid_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("grids.id", ondelete="RESTRICT"),
                                         index=True)
    org_path: Mapped[str] = mapped_column(path_type(), index=True)
    street_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    community_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    filename: Mapped[str] = mapped_column(String(255))
    mode: Mapped[str] = mapped_column(String(16))  # all_or_nothing | valid_rows
    status: Mapped[str] = mapped_column(String(16))  # completed | rejected
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_created: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    # [{"row": 7, "field": "id_number", "reason": "..."}]: reasons only, never the values.
    rejected: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The rejected rows' own cells (names, ID numbers, phones), encrypted like every personal
    # field: the rejected-rows workbook repeats them beside the reasons, to fix in place.
    rejected_rows_cipher: Mapped[str | None] = mapped_column(
        Text, info=encrypted("resident_import.rejected_rows")
    )
    created_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
