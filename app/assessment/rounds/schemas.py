"""Quarterly rounds, scores and results: bodies and views."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.core.inputs import Id, Number, Text

Quarter = Annotated[str, Field(pattern=r"^\d{4}-Q[1-4]$", examples=["2026-Q4"])]


class RoundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sheet_id: Id
    org_id: Id = Field(description="考核范围：其下所有该类组织（默认为细则的制定组织）")
    quarter: Quarter = Field(
        description="季度，按北京时间划分，如 2026-Q4 = 2026-10-01 至 2026-12-31"
    )


class RoundRead(BaseModel):
    id: int
    sheet_id: int
    org_id: int
    org_path: str
    year: int
    quarter: str
    org_kind: str
    starts_at: datetime
    ends_at: datetime
    computed_at: datetime = Field(description="computed 项最近一次计算的时间")
    status: str = Field(description="open：可重新计算、可打分；published：已发布，结果冻结")
    published_at: datetime | None
    version: int
    created_at: datetime


class ScoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org_id: Id
    item_id: Id
    score: Number = Field(ge=0, le=1000, description="0..本项满分")
    reason: Annotated[Text, Field(max_length=2000, description="打分（扣分）理由，记入审计")]


class ScoreRead(BaseModel):
    id: int
    round_id: int
    org_id: int
    org_path: str
    item_id: int
    score: float | None = Field(description="manual 项未打分时为 null")
    value: float | None = Field(description="computed 项的原始指标值")
    reason: str | None
    entered_by: int | None
    entered_at: datetime | None
    version: int


class RoundItemResult(BaseModel):
    item_id: int
    name: str
    source: str
    weight: float
    max_score: float
    score: float | None
    value: float | None
    lost: float = Field(description="本项失分 = 权重 × (满分 − 得分)；未打分按 0 分计")
    reason: str | None


class RoundOrgResult(BaseModel):
    org_id: int
    org_name: str
    org_path: str
    total: float = Field(description="Σ 权重 × 得分")
    max_total: float
    lost: float
    rank: int = Field(description="本轮全部被考核组织中的名次（并列同名次）")
    complete: bool = Field(description="所有 manual 项都已打分")
    items: list[RoundItemResult]


class RoundResults(BaseModel):
    round_id: int
    quarter: str
    org_kind: str
    status: str = Field(description="open 或 published（已发布，结果冻结）")
    ranked: int = Field(description="本轮参与排名的组织数（名次在其中计算）")
    items: list[RoundOrgResult]
