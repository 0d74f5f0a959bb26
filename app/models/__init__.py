"""All ORM tables, one module per domain, imported here so metadata is complete."""

from app.models.assessment import (
    AssessmentItem,
    AssessmentRound,
    AssessmentScore,
    AssessmentSheet,
    Review,
    ReviewRating,
    ReviewReport,
)
from app.models.base import Base
from app.models.cases import Case, CaseAttachment, CaseCategory, CaseEvent
from app.models.coconstruction import (
    Agreement,
    AgreementProject,
    AgreementReport,
    Cadre,
    Registration,
    Unit,
    UnitRegistration,
    Wish,
)
from app.models.fieldwork import Patrol, PatrolCase, PatrolPoint, Visit
from app.models.grids import Grid, GridStaff
from app.models.identity import ApiClient, RefreshToken, RoleAssignment, User, WechatLogin
from app.models.meetings import Meeting, MeetingAttendee
from app.models.members import (
    BuildingGroupBuilding,
    Member,
    MemberFinding,
    MemberHouseholdLink,
)
from app.models.notify import Notification, WebhookDelivery, WebhookSubscription
from app.models.ops import AuditEntry, AuditPurgeGate, IdempotencyKey, OutboxEvent
from app.models.orgs import Org
from app.models.people import Building, Household, Resident, ResidentImport
from app.models.scoped import ScopedRow
from app.models.tasks import KeyTask, TaskBulletin, TaskReport, TaskResponsible
from app.models.volunteers import (
    Activity,
    ActivitySignup,
    MarketGoods,
    PointsAccount,
    PointsEntry,
    PointsPosting,
    PointsRule,
    Redemption,
    ServiceCertificate,
    TeamMembership,
    VolunteerProfile,
    VolunteerTeam,
)

__all__ = [
    "Activity",
    "ActivitySignup",
    "Agreement",
    "AgreementProject",
    "AgreementReport",
    "ApiClient",
    "AssessmentItem",
    "AssessmentRound",
    "AssessmentScore",
    "AssessmentSheet",
    "AuditEntry",
    "AuditPurgeGate",
    "Base",
    "Building",
    "BuildingGroupBuilding",
    "Cadre",
    "Case",
    "CaseAttachment",
    "CaseCategory",
    "CaseEvent",
    "Grid",
    "GridStaff",
    "Household",
    "IdempotencyKey",
    "KeyTask",
    "MarketGoods",
    "Meeting",
    "MeetingAttendee",
    "Member",
    "MemberFinding",
    "MemberHouseholdLink",
    "Notification",
    "Org",
    "OutboxEvent",
    "Patrol",
    "PatrolCase",
    "PatrolPoint",
    "PointsAccount",
    "PointsEntry",
    "PointsPosting",
    "PointsRule",
    "Redemption",
    "RefreshToken",
    "Registration",
    "Resident",
    "ResidentImport",
    "Review",
    "ReviewRating",
    "ReviewReport",
    "RoleAssignment",
    "ScopedRow",
    "ServiceCertificate",
    "TaskBulletin",
    "TaskReport",
    "TaskResponsible",
    "TeamMembership",
    "Unit",
    "UnitRegistration",
    "User",
    "Visit",
    "VolunteerProfile",
    "VolunteerTeam",
    "WebhookDelivery",
    "WebhookSubscription",
    "WechatLogin",
    "Wish",
]
