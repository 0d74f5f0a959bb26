"""Quarterly assessment (季度考核) and the year-end review (述职评议).

A scoring sheet belongs to the node that drew it up (the district, a street) and applies to one
kind of org for one year. A round applies a sheet to every org of that kind under the round's
node for one quarter; each (org, item) gets one score row when the round is applied, so the
results read from one table. A review collects each org's report (filed by its secretary) and
the reviewers' ratings of it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.types import UTCDateTime, path_type, utcnow
from app.models.base import Base, IdMixin, TimestampMixin
from app.models.scoped import ScopedRow


class _Scoped(ScopedRow):
    org_path: Mapped[str] = mapped_column(path_type(), index=True)
    street_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    community_id: Mapped[int | None] = mapped_column(BigInteger, index=True)


class AssessmentSheet(IdMixin, TimestampMixin, _Scoped, Base):
    """A scoring sheet: `draft` (editable) until a round uses it, then `in_use` (frozen; a
    change is a new version, `POST .../versions`)."""

    __tablename__ = "assessment_sheets"

    org_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"),
                                        index=True)
    year: Mapped[int] = mapped_column(Integer)
    org_kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    version_no: Mapped[int] = mapped_column(Integer, default=1)
    previous_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("assessment_sheets.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("org_id", "year", "org_kind", "version_no"),)


class AssessmentItem(IdMixin, Base):
    """One line of a sheet: `manual` (an assessor scores it with a reason) or `computed` from a
    registered metric (app/assessment/metrics.py)."""

    __tablename__ = "assessment_items"

    sheet_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("assessment_sheets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    weight: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16))
    metric: Mapped[str | None] = mapped_column(String(64))
    target: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        CheckConstraint("weight > 0 AND max_score > 0", name="positive"),
        UniqueConstraint("sheet_id", "position"),
    )


class AssessmentRound(IdMixin, TimestampMixin, _Scoped, Base):
    """A sheet applied for one quarter to every org of its kind under `org_id`; open until
    published, then frozen."""

    __tablename__ = "assessment_rounds"

    sheet_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("assessment_sheets.id", ondelete="RESTRICT"), index=True)
    org_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"),
                                        index=True)
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    org_kind: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # `open`: computed items may be recomputed and manual ones scored; `published`: frozen.
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter"),
        UniqueConstraint("sheet_id", "org_id", "year", "quarter"),
    )


class AssessmentScore(IdMixin, _Scoped, Base):
    """One org's score on one item in one round; scope columns are the assessed org's.
    `score` is NULL for a manual item nobody has scored yet; `value` is a computed item's raw
    metric (a rate or a count)."""

    __tablename__ = "assessment_scores"

    round_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("assessment_rounds.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("assessment_items.id", ondelete="RESTRICT"), index=True)
    org_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"),
                                        index=True)
    score: Mapped[float | None] = mapped_column(Float)
    value: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)
    entered_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), index=True)
    entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("round_id", "org_id", "item_id"),)


class Review(IdMixin, TimestampMixin, _Scoped, Base):
    """A year-end review (述职评议) of every org of `org_kind` under `org_id`; reviewers rate
    within [opens_at, closes_at)."""

    __tablename__ = "reviews"

    org_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"),
                                        index=True)
    year: Mapped[int] = mapped_column(Integer)
    org_kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (CheckConstraint("closes_at > opens_at", name="window"),)


class ReviewReport(IdMixin, _Scoped, Base):
    """An org's report (述职报告), filed by its secretary; scope columns are the org's."""

    __tablename__ = "review_reports"

    review_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"),
                                        index=True)
    author_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), index=True)
    content: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("review_id", "org_id"),)


class ReviewRating(IdMixin, _Scoped, Base):
    """One reviewer's rating of one report (好/较好/一般/差), once."""

    __tablename__ = "review_ratings"

    report_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("review_reports.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    grade: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("report_id", "reviewer_id"),)
