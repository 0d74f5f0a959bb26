"""Checks for resident identifiers: the 18-character resident ID (GB 11643-1999) and mobile
numbers. Messages never repeat the value: they end up in responses and logs."""

from __future__ import annotations

import re
from datetime import date

from app.people.errors import IdentifierError

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# Province-level codes (GB/T 2260): 11–15 north, 21–23 north-east, 31–37 east, 41–46 south
# central, 50–54 south-west, 61–65 north-west, 71 Taiwan, 81–82 Hong Kong and Macao.
PROVINCES = frozenset({
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
    50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
})
OLDEST = date(1900, 1, 1)
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
PHONE = re.compile(r"^1[3-9]\d{9}$")


def check_digit(first17: str) -> str:
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def _birth_date_error() -> IdentifierError:
    return IdentifierError("id_birth_date", "身份证号中的出生日期无效",
                           "The ID number has an invalid birth date")


def normalize_id_number(value: str) -> str:
    return value.strip().upper()


def birth_date_of(value: str, today: date | None = None) -> date:
    """The birth date of a valid ID number; ValueError (with a message fit for the caller) when
    the number is not a valid one."""
    if not _ID_SHAPE.match(value):
        raise IdentifierError("id_format", "身份证号应为 18 位（末位可为 X）",
                              "The ID number must have 18 characters (the last may be X)")
    if int(value[:2]) not in PROVINCES:
        raise IdentifierError("id_region", "身份证号的地区码无效",
                              "The ID number has an invalid region code")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise _birth_date_error() from None
    if not OLDEST <= born <= (today or date.today()):
        raise _birth_date_error()
    if check_digit(value[:17]) != value[17]:
        raise IdentifierError("id_checksum", "身份证号校验位错误",
                              "The ID number's check digit is wrong")
    return born


def gender_of(value: str) -> str:
    """"male" or "female" from a valid ID number's 17th digit (odd: male)."""
    return "male" if int(value[16]) % 2 else "female"


def check_phone(value: str) -> str:
    value = value.strip()
    if not PHONE.match(value):
        raise IdentifierError("phone_invalid", "手机号格式不正确",
                              "Not a valid mobile number")
    return value
