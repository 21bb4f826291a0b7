import re
from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError
from django.db.models import Count, F, Q
from django.utils import timezone

from zrunva.core.romanisation import romanise, search_key
from zrunva.geo.models import Municipality, Settlement
from zrunva.registry import population
from zrunva.registry.models import Household, IncomeSource, Membership, Person
from zrunva.registry.selectors import person_list

pytestmark = pytest.mark.django_db

HOUSEHOLDS = 300


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 100 households, so 300 households span several chunks and batches."""
    monkeypatch.setattr(population, "CHUNK", 100)


@pytest.fixture
def generated(small_chunks):
    return population.population_generate(households=HOUSEHOLDS, seed=11, progress=False)


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _frames(**kwargs) -> population.Frames:
    return population.Frames.concat(list(population.population_frames(**kwargs)))


def test_counts_match_the_database(generated):
    assert generated["households"] == HOUSEHOLDS == Household.objects.count()
    assert generated["people"] == Person.objects.count() == Membership.objects.count()
    assert generated["incomes"] == IncomeSource.objects.count() > 0
    assert 2.8 < generated["people"] / HOUSEHOLDS < 3.8


def test_exactly_one_head_per_household(generated):
    heads = Household.objects.annotate(
        heads=Count("memberships", filter=Q(memberships__relationship="head"))
    ).values_list("heads", flat=True)
    assert set(heads) == {1}


def test_every_person_in_exactly_one_current_household(generated):
    current = Membership.objects.filter(end_date__isnull=True)
    assert current.count() == Person.objects.count()
    assert current.values("person").distinct().count() == Person.objects.count()


def test_personal_numbers_unique_and_eleven_digits(generated):
    numbers = list(Person.objects.values_list("personal_number", flat=True))
    assert all(re.fullmatch(r"\d{11}", n) for n in numbers)
    assert len(set(numbers)) == len(numbers)


def test_no_date_in_the_future(generated):
    today = timezone.localdate()
    assert not Person.objects.filter(birth_date__gt=today).exists()
    assert not Membership.objects.filter(start_date__gt=today).exists()
    assert not IncomeSource.objects.filter(since__gt=today).exists()
    for m in Membership.objects.select_related("person")[:200]:
        assert m.start_date >= m.person.birth_date


def test_sample_passes_model_validation(generated):
    for person in Person.objects.order_by("?")[:40]:
        person.full_clean()
    for household in Household.objects.select_related("settlement").order_by("?")[:20]:
        household.full_clean()
    for income in IncomeSource.objects.order_by("?")[:20]:
        income.full_clean()


def test_latin_names_and_search_keys_as_the_services_compute_them(generated):
    for p in Person.objects.all():
        assert p.first_name_latin == romanise(p.first_name)
        assert p.last_name_latin == romanise(p.last_name)
        assert p.name_key == search_key(f"{p.first_name} {p.last_name}")
        assert p.name_key_rev == search_key(f"{p.last_name} {p.first_name}")


def test_household_members_share_the_head_surname_except_spouse_or_parent(generated):
    for household in Household.objects.prefetch_related("memberships__person")[:100]:
        members = list(household.memberships.all())
        head = next(m.person for m in members if m.relationship == "head")
        for m in members:
            if m.relationship in ("child", "grandchild"):
                assert m.person.last_name == head.last_name


def test_old_age_pensions_follow_the_rules(generated):
    today = timezone.localdate()
    people = list(Person.objects.all())
    for p in people:
        age = _age(p.birth_date, today)
        entitled = age >= (65 if p.sex == "M" else 60)
        assert (p.pension_kind == "old_age") == entitled, (p.sex, age, p.pension_kind)
        expected = (495 if age >= 70 else 370) if entitled else 0
        assert p.pension_amount == Decimal(expected)
        if entitled:
            assert p.employment_status == "retired"
        if age < 16:
            assert p.employment_status == "child"
    assert any(p.pension_kind == "old_age" for p in people)


def test_idp_status_is_shared_by_whole_households(generated):
    mixed = (
        Household.objects.annotate(
            idp=Count("memberships", filter=Q(memberships__person__is_idp=True)),
            members=Count("memberships"),
        )
        .exclude(idp=0)
        .exclude(idp=F("members"))
    )
    assert not mixed.exists()


def test_settlements_belong_to_the_household_municipality(generated):
    assert not Household.objects.exclude(settlement__municipality=F("municipality")).exists()
    cities = Municipality.objects.filter(villages=0)
    assert not Household.objects.filter(
        municipality__in=cities, settlement__is_synthetic=True
    ).exists()


def test_synthetic_villages_created_once(generated):
    expected = sum(min(m.villages, 12) for m in Municipality.objects.all())
    assert generated["villages"] == expected
    assert Settlement.objects.filter(is_synthetic=True, kind="village").count() == expected
    assert population.villages_ensure(seed=99) == 0


def test_one_audit_row_with_the_counts(generated):
    rows = LogEntry.objects.filter(object_repr=population.JOB)
    assert rows.count() == 1
    counts = rows.get().additional_data["counts"]
    assert counts["households"] == HOUSEHOLDS
    assert counts["people"] == Person.objects.count()
    assert counts["incomes"] == IncomeSource.objects.count()
    assert counts["seed"] == 11
    assert counts["complete"] == 1


def test_a_second_run_adds_households_without_collisions(generated):
    people = Person.objects.count()
    second = population.population_generate(households=HOUSEHOLDS, seed=11, progress=False)
    assert Household.objects.count() == 2 * HOUSEHOLDS
    assert Person.objects.count() == people + second["people"]
    numbers = list(Person.objects.values_list("personal_number", flat=True))
    assert len(set(numbers)) == len(numbers)
    assert LogEntry.objects.filter(object_repr=population.JOB).count() == 2
    assert second["villages"] == 0


def test_a_hand_entered_personal_number_is_not_reused(small_chunks):
    # The number the generator would give the person after this one.
    hand = Person.objects.create(
        personal_number="00000000000",
        first_name="ნინო",
        last_name="ბერიძე",
        birth_date=date(1980, 1, 1),
        sex="F",
    )
    wanted = population.personal_numbers(
        population.np.array([hand.pk + 1]), population.np.array([], dtype="int64")
    )[0]
    hand.personal_number = wanted
    hand.save()
    population.population_generate(households=20, seed=3, progress=False)
    assert Person.objects.filter(personal_number=wanted).count() == 1
    moved = Person.objects.get(pk=hand.pk + 1)
    assert re.fullmatch(r"0\d{10}", moved.personal_number)


def test_same_seed_same_data_whatever_the_batch(small_chunks):
    one = _frames(households=HOUSEHOLDS, seed=5, batch=100)
    again = _frames(households=HOUSEHOLDS, seed=5, batch=HOUSEHOLDS)
    other = _frames(households=HOUSEHOLDS, seed=6, batch=100)
    for name in ("households", "people", "memberships", "incomes"):
        assert getattr(one, name).equals(getattr(again, name)), name
    assert not one.people.equals(other.people)


def test_loaded_rows_equal_the_generated_frames(small_chunks):
    frames = _frames(households=HOUSEHOLDS, seed=8)
    population.population_generate(households=HOUSEHOLDS, seed=8, progress=False)
    for name, model in population.TABLES.items():
        df = getattr(frames, name)
        stored = list(model.objects.order_by("id").values_list(*df.columns))
        assert [_plain(r) for r in stored] == [_plain(r) for r in df.rows()], name


def _plain(row):
    return tuple(Decimal(repr(v)) if isinstance(v, float) else v for v in row)


def test_a_failed_batch_leaves_earlier_batches_only(small_chunks, monkeypatch):
    real = population.population_batches

    def broken(*args, **kwargs):
        for index, frames in enumerate(real(*args, **kwargs)):
            if index == 1:  # repeat an income id: the batch's last COPY/INSERT fails
                incomes = pl.concat([frames.incomes, frames.incomes.head(1)])
                frames = population.Frames(
                    frames.households, frames.people, frames.memberships, incomes
                )
            yield frames

    monkeypatch.setattr(population, "population_batches", broken)
    with pytest.raises(IntegrityError):
        population.population_generate(households=HOUSEHOLDS, seed=2, batch=100, progress=False)
    assert Household.objects.count() == 100
    assert Membership.objects.count() == Person.objects.count()
    assert not Membership.objects.filter(household_id__gt=Household.objects.latest("id").id)
    counts = LogEntry.objects.get(object_repr=population.JOB).additional_data["counts"]
    assert counts["households"] == 100
    assert counts["complete"] == 0


def test_command_generates_and_rejects_bad_input(capsys):
    call_command("generate_population", "--households", "25", "--seed", "4", verbosity=0)
    assert Household.objects.count() == 25
    assert "25 households" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("generate_population", "--households", "0", "--seed", "4", verbosity=0)


def test_search_pages_over_generated_people_match_the_plain_order(small_chunks, make_user):
    """Paginated name search reads each key's index in order (selectors.PersonSearchQuerySet);
    its pages must hold exactly the rows and order of the unoptimised query."""
    population.population_generate(households=HOUSEHOLDS, seed=9, progress=False)
    admin = make_user("admin")
    person = Person.objects.order_by("id").first()
    queries = [
        person.first_name_latin.lower(),
        person.last_name[:3],
        person.last_name_latin[:2],
        f"{person.last_name} {person.first_name}",
        "a",
    ]
    for q in queries:
        qs = person_list(actor=admin, q=q)
        everything = list(qs._plain())
        assert everything, q
        for start in (0, 5, max(len(everything) - 3, 0)):
            assert list(qs[start : start + 7]) == everything[start : start + 7], q
        keys = [p.name_key if p.name_key.startswith(search_key(q)) else p.name_key_rev
                for p in everything]  # fmt: skip
        assert keys == sorted(keys), q
    tbilisi = Municipality.objects.get(code="tbilisi")
    qs = person_list(actor=admin, q="a", municipality_id=tbilisi.pk)
    assert list(qs[:10]) == list(qs._plain())[:10]
