import pytest
from django.test import Client

from zrunva.core.text import capfirst


@pytest.mark.parametrize(
    ("text", "expected"),
    [("მუნიციპალიტეტი", "მუნიციპალიტეტი"), ("municipality", "Municipality"), ("", "")],
)
def test_capfirst_leaves_georgian_lower_case(text, expected):
    assert capfirst(text) == expected


@pytest.mark.django_db
def test_georgian_labels_are_not_capitalised_into_mtavruli():
    page = Client().get("/accounts/login/").content.decode()
    assert "მომხმარებლის სახელი" in page
    assert not any("\u1c90" <= ch <= "\u1cbf" for ch in page)


@pytest.mark.django_db
def test_api_answers_in_the_language_asked_for(login_as):
    client = login_as("ssa_officer")

    def message(**headers):
        body = {
            "municipality": 999999,
            "address": "x",
            "head": {
                "personal_number": "01001012345",
                "first_name": "ნინო",
                "last_name": "ბერიძე",
                "birth_date": "1990-01-01",
                "sex": "F",
            },
        }
        response = client.post(
            "/api/v1/households", body, content_type="application/json", **headers
        )
        return response.json()["detail"][0]["msg"]

    assert message() == "უცნობი მუნიციპალიტეტი."
    assert message(HTTP_ACCEPT_LANGUAGE="en") == "Unknown municipality."
