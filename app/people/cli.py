"""`gridapi import residents FILE --grid ID`: the same import as `POST /residents/import`, run
by an operator on the server (a system actor: audit rows name "cli"), with progress on stderr.

Exit status: 0 imported (rows may have been rejected in valid_rows mode), 1 nothing imported
because all_or_nothing met a bad row, 2 bad usage (no such grid or file, unreadable file or
header)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from app.core.config import get_settings
from app.core.crypto import FieldCipher
from app.core.db import Database, make_engine
from app.core.errors import AppError
from app.core.i18n import set_language
from app.core.security import system_actor
from app.grids import service as grids
from app.people import importer, imports


class _Progress:
    def __init__(self, every: int) -> None:
        self.every = every
        self.next = every
        self.started = time.monotonic()

    def __call__(self, outcome: importer.Outcome) -> None:
        if outcome.total < self.next:
            return
        self.next = (outcome.total // self.every + 1) * self.every
        rate = outcome.total / max(time.monotonic() - self.started, 1e-6)
        print(f"rows {outcome.total}: {outcome.created} created, {outcome.rejected_rows} "
              f"rejected ({rate:,.0f} rows/s)", file=sys.stderr, flush=True)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = sub.add_parser("import", help="import data files")
    what = imp.add_subparsers(dest="what", required=True)
    r = what.add_parser("residents", help="import a resident spreadsheet (.xlsx/.csv) into a grid")
    r.add_argument("file", type=Path, help="the .xlsx or .csv file (template: "
                   "GET /api/v1/residents/import/template)")
    r.add_argument("--grid", type=int, required=True, help="grid id")
    r.add_argument("--mode", choices=["valid_rows", "all_or_nothing"], default="valid_rows",
                   help="valid_rows: import the good rows, report the others; all_or_nothing: "
                        "import nothing if a row is bad (default: %(default)s)")
    r.add_argument("--report", type=Path, default=None,
                   help="write the rejected rows and reasons to this .xlsx")
    r.add_argument("--progress-every", type=int, default=10_000, help="rows between lines")
    r.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of reasons")
    r.set_defaults(fn=cmd_import_residents)


def cmd_import_residents(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        print(f"no such file: {args.file}", file=sys.stderr)
        return 2
    set_language(args.lang)
    return asyncio.run(_import(args))


async def _import(args: argparse.Namespace) -> int:
    settings = get_settings()
    db = Database(make_engine(settings))
    try:
        async with db.writing() as session:
            grid = await grids.by_id(session, args.grid)
            if grid is None:
                print(f"no such grid: {args.grid}", file=sys.stderr)
                return 2
            with args.file.open("rb") as file:
                report = await importer.import_file(
                    session, system_actor("cli"),
                    FieldCipher.from_settings(settings), grid=grid, file=file,
                    filename=args.file.name, mode=args.mode,
                    progress=_Progress(max(args.progress_every, 1)))
    except AppError as exc:  # raised out of the block: nothing of the import is committed
        print(exc.en_detail if args.lang == "en" else exc.zh_detail,
              json.dumps(exc.errors or [], ensure_ascii=False), file=sys.stderr)
        return 2
    finally:
        await db.dispose()
    if args.report is not None:
        imports.rejected_xlsx(report, args.report, args.lang, FieldCipher.from_settings(settings))
    summary = imports.report_read(report).model_dump(mode="json", exclude={"rejected"})
    print(json.dumps(summary, ensure_ascii=False))
    return 1 if report.status == "rejected" else 0
