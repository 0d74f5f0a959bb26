"""The README promises two commands and lists the demo logins the seed creates."""

from __future__ import annotations

import re
from pathlib import Path

from app.seed.demo import DEMO_LOGINS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_two_commands():
    assert "make run" in README and "make test" in README


def test_demo_login_table_matches_the_seed():
    rows = set(re.findall(r"^\| `(demo_\w+)` \| (\w+) \| ([^|]+?) \|$", README, re.M))
    assert rows == {(u, r, w) for u, r, w in DEMO_LOGINS}
