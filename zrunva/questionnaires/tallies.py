"""What a submitted response adds to its survey's results: one rule, used both when a response
is submitted (added to the kept tallies in the same transaction) and when the tallies are
rebuilt from all responses, so the two can never count differently.

Cells are (question key, answer as text): a choice's value, "yes"/"no", a scale's point; a
number adds to its question's ("", sum); any other answered question counts as answered. The
cell ("", "") counts the responses themselves. A repeated group counts as answered; its
entries' answers are in the exports, not the tables (their counts are of members, not of
respondents, and the small-cell rule is about respondents).
"""

from collections import Counter
from decimal import Decimal

from zrunva.questionnaires.choices import ResponseStatus
from zrunva.questionnaires.definition import Kind

RESPONSES = ("", "")
CATEGORIES = (Kind.SINGLE, Kind.YES_NO, Kind.SCALE)


def as_text(value) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


def cells(definition: dict, clean: dict) -> tuple[Counter, dict]:
    """The cells one response's checked answers add to, and the sums its numbers add."""
    counts: Counter = Counter({RESPONSES: 1})
    sums: dict = {}
    for section in definition["sections"]:
        for question in section["questions"]:
            key, kind = question["key"], question["kind"]
            if key not in clean:
                continue
            value = clean[key]
            if kind in CATEGORIES:
                counts[(key, as_text(value))] += 1
            elif kind == Kind.MULTIPLE:
                for chosen in value:
                    counts[(key, as_text(chosen))] += 1
                counts[(key, "")] += 1
            elif kind == Kind.NUMBER:
                counts[(key, "")] += 1
                sums[(key, "")] = Decimal(str(value))
            else:
                counts[(key, "")] += 1
    return counts, sums


def build(survey) -> list:
    """Every tally of the survey counted from its submitted responses (read in chunks, each
    version's questions once)."""
    from zrunva.questionnaires.models import FormVersion, Tally

    definitions = {
        v.pk: v.definition
        for v in FormVersion.objects.filter(form_id=survey.form_id).only("definition")
    }
    counts: Counter = Counter()
    sums: Counter = Counter()
    rows = (
        survey.responses.filter(status=ResponseStatus.SUBMITTED)
        .values_list("version_id", "municipality_id", "answers")
        .iterator(chunk_size=5000)
    )
    for version_id, municipality_id, answers in rows:
        added, added_sums = cells(definitions[version_id], answers)
        for (key, value), n in added.items():
            counts[(municipality_id, key, value)] += n
        for (key, value), total in added_sums.items():
            sums[(municipality_id, key, value)] += total
    return [
        Tally(
            survey=survey,
            municipality_id=municipality_id,
            key=key,
            value=value,
            count=n,
            total=sums.get((municipality_id, key, value), Decimal(0)),
        )
        for (municipality_id, key, value), n in counts.items()
    ]
