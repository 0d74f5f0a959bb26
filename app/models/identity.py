"""Users, role assignments, refresh tokens, third-party clients and WeChat logins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.crypto import encrypted
from app.core.types import UTCDateTime, path_type, utcnow
from app.models.base import Base, IdMixin, TimestampMixin
from app.models.scoped import ScopedRow


class User(IdMixin, TimestampMixin, ScopedRow, Base):
    __tablename__ = "users"
    __scope_columns__ = ("org_path", None, None)

    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    # Phone numbers are personal data: AES-GCM ciphertext plus an HMAC blind index.
    phone_cipher: Mapped[str | None] = mapped_column(String(255), info=encrypted("user.phone"))
    phone_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    wechat_openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    wechat_unionid: Mapped[str | None] = mapped_column(String(64), index=True)
    # Home org: decides which admins see and manage the account.
    org_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"), index=True
    )
    org_path: Mapped[str | None] = mapped_column(path_type(), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class RoleAssignment(IdMixin, ScopedRow, Base):
    __tablename__ = "role_assignments"
    __scope_columns__ = ("org_path", None, None)

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(32))
    org_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"), index=True
    )
    org_path: Mapped[str] = mapped_column(path_type(), index=True)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "role", "org_id"),)


class RefreshToken(IdMixin, Base):
    __tablename__ = "refresh_tokens"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when the token was exchanged for a new one; presenting it again is reuse.
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApiClient(IdMixin, ScopedRow, Base):
    __tablename__ = "api_clients"
    __scope_columns__ = ("org_path", None, None)

    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(255))
    # API keys (Open311) are looked up by a prefix and checked against a hash.
    api_key_prefix: Mapped[str] = mapped_column(String(16), unique=True)
    api_key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    org_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("orgs.id", ondelete="RESTRICT"), index=True
    )
    org_path: Mapped[str] = mapped_column(path_type(), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WechatLogin(Base):
    """A `wx.login` code already exchanged: a retry within minutes gets the same user back."""

    __tablename__ = "wechat_logins"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    is_new: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
