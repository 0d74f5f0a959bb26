from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.core.inputs import Id, IsoDateTime
from app.core.permissions import Role

PHONE_PATTERN = r"^1[3-9]\d{9}$"


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=128)
    display_name: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(None, pattern=PHONE_PATTERN, description="中国大陆手机号")
    org_id: Id | None = Field(None, description="所属组织；默认为创建者的管理范围")


class RoleAssign(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    org_id: Id


class RoleRead(BaseModel):
    id: Id
    role: Role
    org_id: Id
    org_path: str


class UserRead(BaseModel):
    id: Id
    username: str
    display_name: str
    phone: str | None = Field(None, description="脱敏手机号")
    org_id: Id | None = None
    is_active: bool = True
    roles: list[RoleRead] = []
    created_at: IsoDateTime | None = None


class Me(BaseModel):
    id: Id
    username: str
    display_name: str
    phone: str | None = None
    roles: list[RoleRead]
