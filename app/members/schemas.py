"""Party members, search-campaign findings, building groups and member households: what goes in
and what comes out. Every read masks the name, ID-card number and phone."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.inputs import Id, Int, IsoDate, IsoDateTime
from app.people.fields import Gender, IdNumber, PersonName, Phone

MemberStatus = Literal["full", "probationary"]


class Category(StrEnum):
    regular = "regular"
    mobile = "mobile"  # 流动党员
    pocket = "pocket"  # 口袋党员
    hidden = "hidden"  # 隐形党员


CATEGORY_LABELS: dict[Category, str] = {
    Category.regular: "正常党员",
    Category.mobile: "流动党员",
    Category.pocket: "口袋党员",
    Category.hidden: "隐形党员",
}


# Free text is shown unmasked: full ID-card or mobile numbers belong in their encrypted fields.
_FULL_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])"  # an ID-card number
    r"|(?<!\d)1[3-9]\d{9}(?!\d)"  # a mobile number
)


def _no_numbers(value: str | None) -> str | None:
    if value is not None and _FULL_NUMBER.search(value):
        raise ValueError("备注中不要填写身份证号或手机号（请填在对应字段，系统会加密保存）")
    return value


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: PersonName = Field(min_length=1, max_length=50)
    id_number: IdNumber = Field(
        description="18 位居民身份证号（GB 11643 校验）；出生日期和性别取自号码")
    phone: Phone = Field(description="手机号")
    org_id: Id = Field(description="组织关系所在的党组织（社区、网格党支部、两新组织等）")
    status: MemberStatus = Field(description="full 正式党员；probationary 预备党员")
    category: Category = Field(description="regular 正常；mobile 流动；pocket 口袋；hidden 隐形")
    joined_on: IsoDate = Field(description="入党日期")
    work_unit: str | None = Field(None, max_length=100, description="工作单位")
    user_id: Id | None = Field(None, description="党员本人的账号（小程序）")
    gender: Gender | None = Field(None, description="可省略：取自身份证号；给出时须与号码一致")
    education: str | None = Field(None, max_length=20, description="学历")
    badge_posted: bool = Field(False, description="是否挂牌上岗（亮出身份）")
    resident_id: Id | None = Field(None, description="对应的居民；省略时按身份证号自动关联")



class MemberUpdate(BaseModel):
    """Reclassify: every field optional, applied as sent (`exclude_unset`)."""

    model_config = ConfigDict(extra="forbid")
    category: Category | None = None
    status: MemberStatus | None = Field(None, description="只能由预备党员转为正式党员")
    badge_posted: bool | None = None
    work_unit: str | None = Field(None, max_length=100)
    education: str | None = Field(None, max_length=20)
    user_id: Id | None = Field(None, description="null 解除关联")
    org_id: Id | None = Field(None, description="转移组织关系（须在本人管理范围内）")


class MemberRead(BaseModel):
    """Masked for every role: name `张*`, ID `410***********1234`, phone `138****5678`; the
    birth date is part of the ID number, so only the age is shown."""

    id: Id
    org_id: Id
    org_path: str
    street_id: Id | None
    community_id: Id | None
    name: str
    gender: str | None
    id_number: str
    phone: str | None
    age: int | None
    status: MemberStatus
    category: Category
    category_label: str
    joined_on: IsoDate | None
    work_unit: str | None
    education: str | None
    badge_posted: bool
    resident_id: Id | None
    user_id: Id | None
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime


class MemberRevealed(BaseModel):
    id: Id
    name: str
    id_number: str
    phone: str | None
    birth_date: IsoDate | None


class FindingStatus(StrEnum):
    pending = "pending"
    verified = "verified"
    rejected = "rejected"


class FindingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org_id: Id = Field(description="发现地：商圈党委、社区或企业党组织")
    name: PersonName = Field(min_length=1, max_length=50)
    id_number: IdNumber = Field(description="18 位居民身份证号（GB 11643 校验）")
    phone: Phone | None = None
    category_found: Category = Field(description="发现时的类别：mobile、pocket、hidden 或 regular")
    work_unit: str | None = Field(None, max_length=100, description="所在店铺或单位")
    badge_posted: bool = Field(False, description="是否已挂牌上岗")
    branch_id: Id | None = Field(None, description="自述组织关系所在的党支部（由其核实）")
    notes: str | None = Field(None, max_length=1000)

    @field_validator("notes", "work_unit")
    @classmethod
    def _free_text(cls, value: str | None) -> str | None:
        return _no_numbers(value)


class FindingVerify(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: Category | None = Field(None, description="核实后的类别；省略则沿用发现时的类别")
    status: MemberStatus | None = Field(None, description="新建党员时的正式/预备；省略为 full")
    org_id: Id | None = Field(None, description="组织关系落在哪个党组织；省略为 branch_id")


class FindingReject(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=2, max_length=500)

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        value = value.strip()
        if len(value) < 2:
            raise ValueError("请说明不予核实的原因")
        return value


class FindingRead(BaseModel):
    id: Id
    org_id: Id
    org_path: str
    street_id: Id | None
    community_id: Id | None
    name: str
    gender: str | None
    id_number: str
    phone: str | None
    category_found: Category
    category_label: str
    work_unit: str | None
    badge_posted: bool
    branch_id: Id | None
    notes: str | None
    status: FindingStatus
    reported_by: int | None
    decided_by: int | None
    decided_at: IsoDateTime | None
    reason: str | None
    member_id: Id | None
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime


class CampaignCounts(BaseModel):
    found: Int = 0
    verified: Int = 0
    rejected: Int = 0
    pending: Int = 0
    badges_posted: Int = Field(0, description="挂牌上岗（不含不予核实的）")
    by_category: dict[Category, int] = Field(
        default_factory=lambda: dict.fromkeys(Category, 0))


class CampaignArea(CampaignCounts):
    org_id: Id
    kind: str
    name: str


class CampaignSummary(BaseModel):
    org_id: Id | None
    total: CampaignCounts
    business_districts: list[CampaignArea]
    communities: list[CampaignArea] = Field(description="在社区（含社区内企业）发现的")


class GroupBuildingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    building_ids: list[Id] = Field(max_length=100, description="楼栋党小组联系的楼栋（整体替换）")


class BuildingBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: Id
    grid_id: Id
    name: str
    address: str | None


class GroupBuildingsRead(BaseModel):
    group_id: Id
    name: str
    buildings: list[BuildingBrief]


MIN_CARED, MAX_CARED = 1, 30  # 10–20 is the norm; outside 1–30 is a mistake


class MemberHouseholdIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    home_household_id: Id | None = Field(
        ge=1, description="中心户本户（须传；本户尚未登记时为 null）")
    household_ids: list[Id] = Field(min_length=MIN_CARED, max_length=MAX_CARED,
                                     description="联系服务的住户（一般 10–20 户，允许 1–30 户）")


class HouseholdBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: Id
    building_id: Id
    grid_id: Id
    unit_no: str | None
    room: str


class MemberHouseholdRead(BaseModel):
    node_id: Id
    name: str
    home: HouseholdBrief | None
    households: list[HouseholdBrief]
