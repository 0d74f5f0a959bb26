"""All ORM tables, one module per domain, imported here so metadata is complete."""

from app.models.base import Base
from app.models.cases import Case, CaseAttachment, CaseCategory, CaseEvent
from app.models.fieldwork import Patrol, PatrolCase, PatrolPoint, Visit
from app.models.grids import Grid, GridStaff
from app.models.identity import ApiClient, RefreshToken, RoleAssignment, User, WechatLogin
from app.models.notify import Notification, WebhookDelivery, WebhookSubscription
from app.models.ops import AuditEntry, IdempotencyKey, OutboxEvent
from app.models.orgs import Org
from app.models.people import Building, Household, Resident
from app.models.scoped import ScopedRow

__all__ = [
    "ApiClient",
    "AuditEntry",
    "Base",
    "Building",
    "Case",
    "CaseAttachment",
    "CaseCategory",
    "CaseEvent",
    "Grid",
    "GridStaff",
    "Household",
    "IdempotencyKey",
    "Notification",
    "Org",
    "OutboxEvent",
    "Patrol",
    "PatrolCase",
    "PatrolPoint",
    "RefreshToken",
    "Resident",
    "RoleAssignment",
    "ScopedRow",
    "User",
    "Visit",
    "WebhookDelivery",
    "WebhookSubscription",
    "WechatLogin",
]
