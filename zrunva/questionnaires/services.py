"""Writes of questionnaires: forms and their versions (a draft edited, then published for good),
and responses (saved as drafts, then submitted once every answer holds)."""

from collections import Counter
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.core.trail import acting_as
from zrunva.questionnaires import answers, definition, selectors, tallies
from zrunva.questionnaires.choices import ResponseStatus, Subject, SurveyStatus, VersionStatus
from zrunva.questionnaires.models import (
    Assignment,
    Form,
    FormVersion,
    Response,
    Survey,
    SurveyArea,
    Tally,
)
from zrunva.registry import selectors as registry


def _checked(data, *, complete: bool = True) -> dict:
    errors = definition.check(data, complete=complete)
    if errors:
        raise ValidationError({"definition": errors})
    return data


@transaction.atomic
def form_create(*, actor, code: str, name_ka: str, name_en: str, questions: dict, **texts) -> Form:
    """A new form with its first version as a draft."""
    permissions.require(actor, permissions.FORMS_DEFINE)
    form = Form(code=code, name_ka=name_ka, name_en=name_en, owner=actor, **texts)
    form.full_clean()
    _checked(questions, complete=False)
    with acting_as(actor):
        form.save()
        FormVersion.objects.create(form=form, number=1, definition=questions)
    return form


@transaction.atomic
def draft_save(*, actor, form: Form, questions: dict) -> FormVersion:
    """Save the form's draft version (starting one after the latest if none is open). A draft
    may hold an empty section or group; every other fault is refused, with its place."""
    permissions.require(actor, permissions.FORMS_DEFINE)
    _checked(questions, complete=False)
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
def form_import(*, actor, imported) -> Form:
    """A form read from a file (`transfer.Imported`): a new form if its code is new, else the
    next draft of the form with that code (its names and texts stay as they are here)."""
    form = Form.objects.filter(code=imported.code).first()
    if form is None:
        return form_create(actor=actor, questions=imported.definition, **imported.form_fields())
    draft_save(actor=actor, form=form, questions=imported.definition)
    return form


@transaction.atomic
def version_publish(*, actor, version: FormVersion) -> FormVersion:
    """Publish a draft: from now on it is answered and never changes. The version published
    before it is retired (its answers stay, mapped to the new one by question key)."""
    permissions.require(actor, permissions.FORMS_DEFINE)
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


def _tally_add(survey_id: int, municipality_id: int, cells: Counter, sums: dict) -> None:
    """Add one submission's cells to the survey's tallies (an UPDATE adding to the count, so
    two interviewers submitting at once both count; a missing cell is created, and if another
    submission created it first, added to)."""
    if connection.vendor == "postgresql":
        _tally_upsert(survey_id, municipality_id, cells, sums)
        return
    for (key, value), count in cells.items():
        total = sums.get((key, value), Decimal(0))
        where = {"survey_id": survey_id, "municipality_id": municipality_id}
        where.update(key=key, value=value)
        added = Tally.objects.filter(**where).update(
            count=F("count") + count, total=F("total") + total
        )
        if added:
            continue
        try:
            with transaction.atomic():
                Tally.objects.create(**where, count=count, total=total)
        except IntegrityError:
            Tally.objects.filter(**where).update(count=F("count") + count, total=F("total") + total)


def _tally_upsert(survey_id: int, municipality_id: int, cells: Counter, sums: dict) -> None:
    """`_tally_add` on PostgreSQL in one statement: a 60-question submission adds to 60 to 100
    cells, and one UPDATE each was two thirds of the submit's time (bench/questionnaires.py).
    ON CONFLICT adds to a cell that exists, atomically as the UPDATE does, and creates a missing
    one (or adds to it if another submission created it first) as the SQLite path does."""
    table = connection.ops.quote_name(Tally._meta.db_table)
    # The cells in one order for every submission, so two submitting at once lock them in the
    # same order and never deadlock.
    rows = sorted(cells.items())
    params = []
    for (key, value), count in rows:
        params += [survey_id, municipality_id, key, value, count, sums.get((key, value), 0)]
    placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(rows))
    sql = (
        f"INSERT INTO {table} AS tally (survey_id, municipality_id, key, value, count, total) "  # noqa: S608 (the model's table name and placeholders: values go as parameters)
        f"VALUES {placeholders} ON CONFLICT (survey_id, municipality_id, key, value) DO UPDATE "
        "SET count = tally.count + excluded.count, total = tally.total + excluded.total"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@transaction.atomic
def response_save(
    *,
    actor,
    version: FormVersion,
    given: dict,
    submit: bool,
    response: Response | None = None,
    survey: Survey | None = None,
    person=None,
    household=None,
    municipality=None,
    find_person=None,
) -> Response:
    """Keep a response: as a draft (the answers that hold are kept, whatever else is missing or
    wrong), or submitted, only when every answer holds (otherwise a ValidationError naming each
    fault's place, and nothing is saved). A survey's response counts in its tallies when
    submitted; an anonymous survey's holds no person or household."""
    if version.status != VersionStatus.PUBLISHED:
        raise ValidationError(_("This form version is not open for answers."))
    if response is not None:
        response = Response.objects.select_for_update().get(pk=response.pk)
        if response.status == ResponseStatus.SUBMITTED:
            raise ValidationError(_("This response is submitted already."))
        if response.version_id != version.pk:
            raise ValidationError(_("This response answers another version."))
        survey, municipality = response.survey, response.municipality
        person, household = response.person, response.household
    if survey is not None:
        # As it is now, not as the caller read it: it may have closed since.
        survey = Survey.objects.get(pk=survey.pk)
        _survey_takes(survey, actor=actor, version=version, municipality=municipality)
        if survey.subject == Subject.ANONYMOUS:
            person = household = None
        elif survey.subject == Subject.PERSON and person is None:
            raise ValidationError({"person": _("Choose the person the answers are about.")})
        elif survey.subject == Subject.HOUSEHOLD and household is None:
            raise ValidationError({"household": _("Choose the household the answers are about.")})
    clean, errors = answers.check(version.definition, given, person=find_person)
    if submit and errors:
        raise ValidationError(
            {f"answers.{place}" if place else "answers": m for place, m in errors.items()}
        )
    if response is None:
        response = Response(
            version=version,
            survey=survey,
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
    if submit and survey is not None:
        cells, sums = tallies.cells(version.definition, clean)
        _tally_add(survey.pk, municipality.pk, cells, sums)
    return response


def person_finder(actor):
    """How an answer to a "person" question is found: a registry person the one answering may
    see, by personal number (each lookup audited); None when their role reads no registry."""
    if not permissions.has_perm(actor, permissions.REGISTRY_VIEW):
        return None

    def find(value):
        person = registry.person_by_number(
            actor=actor, personal_number=str(value).strip(), purpose="survey answer"
        )
        return person.pk if person else None

    return find


def interview_subject(*, actor, survey: Survey, personal_number: str) -> tuple:
    """The (person, household) a linked survey's answers are about, found by a personal number
    within the interviewer's registry area (the lookup is audited); (None, None) for an anonymous
    survey, whatever was typed."""
    if survey.subject == Subject.ANONYMOUS:
        return None, None
    number = (personal_number or "").strip()
    found = None
    if number and permissions.has_perm(actor, permissions.REGISTRY_VIEW):
        found = registry.person_by_number(actor=actor, personal_number=number, purpose="survey")
    if found is None:
        raise ValidationError(
            {"personal_number": _("No person you may see has this personal number.")}
        )
    if survey.subject == Subject.PERSON:
        return found, None
    membership = found.memberships.filter(end_date__isnull=True).select_related("household").first()
    if membership is None:
        raise ValidationError({"personal_number": _("This person belongs to no household now.")})
    return None, membership.household


def _survey_takes(survey: Survey, *, actor, version: FormVersion, municipality) -> None:
    """A survey takes answers while open, within its period, to its form's published version,
    from an interviewer assigned to the area."""
    if not selectors.takes_answers(survey, timezone.localdate()):
        raise ValidationError(_("This survey is closed: it takes no more answers."))
    if version.form_id != survey.form_id:
        raise ValidationError(_("This form is not the survey's."))
    if municipality is None:
        raise ValidationError({"municipality": _("Choose the municipality of the interview.")})
    if not (
        permissions.has_perm(actor, permissions.SURVEYS_ANSWER)
        and Assignment.objects.filter(
            survey=survey, interviewer=actor, municipality=municipality
        ).exists()
    ):
        raise PermissionDenied(_("You are not assigned to this survey in this municipality."))


@transaction.atomic
def survey_create(
    *,
    actor,
    form: Form,
    code: str,
    name_ka: str,
    name_en: str,
    opens,
    closes,
    subject: str = Subject.ANONYMOUS,
    targets: dict | None = None,
    population_ka: str = "",
    population_en: str = "",
) -> Survey:
    """A survey of `form`, being prepared, owned by its maker; `targets` maps municipalities
    to the responses aimed for there."""
    permissions.require(actor, permissions.SURVEYS_MANAGE)
    survey = Survey(
        form=form,
        code=code,
        name_ka=name_ka,
        name_en=name_en,
        opens=opens,
        closes=closes,
        subject=subject,
        population_ka=population_ka,
        population_en=population_en,
    )
    survey.full_clean()
    with acting_as(actor):
        survey.save()
        survey.owners.add(actor)
        for municipality, target in (targets or {}).items():
            area = SurveyArea(survey=survey, municipality=municipality, target=target)
            area.full_clean()
            area.save()
    return survey


@transaction.atomic
def survey_area_set(*, actor, survey: Survey, municipality, target: int) -> SurveyArea:
    """Cover a municipality with a target of responses (or change its target)."""
    permissions.require(actor, permissions.SURVEYS_MANAGE)
    if survey.status == SurveyStatus.CLOSED:
        raise ValidationError(_("This survey is closed for good."))
    area = SurveyArea.objects.filter(survey=survey, municipality=municipality).first()
    area = area or SurveyArea(survey=survey, municipality=municipality)
    area.target = target
    area.full_clean()
    with acting_as(actor):
        area.save()
    return area


@transaction.atomic
def survey_assign(*, actor, survey: Survey, interviewer, municipality) -> Assignment:
    """Assign an interviewer to one of the survey's areas."""
    permissions.require(actor, permissions.SURVEYS_MANAGE)
    if not survey.areas.filter(municipality=municipality).exists():
        raise ValidationError({"municipality": _("The survey does not cover this municipality.")})
    if not permissions.has_perm(interviewer, permissions.SURVEYS_ANSWER):
        raise ValidationError({"interviewer": _("This user's role cannot answer surveys.")})
    with acting_as(actor):
        assignment, _created = Assignment.objects.get_or_create(
            survey=survey, interviewer=interviewer, municipality=municipality
        )
    return assignment


@transaction.atomic
def survey_status_set(*, actor, survey: Survey, status: str) -> Survey:
    """Open a survey (its form must have a published version and it must cover an area) or
    close it (for good: a closed survey takes no more answers)."""
    permissions.require(actor, permissions.SURVEYS_MANAGE)
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.status == SurveyStatus.CLOSED:
        raise ValidationError(_("This survey is closed for good."))
    if status == SurveyStatus.OPEN:
        if not survey.form.versions.filter(status=VersionStatus.PUBLISHED).exists():
            raise ValidationError(_("Publish a version of the form before opening the survey."))
        if not survey.areas.exists():
            raise ValidationError(_("Add at least one municipality before opening the survey."))
    with acting_as(actor):
        survey.status = status
        survey.save(update_fields=["status"])
    return survey


@transaction.atomic
def tallies_rebuild(survey: Survey) -> int:
    """Count the survey's submitted responses afresh (after a bulk load, or to check the kept
    tallies): the same cells each submission adds, summed over all of them."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    built = tallies.build(survey)
    Tally.objects.filter(survey=survey).delete()
    Tally.objects.bulk_create(built, batch_size=5000)
    return len(built)
