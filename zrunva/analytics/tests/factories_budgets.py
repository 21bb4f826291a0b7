"""Budgets and monitoring: a municipal programme, a year of payments whose execution is worked
out by hand in the tests, a budget resolution's XLSX, a monitoring organisation."""

import io
from datetime import date
from decimal import Decimal

from openpyxl import Workbook

from zrunva.accounts.models import Organisation
from zrunva.geo.models import Municipality
from zrunva.payments.models import Payment, Payroll
from zrunva.programmes.models import Programme


def municipal_programme(code: str, municipality: str = "kutaisi", level: str = "household"):
    return Programme.objects.create(
        code=code,
        name_ka=f"პროგრამა {code}",
        name_en=f"Programme {code}",
        level=level,
        criteria="household.size >= 1",
        formula="50",
        legal_basis="Council resolution (test)",
        municipality=Municipality.objects.get(code=municipality),
        budget=Decimal("1000"),
        valid_from=date(2025, 1, 1),
    )


def payroll(actor, month: date, step: str) -> Payroll:
    return Payroll.objects.create(prepared_by=actor, month=month, step=step, status="done")


def pay(payroll, programme, *, household: int, amount: str, status: str, person: int | None = None):
    """A payment line written directly (the payroll's own code is tested in payments): the
    enrolment, household and person are ids only, as the table's unchecked keys allow."""
    return Payment.objects.create(
        payroll=payroll,
        enrolment_id=household,
        programme=programme,
        household_id=household,
        person_id=person,
        month=payroll.month,
        amount=Decimal(amount),
        monthly=Decimal(amount),
        status=status,
        hold_reason="no_account" if status == "held" else "",
    )


def workbook(rows: list[list], header=None) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(
        header
        or [
            "Municipality",
            "Year",
            "Programme code",
            "Line (Georgian)",
            "Line (English)",
            "Planned, GEL",
        ]
    )
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "budget.xlsx"
    return out


def monitoring_organisation(*places: str) -> Organisation:
    organisation = Organisation.objects.create(name_ka="მონიტორი", name_en="Rights Watch")
    organisation.municipalities.set(Municipality.objects.filter(code__in=places))
    return organisation
