"""Request and response shapes for seconded cadres and their summary; names and phones are
masked in responses."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.coconstruction.schemas import Text
from app.core.inputs import Id, Int, IsoDate, IsoDateTime
from app.people.fields import Phone

Rank = Literal["section", "general"]


class CadreCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit_id: Id = Field(description="派出单位")
    org_id: Id = Field(description="下沉到的街道（乡镇）或社区")
    name: Text = Field(min_length=1, max_length=50)
    rank: Rank = Field(description="section：科级干部；general：一般干部")
    position: Text | None = Field(None, min_length=1, max_length=100)
    phone: Phone | None = None
    user_id: Id | None = Field(None, description="干部本人的系统账号")
    starts_on: IsoDate
    ends_on: IsoDate | None = None


class CadreUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text | None = Field(None, min_length=1, max_length=50)
    rank: Rank | None = None
    position: Text | None = Field(None, min_length=1, max_length=100)
    phone: Phone | None = None
    starts_on: IsoDate | None = None
    ends_on: IsoDate | None = None


class CadreRead(BaseModel):
    id: Id
    unit_id: Id
    org_id: Id
    org_path: str
    street_id: Id | None
    community_id: Id | None
    name: str = Field(description="脱敏")
    rank: Rank
    position: str | None
    phone: str | None = Field(description="脱敏")
    user_id: Id | None
    starts_on: IsoDate
    ends_on: IsoDate | None
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime


class RankCounts(BaseModel):
    section: Int = 0
    general: Int = 0
    total: Int = 0


class SummaryRow(RankCounts):
    org_id: Id
    name: str
    level: Literal["street", "community"] = Field(
        description="community：下沉到该社区的干部；street：下沉到街道本级的干部")


class CadreSummary(BaseModel):
    active_on: IsoDate
    rows: list[SummaryRow]
    totals: RankCounts
