"""The questionnaire pages: the editor (each change checked whole, refused with its place),
the preview, publishing, the answering page (every fault at once, drafts, conditions without
JavaScript and with htmx, repeated groups), results and exports with small cells hidden, and
who may do what."""

import csv
import io
import json

from auditlog.models import LogEntry

from zrunva.accounts.choices import Role
from zrunva.geo.models import Municipality
from zrunva.questionnaires import services
from zrunva.questionnaires.choices import ResponseStatus, VersionStatus
from zrunva.questionnaires.models import Form, Response, Tally
from zrunva.questionnaires.tests.factories import SMALL, answer_many


def test_an_analyst_builds_a_form_question_by_question(login_as):
    client = login_as(Role.ANALYST)
    page = client.post(
        "/en/questionnaires/forms/new/",
        {"code": "visit", "name_ka": "ვიზიტი", "name_en": "Visit"},
    )
    form = Form.objects.get(code="visit")
    assert page.status_code == 302
    base = f"/en/questionnaires/forms/{form.pk}"
    client.post(f"{base}/sections/new/", {"title_ka": "ზოგადი", "title_en": "General"})
    answer = client.post(
        f"{base}/sections/1/new/",
        {
            "key": "age",
            "kind": "number",
            "label_ka": "ასაკი",
            "label_en": "Age",
            "low": "0",
            "high": "120",
            "integer": "on",
            "required": "on",
        },
    )
    assert answer.status_code == 302
    # A condition on a question that is not before this one is refused, with its place.
    refused = client.post(
        f"{base}/sections/1/new/",
        {
            "key": "help",
            "kind": "yes_no",
            "label_ka": "დახმარება",
            "label_en": "Help",
            "show_if": "${alone} = 'yes'",
        },
    )
    assert refused.status_code == 200
    assert "Section 1, question 2 (help)" in refused.content.decode()
    assert "which is not a question before this one" in refused.content.decode()
    client.post(
        f"{base}/sections/1/new/",
        {
            "key": "alone",
            "kind": "single",
            "label_ka": "მარტო ცხოვრობს?",
            "label_en": "Lives alone?",
            "choices": "yes | დიახ | Yes\nno | არა | No",
        },
    )
    client.post(
        f"{base}/sections/1/new/",
        {
            "key": "help",
            "kind": "yes_no",
            "label_ka": "დახმარება",
            "label_en": "Help",
            "show_if": "${alone} = 'yes'",
        },
    )
    draft = form.versions.get()
    assert [q["key"] for q in draft.definition["sections"][0]["questions"]] == [
        "age",
        "alone",
        "help",
    ]
    # Moving the condition above what it reads is refused too.
    client.post(f"{base}/move/", {"s": 1, "q": 3, "what": "up"})
    draft.refresh_from_db()
    assert [q["key"] for q in draft.definition["sections"][0]["questions"]] == [
        "age",
        "alone",
        "help",
    ]
    # The preview checks the answers and keeps none.
    preview = client.post(f"{base}/preview/", {"action": "submit", "age": "190", "alone": "yes"})
    text = preview.content.decode()
    assert "Give a value from 0 to 120." in text and "There is a problem" in text
    assert not Response.objects.exists()
    # The preview without JavaScript: the conditional question appears once its answer holds.
    shown = client.post(f"{base}/preview/", {"action": "refresh", "age": "70", "alone": "yes"})
    assert 'name="help"' in shown.content.decode()
    hidden = client.post(f"{base}/preview/", {"action": "refresh", "age": "70", "alone": "no"})
    assert 'name="help"' not in hidden.content.decode()
    # With htmx, only the questions come back.
    fragment = client.post(
        f"{base}/preview/", {"action": "refresh", "alone": "yes"}, HTTP_HX_REQUEST="true"
    )
    assert fragment.content.decode().lstrip().startswith('<div id="questions"')
    # A repeated group, then a question in it; the group cannot turn into another kind then.
    client.post(
        f"{base}/sections/1/new/",
        {
            "key": "members",
            "kind": "group",
            "label_ka": "წევრები",
            "label_en": "Members",
            "max_repeats": "5",
        },
    )
    client.post(
        f"{base}/sections/1/4/new/",
        {"key": "m_age", "kind": "number", "label_ka": "ასაკი", "label_en": "Age"},
    )
    changed = client.post(
        f"{base}/sections/1/4/",
        {"key": "members", "kind": "text", "label_ka": "წევრები", "label_en": "Members"},
    )
    assert "This group holds questions" in changed.content.decode()
    draft.refresh_from_db()
    group = draft.definition["sections"][0]["questions"][3]
    assert group["kind"] == "group" and [q["key"] for q in group["questions"]] == ["m_age"]
    client.post(f"{base}/publish/")
    draft.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED
    # A published version is changed only through a new version.
    client.post(
        f"{base}/sections/1/new/", {"key": "x", "kind": "text", "label_ka": "x", "label_en": "x"}
    )
    draft.refresh_from_db()
    assert len(draft.definition["sections"][0]["questions"]) == 4
    client.post(base + "/", {"step": "new_version"})
    assert form.versions.filter(status=VersionStatus.DRAFT, number=2).exists()


def test_the_editor_and_forms_are_refused_to_other_roles(login_as):
    for role in (Role.SOCIAL_WORKER, Role.DPO, Role.SERVICE_PROVIDER):
        client = login_as(role)
        assert client.get("/en/questionnaires/forms/").status_code == 403
        assert (
            client.post(
                "/en/questionnaires/forms/new/", {"code": "x", "name_ka": "x", "name_en": "x"}
            ).status_code
            == 403
        )
    assert not Form.objects.filter(code="x").exists()


def test_an_interviewer_answers_with_errors_then_submits(setting, client):
    survey, kutaisi = setting["survey"], setting["places"][0]
    client.force_login(setting["interviewer"])
    url = f"/en/questionnaires/surveys/{survey.pk}/answer/"
    page = client.get(url)
    assert page.status_code == 200 and 'name="alone"' in page.content.decode()
    wrong = client.post(
        url,
        {"action": "submit", "municipality": kutaisi.pk, "age": "abc", "needs": ["care", "wings"]},
    )
    text = wrong.content.decode()
    # Every fault at once, each at its question.
    assert "Answer this question." in text and "Give a number." in text
    assert "Choose from the choices given." in text
    assert not Response.objects.exists() and not Tally.objects.exists()
    draft = client.post(url, {"action": "draft", "municipality": kutaisi.pk, "age": "71"})
    kept = Response.objects.get()
    assert kept.status == ResponseStatus.DRAFT and kept.answers == {"age": 71}
    assert draft.url.endswith(f"/answer/{kept.pk}/")
    again = client.get(draft.url)
    assert 'value="71"' in again.content.decode()
    done = client.post(draft.url, {"action": "submit", "age": "71", "alone": "yes"})
    assert done.status_code == 302
    kept.refresh_from_db()
    assert kept.status == ResponseStatus.SUBMITTED and kept.municipality == kutaisi
    assert Tally.objects.get(key="", municipality=kutaisi).count == 1


def test_someone_not_assigned_cannot_answer(setting, login_as):
    stranger = login_as(Role.SOCIAL_WORKER)
    url = f"/en/questionnaires/surveys/{setting['survey'].pk}/answer/"
    assert stranger.get(url).status_code == 404  # the survey is not one of theirs
    assert stranger.post(url, {"action": "submit", "alone": "yes"}).status_code == 404
    # An interviewer posting an area they are not assigned to is refused at the field.
    client = login_as(Role.SOCIAL_WORKER)
    services.survey_assign(
        actor=setting["analyst"],
        survey=setting["survey"],
        interviewer=client.user,
        municipality=setting["places"][0],
    )
    batumi = Municipality.objects.get(code="batumi")
    page = client.post(url, {"action": "submit", "municipality": batumi.pk, "alone": "yes"})
    assert page.status_code == 200 and "Select a valid choice" in page.content.decode()
    assert not Response.objects.exists()


def test_a_repeated_group_grows_and_shrinks_without_javascript(login_as):
    client = login_as(Role.ANALYST)
    definition = {
        "sections": [
            {
                "title_ka": "ოჯახი",
                "title_en": "Household",
                "questions": [
                    {
                        "key": "members",
                        "kind": "group",
                        "label_ka": "წევრები",
                        "label_en": "Members",
                        "max_repeats": 3,
                        "questions": [
                            {
                                "key": "m_age",
                                "kind": "number",
                                "label_ka": "ასაკი",
                                "label_en": "Age",
                                "required": True,
                            },
                        ],
                    }
                ],
            }
        ]
    }
    form = services.form_create(
        actor=client.user, code="hh", name_ka="ო", name_en="H", questions=definition
    )
    url = f"/en/questionnaires/forms/{form.pk}/preview/"
    first = client.get(url).content.decode()
    assert 'name="members-1-m_age"' not in first
    added = client.post(url, {"action": "add:members", "members-count": "0"}).content.decode()
    assert 'name="members-1-m_age"' in added
    two = client.post(
        url, {"action": "add:members", "members-count": "1", "members-1-m_age": "40"}
    ).content.decode()
    assert 'name="members-2-m_age"' in two and 'value="40"' in two
    checked = client.post(
        url, {"action": "submit", "members-count": "2", "members-1-m_age": "40"}
    ).content.decode()
    assert "Answer this question." in checked  # the second entry's age


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_results_and_their_files_hide_small_cells_from_non_owners(setting, login_as):
    kutaisi, zugdidi, tbilisi = setting["places"]
    answer_many(setting, kutaisi, 12, {"alone": "yes", "age": 70})
    answer_many(setting, zugdidi, 11, {"alone": "no", "age": 80})
    answer_many(setting, tbilisi, 3, {"alone": "no", "age": 90})
    url = f"/en/questionnaires/surveys/{setting['survey'].pk}/results/"
    reader = login_as(Role.ANALYST)
    text = reader.get(url).content.decode()
    assert "&lt;10" in text
    rows = _csv(reader.get(url + "?format=csv"))
    tbilisi_rows = [r for r in rows if r[3] == str(tbilisi) and r[0] == ""]
    assert tbilisi_rows and tbilisi_rows[0][5] == "<10"
    assert all(r[5] == "<10" or not r[5].isdigit() or int(r[5]) >= 10 for r in rows[1:])
    # Single responses are for the owners alone; the refusal is recorded.
    denied = reader.get(f"/en/questionnaires/surveys/{setting['survey'].pk}/answers/?format=csv")
    assert denied.status_code == 403
    assert LogEntry.objects.filter(additional_data__attempt=True, actor=reader.user).exists()
    owner = login_as(Role.ANALYST)
    owner.force_login(setting["analyst"])
    whole = _csv(owner.get(url + "?format=csv"))
    assert [r for r in whole if r[3] == str(tbilisi) and r[0] == ""][0][5] == "3"
    answers = owner.get(f"/en/questionnaires/surveys/{setting['survey'].pk}/answers/?format=csv")
    lines = _csv(answers)
    assert lines[0][:4] == ["Response", "Form version", "Municipality", "Submitted"]
    assert {"alone", "age", "needs"} <= set(lines[0]) and len(lines) == 27
    # Roles that read no results are refused the page.
    assert login_as(Role.DPO).get(url).status_code == 403
    assert login_as(Role.SOCIAL_WORKER).get(url).status_code == 403


def test_a_survey_is_prepared_opened_and_closed_on_its_page(login_as):
    client = login_as(Role.ANALYST)
    form = services.form_create(
        actor=client.user, code="n", name_ka="ნ", name_en="N", questions=SMALL
    )
    services.version_publish(actor=client.user, version=form.versions.get())
    made = client.post(
        "/en/questionnaires/surveys/new/",
        {
            "form": form.pk,
            "code": "s1",
            "name_ka": "კვლევა",
            "name_en": "Survey",
            "subject": "anonymous",
            "opens": "2026-01-01",
            "closes": "2025-12-31",
        },
    )
    assert "The survey closes on or after the day it opens." in made.content.decode()
    made = client.post(
        "/en/questionnaires/surveys/new/",
        {
            "form": form.pk,
            "code": "s1",
            "name_ka": "კვლევა",
            "name_en": "Survey",
            "subject": "anonymous",
            "opens": "2026-01-01",
            "closes": "2030-12-31",
        },
    )
    assert made.status_code == 302
    page = made.url
    refused = client.post(
        page.replace("/surveys/", "/surveys/").rstrip("/") + "/status/", {"status": "open"}
    )
    assert refused.status_code == 302
    kutaisi = Municipality.objects.get(code="kutaisi")
    client.post(page, {"step": "area", "area-municipality": kutaisi.pk, "area-target": "50"})
    both = client.post(
        page,
        {
            "step": "area",
            "area-municipality": kutaisi.pk,
            "area-region": kutaisi.region_id,
            "area-target": "5",
        },
    )
    assert "Choose a municipality or a region, one of them." in both.content.decode()
    samegrelo = Municipality.objects.get(code="zugdidi").region
    whole = client.post(page, {"step": "area", "area-region": samegrelo.pk, "area-target": "30"})
    assert whole.status_code == 302
    worker = login_as(Role.SOCIAL_WORKER).user
    client.post(
        page,
        {"step": "assign", "assign-username": worker.username, "assign-municipality": kutaisi.pk},
    )
    client.post(page.rstrip("/") + "/status/", {"status": "open"})
    from zrunva.questionnaires.models import Survey

    survey = Survey.objects.get(code="s1")
    assert survey.status == "open" and survey.assignments.get().interviewer == worker
    assert survey.areas.count() == 1 + samegrelo.municipalities.count()
    assert survey.areas.get(municipality=kutaisi).target == 50
    # Someone who does not own it cannot change it.
    other = login_as(Role.ANALYST)
    assert other.post(page.rstrip("/") + "/status/", {"status": "closed"}).status_code == 403


def test_a_form_goes_out_and_comes_back_through_the_pages(login_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login_as(Role.ANALYST)
    form = services.form_create(
        actor=client.user, code="needs", name_ka="ნ", name_en="N", questions=SMALL
    )
    services.version_publish(actor=client.user, version=form.versions.get())
    workbook = client.get(f"/en/questionnaires/forms/{form.pk}/export/xlsx/").content
    document = client.get(f"/en/questionnaires/forms/{form.pk}/export/json/").json()
    assert document["definition"] == form.versions.get().definition
    # The same code comes back as the form's next draft.
    back = client.post(
        "/en/questionnaires/forms/import/",
        {"file": SimpleUploadedFile("needs.xlsx", workbook)},
    )
    assert back.status_code == 302
    draft = form.versions.get(number=2)
    assert draft.status == VersionStatus.DRAFT
    assert draft.definition["sections"][0]["questions"] == SMALL["sections"][0]["questions"]
    # A broken file: every fault listed, nothing kept.
    broken = json.dumps(
        {
            **document,
            "code": "other",
            "definition": {
                "sections": [
                    {
                        "title_ka": "ა",
                        "title_en": "A",
                        "questions": [{"key": "Bad!", "kind": "slider"}],
                    }
                ]
            },
        }
    )
    page = client.post(
        "/en/questionnaires/forms/import/",
        {"file": SimpleUploadedFile("other.json", broken.encode())},
    )
    text = page.content.decode()
    assert "The file was not imported" in text and "a key is 1 to 40" in text
    assert not Form.objects.filter(code="other").exists()
    wrong = client.post(
        "/en/questionnaires/forms/import/",
        {"file": SimpleUploadedFile("form.txt", b"hello")},
    )
    assert "Give a .json or an .xlsx file." in wrong.content.decode()


def test_a_draft_of_a_version_retired_meanwhile_is_refused_on_the_page(setting, client):
    survey, kutaisi = setting["survey"], setting["places"][0]
    draft = services.response_save(
        actor=setting["interviewer"],
        version=setting["version"],
        survey=survey,
        municipality=kutaisi,
        given={"age": 70},
        submit=False,
    )
    newer = services.draft_save(actor=setting["analyst"], form=setting["form"], questions=SMALL)
    services.version_publish(actor=setting["analyst"], version=newer)  # retires the draft's
    client.force_login(setting["interviewer"])
    page = client.post(
        f"/en/questionnaires/surveys/{survey.pk}/answer/{draft.pk}/",
        {"action": "submit", "age": "70", "alone": "yes"},
    )
    assert page.status_code == 200
    assert "This form version is not open for answers." in page.content.decode()
    draft.refresh_from_db()
    assert draft.status == ResponseStatus.DRAFT
