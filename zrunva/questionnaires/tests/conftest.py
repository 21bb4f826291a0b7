"""A survey ready to answer: a published form, three municipalities with targets, an
interviewer assigned to each, open."""

import datetime

import pytest
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.geo.models import Municipality
from zrunva.questionnaires import services
from zrunva.questionnaires.choices import SurveyStatus
from zrunva.questionnaires.tests.factories import SMALL


@pytest.fixture
def setting(make_user):
    analyst = make_user(Role.ANALYST)
    form = services.form_create(
        actor=analyst, code="needs", name_ka="საჭიროებები", name_en="Needs", questions=SMALL
    )
    version = services.version_publish(actor=analyst, version=form.versions.get())
    kutaisi, zugdidi, tbilisi = (
        Municipality.objects.get(code=c) for c in ("kutaisi", "zugdidi", "tbilisi")
    )
    today = timezone.localdate()
    survey = services.survey_create(
        actor=analyst,
        form=form,
        code="needs-2026",
        name_ka="საჭიროებების კვლევა",
        name_en="Needs survey",
        opens=today - datetime.timedelta(days=1),
        closes=today + datetime.timedelta(days=30),
        targets={kutaisi: 40, zugdidi: 30, tbilisi: 20},
    )
    interviewer = make_user(Role.SOCIAL_WORKER)
    for m in (kutaisi, zugdidi, tbilisi):
        services.survey_assign(
            actor=analyst, survey=survey, interviewer=interviewer, municipality=m
        )
    services.survey_status_set(actor=analyst, survey=survey, status=SurveyStatus.OPEN)
    return {
        "analyst": analyst,
        "form": form,
        "version": version,
        "survey": survey,
        "interviewer": interviewer,
        "places": (kutaisi, zugdidi, tbilisi),
    }
