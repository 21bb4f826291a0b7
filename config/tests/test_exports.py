"""Every list an officer filters downloads as CSV and XLSX: the same rows as the page for the
same filter, in the user's area, each download audited with how many rows it held."""

import csv
import io
import re
import zipfile

import pytest
from auditlog.models import LogEntry

from zrunva.accounts.choices import Role
from zrunva.applications.tests.factories import pension_application
from zrunva.grievances.tests.factories import grievance
from zrunva.registry.tests.factories import household

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def _xlsx_text(response) -> str:
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return book.read("xl/worksheets/sheet1.xml").decode()


def _exports(model: str) -> list[dict]:
    rows = LogEntry.objects.filter(content_type__model=model, additional_data__purpose="search")
    return [r.additional_data for r in rows if "export" in r.additional_data["terms"]]


def test_the_applications_queue_as_csv_and_xlsx_in_the_users_area(login_as):
    application, _ = pension_application()
    client = login_as(Role.SSA_OFFICER)
    response = client.get("/en/applications/?format=csv&status=registered")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="applications-')
    rows = _csv(response)
    assert rows[0][:3] == ["Application number", "Programme", "Personal number"]
    assert [r[0] for r in rows[1:]] == [application.number]
    assert rows[1][6] == "Registered"
    audited = _exports("application")
    assert audited == [
        {"purpose": "search", "terms": {"status": "registered", "export": "csv"}, "shown": 1}
    ]
    sheet = _xlsx_text(client.get("/en/applications/?format=xlsx"))
    assert application.number in sheet and "Application number" in sheet
    # Another office's officer downloads the same filter with none of it.
    other = login_as(Role.SSA_OFFICER, office="ssa-zugdidi")
    assert len(_csv(other.get("/en/applications/?format=csv"))) == 1  # the header only
    assert login_as(Role.SOCIAL_WORKER).get("/en/applications/?format=csv").status_code == 403


def test_grievances_households_and_a_runs_changes_download(login_as, make_user):
    filed = grievance()
    supervisor = login_as(Role.SUPERVISOR)
    rows = _csv(supervisor.get("/en/grievances/?format=csv"))
    assert [r[0] for r in rows[1:]] == [filed.number]
    assert "text" not in " ".join(rows[0]).lower()  # the grievance's own words stay on its page
    household("kutaisi")
    officer = login_as(Role.SSA_OFFICER)
    sheet = _xlsx_text(officer.get("/en/registry/households/?format=xlsx"))
    assert "Head of household" in sheet
    assert re.search(r"<c r=\"A2\"", sheet)  # at least one household row
    assert _exports("household")[0]["shown"] >= 1


def test_a_list_too_long_for_a_file_asks_for_a_narrower_filter(login_as, settings):
    settings.EXPORT_MAX_ROWS = 0
    pension_application()
    client = login_as(Role.SSA_OFFICER)
    response = client.get("/en/applications/?format=csv&status=registered", follow=True)
    assert response.redirect_chain[0][0] == "/en/applications/?status=registered"
    assert "narrow the filter" in response.content.decode()
    assert not _exports("application")


def test_a_runs_changes_download_as_the_page_lists_them(login_as):
    from django.utils import timezone

    from zrunva.programmes.tests.factories import eligibility_run, family_and_pensioner

    family_and_pensioner()
    run = eligibility_run(timezone.localdate())
    client = login_as(Role.SSA_OFFICER)
    rows = _csv(client.get(f"/en/eligibility/runs/{run.pk}/?format=csv&kind=gained"))
    assert rows[0][0] == "Programme" and len(rows) > 1
    assert {r[6] for r in rows[1:]} == {"Eligible"}
    tbilisi_only = login_as(Role.SSA_OFFICER, office="ssa-zugdidi")
    assert len(_csv(tbilisi_only.get(f"/en/eligibility/runs/{run.pk}/?format=csv"))) == 1
    terms = [e["terms"] for e in _exports("decisionchange")]
    assert {"run": run.pk, "kind": "gained", "export": "csv"} in terms
