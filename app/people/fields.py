"""Field types for people's identifiers, shared by every request schema that takes them
(residents, members, findings, unit contacts, cadres): one rule, one place."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from app.core.inputs import TEXT_PATTERN
from app.people.idcard import birth_date_of, check_phone, normalize_id_number

Gender = Literal["male", "female"]


def valid_id_number(value: str) -> str:
    """Normalised (trimmed, upper-case X) and valid by GB 11643: checksum, region, birth date."""
    value = normalize_id_number(value)
    birth_date_of(value)
    return value


def clean_name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("姓名不能为空")
    return value


# The shapes as patterns, so the schema says them (surrounding spaces are trimmed). The ID
# number's checksum, region and birth date are checked after (GB 11643), as its description says.
IdNumber = Annotated[str, Field(pattern=r"^\s*[0-9]{17}[0-9Xx]\s*$"),
                     AfterValidator(valid_id_number)]
Phone = Annotated[str, Field(pattern=r"^\s*1[3-9][0-9]{9}\s*$"), AfterValidator(check_phone)]
PersonName = Annotated[str, Field(pattern=TEXT_PATTERN), AfterValidator(clean_name)]
