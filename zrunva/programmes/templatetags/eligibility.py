from django import template
from django.utils.translation import gettext as _

from zrunva.core import numbers
from zrunva.programmes import attributes, expressions, sentences
from zrunva.programmes.choices import DecisionReason, DecisionStatus

register = template.Library()

STATUS_TAGS = {
    "eligible": "tag--green",
    "not_eligible": "tag--grey",
    "needs_data": "tag--amber",
    "error": "tag--amber",
    "not_in_force": "tag--grey",
}


@register.filter
def status_tag(status: str) -> str:
    return STATUS_TAGS.get(status, "tag--grey")


@register.filter
def attribute_label(reference: str) -> str:
    """`household.rating_score` → its label in the active language."""
    attribute = attributes.ATTRIBUTES.get(reference.replace("member.", "person.", 1))
    if attribute is None:
        return reference
    return attribute.label


@register.filter
def rule_value(value) -> str:
    """A value of a rule part as officers read it: yes/no, a number, or "unknown"."""
    if value is None:
        return _("unknown")
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, float):
        return numbers.figure(round(value, 2))
    if isinstance(value, list):
        return ", ".join(rule_value(v) for v in value)
    return str(value)


@register.filter
def has_parts(node: expressions.Explanation) -> bool:
    """Whether a part is worth unfolding: not a bare value, attribute or parameter."""
    return node.kind not in ("literal", "attr", "param") and bool(node.children)


@register.simple_tag
def parameters_read(compiled) -> list:
    """(version in force, value used) of each parameter a programme's rules read on the
    evaluation date; a formula's value is what it gave then."""
    if compiled.criteria is None:  # not in force on the date: nothing was evaluated
        return []
    codes = expressions.dependencies(compiled.criteria) | expressions.dependencies(compiled.formula)
    return [
        (compiled.versions[c], compiled.params.get(c))
        for c in sorted(codes)
        if c in compiled.versions
    ]


@register.filter
def status_label(status: str) -> str:
    return DecisionStatus(status).label if status in DecisionStatus.values else status


@register.filter
def reason_label(reason: str) -> str:
    return DecisionReason(reason).label if reason in DecisionReason.values else reason


@register.filter
def attribute_value(value, reference: str) -> str:
    """A value of an attribute, closed-set text by its label (\"severe\" → \"Severe\")."""
    choices = attributes.CHOICES.get(reference)
    if choices is not None and value in choices.values:
        return choices(value).label
    return rule_value(value)


@register.simple_tag
def decision_reasons(basis) -> dict:
    """A stored decision's reasons as sentences in the active language (`sentences.explained`):
    the same sentences as the letter's."""
    return sentences.explained(basis)


@register.simple_tag
def result_reasons(result) -> dict:
    """One beneficiary's live explanation (`engine.Result`) as sentences: the conditions with
    their verdicts and the amount."""
    if result.criteria is None:
        return {"intro": "", "conditions": [], "amount": ""}
    facts = sentences.facts(result)
    intro, conditions = sentences.condition_sentences(facts["criteria"])
    return {
        "intro": intro,
        "conditions": conditions,
        "amount": sentences.amount_sentence(facts["amount"]),
    }
