"""No slow work while a transaction or SQLite's write lock is held: a login's password check
and a call to WeChat happen with nothing held, so a report filed meanwhile goes straight
through; Argon2 runs in threads, a bounded number at once, at a lower CPU priority than the
event loop, never on it."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.auth.wechat import WechatClient
from app.core import security
from app.core.db import Database
from app.core.permissions import Role
from app.core.security import PasswordWork
from app.main import create_app
from tests.auth.helpers import new_user
from tests.cases.helpers import API, body, grid_index
from tests.conftest import make_settings
from tests.factories import PASSWORD, World
from tests.realdb import committed_rows_removed

SESSION_OK = {"openid": "oSlowWork", "session_key": "k", "unionid": None}


class TestPasswordWork:
    async def test_runs_off_the_event_loop(self):
        hashed = security.hash_password(PASSWORD)  # the real cost: ~100 ms here
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.001)
                ticks += 1

        ticker = asyncio.create_task(tick())
        await asyncio.sleep(0)
        assert await PasswordWork(1).verify(PASSWORD, hashed)
        ticker.cancel()
        assert ticks >= 5  # on the loop, the ticker would not have run at all

    async def test_a_bounded_number_at_once(self, monkeypatch):
        running, peak, guard = 0, 0, threading.Lock()

        def slow_verify(_password: str, _hashed: str | None) -> bool:
            nonlocal running, peak
            with guard:
                running += 1
                peak = max(peak, running)
            time.sleep(0.05)
            with guard:
                running -= 1
            return True

        monkeypatch.setattr(security, "verify_password", slow_verify)
        work = PasswordWork(2)
        assert all(await asyncio.gather(*(work.verify("p", "h") for _ in range(6))))
        assert peak == 2

    @pytest.mark.skipif(sys.platform != "linux", reason="a nice level per thread is Linux's")
    async def test_hashes_at_a_lower_priority_than_the_loop(self, monkeypatch):
        seen: list[int] = []

        def verify_here(_password: str, _hashed: str | None) -> bool:
            seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
            return True

        monkeypatch.setattr(security, "verify_password", verify_here)
        assert await PasswordWork(1).verify("p", "h")
        loop = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        assert seen == [min(19, loop + security.PASSWORD_THREAD_NICE)]


class _Held(PasswordWork):
    """Verification that waits until the test lets it finish."""

    def __init__(self) -> None:
        super().__init__(2)
        self.entered, self.release = asyncio.Event(), asyncio.Event()

    async def verify(self, password: str, hashed: str | None) -> bool:
        self.entered.set()
        await asyncio.wait_for(self.release.wait(), 10)
        return await super().verify(password, hashed)


@pytest.fixture
async def real_app(db: Database) -> AsyncIterator[Any]:
    """The app on the production session paths (the test's rollback is not in the way)."""
    app = create_app(make_settings(wechat_appid="wxtest", wechat_secret="s" * 32),
                     Database(db.engine))
    async with committed_rows_removed(db):
        yield app


async def _report_meanwhile(app: Any, db: Database, world: World, auth: Any) -> None:
    """While the slow step waits: nothing is checked out of the pool (no transaction, no
    SQLite write lock), and a grid worker's report completes."""
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as c:
        r = await asyncio.wait_for(c.post(
            f"{API}/cases", headers=auth(world.user(Role.grid_worker, "s1c1g1")),
            json=body(grid_index(world, "s1c1g1"))), 5)
    assert r.status_code == 201, r.text


@pytest.mark.real_commits
async def test_a_report_is_not_kept_waiting_by_a_password_check(real_app, db, world, auth):
    held = real_app.state.passwords = _Held()
    user = await new_user(db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=real_app),
                                 base_url="http://t") as c:
        login = asyncio.create_task(c.post(f"{API}/auth/login", json={
            "username": user.username, "password": PASSWORD}))
        await asyncio.wait_for(held.entered.wait(), 5)
        try:
            await _report_meanwhile(real_app, db, world, auth)
        finally:
            held.release.set()
        assert (await login).status_code == 200


@pytest.mark.real_commits
async def test_a_report_is_not_kept_waiting_by_a_slow_wechat(real_app, db, world, auth):
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow_wechat(request: httpx.Request) -> httpx.Response:
        entered.set()
        await asyncio.wait_for(release.wait(), 10)  # WeChat taking its time (2 s and more)
        return httpx.Response(200, json=SESSION_OK)

    real_app.state.wechat = WechatClient(real_app.state.settings,
                                         transport=httpx.MockTransport(slow_wechat))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=real_app),
                                 base_url="http://t") as c:
        login = asyncio.create_task(c.post(f"{API}/auth/wechat", json={"code": "slow-1"}))
        await asyncio.wait_for(entered.wait(), 5)
        try:
            await _report_meanwhile(real_app, db, world, auth)
        finally:
            release.set()
        r = await login
        assert r.status_code == 200, r.text
    await real_app.state.wechat.aclose()


@pytest.mark.real_commits
async def test_a_report_is_not_kept_waiting_by_a_photo_being_reencoded(real_app, db, world, auth,
                                                                      monkeypatch):
    from app.files import service as files
    from tests.files import samples

    entered, release = threading.Event(), threading.Event()
    real_prepare = files._prepare

    def slow_prepare(data: bytes) -> Any:
        entered.set()
        release.wait(10)  # a large photo taking its time in the re-encoding thread
        return real_prepare(data)

    monkeypatch.setattr(files, "_prepare", slow_prepare)
    worker = world.user(Role.grid_worker, "s1c1g1")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=real_app),
                                 base_url="http://t") as c:
        upload = asyncio.create_task(c.post(
            f"{API}/attachments", headers={**auth(worker), "Idempotency-Key": "slow-photo"},
            files={"file": ("p.png", samples.png_with_metadata(), "image/png")}))
        for _ in range(1000):
            if entered.is_set() or upload.done():
                break
            await asyncio.sleep(0.01)
        assert entered.is_set(), (await upload).text if upload.done() else "not re-encoded"
        try:
            await _report_meanwhile(real_app, db, world, auth)
        finally:
            release.set()
        r = await upload
        assert r.status_code == 201, r.text
