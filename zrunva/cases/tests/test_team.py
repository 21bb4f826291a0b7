"""Supervision and workforce: sessions with the supervisor's own team about the area's cases,
qualifications with expiry, each seen by the supervisor and by the worker they are about."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.cases import selectors, services
from zrunva.cases.tests import factories

IMERETI = "sca-ge-im"


def test_sessions_and_records_stay_within_the_team(make_user, login_as):
    supervisor = make_user(Role.SUPERVISOR, office=IMERETI)
    worker = make_user(Role.SOCIAL_WORKER, office=IMERETI)
    stranger = make_user(Role.SOCIAL_WORKER, office="sca-ge-tb")
    case = factories.case(worker)
    far_case = factories.case(stranger, factories.person("tbilisi"))
    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        services.session_record(
            actor=supervisor,
            kind="group",
            held_on=today + datetime.timedelta(days=1),
            workers=[worker, stranger],
            cases=[far_case],
        )
    assert set(refused.value.message_dict) == {"held_on", "workers", "cases"}
    session = services.session_record(
        actor=supervisor,
        kind="individual",
        held_on=today,
        workers=[worker],
        cases=[case],
        agreed="Visit weekly.",
    )
    assert list(selectors.sessions(actor=worker)) == [session]
    assert not selectors.sessions(actor=stranger).exists()
    services.worker_record_add(
        actor=supervisor,
        worker=worker,
        kind="certification",
        name="Case management",
        obtained_on=today - datetime.timedelta(days=700),
        expires_on=today - datetime.timedelta(days=1),
    )
    with pytest.raises(ValidationError, match="expires after"):
        services.worker_record_add(
            actor=supervisor,
            worker=worker,
            kind="training",
            name="x",
            obtained_on=today,
            expires_on=today,
        )
    with pytest.raises(ValidationError):
        services.worker_record_add(
            actor=supervisor, worker=stranger, kind="training", name="x", obtained_on=today
        )
    with pytest.raises(PermissionDenied):
        services.worker_record_add(
            actor=worker, worker=worker, kind="training", name="x", obtained_on=today
        )
    mine = selectors.team(actor=worker)
    assert [r["worker"] for r in mine] == [worker] and mine[0]["records"][0].expired
    client = login_as(Role.SUPERVISOR, office=IMERETI)
    client.force_login(supervisor)
    page = client.get("/en/cases/team/").content.decode()
    assert "Case management" in page and "expired" in page and stranger.username not in page
