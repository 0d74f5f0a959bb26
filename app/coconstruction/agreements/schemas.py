"""Request and response shapes for agreements, their projects and reports; a project's owner
is masked in responses."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.coconstruction.schemas import Items, Text
from app.core.inputs import Id, IsoDate, IsoDateTime

AgreementStatus = Literal["active", "completed", "ended"]
ProjectStatus = Literal["planned", "in_progress", "done"]
Side = Literal["unit", "community"]


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text = Field(min_length=1, max_length=200)
    owner: Text = Field(min_length=1, max_length=100, description="负责人或负责团队")
    starts_on: IsoDate | None = None
    ends_on: IsoDate | None = None


class ProjectUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text | None = Field(None, min_length=1, max_length=200)
    owner: Text | None = Field(None, min_length=1, max_length=100)
    starts_on: IsoDate | None = None
    ends_on: IsoDate | None = None
    status: ProjectStatus | None = Field(None, description="planned → in_progress → done")


class ProjectRead(BaseModel):
    id: Id
    agreement_id: Id
    name: str
    owner: str = Field(description="脱敏")
    starts_on: IsoDate | None
    ends_on: IsoDate | None
    status: ProjectStatus
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime


class AgreementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit_id: Id
    community_id: Id
    title: Text = Field(min_length=1, max_length=200)
    resources: Items = Field(default_factory=list, max_length=50,
                                 description="单位提供的资源")
    needs: Items = Field(default_factory=list, max_length=50, description="社区的需求")
    starts_on: IsoDate
    ends_on: IsoDate | None = None
    projects: list[ProjectCreate] = Field(default_factory=list, max_length=50)


class AgreementUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Text | None = Field(None, min_length=1, max_length=200)
    resources: Items | None = Field(None, max_length=50)
    needs: Items | None = Field(None, max_length=50)
    ends_on: IsoDate | None = None
    status: AgreementStatus | None = Field(None, description="active → completed | ended")


class AgreementRead(BaseModel):
    id: Id
    unit_id: Id
    community_id: Id | None
    street_id: Id | None
    org_path: str
    title: str
    resources: list[str]
    needs: list[str]
    starts_on: IsoDate
    ends_on: IsoDate | None
    status: AgreementStatus
    signed_by: int | None
    projects: list[ProjectRead]
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    side: Side = Field(description="unit：单位向社区报告；community：社区向单位报告")
    period: str = Field(pattern=r"^\d{4}(-(Q[1-4]|H[12]|(0[1-9]|1[0-2])))?$",
                        description="报告期：2026、2026-H1、2026-Q3 或 2026-09")
    summary: Text = Field(min_length=1, max_length=5000)


class ReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: Id
    agreement_id: Id
    side: Side
    period: str
    summary: str
    author_id: Id | None
    created_at: IsoDateTime
