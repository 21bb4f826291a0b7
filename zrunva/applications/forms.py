from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zrunva.accounts import permissions
from zrunva.accounts.models import User
from zrunva.applications.choices import FINAL, JOB_END_REASONS, STAGES, EnrolmentEndReason, Status
from zrunva.applications.services import (
    CONSENT_PURPOSE,
    MEMBERS_MAX,
    VISIT_AHEAD_DAYS,
    consent_check,
    documents_check,
)
from zrunva.assessment.models import Assessment
from zrunva.core.forms import DateInput
from zrunva.core.text import long_date
from zrunva.core.validators import (
    birth_date_validator,
    personal_number_validator,
    phone_validator,
)
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Programme
from zrunva.registry.choices import Relationship
from zrunva.registry.forms import PersonForm


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Every open status"))]
        + [(s.value, s.label) for s in Status if s not in FINAL],
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    duplicates = forms.BooleanField(label=_("Possible duplicates only"), required=False)
    assigned = forms.ChoiceField(
        label=_("Assigned"),
        required=False,
        choices=[("", _("To anyone or no one")), ("me", _("To me")), ("none", _("To no one"))],
    )
    municipality = forms.ModelChoiceField(
        label=_("Municipality"),
        required=False,
        queryset=Municipality.objects.none(),
        empty_label=_("All in my area"),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        places = Municipality.objects.by_name()
        self.fields["municipality"].queryset = permissions.scoped(places, actor, "id")


class AssignForm(forms.Form):
    """Give the application to an officer who processes its programme in its area."""

    assigned_to = forms.ModelChoiceField(
        label=_("Assign to"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("No one"),
    )

    def __init__(self, *args, application, actor, **kwargs):
        kwargs.setdefault("initial", {"assigned_to": application.assigned_to_id or actor.pk})
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = permissions.processors(
            programme_municipality_id=application.programme.municipality_id,
            municipality_id=application.municipality_id,
        )
        self.fields["assigned_to"].label_from_instance = lambda u: u.get_full_name() or u.username


class EnrolmentEndForm(forms.Form):
    """An officer ends an enrolment: on the beneficiary's request, a confirmed loss of
    eligibility, or another reason. Deaths and overdue re-assessments are the daily job's."""

    on = forms.DateField(
        label=_("Date of the request or decision"),
        widget=DateInput(),
        help_text=_("The enrolment is paid to the end of that month."),
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        # No reason chosen in advance: ending an enrolment stops the payment.
        choices=[("", "—")]
        + [(r.value, r.label) for r in EnrolmentEndReason if r not in JOB_END_REASONS],
        error_messages={"required": _("Choose why the enrolment ends.")},
    )


class LossConfirmForm(forms.Form):
    """An officer confirms one of a run's losses (a `DecisionChange`), which ends the
    beneficiary's enrolment."""

    change = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class DocumentForm(forms.Form):
    file = forms.FileField(
        label=_("Add a document"),
        help_text=_("PDF, JPEG or PNG, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class TransitionForm(forms.Form):
    to = forms.ChoiceField(label=_("Move to"), choices=Status.choices)
    household = forms.IntegerField(
        label=_("Household number in the registry"),
        required=False,
        min_value=1,
        help_text=_("Needed to register the application: the household it is for."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For a refusal: the reasons, which the applicant's decision letter gives."),
    )

    # Asked only when the next stage is the one that needs it (`__init__` drops them otherwise);
    # the service holds the rules (`visit_date_check`, `_visit_assessment`).
    visit_date = forms.DateField(
        label=_("Home visit on"),
        required=False,
        widget=DateInput(),
    )
    assessment = forms.ModelChoiceField(
        label=_("Assessment from the home visit"),
        queryset=Assessment.objects.none(),
        required=False,
        empty_label=None,
        help_text=_("Needed when the household is assessed: the assessment the step rests on."),
    )

    def __init__(self, *args, options, assessments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [(s, Status(s).label) for s in options]
        if Status.HOME_VISIT_SCHEDULED not in options:
            del self.fields["visit_date"]
        else:
            self.fields["visit_date"].help_text = _(
                "Needed to schedule the home visit: from today, within %(days)d days."
            ) % {"days": VISIT_AHEAD_DAYS}
        if Status.ASSESSED not in options or assessments is None:
            del self.fields["assessment"]
        else:
            field = self.fields["assessment"]
            field.queryset = assessments
            # The latest, as the step would take it were there only one.
            field.initial = assessments.first()
            field.label_from_instance = lambda a: (
                _("%(date)s: rating score %(score)s")
                % {
                    "date": long_date(a.visit_date),
                    "score": a.score,
                }
            )


# The field rules are the models' (zrunva.core.validators), so a form, the API and a service
# refuse the same values with the same message.
PERSONAL_NUMBER = {"max_length": 11, "validators": [personal_number_validator]}
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; the service checks each one's content."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            super().clean(data, initial)  # "required", when it is
            return []
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class ApplicationForm(forms.Form):
    """What an application holds, on the portal and at an office: the programme, the applicant,
    how to reach them, their supporting documents and their consent."""

    programme = forms.ModelChoiceField(label=_("Programme"), queryset=Programme.objects.none())
    municipality = forms.ModelChoiceField(
        label=_("Municipality"),
        queryset=Municipality.objects.none(),
        help_text=_("Where the applicant's household lives."),
    )
    personal_number = forms.CharField(label=_("Personal number"), **PERSONAL_NUMBER)
    first_name = forms.CharField(label=_("First name"), max_length=120)
    last_name = forms.CharField(label=_("Last name"), max_length=120)
    birth_date = forms.DateField(
        label=_("Birth date"), widget=DateInput, validators=[birth_date_validator]
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=30,
        required=False,
        validators=[phone_validator],
        help_text=_("For text messages about the application, e.g. 555 12 34 56."),
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    language = forms.ChoiceField(
        label=_("Language for letters and messages"),
        choices=[("ka", "ქართული"), ("en", "English")],
    )
    documents = MultipleFileField(
        label=_("Supporting documents"),
        required=False,
        help_text=_(
            "PDF, JPEG or PNG, up to 5 files of 5 MB each: e.g. a disability status certificate "
            "or an income statement. If the page shows an error, choose the files again."
        ),
    )
    consent = forms.BooleanField(
        label=_("The applicant consents to the processing of their data for this application"),
        required=False,
    )

    # Read when a form is made, not when this module is imported: the order is the active
    # language's alphabet.
    @property
    def programmes(self):
        return Programme.objects.filter(is_active=True).select_related("municipality").by_name()

    @property
    def places(self):
        return Municipality.objects.by_name()

    # Documents already kept for this form (the portal keeps those accepted when a form is
    # refused); they count towards the limit.
    held_count = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = self.programmes
        # Programmes by name, never by code; a council's own with its municipality.
        self.fields["programme"].label_from_instance = lambda p: (
            f"{p.name} ({p.municipality.name})" if p.municipality_id else p.name
        )
        self.fields["municipality"].queryset = self.places
        self.fields["consent"].help_text = CONSENT_PURPOSE
        # The (upload, Checked) pairs that passed the checks, even when the form is refused.
        self.accepted_documents: list = []

    def clean_documents(self) -> list:
        # The service's checks, here too so that every file's error shows with the others.
        checked, refused = documents_check(self.cleaned_data["documents"], held=self.held_count)
        self.accepted_documents = checked
        if refused:
            raise ValidationError(refused)
        return [upload for upload, _check in checked]

    def clean(self):
        data = super().clean()
        try:
            consent_check(data.get("consent", False))
        except ValidationError as error:
            self.add_error(None, error)
        return data

    def applicant(self) -> dict:
        names = ("personal_number", "first_name", "last_name", "birth_date", "phone", "email")
        return {name: self.cleaned_data[name] for name in (*names, "language")}


class IntakeForm(ApplicationForm):
    """An application entered at an office for the applicant, as most are today: only the
    programmes the officer's office processes, in their area."""

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = permissions.processed(
            self.programmes, actor, "municipality_id"
        )
        self.fields["municipality"].queryset = permissions.scoped(self.places, actor, "id")


class MemberForm(forms.Form):
    """Another member of the applicant's household, as the applicant declares them."""

    first_name = forms.CharField(label=_("First name"), max_length=120)
    last_name = forms.CharField(label=_("Last name"), max_length=120)
    birth_date = forms.DateField(
        label=_("Birth date"), widget=DateInput, validators=[birth_date_validator]
    )
    personal_number = forms.CharField(
        label=_("Personal number"),
        required=False,
        help_text=_("If the member has one."),
        **PERSONAL_NUMBER,
    )
    relationship = forms.ChoiceField(
        label=_("Relationship to the applicant"),
        choices=[(r.value, r.label) for r in Relationship if r != Relationship.HEAD],
    )

    def declared(self) -> dict:
        data = dict(self.cleaned_data)
        data["birth_date"] = data["birth_date"].isoformat()
        return data


MEMBER_ERROR = _("Member %(n)d: %(error)s")


class BaseMemberFormSet(forms.BaseFormSet):
    def members(self) -> list[dict]:
        return [f.declared() for f in self.forms if f.has_changed() and f.cleaned_data]


MemberFormSet = forms.formset_factory(
    MemberForm, formset=BaseMemberFormSet, extra=0, max_num=MEMBERS_MAX, validate_max=True
)
# At an office: three blank rows; the officer leaves those not needed empty.
IntakeMemberFormSet = forms.formset_factory(
    MemberForm, formset=BaseMemberFormSet, extra=3, max_num=MEMBERS_MAX, validate_max=True
)


class WorkflowForm(forms.Form):
    """A programme's stages and their deadlines, in working days."""

    home_visit = forms.BooleanField(
        label=_("Home visit and assessment before the decision"), required=False
    )
    source = forms.CharField(label=_("Source of the deadlines"), max_length=300)
    illustrative = forms.BooleanField(
        label=_("Illustrative: not from a published service standard"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for stage in STAGES[1:]:
            self.fields[f"deadline_{stage}"] = forms.IntegerField(
                label=_("Working days to reach “%(stage)s”") % {"stage": Status(stage).label},
                min_value=1,
                max_value=60,
            )

    def deadlines(self) -> dict:
        return {stage: self.cleaned_data[f"deadline_{stage}"] for stage in STAGES[1:]}


class EnrolmentFilterForm(forms.Form):
    """The enrolments list's filters: programme, household number, open or ended."""

    programme = forms.ModelChoiceField(
        label=_("Programme"), required=False, queryset=None, empty_label=_("Every programme")
    )
    household = forms.IntegerField(label=_("Household №"), required=False, min_value=1)
    state = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("open", _("Open")), ("ended", _("Ended")), ("", _("Open or ended"))],
    )

    def __init__(self, *args, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes


class DeclaredMemberForm(PersonForm):
    """A member the applicant declared, as the officer confirms and completes them to register
    the household (what the registry needs and the application does not ask, such as sex)."""

    relationship = forms.ChoiceField(
        label=_("Relationship to the head"),
        choices=[(r.value, r.label) for r in Relationship if r != Relationship.HEAD],
    )

    def service_data(self) -> dict:
        data = super().service_data()
        data.pop("relationship")
        return data


def declared_person(declared: dict) -> dict:
    """Initial values of a registry person form from what an application declares."""
    names = ("personal_number", "first_name", "last_name", "birth_date", "relationship")
    return {name: declared[name] for name in names if declared.get(name)}
