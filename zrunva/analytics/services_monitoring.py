"""Civil society's monitoring: a report written and published by an accredited organisation's
monitor, and the municipality's answers to its recommendations, each move one service.

Who (accounts.permissions): MONITORING_PUBLISH (an organisation's monitors) write and publish
reports of their own organisation, addressed to a municipality the organisation serves;
RECOMMENDATIONS_ANSWER (a municipality's officers) answer, report progress on and close the
recommendations addressed to their own municipality. Every move is checked against
`TRANSITIONS`, the one table of where a recommendation may go."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from zrunva.accounts import permissions
from zrunva.analytics.choices_budgets import (
    Answer,
    RecommendationEventKind,
    RecommendationStatus,
    ReportStatus,
    ReportSubject,
)
from zrunva.analytics.models import MonitoringReport, Recommendation
from zrunva.core.casework import case_event, case_lock, new_number, staff_name
from zrunva.core.trail import acting_as
from zrunva.notifications.models import Channel
from zrunva.notifications.services import message_queue

S = RecommendationStatus
# (where it is, what is done) → where it goes. Anything else is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, "publish"): S.OPEN,
    (S.OPEN, "answer"): S.ANSWERED,
    (S.ANSWERED, "progress"): S.IN_PROGRESS,
    (S.IN_PROGRESS, "progress"): S.IN_PROGRESS,
    (S.ANSWERED, "close"): S.CLOSED,
    (S.IN_PROGRESS, "close"): S.CLOSED,
}
ACTION_NAMES = {  # lazy: read when a move is refused, in its language
    "publish": pgettext_lazy("recommendation action", "published"),
    "answer": pgettext_lazy("recommendation action", "answered"),
    "progress": pgettext_lazy("recommendation action", "given a progress report"),
    "close": pgettext_lazy("recommendation action", "closed"),
}


def next_status(recommendation: Recommendation, action: str) -> str:
    """Where `action` takes the recommendation, or a ValidationError saying it cannot."""
    target = TRANSITIONS.get((recommendation.status, action))
    if target is None:
        raise ValidationError(
            _("A recommendation that is %(status)s cannot be %(action)s.")
            % {
                "status": recommendation.get_status_display().lower(),
                "action": ACTION_NAMES.get(action, action),
            }
        )
    return target


# -- Who ------------------------------------------------------------------------------------------


def writes_report(user, report: MonitoringReport) -> bool:
    """A monitor of the report's organisation, the report's municipality among those the
    organisation serves (`permissions.municipality_scope` of a monitor)."""
    return (
        permissions.has_perm(user, permissions.MONITORING_PUBLISH)
        and user.organisation_id is not None
        and user.organisation_id == report.organisation_id
        and permissions.in_scope(user, report.municipality_id)
    )


def answers_for(user, municipality_id: int) -> bool:
    """A municipality's officer, for their own municipality only."""
    return (
        permissions.has_perm(user, permissions.RECOMMENDATIONS_ANSWER)
        and user.municipality_id is not None
        and user.municipality_id == municipality_id
    )


def require_writes(user, report: MonitoringReport) -> None:
    permissions.require(user, permissions.MONITORING_PUBLISH)
    if not writes_report(user, report):
        raise PermissionDenied(
            _("Only your organisation's monitors write its reports, to municipalities it serves.")
        )


def require_answers(user, recommendation: Recommendation) -> None:
    permissions.require(user, permissions.RECOMMENDATIONS_ANSWER)
    if not answers_for(user, recommendation.report.municipality_id):
        raise PermissionDenied(
            _("Only the officers of the municipality a recommendation is addressed to answer it.")
        )


# -- The organisation's report --------------------------------------------------------------------

REPORT_FIELDS = {"municipality", "subject", "service", "title", "period", "findings"}


def _report_check(report: MonitoringReport) -> None:
    errors: dict[str, list[str]] = {}
    if report.subject == ReportSubject.SERVICE:
        if report.service_id is None:
            errors["service"] = [_("Choose the service the report is about.")]
        elif report.service.municipality_id != report.municipality_id:
            errors["service"] = [_("The service is not in the municipality the report addresses.")]
    else:
        report.service = None
    try:
        report.full_clean(exclude=["number", "organisation", "written_by"])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def report_save(*, actor, report: MonitoringReport | None, data: dict) -> MonitoringReport:
    """Write a draft report (`report=None`: a new one, of the actor's organisation). Only a
    draft changes: a published report is the organisation's public word."""
    permissions.require(actor, permissions.MONITORING_PUBLISH)
    if actor.organisation_id is None:
        raise PermissionDenied(_("Your account belongs to no organisation."))
    unknown = set(data) - REPORT_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in unknown})
    if report is None:
        report = MonitoringReport(
            organisation_id=actor.organisation_id,
            written_by=actor,
            number=new_number("MR"),
        )
    else:
        report = MonitoringReport.objects.select_for_update().get(pk=report.pk)
        require_writes(actor, report)
        if report.status != ReportStatus.DRAFT:
            raise ValidationError(_("A published report is not changed."))
    for name, value in data.items():
        setattr(report, name, value)
    if report.municipality_id is not None and not permissions.in_scope(
        actor, report.municipality_id
    ):
        raise ValidationError(
            {"municipality": [_("Your organisation does not serve this municipality.")]}
        )
    _report_check(report)
    with acting_as(actor):
        report.save()
    return report


@transaction.atomic
def recommendation_add(*, actor, report: MonitoringReport, text: str) -> Recommendation:
    report = MonitoringReport.objects.select_for_update().get(pk=report.pk)
    require_writes(actor, report)
    if report.status != ReportStatus.DRAFT:
        raise ValidationError(_("Recommendations are added to a draft report only."))
    if not text.strip():
        raise ValidationError({"text": [_("Write the recommendation.")]})
    position = (report.recommendations.aggregate(last=Max("position"))["last"] or 0) + 1
    with acting_as(actor):
        return Recommendation.objects.create(report=report, position=position, text=text.strip())


@transaction.atomic
def recommendation_remove(*, actor, recommendation: Recommendation) -> None:
    report = MonitoringReport.objects.select_for_update().get(pk=recommendation.report_id)
    require_writes(actor, report)
    if report.status != ReportStatus.DRAFT:
        raise ValidationError(_("A published report's recommendations stay."))
    with acting_as(actor):
        recommendation.delete()


@transaction.atomic
def report_publish(*, actor, report: MonitoringReport) -> MonitoringReport:
    """Publish a draft: it becomes public with its recommendations, each now waiting for the
    municipality's answer, and the municipality's officers are told (by e-mail, through the
    outbox, once the transaction commits)."""
    report = MonitoringReport.objects.select_for_update().get(pk=report.pk)
    require_writes(actor, report)
    if report.status != ReportStatus.DRAFT:
        raise ValidationError(_("This report is already published."))
    recommendations = list(report.recommendations.select_for_update())
    if not recommendations:
        raise ValidationError(_("Add at least one recommendation before publishing."))
    with acting_as(actor):
        report.status = ReportStatus.PUBLISHED
        report.published_at = timezone.now()
        report.published_by = actor
        report.save(update_fields=["status", "published_at", "published_by"])
        for recommendation in recommendations:
            recommendation.status = next_status(recommendation, "publish")
            recommendation.save(update_fields=["status"])
            case_event(recommendation, actor=actor, kind=RecommendationEventKind.PUBLISHED)
    _tell_officers(report)
    return report


def _tell_officers(report: MonitoringReport) -> None:
    officers = permissions.holders(
        permissions.RECOMMENDATIONS_ANSWER, municipality_id=report.municipality_id
    ).exclude(email="")
    for officer in officers:
        message_queue(
            channel=Channel.EMAIL,
            to=officer.email,
            language="ka",
            subject=_("Monitoring report %(number)s: recommendations to your municipality")
            % {"number": report.number},
            body=_(
                "%(organisation)s published the monitoring report “%(title)s” with "
                "%(count)s recommendations to %(municipality)s. Answer each in Zrunva "
                "(Monitoring)."
            )
            % {
                "organisation": report.organisation.name,
                "title": report.title,
                "count": report.recommendations.count(),
                "municipality": report.municipality.name,
            },
            reference=report.number,
        )


# -- The municipality's answers -------------------------------------------------------------------


def _locked(recommendation: Recommendation) -> Recommendation:
    return case_lock(recommendation, "report__municipality", "report__organisation")


@transaction.atomic
def recommendation_answer(
    *, actor, recommendation: Recommendation, answer: str, reasons: str
) -> Recommendation:
    """The municipality accepts, partly accepts or rejects a recommendation, always with its
    reasons."""
    recommendation = _locked(recommendation)
    require_answers(actor, recommendation)
    target = next_status(recommendation, "answer")
    errors = {}
    if answer not in Answer.values:
        errors["answer"] = [_("Choose accepted, partly accepted or rejected.")]
    if not reasons.strip():
        errors["reasons"] = [_("Give the reasons for the answer.")]
    if errors:
        raise ValidationError(errors)
    with acting_as(actor):
        recommendation.status = target
        recommendation.answer = answer
        recommendation.reasons = reasons.strip()
        recommendation.answered_by = actor
        recommendation.answered_at = timezone.now()
        recommendation.save(
            update_fields=["status", "answer", "reasons", "answered_by", "answered_at"]
        )
        case_event(
            recommendation,
            actor=actor,
            kind=RecommendationEventKind.ANSWERED,
            note=f"{recommendation.get_answer_display()}: {recommendation.reasons}",
        )
    return recommendation


@transaction.atomic
def recommendation_progress(
    *, actor, recommendation: Recommendation, on: date, text: str, final: bool = False
) -> Recommendation:
    """A dated report of what the municipality did on an accepted (or partly accepted)
    recommendation; `final` when the work is done, which lets it be closed."""
    recommendation = _locked(recommendation)
    require_answers(actor, recommendation)
    target = next_status(recommendation, "progress")
    if recommendation.answer == Answer.REJECTED:
        raise ValidationError(_("A rejected recommendation has no progress to report: close it."))
    errors = {}
    if on is None or on > timezone.localdate():
        errors["on"] = [_("The date of the progress, not later than today.")]
    elif recommendation.answered_at and on < timezone.localtime(recommendation.answered_at).date():
        errors["on"] = [_("Progress is reported from the day of the answer.")]
    if not text.strip():
        errors["text"] = [_("Say what was done.")]
    if errors:
        raise ValidationError(errors)
    with acting_as(actor):
        recommendation.status = target
        recommendation.save(update_fields=["status"])
        case_event(
            recommendation,
            actor=actor,
            kind=RecommendationEventKind.PROGRESS,
            on=on,
            final=final,
            note=text.strip(),
        )
    return recommendation


@transaction.atomic
def recommendation_close(
    *, actor, recommendation: Recommendation, note: str = ""
) -> Recommendation:
    """Close a recommendation: a rejected one once answered; an accepted or partly accepted one
    only after a final progress report."""
    recommendation = _locked(recommendation)
    require_answers(actor, recommendation)
    target = next_status(recommendation, "close")
    if (
        recommendation.answer != Answer.REJECTED
        and not recommendation.events.filter(
            kind=RecommendationEventKind.PROGRESS, final=True
        ).exists()
    ):
        raise ValidationError(
            _("An accepted recommendation is closed after a final progress report.")
        )
    with acting_as(actor):
        recommendation.status = target
        recommendation.closed_at = timezone.now()
        recommendation.save(update_fields=["status", "closed_at"])
        case_event(
            recommendation, actor=actor, kind=RecommendationEventKind.CLOSED, note=note.strip()
        )
    return recommendation


def who(event) -> str:
    return staff_name(event.actor) if event.actor else str(event.by())
