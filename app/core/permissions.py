"""The permission table: which role may do what. Scope (where) comes from the role's org node."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    district_admin = "district_admin"
    street_admin = "street_admin"
    community_admin = "community_admin"
    command_operator = "command_operator"
    grid_head = "grid_head"
    grid_worker = "grid_worker"
    party_instructor = "party_instructor"
    unit_liaison = "unit_liaison"
    member = "member"
    volunteer = "volunteer"
    auditor = "auditor"


class Perm(StrEnum):
    org_read = "orgs:read"
    org_write = "orgs:write"
    grid_read = "grids:read"
    grid_write = "grids:write"
    grid_staff = "grids:staff"
    user_read = "users:read"
    user_write = "users:write"
    audit_read = "audit:read"
    case_read = "cases:read"
    case_report = "cases:report"
    case_dispatch = "cases:dispatch"  # accept, reject, dispatch, merge
    case_handle = "cases:handle"  # start, resolve, return; self_resolve on the spot
    case_verify = "cases:verify"  # verify, rework
    case_admin = "cases:admin"  # suspend, resume (挂账)
    webhook_manage = "webhooks:manage"
    patrol_read = "patrols:read"
    patrol_write = "patrols:write"  # start, track and end one's own patrols
    visit_read = "visits:read"
    visit_write = "visits:write"  # log household visits, correct one's own
    visit_manage = "visits:manage"  # correct anyone's visit log (admins)
    people_read = "people:read"  # buildings, households, residents (masked)
    people_write = "people:write"
    resident_reveal = "residents:reveal"  # full ID/phone/name for a stated, audited purpose
    member_read = "members:read"  # party members (masked), search-campaign findings
    member_write = "members:write"  # register and reclassify members, record findings
    member_verify = "members:verify"  # the holding branch verifies or rejects a finding
    registration_review = "registrations:review"  # approve / reject 双报到 with a community
    unit_read = "units:read"  # units, their registrations, agreements, seconded cadres
    unit_write = "units:write"
    agreement_report = "agreements:report"  # report back on an agreement (双报告)
    wish_read = "wishes:read"
    wish_write = "wishes:write"  # post a resident's wish, confirm it fulfilled
    wish_claim = "wishes:claim"  # claim and fulfil a wish (a registered member, a unit)
    activity_read = "activities:read"
    activity_write = "activities:write"  # organise activities, correct attendance
    activity_join = "activities:join"  # sign up, check in and out
    market_read = "market:read"  # the love supermarket's goods
    market_write = "market:write"  # stock the shelf, hand goods over (mark collected)
    market_redeem = "market:redeem"  # spend one's own points on goods
    # A member's service record for their work unit (双报告): the unit's liaison over the
    # unit's own members; community staff read it through registrations:review instead.
    service_record_read = "members:service_record"
    task_read = "tasks:read"  # key-task lists, progress reports, weekly bulletins
    task_write = "tasks:write"  # keep the lists, split tasks, publish bulletins
    task_report = "tasks:report"  # file a responsible unit's weekly progress report
    meeting_read = "meetings:read"  # joint meetings, attendees, minutes
    meeting_write = "meetings:write"  # schedule, move, cancel, minute; resolutions → tasks
    assessment_read = "assessment:read"  # scoring sheets, rounds, results, reviews
    assessment_write = "assessment:write"  # draw up sheets, score, run reviews and rate
    assessment_report = "assessment:report"  # file one's own org's year-end report (述职)


_ADMIN = frozenset(Perm)
# Field work (patrols, visits) is logged by the grid's own staff and read by everyone above in
# scope. Admins hold the write rights too, because nobody may grant a role beyond their own, but
# the services accept a log only from a role held on the grid itself (see app/patrols/service.py).
_FIELD_LOG = frozenset({Perm.patrol_write, Perm.visit_write})
_FIELD_READ = frozenset({Perm.patrol_read, Perm.visit_read})
_STAFF_READ = frozenset({Perm.org_read, Perm.grid_read})
_FIELD = frozenset({Perm.case_read, Perm.case_report, Perm.case_handle, Perm.case_verify})
_PEOPLE = frozenset({Perm.people_read, Perm.people_write})
_WISHES = frozenset({Perm.wish_read, Perm.wish_write})
# Responsible units' staff see the tasks of their node and report on them; they read the
# meetings they are asked to attend.
_STEER_READ = frozenset({Perm.task_read, Perm.meeting_read})
_JOIN = frozenset({Perm.activity_read, Perm.activity_join, Perm.market_read,
                   Perm.market_redeem})

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.district_admin: _ADMIN,
    Role.street_admin: _ADMIN - {Perm.audit_read},
    # District and street staff assess their subtree; a community is assessed, it does not
    # assess (issue 14), though its secretary files the community's year-end report.
    Role.community_admin: _ADMIN - {Perm.audit_read, Perm.assessment_write},
    Role.command_operator: _STAFF_READ | _FIELD_READ | _STEER_READ
    | {Perm.user_read, Perm.case_read, Perm.case_report, Perm.case_dispatch, Perm.case_verify,
       Perm.people_read},
    Role.grid_head: _STAFF_READ | _FIELD | _FIELD_LOG | _FIELD_READ | _PEOPLE | _WISHES
    | {Perm.user_read, Perm.resident_reveal, Perm.member_read, Perm.activity_read,
       Perm.assessment_read, Perm.assessment_report},  # the grid branch's secretary
    # A grid worker keeps the register but sees it masked only: revealing is the head's call.
    Role.grid_worker: _STAFF_READ | _FIELD | _FIELD_LOG | _FIELD_READ | _PEOPLE | _WISHES
    | {Perm.member_read, Perm.activity_read},
    # The instructor works the grid branch's party side: its members and the search campaign.
    Role.party_instructor: _STAFF_READ
    | {Perm.case_read, Perm.case_report, Perm.member_read, Perm.member_write,
       Perm.member_verify, Perm.wish_read, Perm.activity_read},
    # A unit's liaison handles what the command center dispatches to the unit, reports back on
    # the unit's agreements and claims wishes for the unit.
    Role.unit_liaison: frozenset({Perm.org_read, Perm.case_read, Perm.case_handle,
                                  Perm.unit_read, Perm.agreement_report, Perm.wish_read,
                                  Perm.wish_claim, Perm.service_record_read, Perm.task_report}
                                 ) | _STEER_READ,
    # Residents' eyes: members and volunteers report; they see the cases they reported.
    # Registered members see and claim their community's wishes. Both sign up for activities:
    # a member registered with a community is its volunteer without a second sign-up.
    Role.member: frozenset({Perm.org_read, Perm.case_report, Perm.wish_read, Perm.wish_claim})
    | _JOIN,
    Role.volunteer: frozenset({Perm.org_read, Perm.case_report}) | _JOIN,
    Role.auditor: _STAFF_READ | _FIELD_READ | _STEER_READ
    | {Perm.user_read, Perm.audit_read, Perm.case_read, Perm.people_read, Perm.member_read,
       Perm.unit_read, Perm.wish_read, Perm.activity_read, Perm.assessment_read},
}

# Where in the tree each role may be held: the kinds of org node it can be assigned on.
ROLE_NODE_KINDS: dict[Role, frozenset[str]] = {
    Role.district_admin: frozenset({"district"}),
    Role.street_admin: frozenset({"street", "town"}),
    Role.community_admin: frozenset({"community"}),
    Role.command_operator: frozenset({"district", "street", "town"}),
    Role.grid_head: frozenset({"grid_branch"}),
    Role.grid_worker: frozenset({"grid_branch"}),
    Role.party_instructor: frozenset({"grid_branch"}),
    Role.unit_liaison: frozenset({"agency", "district", "street", "town", "community"}),
    Role.member: frozenset(
        {"community", "grid_branch", "building_group", "member_household", "agency",
         "business_district", "enterprise", "social_org_branch"}
    ),
    Role.volunteer: frozenset({"community", "grid_branch", "social_org_branch"}),
    Role.auditor: frozenset({"district", "street", "town"}),
}

# Scopes a third-party client may be granted (client credentials); same names as permissions.
CLIENT_SCOPES: frozenset[str] = frozenset(
    {Perm.org_read, Perm.grid_read, Perm.case_read, Perm.case_report, Perm.webhook_manage}
)
