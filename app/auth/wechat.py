"""A small async client for the WeChat mini-program server APIs we use.

- `jscode2session` exchanges a `wx.login` code for the user's openid (the session_key it also
  returns is dropped here and never stored or exposed);
- `stable_token` gives the app's access token (cached until shortly before it expires);
- `getuserphonenumber` turns a `getPhoneNumber` code into the bound phone number.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx

from app.auth.errors import WechatCodeInvalid, WechatNotConfigured, WechatUnavailable
from app.core.config import Settings
from app.core.errors import AppError, TooManyRequests

# errcodes a user's bad or stale code produces (40029 invalid, 40163 used, 40226 risky user).
CODE_ERRORS = {40029, 40163, 40226, 40125}
TOKEN_ERRORS = {40001, 42001, 40014}  # our access token went stale: refresh once and retry


@dataclass(frozen=True)
class WechatSession:
    openid: str
    unionid: str | None


class WechatApiError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


def to_app_error(exc: WechatApiError) -> AppError:
    if exc.errcode in CODE_ERRORS:
        return WechatCodeInvalid()
    if exc.errcode == 45011:
        # WeChat's quota is per minute: tell the client when trying again makes sense.
        return TooManyRequests(code="wechat_rate_limited", headers={"Retry-After": "60"})
    return WechatUnavailable()


class WechatClient:
    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None):
        self._appid = settings.wechat_appid
        self._secret = settings.wechat_secret
        self._http = httpx.AsyncClient(
            base_url=settings.wechat_api_base,
            timeout=httpx.Timeout(settings.wechat_timeout_seconds),
            transport=transport,
        )
        self._token: tuple[str, float] | None = None
        self._token_lock = asyncio.Lock()

    @property
    def configured(self) -> bool:
        return bool(self._appid and self._secret)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, url: str, **kw: Any) -> dict[str, Any]:
        if not self.configured:
            raise WechatNotConfigured()
        try:
            resp = await self._http.request(method, url, **kw)
            data = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise WechatUnavailable() from exc
        if not isinstance(data, dict):
            raise WechatUnavailable()
        try:
            errcode = int(data.get("errcode") or 0)
        except (TypeError, ValueError) as exc:  # an answer we cannot read is an outage, not a 500
            raise WechatUnavailable() from exc
        if errcode != 0:
            raise WechatApiError(errcode, str(data.get("errmsg", "")))
        return data

    async def code2session(self, code: str) -> WechatSession:
        data = await self._call(
            "GET",
            "/sns/jscode2session",
            params={"appid": self._appid, "secret": self._secret, "js_code": code,
                    "grant_type": "authorization_code"},
        )
        openid = data.get("openid")
        if not isinstance(openid, str) or not openid:
            raise WechatUnavailable()
        unionid = data.get("unionid")
        return WechatSession(openid, unionid if isinstance(unionid, str) else None)

    async def access_token(self, *, force: bool = False) -> str:
        async with self._token_lock:
            if self._token and not force and self._token[1] > time.monotonic():
                return self._token[0]
            data = await self._call(
                "POST",
                "/cgi-bin/stable_token",
                json={"grant_type": "client_credential", "appid": self._appid,
                      "secret": self._secret, "force_refresh": force},
            )
            token, expires_in = data.get("access_token"), data.get("expires_in", 7200)
            if not isinstance(token, str) or not token or not isinstance(expires_in, int):
                raise WechatUnavailable()
            # Renew five minutes early; stable_token hands back the same token until then.
            ttl = max(60, expires_in - 300)
            self._token = (token, time.monotonic() + ttl)
            return token

    async def _authorized(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST with the app's access token; a stale token is refreshed once and retried."""
        for attempt in range(2):
            token = await self.access_token(force=attempt > 0)
            try:
                return await self._call("POST", path, params={"access_token": token}, json=body)
            except WechatApiError as exc:
                if exc.errcode in TOKEN_ERRORS and attempt == 0:
                    continue
                raise
        raise WechatUnavailable()

    async def phone_number(self, code: str) -> str:
        data = await self._authorized("/wxa/business/getuserphonenumber", {"code": code})
        info = data.get("phone_info") or {}
        phone = info.get("purePhoneNumber") or info.get("phoneNumber")
        if not isinstance(phone, str) or not phone:
            raise WechatUnavailable()
        return phone

    async def send_subscribe_message(self, *, openid: str, template_id: str,
                                     data: dict[str, str], page: str | None = None,
                                     state: str = "formal") -> None:
        """subscribeMessage.send; errcode 43101 means the user has not (or no longer) agreed
        to this template — retrying cannot help."""
        body: dict[str, Any] = {
            "touser": openid, "template_id": template_id, "miniprogram_state": state,
            "lang": "zh_CN", "data": {k: {"value": v} for k, v in data.items()},
        }
        if page:
            body["page"] = page
        await self._authorized("/cgi-bin/message/subscribe/send", body)
