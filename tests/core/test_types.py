"""UTCDateTime hands back aware UTC datetimes whatever the database returns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from app.core.types import UTCDateTime

SQLITE = UTCDateTime().result_processor(sqlite.dialect(), None)


@pytest.mark.parametrize(("stored", "expected"), [
    ("2026-11-28 00:42:51.827898", datetime(2026, 11, 28, 0, 42, 51, 827898, UTC)),
    ("2026-11-28 00:42:51", datetime(2026, 11, 28, 0, 42, 51, tzinfo=UTC)),
    ("2026-11-28", datetime(2026, 11, 28, tzinfo=UTC)),
    ("2026-11-28T08:00:00+08:00", datetime(2026, 11, 28, tzinfo=UTC)),
    ("2026-11-28 00:42:51Z", datetime(2026, 11, 28, 0, 42, 51, tzinfo=UTC)),
    (datetime(2026, 1, 1), datetime(2026, 1, 1, tzinfo=UTC)),
    (datetime(2026, 1, 1, 8, tzinfo=timezone(timedelta(hours=8))), datetime(2026, 1, 1,
                                                                          tzinfo=UTC)),
    (None, None),
])
def test_sqlite_values_come_back_aware_utc(stored, expected):
    got = SQLITE(stored)
    assert got == expected
    if got is not None:
        assert got.utcoffset() == timedelta(0)


def test_asyncpg_values_pass_untouched():
    # asyncpg decodes timestamptz as aware UTC already: no per-value work.
    assert UTCDateTime().result_processor(postgresql.asyncpg.dialect(), None) is None


def test_other_postgresql_drivers_are_converted():
    process = UTCDateTime().result_processor(postgresql.psycopg.dialect(), None)
    local = datetime(2026, 1, 1, 8, tzinfo=timezone(timedelta(hours=8)))
    assert process(local) == local and process(local).tzinfo is UTC
