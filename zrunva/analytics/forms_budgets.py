from django import forms
from django.utils.translation import gettext_lazy as _

from zrunva.analytics.choices_budgets import Answer, ReportSubject
from zrunva.analytics.models import BudgetLine, MonitoringReport
from zrunva.analytics.models.budgets import FIRST_YEAR, LAST_YEAR
from zrunva.analytics.services_budgets import MAX_BYTES
from zrunva.core.forms import DateInput
from zrunva.geo.models import Municipality, Region
from zrunva.programmes.models import Programme
from zrunva.services.models import Service


class YearForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]


class BudgetIndexForm(YearForm):
    region = forms.ModelChoiceField(
        label=_("Region"),
        queryset=Region.objects.all(),
        required=False,
        empty_label=_("Every region"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.by_name()


class BudgetLineForm(forms.ModelForm):
    """A line of a municipality's budget for a year (the municipality and year come from the
    page); a programme of that municipality, or the line's names."""

    class Meta:
        model = BudgetLine
        fields = ["programme", "name_ka", "name_en", "planned", "source", "illustrative"]

    def __init__(self, *args, municipality: Municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = Programme.objects.filter(municipality=municipality)
        self.fields["programme"].required = False
        self.fields["planned"].widget.attrs["min"] = "0"


class BudgetImportForm(forms.Form):
    file = forms.FileField(
        label=_("The budget resolution (XLSX)"),
        help_text=_(
            "The first sheet, its first row naming the columns as the template does. Nothing "
            "is written before you confirm the preview."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("A file of at most 5 MB."))
        return upload


class NewBudgetForm(forms.Form):
    municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Municipality.objects.none()
    )
    year = forms.IntegerField(label=_("Year"), min_value=FIRST_YEAR, max_value=LAST_YEAR)

    def __init__(self, *args, municipalities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities


class ReportForm(forms.ModelForm):
    class Meta:
        model = MonitoringReport
        fields = ["municipality", "subject", "service", "title", "period", "findings"]
        widgets = {"findings": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args, municipalities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities
        self.fields["service"].queryset = Service.objects.filter(
            municipality__in=municipalities
        ).order_by("name_ka")
        self.fields["service"].required = False
        self.fields["subject"].choices = ReportSubject.choices

    def clean(self):
        data = super().clean()
        if data.get("subject") == ReportSubject.SERVICE and not data.get("service"):
            self.add_error("service", _("Choose the service the report is about."))
        elif data.get("subject") == ReportSubject.PROGRAMMES:
            data["service"] = None
            self.instance.service = None
        return data


class RecommendationForm(forms.Form):
    text = forms.CharField(label=_("Recommendation"), widget=forms.Textarea(attrs={"rows": 3}))


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(label=_("Answer"), choices=Answer.choices, widget=forms.RadioSelect)
    reasons = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 3}))


class ProgressForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=DateInput)
    text = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}))
    final = forms.BooleanField(
        label=_("The work is done (final report)"),
        required=False,
        help_text=_("An accepted recommendation can be closed after its final report."),
    )


class CloseForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
