"""`manage.py breach_scope`: what one account, address or agency reached, from the audit trail
(issue 19, item 8: the breach runbook's queries)."""

import csv
from datetime import timedelta
from io import StringIO

import pytest
from auditlog.context import auditlog_value
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.audit import breach
from zrunva.integration import agencies
from zrunva.integration.tests import factories_agencies
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db

IMERETI = "sca-ge-im"  # the State Care Agency's Imereti office (Kutaisi among its municipalities)
NUMBERS = {"a": "01001011111", "b": "01001022222", "c": "01001033333", "d": "01001044444"}


@pytest.fixture(autouse=True)
def no_address_left_behind():
    """auditlog keeps the last request's address in its context variable (nothing resets
    it), and `acting_as` attributes later changes to it: an earlier test's request would lend
    its address to this test's setup."""
    token = auditlog_value.set({})
    yield
    auditlog_value.reset(token)


@pytest.fixture
def trail(make_user):
    """In Kutaisi, households of A and B; in Batumi, C's. An SSA officer (from 10.0.0.7)
    opens A's and B's records and exports Kutaisi's households as CSV; a Batumi municipal
    officer opens C's record and is refused A's (outside their area)."""
    a = factories.household("kutaisi", head={"personal_number": NUMBERS["a"]})
    b = factories.household("kutaisi", head={"personal_number": NUMBERS["b"]})
    c = factories.household("batumi", head={"personal_number": NUMBERS["c"]})
    people = {key: h.memberships.get().person for key, h in (("a", a), ("b", b), ("c", c))}
    officer = make_user(Role.SSA_OFFICER, first_name="ნინო", last_name="კაპანაძე")
    other = make_user(Role.MUNICIPAL_OFFICER, municipality="batumi")
    dpo = make_user(Role.DPO, preferred_language="en")
    reader = Client(REMOTE_ADDR="10.0.0.7")
    reader.force_login(officer)
    for key in ("a", "b"):
        url = reverse("registry:person_detail", args=[people[key].pk])
        assert reader.get(url).status_code == 200
    kutaisi = a.municipality_id
    export = reader.get(
        reverse("registry:household_list"), {"municipality": kutaisi, "format": "csv"}
    )
    assert export.status_code == 200
    b"".join(export.streaming_content)
    intruder = Client(REMOTE_ADDR="10.0.0.9")
    intruder.force_login(other)
    assert intruder.get(reverse("registry:person_detail", args=[people["c"].pk])).status_code == 200
    assert intruder.get(reverse("registry:person_detail", args=[people["a"].pk])).status_code == 404
    return {"people": people, "officer": officer, "other": other, "dpo": dpo}


def _run(*args) -> str:
    out = StringIO()
    call_command("breach_scope", *args, stdout=out)
    return out.getvalue()


def _today() -> str:
    return timezone.localdate().isoformat()


def test_reports_exactly_what_the_officer_reached(trail):
    scope = breach.scope_of(
        dpo=trail["dpo"],
        actor=breach.Actor(user=trail["officer"]),
        since=timezone.now() - timedelta(hours=1),
        until=timezone.now() + timedelta(minutes=1),
    )
    people = trail["people"]
    assert set(scope.people) == {people["a"].pk, people["b"].pk}
    assert {r.personal_number for r in scope.people.values()} == {NUMBERS["a"], NUMBERS["b"]}
    assert all(r.kinds == {breach.READ} for r in scope.people.values())
    assert scope.counts[(breach.READ, "person")] == 2
    assert scope.counts[(breach.EXPORT, "household")] == 1
    assert not any(kind == breach.DENIED for kind, _record in scope.counts)
    assert scope.refused == {}
    assert sum(scope.by_municipality.values()) == 2
    (export,) = [row for row in scope.unnamed if row["kind"] == breach.EXPORT]
    assert export["detail"]["terms"]["export"] == "csv"
    assert export["detail"]["shown"] == 2


def test_the_command_names_the_people_and_nothing_of_others(trail, tmp_path):
    path = tmp_path / "people.csv"
    officer = trail["officer"].username
    # --until a date: the whole day.
    out = _run(
        "--dpo",
        trail["dpo"].username,
        "--user",
        officer,
        "--since",
        _today(),
        "--until",
        _today(),
        "--csv",
        str(path),
    )
    assert f"user {officer}" in out
    assert "People reached: 2" in out
    assert NUMBERS["a"] in out and NUMBERS["b"] in out
    assert NUMBERS["c"] not in out
    assert "refused" not in out  # the other officer's refusal is theirs
    assert "exported or downloaded\thousehold\t1" in out
    assert "2 people written to" in out
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["personal number", "person's name", "municipality"]
    assert sorted(row[0] for row in rows[1:]) == [NUMBERS["a"], NUMBERS["b"]]
    assert all(row[3] == "read" for row in rows[1:])


def test_the_refused_officer_reached_only_what_they_opened(trail):
    out = _run(
        "--dpo", trail["dpo"].username, "--user", trail["other"].username, "--since", _today()
    )
    assert "People reached: 1" in out
    assert NUMBERS["c"] in out
    # A's record was refused: listed as an attempt, not among the people reached.
    reached, refused = out.split("People whose records were asked for and refused")
    assert NUMBERS["a"] not in reached
    assert NUMBERS["a"] in refused.split("Not linked to a person")[0]
    assert "refused\tperson №" in out


def test_by_address(trail):
    out = _run("--dpo", trail["dpo"].username, "--ip", "10.0.0.9", "--since", _today())
    assert "address 10.0.0.9" in out
    assert NUMBERS["c"] in out and NUMBERS["b"] not in out


def test_by_agency(trail):
    found = factories_agencies.agency()
    key, _secret = factories_agencies.key_for(found)
    agencies.query_answered(
        client=key,
        transaction_id="t-1",
        reference_id="r-1",
        query_type="idtype-value",
        criteria={"query": {"type": "UIN", "value": NUMBERS["b"]}},
        total_count=1,
        person_ids=[trail["people"]["b"].pk],
        fields=["personal_number", "names"],
    )
    agencies.query_refused(client=key, status="throttled", reason="over the rate limit")
    agencies.query_refused(client=None, key="zz-forged-key", status="unauthorized", reason="no key")
    out = _run("--dpo", trail["dpo"].username, "--agency", found.sender_id, "--since", _today())
    assert "People reached: 1" in out
    assert "refused\tagency" in out and "over the rate limit" in out
    assert "zz-forged" not in out
    assert NUMBERS["b"] in out and NUMBERS["a"] not in out
    assert "disclosed to an agency" in out
    # The key's first characters name the same searches.
    assert NUMBERS["b"] in _run(
        "--dpo", trail["dpo"].username, "--agency", key.prefix, "--since", _today()
    )
    # A key nobody was issued, tried: its attempts, by the characters the log kept.
    forged = _run("--dpo", trail["dpo"].username, "--agency", "zz-forged-ke", "--since", _today())
    assert "People reached: 0" in forged and "no key" in forged and "rate limit" not in forged


def test_a_household_read_reaches_its_members(trail, make_user):
    household = trail["people"]["a"].memberships.get().household
    child = factories.member(household, personal_number=NUMBERS["d"])
    reader = Client()
    reader.force_login(trail["officer"])
    assert reader.get(reverse("registry:household_detail", args=[household.pk])).status_code == 200
    scope = breach.scope_of(
        dpo=trail["dpo"],
        actor=breach.Actor(user=trail["officer"]),
        since=timezone.now() - timedelta(hours=1),
        until=timezone.now() + timedelta(minutes=1),
        record=False,
    )
    assert child.pk in scope.people
    assert scope.people[trail["people"]["a"].pk].times == 2  # the person's page and the household's


def test_the_run_is_itself_audited(trail):
    before = LogEntry.objects.filter(actor=trail["dpo"]).count()
    _run("--dpo", trail["dpo"].username, "--user", trail["officer"].username, "--since", _today())
    row = LogEntry.objects.filter(actor=trail["dpo"]).latest("id")
    assert LogEntry.objects.filter(actor=trail["dpo"]).count() == before + 1
    assert row.action == LogEntry.Action.ACCESS
    assert row.additional_data["terms"]["purpose"] == "breach_scope"
    assert row.additional_data["terms"]["user"] == trail["officer"].username
    assert row.additional_data["shown"] == 2


def test_the_report_is_in_the_dpos_language(trail):
    trail["dpo"].preferred_language = "ka"
    trail["dpo"].save(update_fields=["preferred_language"])
    out = _run(
        "--dpo", trail["dpo"].username, "--user", trail["officer"].username, "--since", _today()
    )
    # Kinds of record and places come in Georgian (this command's own strings are in
    # /work/notes/ka-dpia.tsv until the catalogue is merged).
    assert "ქუთაისი\t2" in out and "Kutaisi" not in out
    assert "\tპირი\t2" in out
    assert NUMBERS["a"] in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody"], "--user: there is no user nobody."),
        (["--ip", "10.0.0.300"], "--ip: 10.0.0.300 is not an IPv4 or IPv6 address."),
        (["--agency", "nobody-ge"], "--agency: no agency has the sender id nobody-ge"),
        (
            ["--user", "{officer}", "--until", "2020-01-01"],
            "The window is empty: --since must be before --until.",
        ),
        (["--user", "{officer}", "--since", "yesterday"], "--since: yesterday is not a date"),
    ],
)
def test_bad_arguments(trail, args, message):
    args = [a.format(officer=trail["officer"].username) for a in args]
    if "--since" not in args:
        args += ["--since", "2026-01-01"]
    with pytest.raises(CommandError, match=message.replace(".", r"\.")):
        _run("--dpo", trail["dpo"].username, *args)


def test_only_the_dpo(trail):
    officer = trail["officer"].username
    # The refusal is told in the language of whoever was named as the officer.
    trail["officer"].preferred_language = "en"
    trail["officer"].save(update_fields=["preferred_language"])
    with pytest.raises(CommandError, match="is not an active data protection officer"):
        _run("--dpo", officer, "--user", officer, "--since", _today())
    denied = LogEntry.objects.filter(actor=trail["officer"]).latest("id")
    assert denied.additional_data["attempt"] is True
    assert denied.additional_data["path"] == "manage.py breach_scope"
    with pytest.raises(CommandError, match="--dpo: there is no user ghost"):
        _run("--dpo", "ghost", "--user", officer, "--since", _today())
    trail["dpo"].is_active = False
    trail["dpo"].save(update_fields=["is_active"])
    with pytest.raises(CommandError, match="is not an active data protection officer"):
        _run("--dpo", trail["dpo"].username, "--user", officer, "--since", _today())


def test_a_case_read_reaches_its_person_not_their_household(trail, make_user):
    from zrunva.cases.choices import Category
    from zrunva.cases.tests.factories import case
    from zrunva.core.trail import access_log

    household = trail["people"]["a"].memberships.get().household
    victim = factories.member(household, "spouse", personal_number=NUMBERS["d"])
    supervisor = make_user(Role.SUPERVISOR, office=IMERETI)
    opened = case(supervisor, victim, category=Category.DOMESTIC_VIOLENCE)
    reader = make_user(Role.SUPERVISOR, office=IMERETI)
    access_log(actor=reader, instance=opened)
    scope = breach.scope_of(
        dpo=trail["dpo"],
        actor=breach.Actor(user=reader),
        since=timezone.now() - timedelta(minutes=5),
        until=timezone.now() + timedelta(minutes=1),
        record=False,
    )
    assert set(scope.people) == {victim.pk}


def test_a_date_and_time_bounds_the_window(trail):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    args = ["--dpo", trail["dpo"].username, "--user", trail["officer"].username]
    before = _run(*args, "--since", f"{yesterday}T12:00", "--until", f"{_today()}T00:00")
    assert "Audit rows: 0" in before and "People reached: 0" in before
    assert "People reached: 2" in _run(*args, "--since", f"{yesterday}T12:00")
