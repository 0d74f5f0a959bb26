"""`/metrics` names every route with its traffic and error counts: only the operator's scraper
reads it (GRID_METRICS_TOKEN as a bearer token; without one it stays shut in production)."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from pydantic import ValidationError

from app.main import create_app
from tests.conftest import make_settings

TOKEN = "m" * 40
PRODUCTION = {
    "env": "production",
    "jwt_keys": {"k1": "p" * 40},
    "data_keys": {"d1": base64.b64encode(b"k" * 32).decode()},
    "blind_index_key": "b" * 40,
}


async def _get(settings_overrides: dict[str, object], **headers: str) -> httpx.Response:
    app = create_app(make_settings(**settings_overrides))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as c:
        return await c.get("/metrics", headers=headers)


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", "Bearer", TOKEN])
async def test_a_token_is_required_once_set(header):
    r = await _get({"metrics_token": TOKEN}, **({"Authorization": header} if header else {}))
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "metrics_unauthorized"
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert "gridapi_http_requests_total" not in r.text


async def test_the_token_opens_it():
    r = await _get({"metrics_token": TOKEN}, Authorization=f"Bearer {TOKEN}")
    assert r.status_code == 200 and "gridapi_http_requests_total" in r.text


async def test_production_without_a_token_is_shut():
    r = await _get(PRODUCTION, **{"Accept-Language": "en"})
    assert r.status_code == 403 and r.json()["code"] == "metrics_token_unset"
    assert "GRID_METRICS_TOKEN" in r.json()["detail"]
    ok = await _get({**PRODUCTION, "metrics_token": TOKEN}, Authorization=f"Bearer {TOKEN}")
    assert ok.status_code == 200


def test_production_refuses_a_short_token():
    with pytest.raises(ValidationError, match="GRID_METRICS_TOKEN"):
        make_settings(**PRODUCTION, metrics_token="short")


def test_the_contract_documents_the_refusals():
    spec = create_app(make_settings()).openapi()
    responses = spec["paths"]["/metrics"]["get"]["responses"]
    assert {"401", "403"} <= set(responses), json.dumps(responses)
