"""Retiring a data key: `gridapi reencrypt` moves every encrypted value to the current key, under
the context its column declares, so the old key can then be removed."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import select

from app.core.config import DEV_DATA_KEY
from app.core.crypto import CONTEXT_INFO, FieldCipher
from app.core.db import Database
from app.core.reencrypt import UnknownKey, encrypted_columns, reencrypt
from app.models.base import Base
from tests.factories import World

NEW_KEY = base64.b64encode(b"n" * 32).decode()
INDEX = "i" * 40


async def _values(db: Database) -> dict[str, list[tuple[str, str]]]:
    """Every non-null ciphertext, with its column's context, per table."""
    found: dict[str, list[tuple[str, str]]] = {}
    async with db.reading() as s:
        for table, columns in encrypted_columns():
            for row in await s.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        found.setdefault(table.name, []).append(
                            (value, column.info[CONTEXT_INFO]))
    return found


def test_every_encrypted_column_declares_its_context():
    """A `*_cipher` column without `info=encrypted(...)` would be skipped by reencrypt and keep
    its old key forever."""
    undeclared = [f"{t.name}.{c.name}" for t in Base.metadata.sorted_tables for c in t.c
                  if c.name.endswith("_cipher") and CONTEXT_INFO not in c.info]
    assert undeclared == []


async def test_values_move_to_the_current_key_and_open_without_the_old_one(db: Database,
                                                                            world: World):
    before = await _values(db)
    # The world holds residents, members, findings, units, cadres, users' phones, webhook
    # secrets and import reports, all under the test key "d1".
    assert {"residents", "party_members", "units", "webhook_subscriptions"} <= set(before)
    both = FieldCipher({"d1": DEV_DATA_KEY, "d2": NEW_KEY}, "d2", INDEX)

    dry = await reencrypt(db, both, dry_run=True, batch=7)
    assert sum(t.values for t in dry) == sum(len(v) for v in before.values())
    assert await _values(db) == before  # a dry run changes nothing

    done = await reencrypt(db, both, batch=7)  # several batches per table
    assert [t.values for t in done] == [t.values for t in dry]
    only_new = FieldCipher({"d2": NEW_KEY}, "d2", INDEX)
    after = await _values(db)
    assert {t: len(v) for t, v in after.items()} == {t: len(v) for t, v in before.items()}
    for table, values in after.items():
        for (value, context), (old, _) in zip(values, before[table], strict=True):
            assert value.startswith("d2:")
            assert only_new.decrypt(value, context=context) == both.decrypt(old, context=context)

    again = await reencrypt(db, both)
    assert sum(t.values for t in again) == 0  # nothing left under d1: it can be removed


async def test_a_value_under_a_key_no_longer_configured_stops_the_run(db: Database, world: World):
    before = await _values(db)
    without_old = FieldCipher({"d2": NEW_KEY}, "d2", INDEX)
    with pytest.raises(UnknownKey, match="'d1'"):
        await reencrypt(db, without_old)
    assert await _values(db) == before


@pytest.mark.real_commits
def test_the_command_counts_then_rewrites(tmp_path):
    from tests.test_cli import gridapi

    url = f"sqlite+aiosqlite:///{tmp_path}/keys.db"
    assert gridapi(url, "migrate").returncode == 0
    assert gridapi(url, "seed-demo").returncode == 0
    keys = json.dumps({"d1": DEV_DATA_KEY, "d2": NEW_KEY})
    dry = gridapi(url, "reencrypt", "--dry-run", GRID_DATA_KEYS=keys, GRID_DATA_KID="d2")
    assert dry.returncode == 0, dry.stderr
    counted = {json.loads(line)["table"]: json.loads(line)["old_key_values"]
               for line in dry.stdout.splitlines()}
    assert counted["residents"] > 0
    run = gridapi(url, "reencrypt", GRID_DATA_KEYS=keys, GRID_DATA_KID="d2")
    assert run.returncode == 0, run.stderr
    check = gridapi(url, "reencrypt", "--dry-run", GRID_DATA_KEYS=json.dumps({"d2": NEW_KEY}),
                    GRID_DATA_KID="d2")
    assert check.returncode == 0, check.stderr
    assert all(json.loads(line)["old_key_values"] == 0 for line in check.stdout.splitlines())
