"""Sign-in for people (password, WeChat) and for third-party clients (client credentials)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote_plus

from fastapi import Depends, Form, Request, Response, status
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from app.auth import service
from app.auth.schemas import (
    ClientToken,
    LoginIn,
    RefreshIn,
    TokenPair,
    UserBrief,
    WechatCodeIn,
    WechatLoginOut,
)
from app.auth.wechat import WechatClient
from app.core.abuse import per_address, per_caller
from app.core.auth import CurrentPrincipal
from app.core.db import SessionDep
from app.core.deps import CipherDep, LimitsDep, PasswordsDep, SettingsDep, client_ip
from app.core.errors import BadRequest, Forbidden
from app.core.routing import DomainRouter


async def _no_store(response: Response) -> None:
    # RFC 6749 §5.1: answers carrying tokens (or personal data) must not be cached.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"


router = DomainRouter(prefix="/auth", tags=["auth"],
                   dependencies=[Depends(_no_store)])
_basic = HTTPBasic(auto_error=False, description="client_id:client_secret (RFC 6749 §2.3.1)")


async def _wechat(request: Request) -> WechatClient:
    client: WechatClient = request.app.state.wechat
    return client


WechatDep = Annotated[WechatClient, Depends(_wechat)]


@router.post("/login", responses={401: {}, 429: {}})
async def login(
    body: LoginIn, request: Request, session: SessionDep, settings: SettingsDep, limits: LimitsDep,
    passwords: PasswordsDep,
) -> TokenPair:
    """用户名密码登录。15 分钟内失败 5 次锁定账号 15 分钟 (429)；同一地址每分钟失败过多也返回 429
    （成功的登录不计入）。"""
    ctx = service.AuthContext(settings, limits, passwords, client_ip(request))
    return await service.login(session, ctx, username=body.username, password=body.password)


@router.post("/refresh", responses={401: {}})
async def refresh(body: RefreshIn, session: SessionDep, settings: SettingsDep) -> TokenPair:
    """用刷新令牌换取新令牌；旧刷新令牌随即失效，重复使用会注销整个登录会话。"""
    return await service.refresh(session, settings, body.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses={401: {}})
async def logout(principal: CurrentPrincipal, session: SessionDep) -> Response:
    """注销当前登录会话：其刷新令牌全部失效。"""
    await service.logout(session, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/wechat", responses={401: {}, 403: {}, 429: {}, 503: {}},
             dependencies=[per_address("wechat_login_ip", "wechat_login_rate_limited")])
async def wechat_login(
    body: WechatCodeIn, request: Request, session: SessionDep, settings: SettingsDep,
    wechat: WechatDep, cipher: CipherDep,
) -> WechatLoginOut:
    """小程序登录：提交 `wx.login` 得到的 code。5 分钟内重试同一 code 返回同一用户。同一地址
    每分钟次数有限（`GRID_WECHAT_LOGIN_LIMIT`，超出 429）。"""
    return await service.wechat_login(session, settings, wechat, cipher, body.code,
                                      ip=client_ip(request))


@router.post("/wechat/phone", responses={401: {}, 403: {}, 409: {}, 429: {}, 503: {}},
             dependencies=[per_caller("phone_bind", "phone_bind_rate_limited")])
async def wechat_phone(
    body: WechatCodeIn, principal: CurrentPrincipal, session: SessionDep, wechat: WechatDep,
    cipher: CipherDep,
) -> UserBrief:
    """绑定手机号：提交 getPhoneNumber 得到的 code，返回脱敏手机号。每人每小时次数有限
    （`GRID_PHONE_BIND_LIMIT`，超出 429）。"""
    if principal.kind != "user":
        raise Forbidden()
    return await service.bind_phone(session, wechat, cipher, principal, body.code)


def _client_credentials(
    basic: HTTPBasicCredentials | None, client_id: str | None, client_secret: str | None
) -> tuple[str | None, str | None]:
    if basic is None:
        return client_id, client_secret
    if client_id is not None or client_secret is not None:
        # RFC 6749 §2.3: a client must not use more than one authentication method.
        raise BadRequest("只能使用一种客户端认证方式", "Use one client authentication method",
                         code="invalid_request")
    # §2.3.1: both parts are form-urlencoded before they go into the Basic header.
    return unquote_plus(basic.username), unquote_plus(basic.password)


# The client authenticates with HTTP Basic or in the form (RFC 6749 §2.3.1): Basic is optional.
@router.post("/token", responses={400: {}, 401: {}},
             openapi_extra={"security": [{}]})  # added to HTTPBasic
async def client_token(
    session: SessionDep,
    settings: SettingsDep,
    passwords: PasswordsDep,
    # Documented as the one grant there is; another is RFC 6749's 400 unsupported_grant_type.
    grant_type: Annotated[str, Form(json_schema_extra={"enum": ["client_credentials"]})],
    basic: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
    client_id: Annotated[str | None, Form(max_length=64)] = None,
    client_secret: Annotated[str | None, Form(max_length=256)] = None,
    scope: Annotated[str | None, Form(max_length=512)] = None,
) -> ClientToken:
    """第三方客户端凭证模式 (RFC 6749 §4.4)，表单编码；客户端凭证放在表单或 HTTP Basic 中。"""
    client_id, client_secret = _client_credentials(basic, client_id, client_secret)
    return await service.client_token(
        session, settings, passwords, grant_type=grant_type, client_id=client_id,
        client_secret=client_secret, scope=scope,
    )
