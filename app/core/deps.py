"""Process-wide objects built once in `create_app` and handed to endpoints as dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.core.config import Settings
from app.core.crypto import FieldCipher
from app.core.ratelimit import RateLimits
from app.core.security import PasswordWork


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _cipher(request: Request) -> FieldCipher:
    cipher: FieldCipher = request.app.state.cipher
    return cipher


async def _limits(request: Request) -> RateLimits:
    limits: RateLimits = request.app.state.limits
    return limits


async def _passwords(request: Request) -> PasswordWork:
    passwords: PasswordWork = request.app.state.passwords
    return passwords


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


SettingsDep = Annotated[Settings, Depends(_settings)]
CipherDep = Annotated[FieldCipher, Depends(_cipher)]
LimitsDep = Annotated[RateLimits, Depends(_limits)]
PasswordsDep = Annotated[PasswordWork, Depends(_passwords)]
