"""Open311's error dialect: 404 unknown resource, service or jurisdiction; 403 API key;
400 everything else. Raised by the parsers and the service, rendered by the route class."""

from __future__ import annotations

from app.core.i18n import t


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def bad_request(zh: str, en: str) -> Open311Error:
    return Open311Error(400, t(zh, en))


def forbidden(zh: str, en: str) -> Open311Error:
    return Open311Error(403, t(zh, en))


def not_found(zh: str, en: str) -> Open311Error:
    return Open311Error(404, t(zh, en))


def open311_status(app_status: int) -> int:
    """The Open311 status for one of the app's own errors raised below us."""
    # 429 and 503 keep their meaning (and Retry-After): a client should wait, not fix its request.
    return app_status if app_status in (403, 404, 429, 503) else 400
