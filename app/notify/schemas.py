from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.inputs import Id, Int, IsoDateTime


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: Id
    kind: str
    title: str
    body: str
    case_id: Id | None
    data: dict[str, Any]
    read_at: IsoDateTime | None
    created_at: IsoDateTime


class MarkRead(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[Id] = Field(default_factory=list, max_length=500)
    all: bool = False

    @model_validator(mode="after")
    def _one_of(self) -> MarkRead:
        if not self.ids and not self.all:
            raise ValueError("give ids or all=true")
        return self


class MarkReadResult(BaseModel):
    updated: Int
