"""Per-address limits believe X-Forwarded-For only from GRID_FORWARDED_ALLOW_IPS (default:
nobody). `gridapi serve`'s own uvicorn options are used, on a real uvicorn server (the header is
uvicorn's business, not the app's)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app import cli
from app.core.config import get_settings
from app.core.db import Database
from app.main import create_app
from tests.auth.helpers import API, unique
from tests.conftest import make_settings
from tests.servers import serving

PROXY_OPTIONS = ("proxy_headers", "forwarded_allow_ips")


def serve_options(monkeypatch: pytest.MonkeyPatch, trusted: str | None) -> dict[str, Any]:
    """The uvicorn options `gridapi serve` passes about forwarded headers."""
    if trusted is None:
        monkeypatch.delenv("GRID_FORWARDED_ALLOW_IPS", raising=False)
    else:
        monkeypatch.setenv("GRID_FORWARDED_ALLOW_IPS", trusted)
    get_settings.cache_clear()
    seen: dict[str, Any] = {}
    monkeypatch.setattr(cli.uvicorn, "run", lambda *a, **kw: seen.update(kw))
    try:
        assert cli.main(["serve", "--port", "0"]) == 0
    finally:
        get_settings.cache_clear()
    return {k: v for k, v in seen.items() if k in PROXY_OPTIONS}


async def failed_logins(db: Database, options: dict[str, Any], n: int) -> list[int]:
    app = create_app(make_settings(login_ip_limit="3/minute"), db)
    codes = []
    async with serving(app, **options) as port, httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}") as c:
        for i in range(n):
            r = await c.post(f"{API}/auth/login", headers={"X-Forwarded-For": f"203.0.113.{i}"},
                             json={"username": unique("nobody"), "password": "wrong"})
            codes.append(r.status_code)
    return codes


async def test_forwarded_for_from_an_untrusted_peer_does_not_dodge_the_limit(db, monkeypatch):
    codes = await failed_logins(db, serve_options(monkeypatch, None), 5)
    assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]


async def test_a_trusted_proxy_passes_the_client_address(db, monkeypatch):
    codes = await failed_logins(db, serve_options(monkeypatch, "127.0.0.1"), 5)
    assert codes == [401] * 5  # five different clients behind the proxy, one failure each
