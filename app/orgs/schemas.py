from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from app.core.inputs import Id, IsoDateTime


class OrgKind(StrEnum):
    district = "district"
    street = "street"
    town = "town"
    community = "community"
    grid_branch = "grid_branch"
    building_group = "building_group"
    member_household = "member_household"
    agency = "agency"
    business_district = "business_district"
    enterprise = "enterprise"
    social_org_branch = "social_org_branch"


class OrgCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    parent_id: Id
    kind: OrgKind
    name: str = Field(min_length=1, max_length=100)
    code: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")


class OrgUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=100)
    code: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")


class OrgMove(BaseModel):
    model_config = ConfigDict(extra="forbid")
    new_parent_id: Id


class OrgRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: Id
    parent_id: Id | None
    kind: OrgKind
    name: str
    code: str | None
    path: str
    depth: int
    street_id: Id | None
    community_id: Id | None
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime


class OrgTreeNode(BaseModel):
    id: Id
    kind: OrgKind
    name: str
    code: str | None = None
    children: list[OrgTreeNode] = []
