"""Civil society's monitoring: a report's life (draft, published), each recommendation's
(answered, progress, closed, with the moves refused that the table does not allow), who may
answer (and the denials audited), and what the public sees."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.analytics import services_monitoring as services
from zrunva.analytics.models import Recommendation
from zrunva.analytics.tests import factories_budgets as f
from zrunva.geo.models import Municipality
from zrunva.notifications.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def monitor(make_user):
    return make_user(Role.CSO_MONITOR, organisation=f.monitoring_organisation("kutaisi", "tbilisi"))


@pytest.fixture
def officer(make_user):
    return make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi", email="gio@kutaisi.gov.ge")


def _draft(monitor, place="kutaisi", texts=("Publish the waiting list.", "Open on Saturdays.")):
    report = services.report_save(
        actor=monitor,
        report=None,
        data={
            "municipality": Municipality.objects.get(code=place),
            "subject": "programmes",
            "title": "Kutaisi's social programmes, 2026",
            "period": "January–June 2026",
            "findings": "The large-family programme paid late in March.",
        },
    )
    for text in texts:
        services.recommendation_add(actor=monitor, report=report, text=text)
    return report


def test_a_recommendation_goes_from_publication_to_closure(monitor, officer):
    report = _draft(monitor)
    first, second = report.recommendations.order_by("position")
    assert (first.status, first.position, second.position) == ("draft", 1, 2)
    with pytest.raises(ValidationError, match="cannot be answered"):
        services.recommendation_answer(
            actor=officer, recommendation=first, answer="accepted", reasons="x"
        )
    services.report_publish(actor=monitor, report=report)
    first.refresh_from_db()
    assert first.status == "open"
    assert Message.objects.filter(to="gio@kutaisi.gov.ge", reference=report.number).exists()
    with pytest.raises(ValidationError, match="already published"):
        services.report_publish(actor=monitor, report=report)
    with pytest.raises(ValidationError, match="draft report only"):
        services.recommendation_add(actor=monitor, report=report, text="One more.")
    with pytest.raises(ValidationError, match="cannot be given a progress report"):
        services.recommendation_progress(
            actor=officer, recommendation=first, on=timezone.localdate(), text="Started."
        )
    with pytest.raises(ValidationError) as missing:
        services.recommendation_answer(
            actor=officer, recommendation=first, answer="accepted", reasons=" "
        )
    assert missing.value.message_dict == {"reasons": ["Give the reasons for the answer."]}
    services.recommendation_answer(
        actor=officer, recommendation=first, answer="accepted", reasons="The list helps families."
    )
    with pytest.raises(ValidationError, match="cannot be answered"):
        services.recommendation_answer(
            actor=officer, recommendation=first, answer="rejected", reasons="No."
        )
    with pytest.raises(ValidationError, match="after a final progress report"):
        services.recommendation_close(actor=officer, recommendation=first)
    today = timezone.localdate()
    with pytest.raises(ValidationError) as future:
        services.recommendation_progress(
            actor=officer, recommendation=first, on=today + timedelta(days=1), text="Done."
        )
    assert "on" in future.value.message_dict
    services.recommendation_progress(actor=officer, recommendation=first, on=today, text="Drafted.")
    first.refresh_from_db()
    assert first.status == "in_progress"
    with pytest.raises(ValidationError, match="after a final progress report"):
        services.recommendation_close(actor=officer, recommendation=first)
    services.recommendation_progress(
        actor=officer, recommendation=first, on=today, text="Published on the site.", final=True
    )
    services.recommendation_close(actor=officer, recommendation=first)
    first.refresh_from_db()
    assert first.status == "closed" and first.closed_at is not None
    assert list(first.events.values_list("kind", flat=True)) == [
        "published",
        "answered",
        "progress",
        "progress",
        "closed",
    ]
    with pytest.raises(ValidationError, match="cannot be given a progress report"):
        services.recommendation_progress(
            actor=officer, recommendation=first, on=today, text="More."
        )
    # A rejection is closed without progress, and gets none.
    services.recommendation_answer(
        actor=officer, recommendation=second, answer="rejected", reasons="No staff on Saturdays."
    )
    with pytest.raises(ValidationError, match="no progress to report"):
        services.recommendation_progress(actor=officer, recommendation=second, on=today, text="x")
    services.recommendation_close(actor=officer, recommendation=second)
    assert Recommendation.objects.get(pk=second.pk).status == "closed"


def test_a_monitor_writes_only_to_municipalities_the_organisation_serves(monitor, make_user):
    with pytest.raises(ValidationError) as error:
        _draft(monitor, place="zugdidi")
    assert error.value.message_dict == {
        "municipality": ["Your organisation does not serve this municipality."]
    }
    report = _draft(monitor)
    colleague_elsewhere = make_user(
        Role.CSO_MONITOR, organisation=f.monitoring_organisation("kutaisi")
    )
    with pytest.raises(PermissionDenied):
        services.report_publish(actor=colleague_elsewhere, report=report)
    with pytest.raises(ValidationError, match="at least one recommendation"):
        services.report_publish(actor=monitor, report=_draft(monitor, texts=()))


@pytest.mark.parametrize(
    "who",
    ["other_officer", "monitor", "analyst", "anonymous"],
)
def test_only_the_municipalitys_own_officer_answers(who, monitor, officer, make_user):
    report = _draft(monitor)
    services.report_publish(actor=monitor, report=report)
    recommendation = report.recommendations.get(position=1)
    users = {
        "other_officer": lambda: make_user(Role.MUNICIPAL_OFFICER, municipality="zugdidi"),
        "monitor": lambda: monitor,
        "analyst": lambda: make_user(Role.ANALYST),
        "anonymous": lambda: None,
    }
    user = users[who]()
    client = Client()
    if user is not None:
        client.force_login(user)
    url = reverse("analytics:recommendation", args=[recommendation.pk])
    body = {"step": "answer", "answer-answer": "accepted", "answer-reasons": "Agreed."}
    response = client.post(url, body)
    api = client.post(
        f"/api/v1/monitoring/recommendations/{recommendation.pk}/answer",
        {"answer": "accepted", "reasons": "Agreed."},
        content_type="application/json",
    )
    recommendation.refresh_from_db()
    assert recommendation.status == "open"
    if user is None:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert api.status_code == 401
    else:
        assert (response.status_code, api.status_code) == (403, 403)
        assert LogEntry.objects.filter(actor=user, additional_data__attempt=True).count() == 2
    # The municipality's own officer may, through the page and the API alike.
    own = Client()
    own.force_login(officer)
    assert own.post(url, body).status_code == 302
    recommendation.refresh_from_db()
    assert (recommendation.status, recommendation.answer) == ("answered", "accepted")
    api = own.post(
        f"/api/v1/monitoring/recommendations/{recommendation.pk}/progress",
        {"on": timezone.localdate().isoformat(), "text": "Begun.", "final": True},
        content_type="application/json",
    )
    assert api.status_code == 200 and api.json()["status"] == "in_progress"


def test_the_public_sees_published_reports_only(monitor, officer):
    draft = _draft(monitor, texts=("Secret draft recommendation.",))
    published = _draft(monitor, texts=("Public recommendation.",))
    services.report_publish(actor=monitor, report=published)
    services.recommendation_answer(
        actor=officer,
        recommendation=published.recommendations.get(),
        answer="partly",
        reasons="Within this year's budget.",
    )
    client = Client()
    listing = client.get(reverse("open:monitoring")).content.decode()
    assert published.number in listing and draft.number not in listing
    assert client.get(reverse("open:monitoring_report", args=[draft.number])).status_code == 404
    page = client.get(reverse("open:monitoring_report", args=[published.number])).content.decode()
    assert "Public recommendation." in page and "Within this year&#x27;s budget." in page
    place = client.get(reverse("open:monitoring_municipality", args=["kutaisi"])).content.decode()
    assert "Public recommendation." in place and "Secret draft" not in place
    api = client.get("/api/v1/monitoring/reports").json()
    assert [r["number"] for r in api] == [published.number]
    assert client.get(f"/api/v1/monitoring/reports/{draft.number}").status_code == 404
    recommendations = client.get("/api/v1/monitoring/municipalities/kutaisi/recommendations").json()
    assert [(r["text"], r["answer"]) for r in recommendations] == [
        ("Public recommendation.", "partly")
    ]
    # The monitor sees the draft on the staff pages; an officer does not.
    desk = Client()
    desk.force_login(monitor)
    assert desk.get(reverse("analytics:monitoring_report", args=[draft.number])).status_code == 200
    other = Client()
    other.force_login(officer)
    assert other.get(reverse("analytics:monitoring_report", args=[draft.number])).status_code == 404
