"""The fault scenarios. Each returns a result: what was measured, and the checks that held or
not (`ok`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.core.config import Settings
from app.core.permissions import Role
from app.models import OutboxEvent
from tests.cases.helpers import API, grid_index
from tests.factories import PASSWORD
from tests.fault.cluster import Cluster, cluster
from tests.fault.load import Attempt, Load, client, copies

DEFAULTS = Settings(env="test")
# A request during a frozen database waits at most for a pooled connection, then one
# statement (server timeout + the client's half second), plus scheduling slack.
FROZEN_BOUND = (DEFAULTS.db_pool_timeout_seconds + DEFAULTS.db_statement_timeout_seconds
                + 0.5 + 1.5)
STOPPED_BOUND = DEFAULTS.db_connect_timeout_seconds + 1.0
READY_BOUND = 2.0
RECOVERY_BOUND = 15.0


@dataclass
class Result:
    name: str
    measured: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(self.checks.values())

    def check(self, name: str, held: bool) -> None:
        self.checks[name] = bool(held)


def _load(c: Cluster) -> Load:
    worker = c.world.user(Role.grid_worker, "s1c1g1")
    return Load(c.api_ports, c.headers(worker), grid_index(c.world, "s1c1g1"))


async def _exactly_once(c: Cluster, load: Load, result: Result) -> None:
    db = c.db()
    try:
        found = await copies(db, list(load.acknowledged))
    finally:
        await db.dispose()
    wrong = {t: ids for t, ids in found.items()
             if t in load.acknowledged and ids != [load.acknowledged[t]]}
    strays = [t for t, ids in found.items() if t not in load.acknowledged and ids]
    result.measured.update(acknowledged=len(load.acknowledged), not_exactly_once=len(wrong),
                           unacknowledged_stored=len(strays))
    result.check("every acknowledged report stored exactly once", not wrong)
    result.check("nothing stored that was not acknowledged", not strays)


async def _drained(c: Cluster, seconds: float = 90) -> bool:
    db = c.db()
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            async with db.reading() as s:
                left = await s.scalar(select(func.count()).select_from(OutboxEvent).where(
                    OutboxEvent.topic.like("webhook.%"),
                    OutboxEvent.status.in_(("pending", "processing"))))
            if not left:
                return True
            await asyncio.sleep(0.5)
        return False
    finally:
        await db.dispose()


def _deliveries(c: Cluster, load: Load, result: Result) -> None:
    per_case: Counter[int] = Counter()
    for got in c.receiver.seen:
        event = json.loads(got.body)
        if event["type"] == "case.created":
            per_case[int(event["data"]["id"])] += 1
    acked = set(load.acknowledged.values())
    result.measured.update(
        deliveries=sum(per_case[i] for i in acked),
        cases_without_delivery=sum(1 for i in acked if per_case[i] == 0),
        cases_delivered_twice=sum(1 for i in acked if per_case[i] > 1))
    result.check("one case.created delivery per acknowledged report",
                 all(per_case[i] == 1 for i in acked))


async def kill9(kind: str, work: Path, *, reports: int = 240, concurrency: int = 8) -> Result:
    """Two API processes and two workers; reports stream in (each retried with its key until
    acknowledged) while each API process in turn is killed with SIGKILL and restarted."""
    result = Result(f"kill -9 API processes during reports ({kind})")
    async with cluster(kind, work / f"kill9-{kind}") as c:
        for name in ("api1", "api2"):
            await c.start_api(name)
        for name in ("worker1", "worker2"):
            c.start_worker(name)
        load = _load(c)
        started = time.monotonic()
        async with client() as http:
            tasks = [asyncio.create_task(load.reporter(http, reports // concurrency))
                     for _ in range(concurrency)]
            for victim, at in (("api1", reports // 3), ("api2", 2 * reports // 3)):
                await _until(lambda n=at: len(load.acknowledged) >= n  # type: ignore[misc]
                             or all(t.done() for t in tasks))
                c.kill9(victim)
                await asyncio.sleep(1.0)
                await c.restart(victim)
            await asyncio.gather(*tasks)
        result.measured.update(seconds=round(time.monotonic() - started, 1),
                               attempts=len(load.attempts),
                               failed_attempts=dict(Counter(
                                   str(a.status or a.error) for a in load.attempts
                                   if a.status not in (200, 201))))
        await _exactly_once(c, load, result)
        result.check("webhook outbox drained", await _drained(c))
        _deliveries(c, load, result)
    return result


async def _until(condition: Any, *, step: float = 0.02, seconds: float = 600) -> None:
    for _ in range(int(seconds / step)):
        if condition():
            return
        await asyncio.sleep(step)
    raise TimeoutError("condition not reached")


def _window(attempts: list[Attempt], kinds: tuple[str, ...], start: float, end: float
            ) -> list[Attempt]:
    return [a for a in attempts if a.kind in kinds and start <= a.at < end]


def _first(attempts: list[Attempt], kinds: tuple[str, ...], after: float, ok: Any
           ) -> float | None:
    done = [a.at + a.took for a in attempts if a.kind in kinds and a.at >= after and ok(a)]
    return round(min(done) - after, 2) if done else None


async def postgres_outage(work: Path, mode: str, *, seconds: float = 10.0) -> Result:
    """PostgreSQL (through a proxy) stopped or frozen for `seconds` under load, then back."""
    result = Result(f"PostgreSQL {'stopped' if mode == 'stop' else 'frozen'} {seconds:g} s")
    async with cluster("postgres", work / f"pg-{mode}", pg_via_proxy=True) as c:
        assert c.pg_proxy is not None
        for name in ("api1", "api2"):
            await c.start_api(name)
        for name in ("worker1", "worker2"):
            c.start_worker(name)
        load = _load(c)
        async with client() as http:
            tasks = [asyncio.create_task(load.reporter(http, None)) for _ in range(4)]
            tasks += [asyncio.create_task(load.reader(http)) for _ in range(2)]
            tasks += [asyncio.create_task(_probe(load, http, port)) for port in c.api_ports]
            await asyncio.sleep(3)
            down = time.monotonic()
            if mode == "stop":
                await c.pg_proxy.stop()
            else:
                c.pg_proxy.freeze()
            await asyncio.sleep(seconds)
            up = time.monotonic()
            if mode == "stop":
                await c.pg_proxy.start()
            else:
                c.pg_proxy.thaw()
            await asyncio.sleep(8)
            load.stop.set()
            await asyncio.gather(*tasks)
        during = _window(load.attempts, ("report", "read"), down, up)
        ready = _window(load.attempts, ("ready",), down, up)
        bound = STOPPED_BOUND if mode == "stop" else FROZEN_BOUND
        statuses = Counter(str(a.status or a.error) for a in during)
        result.measured.update(
            requests_during=len(during), statuses_during=dict(statuses),
            max_seconds_during=round(max((a.took for a in during), default=0), 2),
            bound_seconds=bound,
            readyz_max_seconds_during=round(max((a.took for a in ready), default=0), 2),
            readyz_red_after=_first(load.attempts, ("ready",), down, lambda a: a.status == 503),
            readyz_green_after_back=_first(load.attempts, ("ready",), up,
                                           lambda a: a.status == 200),
            first_success_after_back=_first(load.attempts, ("report", "read"), up,
                                            lambda a: a.status in (200, 201)))
        result.check("no 500 and no unanswered request during the outage",
                     all(a.status in (200, 201, 503) for a in during))
        result.check("every 503 carries Retry-After",
                     all(a.retry_after for a in during if a.status == 503))
        result.check(f"every request answered within {bound:g} s",
                     all(a.took <= bound for a in during))
        # Probes answered inside the outage, once the first has had its 2 s to notice it.
        inside = [a for a in ready if down + READY_BOUND <= a.at + a.took < up]
        result.check("/readyz red during the outage, each answer within 2 s",
                     bool(inside) and all(a.status == 503 and a.took <= READY_BOUND
                                          for a in inside))
        red = result.measured["readyz_red_after"]
        result.check("/readyz red within 2 s of the fault (+ the 0.2 s probe interval)",
                     red is not None and red <= READY_BOUND + 0.2)
        green, success = (result.measured["readyz_green_after_back"],
                          result.measured["first_success_after_back"])
        result.check(f"recovered without restart within {RECOVERY_BOUND:g} s",
                     green is not None and success is not None
                     and max(green, success) <= RECOVERY_BOUND)
        await _exactly_once(c, load, result)
    return result


async def _probe(load: Load, http: Any, port: int) -> None:
    while not load.stop.is_set():
        await load.call(http, "ready", "GET", "/readyz", port=port)
        await asyncio.sleep(0.2)


async def redis_outage(kind: str, work: Path, *, seconds: float = 10.0) -> Result:
    """Redis (through a proxy) stopped for `seconds` while people sign in, reveal and report."""
    result = Result(f"Redis stopped {seconds:g} s ({kind})")
    async with cluster(kind, work / f"redis-{kind}", redis=True, redis_via_proxy=True) as c:
        assert c.redis_proxy is not None
        for name in ("api1", "api2"):
            await c.start_api(name)
        load = _load(c)
        head = c.world.user(Role.grid_head, "s1c1g1")
        resident = c.world.residents[0].id
        async with client() as http:
            async def signing_in() -> None:
                while not load.stop.is_set():
                    await load.call(http, "login", "POST", f"{API}/auth/login",
                                    json={"username": head.username, "password": PASSWORD})

            async def revealing() -> None:
                while not load.stop.is_set():
                    await load.call(http, "reveal", "POST", f"{API}/residents/{resident}/reveal",
                                    headers=c.headers(head), json={"purpose": "故障演练"})
                    await asyncio.sleep(0.05)

            tasks = [asyncio.create_task(load.reporter(http, None)) for _ in range(2)]
            tasks += [asyncio.create_task(signing_in()), asyncio.create_task(revealing())]
            tasks += [asyncio.create_task(_probe(load, http, port)) for port in c.api_ports]
            await asyncio.sleep(3)
            down = time.monotonic()
            await c.redis_proxy.stop()
            await asyncio.sleep(seconds)
            up = time.monotonic()
            await c.redis_proxy.start()
            await asyncio.sleep(6)
            load.stop.set()
            await asyncio.gather(*tasks)
        during = _window(load.attempts, ("report", "login", "reveal"), down, up)
        ready = _window(load.attempts, ("ready",), down + 1, up)
        after = _window(load.attempts, ("ready",), up + 6 - 2, up + 6)
        kinds = ("report", "login", "reveal")
        before = {k: max((a.took for a in _window(load.attempts, (k,), 0, down)), default=0)
                  for k in kinds}
        worst = {k: max((a.took for a in during if a.kind == k), default=0) for k in kinds}
        result.measured.update(
            requests_during=len(during),
            statuses_during=dict(Counter(str(a.status or a.error) for a in during)),
            max_seconds_before={k: round(v, 2) for k, v in before.items()},
            max_seconds_during={k: round(v, 2) for k, v in worst.items()},
            readyz_during=dict(Counter(
                f"{a.status} redis={(a.body or {}).get('checks', {}).get('redis')}"
                for a in ready)))
        result.check("sign-ins, reveals and reports succeed while Redis is down",
                     bool(during) and all(a.status in (200, 201) for a in during))
        # Redis calls give up after GRID_REDIS_TIMEOUT_SECONDS (0.5 s, at most twice per
        # request before the fallback takes over): at most a second more than before.
        result.check("no request slower than before by more than 1 s",
                     all(worst[k] <= before[k] + 1.0 for k in kinds))
        result.check("/readyz stays ready and reports Redis unavailable",
                     bool(ready) and all(a.status == 200 and (a.body or {}).get("checks", {})
                                         .get("redis") == "unavailable" for a in ready))
        result.check("/readyz reports Redis back",
                     any((a.body or {}).get("checks", {}).get("redis") == "ok" for a in after))
        with contextlib.suppress(Exception):
            await _exactly_once(c, load, result)
    return result
