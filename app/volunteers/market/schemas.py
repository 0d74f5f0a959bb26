"""爱心超市 bodies and views."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.inputs import Id, Int, IsoDateTime, Text, clean_text


class RedemptionStatus(StrEnum):
    reserved = "reserved"
    collected = "collected"
    cancelled = "cancelled"


class GoodsCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    community_id: Id = Field(description="超市所在社区")
    name: Text = Field(min_length=1, max_length=100, description="如“洗衣液 1 瓶”")
    description: str | None = Field(None, max_length=2000)
    price_points: Int = Field(ge=1, le=1_000_000, description="兑换所需积分")
    stock: Int = Field(0, ge=0, le=1_000_000)

    _name = field_validator("name")(clean_text)


class GoodsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=2000)
    price_points: Int | None = Field(None, ge=1, le=1_000_000)
    active: bool | None = Field(None, description="false 为下架")


class StockChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    delta: Int = Field(ge=-1_000_000, le=1_000_000,
                       description="入库为正，出库（损耗）为负；不能为 0",
                       json_schema_extra={"not": {"const": 0}})

    @field_validator("delta")
    @classmethod
    def _nonzero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("不能为 0")
        return value


class RedemptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quantity: Int = Field(1, ge=1, le=100)


class GoodsRead(BaseModel):
    id: Id
    community_id: Id | None
    street_id: Id | None
    org_path: str
    name: Text
    description: str | None
    price_points: int
    stock: int
    active: bool
    version: int
    created_at: IsoDateTime


class RedemptionRead(BaseModel):
    id: Id
    goods_id: Id
    goods_name: str
    community_id: Id | None
    org_path: str
    user_id: Id
    name: Text | None = Field(description="兑换人脱敏姓名")
    quantity: int
    points: int
    status: RedemptionStatus
    collected_at: IsoDateTime | None
    cancelled_at: IsoDateTime | None
    version: int
    created_at: IsoDateTime
