"""A demo survey of the shipped functional-needs form in Imereti and Samegrelo-Zemo Svaneti:
set up, assigned and opened through the services as a survey manager would, then a few hundred
synthetic anonymous responses inserted in bulk and counted by `tallies_rebuild`, as an import
would be. Answers hang together (a respondent who cannot walk uses or lacks a wheelchair, only
one who needs help with a daily activity is asked who helps) and are asked as the form's
conditions say. A few municipalities have fewer than ten responses, so that the results page
shows its small cells hidden."""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from zrunva.accounts.models import User
from zrunva.geo.models import Municipality
from zrunva.questionnaires import selectors, services
from zrunva.questionnaires.choices import ResponseStatus, SurveyStatus
from zrunva.questionnaires.models import Form, Response, Survey

FORM = "functional-needs"
SURVEY = "needs-older-disability-2026"
AREAS = [
    # municipality, target, responses collected so far
    ("kutaisi", 120, 95),
    ("zestaponi", 60, 48),
    ("samtredia", 40, 30),
    ("tkibuli", 40, 27),
    ("kharagauli", 20, 6),
    ("zugdidi", 100, 80),
    ("senaki", 50, 36),
    ("martvili", 40, 22),
    ("chkhorotsku", 20, 8),
    ("mestia", 15, 4),
]
# Interviewers by region: the State Care Agency's social worker in Imereti, the Zugdidi SSA
# officer in Samegrelo-Zemo Svaneti.
INTERVIEWERS = {"GE-IM": "social_worker", "GE-SZ": "ssa_zugdidi"}

WG = ("wg_seeing", "wg_hearing", "wg_walking", "wg_remembering", "wg_selfcare", "wg_communicating")
WG_LEVELS = ("none", "some", "a_lot", "cannot")
ADL = ("adl_bathing", "adl_dressing", "adl_toilet", "adl_moving")
IADL = ("iadl_meals", "iadl_shopping", "iadl_medicines", "iadl_money")
WHODAS = ("whodas_community", "whodas_household", "whodas_emotional")
WHODAS_LEVELS = ("none", "mild", "moderate", "severe", "extreme")
STATUS_WEIGHT = {"none": 0.0, "moderate": 0.25, "significant": 0.45, "severe": 0.65}
# How strongly frailty shows in each domain (walking first, as in older populations).
DOMAIN_WEIGHT = {
    "wg_seeing": 0.8,
    "wg_hearing": 0.7,
    "wg_walking": 1.0,
    "wg_remembering": 0.7,
    "wg_selfcare": 0.75,
    "wg_communicating": 0.45,
}
_DEVICE_ORDER = [
    "glasses",
    "hearing_aid",
    "cane",
    "walker",
    "wheelchair",
    "prosthesis",
    "white_cane",
    "care_bed",
    "incontinence",
]
COMMENTS = [
    "პოლიკლინიკამდე მისვლა მიჭირს, ტაქსი კი ძვირია.",
    "შვილი საზღვარგარეთ მუშაობს, მეზობელი მეხმარება.",
    "ეტლი რიგში მაქვს, უკვე ერთი წელია ველოდები.",
    "ზამთარში შეშის ყიდვა მიჭირს.",
    "მინდა დღის ცენტრში სიარული, მაგრამ ახლოს არ არის.",
    "სმენის აპარატი ძალიან ძვირია.",
    "სადარბაზოში პანდუსი რომ იყოს, გარეთ გავიდოდი.",
]


def _level(value: float, levels: tuple) -> str:
    return levels[min(len(levels) - 1, max(0, int(value * len(levels))))]


def _some(rng: random.Random, chances: dict[str, float], order: list[str]) -> list[str]:
    """The values whose chance comes up, in the form's order."""
    return [v for v in order if v in chances and rng.random() < chances[v]]


def respondent(rng: random.Random) -> dict:
    """One synthetic respondent's answers: an older person (65 and over) or a younger adult
    with a disability status; their difficulties, help, devices and needs follow from one
    frailty drawn for them."""
    older = rng.random() < 0.6
    if older:
        age = min(100, 65 + int(rng.expovariate(1 / 9)))
        status = rng.choices(list(STATUS_WEIGHT), [70, 12, 12, 6])[0]
    else:
        age = rng.randint(18, 64)
        status = rng.choices(["moderate", "significant", "severe"], [40, 40, 20])[0]
    frailty = STATUS_WEIGHT[status] + max(0, age - 65) / 100 + rng.uniform(-0.1, 0.15)
    frailty = min(1.0, max(0.0, frailty))
    main = rng.choice(WG) if status != "none" else None  # the domain of the disability
    a: dict = {
        "age": age,
        "sex": "female" if rng.random() < (0.62 if older else 0.48) else "male",
        "disability_status": status,
    }
    wg = {}
    for key in WG:
        weight = 1.3 if key == main else DOMAIN_WEIGHT[key]
        wg[key] = _level(frailty * weight + rng.uniform(-0.15, 0.15), WG_LEVELS)
    degree = {key: WG_LEVELS.index(level) / 3 for key, level in wg.items()}
    body = max(degree["wg_selfcare"], degree["wg_walking"])
    mind = degree["wg_remembering"]
    helped = {}
    for key in ADL + IADL:
        need = (body if key in ADL else max(body, mind) + 0.1) + rng.uniform(-0.2, 0.2)
        helped[key] = "independent" if need < 0.4 else "some_help" if need < 0.8 else "full_help"
    needs_help = any(v != "independent" for v in helped.values())
    dependent = any(v == "full_help" for v in helped.values())
    alone = rng.random() < (0.08 if dependent else 0.3 if older else 0.12)
    a["lives_alone"] = alone
    a.update(wg)
    a.update(helped)
    for key in WHODAS:
        a[key] = _level(frailty + rng.uniform(-0.2, 0.2), WHODAS_LEVELS)

    care_from: list[str] = []
    if needs_help:
        a["care_received"] = rng.random() < (0.6 if alone else 0.92)
    if a.get("care_received"):
        order = ["household", "relative", "neighbour", "paid_carer", "home_care", "ngo"]
        if alone:
            care_from = _some(
                rng, {"relative": 0.6, "neighbour": 0.4, "home_care": 0.25, "ngo": 0.05}, order
            ) or ["relative"]
        else:
            care_from = ["household"] + _some(
                rng, {"relative": 0.2, "paid_carer": 0.05, "home_care": 0.1}, order
            )
        a["care_from"] = care_from
        severity = sum(
            {"independent": 0, "some_help": 1, "full_help": 2}[v] for v in helped.values()
        ) / (2 * len(helped))
        hours = 3 + severity * (70 if "household" in care_from else 25) + rng.uniform(-2, 6)
        a["care_hours"] = max(1, min(168, round(hours)))
        enough = 0.65 if "household" in care_from else 0.35
        a["care_enough"] = rng.choices(
            ["enough", "partly", "not_enough"], [enough, (1 - enough) * 0.6, (1 - enough) * 0.4]
        )[0]

    used: list[str] = []
    if (wg["wg_seeing"] in ("some", "a_lot") and rng.random() < 0.85) or (
        older and rng.random() < 0.5
    ):
        used.append("glasses")
    if wg["wg_hearing"] in ("some", "a_lot") and rng.random() < 0.25:
        used.append("hearing_aid")
    walking = wg["wg_walking"]
    if (walking == "some" and rng.random() < 0.6) or (walking == "a_lot" and rng.random() < 0.5):
        used.append("cane")
    if walking == "a_lot" and "cane" not in used and rng.random() < 0.5:
        used.append("walker")
    if walking == "cannot" and rng.random() < 0.7:
        used.append("wheelchair")
    if wg["wg_seeing"] == "cannot" and rng.random() < 0.4:
        used.append("white_cane")
    if helped["adl_moving"] == "full_help" and rng.random() < 0.4:
        used.append("care_bed")
    if helped["adl_toilet"] != "independent" and rng.random() < 0.5:
        used.append("incontinence")
    lacking = []
    if wg["wg_seeing"] != "none" and wg["wg_seeing"] != "cannot" and "glasses" not in used:
        lacking.append("glasses")
    if wg["wg_hearing"] != "none" and "hearing_aid" not in used:
        lacking.append("hearing_aid")
    if walking == "a_lot" and not {"cane", "walker"} & set(used):
        lacking.append("walker")
    if walking == "cannot" and "wheelchair" not in used:
        lacking.append("wheelchair")
    if helped["adl_moving"] == "full_help" and "care_bed" not in used:
        lacking.append("care_bed")
    devices = [d for d in _DEVICE_ORDER if d in used]
    a["devices_used"] = devices or ["none"]
    a["device_lacking"] = bool(lacking) and rng.random() < 0.8
    if a["device_lacking"]:
        a["devices_needed"] = [d for d in _DEVICE_ORDER if d in lacking]

    order = ["day_care", "home_care", "rehabilitation", "personal_assistant", "transport"]
    services_used = ["home_care"] if "home_care" in care_from else []
    services_used += _some(
        rng,
        {
            "day_care": 0.1 if mind > 0 else 0.03,
            "rehabilitation": 0.1 if status != "none" else 0.02,
            "personal_assistant": 0.1 if status in ("significant", "severe") and not older else 0,
            "transport": 0.03,
        },
        order,
    )
    services_used = [s for s in order if s in services_used]
    a["services_used"] = services_used or ["none"]
    wanted = {
        "home_care": (0.6 if alone else 0.35) if needs_help else 0,
        "rehabilitation": 0.35 if walking != "none" else 0.05,
        "day_care": 0.15,
        "personal_assistant": 0.3 if status in ("significant", "severe") else 0,
        "transport": 0.4 if walking in ("a_lot", "cannot") else 0.05,
    }
    needed = _some(rng, {k: v for k, v in wanted.items() if k not in services_used}, order)
    a["services_needed"] = needed or ["none"]
    if needed:
        barriers = ["not_available", "waiting", "cost", "distance", "unknown", "not_eligible"]
        picked = set(rng.choices(barriers, [35, 15, 20, 20, 25, 8], k=rng.choice([1, 1, 2])))
        a["service_barriers"] = [b for b in barriers if b in picked]
    if services_used:
        a["satisfaction"] = rng.choices([1, 2, 3, 4, 5], [5, 10, 25, 35, 25])[0]

    home = _some(
        rng,
        {
            "stairs": 0.4 if walking != "none" else 0,
            "entrance": 0.6 if {"wheelchair", "walker"} & set(used) else 0.05,
            "bathroom": 0.5 if helped["adl_bathing"] != "independent" else 0,
            "doors": 0.5 if "wheelchair" in used else 0,
            "cold": 0.2,
        },
        ["stairs", "entrance", "bathroom", "doors", "cold"],
    )
    a["barriers_home"] = home or ["none"]
    sensory = "a_lot" in (wg["wg_seeing"], wg["wg_hearing"]) or "cannot" in (
        wg["wg_seeing"],
        wg["wg_hearing"],
    )
    outside = _some(
        rng,
        {
            "pavements": 0.6 if walking != "none" else 0.15,
            "transport": 0.5 if walking in ("a_lot", "cannot") else 0.05,
            "buildings": 0.5 if walking in ("a_lot", "cannot") else 0,
            "information": 0.5 if sensory else 0,
            "attitudes": 0.1,
        },
        ["pavements", "transport", "buildings", "information", "attitudes"],
    )
    a["barriers_outside"] = outside or ["none"]
    if rng.random() < 0.08:
        a["comments"] = rng.choice(COMMENTS)
    return a


@transaction.atomic
def demo_survey(
    *, seed: int, owner: str = "analyst", interviewers: dict[str, str] | None = None
) -> int:
    """Set up and open the demo survey, and insert its synthetic responses; return how many
    it has. Does nothing twice."""
    existing = Survey.objects.filter(code=SURVEY).first()
    if existing is not None:
        return existing.responses.count()
    form = Form.objects.get(code=FORM)
    version = selectors.version_published(form)
    users = {u.username: u for u in User.objects.all()}
    manager = users[owner]
    by_region = {region: users[name] for region, name in (interviewers or INTERVIEWERS).items()}
    places = {
        m.code: m
        for m in Municipality.objects.filter(code__in=[code for code, *_ in AREAS]).select_related(
            "region"
        )
    }
    today = timezone.localdate()
    survey = services.survey_create(
        actor=manager,
        form=form,
        code=SURVEY,
        name_ka="ხანდაზმული პირებისა და შეზღუდული შესაძლებლობის მქონე პირების საჭიროებები, 2026",
        name_en="Needs of older persons and persons with disabilities, 2026",
        population_ka="65 წლის და უფროსი ასაკის პირები და შეზღუდული შესაძლებლობის მქონე "
        "ზრდასრულები",
        population_en="People aged 65 and over, and adults with disabilities",
        opens=today - timedelta(days=40),
        closes=today + timedelta(days=50),
        targets={places[code]: target for code, target, _n in AREAS},
    )
    for code, _target, _n in AREAS:
        services.survey_assign(
            actor=manager,
            survey=survey,
            interviewer=by_region[places[code].region.iso_code],
            municipality=places[code],
        )
    services.survey_status_set(actor=manager, survey=survey, status=SurveyStatus.OPEN)

    rng = random.Random(seed)
    now = timezone.now()
    rows = []
    for code, _target, count in AREAS:
        municipality = places[code]
        for _ in range(count):
            rows.append(
                Response(
                    version=version,
                    survey=survey,
                    answers=respondent(rng),
                    status=ResponseStatus.SUBMITTED,
                    municipality=municipality,
                    entered_by=by_region[municipality.region.iso_code],
                    submitted_at=now - timedelta(minutes=rng.randint(10, 39 * 24 * 60)),
                )
            )
    Response.objects.bulk_create(rows, batch_size=1000)
    services.tallies_rebuild(survey)
    return len(rows)
