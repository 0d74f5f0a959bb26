from __future__ import annotations

from typing import Any

from app.core.errors import Conflict, Forbidden, ServiceUnavailable, TooManyRequests, Unauthorized


class BadCredentials(Unauthorized):
    code, zh, en = "bad_credentials", "用户名或密码错误", "Wrong username or password"


class AccountLocked(TooManyRequests):
    code = "account_locked"
    zh, en = "登录失败次数过多，账号已锁定 15 分钟", "Too many failed logins; account locked"


class AccountDisabled(Forbidden):
    code, zh, en = "account_disabled", "账号已停用", "This account is disabled"


class RefreshInvalid(Unauthorized):
    code = "refresh_token_invalid"
    zh, en = "刷新令牌无效或已失效", "Invalid or expired refresh token"


class RefreshReused(Unauthorized):
    code = "refresh_token_reused"
    zh, en = "刷新令牌被重复使用，该登录会话已全部注销", "Refresh token reused; session revoked"


class ClientInvalid(Unauthorized):
    code, zh, en = "invalid_client", "客户端认证失败", "Client authentication failed"

    def __init__(self, zh: str | None = None, en: str | None = None, **kw: Any) -> None:
        # RFC 6749 §5.2: the token endpoint challenges with the client authentication scheme.
        kw.setdefault("headers", {"WWW-Authenticate": 'Basic realm="gridapi"'})
        super().__init__(zh, en, **kw)


class PhoneTaken(Conflict):
    code, zh, en = "phone_taken", "该手机号已绑定其他账号", "This phone is bound to another account"


class WechatCodeInvalid(Unauthorized):
    code, zh, en = "wechat_code_invalid", "微信登录凭证无效或已使用", "Invalid or used WeChat code"


class WechatUnavailable(ServiceUnavailable):
    code, zh, en = "wechat_unavailable", "微信服务暂不可用，请稍后重试", "WeChat is unavailable"


class WechatNotConfigured(ServiceUnavailable):
    code, zh, en = "wechat_not_configured", "未配置微信小程序", "WeChat mini-program not configured"
