from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.core.inputs import Id, Int


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: str = Field(min_length=1, max_length=256)


class WechatCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=128, description="wx.login / getPhoneNumber 的 code")


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: Int


class UserBrief(BaseModel):
    id: Id
    username: str
    display_name: str
    phone: str | None = Field(None, description="脱敏手机号")


class WechatLoginOut(TokenPair):
    user: UserBrief
    is_new: bool


class ClientToken(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: Int
    scope: str
