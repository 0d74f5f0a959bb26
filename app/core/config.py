"""Settings read from the environment (`GRID_` prefix; `DATABASE_URL` and `REDIS_URL` as is)."""

from __future__ import annotations

import base64
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me-dev-only-secret"
DEV_DATA_KEY = base64.b64encode(b"dev-only-data-key-32-bytes-long!").decode()
DEFAULT_SQLITE_URL = f"sqlite+aiosqlite:///{Path('data') / 'gridapi.db'}"
MIN_SECRET_LEN = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRID_", extra="ignore")
    # Whether production mode insists on real signing and encryption keys (SchemaSettings: no).
    needs_secrets: ClassVar[bool] = True

    env: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        DEFAULT_SQLITE_URL, validation_alias=AliasChoices("DATABASE_URL", "GRID_DATABASE_URL")
    )
    redis_url: str | None = Field(
        None, validation_alias=AliasChoices("REDIS_URL", "GRID_REDIS_URL")
    )
    # Connections per process (PostgreSQL). A request holds its connection until it ends, and
    # a saturated worker has as many requests in flight as clients: the pool is always full,
    # so an overflow connection (closed as soon as it is returned) is opened again at once —
    # 10+10 opened ~390 connections in a 10 s run at 64 clients and served 440 req/s; 10+0
    # opened none and served ~600 (bench/pool_churn.py). Requests beyond the pool wait their
    # turn for a connection (the event loop, not the database, is what they wait for anyway).
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=0, ge=0)
    db_echo: bool = False
    # Outages (PostgreSQL): a connection attempt, a statement, and the wait for a pooled
    # connection give up after these; the request then answers 503 with Retry-After instead of
    # hanging. The statement timeout is set on the server (a slow query is cancelled cleanly)
    # and, a little longer, on the client (a server that does not answer at all).
    db_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    db_statement_timeout_seconds: float = Field(default=5.0, gt=0)
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0)
    # /readyz answers within this, red when the database has not answered by then.
    readyz_timeout_seconds: float = Field(default=1.5, gt=0)
    # SQLite statements run on the event loop instead of aiosqlite's thread (app/core/
    # sqlite_inline.py); off falls back to plain aiosqlite.
    sqlite_inline: bool = True

    # JWT: several keys may be valid at once (rotation); `jwt_kid` signs new tokens.
    jwt_keys: dict[str, str] = Field(default_factory=lambda: {"k1": DEV_SECRET})
    jwt_kid: str = "k1"
    jwt_issuer: str = "gridapi"
    jwt_audience: str = "gridapi-clients"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_days: int = 30
    client_token_ttl_seconds: int = 3600

    # Personal data at rest: AES-GCM keys by id (base64, 32 bytes) and a blind-index key.
    data_keys: dict[str, str] = Field(default_factory=lambda: {"d1": DEV_DATA_KEY})
    data_kid: str = "d1"
    blind_index_key: str = DEV_SECRET

    # Request limits.
    max_json_bytes: int = 1 * 1024 * 1024
    max_upload_bytes: int = 12 * 1024 * 1024

    # Login protection.
    login_max_failures: int = 5
    login_failure_window_minutes: int = 15
    login_lock_minutes: int = 15
    login_ip_limit: str = "30/minute"  # failed logins per client address
    # Addresses of the reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed
    # (comma-separated IPs or CIDRs, "*" for any; `gridapi serve` hands them to uvicorn). Empty:
    # none, the peer address is the client's (per-address limits cannot be dodged by sending
    # the header). Set it to the proxy's address when the API runs behind one.
    forwarded_allow_ips: str = ""
    password_hash_concurrency: int = Field(default=2, ge=1, le=64)
    rate_limit_prefix: str = "gridapi"
    # Revealing a resident's full ID card and phone numbers, per user.
    reveal_limit: str = "30/hour"
    # Abuse limits (per address for WeChat sign-in, per caller for the rest); shared through
    # Redis when REDIS_URL is set. Each Redis call gives up after `redis_timeout_seconds`
    # (the limits then fall back to this process's memory, app/core/ratelimit.py).
    wechat_login_limit: str = "30/minute"
    phone_bind_limit: str = "10/hour"
    export_limit: str = "20/hour"
    case_create_limit: str = "120/minute"
    # A meeting's sign-in code is 6 digits valid for hours: guessing must be slower than that.
    meeting_sign_in_limit: str = "10/10minute"
    redis_timeout_seconds: float = Field(default=0.5, gt=0)

    # WeChat mini-program.
    wechat_appid: str | None = None
    wechat_secret: str | None = None
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_timeout_seconds: float = 5.0
    wechat_code_replay_seconds: int = 300
    # subscribeMessage template for case status changes (unset: no WeChat messages are sent).
    # The template's fields are named by the keys of `wechat_case_template_fields`.
    wechat_case_template_id: str | None = None
    wechat_case_template_fields: dict[str, str] = Field(default_factory=lambda: {
        "code": "character_string1", "status": "phrase2", "time": "time3", "note": "thing4"})
    # The key-task bulletin's own template (unset: its notices stay in the inbox; it never
    # borrows the case template, whose fields mean something else).
    wechat_bulletin_template_id: str | None = None
    wechat_bulletin_template_fields: dict[str, str] = Field(default_factory=lambda: {
        "title": "thing1", "week": "character_string2", "status": "thing3"})
    wechat_miniprogram_state: str = "formal"

    # Case time limits count working hours: public holidays off, make-up working days (调休) on.
    # 核查 is a second person's check (GB/T 30428 separates 处置 and 核查): whoever resolved a
    # case may not verify it. True relaxes that for a grid run by one person.
    case_same_person_verify: bool = False
    use_cn_holidays: bool = True  # the State Council's published schedule, plus `holidays`
    holidays: list[date] = Field(default_factory=list)
    extra_workdays: list[date] = Field(default_factory=list)
    upload_dir: str = "data/uploads"

    # Open311: the jurisdiction_id clients must send (unset: any or none) and the discovery
    # contact line.
    open311_jurisdiction: str | None = None
    open311_contact: str | None = None
    # GeoReport v2 reads are public: requests, tokens and updates without an api_key, public
    # fields of the district's public-space cases only (app/open311/__init__.py). Off: a key
    # is required for them again (403 without), as discovery and services never need one.
    open311_public_reads: bool = True

    # Webhook receivers allowed although not on the public internet (app/webhooks/egress.py):
    # host names (exact) and networks in CIDR form, JSON list, e.g. ["10.20.0.0/16"].
    webhook_allow_hosts: list[str] = Field(default_factory=list)

    idempotency_stale_seconds: int = 120
    # Audit entries are kept this long, then purged by the worker (never less than six months).
    audit_retention_days: int = Field(default=365, ge=183)
    # A caller's grants are cached this long per process (0: load them on every request).
    # Role changes and deactivation take effect within this delay.
    principal_cache_seconds: float = 5.0
    demo_password: str = "Demo@2026"
    default_district_name: str = "建安区"
    log_json: bool = True
    # Bearer token that `/metrics` requires (unset: open outside production, refused in it).
    metrics_token: str | None = None
    # Freeze the start-up heap out of the garbage collector's sight (app/main.py lifespan).
    gc_freeze: bool = True

    @model_validator(mode="after")
    def _refuse_weak_secrets_in_production(self) -> Settings:
        if self.env != "production" or not self.needs_secrets:
            return self
        problems: list[str] = []
        if self.jwt_kid not in self.jwt_keys:
            problems.append("GRID_JWT_KID names no key in GRID_JWT_KEYS")
        for kid, secret in self.jwt_keys.items():
            if secret == DEV_SECRET or len(secret) < MIN_SECRET_LEN:
                problems.append(f"JWT key {kid!r} is the default or shorter than 32 characters")
        if self.data_kid not in self.data_keys:
            problems.append("GRID_DATA_KID names no key in GRID_DATA_KEYS")
        for kid, key in self.data_keys.items():
            if key == DEV_DATA_KEY or len(base64.b64decode(key)) != 32:
                problems.append(f"data key {kid!r} is the default or not 32 bytes")
        if self.blind_index_key == DEV_SECRET or len(self.blind_index_key) < MIN_SECRET_LEN:
            problems.append("GRID_BLIND_INDEX_KEY is the default or shorter than 32 characters")
        if self.metrics_token is not None and len(self.metrics_token) < MIN_SECRET_LEN:
            problems.append("GRID_METRICS_TOKEN is shorter than 32 characters")
        if problems:
            raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class SchemaSettings(Settings):
    """What `gridapi migrate` runs with: it changes the schema and reference data, never signs
    a token nor encrypts or indexes personal data (no migration reads the keys), so production
    mode does not ask it for the JWT, data and blind-index keys; a one-off migration job then
    needs only `DATABASE_URL`, and the keys stay with the processes that use them."""

    needs_secrets: ClassVar[bool] = False


@lru_cache
def get_settings() -> Settings:
    return Settings()
