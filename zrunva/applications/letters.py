"""The written decision an applicant receives: a PDF in their language with the decision, its
reasons (the eligibility explanation recorded with it), the legal basis, and how and by when to
appeal."""

from pathlib import Path

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _
from fpdf import FPDF

from zrunva.applications.choices import Status
from zrunva.core.models import in_language
from zrunva.programmes.templatetags.eligibility import rule_value

FONTS = Path(__file__).parent / "fonts"


class _Letter(FPDF):
    def __init__(self, number: str):
        super().__init__(format="A4")
        self.number = number
        self.add_font("DejaVu", "", FONTS / "DejaVuSans.ttf")
        self.add_font("DejaVu", "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(True, margin=20)

    def footer(self):
        self.set_y(-14)
        self.set_font("DejaVu", size=8)
        self.cell(0, 5, f"{self.number} · {self.page_no()}/{{nb}}", align="C")

    def heading(self, text: str, size: int = 12):
        self.ln(3)
        self.set_font("DejaVu", "B", size)
        self.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT", align="L")
        self.set_font("DejaVu", size=10)

    def para(self, text: str):
        self.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT", align="L")
        self.ln(1)

    def item(self, text: str):
        self.set_x(self.l_margin + 4)
        self.multi_cell(0, 5.5, f"• {text}", new_x="LMARGIN", new_y="NEXT", align="L")


def _date(value) -> str:
    return formats.date_format(value, "j E Y") if value else "—"


def decision_letter(application) -> bytes:
    """The decision letter of a decided or refused application, in the applicant's language."""
    with translation.override(application.language or "ka"):
        return _render(application)


def _render(application) -> bytes:
    basis = application.decision_reasons or {}
    programme = application.programme
    granted = application.status in (Status.DECIDED, Status.ENROLLED) or (
        application.decision_amount is not None
    )
    pdf = _Letter(application.number)
    pdf.set_title(_("Decision on application %(number)s") % {"number": application.number})
    pdf.set_lang(application.language or "ka")
    pdf.set_creator("Zrunva")
    pdf.add_page()
    pdf.set_font("DejaVu", size=9)
    office = (
        programme.municipality.name if programme.municipality_id else _("Social Service Agency")
    )
    pdf.para(f"{office} · {_date(application.decided_on)}")
    pdf.heading(_("Decision on application %(number)s") % {"number": application.number}, 15)
    pdf.para(
        _("To: %(name)s, personal number %(pn)s")
        % {
            "name": f"{application.first_name} {application.last_name}",
            "pn": application.personal_number,
        }
    )
    pdf.para(_("Programme: %(programme)s") % {"programme": programme.name})

    pdf.heading(_("Decision"))
    if granted:
        pdf.para(
            _(
                "Your application is granted: %(amount)s GEL a month, paid from the first day "
                "of the month after you are enrolled."
            )
            % {"amount": formats.number_format(application.decision_amount, 2)}
        )
    else:
        pdf.para(_("Your application is refused."))

    pdf.heading(_("Reasons"))
    if basis.get("conditions"):
        pdf.para(
            _("The programme's criteria, checked against the registry on %(date)s:")
            % {"date": basis.get("on", "")}
        )
        for condition in basis["conditions"]:
            pdf.item(f"{condition['text']}: {rule_value(condition['value'])}")
    if basis.get("values"):
        pdf.para(_("The values used:"))
        for value in basis["values"]:
            pdf.item(f"{value['text']} = {rule_value(value['value'])}")
    if basis.get("missing"):
        pdf.para(
            _("Missing from the registry: %(fields)s.") % {"fields": ", ".join(basis["missing"])}
        )
    for change in basis.get("changes", []):
        pdf.para(
            _("You would qualify if %(attribute)s were %(needed)s (now %(current)s).")
            % {
                "attribute": in_language(change["label_ka"], change["label_en"]),
                "needed": rule_value(change["needed"]),
                "current": rule_value(change["current"]),
            }
        )
    if basis.get("note"):
        pdf.para(_("The officer's reasons: %(note)s") % {"note": basis["note"]})

    pdf.heading(_("Legal basis"))
    pdf.para(programme.legal_basis)
    for parameter in basis.get("parameters", []):
        pdf.item(
            _("%(code)s = %(value)s, from %(date)s: %(source)s%(illustrative)s")
            % {
                "code": parameter["code"],
                "value": rule_value(parameter["value"]),
                "date": parameter["valid_from"],
                "source": parameter["source"],
                "illustrative": _(" (illustrative)") if parameter["illustrative"] else "",
            }
        )

    pdf.heading(_("How to appeal"))
    pdf.para(
        _(
            "If you disagree with this decision, you may appeal by %(date)s, within "
            "%(months)d month(s) of receiving it (%(source)s). File an appeal on the portal "
            'under Grievances, choosing "Appeal against a decision" and giving this application '
            "number, or at any office of the Social Service Agency or your municipality. An "
            "officer who did not take this decision reviews it, and you are told the outcome."
        )
        % {
            "date": _date(application.appeal_until),
            "months": settings.APPEAL_MONTHS,
            "source": settings.APPEAL_SOURCE,
        }
    )
    return bytes(pdf.output())
