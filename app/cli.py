"""`gridapi`: serve, migrate, create-admin, create-client, seed-demo, export-openapi, worker."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import uvicorn
from alembic import command
from alembic.config import Config

from app import jobs
from app.cases import categories
from app.core import maintenance, outbox
from app.core.config import Settings, get_settings
from app.core.db import Database, make_engine
from app.core.observability import configure_logging
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
    return cfg


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = get_settings()
    command.upgrade(alembic_config(settings), "head")
    print("migrated to head", file=sys.stderr)

    async def reference_data(db: Database, _settings: Settings) -> int:
        async with db.writing() as session:
            changed = await categories.sync(session)
        print(f"case categories: {changed} rows written", file=sys.stderr)
        await maintenance.analyze(db, full=True)  # fresh planner statistics on SQLite
        return 0

    return _run(reference_data)


def cmd_serve(args: argparse.Namespace) -> int:
    trusted = get_settings().forwarded_allow_ips.strip()
    # Forwarded headers only from GRID_FORWARDED_ALLOW_IPS (uvicorn would otherwise believe
    # 127.0.0.1, so anything reaching the app through a local hop could pick its address).
    uvicorn.run("app.main:create_app", factory=True, host=args.host, port=args.port,
                workers=args.workers, proxy_headers=bool(trusted), forwarded_allow_ips=trusted,
                access_log=False)
    return 0


def _run(fn: Callable[[Database, Settings], Awaitable[int]]) -> int:
    async def main() -> int:
        settings = get_settings()
        db = Database(make_engine(settings))
        try:
            return await fn(db, settings)
        finally:
            await db.dispose()

    return asyncio.run(main())


def cmd_create_admin(args: argparse.Namespace) -> int:
    async def go(db: Database, settings: Settings) -> int:
        async with db.writing() as session:
            user_id = await accounts.create_admin(
                session, username=args.username, password=args.password,
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
                done = await outbox.run_once(ctx)
                print(json.dumps({"delivered": done}))
                return 0
            await outbox.run_forever(ctx, idle_seconds=args.idle)
        return 0

    return _run(go)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gridapi", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve the API with uvicorn")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, default=1)
    s.set_defaults(fn=cmd_serve)
    sub.add_parser("migrate", help="alembic upgrade head").set_defaults(fn=cmd_migrate)
    a = sub.add_parser("create-admin", help="create a district_admin on the root district")
    a.add_argument("--username", required=True)
    a.add_argument("--password", required=True)
    a.add_argument("--district", default=None)
    a.set_defaults(fn=cmd_create_admin)
    c = sub.add_parser("create-client", help="create a third-party API client")
    c.add_argument("--name", required=True)
    c.add_argument("--org", type=int, default=None, help="org id the client is scoped to")
    c.add_argument("--scopes", nargs="*", default=None)
    c.set_defaults(fn=cmd_create_client)
    sub.add_parser("seed-demo", help="load the demo district").set_defaults(fn=cmd_seed_demo)
    e = sub.add_parser("export-openapi", help="write the OpenAPI document")
    e.add_argument("--output", default="openapi/openapi.json")
    e.set_defaults(fn=cmd_export_openapi)
    w = sub.add_parser("worker", help="deliver outbox events")
    w.add_argument("--once", action="store_true")
    w.add_argument("--idle", type=float, default=1.0)
    w.set_defaults(fn=cmd_worker)
    people_cli.add_parser(sub)  # gridapi import residents FILE --grid ID
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    fn: Callable[[argparse.Namespace], int] = args.fn
    return fn(args)



if __name__ == "__main__":
    sys.exit(main())
