"""The search for duplicates in the registry: a run scores pairs with a trained model, keeps
them with their contributions, rescoring undecided pairs only; the review queue's decisions,
pages and permissions."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from zrunva.accounts.choices import Role
from zrunva.integration import linkage
from zrunva.integration.matching import train
from zrunva.integration.models import LinkageModel, MatchPair
from zrunva.integration.synthetic import linked_records
from zrunva.registry.tests.factories import household, member, system_actor

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def trained() -> dict:
    # Trained once on generated records (no database): the registry below is too small to
    # learn from, as a municipality's first run would be.
    return train(linked_records(3000, seed=11), seed=11, max_pairs=1e6)


@pytest.fixture
def model(trained) -> LinkageModel:
    return LinkageModel.objects.create(model=trained, records=3000, seconds=1.0)


@pytest.fixture
def people():
    """Nino twice (once with a personal number, once with a foreign passport, day and month
    swapped), and two people who are nobody's duplicate."""
    nino = household(
        head={
            "personal_number": "01001000011",
            "first_name": "ნინო",
            "last_name": "კაპანაძე",
            "birth_date": date(1970, 2, 3),
            "sex": "F",
        }
    )
    again = household(
        head={
            "personal_number": None,
            "alt_id_kind": "foreign_passport",
            "alt_id_number": "P1234567",
            "first_name": "ნინო",
            "last_name": "კაპანაძე",
            "birth_date": date(1970, 3, 2),
            "sex": "F",
        }
    )
    other = household(head={"first_name": "ლევან", "last_name": "ბერიძე", "sex": "M"})
    member(other, first_name="თამარ", last_name="ბერიძე", sex="F", birth_date=date(2001, 5, 5))
    return [h.memberships.get(relationship="head").person for h in (nino, again, other)]


def _run(actor=None, **kwargs):
    run = linkage.linkage_start(actor=actor or system_actor(), enqueue=False, **kwargs)
    return linkage.linkage_execute(run=run)


def test_a_run_keeps_the_pair_with_why_it_scored_so(model, people):
    run = _run()
    assert run.status == "done" and run.summary["records"] == 4
    pair = MatchPair.objects.get()
    assert (pair.left_id, pair.right_id) == (people[0].pk, people[1].pk)
    assert pair.probability >= model.review
    steps = pair.waterfall
    assert steps[0]["comparison"] == "prior"
    assert sum(s["log2_weight"] for s in steps) == pytest.approx(pair.weight, abs=1e-6)
    assert run.linkage_model == model


def test_a_later_run_rescores_undecided_pairs_and_keeps_decisions(model, people):
    _run()
    pair = MatchPair.objects.get()
    linkage.pair_decide(actor=system_actor(), pair=pair, decision="not_match", note="twins")
    run = _run()
    assert run.summary["decided"] == 1 and MatchPair.objects.count() == 1
    pair.refresh_from_db()
    assert pair.status == "not_match" and pair.note == "twins"
    with pytest.raises(ValidationError, match="decided already"):
        linkage.pair_decide(actor=system_actor(), pair=pair, decision="match")


def test_training_needs_enough_people(people):
    run = linkage.linkage_start(actor=system_actor(), enqueue=False)
    assert run.train  # no model yet
    with pytest.raises(ValidationError, match="too few to train"):
        linkage.linkage_execute(run=run)
    run.refresh_from_db()
    assert run.status == "failed" and "too few" in run.error


def test_who_may_search_and_review(model, people, make_user):
    worker = make_user(Role.SOCIAL_WORKER, office="sca-ge-im")
    with pytest.raises(PermissionDenied):
        linkage.linkage_start(actor=worker, enqueue=False)
    office = make_user(Role.SSA_OFFICER, office="ssa-kutaisi")
    with pytest.raises(PermissionDenied, match="Only national staff"):
        linkage.linkage_start(actor=office, enqueue=False)
    _run()
    pair = MatchPair.objects.get()
    stranger = make_user(Role.MUNICIPAL_OFFICER, municipality="zugdidi")
    assert not linkage.pair_list(actor=stranger).exists()
    with pytest.raises(Exception) as denied:
        linkage.pair_decide(actor=stranger, pair=pair, decision="match")
    assert denied.type.__name__ in ("Http404", "PermissionDenied")
    kutaisi = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    assert list(linkage.pair_list(actor=kutaisi)) == [pair]
    with pytest.raises(ValidationError):
        linkage.pair_decide(actor=kutaisi, pair=pair, decision="merged")


def test_review_pages(model, people, login_as, django_assert_max_num_queries):
    _run()
    pair = MatchPair.objects.get()
    officer = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    with django_assert_max_num_queries(15):
        queue = officer.get(reverse("integration:pair_list"))
    assert queue.status_code == 200 and f"#{pair.pk}" in queue.text
    assert "Search for duplicates" not in queue.text  # a municipal officer reviews, not runs
    page = officer.get(reverse("integration:pair_detail", args=[pair.pk]))
    assert page.status_code == 200 and "P1234567" in page.text
    answer = officer.post(
        reverse("integration:pair_detail", args=[pair.pk]), {"decision": "unsure", "note": "?"}
    )
    assert answer.status_code == 302
    pair.refresh_from_db()
    assert pair.status == "unsure" and pair.decided_by == officer.user
    worker = login_as(Role.SOCIAL_WORKER, office="sca-ge-im")
    assert worker.get(reverse("integration:pair_list")).status_code == 403
    zugdidi = login_as(Role.MUNICIPAL_OFFICER, municipality="zugdidi")
    assert zugdidi.get(reverse("integration:pair_detail", args=[pair.pk])).status_code == 404


def test_national_officer_starts_a_search_from_the_page(
    model, people, login_as, django_capture_on_commit_callbacks
):
    officer = login_as(Role.SSA_OFFICER)
    with django_capture_on_commit_callbacks(execute=True):
        answer = officer.post(reverse("integration:pair_list"), {"municipality": ""})
    assert answer.status_code == 302
    run_page = officer.get(answer.url)
    assert run_page.status_code == 200 and MatchPair.objects.count() == 1


def test_an_import_row_without_a_number_is_found_by_record_linkage(model, people):
    from django.core.management import call_command

    from zrunva.integration.tests.factories_imports import csv_upload, deaths_source, dry_run

    # A population to count how common names are (among five people every name is common).
    call_command("generate_population", households=400, seed=5, verbosity=0)
    zurab = (
        household(
            head={
                "personal_number": "01001000077",
                "first_name": "ზურაბ",
                "last_name": "წიკლაური",
                "birth_date": date(1955, 4, 9),
                "sex": "M",
            }
        )
        .memberships.get()
        .person
    )
    source = deaths_source(
        mapping={"first_name": "n", "last_name": "s", "birth_date": "b", "date_of_death": "d"}
    )
    # Latin script, day and month swapped: no exact name and date to find him by.
    job = dry_run(source, csv_upload("n,s,b,d\nZurab,Tsiklauri,1955-09-04,2026-10-01\n"))
    row = job.rows.get()
    assert (row.person_id, row.method, row.outcome) == (zurab.pk, "probabilistic", "changed")
    assert row.weight > 0 and row.changes == {"date_of_death": [None, "2026-10-01"]}
    assert job.summary["changed"] == 1


def test_a_pair_decided_the_same_is_merged_and_undone_with_its_people(model, people, login_as):
    from zrunva.integration import merges

    _run()
    pair = MatchPair.objects.get()
    officer = login_as(Role.SSA_OFFICER)
    linkage.pair_decide(actor=officer.user, pair=pair, decision="match")
    page = officer.get(reverse("integration:pair_detail", args=[pair.pk]))
    link = reverse("integration:merge_start", args=["person", pair.left_id])
    assert f"{link}?other={pair.right_id}&amp;keep=this" in page.text
    preview = officer.get(link, {"other": pair.right_id, "keep": "this"})
    assert preview.status_code == 200 and "P1234567" in preview.text
    from django.db.models import F

    from zrunva.registry.models import Membership

    # Registered twice, in two households: one membership is ended before the merge.
    Membership.objects.filter(person=people[1]).update(end_date=F("start_date"))
    merge = merges.person_merge(
        actor=officer.user, survivor=people[0], merged=people[1], reason="the same Nino"
    )
    pair.refresh_from_db()
    assert pair.status == "merged"
    assert (pair.left_id, pair.right_id) == (people[0].pk, people[1].pk)  # kept as found
    merges.merge_undo(actor=officer.user, merge=merge, reason="checked again")
    pair.refresh_from_db()
    assert pair.status == "match"


def test_link_records_command(model, people, capsys):
    from django.core.management import CommandError, call_command

    call_command("link_records", user=system_actor().username, verbosity=0)
    assert (
        '"review": 1' in capsys.readouterr().out or MatchPair.objects.filter(status="auto").exists()
    )
    with pytest.raises(CommandError, match="matching query does not exist"):
        call_command("link_records", user="nobody", verbosity=0)


def test_the_waterfall_speaks_the_page_language():
    from django.utils import translation

    from zrunva.integration.views_linkage import _comparison, _level

    with translation.override("en"):
        assert _level("Exact match on first_key") == "The same: the name romanised"
        assert _level("Damerau-Levenshtein distance of personal_number <= 1") == (
            "One character apart: the personal number"
        )
        assert _level("birth_date is NULL") == "Missing on one side"
        assert _comparison("tf_last_name") == "Last name: how common the value is"
    with translation.override("ka"):
        assert _level("Day and month swapped") != "Day and month swapped"


def test_one_search_at_a_time_unless_the_other_was_interrupted(model, people):
    from datetime import timedelta

    from django.utils import timezone

    from zrunva.integration.models import LinkageRun

    first = linkage.linkage_start(actor=system_actor(), enqueue=False)
    with pytest.raises(ValidationError, match="already running"):
        linkage.linkage_start(actor=system_actor(), enqueue=False)
    LinkageRun.objects.filter(pk=first.pk).update(
        status="running", created_at=timezone.now() - timedelta(hours=7)
    )
    assert linkage.linkage_start(actor=system_actor(), enqueue=False).pk != first.pk
