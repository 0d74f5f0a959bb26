"""The GB 11643 ID-number and mobile-number checks."""

from __future__ import annotations

from datetime import date

import pytest

from app.people.idcard import birth_date_of, check_digit, check_phone


class TestCheckDigit:
    def test_published_example(self):
        assert check_digit("11010519491231002") == "X"

    def test_digit_check_character(self):
        assert check_digit("44052418800101001") == "4"


class TestBirthDate:
    def test_valid_number_gives_its_birth_date(self):
        assert birth_date_of("11010519491231002X") == date(1949, 12, 31)

    def test_wrong_check_character_is_rejected(self):
        with pytest.raises(ValueError, match="校验位"):
            birth_date_of("110105194912310021")

    def test_unknown_province_is_rejected(self):
        first17 = "99010519491231002"
        with pytest.raises(ValueError, match="地区码"):
            birth_date_of(first17 + check_digit(first17))

    def test_impossible_date_is_rejected(self):
        first17 = "41102319500231001"  # 31 February
        with pytest.raises(ValueError, match="出生日期"):
            birth_date_of(first17 + check_digit(first17))

    def test_future_date_is_rejected(self):
        first17 = "41102320990101001"
        with pytest.raises(ValueError, match="出生日期"):
            birth_date_of(first17 + check_digit(first17), today=date(2026, 1, 1))

    def test_short_number_is_rejected(self):
        with pytest.raises(ValueError, match="18 位"):
            birth_date_of("41102319500101")


class TestPhone:
    def test_mobile_number_passes(self):
        assert check_phone(" 13812345678 ") == "13812345678"

    @pytest.mark.parametrize("value", ["12812345678", "1381234567", "138123456789", "0371-1234567"])
    def test_other_shapes_are_rejected(self, value):
        with pytest.raises(ValueError):
            check_phone(value)
