"""The written decision an applicant receives: a PDF in their language from the deciding office
(its address, phone, e-mail and opening hours), dated as Georgians write dates, with the
decision in one sentence, its reasons as plain sentences (`programmes.sentences`, from the facts
stored with the decision), the amount and from when, the legal basis in the letter's language,
the officer's name, and how and by when to appeal."""

from datetime import date
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from fpdf import FPDF

from zrunva.applications.choices import Status
from zrunva.applications.decisions import deciding_office, decision_officer
from zrunva.core.text import long_date
from zrunva.programmes import sentences

FONTS = Path(__file__).parent / "fonts"

# The default of settings.APPEAL_SOURCE, so the letter can cite it in Georgian too.
gettext_noop("General Administrative Code of Georgia, Article 180")


def add_fonts(pdf: FPDF, *, lari_sign: bool = True) -> None:
    """The letters' and lists' font, DejaVu Sans, and for the lari sign (₾), which DejaVu
    lacks, Noto Sans Georgian (fonts/README.md). A fallback font breaks text into runs per
    font: a page that prints no sign (the cash lists' amounts are under "Amount, GEL") goes
    without it."""
    pdf.add_font("DejaVu", "", FONTS / "DejaVuSans.ttf")
    pdf.add_font("DejaVu", "B", FONTS / "DejaVuSans-Bold.ttf")
    if lari_sign:
        pdf.add_font("Lari", "", FONTS / "NotoSansGeorgian-Lari-Regular.ttf")
        pdf.add_font("Lari", "B", FONTS / "NotoSansGeorgian-Lari-Bold.ttf")
        pdf.set_fallback_fonts(["Lari"])


class LandscapeReport(FPDF):
    """A report of tables for officers and analysts (social work's indicators, the monthly
    monitoring report, a simulation's results): A4 landscape, DejaVu, each page's footer naming
    the report and the page of how many."""

    def __init__(self, title: str):
        super().__init__(orientation="landscape", format="A4")
        self.title_text = title
        add_fonts(self, lari_sign=False)
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(True, margin=14)

    def footer(self):
        self.set_y(-10)
        self.set_font("DejaVu", size=7)
        self.cell(
            0,
            4,
            _("%(title)s · page %(page)s of %(pages)s")
            % {"title": self.title_text, "page": self.page_no(), "pages": "{nb}"},
            align="C",
        )


class _Letter(FPDF):
    def __init__(self, number: str):
        super().__init__(format="A4")
        self.number = number
        add_fonts(self)
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

    def para(self, text: str, bold: bool = False):
        self.set_font("DejaVu", "B" if bold else "", 10)
        self.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT", align="L")
        self.set_font("DejaVu", size=10)
        self.ln(1)

    def item(self, text: str):
        self.set_x(self.l_margin + 4)
        self.multi_cell(0, 5.5, f"• {text}", new_x="LMARGIN", new_y="NEXT", align="L")


def _date(value) -> str:
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return long_date(value) if value else "—"


def decision_letter(application) -> bytes:
    """The decision letter of a decided or refused application, in the applicant's language."""
    with translation.override(application.language or "ka"):
        return _render(application)


def _granted(application) -> bool:
    return application.status in (Status.DECIDED, Status.ENROLLED) or (
        application.decision_amount is not None
    )


def decision_sentence(application) -> str:
    """The decision in one plain sentence, in the active language."""
    programme = application.programme.name
    if not _granted(application):
        return _("Your application for %(programme)s is refused.") % {"programme": programme}
    enrolment = getattr(application, "enrolment", None)
    values = {
        "programme": programme,
        "amount": sentences.money(application.decision_amount),
    }
    if enrolment is not None:
        return _(
            "Your application for %(programme)s is granted: %(amount)s a month, paid from %(date)s."
        ) % {**values, "date": long_date(enrolment.starts)}
    return (
        _(
            "Your application for %(programme)s is granted: %(amount)s a month, paid from the "
            "first day of the month after you are enrolled."
        )
        % values
    )


def _office_block(pdf: _Letter, office, programme) -> str:
    """The deciding office's name and how to reach it; its name, for the appeal."""
    if office is None:
        name = (
            programme.municipality.name if programme.municipality_id else _("Social Service Agency")
        )
        pdf.para(name, bold=True)
        return name
    pdf.para(office.name, bold=True)
    pdf.set_font("DejaVu", size=9)
    for line in (
        _("Address: %(value)s") % {"value": office.address_text or "—"},
        _("Phone: %(value)s") % {"value": office.phone or "—"},
        _("E-mail: %(value)s") % {"value": office.email or "—"},
        _("Opening hours: %(value)s") % {"value": office.opening_hours or "—"},
    ):
        pdf.multi_cell(0, 4.5, line, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font("DejaVu", size=10)
    return office.name


def _render(application) -> bytes:
    basis = application.decision_reasons or {}
    programme = application.programme
    said = sentences.explained(basis)
    officer = decision_officer(application)
    office = deciding_office(application, officer)

    pdf = _Letter(application.number)
    pdf.set_title(_("Decision on application %(number)s") % {"number": application.number})
    pdf.set_lang(application.language or "ka")
    pdf.set_creator("Zrunva")
    pdf.add_page()
    office_name = _office_block(pdf, office, programme)
    pdf.ln(2)
    pdf.para(_date(application.decided_on))
    pdf.heading(_("Decision on application %(number)s") % {"number": application.number}, 15)
    pdf.para(
        _("To: %(name)s, personal number %(pn)s")
        % {"name": application.full_name, "pn": application.personal_number}
    )
    pdf.para(_("Programme: %(programme)s") % {"programme": programme.name})

    pdf.heading(_("Decision"))
    pdf.para(decision_sentence(application), bold=True)

    pdf.heading(_("Reasons"))
    if said["conditions"]:
        if basis.get("on"):
            pdf.para(
                _("We checked the programme's conditions against the registry on %(date)s.")
                % {"date": _date(basis["on"])}
            )
        pdf.para(said["intro"])
        for sentence in said["conditions"]:
            pdf.item(sentence)
        pdf.ln(1)
    if said["amount"] and _granted(application):
        pdf.para(_("The amount: %(sentence)s") % {"sentence": said["amount"]})
    if said["missing"]:
        pdf.para(said["missing"])
    for sentence in said["changes"]:
        pdf.para(sentence)
    if basis.get("note"):
        pdf.para(_("The officer's reasons: %(note)s") % {"note": basis["note"]})

    pdf.heading(_("Legal basis"))
    pdf.para(programme.public_legal_basis or "—")
    if said["parameters"]:
        pdf.para(_("The figures used:"))
        for parameter in said["parameters"]:
            pdf.item(sentences.parameter_sentence(parameter))
        pdf.ln(1)

    pdf.heading(_("Decided by"))
    name = (officer.get_full_name() or officer.username) if officer else "—"
    pdf.para(_("%(officer)s, %(office)s") % {"officer": name, "office": office_name})

    pdf.heading(_("How to appeal"))
    months = settings.APPEAL_MONTHS
    pdf.para(
        ngettext(
            "If you disagree with this decision, you may appeal by %(date)s, within %(months)d "
            "month of receiving it (%(source)s).",
            "If you disagree with this decision, you may appeal by %(date)s, within %(months)d "
            "months of receiving it (%(source)s).",
            months,
        )
        % {
            "date": _date(application.appeal_until),
            "months": months,
            "source": _(settings.APPEAL_SOURCE),
        }
    )
    pdf.para(
        _(
            "Appeal on the portal with the grievance form, choosing “Appeal against a "
            "decision” and giving the application number %(number)s, or in person at "
            "%(office)s or any office of the Social Service Agency. An officer who did not "
            "take this decision reviews it, and you are told the outcome."
        )
        % {"number": application.number, "office": office_name}
    )
    return bytes(pdf.output())
