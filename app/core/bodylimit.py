"""Refuse oversized request bodies with 413 before they are buffered."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import problem_response
from app.core.i18n import t


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_json: int, max_upload: int) -> None:
        self.app = app
        self.max_json = max_json
        self.max_upload = max_upload

    def _limit(self, scope: Scope) -> int:
        for k, v in scope.get("headers", []):
            if k == b"content-type" and v.lower().startswith(b"multipart/"):
                return self.max_upload
        return self.max_json

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        for k, v in scope.get("headers", []):
            if k == b"content-length" and v.isdigit() and int(v) > limit:
                response = problem_response(
                    413, "payload_too_large",
                    t(f"请求体超过上限 {limit} 字节", f"Request body exceeds {limit} bytes"),
                )
                await response(scope, receive, send)
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI re-raises HTTPException from body parsing; our handler renders 413.
                    raise HTTPException(status_code=413)
            return message

        await self.app(scope, limited_receive, send)
