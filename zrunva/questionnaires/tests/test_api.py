"""Questionnaires over the API: the same rules and permissions as the pages, each form's answers
published as JSON Schema in the OpenAPI document."""

from zrunva.accounts.choices import Role
from zrunva.questionnaires.choices import SurveyStatus
from zrunva.questionnaires.models import Response, Tally
from zrunva.questionnaires.tests.factories import answer_many

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _post(client, url, body):
    return client.post(url, body, content_type="application/json", **EN)


def test_the_document_publishes_each_forms_answers(setting, client):
    client.force_login(setting["analyst"])
    document = client.get("/api/v1/openapi.json").json()
    answers = document["components"]["schemas"]["Answers_needs_v1"]
    assert answers["properties"]["alone"]["enum"] == ["yes", "no"]
    assert answers["properties"]["age"] == {
        "title": "age",
        "description": "age (ka)",
        "type": "integer",
        "minimum": 0,
        "maximum": 120,
    }
    assert answers["required"] == ["alone"]
    submission = document["components"]["schemas"]["SubmissionIn"]["properties"]["answers"]
    assert {"$ref": "#/components/schemas/Answers_needs_v1"} in submission["anyOf"]
    form = client.get("/api/v1/questionnaires/forms/needs").json()
    assert form["published_version"] == 1 and form["answers"] == answers


def test_an_interviewer_submits_through_the_api_with_the_pages_rules(setting, client):
    client.force_login(setting["interviewer"])
    url = f"/api/v1/questionnaires/surveys/{setting['survey'].pk}/responses"
    wrong = _post(client, url, {"municipality": "kutaisi", "answers": {"age": 190}})
    assert wrong.status_code == 400
    places = {tuple(e["loc"]): e["msg"] for e in wrong.json()["detail"]}
    assert places[("body", "answers", "age")] == "Give a value from 0 to 120."
    assert places[("body", "answers", "alone")] == "Answer this question."
    assert not Response.objects.exists()
    done = _post(client, url, {"municipality": "kutaisi", "answers": {"alone": "no", "age": 66}})
    assert done.status_code == 201, done.content
    body = done.json()
    assert body["status"] == "submitted" and body["answers"] == {"alone": "no", "age": 66}
    assert Tally.objects.get(key="alone", value="no").count == 1
    mine = client.get(f"{url}/{body['id']}")
    assert mine.status_code == 200
    # Not one's own and not an owner: as if it did not exist.
    other = client.__class__()
    colleague = setting["interviewer"].__class__.objects.create_user(
        "colleague", password="x-Zrunva-1", role=Role.SOCIAL_WORKER
    )
    other.force_login(colleague)
    assert other.get(f"{url}/{body['id']}").status_code == 404
    assert (
        _post(other, url, {"municipality": "kutaisi", "answers": {"alone": "no"}}).status_code
        == 404
    )
    # Outside one's areas: refused; a closed survey takes nothing.
    assert (
        _post(client, url, {"municipality": "batumi", "answers": {"alone": "no"}}).status_code
        == 403
    )
    setting["survey"].status = SurveyStatus.CLOSED
    setting["survey"].save()
    closed = _post(client, url, {"municipality": "kutaisi", "answers": {"alone": "no"}})
    assert closed.status_code == 400 and "closed" in closed.json()["detail"][0]["msg"]
    assert Response.objects.count() == 1


def test_results_over_the_api_hide_small_cells(setting, client):
    kutaisi, zugdidi, tbilisi = setting["places"]
    answer_many(setting, kutaisi, 12, {"alone": "yes"})
    answer_many(setting, tbilisi, 2, {"alone": "no"})
    reader = setting["interviewer"].__class__.objects.create_user(
        "reader", password="x-Zrunva-1", role=Role.ANALYST
    )
    client.force_login(reader)
    found = client.get(f"/api/v1/questionnaires/surveys/{setting['survey'].pk}/results").json()
    assert not found["whole"]
    rows = {r["area"]: r for r in found["responses"]["rows"]}
    assert rows[str(tbilisi)]["cells"] == [{"count": None, "hidden": True}]
    assert rows[str(kutaisi)]["cells"] == [{"count": 12, "hidden": False}]
    for table in [found["responses"], *found["questions"]]:
        for row in table["rows"]:
            assert all(c["hidden"] or c["count"] >= 10 for c in row["cells"])
    client.force_login(setting["analyst"])
    whole = client.get(f"/api/v1/questionnaires/surveys/{setting['survey'].pk}/results").json()
    assert {r["area"]: r for r in whole["responses"]["rows"]}[str(tbilisi)]["cells"][0][
        "count"
    ] == 2
