"""Unit tests of the core helpers: pagination cursors and pages, scope paths, If-Match and lost
version races, crypto, i18n."""

from __future__ import annotations

import base64
import re

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy.orm.exc import StaleDataError

from app.core.concurrency import check_if_match, flush_versioned
from app.core.crypto import FieldCipher, mask_id_number, mask_name, mask_phone
from app.core.errors import Forbidden, NotFound, PreconditionFailed
from app.core.i18n import pick_language
from app.core.pagination import (
    ForeignCursor,
    InvalidCursor,
    PageParams,
    cursor_pattern,
    decode_cursor,
    encode_cursor,
    list_tag,
    page_of,
)
from app.core.permissions import Perm
from app.core.scope import authorize, minimal_paths, path_upper_bound, scope_paths
from app.core.security import Grant, Principal

KEY1 = base64.b64encode(b"1" * 32).decode()
KEY2 = base64.b64encode(b"2" * 32).decode()


class TestCursor:
    def test_round_trip(self):
        assert decode_cursor(encode_cursor([5]), 1) == [5]
        assert decode_cursor(encode_cursor([10**18 - 1]), 1) == [10**18 - 1]

    @pytest.mark.parametrize("bad", ["", "@@@", "bm90IGpzb24", list_tag("") + ".0",
                                     list_tag("") + ".-1", list_tag("") + ".01",
                                     list_tag("") + "." + "9" * 19, list_tag("") + ".1.2",
                                     list_tag("").upper() + ".1", list_tag("") + ".1\n",
                                     list_tag("") + ". 1", list_tag("") + ".1x"])
    def test_invalid(self, bad):
        with pytest.raises(InvalidCursor):
            decode_cursor(bad, 1)

    @pytest.mark.parametrize("path", ["", "/api/v1/orgs", "/api/v1/activities/{activity_id}/x"])
    def test_every_cursor_matches_the_published_pattern(self, path):
        assert re.fullmatch(cursor_pattern(path), encode_cursor([123], path))
        assert not re.fullmatch(cursor_pattern(path), encode_cursor([123], path + "x"))

    def test_a_cursor_of_another_list_is_refused(self):
        cursor = encode_cursor([5], "/api/v1/orgs")
        assert decode_cursor(cursor, 1, "/api/v1/orgs") == [5]
        with pytest.raises(ForeignCursor):
            decode_cursor(cursor, 1, "/api/v1/buildings")

    def test_an_untagged_cursor_is_refused(self):
        with pytest.raises(InvalidCursor):
            decode_cursor("5", 1)


class TestPageOf:
    def test_extra_row_trimmed_and_cursor_names_the_last_row(self):
        page = page_of([1, 2, 3], PageParams(limit=2, cursor=None), lambda n: [n], str)
        assert page.items == ["1", "2"] and decode_cursor(page.next_cursor or "", 1) == [2]

    def test_last_page_has_no_cursor(self):
        page = page_of([1, 2], PageParams(limit=2, cursor=None), lambda n: [n], str)
        assert page.items == ["1", "2"] and page.next_cursor is None


class TestScope:
    def test_upper_bound_excludes_siblings_with_longer_ids(self):
        hi = path_upper_bound("/1/4/")
        assert "/1/4/" <= "/1/4/77/" < hi
        assert not ("/1/4/" <= "/1/40/" < hi)

    def test_minimal_paths(self):
        assert minimal_paths(["/1/2/", "/1/2/3/", "/1/5/", "/1/5/"]) == ["/1/2/", "/1/5/"]

    def _p(self, *grants: tuple[str, frozenset[str]]) -> Principal:
        return Principal("user", 1, "u", tuple(Grant("r", 0, p, perms) for p, perms in grants))

    def test_authorize_outside_is_404(self):
        p = self._p(("/1/2/", frozenset({Perm.org_read})))
        with pytest.raises(NotFound):
            authorize(p, Perm.org_read, "/1/3/")

    def test_authorize_inside_without_permission_is_403(self):
        p = self._p(("/1/2/", frozenset({Perm.org_read})))
        with pytest.raises(Forbidden):
            authorize(p, Perm.org_write, "/1/2/9/")

    def test_scope_paths_by_permission(self):
        p = self._p(("/1/2/", frozenset({Perm.org_read})), ("/1/3/", frozenset({Perm.org_write})))
        assert scope_paths(p, Perm.org_write) == ["/1/3/"]


class TestIfMatch:
    def test_absent_or_star_passes(self):
        check_if_match(None, 3)
        check_if_match("*", 3)

    def test_quoted_and_weak_match(self):
        check_if_match('"3"', 3)
        check_if_match('W/"3"', 3)
        check_if_match('"2", "3"', 3)

    def test_stale_fails(self):
        with pytest.raises(PreconditionFailed):
            check_if_match('"2"', 3)


class TestFlushVersioned:
    async def test_lost_version_race_is_412(self):
        class LosingSession:
            async def flush(self) -> None:
                raise StaleDataError("UPDATE matched 0 rows")

        with pytest.raises(PreconditionFailed):
            await flush_versioned(LosingSession())  # type: ignore[arg-type]


class TestCrypto:
    def test_round_trip_and_context_binding(self):
        c = FieldCipher({"a": KEY1}, "a", "k" * 32)
        token = c.encrypt("410102199001011234", context="resident.id")
        assert "410102" not in token and token.startswith("a:")
        assert c.decrypt(token, context="resident.id") == "410102199001011234"
        with pytest.raises(InvalidTag):
            c.decrypt(token, context="user.phone")

    def test_rotation_keeps_old_ciphertext_readable(self):
        old = FieldCipher({"a": KEY1}, "a", "k" * 32).encrypt("x", context="c")
        rotated = FieldCipher({"a": KEY1, "b": KEY2}, "b", "k" * 32)
        assert rotated.decrypt(old, context="c") == "x"
        assert rotated.needs_rotation(old)
        assert rotated.encrypt("x", context="c").startswith("b:")

    def test_blind_index_is_deterministic_and_keyed(self):
        a = FieldCipher({"a": KEY1}, "a", "k" * 32)
        b = FieldCipher({"a": KEY1}, "a", "j" * 32)
        assert a.blind_index("x", context="c") == a.blind_index("x", context="c")
        assert a.blind_index("x", context="c") != b.blind_index("x", context="c")

    def test_masks(self):
        assert mask_phone("13812345678") == "138****5678"
        assert mask_id_number("410102199001011234") == "410***********1234"
        assert mask_name("张三") == "张*" and mask_name("欧阳娜娜") == "欧***"


class TestLanguage:
    @pytest.mark.parametrize(("header", "lang"), [
        (None, "zh"), ("en", "en"), ("en-US,en;q=0.9", "en"), ("zh-CN,en;q=0.8", "zh"),
        ("fr", "zh"), ("en;q=0.2,zh;q=0.9", "zh"),
    ])
    def test_pick(self, header, lang):
        assert pick_language(header) == lang
