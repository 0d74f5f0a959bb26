from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal, Self

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.core.inputs import Id, Int, IsoDate, IsoDateTime, Number
from app.people.fields import Gender, IdNumber, PersonName, Phone
from app.people.idcard import birth_date_of

Crs = Literal["wgs84", "gcj02"]
# `?crs=` of a read: the datum its coordinates are answered in (stored as WGS-84).
CrsQuery = Annotated[Crs, Query(description="响应中坐标的坐标系：wgs84（默认）或 gcj02")]


class ResidentTag(StrEnum):
    """People who need attention (重点人群), with their labels in TAG_LABELS."""

    elderly_alone = "elderly_alone"
    disabled = "disabled"
    low_income = "low_income"
    veteran = "veteran"
    left_behind_child = "left_behind_child"
    left_behind_elderly = "left_behind_elderly"
    special_hardship = "special_hardship"


TAG_LABELS: dict[ResidentTag, str] = {
    ResidentTag.elderly_alone: "独居老人",
    ResidentTag.disabled: "残疾人",
    ResidentTag.low_income: "低保户",
    ResidentTag.veteran: "退役军人",
    ResidentTag.left_behind_child: "留守儿童",
    ResidentTag.left_behind_elderly: "留守老人",
    ResidentTag.special_hardship: "特困人员",
}


class BuildingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grid_id: Id
    name: str = Field(min_length=1, max_length=100, description="楼栋号，如“3栋”")
    address: str | None = Field(None, max_length=255)
    lng: Number | None = Field(None, ge=-180, le=180)
    lat: Number | None = Field(None, ge=-90, le=90)
    crs: Crs = Field("wgs84", description="坐标系：微信小程序定位为 gcj02；保存为 WGS-84")
    floors: Int | None = Field(None, ge=1, le=200)
    units: Int | None = Field(None, ge=1, le=50, description="单元数")

    @model_validator(mode="after")
    def _both_or_neither(self) -> Self:
        if (self.lng is None) != (self.lat is None):
            raise ValueError("lng 与 lat 须同时给出")
        return self


class BuildingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: Id
    grid_id: Id
    community_id: Id | None
    street_id: Id | None
    org_path: str
    name: str
    address: str | None
    lng: float | None = Field(description="经度，坐标系见 crs")
    lat: float | None
    crs: Crs = Field("wgs84", description="lng/lat 的坐标系（请求参数 crs=gcj02 时为 GCJ-02）")
    floors: int | None
    units: int | None
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime


class HouseholdCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    building_id: Id
    unit_no: str | None = Field(None, min_length=1, max_length=20, description="单元，如“2单元”")
    room: str = Field(min_length=1, max_length=20, description="房号，如“501”")
    size: Int | None = Field(None, ge=1, le=50, description="户人数")


class HouseholdRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: Id
    building_id: Id
    grid_id: Id
    community_id: Id | None
    street_id: Id | None
    org_path: str
    unit_no: str | None
    room: str
    size: int | None
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime


class ResidentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    household_id: Id
    name: PersonName = Field(min_length=1, max_length=50)
    gender: Gender
    id_number: IdNumber = Field(description="18 位居民身份证号（GB 11643 校验）")
    phone: Phone | None = Field(None, description="手机号")
    ethnicity: str | None = Field(None, max_length=20, description="民族，如“汉族”")
    relation_to_head: str | None = Field(None, max_length=20, description="与户主关系")
    tags: list[ResidentTag] = Field(default_factory=list, max_length=len(ResidentTag))

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[ResidentTag]) -> list[ResidentTag]:
        return list(dict.fromkeys(value))

    @property
    def birth_date(self) -> date:
        return birth_date_of(self.id_number)


class TagRead(BaseModel):
    code: ResidentTag
    label: str


class ResidentRead(BaseModel):
    """Masked for every role: name `张*`, ID `410***********1234`, phone `138****5678`. The
    birth date is part of the ID number, so only the age is shown."""

    id: Id
    household_id: Id
    grid_id: Id
    community_id: Id | None
    street_id: Id | None
    org_path: str
    name: str
    gender: Gender
    id_number: str
    phone: str | None
    age: int
    ethnicity: str | None
    relation_to_head: str | None
    tags: list[TagRead]
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime


class RevealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: str = Field(min_length=2, max_length=200, description="查看完整信息的事由（记入审计）")

    @field_validator("purpose")
    @classmethod
    def _purpose(cls, value: str) -> str:
        value = value.strip()
        if len(value) < 2:
            raise ValueError("请说明查看事由")
        return value


class ResidentRevealed(BaseModel):
    id: Id
    name: str
    id_number: str
    phone: str | None
    birth_date: IsoDate


ImportMode = Literal["valid_rows", "all_or_nothing"]


class ImportRejection(BaseModel):
    row: Int = Field(description="表格行号（表头为第 1 行）")
    field: str = Field(description="字段，如 id_number")
    column: str = Field(description="列名，如“身份证号”")
    code: str = Field(description="原因代码，如 id_checksum、id_registered")
    reason: str


class ImportReport(BaseModel):
    """Counts and the rejected rows with reasons; never the cells' values."""

    id: Id
    grid_id: Id
    community_id: Id | None
    street_id: Id | None
    org_path: str
    filename: str
    mode: ImportMode
    status: Literal["completed", "rejected"] = Field(
        description="rejected：整体导入模式下存在问题行，未导入任何数据")
    rows_total: Int
    rows_created: Int
    rows_rejected: Int
    rejected: list[ImportRejection]
    report_url: str = Field(description="问题行及原因（.xlsx）")
    created_by: Int | None
    created_at: IsoDateTime
