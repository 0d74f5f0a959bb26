"""The organisation tree: one table, `parent_id` is the truth, `path` is the index."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.types import path_type
from app.models.base import Base, IdMixin, TimestampMixin
from app.models.scoped import ScopedRow


class Org(IdMixin, TimestampMixin, ScopedRow, Base):
    __tablename__ = "orgs"
    # The node's own path doubles as its scope path.
    __scope_columns__ = ("path", "street_id", "community_id")

    parent_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    # "/1/4/17/": ids from the root down, with a trailing slash so "/1/4/" never matches "/1/40/".
    path: Mapped[str] = mapped_column(path_type(), unique=True)
    depth: Mapped[int] = mapped_column(Integer)
    street_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    community_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_orgs_parent_id_kind_id", "parent_id", "kind", "id"),)
