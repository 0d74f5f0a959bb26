"""Checks for resident identifiers: the 18-character resident ID (GB 11643-1999) and mobile
numbers. Messages never repeat the value: they end up in responses and logs."""

from __future__ import annotations

import re
from datetime import date

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


def normalize_id_number(value: str) -> str:
    return value.strip().upper()


def birth_date_of(value: str, today: date | None = None) -> date:
    """The birth date of a valid ID number; ValueError (with a message fit for the caller) when
    the number is not a valid one."""
    if not _ID_SHAPE.match(value):
        raise ValueError("身份证号应为 18 位（末位可为 X）")
    if int(value[:2]) not in PROVINCES:
        raise ValueError("身份证号的地区码无效")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValueError("身份证号中的出生日期无效") from None
    if not OLDEST <= born <= (today or date.today()):
        raise ValueError("身份证号中的出生日期无效")
    if check_digit(value[:17]) != value[17]:
        raise ValueError("身份证号校验位错误")
    return born


def check_phone(value: str) -> str:
    value = value.strip()
    if not PHONE.match(value):
        raise ValueError("手机号格式不正确")
    return value
