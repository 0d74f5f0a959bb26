from __future__ import annotations

from app.core.errors import ServiceUnavailable, TooManyRequests, Unauthorized


class BadCredentials(Unauthorized):
    code, zh, en = "bad_credentials", "用户名或密码错误", "Wrong username or password"


class AccountLocked(TooManyRequests):
    code = "account_locked"
    zh, en = "登录失败次数过多，账号已锁定 15 分钟", "Too many failed logins; account locked"


class RefreshInvalid(Unauthorized):
    code, zh, en = "refresh_token_invalid", "刷新令牌无效或已失效", "Invalid or expired refresh token"


class RefreshReused(Unauthorized):
    code = "refresh_token_reused"
    zh, en = "刷新令牌被重复使用，该登录会话已全部注销", "Refresh token reused; session revoked"


class ClientInvalid(Unauthorized):
    code, zh, en = "invalid_client", "客户端认证失败", "Client authentication failed"


class WechatCodeInvalid(Unauthorized):
    code, zh, en = "wechat_code_invalid", "微信登录凭证无效或已使用", "Invalid or used WeChat code"


class WechatUnavailable(ServiceUnavailable):
    code, zh, en = "wechat_unavailable", "微信服务暂不可用，请稍后重试", "WeChat is unavailable"


class WechatNotConfigured(ServiceUnavailable):
    code, zh, en = "wechat_not_configured", "未配置微信小程序", "WeChat mini-program not configured"
