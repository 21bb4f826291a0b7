"""A decision in plain sentences: each condition of a programme's criteria and the amount, said
with the attribute catalogue's words and the values of the beneficiary, never as rule code.

Two steps, so a decision can be stored once and read in any language later:
- `facts(result)` reads the rules' trees and their values (`engine.Result`) into language-free,
  JSON-ready facts: which attribute, which comparison, the value, the threshold (a parameter,
  with its names and unit, or a literal), met or not; for the formula, what kind of amount
  (so much for each member, a flat amount, an amount with a supplement, or computed otherwise);
- `condition_sentences`, `amount_sentence` and `summary` say those facts in the active language
  (gettext; the caller overrides the language for a letter).

What the rules' shape does not fit (a comparison of two computed values, say) is said generically,
naming the catalogue labels it reads; rule text and parameter codes never reach a sentence.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zrunva.core import numbers
from zrunva.core.models import in_language
from zrunva.core.text import capfirst, long_date
from zrunva.programmes import attributes, expressions
from zrunva.programmes.expressions import Node, Type

# The relation between a value and its threshold, for each comparison and whether it held:
# a sentence states what is true ("70,000 is more than 65,000"), never what was required.
TRUE_RELATION = {
    ("<=", True): "<=",
    ("<=", False): ">",
    ("<", True): "<",
    ("<", False): ">=",
    (">=", True): ">=",
    (">=", False): "<",
    (">", True): ">",
    (">", False): "<=",
    ("==", True): "==",
    ("==", False): "!=",
    ("!=", True): "!=",
    ("!=", False): "==",
}
MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


# -- Facts -----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A rule value as JSON holds it."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _kind_of_unit(unit: str) -> str:
    """How a parameter's unit is written: money, a share (as a percentage) or a plain number."""
    unit = (unit or "").strip().lower()
    if unit.startswith("gel"):
        return "money"
    if unit == "share":
        return "share"
    return "number"


def _attribute_quantity(node: Node, value: Any) -> dict:
    reference = f"{'household' if node.op == 'household' else 'person'}.{node.value}"
    entry = attributes.ATTRIBUTES[reference]
    kind = {Type.BOOLEAN: "boolean", Type.TEXT: "text", Type.DATE: "date"}.get(entry.type)
    if kind is None:
        kind = "money" if entry.unit == "GEL" else "number"
    return {"attribute": reference, "kind": kind, "value": _plain(value)}


class _Reader:
    """Reads one rule's tree (`Node`) beside its values (`Explanation`) into facts."""

    def __init__(self, compiled):
        self.compiled = compiled
        self.parameters: dict[str, dict] = {}

    def parameter(self, code: str) -> dict:
        """A parameter's names, unit and value as facts keep them (and notes them for the
        legal basis)."""
        version = self.compiled.versions.get(code)
        parameter = getattr(version, "parameter", None)
        value = self.compiled.params.get(code)
        found = {
            "param": code,
            "kind": _kind_of_unit(parameter.unit if parameter else ""),
            "value": _plain(value),
            "unit": parameter.unit if parameter else "",
            "name_ka": parameter.name_ka if parameter else "",
            "name_en": parameter.name_en if parameter else "",
        }
        self.parameters[code] = {
            **found,
            "valid_from": _plain(version.valid_from) if version else None,
            "illustrative": bool(getattr(version, "illustrative", False)),
        }
        return found

    def threshold(self, node: Node, exp: expressions.Explanation) -> dict | None:
        """What a value is compared with: a parameter (through `if`, the branch taken), a
        literal, or None when it is computed otherwise."""
        if node.kind == "param":
            return self.parameter(node.value)
        if node.kind == "literal":
            kind = {Type.BOOLEAN: "boolean", Type.TEXT: "text", Type.DATE: "date"}.get(
                node.type, "number"
            )
            return {"literal": True, "kind": kind, "value": _plain(node.value)}
        if node.kind == "call" and node.op == "if" and isinstance(exp.children[0].value, bool):
            taken = 1 if exp.children[0].value else 2
            return self.threshold(node.args[taken], exp.children[taken])
        return None

    def subject(self, node: Node, exp: expressions.Explanation) -> dict | None:
        """What a condition is about: an attribute, or how many members meet a condition."""
        if node.kind == "attr":
            return _attribute_quantity(node, exp.value)
        if node.kind == "agg" and node.op == "count":
            inner = node.args[0]
            member = self.member_condition(inner, exp.children[0])
            if member is not None or (inner.kind == "literal" and inner.value is True):
                return {"count": member, "kind": "number", "value": _plain(exp.value)}
        return None

    def member_condition(self, node: Node, exp: expressions.Explanation) -> dict | None:
        """The condition members are counted by, when it compares an attribute of theirs."""
        if node.kind == "binary" and node.op in expressions.COMPARISONS:
            for side, other, op in ((0, 1, node.op), (1, 0, MIRROR[node.op])):
                attr = node.args[side]
                if attr.kind == "attr" and (
                    threshold := self.threshold(node.args[other], exp.children[other])
                ):
                    quantity = _attribute_quantity(attr, None)
                    return {"attribute": quantity["attribute"], "op": op, "threshold": threshold}
        return None

    def condition(self, node: Node, exp: expressions.Explanation) -> dict:
        met = exp.value if isinstance(exp.value, bool) else None
        if node.kind == "binary" and node.op in ("and", "or"):
            kind = "all" if node.op == "and" else "any"
            items = []
            for child, child_exp in zip(node.args, exp.children, strict=True):
                fact = self.condition(child, child_exp)
                # "a and (b and c)" is one list of three.
                items += fact["items"] if fact["kind"] == kind else [fact]
            return {"kind": kind, "met": met, "items": items}
        if node.kind == "unary" and node.op == "not":
            inner = node.args[0]
            if inner.kind == "attr" and inner.type == Type.BOOLEAN:
                flag = _attribute_quantity(inner, exp.children[0].value)
                return {**flag, "kind": "flag", "met": met, "want": False}
            return {"kind": "not", "met": met, "item": self.condition(inner, exp.children[0])}
        if node.kind == "attr" and node.type == Type.BOOLEAN:
            fact = _attribute_quantity(node, exp.value)
            return {**fact, "kind": "flag", "met": met, "want": True}
        if node.kind == "binary" and node.op in expressions.COMPARISONS:
            for side, other, op in ((0, 1, node.op), (1, 0, MIRROR[node.op])):
                subject = self.subject(node.args[side], exp.children[side])
                threshold = self.threshold(node.args[other], exp.children[other])
                if subject is not None and threshold is not None:
                    return {
                        "kind": "compare",
                        "met": met,
                        "op": op,
                        "subject": subject,
                        "threshold": threshold,
                    }
        return {"kind": "other", "met": met, "reads": self.reads(node)}

    def reads(self, node: Node) -> list[dict]:
        """The attributes and parameters a part of a rule reads, each once, for a generic
        sentence."""
        found, seen = [], set()
        for part in expressions.walk(node):
            key = (part.kind, part.op, part.value)
            if part.kind not in ("attr", "param") or key in seen:
                continue
            seen.add(key)
            if part.kind == "param":
                found.append(self.parameter(part.value))
            else:
                found.append({"attribute": _attribute_quantity(part, None)["attribute"]})
        return found

    def amount(self, node: Node, exp: expressions.Explanation) -> dict:
        """What kind of amount the formula gave."""
        total = _plain(exp.value)
        shape = self.shape(node, exp)
        if shape is not None:
            return {**shape, "total": total}
        return {"kind": "computed", "total": total, "reads": self.reads(node)}

    def money(self, node: Node, exp: expressions.Explanation) -> tuple[dict, dict | None] | None:
        """A money parameter the formula's part comes to (through `if`, the branch taken, with
        the condition that took it when it is a single comparison or flag)."""
        if node.kind == "param":
            found = self.parameter(node.value)
            return (found, None) if found["kind"] == "money" else None
        if node.kind == "call" and node.op == "if" and isinstance(exp.children[0].value, bool):
            taken = 1 if exp.children[0].value else 2
            inner = self.money(node.args[taken], exp.children[taken])
            if inner is None:
                return None
            found, because = inner
            if because is None:
                condition = self.condition(node.args[0], exp.children[0])
                if condition["kind"] in ("compare", "flag"):
                    because = condition
            return found, because
        return None

    def factor(self, node: Node, exp: expressions.Explanation) -> dict | None:
        """A multiplier: 1 (none), or 1 + a share parameter (a supplement)."""
        if node.kind == "literal" and node.value == 1:
            return {"kind": "one"}
        if node.kind == "call" and node.op == "if" and isinstance(exp.children[0].value, bool):
            taken = 1 if exp.children[0].value else 2
            found = self.factor(node.args[taken], exp.children[taken])
            if found is not None:
                return {**found, "because": self.condition(node.args[0], exp.children[0])}
            return None
        if node.kind == "binary" and node.op == "+":
            for one, share in ((0, 1), (1, 0)):
                one_plus = node.args[one].kind == "literal" and node.args[one].value == 1
                if one_plus and node.args[share].kind == "param":
                    found = self.parameter(node.args[share].value)
                    if found["kind"] == "share":
                        return {"kind": "supplement", "share": found}
        return None

    def shape(self, node: Node, exp: expressions.Explanation) -> dict | None:
        if node.kind == "call" and node.op == "round":  # rounding to the tetri changes no words
            return self.shape(node.args[0], exp.children[0])
        money = self.money(node, exp)
        if money is not None:
            return {"kind": "flat", "each": money[0], "because": money[1]}
        if node.kind != "binary" or node.op != "*":
            return None
        for a, b in ((0, 1), (1, 0)):
            money = self.money(node.args[a], exp.children[a])
            if money is None:
                continue
            counted = node.args[b]
            value = exp.children[b].value
            if (
                counted.kind == "attr"
                and counted.value == "size"
                or (counted.kind == "agg" and counted.op == "count")
            ):
                noun = "child" if "child" in money[0]["unit"].lower() else "member"
                return {
                    "kind": "per",
                    "each": money[0],
                    "count": _plain(value),
                    "noun": noun,
                    "because": money[1],
                }
            factor = self.factor(counted, exp.children[b])
            if factor is not None:
                because = money[1]
                if factor["kind"] == "one":
                    return {"kind": "flat", "each": money[0], "because": because}
                return {
                    "kind": "supplement",
                    "each": money[0],
                    "share": factor["share"],
                    "because": because,
                }
        return None


def facts(result) -> dict:
    """The facts of one beneficiary's decision (`engine.Result`): the criteria as a tree of
    conditions, the amount when the beneficiary is eligible, and every parameter they read
    with its names, unit, date and whether it is illustrative. JSON-ready."""
    reader = _Reader(result.compiled)
    criteria = reader.condition(result.compiled.criteria.node, result.criteria)
    amount = None
    if result.amount is not None:
        amount = reader.amount(result.compiled.formula.node, result.formula)
        amount["total"] = _plain(result.amount)
    return {
        "status": result.status,
        "criteria": criteria,
        "amount": amount,
        "missing": list(result.missing),
        "parameters": sorted(reader.parameters.values(), key=lambda p: p["param"]),
    }


# -- Words -----------------------------------------------------------------------------------


def _number(value: float | int) -> str:
    return numbers.figure(round(float(value), 2))


money = numbers.money


def _text_value(reference: str | None, value: str) -> str:
    choices = attributes.CHOICES.get(reference or "")
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    if reference == "household.municipality":
        from zrunva.geo.models import Municipality

        found = Municipality.objects.filter(code=value).first()
        if found is not None:
            return found.name
    return value


def quantity(kind: str, value: Any, reference: str | None = None) -> str:
    """A value as a sentence writes it: numbers grouped, money with its currency, shares as
    percentages, dates as Georgians write them, yes/no in words, closed-set text by its label."""
    if value is None:
        return _("not recorded")
    if kind == "boolean":
        return _("yes") if value else _("no")
    if kind == "money":
        return money(value)
    if kind == "share":
        return _("%(percent)s%%") % {"percent": _number(float(value) * 100)}
    if kind == "date":
        return long_date(date.fromisoformat(value) if isinstance(value, str) else value)
    if kind == "text":
        return _("“%(value)s”") % {"value": _text_value(reference, value)}
    if isinstance(value, int | float | Decimal):
        return _number(value)
    return str(value)


def _threshold(threshold: dict, reference: str | None) -> str:
    return quantity(threshold["kind"], threshold["value"], reference)


def _noun(reference: str) -> str:
    entry = attributes.ATTRIBUTES[reference]
    return in_language(entry.noun_ka, entry.noun_en)


def _subject(subject: dict) -> str:
    """Whose what: "your household's rating score", "your age", or how many members meet a
    condition."""
    if "count" in subject:
        member = subject["count"]
        if member is None:
            return _("the number of your household's members")
        noun = _noun(member["attribute"])
        limit = _threshold(member["threshold"], member["attribute"])
        return {
            "<": _("the number of your household's members whose %(noun)s is less than %(limit)s"),
            "<=": _("the number of your household's members whose %(noun)s is at most %(limit)s"),
            ">": _("the number of your household's members whose %(noun)s is more than %(limit)s"),
            ">=": _("the number of your household's members whose %(noun)s is at least %(limit)s"),
            "==": _("the number of your household's members whose %(noun)s is %(limit)s"),
            "!=": _("the number of your household's members whose %(noun)s is not %(limit)s"),
        }[member["op"]] % {"noun": noun, "limit": limit}
    noun = _noun(subject["attribute"])
    if subject["attribute"].startswith("household."):
        return _("your household's %(noun)s") % {"noun": noun}
    return _("your %(noun)s") % {"noun": noun}


def _relation(relation: str) -> str:
    return {
        "<": _("%(subject)s, %(value)s, is less than %(threshold)s"),
        "<=": _("%(subject)s, %(value)s, is at most %(threshold)s"),
        ">": _("%(subject)s, %(value)s, is more than %(threshold)s"),
        ">=": _("%(subject)s, %(value)s, is at least %(threshold)s"),
        "==": _("%(subject)s, %(value)s, is %(threshold)s"),
        "!=": _("%(subject)s, %(value)s, is not %(threshold)s"),
    }[relation]


def statement(fact: dict) -> str:
    """One condition as a sentence without its verdict, in the active language."""
    kind = fact["kind"]
    if kind == "compare":
        subject = fact["subject"]
        reference = subject.get("attribute")
        value = quantity(subject["kind"], subject["value"], reference)
        if fact["met"] is None:
            return _("%(subject)s is not recorded") % {"subject": _subject(subject)}
        relation = TRUE_RELATION[(fact["op"], fact["met"])]
        return _relation(relation) % {
            "subject": _subject(subject),
            "value": value,
            "threshold": _threshold(fact["threshold"], reference),
        }
    if kind == "flag":
        entry = attributes.ATTRIBUTES[fact["attribute"]]
        return _("%(label)s: %(value)s") % {
            "label": entry.label,
            "value": quantity("boolean", fact["value"]),
        }
    if kind == "not":
        return _("it is not so that %(condition)s") % {"condition": statement(fact["item"])}
    if kind in ("all", "any"):
        parts = [statement(item) for item in fact["items"]]
        joiner = _("; and ") if kind == "all" else _("; or ")
        return joiner.join(parts)
    return _("a condition of the programme's rules about %(values)s") % {
        "values": _reads(fact.get("reads", []))
    }


def _reads(reads: list[dict]) -> str:
    names = []
    for read in reads:
        if "param" in read:
            names.append(in_language(read["name_ka"], read["name_en"]) or _("a figure"))
        else:
            names.append(attributes.ATTRIBUTES[read["attribute"]].label)
    return ", ".join(names)


def verdict(met: bool | None) -> str:
    if met is None:
        return _("cannot be checked: data is missing")
    return _("met") if met else _("not met")


def condition_sentences(criteria: dict | None) -> tuple[str, list[str]]:
    """The criteria as an opening line (how the conditions combine) and one sentence per
    condition with its verdict, in the active language."""
    if not criteria:
        return "", []
    if criteria["kind"] == "all":
        intro, items = _("The programme requires all of these:"), criteria["items"]
    elif criteria["kind"] == "any":
        intro, items = _("The programme requires at least one of these:"), criteria["items"]
    else:
        intro, items = _("The programme requires this:"), [criteria]
    return intro, [
        _("%(statement)s: %(verdict)s.")
        % {"statement": capfirst(statement(item)), "verdict": verdict(item["met"])}
        for item in items
    ]


def amount_sentence(amount: dict | None) -> str:
    """The amount as a sentence: "120 GEL a month: 60 GEL for each of 2 members"."""
    if not amount:
        return ""
    total = money(amount["total"])
    kind = amount["kind"]
    if kind == "per":
        count, each = int(amount["count"]), money(amount["each"]["value"])
        values = {"total": total, "each": each, "count": count}
        if amount["noun"] == "child":
            text = ngettext(
                "%(total)s a month: %(each)s for %(count)s child",
                "%(total)s a month: %(each)s for each of %(count)s children",
                count,
            )
        else:
            text = ngettext(
                "%(total)s a month: %(each)s for %(count)s member",
                "%(total)s a month: %(each)s for each of %(count)s members",
                count,
            )
        text %= values
    elif kind == "flat":
        text = _("a flat %(total)s a month") % {"total": total}
    elif kind == "supplement":
        text = _("%(total)s a month: %(base)s with a supplement of %(share)s (%(name)s)") % {
            "total": total,
            "base": money(amount["each"]["value"]),
            "share": quantity("share", amount["share"]["value"]),
            "name": in_language(amount["share"]["name_ka"], amount["share"]["name_en"]),
        }
    else:
        text = _("%(total)s a month, calculated from: %(values)s") % {
            "total": total,
            "values": _reads(amount.get("reads", [])),
        }
    if amount.get("because"):
        text = _("%(amount)s, because %(reason)s") % {
            "amount": text,
            "reason": statement(amount["because"]),
        }
    return capfirst(text) + "."


def summary(*, programme: str, status: str, statements: dict | None, amount=None) -> str:
    """One paragraph: the decision and the conditions that made it."""
    from zrunva.programmes.choices import DecisionStatus

    if status == DecisionStatus.ELIGIBLE:
        opening = _("%(programme)s: eligible, %(amount)s a month.") % {
            "programme": programme,
            "amount": money(amount),
        }
    elif status == DecisionStatus.NEEDS_DATA:
        opening = _("%(programme)s: cannot be decided, data is missing.") % {"programme": programme}
    elif status == DecisionStatus.NOT_IN_FORCE:
        return _("%(programme)s: not in force on this date.") % {"programme": programme}
    elif status == DecisionStatus.ERROR:
        return _("%(programme)s: the amount could not be calculated.") % {"programme": programme}
    else:
        opening = _("%(programme)s: not eligible.") % {"programme": programme}
    criteria = (statements or {}).get("criteria")
    if not criteria:
        return opening
    items = criteria["items"] if criteria["kind"] in ("all", "any") else [criteria]
    if status == DecisionStatus.ELIGIBLE:
        # What qualified: every condition that held (for "any", those that did).
        shown = [i for i in items if i["met"]]
    else:
        shown = [i for i in items if i["met"] is not True]
    reasons = "; ".join(statement(i) for i in shown)
    return f"{opening} {capfirst(reasons)}." if reasons else opening


def change_sentence(change: dict) -> str:
    """A single change that would qualify (`engine.Change`, as a decision stores it)."""
    reference = change.get("attribute")
    entry = attributes.ATTRIBUTES.get(reference or "")
    if entry is None:  # stored before the attribute was kept: its labels only
        label = in_language(change.get("label_ka", ""), change.get("label_en", ""))
        kind = "boolean" if isinstance(change["needed"], bool) else "number"
    else:
        label = entry.label
        kind = {Type.BOOLEAN: "boolean", Type.TEXT: "text", Type.DATE: "date"}.get(entry.type)
        kind = kind or ("money" if entry.unit == "GEL" else "number")
    return _("You would qualify if %(attribute)s were %(needed)s (now %(current)s).") % {
        "attribute": label,
        "needed": quantity(kind, change["needed"], reference),
        "current": quantity(kind, change["current"], reference),
    }


def missing_sentence(missing: list[str]) -> str:
    labels = [
        attributes.ATTRIBUTES[m.replace("member.", "person.", 1)].label
        if m.replace("member.", "person.", 1) in attributes.ATTRIBUTES
        else _("a value of the record")
        for m in missing
    ]
    return _("Missing from the registry: %(fields)s.") % {"fields": ", ".join(labels)}


def explained(basis: dict | None) -> dict:
    """A stored decision's reasons (`decision_reasons`) as sentences in the active language:
    the opening line, one sentence per condition, the amount, what is missing and the nearest
    changes. A decision stored before its facts were kept gets its verdicts only, never its
    rule text."""
    basis = basis or {}
    statements = basis.get("statements")
    if statements:
        intro, conditions = condition_sentences(statements.get("criteria"))
        amount = amount_sentence(statements.get("amount"))
    else:
        intro, amount = "", ""
        conditions = [
            _("Condition %(number)s of the programme's rules: %(verdict)s.")
            % {"number": i, "verdict": verdict(c.get("value"))}
            for i, c in enumerate(basis.get("conditions", []), start=1)
        ]
        if conditions:
            intro = _("The programme's conditions:")
    return {
        "intro": intro,
        "conditions": conditions,
        "amount": amount,
        "missing": missing_sentence(basis["missing"]) if basis.get("missing") else "",
        "changes": [change_sentence(c) for c in basis.get("changes", [])],
        "parameters": (statements or {}).get("parameters", []),
    }


def parameter_sentence(parameter: dict) -> str:
    """A figure the decision used: its name, value and date, and whether it is illustrative."""
    name = in_language(parameter["name_ka"], parameter["name_en"]) or _("a figure")
    text = _("%(name)s: %(value)s, in force from %(date)s") % {
        "name": name,
        "value": quantity(parameter["kind"], parameter["value"]),
        "date": quantity("date", parameter["valid_from"]) if parameter.get("valid_from") else "—",
    }
    if parameter.get("illustrative"):
        text = _("%(figure)s (illustrative: not confirmed from a public source)") % {"figure": text}
    return text


# -- The rules in general ------------------------------------------------------------------
# What a programme's page says: who qualifies and how much, read from the same compiled rule
# the officers' decisions are (`engine.Compiled`), without any household's values, so the page
# cannot say other than what is decided.


class _RuleReader(_Reader):
    """Reads a rule's tree without values: conditions as requirements, the formula as the
    amounts it can give and when."""

    def general_threshold(self, node: Node) -> dict | None:
        if node.kind in ("param", "literal"):
            return self.threshold(node, None)
        if node.kind == "call" and node.op == "if":
            then, otherwise = (self.general_threshold(a) for a in node.args[1:])
            if then is not None and otherwise is not None:
                return {
                    "kind": "choice",
                    "when": self.requirement(node.args[0]),
                    "then": then,
                    "otherwise": otherwise,
                }
        return None

    def general_subject(self, node: Node) -> dict | None:
        if node.kind == "attr":
            return _attribute_quantity(node, None)
        if node.kind == "agg" and node.op == "count":
            inner = node.args[0]
            member = self.general_member(inner)
            if member is not None or (inner.kind == "literal" and inner.value is True):
                return {"count": member, "kind": "number", "value": None}
        return None

    def general_member(self, node: Node) -> dict | None:
        if node.kind == "binary" and node.op in expressions.COMPARISONS:
            for side, other, op in ((0, 1, node.op), (1, 0, MIRROR[node.op])):
                attr = node.args[side]
                threshold = self.general_threshold(node.args[other])
                if attr.kind == "attr" and threshold is not None and "when" not in threshold:
                    quantity = _attribute_quantity(attr, None)
                    return {"attribute": quantity["attribute"], "op": op, "threshold": threshold}
        return None

    def requirement(self, node: Node) -> dict:
        """A yes/no part of a rule as what it requires."""
        if node.kind == "binary" and node.op in ("and", "or"):
            kind = "all" if node.op == "and" else "any"
            items = []
            for child in node.args:
                fact = self.requirement(child)
                items += fact["items"] if fact["kind"] == kind else [fact]
            return {"kind": kind, "items": items}
        if node.kind == "unary" and node.op == "not":
            inner = node.args[0]
            if inner.kind == "attr" and inner.type == Type.BOOLEAN:
                return {**_attribute_quantity(inner, None), "kind": "flag", "want": False}
            return {"kind": "not", "item": self.requirement(inner)}
        if node.kind == "attr" and node.type == Type.BOOLEAN:
            return {**_attribute_quantity(node, None), "kind": "flag", "want": True}
        if node.kind == "binary" and node.op in expressions.COMPARISONS:
            for side, other, op in ((0, 1, node.op), (1, 0, MIRROR[node.op])):
                subject = self.general_subject(node.args[side])
                threshold = self.general_threshold(node.args[other])
                if subject is not None and threshold is not None:
                    return {"kind": "compare", "op": op, "subject": subject, "threshold": threshold}
        return {"kind": "other", "reads": self.reads(node)}

    def general_amount(self, node: Node) -> dict:
        """What a formula gives: a figure, one of several by a condition, so much for each
        member (or each member who meets a condition), with a supplement; or computed."""
        if node.kind == "call" and node.op == "round":
            return self.general_amount(node.args[0])
        if node.kind == "param":
            found = self.parameter(node.value)
            if found["kind"] == "money":
                return {"kind": "flat", "each": found}
        if node.kind == "literal" and node.value == 0:
            return {"kind": "nothing"}
        if node.kind == "literal" and isinstance(node.value, int | float | Decimal):
            return {"kind": "flat", "each": {"kind": "money", "value": _plain(node.value)}}
        if node.kind == "call" and node.op == "if":
            then, otherwise = (self.general_amount(a) for a in node.args[1:])
            if "reads" not in then and "reads" not in otherwise:
                cases = [{"when": self.requirement(node.args[0]), "amount": then}]
                if otherwise["kind"] == "cases":  # if(a, x, if(b, y, z)): one list
                    return {
                        "kind": "cases",
                        "cases": cases + otherwise["cases"],
                        "otherwise": otherwise["otherwise"],
                    }
                return {"kind": "cases", "cases": cases, "otherwise": otherwise}
        if node.kind == "binary" and node.op == "*":
            for a, b in ((0, 1), (1, 0)):
                each = self.general_amount(node.args[a])
                if "reads" in each:
                    continue
                counted = node.args[b]
                if counted.kind == "attr" and counted.value == "size":
                    return {"kind": "per", "each": each, "count": None}
                if counted.kind == "agg" and counted.op == "count":
                    subject = self.general_subject(counted)
                    if subject is not None:
                        return {"kind": "per", "each": each, "count": subject["count"]}
                supplement = self.general_supplement(counted)
                if supplement is not None:
                    return {"kind": "supplement", "base": each, **supplement}
        return {"kind": "computed", "reads": self.reads(node)}

    def general_supplement(self, node: Node) -> dict | None:
        """if(condition, 1 + a share, 1): a supplement of that share when the condition holds."""
        if node.kind == "call" and node.op == "if":
            on, off = node.args[1], node.args[2]
            if off.kind == "literal" and off.value == 1:
                factor = self.factor(on, None) if on.kind == "binary" else None
                if factor is not None and factor["kind"] == "supplement":
                    return {"share": factor["share"], "when": self.requirement(node.args[0])}
        return None


def rule_facts(compiled) -> dict:
    """A programme's rules in general (`engine.Compiled`, its parameters' values on the date it
    was compiled for): the requirements, the amounts and the parameters they read. JSON-ready."""
    reader = _RuleReader(compiled)
    criteria = reader.requirement(compiled.criteria.node)
    amount = reader.general_amount(compiled.formula.node)
    return {
        "criteria": criteria,
        "amount": amount,
        "parameters": sorted(reader.parameters.values(), key=lambda p: p["param"]),
    }


def _comparison(op: str) -> str:
    return {
        "<": _("%(subject)s is less than %(threshold)s"),
        "<=": _("%(subject)s is at most %(threshold)s"),
        ">": _("%(subject)s is more than %(threshold)s"),
        ">=": _("%(subject)s is at least %(threshold)s"),
        "==": _("%(subject)s is %(threshold)s"),
        "!=": _("%(subject)s is not %(threshold)s"),
    }[op]


def _general_threshold(threshold: dict, reference: str | None) -> str:
    if threshold["kind"] == "choice":
        return _("%(value)s if %(condition)s, otherwise %(other)s") % {
            "value": _general_threshold(threshold["then"], reference),
            "condition": requirement(threshold["when"]),
            "other": _general_threshold(threshold["otherwise"], reference),
        }
    return _threshold(threshold, reference)


def requirement(fact: dict) -> str:
    """A condition as what it requires, without anyone's values: "your household's rating score
    is at most 65,000". Reads a rule's facts (`rule_facts`) and a decision's (`facts`) alike."""
    kind = fact["kind"]
    if kind == "compare" and fact.get("threshold"):
        subject = fact["subject"]
        return _comparison(fact["op"]) % {
            "subject": _subject(subject),
            "threshold": _general_threshold(fact["threshold"], subject.get("attribute")),
        }
    if kind == "flag":
        entry = attributes.ATTRIBUTES[fact["attribute"]]
        return _("%(label)s: %(value)s") % {
            "label": entry.label,
            "value": quantity("boolean", fact.get("want", True)),
        }
    if kind == "not":
        return _("it is not so that %(condition)s") % {"condition": requirement(fact["item"])}
    if kind in ("all", "any"):
        joiner = _("; and ") if kind == "all" else _("; or ")
        return joiner.join(requirement(item) for item in fact["items"])
    return _("a condition of the programme's rules about %(values)s") % {
        "values": _reads(fact.get("reads", []))
    }


def requirement_sentences(criteria: dict) -> tuple[str, list[str]]:
    """Who qualifies: an opening line and one sentence per requirement."""
    if criteria["kind"] == "all":
        intro, items = _("The programme requires all of these:"), criteria["items"]
    elif criteria["kind"] == "any":
        intro, items = _("The programme requires at least one of these:"), criteria["items"]
    else:
        intro, items = _("The programme requires this:"), [criteria]
    return intro, [capfirst(requirement(item)) + "." for item in items]


def _amount_value(amount: dict) -> str:
    if amount["kind"] == "flat":
        return money(amount["each"]["value"])
    if amount["kind"] == "nothing":
        return _("nothing")
    return ""


def _amount_lines(amount: dict) -> list[str]:
    """One line per amount a formula can give, each with when it is given."""
    kind = amount["kind"]
    if kind == "flat":
        return [_("%(amount)s a month") % {"amount": _amount_value(amount)}]
    if kind == "nothing":
        return [_("nothing")]
    if kind == "cases":
        lines = []
        for case in amount["cases"]:
            for line in _amount_lines(case["amount"]):
                lines.append(
                    _("%(amount)s, if %(condition)s")
                    % {"amount": line, "condition": requirement(case["when"])}
                )
        for line in _amount_lines(amount["otherwise"]):
            lines.append(_("otherwise, %(amount)s") % {"amount": line})
        return lines
    if kind == "per":
        member = amount["count"]
        if member is None:
            each = _("for each member of the household")
        else:
            each = _("for each member of the household whose %(condition)s") % {
                "condition": _comparison(member["op"])
                % {
                    "subject": _noun(member["attribute"]),
                    "threshold": _threshold(member["threshold"], member["attribute"]),
                }
            }
        lines = _amount_lines(amount["each"])
        if len(lines) > 1:  # several amounts: whom they are for, then each with its when
            return [capfirst(each) + ":", *lines]
        return [f"{line} {each}" for line in lines]
    if kind == "supplement":
        return [
            *_amount_lines(amount["base"]),
            _("increased by %(share)s (%(name)s), if %(condition)s")
            % {
                "share": quantity("share", amount["share"]["value"]),
                "name": in_language(amount["share"]["name_ka"], amount["share"]["name_en"]),
                "condition": requirement(amount["when"]),
            },
        ]
    return [_("calculated from: %(values)s") % {"values": _reads(amount.get("reads", []))}]


def amount_rule_sentences(amount: dict) -> list[str]:
    """How much: one sentence per amount the formula can give and when."""
    return [
        capfirst(line) if line.endswith(":") else capfirst(line) + "."
        for line in _amount_lines(amount)
    ]


def unknown_requirements(criteria: dict | None) -> list[str]:
    """What a decision that needs data waits for, as requirements: each condition whose answer
    is unknown, said as what the programme requires ("your household's rating score is at most
    65,000"), for "may apply, if …"."""
    if not criteria:
        return []
    items = criteria["items"] if criteria["kind"] in ("all", "any") else [criteria]
    return [requirement(item) for item in items if item.get("met") is None]
