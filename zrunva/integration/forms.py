import json

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zrunva.core.text import capfirst
from zrunva.geo.models import Municipality
from zrunva.integration.choices import ImportOutcome
from zrunva.integration.imports import DEFAULT_DATE_FORMATS, FIELDS, UPDATABLE
from zrunva.integration.models import Source

_label = lazy(capfirst, str)


class SourceForm(forms.Form):
    """A source's settings: for each registry field the file's column, what an import may
    change, and how values and dates are written. Checked by `imports.source_problems` in
    `services.source_save`; its messages come back onto these fields."""

    code = forms.SlugField(label=gettext_lazy("Code"), max_length=40)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    municipality = forms.ModelChoiceField(
        label=gettext_lazy("Municipality"),
        queryset=Municipality.objects.all(),
        required=False,
        help_text=gettext_lazy("A municipality's own list; empty for a national registry."),
    )
    updates = forms.MultipleChoiceField(
        label=gettext_lazy("Fields it may change"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(n, _label(FIELDS[n].label)) for n in FIELDS if n in UPDATABLE],
    )
    creates = forms.BooleanField(
        label=gettext_lazy(
            "Registers the people it does not find, in the households its rows name"
        ),
        required=False,
    )
    all_or_nothing = forms.BooleanField(
        label=gettext_lazy("All or nothing: apply a file only if every row is valid"),
        required=False,
    )
    values = forms.CharField(
        label=gettext_lazy("Value mapping (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=gettext_lazy('For example {"sex": {"1": "M", "2": "F"}}.'),
    )
    date_formats = forms.CharField(
        label=gettext_lazy("Date formats"),
        required=False,
        help_text=gettext_lazy("Tried in this order, separated by spaces, e.g. %d.%m.%Y %Y-%m-%d."),
    )
    encoding = forms.CharField(label=gettext_lazy("Text encoding of CSV files"), initial="utf-8")
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args, source: Source | None = None, **kwargs):
        if source is not None:
            kwargs.setdefault(
                "initial",
                {
                    "code": source.code,
                    "name": source.name,
                    "description": source.description,
                    "municipality": source.municipality_id,
                    "updates": source.updates,
                    "creates": source.creates,
                    "all_or_nothing": source.all_or_nothing,
                    "values": json.dumps(source.values, ensure_ascii=False)
                    if source.values
                    else "",
                    "date_formats": " ".join(source.date_formats),
                    "encoding": source.encoding,
                    "is_active": source.is_active,
                    **{f"column_{n}": c for n, c in source.mapping.items()},
                },
            )
        super().__init__(*args, **kwargs)
        if source is None:
            self.fields["date_formats"].initial = " ".join(DEFAULT_DATE_FORMATS)
        for name, spec in FIELDS.items():
            self.fields[f"column_{name}"] = forms.CharField(
                label=_label(spec.label), required=False, max_length=120
            )

    @property
    def column_fields(self):
        return [self[f"column_{name}"] for name in FIELDS]

    def clean_values(self):
        text = self.cleaned_data["values"].strip()
        if not text:
            return {}
        try:
            return json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("Write the value mapping as JSON.")) from None

    def data_for_service(self) -> dict:
        data = {
            name: self.cleaned_data[name]
            for name in (
                "code",
                "name",
                "description",
                "municipality",
                "updates",
                "creates",
                "all_or_nothing",
                "values",
                "encoding",
                "is_active",
            )
        }
        data["date_formats"] = self.cleaned_data["date_formats"].split()
        data["mapping"] = {
            name: self.cleaned_data[f"column_{name}"].strip()
            for name in FIELDS
            if self.cleaned_data.get(f"column_{name}", "").strip()
        }
        return data

    def add_service_error(self, field: str, message) -> None:
        self.add_error(field if field in self.fields else None, message)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File (CSV or XLSX)"),
        help_text=gettext_lazy("A dry run reads it first: nothing changes until you commit."),
    )


class RowFilter(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        required=False,
        choices=[("", gettext_lazy("All"))] + list(ImportOutcome.choices),
    )
    q = forms.CharField(
        label=gettext_lazy("Personal number or record number"), required=False, max_length=80
    )
