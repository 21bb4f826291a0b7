"""Writes of questionnaires: forms and their versions (a draft edited, then published for good),
and responses (saved as drafts, then submitted once every answer holds)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from zrunva.core.trail import acting_as
from zrunva.questionnaires import answers, definition
from zrunva.questionnaires.choices import ResponseStatus, VersionStatus
from zrunva.questionnaires.models import Form, FormVersion, Response


def _checked(data) -> dict:
    errors = definition.check(data)
    if errors:
        raise ValidationError({"definition": errors})
    return data


@transaction.atomic
def form_create(*, actor, code: str, name_ka: str, name_en: str, questions: dict, **texts) -> Form:
    """A new form with its first version as a draft."""
    form = Form(code=code, name_ka=name_ka, name_en=name_en, owner=actor, **texts)
    form.full_clean()
    _checked(questions)
    with acting_as(actor):
        form.save()
        FormVersion.objects.create(form=form, number=1, definition=questions)
    return form


@transaction.atomic
def draft_save(*, actor, form: Form, questions: dict) -> FormVersion:
    """Save the form's draft version (starting one after the latest if none is open)."""
    _checked(questions)
    form = Form.objects.select_for_update().get(pk=form.pk)
    draft = form.versions.filter(status=VersionStatus.DRAFT).first()
    with acting_as(actor):
        if draft is None:
            latest = form.versions.aggregate(n=Max("number"))["n"] or 0
            draft = FormVersion(form=form, number=latest + 1)
        draft.definition = questions
        draft.save()
    return draft


@transaction.atomic
def version_publish(*, actor, version: FormVersion) -> FormVersion:
    """Publish a draft: from now on it is answered and never changes. The version published
    before it is retired (its answers stay, mapped to the new one by question key)."""
    version = FormVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise ValidationError(_("Only a draft can be published; this version is published."))
    _checked(version.definition)
    with acting_as(actor):
        for older in version.form.versions.filter(status=VersionStatus.PUBLISHED):
            older.status = VersionStatus.RETIRED
            older.save(update_fields=["status"])
        version.status = VersionStatus.PUBLISHED
        version.published_at, version.published_by = timezone.now(), actor
        version.save(update_fields=["status", "published_at", "published_by"])
    return version


@transaction.atomic
def response_save(
    *,
    actor,
    version: FormVersion,
    given: dict,
    submit: bool,
    response: Response | None = None,
    person=None,
    household=None,
    municipality=None,
    find_person=None,
) -> Response:
    """Keep a response: as a draft (the answers that hold are kept, whatever else is missing or
    wrong), or submitted, only when every answer holds (otherwise a ValidationError naming each
    fault's place, and nothing is saved)."""
    if version.status != VersionStatus.PUBLISHED:
        raise ValidationError(_("This form version is not open for answers."))
    if response is not None:
        response = Response.objects.select_for_update().get(pk=response.pk)
        if response.status == ResponseStatus.SUBMITTED:
            raise ValidationError(_("This response is submitted already."))
        if response.version_id != version.pk:
            raise ValidationError(_("This response answers another version."))
    clean, errors = answers.check(version.definition, given, person=find_person)
    if submit and errors:
        raise ValidationError(
            {f"answers.{place}" if place else "answers": m for place, m in errors.items()}
        )
    if response is None:
        response = Response(
            version=version,
            person=person,
            household=household,
            municipality=municipality,
            entered_by=actor,
        )
    response.answers = clean
    if submit:
        response.status, response.submitted_at = ResponseStatus.SUBMITTED, timezone.now()
    with acting_as(actor):
        response.save()
    return response
