"""The rights screener: a household given as answers is decided as the officers' engine decides
the same household given as data, and as a stored household with the same facts; bad answers
are refused at their field; nothing is stored."""

import html
import re
from datetime import date
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from zrunva.assessment.tests.factories import assess
from zrunva.geo.models import Municipality
from zrunva.programmes import eligibility
from zrunva.programmes.models import Programme
from zrunva.programmes.selectors import parameter_versions, resolved
from zrunva.registry.models import IncomeSource, Membership
from zrunva.registry.tests import factories
from zrunva.services.models import TargetGroup
from zrunva.services.tests import factories as catalogue

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def param(code: str) -> Decimal:
    """A state parameter's value today, for amounts worked out by hand."""
    return resolved(parameter_versions(on=TODAY)[None])[code]


def born(age: int):
    try:
        return TODAY.replace(year=TODAY.year - age)
    except ValueError:  # 29 February
        return TODAY.replace(year=TODAY.year - age, day=28)


def member(age, sex="F", disability="none", pension="none", idp=False) -> dict:
    return {
        "age": age,
        "sex": sex,
        "disability_degree": disability,
        "pension_kind": pension,
        "is_idp": idp,
    }


def answers(members, *, municipality="kutaisi", income="0", score=None, highland="no") -> dict:
    data = {
        "municipality": Municipality.objects.get(code=municipality).pk,
        "is_highland": highland,
        "income": income,
        "rating_score": "" if score is None else str(score),
        "members-TOTAL_FORMS": str(len(members)),
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "1",
        "members-MAX_NUM_FORMS": "15",
    }
    if score is None:
        data["score_unknown"] = "on"
    for i, m in enumerate(members):
        for name, value in m.items():
            if name == "is_idp":
                if value:
                    data[f"members-{i}-is_idp"] = "on"
            else:
                data[f"members-{i}-{name}"] = str(value)
    return data


def screen(client, members, language="en", **household):
    prefix = "" if language == "ka" else f"/{language}"  # Georgian, the default, has none
    return client.post(f"{prefix}/portal/screener/", answers(members, **household))


def decided(response) -> dict:
    """What the screener's page decided: (programme, member) → (status, amount)."""
    return {
        (group.programme.code, entry.member): (entry.status, entry.amount)
        for group in response.context["programmes"]
        for entry in group.entries
    }


def engine_for(members, *, municipality="kutaisi", income=0, score=None, highland=False) -> dict:
    """The officers' engine on the same household given as data (as the API's
    POST /eligibility/explain builds it), written as `decided` writes the screener's."""
    data = [
        {
            "birth_date": born(m["age"]),
            "sex": m["sex"],
            "disability_degree": m["disability_degree"],
            "pension_kind": m["pension_kind"],
            "is_idp": m["is_idp"],
            "income": float(income) if i == 0 else 0.0,
        }
        for i, m in enumerate(members)
    ]
    results = eligibility.data_explanation(
        household={"municipality": municipality, "is_highland": highland},
        members=data,
        on=TODAY,
        rating_score=score,
    )
    return {
        (r.compiled.code, r.member): (
            r.status,
            Decimal(str(r.amount)) if r.amount is not None else None,
        )
        for r in results
        if r.status != "not_in_force"
    }


def stored_for(members, *, municipality="kutaisi", income=0, score=None) -> dict:
    """The engine on an equivalent household stored in the registry (no settlement: not
    highland), members in the order given, the income the first one's."""
    first, *others = members

    def person(m):
        return {
            "birth_date": born(m["age"]),
            "sex": m["sex"],
            "disability_degree": m["disability_degree"],
            "pension_kind": m["pension_kind"],
            "is_idp": m["is_idp"],
        }

    household = factories.household(municipality, head=person(first))
    for m in others:
        factories.member(household, "other_relative", **person(m))
    people = [ms.person_id for ms in Membership.objects.filter(household=household).order_by("pk")]
    if income:
        IncomeSource.objects.create(person_id=people[0], kind="wages", monthly_amount=income)
    if score is not None:
        assess(household, score)
    index = {pk: i for i, pk in enumerate(people)}
    return {
        (r.compiled.code, index.get(r.person_id)): (
            r.status,
            Decimal(str(r.amount)) if r.amount is not None else None,
        )
        for r in eligibility.household_explanation(household=household, on=TODAY)
        if r.status != "not_in_force"
    }


COUPLE = [member(40, "M"), member(38, "F")]


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (30000, 1),
        (30001, 2),
        (57000, 2),
        (57001, 3),
        (60000, 3),
        (60001, 4),
        (65000, 4),
        (65001, None),
    ],
)
def test_tsa_at_and_just_above_each_band_edge(client, score, band):
    response = screen(client, COUPLE, score=score)
    found = decided(response)
    if band is None:
        assert found[("tsa", None)] == ("not_eligible", None)
    else:
        assert found[("tsa", None)] == ("eligible", 2 * param(f"tsa_band_{band}_amount"))
    assert found == engine_for(COUPLE, score=score)


@pytest.mark.parametrize("score", [30000, 30001, 65001])
def test_tsa_as_for_a_stored_household(client, score):
    found = decided(screen(client, COUPLE, score=score))
    assert found == stored_for(COUPLE, score=score)


@pytest.mark.parametrize(("score", "eligible"), [(120000, True), (120001, False)])
def test_child_benefit_for_children_under_16(client, score, eligible):
    family = [member(40), member(15, "M"), member(16, "F")]
    found = decided(screen(client, family, score=score))
    if eligible:  # the 15-year-old counts, the 16-year-old does not
        assert found[("child_benefit", None)] == ("eligible", param("child_benefit_amount"))
    else:
        assert found[("child_benefit", None)] == ("not_eligible", None)
    assert found == engine_for(family, score=score)
    assert found == stored_for(family, score=score)


def test_disability_package_by_degree_and_for_children(client):
    household = [
        member(45, disability="severe"),
        member(50, "M", disability="significant"),
        member(30, disability="moderate"),
        member(10, "M", disability="moderate"),
    ]
    found = decided(screen(client, household, score=90000))
    severe, significant = (
        param("disability_package_severe"),
        param("disability_package_significant"),
    )
    assert found[("disability_package", 0)] == ("eligible", severe)
    assert found[("disability_package", 1)] == ("eligible", significant)
    assert found[("disability_package", 2)] == ("not_eligible", None)
    assert found[("disability_package", 3)] == ("eligible", severe)  # every child with one
    assert found == engine_for(household, score=90000)
    assert found == stored_for(household, score=90000)


def test_pension_at_and_below_the_pension_age_of_each_sex(client):
    women, men = int(param("pension_age_women")), int(param("pension_age_men"))
    household = [
        member(women, "F"),
        member(women - 1, "F"),
        member(men, "M"),
        member(men - 1, "M"),
        member(70, "F"),
    ]
    found = decided(screen(client, household, score=90000))
    under, over = param("pension_under_70"), param("pension_from_70")
    assert found[("state_pension", 0)] == ("eligible", under)
    assert found[("state_pension", 1)] == ("not_eligible", None)
    assert found[("state_pension", 2)] == ("eligible", under)
    assert found[("state_pension", 3)] == ("not_eligible", None)
    assert found[("state_pension", 4)] == ("eligible", over)
    assert found == engine_for(household, score=90000)
    assert found == stored_for(household, score=90000)


def test_a_highland_pension_has_its_supplement(client):
    found = decided(screen(client, [member(70)], score=90000, highland="yes"))
    supplement = 1 + param("pension_highland_supplement")
    expected = (param("pension_from_70") * supplement).quantize(Decimal("0.01"))
    assert found[("state_pension", 0)] == ("eligible", expected)
    assert found == engine_for([member(70)], score=90000, highland=True)


def test_the_idp_allowance_reads_the_income(client):
    cutoff = param("idp_income_cutoff")
    poor = decided(screen(client, [member(40, idp=True)], score=90000, income=f"{cutoff - 1:.2f}"))
    assert poor[("idp_allowance", 0)] == ("eligible", param("idp_allowance"))
    rich = decided(screen(client, [member(40, idp=True)], score=90000, income=f"{cutoff:.2f}"))
    assert rich[("idp_allowance", 0)] == ("not_eligible", None)
    assert rich == stored_for([member(40, idp=True)], score=90000, income=cutoff)


def text(response) -> str:
    page = response.content.decode()
    main = page[page.index("<main") : page.index("</main>")]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def test_an_unknown_rating_score_says_may_apply_if(client):
    response = screen(client, COUPLE + [member(5)], score=None)
    found = decided(response)
    assert found[("tsa", None)] == ("needs_data", None)
    assert found == engine_for(COUPLE + [member(5)], score=None)
    page = text(response)
    limit = f"{int(param('tsa_band_4_max_score')):,}"
    assert f"May apply, if your household's rating score is at most {limit}." in page
    child = f"{int(param('child_benefit_max_score')):,}"
    assert f"May apply, if your household's rating score is at most {child}." in page


def test_the_result_names_amounts_reasons_and_the_ssa_centre(client):
    response = screen(client, [member(70, disability="severe")], municipality="kutaisi", score=None)
    page = text(response)
    pension = f"GEL {param('pension_from_70'):,.2f}"
    assert f"State old-age pension: {pension} a month" in page.replace("\xa0", " ")
    assert "Why: Your age, 70, is at least 60." in page
    assert "Social Service Agency, Kutaisi territorial centre" in page
    assert "Kutaisi, municipal centre" in page and "Monday to Friday" in page
    assert 'href="/en/portal/apply/?programme=state_pension"' in response.content.decode()
    assert 'href="/en/portal/programmes/state_pension/"' in response.content.decode()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"members-0-age": "190"}, "members-0-age", "Give the age in whole years, from 0 to"),
        ({"members-0-age": "-1"}, "members-0-age", "Give the age in whole years, from 0 to"),
        ({"income": "-5"}, "income", "Give an amount from 0 to"),
        ({"rating_score": "-1"}, "rating_score", "A rating score is a whole number from 0 to"),
        (
            {"rating_score": "2147483648"},
            "rating_score",
            "A rating score is a whole number from 0 to",
        ),
        (
            {"rating_score": "", "score_unknown": ""},
            "rating_score",
            "Give your household's latest rating score, or tick “I don't know”.",
        ),
    ],
)
def test_out_of_range_answers_are_refused_at_their_field(client, change, field, message):
    data = answers([member(70)], score=1000) | change
    data = {k: v for k, v in data.items() if v != "" or k == "rating_score"}
    response = client.post("/en/portal/screener/", data)
    assert response.status_code == 200 and "programmes" not in response.context
    page = response.content.decode()
    error = page[page.index(f'id="id_{field}_error"') :]
    assert message in html.unescape(error[: error.index("</div>")])
    assert f'href="#id_{field}"' in page  # and in the summary, linked


def every_count() -> dict:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_nothing_typed_is_stored_or_logged(client):
    before = every_count()
    logs = LogEntry.objects.count()
    response = screen(client, [member(70, disability="severe")], score=None)
    assert response.status_code == 200 and response.context["programmes"]
    assert every_count() == before and LogEntry.objects.count() == logs
    assert "sessionid" not in response.cookies
    # The answers are sent by POST only: a GET with them in the address computes nothing.
    query = client.get("/en/portal/screener/", {"members-0-age": "70"})
    assert "programmes" not in query.context
    assert "Nothing you entered here is stored or recorded" in text(response)


def test_members_are_added_and_removed_without_javascript(client):
    data = answers([member(70), member(10)], score=1000) | {"add_member": "1"}
    added = client.post(reverse("portal:screener"), data)
    assert len(added.context["members"].forms) == 3
    assert added.context["members"].forms[1].initial["age"] == "10"
    removed = client.post(
        reverse("portal:screener"),
        answers([member(70), member(10)], score=1) | {"remove_member": "1"},
    )
    assert [f.initial.get("age") for f in removed.context["members"].forms] == ["70"]


def test_municipalities_are_in_georgian_alphabetical_order(client):
    page = client.get("/portal/screener/").content.decode()
    names = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', page)
    georgian = [n for n in names if re.match(r"[ა-ჰ]", n)]
    assert len(georgian) == Municipality.objects.count() and georgian == sorted(georgian)


def winter_aid(formula: str) -> Programme:
    """Kutaisi's own programme: households with a rating score up to 100,000 (illustrative)."""
    return Programme.objects.create(
        code="kutaisi_winter_aid",
        name_ka="ზამთრის დახმარება",
        name_en="Winter aid",
        level="household",
        criteria="household.rating_score <= 100000",
        formula=formula,
        legal_basis="Kutaisi City Council resolution (illustrative)",
        municipality=Municipality.objects.get(code="kutaisi"),
        valid_from=date(2020, 1, 1),
    )


def test_a_municipal_programme_only_for_its_own_municipality(client):
    winter_aid("150")
    kutaisi = decided(screen(client, COUPLE, score=90000, municipality="kutaisi"))
    assert kutaisi[("kutaisi_winter_aid", None)] == ("eligible", Decimal("150.00"))
    assert kutaisi == engine_for(COUPLE, score=90000, municipality="kutaisi")
    batumi = decided(screen(client, COUPLE, score=90000, municipality="batumi"))
    assert not any(code == "kutaisi_winter_aid" for code, _member in batumi)


def test_the_result_lists_matching_services_nearest_first(client):
    provider = catalogue.provider()
    elderly = TargetGroup.objects.filter(code="elderly")
    for code in ("kutaisi", "tskaltubo", "batumi"):
        made = catalogue.service(
            provider,
            name_en=f"Elderly day care in {code}",
            municipality=Municipality.objects.get(code=code),
        )
        made.target_groups.set(elderly)
    children = catalogue.service(provider, name_en="Early intervention")
    children.target_groups.set(TargetGroup.objects.filter(code="children_physical"))
    catalogue.service(provider, name_en="Draft for the elderly", published=False)

    response = screen(client, [member(70)], municipality="kutaisi")
    assert [s.name_en for s in response.context["services"]] == [
        "Elderly day care in kutaisi",
        "Elderly day care in tskaltubo",
        "Elderly day care in batumi",
    ]
    assert "km away" in text(response)
    # A child with a disability: the children's service, not the elderly's.
    response = screen(client, [member(40), member(5, disability="severe")])
    assert [s.name_en for s in response.context["services"]] == ["Early intervention"]
    # Nobody the catalogue names a group for: none, and the page says so.
    response = screen(client, [member(40)])
    assert response.context["services"] == []
    assert "has no service for people like those in your household" in text(response)


def test_a_change_of_a_programme_or_its_parameter_shows_in_the_next_answer(client):
    """The programmes of a place are compiled once per process and kept until a programme,
    parameter or parameter value is saved or deleted (`eligibility.place_programmes`)."""
    from zrunva.programmes.models import Parameter, ParameterValue

    kutaisi = Municipality.objects.get(code="kutaisi")
    aid = Parameter.objects.create(
        code="kutaisi_aid", name_ka="დახმარება", name_en="Aid", municipality=kutaisi
    )
    value = ParameterValue.objects.create(
        parameter=aid, valid_from=date(2020, 1, 1), value=Decimal("150")
    )
    programme = winter_aid("param.kutaisi_aid")

    def aid_now():
        return decided(screen(client, COUPLE, score=90000)).get(("kutaisi_winter_aid", None))

    assert aid_now() == ("eligible", Decimal("150.00"))
    value.value = Decimal("175")
    value.save()
    assert aid_now() == ("eligible", Decimal("175.00"))
    programme.formula = "param.kutaisi_aid * 2"
    programme.save()
    assert aid_now() == ("eligible", Decimal("350.00"))
    programme.valid_until = TODAY - timezone.timedelta(days=1)
    programme.save()
    assert aid_now() is None


def test_the_amounts_in_general_are_said_in_each_language_asked(client):
    """A programme's amounts in general are worked out once per compiled programme and
    language (`portal.selectors._amounts`): English, Georgian, then English again."""

    def amounts(language):
        response = screen(client, COUPLE + [member(5)], language=language, score=None)
        groups = {g.programme.code: g.amounts for g in response.context["programmes"]}
        return groups["tsa"]

    english, georgian = amounts("en"), amounts("ka")
    assert english and georgian and english != georgian
    assert not re.search("[ა-ჰ]", " ".join(english)) and re.search("[ა-ჰ]", " ".join(georgian))
    assert amounts("en") == english
