"""/docs and /redoc work without the internet: every script, stylesheet and icon their pages
load comes from the service itself, and each answers with its content type."""

from __future__ import annotations

import re

import pytest

ASSET = re.compile(r"""(?:src|href|spec-url)=["']([^"']+)["']|url:\s*'([^']+)'""")
TYPES = {
    ".js": ("application/javascript", "text/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
    ".json": ("application/json",),
}


def _referenced(html: str) -> list[str]:
    return [a or b for a, b in ASSET.findall(html)]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_page_and_every_asset_it_references_come_from_the_app(client, page):
    resp = await client.get(page)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    html = resp.text
    # No CDN, no web fonts: nothing that leaves the service.
    assert not re.search(r"https?://", html), html
    urls = _referenced(html)
    assert any(u.endswith(".js") for u in urls), urls
    assert "/openapi.json" in urls
    for url in urls:
        assert url.startswith("/"), url
        got = await client.get(url)
        assert got.status_code == 200, url
        suffix = url[url.rfind(".") :]
        assert got.headers["content-type"].split(";")[0] in TYPES[suffix], (url, got.headers)
        assert len(got.content) > 0


async def test_swagger_ui_bundle_is_the_real_one(client):
    """The served files are Swagger UI's and ReDoc's builds, not placeholders."""
    swagger = await client.get("/docs-assets/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in swagger.text and len(swagger.content) > 500_000
    redoc = await client.get("/docs-assets/redoc.standalone.js")
    assert "Redoc" in redoc.text and len(redoc.content) > 500_000


async def test_oauth2_redirect_page_is_served(client):
    resp = await client.get("/docs/oauth2-redirect")
    assert resp.status_code == 200 and "oauth2" in resp.text.lower()


def test_docs_routes_are_tried_after_the_api(app):
    """Requests are matched against the routes in order: an API call does not try the docs
    pages (added when the app is made) first."""
    paths = [getattr(r, "path", None) for r in app.router.routes]
    assert paths[-4:] == ["/docs-assets", "/docs", "/docs/oauth2-redirect", "/redoc"]
