"""Login, token rotation, logout, client credentials and WeChat sign-in."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import repository as repo
from app.auth.errors import (
    AccountDisabled,
    AccountLocked,
    BadCredentials,
    ClientInvalid,
    PhoneTaken,
    RefreshInvalid,
    RefreshReused,
    WechatCodeInvalid,
)
from app.auth.schemas import ClientToken, TokenPair, UserBrief, WechatLoginOut
from app.auth.wechat import WechatApiError, WechatClient, WechatSession, to_app_error
from app.core import audit
from app.core.config import Settings
from app.core.crypto import FieldCipher, mask_phone
from app.core.db import end_reads
from app.core.errors import BadRequest, TooManyRequests, Unauthorized
from app.core.ratelimit import RateLimits
from app.core.security import (
    PasswordWork,
    Principal,
    issue_access_token,
    new_opaque_token,
    sha256_hex,
)
from app.core.types import utcnow
from app.models import RefreshToken, User, WechatLogin

PHONE_CONTEXT = "user.phone"


@dataclass(frozen=True)
class AuthContext:
    settings: Settings
    limits: RateLimits
    passwords: PasswordWork
    ip: str


async def issue_tokens(
    session: AsyncSession, settings: Settings, user: User, *, family_id: str | None = None
) -> TokenPair:
    family = family_id or str(uuid.uuid4())
    refresh = new_opaque_token()
    session.add(
        RefreshToken(
            user_id=user.id,
            family_id=family,
            token_hash=sha256_hex(refresh),
            expires_at=utcnow() + timedelta(days=settings.refresh_token_ttl_days),
        )
    )
    access = issue_access_token(
        settings, subject=f"user:{user.id}", ttl_seconds=settings.access_token_ttl_seconds,
        extra={"sid": family},
    )
    await session.flush()
    return TokenPair(access_token=access, refresh_token=refresh,
                     expires_in=settings.access_token_ttl_seconds)


async def login(
    session: AsyncSession, ctx: AuthContext, *, username: str, password: str
) -> TokenPair:
    if await ctx.limits.ip_blocked(ctx.ip):
        wait = await ctx.limits.retry_after(ctx.limits.login_ip, "ip", ctx.ip)
        raise TooManyRequests(code="login_rate_limited", headers={"Retry-After": str(wait)})
    if await ctx.limits.is_locked(username):
        raise _locked(await ctx.limits.retry_after(ctx.limits.login_lock, "lock", username))
    user = await repo.user_by_username(session, username)
    await end_reads(session)  # the hash below takes 100–300 ms: hold no transaction or lock
    ok = await ctx.passwords.verify(password, user.password_hash if user else None)
    # Demo accounts share a published password: never let them in on a production deployment.
    demo = ctx.settings.env == "production" and password == ctx.settings.demo_password
    if not ok or demo or user is None or not user.is_active:
        await ctx.limits.record_ip_failure(ctx.ip)
        locked = await ctx.limits.record_failure(username)
        # Kept although the request fails (`commit=True`). Refusals before the password check
        # (address limit, account already locked) are not recorded: they cost no hash, and an
        # audit row each would let a flood of them write as fast as it arrives.
        await audit.record(session, f"user:{user.id}" if user else "anonymous",
                           "auth.login_failed", "user", user.id if user else "",
                           org_path=user.org_path if user else None, ip=ctx.ip,
                           detail={"username": username[:64], "locked": locked})
        if locked:
            raise _locked(ctx.settings.login_lock_minutes * 60, commit=True)
        raise BadCredentials(commit=True)
    await ctx.limits.clear_failures(username)
    await audit.record(session, f"user:{user.id}", "auth.login", "user", user.id,
                       org_path=user.org_path, ip=ctx.ip)
    return await issue_tokens(session, ctx.settings, user)


def _locked(retry_after: int, *, commit: bool = False) -> AccountLocked:
    return AccountLocked(headers={"Retry-After": str(retry_after)}, commit=commit)


async def refresh(session: AsyncSession, settings: Settings, token: str) -> TokenPair:
    row = await repo.refresh_by_hash(session, sha256_hex(token))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        raise RefreshInvalid()
    if row.replaced_at is not None or not await repo.mark_replaced(session, row.id):
        # A replaced token came back: it was stolen or leaked. End the whole family.
        await repo.revoke_family(session, row.family_id)
        raise RefreshReused(commit=True)
    user = await session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise RefreshInvalid()
    return await issue_tokens(session, settings, user, family_id=row.family_id)


async def logout(session: AsyncSession, principal: Principal) -> None:
    if principal.session_id:
        await repo.revoke_family(session, principal.session_id)


async def client_token(
    session: AsyncSession, settings: Settings, passwords: PasswordWork, *, grant_type: str,
    client_id: str | None, client_secret: str | None, scope: str | None,
) -> ClientToken:
    if grant_type != "client_credentials":
        raise BadRequest("仅支持 client_credentials", "Only client_credentials is supported",
                         code="unsupported_grant_type")
    if not client_id or client_secret is None:
        raise ClientInvalid()
    client = await repo.client_by_client_id(session, client_id)
    await end_reads(session)
    ok = await passwords.verify(client_secret, client.secret_hash if client else None)
    if client is None or not ok or not client.is_active:
        raise ClientInvalid()
    granted = set(client.scopes)
    wanted = set(scope.split()) if scope else granted
    if not wanted <= granted:
        raise BadRequest("申请的权限超出客户端授权范围", "Requested scope exceeds the client's",
                         code="invalid_scope")
    granted_scope = " ".join(sorted(wanted))
    ttl = settings.client_token_ttl_seconds
    access = issue_access_token(settings, subject=f"client:{client.client_id}", ttl_seconds=ttl,
                                extra={"scope": granted_scope})
    return ClientToken(access_token=access, expires_in=ttl, scope=granted_scope)


def user_brief(user: User, cipher: FieldCipher) -> UserBrief:
    phone = cipher.decrypt(user.phone_cipher, context=PHONE_CONTEXT) if user.phone_cipher else None
    return UserBrief(id=user.id, username=user.username, display_name=user.display_name,
                     phone=mask_phone(phone))


async def wechat_login(
    session: AsyncSession, settings: Settings, wechat: WechatClient, cipher: FieldCipher, code: str,
    *, ip: str | None = None,
) -> WechatLoginOut:
    code_hash = sha256_hex("wx:" + code)
    since = utcnow() - timedelta(seconds=settings.wechat_code_replay_seconds)
    seen = await repo.recent_wechat_login(session, code_hash, since)
    if seen is None:
        await end_reads(session)  # no transaction or SQLite write lock across WeChat's answer
        try:
            wx = await wechat.code2session(code)
        except WechatApiError as exc:
            # A second request with the same code may have exchanged it meanwhile (40163).
            seen = await repo.recent_wechat_login(session, code_hash, since)
            if seen is None:
                error = to_app_error(exc)
                if isinstance(error, WechatCodeInvalid):  # a refused sign-in, kept audited
                    error.commit = True
                    await audit.record(session, "anonymous", "auth.wechat_login_failed",
                                       "user", "", ip=ip, detail={"errcode": exc.errcode})
                raise error from exc
        else:
            user, is_new = await _user_for_openid(session, wx)
            session.add(WechatLogin(code_hash=code_hash, user_id=user.id, is_new=is_new))
            return await _wechat_tokens(session, settings, cipher, user, is_new=is_new, ip=ip)
    # The phone retried a code we already exchanged (WeChat would answer 40163).
    known = await session.get(User, seen.user_id)
    if known is None:
        raise WechatCodeInvalid()
    return await _wechat_tokens(session, settings, cipher, known, is_new=seen.is_new, ip=ip)


async def _user_for_openid(session: AsyncSession, wx: WechatSession) -> tuple[User, bool]:
    """The account behind an openid, created on first sight; True when created now."""
    user = await repo.user_by_openid(session, wx.openid)
    if user is not None:
        if wx.unionid and not user.wechat_unionid:
            user.wechat_unionid = wx.unionid  # bound to an open platform since we first saw it
        return user, False
    user = User(username=f"wx_{secrets.token_hex(6)}", display_name="微信用户",
                wechat_openid=wx.openid, wechat_unionid=wx.unionid)
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError:
        # A concurrent first login (the mini-program calls wx.login twice) inserted it first.
        winner = await repo.user_by_openid(session, wx.openid)
        if winner is None:
            raise
        return winner, False
    return user, True


async def _wechat_tokens(
    session: AsyncSession, settings: Settings, cipher: FieldCipher, user: User, *, is_new: bool,
    ip: str | None,
) -> WechatLoginOut:
    if not user.is_active:
        raise AccountDisabled()
    pair = await issue_tokens(session, settings, user)
    await audit.record(session, f"user:{user.id}", "auth.wechat_login", "user", user.id,
                       org_path=user.org_path, ip=ip, detail={"is_new": is_new})
    return WechatLoginOut(**pair.model_dump(), user=user_brief(user, cipher), is_new=is_new)


async def bind_phone(
    session: AsyncSession, wechat: WechatClient, cipher: FieldCipher, principal: Principal,
    code: str,
) -> UserBrief:
    await end_reads(session)  # the caller was read; nothing is held across WeChat's answer
    try:
        phone = await wechat.phone_number(code)
    except WechatApiError as exc:
        raise to_app_error(exc) from exc
    index = cipher.blind_index(phone, context=PHONE_CONTEXT)
    owner = await repo.user_by_phone_index(session, index)
    if owner is not None and owner.id != principal.id:
        raise PhoneTaken()
    user = await session.get(User, principal.id)
    if user is None:
        raise Unauthorized(code="token_invalid")
    try:
        async with session.begin_nested():
            user.phone_cipher = cipher.encrypt(phone, context=PHONE_CONTEXT)
            user.phone_index = index
    except IntegrityError as exc:
        # Bound to someone else between our check and this write.
        raise PhoneTaken() from exc
    return user_brief(user, cipher)

