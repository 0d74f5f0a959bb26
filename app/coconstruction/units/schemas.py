"""Request and response shapes for units; contact names and phones are masked in responses."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.coconstruction.schemas import Text
from app.core.inputs import Id, IsoDateTime
from app.people.fields import Phone


class UnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org_id: Id = Field(description="所在组织节点：区（district）或机关党组织（agency）")
    name: Text = Field(min_length=1, max_length=100)
    code: Text | None = Field(None, min_length=1, max_length=64, description="单位编码，全区唯一")
    contact_name: Text | None = Field(None, min_length=1, max_length=50, description="联系人")
    contact_phone: Phone | None = Field(None, description="联系人手机号（加密保存，返回时脱敏）")


class UnitUpdate(BaseModel):
    """All optional, applied as sent; `null` clears code and contact fields."""

    model_config = ConfigDict(extra="forbid")
    name: Text | None = Field(None, min_length=1, max_length=100)
    code: Text | None = Field(None, min_length=1, max_length=64)
    contact_name: Text | None = Field(None, min_length=1, max_length=50)
    contact_phone: Phone | None = None


class UnitRead(BaseModel):
    id: Id
    org_id: Id
    org_path: str
    street_id: Id | None
    name: str
    code: str | None
    contact_name: str | None = Field(description="脱敏，如“张*”")
    contact_phone: str | None = Field(description="脱敏，如“138****5678”")
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime


class RegisteredUnitRead(UnitRead):
    """A unit as a community sees it: with its registration there."""

    registration_id: Id
    registered_at: IsoDateTime
