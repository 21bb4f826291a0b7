"""The answering page's form, built from a version's definition: each question a Django field
(so the shared field and error-summary templates, with their labels, hints and ARIA, render
it), validated by `answers.check` alone — the same rule the API applies — never by the fields.

Only the questions asked are shown: a question whose condition does not hold given the answers
so far is left out, and "Show the questions that follow" (or htmx, on each change) draws the page
again from what is typed, without saving. A repeated group shows one block per entry, with
buttons to add one and to remove the last.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.forms.utils import ErrorDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zrunva.core.forms import DateInput
from zrunva.core.models import in_language
from zrunva.geo.models import Municipality, Region
from zrunva.questionnaires import answers
from zrunva.questionnaires.choices import VersionStatus
from zrunva.questionnaires.definition import Kind
from zrunva.questionnaires.models import Form, Survey


def field_name(place: str) -> str:
    """`members.2.age` → `members-2-age` (keys hold only a-z, 0-9 and _)."""
    return place.replace(".", "-")


def _label(item: dict, name: str = "label") -> str:
    return in_language(item.get(f"{name}_ka", ""), item.get(f"{name}_en", ""))


def _field(question: dict) -> forms.Field:
    kind = question["kind"]
    common = {
        "label": _label(question),
        "help_text": _label(question, "help"),
        # Shown as "(required)"; what is missing is `answers.check`'s to say (full_clean below).
        "required": bool(question.get("required")),
    }
    if kind == Kind.SINGLE:
        choices = [(c["value"], _label(c)) for c in question["choices"]]
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    if kind == Kind.MULTIPLE:
        choices = [(c["value"], _label(c)) for c in question["choices"]]
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == Kind.YES_NO:
        return forms.ChoiceField(
            choices=[("yes", _("Yes")), ("no", _("No"))], widget=forms.RadioSelect, **common
        )
    if kind == Kind.SCALE:
        low, high = question.get("min", 1), question.get("max", 5)
        return forms.ChoiceField(
            choices=[(str(n), str(n)) for n in range(low, high + 1)],
            widget=forms.RadioSelect(attrs={"class": "scale"}),
            **common,
        )
    if kind == Kind.NUMBER:
        attrs = {"inputmode": "decimal", "class": "input--short"}
        return forms.CharField(widget=forms.TextInput(attrs=attrs), **common)
    if kind == Kind.DATE:
        attrs = {"type": "date", "class": "input--short"}
        for bound in ("min", "max"):
            if question.get(bound):
                attrs[bound] = question[bound]
        return forms.CharField(widget=forms.DateInput(attrs=attrs), **common)
    if kind == Kind.PERSON:
        attrs = {"inputmode": "numeric", "autocomplete": "off", "class": "input--short"}
        common["help_text"] = common["help_text"] or _("The person's 11-digit personal number.")
        return forms.CharField(widget=forms.TextInput(attrs=attrs), **common)
    longest = question.get("max_length", 2000)
    widget = forms.Textarea(attrs={"rows": 3}) if longest > 200 else forms.TextInput()
    return forms.CharField(widget=widget, **common)


def _shown(question: dict, value):
    """A stored answer as the field shows it."""
    if question["kind"] == Kind.YES_NO and isinstance(value, bool):
        return "yes" if value else "no"
    if question["kind"] == Kind.SCALE and value is not None:
        return str(value)
    return value


class Block:
    """One entry of a repeated group on the page."""

    def __init__(self, number: int, fields: list):
        self.number, self.fields = number, fields


class Item:
    """A top-level question on the page, or a repeated group with its blocks."""

    def __init__(self, question: dict, field=None, blocks=None, can_add=False, can_remove=False):
        self.question, self.field = question, field
        self.blocks = blocks
        self.label = _label(question)
        self.help = _label(question, "help")
        self.required = bool(question.get("required"))
        self.key = question["key"]
        self.can_add, self.can_remove = can_add, can_remove


class AnswerForm(forms.Form):
    """`data`: the POST as typed; `stored`: a draft's answers. Build, then `given()` for the
    answers as the checker takes them, and `add_faults()` with its faults."""

    def __init__(self, definition: dict, *, data=None, stored: dict | None = None, **kwargs):
        super().__init__(data=data, **kwargs)
        self.definition = definition
        self.stored = stored or {}
        self._repeats = self._repeat_counts()
        given = self.given()
        clean, _faults = answers.check(definition, given)
        self.asked = answers.asked(definition, clean)
        self.sections = []
        for section in definition["sections"]:
            items = []
            for question in section["questions"]:
                key = question["key"]
                if key not in self.asked:
                    continue
                if question["kind"] == Kind.GROUP:
                    items.append(self._group(question))
                    continue
                self.fields[key] = _field(question)
                if data is None and key in self.stored:
                    self.initial[key] = _shown(question, self.stored[key])
                items.append(Item(question, field=self[key]))
            if items:
                self.sections.append({"title": _label(section, "title"), "items": items})

    def full_clean(self):
        """No field rules: the answers' one rule is `answers.check` (in the service and the
        API too), whose faults `add_faults` puts at their fields."""
        self._errors = ErrorDict()
        self.cleaned_data = {}

    def _repeat_counts(self) -> dict[str, int]:
        counts = {}
        for section in self.definition["sections"]:
            for question in section["questions"]:
                if question["kind"] != Kind.GROUP:
                    continue
                key = question["key"]
                low = max(question.get("min_repeats", 0), 1 if question.get("required") else 0)
                if self.data:
                    count = _int(self.data.get(f"{key}-count"), low)
                    action = self.data.get("action", "")
                    if action == f"add:{key}":
                        count += 1
                    if action == f"remove:{key}":
                        count -= 1
                else:
                    count = len(self.stored.get(key) or [])
                counts[key] = min(max(count, low), question.get("max_repeats", 10))
        return counts

    def _group(self, question: dict) -> Item:
        key = question["key"]
        count = self._repeats[key]
        blocks = []
        stored_rows = self.stored.get(key) or []
        for n in range(1, count + 1):
            fields = []
            for inner in question["questions"]:
                place = f"{key}.{n}.{inner['key']}"
                if place not in self.asked:
                    continue
                name = field_name(place)
                self.fields[name] = _field(inner)
                if not self.is_bound:
                    row = stored_rows[n - 1] if n <= len(stored_rows) else {}
                    if inner["key"] in row:
                        self.initial[name] = _shown(inner, row[inner["key"]])
                fields.append(self[name])
            blocks.append(Block(n, fields))
        low = max(question.get("min_repeats", 0), 1 if question.get("required") else 0)
        return Item(
            question,
            blocks=blocks,
            can_add=count < question.get("max_repeats", 10),
            can_remove=count > low,
        )

    def given(self) -> dict:
        """The answers as typed (or stored, before anything is typed), for `answers.check`."""
        if not self.is_bound:
            return dict(self.stored)
        given = {}
        for section in self.definition["sections"]:
            for question in section["questions"]:
                key = question["key"]
                if question["kind"] == Kind.GROUP:
                    rows = []
                    for n in range(1, self._repeats.get(key, 0) + 1):
                        rows.append(
                            {
                                inner["key"]: self._typed(inner, f"{key}-{n}-{inner['key']}")
                                for inner in question["questions"]
                            }
                        )
                    given[key] = rows
                else:
                    given[key] = self._typed(question, key)
        return given

    def _typed(self, question: dict, name: str):
        if question["kind"] == Kind.MULTIPLE:
            return self.data.getlist(name)
        value = self.data.get(name)
        return None if value is None or value == "" else value

    def add_faults(self, faults: dict) -> None:
        """Put each fault of `answers.check` (by place) at its field, or at the top."""
        for place, message in faults.items():
            name = field_name(place)
            if name in self.fields:
                self.add_error(name, message)
            else:
                key = place.split(".", 1)[0]
                question = _find(self.definition, key)
                label = _label(question) if question else key
                self.add_error(None, f"{label}: {message}")

    def add_service_error(self, error, *, other=None) -> None:
        """A service's ValidationError on the page: each answer's fault (`answers.<place>`) at
        its question, a field of `other` (the interview's form) there, anything else at the
        top — a message with no field (a survey closed meanwhile) included."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for place, texts in error.message_dict.items():
            if place.startswith("answers."):
                self.add_faults({place.removeprefix("answers."): " ".join(texts)})
            elif other is not None and place in other.fields:
                other.add_error(place, texts)
            else:
                self.add_error(None, texts)


def _find(definition: dict, key: str) -> dict | None:
    for section in definition["sections"]:
        for question in section["questions"]:
            if question["key"] == key:
                return question
    return None


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class InterviewForm(forms.Form):
    """Where the interview was, and (for a survey about registry people) whom it is about."""

    municipality = forms.ModelChoiceField(
        queryset=None, label=gettext_lazy("Municipality of the interview"), empty_label=None
    )
    personal_number = forms.CharField(
        label=gettext_lazy("Personal number of the person the answers are about"),
        max_length=11,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args, municipalities, linked: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities
        if not linked:
            del self.fields["personal_number"]
        else:
            self.fields["personal_number"].required = True


class SurveyForm(forms.ModelForm):
    """A new survey: its form (one with a published version), names, whom it asks, period."""

    class Meta:
        model = Survey
        fields = [
            "form",
            "code",
            "name_ka",
            "name_en",
            "population_ka",
            "population_en",
            "subject",
            "opens",
            "closes",
        ]
        widgets = {"opens": DateInput(), "closes": DateInput(), "subject": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["form"].queryset = Form.objects.filter(
            versions__status=VersionStatus.PUBLISHED
        ).by_name()
        self.fields["form"].help_text = _("Only forms with a published version can be surveyed.")

    def clean(self):
        cleaned = super().clean()
        opens, closes = cleaned.get("opens"), cleaned.get("closes")
        if opens and closes and closes < opens:
            self.add_error("closes", _("The survey closes on or after the day it opens."))
        return cleaned


class AreaForm(forms.Form):
    """A municipality, or every municipality of a region, with a target of responses each."""

    municipality = forms.ModelChoiceField(
        queryset=None, label=gettext_lazy("Municipality"), empty_label="", required=False
    )
    region = forms.ModelChoiceField(
        queryset=None,
        label=gettext_lazy("Or a whole region"),
        empty_label="",
        required=False,
        help_text=gettext_lazy("Each of its municipalities, with the target below."),
    )
    target = forms.IntegerField(
        label=gettext_lazy("Target responses"), min_value=1, max_value=1_000_000
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = Municipality.objects.by_name()
        self.fields["region"].queryset = Region.objects.by_name()

    def clean(self):
        cleaned = super().clean()
        municipality, region = cleaned.get("municipality"), cleaned.get("region")
        if bool(municipality) == bool(region):
            self.add_error("municipality", _("Choose a municipality or a region, one of them."))
        elif region is not None:
            cleaned["municipalities"] = list(region.municipalities.all())
        else:
            cleaned["municipalities"] = [municipality]
        return cleaned


class AssignForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Interviewer's user name"), max_length=150)
    municipality = forms.ModelChoiceField(
        queryset=None, label=gettext_lazy("Municipality"), empty_label=""
    )

    def __init__(self, *args, survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = Municipality.objects.filter(
            pk__in=survey.areas.values("municipality_id")
        ).by_name()

    def clean_username(self):
        user = (
            get_user_model()
            .objects.filter(username=self.cleaned_data["username"], is_active=True)
            .first()
        )
        if user is None:
            raise forms.ValidationError(_("No active user has this user name."))
        return user
