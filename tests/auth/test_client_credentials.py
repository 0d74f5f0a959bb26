from __future__ import annotations

import base64
from typing import Any

import jwt
from sqlalchemy import update

from app.core.db import Database
from app.core.permissions import CLIENT_SCOPES
from app.models import ApiClient
from app.seed.accounts import create_client
from tests.auth.helpers import API, assert_problem, bearer
from tests.factories import World

TOKEN = f"{API}/auth/token"


async def new_client(db: Database, world: World, scopes: list[str] | None = None
                     ) -> dict[str, Any]:
    async with db.writing() as session:
        created = await create_client(session, name="第三方", org_id=world.root.id,
                                      scopes=scopes)
        await session.commit()
    return created


def form(creds: dict[str, Any], **changes: str) -> dict[str, str]:
    data = {"grant_type": "client_credentials", "client_id": str(creds["client_id"]),
            "client_secret": str(creds["client_secret"])}
    data.update(changes)
    return data


class TestClientCredentials:
    async def test_exchange_returns_token(self, client, db: Database, world: World, settings):
        creds = await new_client(db, world)
        r = await client.post(TOKEN, data=form(creds))
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == settings.client_token_ttl_seconds
        assert body["scope"] == " ".join(sorted(CLIENT_SCOPES))
        assert r.headers["cache-control"] == "no-store"

    async def test_token_names_the_client(self, client, db: Database, world: World, settings):
        creds = await new_client(db, world)
        token = (await client.post(TOKEN, data=form(creds))).json()["access_token"]
        claims = jwt.decode(token, settings.jwt_keys[settings.jwt_kid], algorithms=["HS256"],
                            audience=settings.jwt_audience)
        assert claims["sub"] == f"client:{creds['client_id']}"
        assert claims["scope"] == " ".join(sorted(CLIENT_SCOPES))

    async def test_token_reads_orgs(self, client, db: Database, world: World):
        creds = await new_client(db, world)
        token = (await client.post(TOKEN, data=form(creds))).json()["access_token"]
        r = await client.get(f"{API}/orgs", headers=bearer(token))
        assert r.status_code == 200, r.text
        assert world.root.id in [o["id"] for o in r.json()["items"]]

    async def test_narrower_scope_is_granted(self, client, db: Database, world: World):
        creds = await new_client(db, world)
        r = await client.post(TOKEN, data=form(creds, scope="orgs:read"))
        assert r.status_code == 200, r.text
        assert r.json()["scope"] == "orgs:read"

    async def test_narrowed_token_cannot_use_other_scopes(self, client, db: Database,
                                                          world: World):
        creds = await new_client(db, world)
        token = (await client.post(TOKEN, data=form(creds, scope="orgs:read"))).json()
        r = await client.get(f"{API}/grids/{world.grids[0].id}",
                             headers=bearer(token["access_token"]))
        assert r.status_code == 403, r.text

    async def test_basic_authentication_is_accepted(self, client, db: Database, world: World):
        # RFC 6749 §2.3.1: servers must accept client_secret_basic too.
        creds = await new_client(db, world)
        basic = base64.b64encode(f"{creds['client_id']}:{creds['client_secret']}".encode())
        r = await client.post(TOKEN, data={"grant_type": "client_credentials"},
                              headers={"Authorization": f"Basic {basic.decode()}"})
        assert r.status_code == 200, r.text
        assert r.json()["scope"] == " ".join(sorted(CLIENT_SCOPES))

    async def test_wrong_basic_secret_is_401(self, client, db: Database, world: World):
        creds = await new_client(db, world)
        basic = base64.b64encode(f"{creds['client_id']}:wrong".encode())
        r = await client.post(TOKEN, data={"grant_type": "client_credentials"},
                              headers={"Authorization": f"Basic {basic.decode()}"})
        assert_problem(r, 401, "invalid_client")
        assert r.headers["www-authenticate"].startswith("Basic")

    async def test_two_authentication_methods_are_400(self, client, db: Database,
                                                      world: World):
        creds = await new_client(db, world)
        basic = base64.b64encode(f"{creds['client_id']}:{creds['client_secret']}".encode())
        r = await client.post(TOKEN, data=form(creds),
                              headers={"Authorization": f"Basic {basic.decode()}"})
        assert_problem(r, 400, "invalid_request")

    async def test_no_credentials_at_all_is_401(self, client):
        r = await client.post(TOKEN, data={"grant_type": "client_credentials"})
        assert_problem(r, 401, "invalid_client")

    async def test_wrong_secret_is_401(self, client, db: Database, world: World):
        creds = await new_client(db, world)
        r = await client.post(TOKEN, data=form(creds, client_secret="wrong"))
        assert_problem(r, 401, "invalid_client")

    async def test_unknown_client_is_401(self, client, db: Database, world: World):
        creds = await new_client(db, world)
        r = await client.post(TOKEN, data=form(creds, client_id="cli_nobody"))
        assert_problem(r, 401, "invalid_client")

    async def test_disabled_client_is_401(self, client, db: Database, world: World):
        creds = await new_client(db, world)
        async with db.writing() as session:
            await session.execute(update(ApiClient)
                                  .where(ApiClient.client_id == creds["client_id"])
                                  .values(is_active=False))
            await session.commit()
        assert_problem(await client.post(TOKEN, data=form(creds)), 401, "invalid_client")

    async def test_password_grant_is_400(self, client, db: Database, world: World):
        creds = await new_client(db, world)
        r = await client.post(TOKEN, data=form(creds, grant_type="password"))
        assert_problem(r, 400, "unsupported_grant_type")

    async def test_scope_beyond_the_client_is_400(self, client, db: Database, world: World):
        creds = await new_client(db, world, scopes=["orgs:read"])
        r = await client.post(TOKEN, data=form(creds, scope="orgs:read grids:read"))
        assert_problem(r, 400, "invalid_scope")

    async def test_json_body_is_a_client_error(self, client, db: Database, world: World):
        creds = await new_client(db, world)
        r = await client.post(TOKEN, json=form(creds))
        assert r.status_code in (415, 422), r.text
        assert r.headers["content-type"].startswith("application/problem+json")
