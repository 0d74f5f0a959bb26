"""Scoring sheets: bodies and views."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.inputs import Id, Int, Number, Text
from app.orgs.schemas import OrgKind


class SheetItemSource(StrEnum):
    manual = "manual"  # an assessor scores it, with a reason
    computed = "computed"  # from a registered metric (GET /assessment/metrics)


class AssessmentSheetStatus(StrEnum):
    draft = "draft"
    in_use = "in_use"


class SheetItemIn(BaseModel):
    # The schema states the rule below too: a manual item (the default) has no metric, a
    # computed one names it.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {"properties": {"source": {"const": "manual"}, "metric": {"type": "null"}}},
                {
                    "required": ["source", "metric"],
                    "properties": {"source": {"const": "computed"}, "metric": {"type": "string"}},
                },
            ]
        },
    )
    name: Annotated[Text, Field(max_length=200, description="如“案件按期办结率”")]
    weight: Number = Field(1.0, gt=0, le=100, description="权重：总分 = Σ 权重 × 得分")
    max_score: Number = Field(gt=0, le=1000, description="本项满分")
    source: SheetItemSource = SheetItemSource.manual
    metric: str | None = Field(None, max_length=64, description="computed 项的指标名")
    target: Number | None = Field(
        None, gt=0, le=1_000_000, description="计数类指标的目标值（达到即满分）"
    )

    @model_validator(mode="after")
    def _metric_only_when_computed(self) -> Self:
        if (self.source == SheetItemSource.computed) != (self.metric is not None):
            raise ValueError("computed 项须给出 metric，manual 项不能给出 metric")
        return self


Items = Annotated[list[SheetItemIn], Field(min_length=1, max_length=50)]


class SheetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org_id: Id = Field(description="制定细则的组织（区、街道）；考核其下该类组织")
    year: Int = Field(ge=2000, le=2100)
    org_kind: OrgKind = Field(description="被考核组织的类型，如 community")
    name: Annotated[Text, Field(max_length=200)]
    items: Items


class SheetUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[Text, Field(max_length=200)] | None = None
    items: Items | None = None


class SheetItemRead(BaseModel):
    id: int
    position: int
    name: str
    weight: float
    max_score: float
    source: SheetItemSource
    metric: str | None
    target: float | None


class SheetRead(BaseModel):
    id: int
    org_id: int
    org_path: str
    year: int
    org_kind: str
    name: str
    version_no: int = Field(description="细则版本号；使用中的细则只能新建版本")
    previous_id: int | None
    status: AssessmentSheetStatus
    items: list[SheetItemRead]
    max_total: float = Field(description="满分合计 Σ 权重 × 满分")
    version: int
    created_at: datetime


class AssessmentMetricRead(BaseModel):
    name: str
    label: str
    unit: str = Field(
        description="rate（0..1，得分 = 满分 × 比率）或 count（得分 = 满分 × min(1, 数值/目标)）"
    )
