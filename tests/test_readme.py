"""The README promises two commands and lists the demo logins the seed creates."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from app.cli import build_parser
from app.seed.demo import DEMO_LOGINS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_two_commands():
    assert "make run" in README and "make test" in README


def test_demo_login_table_matches_the_seed():
    rows = set(re.findall(r"^\| `(demo_\w+)` \| (\w+) \| ([^|]+?) \|$", README, re.M))
    assert rows == {(u, r, w) for u, r, w in DEMO_LOGINS}


def test_every_command_is_in_the_command_table():
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    missing = [name for name in sub.choices if f"| `gridapi {name}" not in README]
    assert missing == []
    assert "| `gridapi-healthcheck" in README


def test_make_run_address_and_running_part_of_the_suite():
    assert "make run HOST=" in README and "PORT=" in README
    assert ".venv/bin/pytest tests/cases/test_attachments.py" in README  # one file
    assert re.search(r"^\.venv/bin/pytest tests/cases +#", README, re.M)  # one domain
    assert (ROOT / "tests/cases/test_attachments.py").is_file()


def test_the_design_documents_live_in_the_repository():
    for name in ("API.md", "OPEN311.md", "README.md"):
        assert (ROOT / "docs" / name).is_file(), name
    for doc in (ROOT / "README.md", ROOT / "docs/README.md"):
        text = doc.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#:]+)\)", text):  # relative links only
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"
    assert "../shared/design" not in README
