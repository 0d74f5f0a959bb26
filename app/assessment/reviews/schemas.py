"""Year-end reviews (述职评议): bodies and views."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.inputs import Id, Int, IsoAwareDateTime, Text
from app.orgs.schemas import OrgKind


class ReviewGrade(StrEnum):
    good = "good"  # 好
    fairly_good = "fairly_good"  # 较好
    average = "average"  # 一般
    poor = "poor"  # 差


class ReviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org_id: Id = Field(description="组织评议的组织（区、街道）；评议其下所有该类组织")
    year: Int = Field(ge=2000, le=2100)
    org_kind: OrgKind = Field(description="述职组织的类型，如 community")
    title: Annotated[Text, Field(max_length=200)]
    opens_at: IsoAwareDateTime = Field(description="评议开始（含）")
    closes_at: IsoAwareDateTime = Field(description="评议结束（不含）；述职报告须在此前提交")

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at 须晚于 opens_at")
        return self


class ReviewRead(BaseModel):
    id: int
    org_id: int
    org_path: str
    year: int
    org_kind: str
    title: str
    opens_at: datetime
    closes_at: datetime
    version: int
    created_at: datetime


class ReviewReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org_id: Id = Field(description="述职的组织：提交人须在该组织本身任职（书记）")
    content: Annotated[Text, Field(max_length=20000, description="述职报告正文")]


class ReviewReportRead(BaseModel):
    id: int
    review_id: int
    org_id: int
    org_path: str
    author_id: int | None
    content: str
    filed_at: datetime


class ReviewRatingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grade: ReviewGrade = Field(description="good 好 / fairly_good 较好 / average 一般 / poor 差")
    comment: Annotated[Text, Field(max_length=2000)] | None = None


class ReviewRatingRead(BaseModel):
    id: int
    report_id: int
    org_path: str
    reviewer_id: int
    grade: ReviewGrade
    comment: str | None
    rated_at: datetime


class ReviewResult(BaseModel):
    org_id: int
    org_name: str
    org_path: str
    report_id: int | None = Field(description="未提交述职报告时为 null")
    grades: dict[str, int] = Field(description="各档评价票数：good/fairly_good/average/poor")
    rating_score: float | None = Field(
        description="评议得分 R：各票分值的平均（好 100、较好 80、一般 60、差 40）"
    )
    quarterly_score: float | None = Field(
        description="季度考核得分 Q：本年度各季度总分占满分百分比的平均"
    )
    result: float | None = Field(description="综合得分 = 0.6 × Q + 0.4 × R（缺一项时取另一项）")
    rank: int | None


class ReviewResults(BaseModel):
    review_id: int
    year: int
    org_kind: str
    formula: str
    items: list[ReviewResult]
