"""Who may do what, and where. The one place the UI and the API ask.

Roles grant actions; scope limits them to an area. A national officer (no office) sees the whole
country; an office's staff the municipalities their office serves; a municipal officer only their
municipality. Service providers, analysts and citizens get no person-level registry access: the
referral and analytics issues give them their own, narrower views.
"""

from functools import partial

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from zrunva.accounts.choices import Role

REGISTRY_VIEW = "registry.view"
REGISTRY_EDIT = "registry.edit"
HEALTH_VIEW = "registry.view_health"
AUDIT_VIEW = "audit.view"
SUBJECT_ACCESS = "audit.subject_access"
# Programme rules and parameters: the state's by administrators, a municipality's by its officers.
PROGRAMMES_DEFINE = "programmes.define"
# Reading programme rules and parameters (they hold no personal data).
PROGRAMMES_VIEW = "programmes.view"
# Home visits and rating scores: the SSA's social agents.
ASSESSMENT_RECORD = "assessment.record"
# Registering, deciding and enrolling applications: the SSA for the state's programmes, a
# municipality's officers for its own (home visits are ASSESSMENT_RECORD's).
APPLICATIONS_PROCESS = "applications.process"
# Enrolling a run's newly eligible in bulk (programmes that allow it): the SSA, asked for by
# one officer and confirmed by another.
ENROLMENT_BULK = "applications.enrol_bulk"
# Delay indicators: aggregates without personal data, for those who run and monitor services.
DELAYS_VIEW = "applications.delays"
# The notification outbox (addresses and texts of messages to applicants): administrators, to
# see what failed and send it again.
NOTIFICATIONS_MANAGE = "notifications.manage"
# Starting eligibility runs over the registry: national SSA officers and administrators for any
# area, a municipal officer for their own municipality.
ELIGIBILITY_RUN = "programmes.run"
# Handling grievances and appeals (assigning, answering, entering one at an office), in the area.
GRIEVANCES_HANDLE = "grievances.handle"
# Over the officer a grievance is assigned to: assigning an escalated one, answering any one in
# the area.
GRIEVANCES_SUPERVISE = "grievances.supervise"
# Payments: seeing a beneficiary's payment accounts (and, next, payments); recording a change of
# account, in the area.
PAYMENTS_VIEW = "payments.view"
PAYMENT_ACCOUNTS_EDIT = "payments.accounts_edit"
# Preparing, checking and approving payrolls (of the programmes one's office pays), and
# cancelling one before approval; an approved payroll is cancelled only by an administrator.
PAYROLL_MANAGE = "payments.payroll"
PAYROLL_CANCEL_APPROVED = "payments.payroll_cancel_approved"
# Suspending a beneficiary's payment and resuming it; recording and approving (four eyes) the
# recovery of an overpayment, in the programmes one's office pays, in one's area.
PAYMENT_SUSPEND = "payments.suspend"
RECOVERIES_MANAGE = "payments.recoveries"
# Statistics over the whole country whatever one's area (counts and days, never people).
STATISTICS_NATIONAL = "analytics.national"
# Others' sign-in: listing everyone's API tokens, revoking them, resetting a lost second factor.
ACCOUNTS_MANAGE = "accounts.manage"
# The catalogue of social services behind the public one: seeing entries not yet public, and
# proposing entries (`edits_provider` and `approves_provider` say which).
SERVICES_VIEW = "services.view"
SERVICES_EDIT = "services.edit"
# Questionnaires: writing and publishing forms; putting a form to a population as a survey
# (areas, targets, interviewers); answering as an interviewer (only where assigned, and a
# registry person only within one's registry scope); reading results (aggregates: cells under
# ten respondents hidden from all but the survey's owners).
FORMS_DEFINE = "questionnaires.define"
SURVEYS_MANAGE = "questionnaires.surveys"
SURVEYS_ANSWER = "questionnaires.answer"
SURVEYS_RESULTS = "questionnaires.results"
# Social work cases: workers open and work on the cases of their office's area; supervisors
# assign, transfer, review and close them; sensitive cases (violence, trafficking) are read only
# by the assigned worker, the supervisors of the area, colleagues named on the case and holders
# of an emergency access (`case_scope`); the DPO reviews every emergency access.
CASES_WORK = "cases.work"
CASES_SUPERVISE = "cases.supervise"
BREAK_GLASS_REVIEW = "cases.break_glass_review"
# The employment link (Worknet): referring a municipality's working-age benefit recipients in
# bulk, and the exchange files (the export of referrals, the import of their outcomes), in the
# area. Social workers refer one person at a time from a case (CASES_WORK) and do not hold it.
EMPLOYMENT = "cases.employment"
# The quality of social work (`cases.indicators`): counts and hours per office, municipality,
# specialisation and month, never a case or a person; supervisors their area, administrators
# and analysts the whole country (`indicator_scope`).
CASES_INDICATORS = "cases.indicators"
# Answering referrals to one's organisation's services (accept, decline, complete): providers'
# staff, who see only the referrals to their organisation (`referral_scope`).
REFERRALS_ANSWER = "cases.referrals_answer"
# Assessing services against a published standard (`assesses_service` says which services):
# administrators and national SSA officers anywhere, office and municipal staff in their area,
# an accredited civil-society organisation's monitors in the municipalities it serves.
SERVICES_ASSESS = "services.assess"
# Other agencies' access to the registry (the DCI search API): their legal basis, the fields
# each may receive, their keys, and the log of every query they made. The data protection
# officer, who answers for each disclosure, and administrators.
AGENCIES_MANAGE = "integration.agencies"

# Imports from other registries (the civil registry's deaths, a ministry's list): defining a
# source (its columns, what it may change) is an administrator's; running a file of it, national
# SSA officers for national registries and a municipality's officers for its own lists.
IMPORT_SOURCES_MANAGE = "integration.sources"
IMPORTS_RUN = "integration.import"
# Searching the registry for duplicates (record linkage): national SSA officers over the whole
# country, an office's over its area; reviewing the pairs found, registry editors in their area.
LINKAGE_RUN = "integration.linkage_run"
LINKAGE_REVIEW = "integration.linkage_review"
# Merging two registry records of one person or household into one, and undoing a merge:
# SSA officers (and administrators), with both records in their area.
RECORDS_MERGE = "integration.merge"
# The registry's data quality (records with likely problems, counts over time): the staff who
# correct the registry, for the municipalities of their area.
DATA_QUALITY_VIEW = "integration.quality"

# Analytics and policy (issue 18). Monitoring dashboards and coverage: staff in their area (as
# for every other read), analysts the whole country (`analytics_scope`); whoever has no
# person-level registry access (analysts) sees every cell under ten people suppressed, as the
# public does.
ANALYTICS_VIEW = "analytics.dashboards"
# Reform simulation: building, running and sharing scenarios over a snapshot of the registry.
SIMULATION_RUN = "analytics.simulate"
# Municipal social budgets: entering or importing a municipality's planned budget (its own
# officers, administrators anywhere); the budgets and their execution are public.
BUDGETS_EDIT = "analytics.budgets"
# Civil society's monitoring: an accredited organisation's monitors publish reports with
# recommendations to the municipalities it serves; the municipality's officers answer them.
MONITORING_PUBLISH = "analytics.monitoring_publish"
RECOMMENDATIONS_ANSWER = "analytics.recommendations_answer"

# Special-category (health) fields of a person, shown and written only with HEALTH_VIEW.
HEALTH_FIELDS = frozenset({"disability_degree", "chronic_illness"})

_GRANTS: dict[str, frozenset[str]] = {
    REGISTRY_VIEW: frozenset(
        {Role.ADMIN, Role.SSA_OFFICER, Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.MUNICIPAL_OFFICER}
    ),
    REGISTRY_EDIT: frozenset({Role.ADMIN, Role.SSA_OFFICER, Role.MUNICIPAL_OFFICER}),
    # Disability and health are special-category data: only roles that decide on or work with them.
    HEALTH_VIEW: frozenset(
        {Role.ADMIN, Role.SSA_OFFICER, Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.DPO}
    ),
    # The audit trail records who read whose data, administrators' work included: only the data
    # protection officer reads it.
    AUDIT_VIEW: frozenset({Role.DPO}),
    SUBJECT_ACCESS: frozenset({Role.DPO}),
    PROGRAMMES_DEFINE: frozenset({Role.ADMIN, Role.MUNICIPAL_OFFICER}),
    PROGRAMMES_VIEW: frozenset(
        {
            Role.ADMIN,
            Role.SSA_OFFICER,
            Role.SOCIAL_WORKER,
            Role.SUPERVISOR,
            Role.MUNICIPAL_OFFICER,
            Role.ANALYST,
        }
    ),
    ASSESSMENT_RECORD: frozenset({Role.ADMIN, Role.SSA_OFFICER}),
    NOTIFICATIONS_MANAGE: frozenset({Role.ADMIN}),
    ELIGIBILITY_RUN: frozenset({Role.ADMIN, Role.SSA_OFFICER, Role.MUNICIPAL_OFFICER}),
    APPLICATIONS_PROCESS: frozenset({Role.ADMIN, Role.SSA_OFFICER, Role.MUNICIPAL_OFFICER}),
    ENROLMENT_BULK: frozenset({Role.ADMIN, Role.SSA_OFFICER}),
    DELAYS_VIEW: frozenset({Role.ADMIN, Role.SSA_OFFICER, Role.MUNICIPAL_OFFICER, Role.ANALYST}),
    GRIEVANCES_HANDLE: frozenset(
        {Role.ADMIN, Role.SSA_OFFICER, Role.MUNICIPAL_OFFICER, Role.SUPERVISOR}
    ),
    GRIEVANCES_SUPERVISE: frozenset({Role.ADMIN, Role.SUPERVISOR}),
    STATISTICS_NATIONAL: frozenset({Role.ANALYST}),
    PAYMENTS_VIEW: frozenset(
        {Role.ADMIN, Role.SSA_OFFICER, Role.MUNICIPAL_OFFICER, Role.SUPERVISOR, Role.SOCIAL_WORKER}
    ),
    PAYMENT_ACCOUNTS_EDIT: frozenset({Role.ADMIN, Role.SSA_OFFICER, Role.MUNICIPAL_OFFICER}),
    PAYROLL_MANAGE: frozenset({Role.ADMIN, Role.SSA_OFFICER, Role.MUNICIPAL_OFFICER}),
    PAYROLL_CANCEL_APPROVED: frozenset({Role.ADMIN}),
    PAYMENT_SUSPEND: frozenset({Role.ADMIN, Role.SSA_OFFICER, Role.MUNICIPAL_OFFICER}),
    RECOVERIES_MANAGE: frozenset({Role.ADMIN, Role.SSA_OFFICER, Role.MUNICIPAL_OFFICER}),
    ACCOUNTS_MANAGE: frozenset({Role.ADMIN}),
    SERVICES_VIEW: frozenset(
        {
            Role.ADMIN,
            Role.SSA_OFFICER,
            Role.MUNICIPAL_OFFICER,
            Role.SERVICE_PROVIDER,
            Role.SOCIAL_WORKER,
            Role.SUPERVISOR,
        }
    ),
    SERVICES_EDIT: frozenset(
        {Role.ADMIN, Role.SSA_OFFICER, Role.MUNICIPAL_OFFICER, Role.SERVICE_PROVIDER}
    ),
    FORMS_DEFINE: frozenset({Role.ADMIN, Role.ANALYST, Role.SSA_OFFICER, Role.SUPERVISOR}),
    SURVEYS_MANAGE: frozenset({Role.ADMIN, Role.ANALYST, Role.SSA_OFFICER, Role.MUNICIPAL_OFFICER}),
    SURVEYS_ANSWER: frozenset(
        {
            Role.ADMIN,
            Role.ANALYST,
            Role.SSA_OFFICER,
            Role.SOCIAL_WORKER,
            Role.SUPERVISOR,
            Role.MUNICIPAL_OFFICER,
            Role.SERVICE_PROVIDER,
            Role.CSO_MONITOR,
        }
    ),
    SURVEYS_RESULTS: frozenset(
        {
            Role.ADMIN,
            Role.ANALYST,
            Role.SSA_OFFICER,
            Role.SUPERVISOR,
            Role.MUNICIPAL_OFFICER,
            Role.SERVICE_PROVIDER,
            Role.CSO_MONITOR,
        }
    ),
    CASES_WORK: frozenset({Role.SOCIAL_WORKER, Role.SUPERVISOR}),
    CASES_SUPERVISE: frozenset({Role.SUPERVISOR}),
    BREAK_GLASS_REVIEW: frozenset({Role.DPO}),
    EMPLOYMENT: frozenset({Role.ADMIN, Role.SSA_OFFICER, Role.SUPERVISOR}),
    CASES_INDICATORS: frozenset({Role.SUPERVISOR, Role.ADMIN, Role.ANALYST}),
    REFERRALS_ANSWER: frozenset({Role.SERVICE_PROVIDER}),
    SERVICES_ASSESS: frozenset(
        {Role.ADMIN, Role.SSA_OFFICER, Role.MUNICIPAL_OFFICER, Role.CSO_MONITOR}
    ),
    IMPORT_SOURCES_MANAGE: frozenset({Role.ADMIN}),
    IMPORTS_RUN: frozenset({Role.ADMIN, Role.SSA_OFFICER, Role.MUNICIPAL_OFFICER}),
    LINKAGE_RUN: frozenset({Role.ADMIN, Role.SSA_OFFICER}),
    LINKAGE_REVIEW: frozenset({Role.ADMIN, Role.SSA_OFFICER, Role.MUNICIPAL_OFFICER}),
    AGENCIES_MANAGE: frozenset({Role.DPO, Role.ADMIN}),
    RECORDS_MERGE: frozenset({Role.ADMIN, Role.SSA_OFFICER}),
    DATA_QUALITY_VIEW: frozenset({Role.ADMIN, Role.SSA_OFFICER, Role.MUNICIPAL_OFFICER}),
    ANALYTICS_VIEW: frozenset(
        {Role.ADMIN, Role.SSA_OFFICER, Role.MUNICIPAL_OFFICER, Role.SUPERVISOR, Role.ANALYST}
    ),
    SIMULATION_RUN: frozenset({Role.ADMIN, Role.ANALYST}),
    BUDGETS_EDIT: frozenset({Role.ADMIN, Role.MUNICIPAL_OFFICER}),
    MONITORING_PUBLISH: frozenset({Role.CSO_MONITOR}),
    RECOMMENDATIONS_ANSWER: frozenset({Role.MUNICIPAL_OFFICER}),
}


def has_perm(user, perm: str) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.role in _GRANTS[perm]


def allows(perm: str):
    """`has_perm` for one permission, as a predicate on the user (menu entries, page panels)."""
    return partial(has_perm, perm=perm)


def require(user, perm: str) -> None:
    if not has_perm(user, perm):
        raise PermissionDenied(_("Your role does not allow this action."))


def municipality_scope(user) -> frozenset[int] | None:
    """The municipality ids the user may work in; None means the whole country."""
    if user.role in (Role.ADMIN, Role.DPO):
        return None
    if user.role == Role.MUNICIPAL_OFFICER:
        return frozenset({user.municipality_id}) if user.municipality_id else frozenset()
    if user.role in (Role.SSA_OFFICER, Role.SOCIAL_WORKER, Role.SUPERVISOR):
        if user.office_id is None:
            return None
        cached = getattr(user, "_scope_cache", None)
        if cached is None:
            cached = frozenset(user.office.municipalities.values_list("id", flat=True))
            user._scope_cache = cached
        return cached
    if user.role == Role.CSO_MONITOR:
        # The municipalities its organisation serves (set by an administrator).
        if not user.organisation_id:
            return frozenset()
        cached = getattr(user, "_scope_cache", None)
        if cached is None:
            cached = frozenset(user.organisation.municipalities.values_list("id", flat=True))
            user._scope_cache = cached
        return cached
    return frozenset()


def survey_scope(user) -> frozenset[int] | None:
    """The municipalities whose surveys' results the user reads (aggregates, small cells hidden):
    analysts the whole country, as for other statistics; others their registry area. Anyone
    also reads the surveys they own or interview for."""
    if has_perm(user, STATISTICS_NATIONAL):
        return None
    return municipality_scope(user)


def case_scope(user, now, *, colleagues, glass) -> Q:
    """The social work cases a user reads, as a filter on cases (`now`: emergency accesses
    still running). Outside every case: roles that do no casework. `colleagues` and `glass` are
    the named colleagues' and the emergency accesses' querysets (the cases app's models). The
    few cases the user is named on are read first, as ids: every part of the filter is then one
    an index finds (an EXISTS among the ORs made each read a scan of every case)."""
    if not has_perm(user, CASES_WORK):
        return Q(pk__in=[])
    area = municipality_scope(user)
    in_area = Q() if area is None else Q(municipality_id__in=area)
    ids = {
        *colleagues.filter(user=user).values_list("case_id", flat=True),
        *glass.filter(user=user, expires_at__gt=now).values_list("case_id", flat=True),
    }
    named = Q(assigned_to=user) | Q(pk__in=sorted(ids))
    if has_perm(user, CASES_SUPERVISE):
        return in_area | named
    return (in_area & Q(sensitive=False)) | named


def indicator_scope(user) -> frozenset[int] | None:
    """The municipalities whose social work indicators the user reads (counts and hours, no
    case): analysts the whole country, as for other statistics; supervisors their area;
    nobody without CASES_INDICATORS (an empty area)."""
    if not has_perm(user, CASES_INDICATORS):
        return frozenset()
    if has_perm(user, STATISTICS_NATIONAL):
        return None
    return municipality_scope(user)


def analytics_scope(user) -> frozenset[int] | None:
    """The municipalities whose dashboards the user reads: analysts the whole country, as for
    other statistics; other staff with ANALYTICS_VIEW their area; nobody else (an empty area)."""
    if not has_perm(user, ANALYTICS_VIEW):
        return frozenset()
    if has_perm(user, STATISTICS_NATIONAL):
        return None
    return municipality_scope(user)


def small_cells_shown(user) -> bool:
    """Whether the user's figures may show cells under ten people: only staff who could read
    the people behind them in the registry anyway. Analysts, like the public, see them
    suppressed."""
    return has_perm(user, REGISTRY_VIEW)


def referral_scope(user) -> Q:
    """The referrals a provider's user answers: those to their organisation's services."""
    if not has_perm(user, REFERRALS_ANSWER) or not user.organisation_id:
        return Q(pk__in=[])
    return Q(service__provider__organisation_id=user.organisation_id)


# Roles given only on the server (`manage.py user_role`), never in the admin: an administrator
# who could make themselves, or an account they control, the data protection officer would read
# the audit trail of their own actions (AUDIT_VIEW is the DPO's alone).
ROLES_SET_ON_THE_SERVER = frozenset({Role.DPO})


def role_set_on_the_server(role: str) -> bool:
    return role in ROLES_SET_ON_THE_SERVER


def second_factor_required(user) -> bool:
    """Who must give a second factor after their password when MFA_REQUIRED is on: those who
    reach the whole country (administrators, the DPO, SSA staff without an office) and
    superusers. Read from the user's own fields only: no query on every request."""
    if not (user and user.is_authenticated):
        return False
    if user.is_superuser or user.role in (Role.ADMIN, Role.DPO):
        return True
    return (
        user.role in (Role.SSA_OFFICER, Role.SOCIAL_WORKER, Role.SUPERVISOR)
        and user.office_id is None
    )


def in_scope(user, municipality_id: int) -> bool:
    scope = municipality_scope(user)
    return scope is None or municipality_id in scope


def require_in_scope(user, municipality_id: int) -> None:
    if not in_scope(user, municipality_id):
        raise PermissionDenied(_("This municipality is outside your area of work."))


def processes_programme(user, programme_municipality_id: int | None) -> bool:
    """Applications are processed by the programme's own office: the SSA the state's
    programmes, a municipality's officers only their municipality's."""
    if user.role == Role.MUNICIPAL_OFFICER:
        return programme_municipality_id is not None and (
            programme_municipality_id == user.municipality_id
        )
    if user.role == Role.SSA_OFFICER:
        return programme_municipality_id is None
    return True


def processed(qs, user, field: str = "programme__municipality_id"):
    """`qs` limited to what `processes_programme` allows; `field` names the programme's
    municipality id."""
    if user.role == Role.MUNICIPAL_OFFICER:
        return qs.filter(**{field: user.municipality_id})
    if user.role == Role.SSA_OFFICER:
        return qs.filter(**{f"{field}__isnull": True})
    return qs


def scoped(qs, user, field: str = "municipality_id"):
    """`qs` limited to the user's area; `field` names the municipality id to filter on."""
    scope = municipality_scope(user)
    return qs if scope is None else qs.filter(**{f"{field}__in": scope})


def processors(*, programme_municipality_id: int | None, municipality_id: int):
    """The active staff who may process a programme's applications in a municipality: the
    queryset form of `processes_programme` and `in_scope` together, for assignment lists."""
    from django.db.models import Q

    from zrunva.accounts.models import User

    if programme_municipality_id is None:
        office = Q(role=Role.SSA_OFFICER) & (
            Q(office__isnull=True) | Q(office__municipalities=municipality_id)
        )
    else:
        office = Q(
            role=Role.MUNICIPAL_OFFICER,
            municipality_id=programme_municipality_id,
        ) & Q(municipality_id=municipality_id)
    return (
        User.objects.filter(is_active=True)
        .filter(Q(role=Role.ADMIN) | office)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def holders(perm: str, *, municipality_id: int):
    """The active staff who hold `perm` with `municipality_id` in their area: the queryset form
    of `has_perm` and `in_scope` together (municipal officers their municipality, office staff
    their office's municipalities, national staff and administrators everywhere), for
    assignment lists."""
    from django.db.models import Q

    from zrunva.accounts.models import User

    roles = _GRANTS[perm]
    national = Q(role__in=(Role.ADMIN, Role.DPO)) | (
        Q(role__in=(Role.SSA_OFFICER, Role.SOCIAL_WORKER, Role.SUPERVISOR)) & Q(office__isnull=True)
    )
    office = Q(role__in=(Role.SSA_OFFICER, Role.SOCIAL_WORKER, Role.SUPERVISOR)) & Q(
        office__municipalities=municipality_id
    )
    municipal = Q(role=Role.MUNICIPAL_OFFICER, municipality_id=municipality_id)
    monitor = Q(role=Role.CSO_MONITOR, organisation__municipalities=municipality_id)
    return (
        User.objects.filter(is_active=True, role__in=roles)
        .filter(national | office | municipal | monitor)
        .distinct()
    )


# -- Health data (special category, Law on Personal Data Protection №3144) ----------------------
# Who may see it is HEALTH_VIEW; what is health data is HEALTH_FIELDS and, for programmes, the
# ids the `health_programmes` extension gives (programmes whose rules read a health field,
# registered by the programmes app, which this module may not import).


def sees_health(user) -> bool:
    return has_perm(user, HEALTH_VIEW)


def health_masked(user, values: dict, *, blank: bool = False) -> dict:
    """`values` (a record's fields, an audit row's changes) as the user may read them: the
    health fields dropped, or set to None with `blank`, unless the user sees health data."""
    if sees_health(user):
        return values
    if blank:
        return {k: (None if k in HEALTH_FIELDS else v) for k, v in values.items()}
    return {k: v for k, v in values.items() if k not in HEALTH_FIELDS}


def _health_programme_ids() -> list[int]:
    from zrunva.core import extensions

    return list(extensions.value("health_programmes", "ids", lambda: [])())


def health_programmes_hidden(qs, user, field: str = "programme_id"):
    """`qs` without the rows of programmes whose rules read health data, unless the user sees
    health data: a disability package paid to a person says they have a disability."""
    if sees_health(user):
        return qs
    return qs.exclude(**{f"{field}__in": _health_programme_ids()})


def require_health_programme(user, programme_id: int) -> None:
    """A programme whose rules read health data is processed only by staff who see health
    data: its applications and decisions say something about the applicant's health."""
    if not sees_health(user) and programme_id in _health_programme_ids():
        raise PermissionDenied(
            _("This programme's rules read health data: staff with access to it process it.")
        )


def approves_provider(user, provider) -> bool:
    """Who publishes a provider's entries: an administrator or a national SSA officer those of
    state, civil-society and private providers; a municipality's officers those of its own
    municipal providers (and no one else's)."""
    if provider is None or not has_perm(user, SERVICES_EDIT):
        return False
    if provider.kind == "municipal":
        return user.role == Role.MUNICIPAL_OFFICER and user.municipality_id == (
            provider.municipality_id
        )
    return user.role == Role.ADMIN or (user.role == Role.SSA_OFFICER and user.office_id is None)


def edits_provider(user, provider) -> bool:
    """Who may propose changes to a provider's entries: its own staff (users of its
    organisation), and those who approve them."""
    if provider is None or not has_perm(user, SERVICES_EDIT):
        return False
    if user.role == Role.SERVICE_PROVIDER:
        return provider.organisation_id is not None and (
            provider.organisation_id == user.organisation_id
        )
    return approves_provider(user, provider)


def provider_scope(user) -> Q | None:
    """The providers whose entries not yet public the user may see (None: all of them)."""
    if user.role == Role.ADMIN:
        return None
    if user.role == Role.SERVICE_PROVIDER:
        return Q(organisation_id=user.organisation_id) if user.organisation_id else Q(pk__in=[])
    if user.role == Role.MUNICIPAL_OFFICER:
        return Q(kind="municipal", municipality_id=user.municipality_id)
    if user.role == Role.SSA_OFFICER and user.office_id is None:
        return ~Q(kind="municipal")
    return Q(pk__in=[])


def assesses_service(user, service) -> bool:
    """Who may assess a service against a standard: SERVICES_ASSESS with the service's
    municipality in their area (`municipality_scope`: a monitor's are its organisation's),
    and never the service's own provider's staff: no one assesses their own service."""
    if service is None or not has_perm(user, SERVICES_ASSESS):
        return False
    if user.organisation_id is not None and (
        user.organisation_id == service.provider.organisation_id
    ):
        return False
    return in_scope(user, service.municipality_id)


def assessment_scope(user) -> Q:
    """The services whose assessments the user may see and write: `assesses_service` as a
    condition on services (the same rule, for lists)."""
    if not has_perm(user, SERVICES_ASSESS):
        return Q(pk__in=[])
    scope = municipality_scope(user)
    condition = Q() if scope is None else Q(municipality_id__in=scope)
    if user.organisation_id is not None:
        condition &= ~Q(provider__organisation_id=user.organisation_id) | Q(
            provider__organisation__isnull=True
        )
    return condition


# Roles whose users belong to an organisation and invite their colleagues to it.
ORGANISATION_ROLES = frozenset({Role.SERVICE_PROVIDER, Role.CSO_MONITOR})


def invites_to(user, organisation, role: str | None = None) -> bool:
    """Who invites users into an organisation: an administrator (with any organisation role),
    and the organisation's own staff (colleagues with their own role only)."""
    if not (user and user.is_authenticated and user.is_active) or organisation is None:
        return False
    if role is not None and role not in ORGANISATION_ROLES:
        return False
    if has_perm(user, ACCOUNTS_MANAGE):
        return True
    return (
        user.role in ORGANISATION_ROLES
        and user.organisation_id == organisation.pk
        and (role is None or role == user.role)
    )


def organisation_scope(user) -> Q | None:
    """The organisations whose staff and invitations the user sees (None: all of them)."""
    if has_perm(user, ACCOUNTS_MANAGE):
        return None
    if user.role in ORGANISATION_ROLES and user.organisation_id:
        return Q(pk=user.organisation_id)
    return Q(pk__in=[])
