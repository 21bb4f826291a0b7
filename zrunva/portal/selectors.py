"""Reads of the portal: the holding area (zrunva.portal.services), which documents a citizen's
session keeps for one of its forms; the programmes' public pages; the rights screener."""

import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import get_language

from zrunva.core.text import capfirst
from zrunva.geo.choices import OfficeAgency
from zrunva.geo.models import Municipality, Office
from zrunva.programmes import attributes, eligibility, engine, sentences
from zrunva.programmes.choices import DecisionStatus
from zrunva.programmes.models import Programme
from zrunva.registry.choices import DisabilityDegree, PensionKind
from zrunva.services.selectors import (
    distance_km,
    located_exactly,
    nearest_public,
)

SESSION_KEY = "portal_held_documents"
# Long enough to finish a form after a break, short enough that an abandoned form's files do
# not stay: an application form takes minutes, and the session lasts 8 hours.
HELD_FOR = 3 * 3600


def held_folder() -> Path:
    return Path(settings.PRIVATE_MEDIA_ROOT) / "portal-held"


def held_path(entry: dict) -> Path:
    return held_folder() / entry["id"]


def form_key(submission_key) -> str | None:
    """The form's key as the session stores it; None for anything that is not a UUID (it comes
    from the posted form)."""
    try:
        return str(uuid.UUID(str(submission_key)))
    except (TypeError, ValueError, AttributeError):
        return None


def _fresh(entry: dict, now: float) -> bool:
    return now - entry.get("at", 0) < HELD_FOR and held_path(entry).is_file()


def held_documents(session, *, submission_key) -> list[dict]:
    """The documents kept for this session's form: [{"id", "name", "size", "kind", "at"}, ...],
    those expired or gone left out. Only the session's own entries are ever read."""
    key = form_key(submission_key)
    if key is None:
        return []
    now = time.time()
    return [e for e in session.get(SESSION_KEY, {}).get(key, []) if _fresh(e, now)]


@contextmanager
def held_files(session, *, submission_key):
    """The form's kept documents opened as files named as the citizen sent them, for
    `application_submit`, which checks them again like any upload."""
    with ExitStack() as stack:
        files = []
        for entry in held_documents(session, submission_key=submission_key):
            handle = stack.enter_context(open(held_path(entry), "rb"))  # noqa: SIM115
            files.append(File(handle, name=entry["name"]))
        yield files


# -- Programmes and the rights screener ------------------------------------------------------
# Both read the officers' compiled rules (`zrunva.programmes.eligibility`) and say them with
# `zrunva.programmes.sentences`: a page cannot promise what a decision would not give.


def public_programmes(*, on: date) -> list[Programme]:
    """The programmes in force on `on` that the portal shows: the state's, then each
    municipality's, by name in the active language."""
    found = eligibility.programmes_in_force(on=on)
    state = sorted((p for p in found if p.municipality_id is None), key=lambda p: p.name)
    own = sorted(
        (p for p in found if p.municipality_id is not None),
        key=lambda p: (p.municipality.name, p.name),
    )
    return state + own


def public_programme(*, code: str, on: date) -> tuple[Programme, engine.Compiled]:
    """An active programme with its rules compiled for `on`, or for the nearest day it is in
    force (its first, or its last); Http404 for one that is not active or cannot be evaluated."""
    programme = (
        Programme.objects.filter(code=code, is_active=True).select_related("municipality").first()
    )
    if programme is None:
        raise Http404
    day = max(on, programme.valid_from)
    if programme.valid_until is not None:
        day = min(day, programme.valid_until)
    compiled = eligibility.compiled_programmes(
        on=day, municipality_id=programme.municipality_id, skipped=[]
    )
    found = next((c for c in compiled if c.id == programme.pk), None)
    if found is None:  # a council's programme whose rules cannot be evaluated
        raise Http404
    return programme, found


def programme_sentences(compiled: engine.Compiled) -> dict:
    """Who qualifies, how much and the figures used, in the active language."""
    facts = sentences.rule_facts(compiled)
    intro, requirements = sentences.requirement_sentences(facts["criteria"])
    return {
        "intro": intro,
        "requirements": requirements,
        "amounts": sentences.amount_rule_sentences(facts["amount"]),
        "figures": [sentences.parameter_sentence(p) for p in facts["parameters"]],
    }


def ssa_offices(*, municipality: Municipality) -> QuerySet[Office]:
    """The Social Service Agency's territorial centres serving a municipality."""
    return Office.objects.filter(agency=OfficeAgency.SSA, municipalities=municipality).order_by(
        "code"
    )


@dataclass
class ScreenerEntry:
    """One programme's answer for the household, or for one member of it."""

    status: str
    member: int | None  # the member's index in the answers, for a person programme
    amount: Decimal | None
    reasons: list[str]  # the conditions that held, in words
    amount_sentence: str
    conditions: list[str] = field(default_factory=list)  # "may apply, if …"
    depends: list[str] = field(default_factory=list)  # answers the amount waits for
    summary: str = ""


@dataclass
class ScreenerProgramme:
    programme: Programme
    entries: list[ScreenerEntry]
    amounts: list[str]  # the rule's amounts in general, for "may apply"

    def _with(self, status: str) -> list[ScreenerEntry]:
        return [e for e in self.entries if e.status == status]

    @property
    def eligible(self) -> list[ScreenerEntry]:
        return self._with(DecisionStatus.ELIGIBLE)

    @property
    def possible(self) -> list[ScreenerEntry]:
        return self._with(DecisionStatus.NEEDS_DATA)

    @property
    def total(self) -> Decimal:
        return sum((e.amount for e in self.eligible), Decimal("0"))


def _entry(result: engine.Result, programme: Programme) -> ScreenerEntry:
    facts = sentences.facts(result)
    criteria = facts["criteria"]
    items = criteria["items"] if criteria["kind"] in ("all", "any") else [criteria]
    conditions = sentences.unknown_requirements(criteria)
    depends = []
    if result.status == DecisionStatus.NEEDS_DATA and not conditions:
        # The criteria hold; the formula reads an answer not given.
        depends = [
            attributes.ATTRIBUTES[m.replace("member.", "person.", 1)].label
            for m in result.missing
            if m.replace("member.", "person.", 1) in attributes.ATTRIBUTES
        ]
    amount = Decimal(str(result.amount)) if result.amount is not None else None
    return ScreenerEntry(
        status=result.status,
        member=result.member,
        amount=amount,
        reasons=[capfirst(sentences.statement(i)) + "." for i in items if i["met"] is True],
        amount_sentence=sentences.amount_sentence(facts["amount"]),
        conditions=conditions,
        depends=depends,
        summary=sentences.summary(
            programme=programme.name, status=result.status, statements=facts, amount=amount
        ),
    )


def _amounts(compiled: engine.Compiled) -> list[str]:
    """The rule's amounts in general, in the active language: worked out once per compiled
    programme (kept while its rules stand) and language."""
    key = ("amount sentences", get_language())
    if key not in compiled.memo:
        general = sentences.rule_facts(compiled)
        compiled.memo[key] = sentences.amount_rule_sentences(general["amount"])
    return compiled.memo[key]


def screener_results(
    *, household: dict, members: list[dict], on: date, rating_score: float | None
) -> list[ScreenerProgramme]:
    """Every state programme and the municipality's own for a household given as answers,
    decided by the engine officers use (`eligibility.data_explanation`) and said in words.
    Nothing is stored: the engine reads the answers as data. The page names no nearest
    changes, so none are worked out."""
    results = eligibility.data_explanation(
        household=household, members=members, on=on, rating_score=rating_score, changes=False
    )
    found: dict[int, ScreenerProgramme] = {}
    for result in results:
        if result.status == DecisionStatus.NOT_IN_FORCE:
            continue
        programme = result.compiled.programme
        if programme.pk not in found:
            found[programme.pk] = ScreenerProgramme(programme, [], _amounts(result.compiled))
        found[programme.pk].entries.append(_entry(result, programme))
    return sorted(
        found.values(),
        key=lambda g: (g.programme.municipality_id is not None, g.programme.name),
    )


SERVICES_SHOWN = 6
# The kinds of disability the catalogue's target groups tell apart (services/0002).
DISABILITY_KINDS = ("physical", "sensory", "intellectual", "psychosocial")


def screener_target_groups(members: list[dict]) -> list[str]:
    """The catalogue's target groups a household given as answers belongs to (each member's
    age, disability degree, pension kind and IDP status): the elderly from 65 or with an
    old-age pension, children or adults with disabilities of any kind (the screener does not
    ask which), families with children, internally displaced persons."""
    codes = set()
    for member in members:
        age = member["age"]
        if age >= 65 or member["pension_kind"] == PensionKind.OLD_AGE:
            codes.add("elderly")
        if age < 18:
            codes.add("families")
        if member["disability_degree"] != DisabilityDegree.NONE:
            prefix = "children" if age < 18 else "adults"
            codes.update(f"{prefix}_{kind}" for kind in DISABILITY_KINDS)
        if member["is_idp"]:
            codes.add("idps")
    return sorted(codes)


def screener_services(*, codes: list[str], municipality: Municipality) -> list:
    """The public services for any of those target groups nearest the municipality's centre
    (`SERVICES_SHOWN` of them, each with `distance_km`)."""
    if not codes:
        return []
    # The page names each service's type, provider and place, not its target groups.
    found = nearest_public(codes=codes, municipality=municipality, count=SERVICES_SHOWN)
    for service in found:
        service.distance_km = distance_km(service)
        service.located_exactly = located_exactly(service)
    return found
