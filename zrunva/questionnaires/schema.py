"""A form version's answers as JSON Schema: what the API's OpenAPI document publishes for each
published version, so a client (or a generated test) knows each question's type and bounds
before sending. The rule itself stays `answers.check`; this describes it."""

from zrunva.core.validators import PERSONAL_NUMBER_PATTERN
from zrunva.questionnaires.definition import Kind


def _question(question: dict) -> dict:
    kind = question["kind"]
    described = {"title": question.get("label_en", ""), "description": question.get("label_ka", "")}
    if question.get("show_if"):
        described["description"] += f" (asked only if {question['show_if']})"
    if kind == Kind.SINGLE:
        return {**described, "type": "string", "enum": [c["value"] for c in question["choices"]]}
    if kind == Kind.MULTIPLE:
        return {
            **described,
            "type": "array",
            "uniqueItems": True,
            "items": {"type": "string", "enum": [c["value"] for c in question["choices"]]},
        }
    if kind == Kind.NUMBER:
        schema = {**described, "type": "integer" if question.get("integer") else "number"}
        if question.get("min") is not None:
            schema["minimum"] = question["min"]
        if question.get("max") is not None:
            schema["maximum"] = question["max"]
        return schema
    if kind == Kind.DATE:
        return {**described, "type": "string", "format": "date"}
    if kind == Kind.YES_NO:
        return {**described, "type": "boolean"}
    if kind == Kind.SCALE:
        low, high = question.get("min", 1), question.get("max", 5)
        return {**described, "type": "integer", "minimum": low, "maximum": high}
    if kind == Kind.PERSON:
        return {**described, "type": "string", "pattern": PERSONAL_NUMBER_PATTERN}
    if kind == Kind.GROUP:
        low = max(question.get("min_repeats", 0), 1 if question.get("required") else 0)
        return {
            **described,
            "type": "array",
            "minItems": low,
            "maxItems": question.get("max_repeats", 10),
            "items": _object(question["questions"]),
        }
    return {**described, "type": "string", "maxLength": question.get("max_length", 2000)}


def _object(listed: list[dict]) -> dict:
    # Required only where always asked: a question with a condition may be left out.
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {q["key"]: _question(q) for q in listed},
        "required": [q["key"] for q in listed if q.get("required") and not q.get("show_if")],
    }


def answers_schema(definition: dict) -> dict:
    return _object([q for section in definition["sections"] for q in section["questions"]])
