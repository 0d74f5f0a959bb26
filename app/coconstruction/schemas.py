"""Request and response shapes for units, their registrations, agreements and seconded cadres.

Names of people (a unit's contact, a project's owner, a cadre) and phone numbers are masked in
every response; inputs are validated field by field, anything needing the database is checked by
the services."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.people.fields import Phone

AgreementStatus = Literal["active", "completed", "ended"]
ProjectStatus = Literal["planned", "in_progress", "done"]
Rank = Literal["section", "general"]
Side = Literal["unit", "community"]


def _strip(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("不能为空")
    return value


def _items(value: list[str]) -> list[str]:
    items = [v.strip() for v in value]
    if any(not v or len(v) > 200 for v in items):
        raise ValueError("每项须为 1–200 个字符")
    return items


Text = Annotated[str, AfterValidator(_strip)]
Items = Annotated[list[str], AfterValidator(_items)]


# --- units ----------------------------------------------------------------------------------

class UnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org_id: int = Field(ge=1, description="所在组织节点：区（district）或机关党组织（agency）")
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
    id: int
    org_id: int
    org_path: str
    street_id: int | None
    name: str
    code: str | None
    contact_name: str | None = Field(description="脱敏，如“张*”")
    contact_phone: str | None = Field(description="脱敏，如“138****5678”")
    version: int
    created_at: datetime
    updated_at: datetime


class RegisteredUnitRead(UnitRead):
    """A unit as a community sees it: with its registration there."""

    registration_id: int
    registered_at: datetime


class RegistrationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    community_id: int = Field(ge=1)


class RegistrationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    unit_id: int
    community_id: int | None
    street_id: int | None
    org_path: str
    status: Literal["active", "ended"]
    registered_at: datetime
    ended_at: datetime | None
    version: int


# --- agreements -----------------------------------------------------------------------------

class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text = Field(min_length=1, max_length=200)
    owner: Text = Field(min_length=1, max_length=100, description="负责人或负责团队")
    starts_on: date | None = None
    ends_on: date | None = None



class ProjectUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text | None = Field(None, min_length=1, max_length=200)
    owner: Text | None = Field(None, min_length=1, max_length=100)
    starts_on: date | None = None
    ends_on: date | None = None
    status: ProjectStatus | None = Field(None, description="planned → in_progress → done")



class ProjectRead(BaseModel):
    id: int
    agreement_id: int
    name: str
    owner: str = Field(description="脱敏")
    starts_on: date | None
    ends_on: date | None
    status: ProjectStatus
    version: int
    created_at: datetime
    updated_at: datetime


class AgreementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit_id: int = Field(ge=1)
    community_id: int = Field(ge=1)
    title: Text = Field(min_length=1, max_length=200)
    resources: Items = Field(default_factory=list, max_length=50,
                                 description="单位提供的资源")
    needs: Items = Field(default_factory=list, max_length=50, description="社区的需求")
    starts_on: date
    ends_on: date | None = None
    projects: list[ProjectCreate] = Field(default_factory=list, max_length=50)



class AgreementUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Text | None = Field(None, min_length=1, max_length=200)
    resources: Items | None = Field(None, max_length=50)
    needs: Items | None = Field(None, max_length=50)
    ends_on: date | None = None
    status: AgreementStatus | None = Field(None, description="active → completed | ended")



class AgreementRead(BaseModel):
    id: int
    unit_id: int
    community_id: int | None
    street_id: int | None
    org_path: str
    title: str
    resources: list[str]
    needs: list[str]
    starts_on: date
    ends_on: date | None
    status: AgreementStatus
    signed_by: int | None
    projects: list[ProjectRead]
    version: int
    created_at: datetime
    updated_at: datetime


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    side: Side = Field(description="unit：单位向社区报告；community：社区向单位报告")
    period: str = Field(pattern=r"^\d{4}(-(Q[1-4]|H[12]|(0[1-9]|1[0-2])))?$",
                        description="报告期：2026、2026-H1、2026-Q3 或 2026-09")
    summary: Text = Field(min_length=1, max_length=5000)



class ReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    agreement_id: int
    side: Side
    period: str
    summary: str
    author_id: int | None
    created_at: datetime


# --- cadres ---------------------------------------------------------------------------------

class CadreCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit_id: int = Field(ge=1, description="派出单位")
    org_id: int = Field(ge=1, description="下沉到的街道（乡镇）或社区")
    name: Text = Field(min_length=1, max_length=50)
    rank: Rank = Field(description="section：科级干部；general：一般干部")
    position: Text | None = Field(None, min_length=1, max_length=100)
    phone: Phone | None = None
    user_id: int | None = Field(None, ge=1, description="干部本人的系统账号")
    starts_on: date
    ends_on: date | None = None



class CadreUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text | None = Field(None, min_length=1, max_length=50)
    rank: Rank | None = None
    position: Text | None = Field(None, min_length=1, max_length=100)
    phone: Phone | None = None
    starts_on: date | None = None
    ends_on: date | None = None



class CadreRead(BaseModel):
    id: int
    unit_id: int
    org_id: int
    org_path: str
    street_id: int | None
    community_id: int | None
    name: str = Field(description="脱敏")
    rank: Rank
    position: str | None
    phone: str | None = Field(description="脱敏")
    user_id: int | None
    starts_on: date
    ends_on: date | None
    version: int
    created_at: datetime
    updated_at: datetime


class RankCounts(BaseModel):
    section: int = 0
    general: int = 0
    total: int = 0


class SummaryRow(RankCounts):
    org_id: int
    name: str
    level: Literal["street", "community"] = Field(
        description="community：下沉到该社区的干部；street：下沉到街道本级的干部")


class CadreSummary(BaseModel):
    active_on: date
    rows: list[SummaryRow]
    totals: RankCounts
