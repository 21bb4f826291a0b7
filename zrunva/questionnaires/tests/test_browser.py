"""One journey in a real browser (issue 15's check): an analyst builds and publishes a form in
the editor, an interviewer answers it twice (once with errors, the conditional question shown by
htmx as the answer that asks it is chosen), and the results page shows the counts with a small
cell hidden; axe-core checks each page."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from zrunva.accounts.choices import Role
from zrunva.core.tests.accessibility import accessible
from zrunva.core.tests.browser import signed_in
from zrunva.geo.models import Municipality
from zrunva.questionnaires import services
from zrunva.questionnaires.choices import ResponseStatus, SurveyStatus
from zrunva.questionnaires.models import Form, Response

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _submit(page, label):
    with page.expect_navigation():
        page.get_by_role("button", name=label, exact=True).click()


def test_a_form_is_published_answered_twice_and_counted(live_server, page, make_user):
    url = live_server.url
    analyst = make_user(Role.ANALYST)
    interviewer = make_user(Role.SOCIAL_WORKER)
    codes = ("kutaisi", "zestaponi", "zugdidi", "senaki")
    kutaisi, zestaponi, zugdidi, senaki = (Municipality.objects.get(code=c) for c in codes)

    # The analyst builds the form in the editor and publishes it.
    desk = signed_in(page, live_server, analyst)
    desk.goto(f"{url}/en/questionnaires/forms/new/")
    accessible(desk)
    desk.fill("#id_code", "home-visit")
    desk.fill("#id_name_ka", "შინ ვიზიტი")
    desk.fill("#id_name_en", "Home visit")
    _submit(desk, "Save")
    desk.get_by_role("link", name="Add a section").click()
    desk.fill("#id_title_ka", "საცხოვრებელი")
    desk.fill("#id_title_en", "Living")
    _submit(desk, "Save")
    desk.get_by_role("link", name="Add a question").click()
    accessible(desk)
    desk.fill("#id_key", "alone")
    desk.select_option("#id_kind", "single")
    desk.fill("#id_label_ka", "მარტო ცხოვრობს?")
    desk.fill("#id_label_en", "Lives alone?")
    desk.check("#id_required")
    desk.fill("#id_choices", "yes | დიახ | Yes\nno | არა | No")
    _submit(desk, "Save")
    desk.get_by_role("link", name="Add a question").click()
    desk.fill("#id_key", "visits")
    desk.select_option("#id_kind", "number")
    desk.fill("#id_label_ka", "რამდენჯერ გინახულებენ კვირაში?")
    desk.fill("#id_label_en", "Visits a week?")
    desk.fill("#id_show_if", "${alone} = 'yes'")
    desk.fill("#id_low", "0")
    desk.fill("#id_high", "50")
    desk.check("#id_required")
    _submit(desk, "Save")
    expect(desk.locator("main")).to_contain_text("Shown only if")
    accessible(desk)
    _submit(desk, "Publish this version")
    expect(desk.locator("main")).to_contain_text("The version is published")
    form = Form.objects.get(code="home-visit")
    version = form.versions.get()

    # A survey of it in two regions; answers came in already from three municipalities.
    today = timezone.localdate()
    survey = services.survey_create(
        actor=analyst,
        form=form,
        code="visits-2026",
        name_ka="შინ ვიზიტები",
        name_en="Home visits",
        opens=today - datetime.timedelta(days=1),
        closes=today + datetime.timedelta(days=30),
        targets={kutaisi: 20, zestaponi: 20, zugdidi: 20, senaki: 20},
    )
    for place in (kutaisi, zestaponi, zugdidi, senaki):
        services.survey_assign(
            actor=analyst, survey=survey, interviewer=interviewer, municipality=place
        )
    services.survey_status_set(actor=analyst, survey=survey, status=SurveyStatus.OPEN)
    for place, count in ((kutaisi, 14), (zestaponi, 12), (senaki, 11)):
        for n in range(count):
            services.response_save(
                actor=interviewer,
                version=version,
                survey=survey,
                municipality=place,
                given={"alone": "no"} if n % 2 else {"alone": "yes", "visits": 2},
                submit=True,
            )

    # The interviewer answers in Zugdidi: first with an answer missing, then whole, twice.
    field = signed_in(page, live_server, interviewer)
    field.goto(f"{url}/en/questionnaires/surveys/{survey.pk}/")
    field.get_by_role("link", name="Start an interview").click()
    accessible(field)
    field.select_option("#id_municipality", str(zugdidi.pk))
    _submit(field, "Submit")
    expect(field.locator(".error-summary")).to_contain_text("Answer this question.")
    assert not Response.objects.filter(municipality=zugdidi).exists()
    accessible(field)
    expect(field.locator("input[name=visits]")).to_have_count(0)
    field.get_by_label("Yes", exact=True).check()
    # htmx draws the question the answer asks.
    expect(field.locator("input[name=visits]")).to_have_count(1)
    field.fill("input[name=visits]", "3")
    _submit(field, "Submit and start another")
    expect(field.locator("main")).to_contain_text("The answers are submitted")
    field.select_option("#id_municipality", str(zugdidi.pk))
    field.get_by_label("No", exact=True).check()
    _submit(field, "Submit")
    submitted = Response.objects.filter(municipality=zugdidi, status=ResponseStatus.SUBMITTED)
    assert sorted(r.answers.get("visits", 0) for r in submitted) == [0, 3]

    # Another analyst reads the results: Kutaisi's 14 shown, Zugdidi's 2 hidden (and Senaki's
    # 11 with it, since Samegrelo's 13 less Senaki's would give Zugdidi's back).
    reader = signed_in(page, live_server, make_user(Role.ANALYST))
    reader.goto(f"{url}/en/questionnaires/surveys/{survey.pk}/results/")
    accessible(reader)
    rows = reader.locator("table").first.locator("tbody tr")
    expect(rows.filter(has_text="Kutaisi")).to_contain_text("14")
    expect(rows.filter(has_text="Zugdidi")).to_contain_text("<10")
    expect(rows.filter(has_text="Senaki")).to_contain_text("<10")
    expect(rows.filter(has_text="Samegrelo")).to_contain_text("13")
    expect(reader.locator("main")).to_contain_text("Figures under 10 respondents are hidden")
