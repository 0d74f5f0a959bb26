"""The errors the webhooks domain raises (each with a stable `code`
and its text in Chinese and English)."""

from __future__ import annotations

from app.core.errors import NotFound


class WebhookNotFound(NotFound):
    code, zh, en = "webhook_not_found", "订阅不存在", "Webhook subscription not found"
