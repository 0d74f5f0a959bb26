"""The audit log as auditors read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.inputs import Id, IsoDateTime


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: Id
    at: IsoDateTime
    actor: str = Field(description="`user:<id>`、`client:<id>`、`anonymous`（登录失败）或 `system`")
    action: str = Field(description="如 `resident.reveal`、`resident.export`、`role.grant`、"
                                    "`auth.login`、`auth.login_failed`、`case.dispatch`")
    object_type: str
    object_id: str
    org_path: str | None = Field(
        description="所涉组织节点的路径；空为全区级（如未知用户名的登录失败）")
    detail: dict[str, Any] = Field(description="事由、筛选条件、状态变化等；从不含查看到的个人信息")
    ip: str | None
    request_id: str | None


@dataclass(frozen=True)
class AuditQuery:
    action: str | None = None
    actor: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    start: IsoDateTime | None = None
    end: IsoDateTime | None = None
