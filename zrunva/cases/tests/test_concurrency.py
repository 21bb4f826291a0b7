"""On PostgreSQL, two workers referring the same case to the same service at the same moment
leave one open referral (the database's constraint decides; the other is refused)."""

import threading

import pytest
from django.db import connection

from zrunva.accounts.choices import Role
from zrunva.cases import services
from zrunva.cases.models import Colleague, Referral
from zrunva.cases.tests import factories
from zrunva.services.tests import factories as catalogue


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_open_referral_when_two_refer_at_once(make_user):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL")
    worker = make_user(Role.SOCIAL_WORKER, office="sca-ge-im")
    supervisor = make_user(Role.SUPERVISOR, office="sca-ge-im")
    case = factories.case(worker)
    service = catalogue.service(catalogue.provider(organisation=catalogue.organisation("O")))
    barrier = threading.Barrier(2)
    outcomes = {}

    def refer(actor):
        try:
            barrier.wait()
            services.referral_send(actor=actor, case=case, service=service, note="n")
            outcomes[actor.pk] = "done"
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcomes[actor.pk] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=refer, args=(a,)) for a in (worker, supervisor)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Referral.objects.filter(case=case, service=service).count() == 1
    assert list(outcomes.values()).count("done") == 1, outcomes
    assert not Colleague.objects.exists()
