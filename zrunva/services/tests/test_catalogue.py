"""The catalogue's staff side: who proposes, who approves, every version kept, bad input."""

import contextlib
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import translation

from zrunva.accounts.choices import Role
from zrunva.core import revisions
from zrunva.core.models import Revision, RevisionStatus
from zrunva.geo.models import Municipality
from zrunva.services.forms import ServiceForm
from zrunva.services.models import Provider, Service
from zrunva.services.tests import factories

pytestmark = pytest.mark.django_db


def _url(view: str, *args) -> str:
    with translation.override("ka"):  # the path without a language prefix
        return reverse(f"services:{view}", args=args)


@pytest.fixture
def cso(make_user):
    """A civil-society provider, public, with one user of its own."""
    organisation = factories.organisation()
    provider = factories.provider(organisation=organisation)
    staff = make_user(Role.SERVICE_PROVIDER, organisation=organisation)
    return provider, staff


def _decide(client, record, data: dict):
    """Approve or reject the version the page showed (the one waiting now)."""
    waiting = revisions.pending(record)
    url = _url(f"{record._meta.model_name}_decide", record.pk)
    return client.post(url, {**data, "revision": waiting.pk if waiting else ""})


def _client(client, user):
    client.force_login(user)
    return client


def test_an_administrator_adds_a_provider_which_is_public_at_once(login_as):
    admin = login_as(Role.ADMIN)
    response = admin.post(_url("provider_add"), factories.provider_data())
    provider = Provider.objects.get()
    assert response.status_code == 302 and response["Location"] == _url(
        "provider_detail", provider.pk
    )
    assert provider.published and provider.search_key == "khelgashlili open hands"
    (version,) = revisions.versions(provider)
    assert version.status == RevisionStatus.APPROVED and version.decided_by == admin.user


@pytest.mark.parametrize("role", [Role.SERVICE_PROVIDER, Role.MUNICIPAL_OFFICER, Role.SSA_OFFICER])
def test_only_an_administrator_adds_a_provider(login_as, role):
    scope = {
        Role.SERVICE_PROVIDER: {"organisation": factories.organisation()},
        Role.MUNICIPAL_OFFICER: {"municipality": "kutaisi"},
        Role.SSA_OFFICER: {},
    }[role]
    client = login_as(role, **scope)
    assert client.post(_url("provider_add"), factories.provider_data()).status_code == 403
    assert not Provider.objects.exists()


def test_a_providers_service_waits_for_a_national_officer_then_is_public(cso, client, login_as):
    provider, staff = cso
    mine = _client(client, staff)
    response = mine.post(_url("service_add"), factories.service_data(provider))
    service = Service.objects.get()
    assert response["Location"] == _url("service_detail", service.pk)
    assert not service.published and service.opening_hours == [
        [day, "09:00", "18:00"] for day in range(1, 6)
    ]
    assert service.languages == ["ka", "en"] and service.step_free
    # Its own staff may not approve it.
    assert _decide(mine, service, {"action": "approve"}).status_code == 403
    # An office's SSA officer neither (they do not even see it): only national officers and
    # administrators.
    office = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    assert _decide(office, service, {"action": "approve"}).status_code == 404
    national = login_as(Role.SSA_OFFICER)
    page = national.get(_url("service_detail", service.pk)).content.decode()
    assert "Approve and publish" in page or "დამტკიცება" in page
    _decide(national, service, {"action": "approve"})
    service.refresh_from_db()
    assert service.published
    (version,) = revisions.versions(service)
    assert (version.status, version.proposed_by, version.decided_by) == (
        RevisionStatus.APPROVED,
        staff,
        national.user,
    )


def test_a_change_to_a_public_service_shows_only_once_approved(cso, client, login_as):
    provider, staff = cso
    service = factories.service(provider, capacity=20, admitted=5)
    mine = _client(client, staff)
    data = factories.service_data(provider, name_en="Day centre, renamed", admitted="6")
    assert mine.post(_url("service_edit", service.pk), data).status_code == 302
    service.refresh_from_db()
    assert service.name_en == "Day centre" and service.admitted == 5  # the public version
    waiting = revisions.pending(service)
    assert waiting.data["name_en"] == ["Day centre, renamed"]
    # Editing again continues from the waiting version and replaces it: one waits at a time.
    form = mine.get(_url("service_edit", service.pk)).context["form"]
    assert form["name_en"].value() == "Day centre, renamed"
    mine.post(_url("service_edit", service.pk), data | {"admitted": "7"})
    assert Revision.objects.filter(status=RevisionStatus.PENDING).count() == 1
    national = login_as(Role.SSA_OFFICER)
    refused = _decide(national, service, {"action": "reject", "note": " "})
    assert refused.status_code == 302 and revisions.pending(service) is not None  # a note needed
    _decide(national, service, {"action": "reject", "note": "Not 7 yet"})
    service.refresh_from_db()
    assert service.admitted == 5 and revisions.pending(service) is None
    mine.post(_url("service_edit", service.pk), data)
    _decide(national, service, {"action": "approve"})
    service.refresh_from_db()
    assert (service.name_en, service.admitted) == ("Day centre, renamed", 6)
    page = national.get(_url("service_versions", service.pk)).content.decode()
    # The one replaced while waiting, the rejected one and the approved one: all kept.
    assert page.count('id="version-') == 3 and "Not 7 yet" in page


def test_a_provider_cannot_touch_another_providers_entries(cso, client, make_user):
    provider, _staff = cso
    theirs = factories.service(provider)
    other_org = factories.organisation("Other CSO")
    other = factories.provider(
        organisation=other_org, identification_code="204000001", name_en="Other"
    )
    outsider = _client(client, make_user(Role.SERVICE_PROVIDER, organisation=other_org))
    assert outsider.get(_url("service_edit", theirs.pk)).status_code == 403
    data = factories.service_data(provider)
    assert outsider.post(_url("service_edit", theirs.pk), data).status_code == 403
    assert (
        outsider.post(_url("provider_edit", provider.pk), factories.provider_data()).status_code
        == 403
    )
    # Adding a service under another provider's name: not a choice the form offers.
    response = outsider.post(_url("service_add"), data)
    assert response.status_code == 200 and "provider" in response.context["form"].errors
    form = outsider.get(_url("service_add")).context["form"]
    assert list(form.fields["provider"].queryset) == [other]
    assert not Service.objects.exclude(pk=theirs.pk).exists()


def test_unpublished_entries_are_seen_only_by_their_provider_and_approvers(
    cso, make_user, login_as
):
    provider, staff = cso
    draft = factories.service(provider, published=False, name_en="Draft service")
    other_org = factories.organisation("Other CSO")
    outsider = login_as(Role.SERVICE_PROVIDER, organisation=other_org)
    assert outsider.get(_url("service_detail", draft.pk)).status_code == 404
    assert "Draft service" not in outsider.get(_url("service_list")).content.decode()
    for client in (
        login_as(Role.SERVICE_PROVIDER, organisation=provider.organisation),
        login_as(Role.SSA_OFFICER),
    ):
        assert client.get(_url("service_detail", draft.pk)).status_code == 200
    municipal = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    assert municipal.get(_url("service_detail", draft.pk)).status_code == 404  # a CSO's, not theirs


def test_a_municipal_provider_is_approved_by_its_own_municipality_only(client, make_user, login_as):
    organisation = factories.organisation("Kutaisi City Care")
    provider = factories.provider(
        kind="municipal", organisation=organisation, identification_code="204000002"
    )
    staff = make_user(Role.SERVICE_PROVIDER, organisation=organisation)
    _client(client, staff).post(_url("service_add"), factories.service_data(provider))
    service = Service.objects.get()
    for denied in (
        login_as(Role.MUNICIPAL_OFFICER, municipality="batumi"),
        login_as(Role.SSA_OFFICER),
        login_as(Role.ADMIN),
    ):
        assert denied.post(
            _url("service_decide", service.pk), {"action": "approve"}
        ).status_code in (403, 404)
    kutaisi = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    _decide(kutaisi, service, {"action": "approve"})
    service.refresh_from_db()
    assert service.published


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"capacity": "10", "admitted": "12"},
            "capacity",
            "The places (10) are fewer than the people using it now (12).",
        ),
        (
            {"latitude": "51.5", "longitude": "-0.1"},
            "latitude",
            "A latitude in Georgia is between 41.0 and 43.6 (north).",
        ),
        (
            {"latitude": "42.27"},
            "longitude",
            "Give both the latitude and the longitude, or neither.",
        ),
        ({"phone": "12"}, "phone", "Enter a phone number, e.g. 555 12 34 56 or +995 555 12 34 56."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        (
            {"opening_hours": "Mon 18:00-09:00"},
            "opening_hours",
            "Monday: closing at 09:00 is not after opening at 18:00.",
        ),
        ({"name_ka": ""}, "name_ka", "This field is required."),
    ],
)
def test_bad_input_is_refused_at_its_field_and_nothing_is_stored(
    cso, client, changes, field, message
):
    provider, staff = cso
    mine = _client(client, staff)
    response = mine.post("/en" + _url("service_add"), factories.service_data(provider, **changes))
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert not Service.objects.exists() and not Revision.objects.exists()


def test_a_bad_identification_code_is_refused(login_as):
    admin = login_as(Role.ADMIN)
    response = admin.post(
        "/en" + _url("provider_add"), factories.provider_data(identification_code="12345")
    )
    assert response.context["form"].errors["identification_code"] == [
        "An identification code is 9 digits, as in the public registry's extract."
    ]


def test_text_with_html_is_shown_escaped(cso, client):
    provider, staff = cso
    mine = _client(client, staff)
    mine.post(
        _url("service_add"), factories.service_data(provider, name_en="<script>alert(1)</script>")
    )
    service = Service.objects.get()
    page = mine.get("/en" + _url("service_detail", service.pk)).content.decode()
    assert (
        "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    )


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("dghis", ["Day centre"]),
        ("დღის", ["Day centre"]),
        ("DGHIS tsentri", ["Day centre"]),
        ("shin", ["Home care"]),
        ("open hands", ["Day centre", "Home care"]),  # the provider's name
        ("ხელგაშლილი მოვლა", ["Home care"]),
        ("nothing", []),
    ],
)
def test_the_list_finds_services_in_either_script(cso, login_as, typed, found):
    provider, _staff = cso
    factories.service(provider, name_ka="დღის ცენტრი", name_en="Day centre")
    factories.service(provider, name_ka="შინ მოვლა", name_en="Home care", type="home_care")
    response = login_as(Role.SSA_OFFICER).get("/en" + _url("service_list"), {"q": typed})
    assert sorted(row["cells"][0][1] for row in response.context["table"]) == found


def test_one_version_waits_at_a_time_in_the_database(cso, make_user):
    provider, staff = cso
    service = factories.service(provider)
    Revision.objects.create(record=service, data={}, proposed_by=staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        Revision.objects.create(record=service, data={}, proposed_by=staff)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_proposals_at_once_leave_one_version_waiting(make_user, monkeypatch):
    """On PostgreSQL, two of a provider's staff change the same service at the same moment:
    both are taken, one after the other, and one version waits (the later one)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL")
    organisation = factories.organisation()
    provider = factories.provider(organisation=organisation)
    service = factories.service(provider)
    staff = [make_user(Role.SERVICE_PROVIDER, organisation=organisation) for _ in range(2)]
    barrier, saving = threading.Barrier(2), threading.Barrier(2)
    outcomes = {}
    save = Revision.save

    def save_together(self, *args, **kwargs):
        # Each proposal waits for the other before writing its version, so that without the
        # record's lock both would find none waiting and both insert. With it, the second
        # waits for the first's commit and this meeting times out.
        with contextlib.suppress(threading.BrokenBarrierError):
            saving.wait(timeout=3)
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Revision, "save", save_together)

    def act(i):
        try:
            barrier.wait()
            form = ServiceForm(
                data=factories.service_data(provider, waiting=str(10 + i)),
                instance=Service.objects.get(pk=service.pk),
                actor=staff[i],
            )
            assert form.is_valid(), form.errors
            revisions.revision_propose(actor=staff[i], form=form, approve=False)
            outcomes[i] = "done"
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcomes[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == {0: "done", 1: "done"}, outcomes
    (waiting,) = Revision.objects.filter(status=RevisionStatus.PENDING)
    assert waiting.data["waiting"] in (["10"], ["11"])
    service.refresh_from_db()
    assert service.waiting == 0  # the public version is untouched


def test_an_approver_decides_only_on_the_version_they_read(cso, client, login_as):
    provider, staff = cso
    service = factories.service(provider)
    mine = _client(client, staff)
    mine.post(_url("service_edit", service.pk), factories.service_data(provider, waiting="4"))
    read = revisions.pending(service)
    # The provider proposes again after the approver opened the page.
    mine.post(_url("service_edit", service.pk), factories.service_data(provider, waiting="40"))
    national = login_as(Role.SSA_OFFICER)
    url = _url("service_decide", service.pk)
    national.post(url, {"action": "approve", "revision": read.pk})
    service.refresh_from_db()
    assert service.waiting == 0 and revisions.pending(service).data["waiting"] == ["40"]
    read.refresh_from_db()
    assert read.status == RevisionStatus.SUPERSEDED  # kept, as replaced
    assert [v.status for v in revisions.versions(service)] == ["pending", "superseded"]


def test_a_version_shows_what_approving_applies(cso, client, login_as):
    provider, staff = cso
    service = factories.service(provider)
    data = factories.service_data(provider, step_free="0", name_en=["A", "B"])
    _client(client, staff).post(_url("service_edit", service.pk), data)
    waiting = revisions.pending(service)
    # Django reads any tick-box value but "false" as ticked, and the last of repeated values.
    assert waiting.data["step_free"] == ["on"] and waiting.data["name_en"] == ["B"]
    _decide(login_as(Role.SSA_OFFICER), service, {"action": "approve"})
    service.refresh_from_db()
    assert service.step_free and service.name_en == "B"


def test_versions_not_yet_approved_are_for_editors_and_approvers_only(cso, client, login_as):
    provider, staff = cso
    service = factories.service(provider)
    _client(client, staff).post(
        _url("service_edit", service.pk), factories.service_data(provider, name_en="Secret")
    )
    other = login_as(Role.SERVICE_PROVIDER, organisation=factories.organisation("Other"))
    worker = login_as(Role.SOCIAL_WORKER)
    for outsider in (other, worker):
        page = outsider.get(_url("service_detail", service.pk))
        assert page.status_code == 200 and "Secret" not in page.content.decode()
        assert outsider.get(_url("service_versions", service.pk)).status_code == 403


def test_a_providers_kind_and_organisation_are_an_administrators_to_set(login_as):
    provider = factories.provider(organisation=factories.organisation())
    national = login_as(Role.SSA_OFFICER)
    form = national.get(_url("provider_edit", provider.pk)).context["form"]
    assert "organisation" not in form.fields and "kind" not in form.fields
    staff = login_as(Role.SERVICE_PROVIDER, organisation=provider.organisation)
    staff.post(_url("provider_edit", provider.pk), factories.provider_data(kind="municipal"))
    waiting = revisions.pending(provider)
    assert "kind" not in waiting.data and "organisation" not in waiting.data
    admin = login_as(Role.ADMIN)
    assert "organisation" in admin.get(_url("provider_edit", provider.pk)).context["form"].fields


def test_approval_is_asked_of_the_record_as_the_version_would_make_it(cso, login_as):
    """A Kutaisi officer may not publish a version that moves a Kutaisi municipal provider
    to Batumi: Batumi's officers approve it there."""
    organisation = factories.organisation("Kutaisi care")
    provider = factories.provider(
        kind="municipal", organisation=organisation, identification_code="204000003"
    )
    staff = login_as(Role.SERVICE_PROVIDER, organisation=organisation)
    batumi = Municipality.objects.get(code="batumi")
    data = factories.provider_data(municipality=batumi.pk, identification_code="204000003")
    assert staff.post(_url("provider_edit", provider.pk), data).status_code == 302
    assert revisions.pending(provider) is not None
    kutaisi = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    _decide(kutaisi, provider, {"action": "approve"})
    provider.refresh_from_db()
    assert provider.municipality.code == "kutaisi" and revisions.pending(provider) is not None


def test_the_menu_leads_to_services_and_providers_for_those_who_see_them(cso, client, login_as):
    _provider, staff = cso
    page = _client(client, staff).get("/en" + _url("service_list")).content.decode()
    assert 'href="/en/services/services/"' in page and 'href="/en/services/providers/"' in page
    analyst = login_as(Role.ANALYST)
    assert analyst.get(_url("service_list")).status_code == 403
    home = analyst.get("/en/").content.decode()
    assert "/services/services/" not in home and "/services/providers/" not in home


def test_the_staff_list_reads_a_bounded_number_of_queries(
    cso, login_as, django_assert_max_num_queries
):
    provider, _staff = cso
    for n in range(15):
        factories.service(provider, name_en=f"Service {n}", name_ka=f"მომსახურება {n}")
    national = login_as(Role.SSA_OFFICER)
    with django_assert_max_num_queries(20):
        response = national.get(_url("service_list"))
    assert len(response.context["table"]) == 15


@pytest.mark.parametrize("candidates", [8, 200])
def test_nearest_first_slices_match_the_plain_order(candidates, monkeypatch):
    """`ServiceQuerySet._nearest_slice` measures the services over the points kept in the
    process, among the nearest few first, else over every match: every slice must hold the rows,
    distances and order the plain query gives (services at their own point, at their
    settlement's, at their municipality's centre; ties of distance ordered by name), with
    filters that leave many and few."""
    import random

    from zrunva.geo.models import Settlement
    from zrunva.geo.selectors import municipalities_with_centre
    from zrunva.services import selectors
    from zrunva.services.selectors import nearest_first, public_services

    monkeypatch.setattr(selectors, "NEAR_CANDIDATES", candidates)
    rng = random.Random(14)
    provider = factories.provider()
    municipalities = list(Municipality.objects.all())
    settlements = list(Settlement.objects.filter(latitude__isnull=False))
    for n in range(120):
        factories.service(
            provider,
            name_ka=f"სერვისი {n % 7}",
            name_en=f"Service {n % 7}",
            cost="free" if n % 5 == 0 else "paid",
            **factories.scattered(rng, municipalities, settlements, own=0.4, settled=0.7),
        )
    for municipality in list(municipalities_with_centre())[::9]:
        for matching in (public_services(), public_services().filter(cost="free")):
            fast = nearest_first(matching, municipality=municipality)
            plain = fast.all()
            plain._near = None
            for start, stop in ((0, 6), (0, 21), (20, 41), (100, 121)):
                assert [(s.pk, s.squared_degrees) for s in fast.all()[start:stop]] == [
                    (s.pk, s.squared_degrees) for s in plain.all()[start:stop]
                ]
