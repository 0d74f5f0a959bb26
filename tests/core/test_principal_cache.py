"""The per-process cache of verified token claims: the signature is checked once per token
within the TTL, never past the token's own expiry, and not at all when the TTL is 0."""

from __future__ import annotations

import time

from app.core.auth import PrincipalCache


def claims(exp_in: float) -> dict[str, object]:
    return {"sub": "user:1", "exp": int(time.time() + exp_in)}


def test_verified_claims_are_served_within_the_ttl():
    cache = PrincipalCache(ttl=5)
    c = claims(600)
    cache.put_claims("tok", c)
    assert cache.claims("tok") is c
    assert cache.claims("another") is None


def test_an_expired_token_is_not_kept():
    cache = PrincipalCache(ttl=5)
    cache.put_claims("tok", claims(-1))
    assert cache.claims("tok") is None


def test_the_entry_ends_with_the_token(monkeypatch):
    cache = PrincipalCache(ttl=60)
    cache.put_claims("tok", claims(2))  # the token lives 2 s: so does the entry
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + 3)
    assert cache.claims("tok") is None


def test_ttl_zero_caches_nothing():
    cache = PrincipalCache(ttl=0)
    cache.put_claims("tok", claims(600))
    assert cache.claims("tok") is None


async def test_a_request_reuses_the_verified_claims(client, auth, world, settings, monkeypatch):
    from app.core import auth as core_auth
    from app.core.permissions import Role

    calls = []
    real = core_auth.decode_access_token
    monkeypatch.setattr(core_auth, "decode_access_token",
                        lambda s, t: calls.append(t) or real(s, t))
    state = client._transport.app.state  # the app under test (shared: put its cache back)
    kept = state.principals
    state.principals = PrincipalCache(ttl=5)
    try:
        headers = auth(world.user(Role.district_admin))
        for _ in range(3):
            assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    finally:
        state.principals = kept
    assert len(calls) == 1
