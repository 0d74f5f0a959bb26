"""微心愿 bodies and views. The resident and a claiming member appear by masked name only."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.inputs import Id, IsoDateTime, Text, clean_text


class WishStatus(StrEnum):
    posted = "posted"
    claimed = "claimed"
    fulfilled = "fulfilled"
    confirmed = "confirmed"
    cancelled = "cancelled"


class WishCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grid_id: Id
    resident_id: Id | None = Field(None, description="许愿居民（须在该网格内）")
    title: Text = Field(min_length=1, max_length=200, description="心愿，如“想要一台收音机”")
    description: str | None = Field(None, max_length=2000)

    _title = field_validator("title")(clean_text)


class WishClaim(BaseModel):
    """Empty body: the caller claims as a registered member. `unit_id`: a unit's liaison claims
    for the unit."""

    model_config = ConfigDict(extra="forbid")
    unit_id: Id | None = Field(None, description="以单位名义认领时的单位 id")


class WishFulfil(BaseModel):
    model_config = ConfigDict(extra="forbid")
    evidence: Text = Field(min_length=1, max_length=2000, description="完成情况说明")
    attachment_ids: list[Id] = Field(default_factory=list, max_length=9,
                                      description="POST /attachments 上传的照片 id")

    _evidence = field_validator("evidence")(clean_text)

    @field_validator("attachment_ids")
    @classmethod
    def _unique(cls, value: list[int]) -> list[int]:
        return list(dict.fromkeys(value))


class WishRead(BaseModel):
    id: Id
    grid_id: Id
    community_id: Id | None
    street_id: Id | None
    org_path: str
    resident_id: Id | None
    resident_name: str | None = Field(description="脱敏姓名，如“王**”")
    title: Text
    description: str | None
    status: WishStatus
    posted_by: int | None
    claimed_by_member_id: Id | None
    claimant_name: str | None = Field(description="认领党员的脱敏姓名")
    claimed_by_unit_id: Id | None
    unit_name: str | None
    claimed_at: IsoDateTime | None
    evidence: Text | None
    evidence_attachment_ids: list[Id]
    fulfilled_at: IsoDateTime | None
    confirmed_by: int | None
    confirmed_at: IsoDateTime | None
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime
