from datetime import date

import pytest
from django.urls import reverse

from zrunva.accounts.choices import Role
from zrunva.integration.models import Import, Source
from zrunva.integration.tests.factories_imports import (
    csv_upload,
    deaths_source,
    dry_run,
    municipal_list,
)
from zrunva.registry.models import Person
from zrunva.registry.tests.factories import household

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    return (
        household(head={"personal_number": "01001000001", "birth_date": date(1940, 3, 2)})
        .memberships.get()
        .person
    )


def test_upload_dry_run_report_and_commit(login_as, person, django_capture_on_commit_callbacks):
    source = deaths_source()
    client = login_as(Role.SSA_OFFICER)
    page = client.get(reverse("integration:source_detail", args=[source.pk]))
    assert page.status_code == 200 and "Died" in page.text
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            reverse("integration:source_detail", args=[source.pk]),
            {"file": csv_upload("PN,Died\n01001000001,2026-10-01\n01001000099,2026-10-01\n")},
        )
    job = Import.objects.get()
    assert answer.status_code == 302 and answer.url == reverse(
        "integration:import_detail", args=[job.pk]
    )
    job.refresh_from_db()
    assert job.status == "done"
    report = client.get(answer.url)
    assert "No one in the registry matches this row" in report.text
    assert "2026-10-01" in report.text
    rejected = client.get(answer.url, {"outcome": "rejected"})
    assert "01001000099" in rejected.text and "01001000001<" not in rejected.text
    xlsx = client.get(answer.url, {"format": "csv"})
    assert xlsx.status_code == 200 and b"01001000099" in b"".join(xlsx.streaming_content)
    with django_capture_on_commit_callbacks(execute=True):
        committed = client.post(reverse("integration:import_commit", args=[job.pk]))
    assert committed.status_code == 302
    assert Person.objects.get(pk=person.pk).date_of_death == date(2026, 10, 1)


def test_upload_errors_on_the_form(login_as, person):
    source = deaths_source()
    client = login_as(Role.SSA_OFFICER)
    answer = client.post(
        reverse("integration:source_detail", args=[source.pk]), {"file": csv_upload("A;B\n1;2\n")}
    )
    assert answer.status_code == 200
    assert "The file has no column “PN”, “Died”" in answer.text or "“Died”, “PN”" in answer.text
    assert not Import.objects.exists()


def test_pages_denied_and_scoped(login_as, person, django_assert_max_num_queries):
    national = deaths_source()
    kutaisi = municipal_list()
    worker = login_as(Role.SOCIAL_WORKER, office="sca-ge-im")
    assert worker.get(reverse("integration:home")).status_code == 403
    officer = login_as(Role.MUNICIPAL_OFFICER, municipality="zugdidi")
    home = officer.get(reverse("integration:home"))
    assert (
        home.status_code == 200 and kutaisi.name not in home.text and national.name not in home.text
    )
    assert officer.get(reverse("integration:source_detail", args=[kutaisi.pk])).status_code == 404
    job = dry_run(national, csv_upload("PN,Died\n01001000001,2026-10-01\n"))
    assert officer.get(reverse("integration:import_detail", args=[job.pk])).status_code == 404
    assert officer.post(reverse("integration:import_commit", args=[job.pk])).status_code == 404
    assert officer.get(reverse("integration:source_add")).status_code == 403
    admin = login_as(Role.ADMIN)
    with django_assert_max_num_queries(12):
        assert admin.get(reverse("integration:import_detail", args=[job.pk])).status_code == 200


def test_admin_defines_a_source_with_errors_by_field(login_as):
    admin = login_as(Role.ADMIN)
    url = reverse("integration:source_add")
    assert admin.get(url).status_code == 200
    bad = admin.post(
        url,
        {
            "code": "x",
            "name": "X",
            "encoding": "utf-8",
            "column_date_of_death": "d",
            "updates": ["date_of_death"],
        },
    )
    assert bad.status_code == 200 and "Map a column that finds people" in bad.text
    good = admin.post(
        url,
        {
            "code": "deaths",
            "name": "Deaths",
            "encoding": "utf-8",
            "column_personal_number": "PN",
            "column_date_of_death": "Died",
            "updates": ["date_of_death"],
            "date_formats": "%d.%m.%Y",
            "is_active": "on",
        },
    )
    source = Source.objects.get(code="deaths")
    assert good.status_code == 302
    assert source.mapping == {"personal_number": "PN", "date_of_death": "Died"}
    assert source.date_formats == ["%d.%m.%Y"]


def test_api_dry_run_rows_and_commit(login_as, person, django_capture_on_commit_callbacks):
    source = deaths_source()
    client = login_as(Role.SSA_OFFICER)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            f"/api/v1/integration/sources/{source.pk}/imports",
            {"file": csv_upload("PN,Died\n01001000001,2026-10-01\n0100,2026-10-01\n")},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert answer.status_code == 201, answer.content
    job_id = answer.json()["id"]
    assert client.get(f"/api/v1/integration/imports/{job_id}").json()["summary"]["rejected"] == 1
    rows = client.get(f"/api/v1/integration/imports/{job_id}/rows", {"outcome": "rejected"}).json()
    assert rows["items"][0]["errors"] == [
        {"field": "personal_number", "reason": "A personal number has exactly 11 digits."}
    ]
    bad = client.post(
        f"/api/v1/integration/sources/{source.pk}/imports",
        {"file": csv_upload("")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert bad.status_code == 400
    assert bad.json()["detail"] == [{"loc": ["body", "file"], "msg": "The file is empty."}]
    none = client.post(
        f"/api/v1/integration/sources/{source.pk}/imports", {}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert none.status_code == 400 and none.json()["detail"][0]["msg"] == "The file is empty."
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(f"/api/v1/integration/imports/{job_id}/commit")
    assert done.status_code == 201 and done.json()["checked_id"] == job_id
    assert Person.objects.get(pk=person.pk).date_of_death == date(2026, 10, 1)
    again = client.post(f"/api/v1/integration/imports/{job_id}/commit")
    assert again.status_code == 400
    stranger = login_as(Role.MUNICIPAL_OFFICER, municipality="zugdidi")
    assert stranger.get(f"/api/v1/integration/imports/{job_id}").status_code == 404
    assert stranger.get("/api/v1/integration/sources").json() == []


def test_health_changes_are_hidden_from_those_who_may_not_read_them(login_as, person):
    from zrunva.integration.tests.factories_imports import commit

    source = deaths_source(
        code="disability",
        mapping={"personal_number": "PN", "disability_degree": "D"},
        updates=["disability_degree"],
        municipality=person.municipality,
    )
    officer = login_as(Role.SSA_OFFICER)
    job = dry_run(source, csv_upload("PN,D\n01001000001,severe\n"), actor=officer.user)
    page = officer.get(reverse("integration:import_detail", args=[job.pk]))
    assert '<ins class="changes__new">severe</ins>' in page.text
    clerk = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    for answer in (
        clerk.get(reverse("integration:import_detail", args=[job.pk])),
        clerk.get(reverse("integration:import_detail", args=[job.pk]), {"format": "csv"}),
        clerk.get(f"/api/v1/integration/imports/{job.pk}/rows"),
    ):
        body = (
            answer.text
            if hasattr(answer, "text") and not answer.streaming
            else b"".join(answer.streaming_content).decode()
        )
        assert answer.status_code == 200 and "severe" not in body
    assert commit(job).summary["changed"] == 1
