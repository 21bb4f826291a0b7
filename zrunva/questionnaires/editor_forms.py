"""The editor's forms. A question's form turns fields into the definition's JSON (and back);
what the question may be is `definition.check`'s to say, once, for the whole draft."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zrunva.questionnaires.definition import KIND_LABELS, TEXT_MAX, Kind
from zrunva.questionnaires.models import Form

UPLOAD_MAX = 2 * 1024 * 1024


class FormMetaForm(forms.ModelForm):
    class Meta:
        model = Form
        fields = [
            "code",
            "name_ka",
            "name_en",
            "description_ka",
            "description_en",
            "source_ka",
            "source_en",
            "illustrative",
        ]
        widgets = {f: forms.Textarea(attrs={"rows": 3}) for f in fields[3:7]}


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Form definition"),
        help_text=gettext_lazy(
            "A JSON document exported from Zrunva, or an XLSForm (.xlsx) as ODK and "
            "KoBoToolbox write it. At most 2 MB."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > UPLOAD_MAX:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        if not upload.name.lower().endswith((".json", ".xlsx")):
            raise forms.ValidationError(_("Give a .json or an .xlsx file."))
        return upload


class SectionForm(forms.Form):
    title_ka = forms.CharField(label=gettext_lazy("Title (Georgian)"), max_length=300)
    title_en = forms.CharField(label=gettext_lazy("Title (English)"), max_length=300)


def _kinds(in_group: bool):
    return [(k, label) for k, label in KIND_LABELS.items() if not (in_group and k == Kind.GROUP)]


class QuestionForm(forms.Form):
    key = forms.CharField(
        label=gettext_lazy("Key"),
        max_length=40,
        help_text=gettext_lazy(
            "Small Latin letters, digits and _, starting with a letter: the question's name in "
            "results and exports, kept from version to version."
        ),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind of answer"), choices=())
    label_ka = forms.CharField(
        label=gettext_lazy("Question (Georgian)"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    label_en = forms.CharField(
        label=gettext_lazy("Question (English)"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    help_ka = forms.CharField(
        label=gettext_lazy("Help (Georgian)"), max_length=TEXT_MAX, required=False
    )
    help_en = forms.CharField(
        label=gettext_lazy("Help (English)"), max_length=TEXT_MAX, required=False
    )
    required = forms.BooleanField(label=gettext_lazy("An answer is required"), required=False)
    show_if = forms.CharField(
        label=gettext_lazy("Show only if"),
        max_length=1000,
        required=False,
        help_text=gettext_lazy(
            "A condition on earlier questions, as in XLSForm: ${age} >= 60, "
            "selected(${needs}, 'transport'), ${alone} = 'yes' and not(${age} < 18)."
        ),
    )
    choices = forms.CharField(
        label=gettext_lazy("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "For one or several choices: one per line, as value | Georgian | English, "
            "e.g. care | მოვლა | Care."
        ),
    )
    low = forms.CharField(
        label=gettext_lazy("Lowest"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("For a number, a date (YYYY-MM-DD) or a scale."),
    )
    high = forms.CharField(label=gettext_lazy("Highest"), max_length=20, required=False)
    integer = forms.BooleanField(label=gettext_lazy("Whole numbers only"), required=False)
    max_length = forms.IntegerField(
        label=gettext_lazy("Longest text answer, in characters"), required=False, min_value=1
    )
    min_repeats = forms.IntegerField(
        label=gettext_lazy("Fewest entries (a repeated group)"), required=False, min_value=0
    )
    max_repeats = forms.IntegerField(
        label=gettext_lazy("Most entries (a repeated group)"), required=False, min_value=1
    )

    def __init__(self, data=None, *, question: dict | None = None, in_group: bool = False):
        super().__init__(data, initial=_initial(question) if question else None)
        self.fields["kind"].choices = _kinds(in_group)

    def clean_choices(self):
        text = self.cleaned_data.get("choices", "")
        choices = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 3:
                raise forms.ValidationError(
                    _("Line %(n)d: write value | Georgian | English.") % {"n": n}
                )
            choices.append({"value": parts[0], "label_ka": parts[1], "label_en": parts[2]})
        return choices

    def question(self) -> dict:
        """The question as the definition keeps it: only what its kind uses."""
        data = self.cleaned_data
        kind = data["kind"]
        question = {"key": data["key"], "kind": kind}
        for name in ("label_ka", "label_en", "help_ka", "help_en"):
            if data.get(name):
                question[name] = data[name]
        if data.get("required"):
            question["required"] = True
        if data.get("show_if"):
            question["show_if"] = data["show_if"]
        if kind in (Kind.SINGLE, Kind.MULTIPLE):
            question["choices"] = data["choices"]
        if kind in (Kind.NUMBER, Kind.DATE, Kind.SCALE):
            for bound, name in (("low", "min"), ("high", "max")):
                value = (data.get(bound) or "").strip()
                if value:
                    question[name] = _typed(value, kind)
        if kind == Kind.NUMBER and data.get("integer"):
            question["integer"] = True
        if kind == Kind.TEXT and data.get("max_length"):
            question["max_length"] = data["max_length"]
        if kind == Kind.GROUP:
            question["min_repeats"] = data.get("min_repeats") or 0
            question["max_repeats"] = data.get("max_repeats") or 10
            question["questions"] = []  # added one by one in the group (the editor keeps them)
        return question


def _typed(value: str, kind: str):
    """A bound as the definition keeps it: a number for numbers and scales, else the text
    (a date; `definition.check` says if it is not one)."""
    if kind == Kind.DATE:
        return value
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


def _initial(question: dict) -> dict:
    initial = {
        k: question.get(k, "")
        for k in ("key", "kind", "label_ka", "label_en", "help_ka", "help_en", "show_if")
    }
    initial["required"] = bool(question.get("required"))
    initial["choices"] = "\n".join(
        f"{c.get('value', '')} | {c.get('label_ka', '')} | {c.get('label_en', '')}"
        for c in question.get("choices") or []
    )
    initial["low"] = question.get("min", "")
    initial["high"] = question.get("max", "")
    initial["integer"] = bool(question.get("integer"))
    initial["max_length"] = question.get("max_length")
    initial["min_repeats"] = question.get("min_repeats")
    initial["max_repeats"] = question.get("max_repeats")
    return initial
