"""On PostgreSQL, what happens at once: interviewers submitting in the same area at the same
moment each count in the tallies (no update lost)."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.geo.models import Municipality
from zrunva.questionnaires import services
from zrunva.questionnaires.choices import SurveyStatus
from zrunva.questionnaires.models import Tally
from zrunva.questionnaires.tests.factories import SMALL


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_submissions_at_once_all_count(make_user):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL")
    analyst = make_user(Role.ANALYST)
    form = services.form_create(
        actor=analyst, code="at-once", name_ka="ა", name_en="A", questions=SMALL
    )
    version = services.version_publish(actor=analyst, version=form.versions.get())
    kutaisi = Municipality.objects.get(code="kutaisi")
    today = timezone.localdate()
    survey = services.survey_create(
        actor=analyst,
        form=form,
        code="at-once",
        name_ka="ა",
        name_en="A",
        opens=today - datetime.timedelta(days=1),
        closes=today + datetime.timedelta(days=1),
        targets={kutaisi: 10},
    )
    interviewers = [make_user(Role.SOCIAL_WORKER) for _ in range(4)]
    for person in interviewers:
        services.survey_assign(
            actor=analyst, survey=survey, interviewer=person, municipality=kutaisi
        )
    services.survey_status_set(actor=analyst, survey=survey, status=SurveyStatus.OPEN)
    barrier = threading.Barrier(len(interviewers))
    errors = []

    def submit(person):
        try:
            barrier.wait()
            for _ in range(5):
                services.response_save(
                    actor=person,
                    version=version,
                    survey=survey,
                    municipality=kutaisi,
                    given={"alone": "yes", "age": 70, "needs": ["care"]},
                    submit=True,
                )
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(p,)) for p in interviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    counts = dict(
        Tally.objects.filter(survey=survey)
        .values_list("key", "count")
        .filter(value__in=["", "yes"])
    )
    assert counts[""] == 20 and counts["alone"] == 20 and counts["age"] == 20
