"""`gridapi`: serve, migrate, create-admin, create-client, seed-demo, export-openapi, worker,
reencrypt, import."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import uvicorn
from alembic import command
from alembic.config import Config

from app import jobs, serving
from app.cases import categories
from app.core import maintenance, outbox, reencrypt
from app.core.config import SchemaSettings, Settings, get_settings
from app.core.crypto import FieldCipher
from app.core.db import Database, make_engine
from app.core.observability import configure_logging
from app.core.permissions import CLIENT_SCOPES
from app.main import create_app
from app.people import cli as people_cli
from app.seed import accounts, demo

ROOT = Path(__file__).resolve().parent.parent


def _project_dir() -> Path:
    """Where `migrations/` lives: next to the package in a checkout, else the working dir
    (an installed package, e.g. in the container image)."""
    return ROOT if (ROOT / "migrations").is_dir() else Path.cwd()


def alembic_config(settings: Settings) -> Config:
    base = _project_dir()
    cfg = Config(str(base / "alembic.ini")) if (base / "alembic.ini").exists() else Config()
    cfg.set_main_option("script_location", str(base / "migrations"))
    cfg.attributes["configure_logger"] = False
    cfg.attributes["settings"] = settings  # migrations/env.py builds its engine from these
    return cfg


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = SchemaSettings()  # production mode without the keys: see SchemaSettings
    command.upgrade(alembic_config(settings), "head")
    print("migrated to head", file=sys.stderr)

    async def reference_data(db: Database, _settings: Settings) -> int:
        async with db.writing() as session:
            changed = await categories.sync(session)
        print(f"case categories: {changed} rows written", file=sys.stderr)
        await maintenance.analyze(db, full=True)  # fresh planner statistics on SQLite
        return 0

    return _run(reference_data, settings)


def cmd_serve(args: argparse.Namespace) -> int:
    trusted = get_settings().forwarded_allow_ips.strip()
    # Forwarded headers only from GRID_FORWARDED_ALLOW_IPS (uvicorn would otherwise believe
    # 127.0.0.1, so anything reaching the app through a local hop could pick its address).
    with serving.worker_environment(args.workers):
        uvicorn.run(serving.APP_FACTORY, factory=True, host=args.host, port=args.port,
                    workers=args.workers, proxy_headers=bool(trusted),
                    forwarded_allow_ips=trusted, access_log=False,
                    timeout_worker_healthcheck=serving.WORKER_HEALTHCHECK_SECONDS)
    return 0


def _run(fn: Callable[[Database, Settings], Awaitable[int]],
         settings: Settings | None = None) -> int:
    async def main() -> int:
        chosen = settings or get_settings()
        db = Database(make_engine(chosen))
        try:
            return await fn(db, chosen)
        finally:
            await db.dispose()

    return asyncio.run(main())


ADMIN_PASSWORD_ENV = "GRID_ADMIN_PASSWORD"


def _admin_password(args: argparse.Namespace) -> str | None:
    """The new admin's password: stdin, the option, the environment, or a prompt on a
    terminal, in that order (an option is visible to every user of the machine in `ps`)."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n") or None
    if args.password:
        return str(args.password)
    if os.environ.get(ADMIN_PASSWORD_ENV):
        return os.environ[ADMIN_PASSWORD_ENV]
    if sys.stdin.isatty():
        return getpass.getpass("password: ") or None
    return None


def cmd_create_admin(args: argparse.Namespace) -> int:
    password = _admin_password(args)
    if password is None:
        print(f"no password: pass --password-stdin, set {ADMIN_PASSWORD_ENV} or run it on a "
              "terminal to be asked", file=sys.stderr)
        return 2

    async def go(db: Database, settings: Settings) -> int:
        async with db.writing() as session:
            user_id = await accounts.create_admin(
                session, username=args.username, password=password,
                district=args.district or settings.default_district_name,
            )
        print(json.dumps({"user_id": user_id, "username": args.username}))
        return 0

    return _run(go)


def cmd_create_client(args: argparse.Namespace) -> int:
    async def go(db: Database, settings: Settings) -> int:
        async with db.writing() as session:
            out = await accounts.create_client(session, name=args.name, org_id=args.org,
                                               scopes=args.scopes)
        print(json.dumps(out))
        return 0

    return _run(go)


def cmd_seed_demo(args: argparse.Namespace) -> int:
    async def go(db: Database, settings: Settings) -> int:
        if settings.env == "production":
            print("seed-demo is refused in production mode", file=sys.stderr)
            return 2
        await demo.seed(db, settings, progress=lambda msg: print(msg, file=sys.stderr))
        return 0

    return _run(go)


def cmd_reencrypt(args: argparse.Namespace) -> int:
    """Every encrypted value under GRID_DATA_KID; prints one JSON line per table. Exit 0 when
    done, 2 when a value is under a key missing from GRID_DATA_KEYS."""

    async def go(db: Database, settings: Settings) -> int:
        cipher = FieldCipher.from_settings(settings)
        try:
            tallies = await reencrypt.reencrypt(db, cipher, batch=args.batch,
                                                dry_run=args.dry_run)
        except reencrypt.UnknownKey as exc:
            print(str(exc), file=sys.stderr)
            return 2
        for t in tallies:
            print(json.dumps({"table": t.table, "rows": t.rows,
                              "old_key_values": t.values, "rewritten": not args.dry_run}))
        return 0

    return _run(go)


def cmd_export_openapi(args: argparse.Namespace) -> int:
    spec = create_app().openapi()
    text = json.dumps(spec, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    async def go(db: Database, settings: Settings) -> int:
        configure_logging(settings.log_json)
        async with jobs.context(db, settings) as ctx:
            if args.once:
                # Every sweep once (escalation may enqueue events), then one delivery batch:
                # what a cron line needs instead of a long-running worker.
                sweeps, failed = await outbox.sweep_once(ctx)
                done = await outbox.run_once(ctx)
                print(json.dumps({"sweeps": sweeps, "failed": failed, "delivered": done},
                                 default=str))
                return 1 if failed else 0
            await outbox.run_forever(ctx, idle_seconds=args.idle)
        return 0

    return _run(go)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gridapi", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    s = sub.add_parser("serve", help="serve the API with uvicorn")
    # String defaults go through `type` when the option is absent: a bad $GRID_PORT is then
    # a usage error of `serve` alone.
    s.add_argument("--host", default=os.environ.get("GRID_HOST", "127.0.0.1"),
                   help="address to listen on (default: $GRID_HOST or 127.0.0.1)")
    s.add_argument("--port", type=int, default=os.environ.get("GRID_PORT", "8000"),
                   help="port to listen on (default: $GRID_PORT or 8000)")
    s.add_argument("--workers", type=int, default=os.environ.get("GRID_WORKERS", "1"),
                   help="API processes (default: $GRID_WORKERS or 1); /metrics adds them up")
    s.set_defaults(fn=cmd_serve)
    sub.add_parser("migrate", help="alembic upgrade head, then the reference data "
                   "(needs only DATABASE_URL, also in production)").set_defaults(fn=cmd_migrate)
    a = sub.add_parser("create-admin", help="create a district_admin on the root district")
    a.add_argument("--username", required=True, help="login name of the new admin")
    given = a.add_mutually_exclusive_group()
    given.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of standard input")
    given.add_argument("--password", default=None,
                       help=f"the password (visible in `ps`: prefer --password-stdin or "
                            f"${ADMIN_PASSWORD_ENV}; with none of the three, it is asked for "
                            "on a terminal)")
    a.add_argument("--district", default=None,
                   help="name of the root district created when there is none "
                        "(default: $GRID_DEFAULT_DISTRICT_NAME or 建安区)")
    a.set_defaults(fn=cmd_create_admin)
    c = sub.add_parser("create-client", help="create a third-party API client")
    c.add_argument("--name", required=True, help="the client's display name")
    c.add_argument("--org", type=int, default=None,
                   help="org id the client is scoped to (default: the root district)")
    c.add_argument("--scopes", nargs="*", default=None, metavar="SCOPE",
                   help="scopes to grant (default: all): " + ", ".join(sorted(CLIENT_SCOPES)))
    c.set_defaults(fn=cmd_create_client)
    sub.add_parser("seed-demo", help="load the demo district (refused in production)"
                   ).set_defaults(fn=cmd_seed_demo)
    e = sub.add_parser("export-openapi", help="write the OpenAPI document")
    e.add_argument("--output", default="openapi/openapi.json",
                   help="file to write, '-' for standard output (default: %(default)s)")
    e.set_defaults(fn=cmd_export_openapi)
    w = sub.add_parser("worker", help="deliver outbox events and run the periodic sweeps")
    w.add_argument("--once", action="store_true",
                   help="run every sweep once and deliver one batch of events, then exit "
                        "(for cron); prints a JSON line")
    w.add_argument("--idle", type=float, default=1.0,
                   help="seconds to sleep when there is nothing to deliver (default: %(default)s)")
    w.set_defaults(fn=cmd_worker)
    r = sub.add_parser("reencrypt", help="re-encrypt personal data under GRID_DATA_KID, so "
                       "the other data keys can be retired")
    r.add_argument("--batch", type=int, default=500, help="rows per transaction")
    r.add_argument("--dry-run", action="store_true",
                   help="count the values under other keys; change nothing")
    r.set_defaults(fn=cmd_reencrypt)
    people_cli.add_parser(sub)  # gridapi import residents FILE --grid ID
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    fn: Callable[[argparse.Namespace], int] = args.fn
    return fn(args)



if __name__ == "__main__":
    sys.exit(main())
