"""Bank files: an approved payroll's ISO 20022 pain.001.001.09 file, valid against the schema
shipped in `sepaxml`, its header equal to its lines; CSV alike; only approved payrolls."""

import csv
import hashlib
import io
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
from django.core.exceptions import ValidationError
from lxml import etree

from zrunva.accounts.choices import Role
from zrunva.payments import services
from zrunva.payments.bankfiles import NAMESPACE
from zrunva.payments.choices import FileKind, PayrollStep

pytestmark = pytest.mark.django_db
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.09.xsd"
NS = {"p": NAMESPACE}


def test_the_xml_is_valid_pain_001_and_its_header_equals_its_lines(approved):
    payroll, officer = approved
    files = services.payroll_export(actor=officer, payroll=payroll)
    payroll.refresh_from_db()
    assert payroll.step == PayrollStep.EXPORTED
    xml = {f.bank_code: f for f in files if f.kind == FileKind.PAIN001}
    assert sorted(xml) == ["NB", "TB"] and (xml["NB"].count, xml["TB"].count) == (2, 1)
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    for record in xml.values():
        data = record.file.open("rb").read()
        assert hashlib.sha256(data).hexdigest() == record.sha256
        document = etree.fromstring(data)
        schema.assertValid(document)
        amounts = [
            Decimal(a)
            for a in document.xpath("//p:CdtTrfTxInf/p:Amt/p:InstdAmt/text()", namespaces=NS)
        ]
        assert document.xpath("string(//p:GrpHdr/p:NbOfTxs)", namespaces=NS) == str(len(amounts))
        assert Decimal(document.xpath("string(//p:GrpHdr/p:CtrlSum)", namespaces=NS)) == sum(
            amounts
        )
        assert sum(amounts) == record.total == Decimal("495.00") * record.count
        assert set(document.xpath("//p:InstdAmt/@Ccy", namespaces=NS)) == {"GEL"}
        ibans = document.xpath("//p:CdtrAcct/p:Id/p:IBAN/text()", namespaces=NS)
        assert all(i[4:6] == record.bank_code for i in ibans)


def test_the_csv_has_the_same_lines(approved):
    payroll, officer = approved
    files = services.payroll_export(actor=officer, payroll=payroll)
    for record in (f for f in files if f.kind == FileKind.CSV):
        rows = list(csv.DictReader(io.StringIO(record.file.open("rb").read().decode())))
        assert len(rows) == record.count
        assert sum(Decimal(r["amount"]) for r in rows) == record.total
        assert {r["currency"] for r in rows} == {"GEL"}


def test_only_an_approved_payroll_is_exported_and_then_not_cancelled(approved, make_user):
    payroll, officer = approved
    payroll.step = PayrollStep.CHECKED
    payroll.save(update_fields=["step"])
    with pytest.raises(ValidationError, match="Only an approved payroll"):
        services.payroll_export(actor=officer, payroll=payroll)
    payroll.step = PayrollStep.APPROVED
    payroll.save(update_fields=["step"])
    services.payroll_export(actor=officer, payroll=payroll)
    with pytest.raises(ValidationError, match="sent to the banks"):
        services.payroll_cancel(actor=make_user(Role.ADMIN), payroll=payroll, reason="late")


def test_a_file_is_served_to_those_who_manage_payrolls_and_the_download_is_audited(
    approved, login_as
):
    from auditlog.models import LogEntry

    payroll, officer = approved
    record = services.payroll_export(actor=officer, payroll=payroll)[0]
    url = f"/en/payments/payrolls/{payroll.pk}/files/{record.pk}/"
    client = login_as(Role.SSA_OFFICER)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == record.file.open("rb").read()
    assert LogEntry.objects.filter(
        object_pk=str(record.pk), additional_data__purpose="download"
    ).exists()
    assert login_as(Role.ANALYST).get(url).status_code == 403
    assert login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi").get(url).status_code == 404


def test_the_api_makes_the_files(approved):
    from django.test import Client

    from zrunva.accounts.services import api_token_issue

    payroll, officer = approved
    _, key = api_token_issue(user=officer, name="export")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {key}").post(
        f"/api/v1/payrolls/{payroll.pk}/export"
    )
    assert response.status_code == 200, response.content
    assert sorted((f["bank_code"], f["kind"], f["count"]) for f in response.json()) == [
        ("NB", "csv", 2),
        ("NB", "pain001", 2),
        ("TB", "csv", 1),
        ("TB", "pain001", 1),
    ]
    assert {f["total"] for f in response.json() if f["bank_code"] == "NB"} == {"990.00"}
