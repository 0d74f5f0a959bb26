from __future__ import annotations

from enum import StrEnum

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from app.core.inputs import Id, IsoDateTime


class EventType(StrEnum):
    case_created = "case.created"
    case_status_changed = "case.status_changed"
    case_overdue = "case.overdue"


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: AnyHttpUrl = Field(description="接收地址；生产环境须为 https")
    events: list[EventType] = Field(min_length=1, max_length=10)
    client_id: str | None = Field(
        None, max_length=64, description="管理员为某个第三方客户端订阅时填写；客户端自己订阅时省略"
    )


class WebhookRead(BaseModel):
    id: Id
    client_id: str
    org_path: str
    url: str
    events: list[EventType]
    is_active: bool
    created_at: IsoDateTime
    secret: str | None = Field(None, description="签名密钥，仅在创建时返回一次")


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: Id
    event_id: str
    event_type: str
    status: str
    attempts: int
    response_status: int | None
    last_error: str | None
    created_at: IsoDateTime
    delivered_at: IsoDateTime | None
