"""Personal data at rest: AES-GCM with a key id, an HMAC blind index, and display masks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.core.config import Settings

CONTEXT_INFO = "cipher_context"


def encrypted(context: str) -> dict[str, str]:
    """A column's `info` naming the context its values are encrypted under: what lets
    `gridapi reencrypt` find every ciphertext and open it (the context is authenticated data,
    so a value opens only under its own)."""
    return {CONTEXT_INFO: context}


class FieldCipher:
    """Ciphertext format: "<kid>:<base64(nonce || ciphertext+tag)>"; old keys still decrypt."""

    def __init__(self, keys: dict[str, str], current_kid: str, index_key: str) -> None:
        self._keys = {kid: AESGCM(base64.b64decode(k)) for kid, k in keys.items()}
        self._kid = current_kid
        self._index_key = index_key.encode()

    @classmethod
    def from_settings(cls, settings: Settings) -> FieldCipher:
        return cls(settings.data_keys, settings.data_kid, settings.blind_index_key)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._keys[self._kid].encrypt(nonce, plaintext.encode(), context.encode())
        return f"{self._kid}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, *, context: str) -> str:
        kid, _, data = token.partition(":")
        raw = base64.b64decode(data)
        return self._keys[kid].decrypt(raw[:12], raw[12:], context.encode()).decode()

    def blind_index(self, value: str, *, context: str) -> str:
        """Deterministic keyed hash for exact lookup and uniqueness without the plaintext."""
        msg = f"{context}\0{value}".encode()
        return hmac.new(self._index_key, msg, hashlib.sha256).hexdigest()

    def needs_rotation(self, token: str) -> bool:
        return not token.startswith(self._kid + ":")

    def kid_of(self, token: str) -> str:
        return token.partition(":")[0]

    def knows(self, kid: str) -> bool:
        return kid in self._keys

    def rotate(self, token: str, *, context: str) -> str:
        """The same value under the current key."""
        return self.encrypt(self.decrypt(token, context=context), context=context)


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_id_number(value: str | None) -> str | None:
    if not value:
        return value
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)
