"""Shapes shared by units, agreements and cadres (trimmed text fields), and a unit's
registration with a community.

Names of people (a unit's contact, a project's owner, a cadre) and phone numbers are masked in
every response; inputs are validated field by field, anything needing the database is checked by
the services."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.core.inputs import TEXT_PATTERN, Id, IsoDateTime, Text

__all__ = ["Items", "Text"]


def _items(value: list[str]) -> list[str]:
    items = [v.strip() for v in value]
    if any(not v or len(v) > 200 for v in items):
        raise ValueError("每项须为 1–200 个字符")
    return items


Items = Annotated[list[Annotated[str, Field(max_length=200, pattern=TEXT_PATTERN)]],
                  AfterValidator(_items)]


# A unit's registration (单位报到), named apart from the members' registrations (双报到): two
# classes of one name would be published under module paths (`app__coconstruction__...`).

class UnitRegistrationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    community_id: Id


class UnitRegistrationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: Id
    unit_id: Id
    community_id: Id | None
    street_id: Id | None
    org_path: str
    status: Literal["active", "ended"]
    registered_at: IsoDateTime
    ended_at: IsoDateTime | None
    version: int
