""" "Show if" conditions, written as XLSForm writes its `relevant` column, so that a form
brought in from ODK or KoBoToolbox keeps its conditions word for word:

    ${age} >= 65 and ${disability} != 'none'
    selected(${needs}, 'transport') or ${lives_alone} = 'yes'
    not(${has_children} = 'no')

A condition names earlier questions by key (`${key}`), compares them with a number or a quoted
text (`=`, `!=`, `<`, `<=`, `>`, `>=`), asks whether a multiple choice includes a value
(`selected(…, '…')`), and joins those with `and`, `or`, `not(…)` and brackets. A question that
was not answered (or was hidden) makes every comparison with it false, as in XLSForm.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<ref>\$\{(?P<key>[A-Za-z_][A-Za-z0-9_]*)\})"
    r"|(?P<number>-?[0-9]+(?:\.[0-9]+)?)"
    r"|(?P<text>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<op><=|>=|!=|=|<|>)"
    r"|(?P<word>and|or|not|selected|true|false)\b"
    r"|(?P<punct>[(),])"
    r")"
)


class ConditionError(ValueError):
    """A condition that cannot be read, with the character position where it went wrong."""

    def __init__(self, message: str, position: int):
        super().__init__(message)
        self.position = position


@dataclass(frozen=True)
class Ref:
    key: str


@dataclass(frozen=True)
class Compare:
    left: Ref
    op: str
    right: object  # Decimal, str or bool


@dataclass(frozen=True)
class Selected:
    ref: Ref
    value: str


@dataclass(frozen=True)
class Not:
    inner: object


@dataclass(frozen=True)
class Both:
    op: str  # "and" or "or"
    left: object
    right: object


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out, at = [], 0
    while text[at:].strip():
        match = _TOKEN.match(text, at)
        if not match:
            raise ConditionError(
                _("Cannot read “%(text)s”.") % {"text": text[at:].strip()[:20]}, at
            )
        kind = next(k for k in ("ref", "number", "text", "op", "word", "punct") if match.group(k))
        value = match.group("key") if kind == "ref" else match.group(kind)
        out.append((kind, value, match.start(kind)))
        at = match.end()
    return out


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self):
        return self.tokens[self.at] if self.at < len(self.tokens) else (None, None, len(self.text))

    def take(self, kind=None, value=None):
        token = self.peek()
        if token[0] is None or (kind and token[0] != kind) or (value and token[1] != value):
            wanted = value or {"ref": "${question}", "text": _("a quoted value")}.get(kind, kind)
            found = _("the end") if token[0] is None else f"“{token[1]}”"
            raise ConditionError(
                _("Expected %(wanted)s, found %(found)s.") % {"wanted": wanted, "found": found},
                token[2],
            )
        self.at += 1
        return token

    def parse(self):
        if not self.tokens:
            raise ConditionError(_("The condition is empty."), 0)
        node = self.either()
        if self.at < len(self.tokens):
            token = self.peek()
            raise ConditionError(_("Unexpected “%(text)s”.") % {"text": token[1]}, token[2])
        return node

    def either(self):
        node = self.both()
        while self.peek()[:2] == ("word", "or"):
            self.take()
            node = Both("or", node, self.both())
        return node

    def both(self):
        node = self.unit()
        while self.peek()[:2] == ("word", "and"):
            self.take()
            node = Both("and", node, self.unit())
        return node

    def unit(self):
        kind, value, _at = self.peek()
        if (kind, value) == ("punct", "("):
            self.take()
            node = self.either()
            self.take("punct", ")")
            return node
        if (kind, value) == ("word", "not"):
            self.take()
            self.take("punct", "(")
            node = self.either()
            self.take("punct", ")")
            return Not(node)
        if (kind, value) == ("word", "selected"):
            self.take()
            self.take("punct", "(")
            ref = Ref(self.take("ref")[1])
            self.take("punct", ",")
            text = _unquote(self.take("text")[1])
            self.take("punct", ")")
            return Selected(ref, text)
        ref = Ref(self.take("ref")[1])
        op = self.take("op")[1]
        kind, value, position = self.peek()
        if kind == "number":
            self.take()
            return Compare(ref, op, Decimal(value))
        if kind == "text":
            self.take()
            return Compare(ref, op, _unquote(value))
        if kind == "word" and value in ("true", "false"):
            self.take()
            return Compare(ref, op, value == "true")
        raise ConditionError(_("Expected a number or a quoted value."), position)


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def parse(text: str):
    """The condition as a tree, or ConditionError with the position of the fault."""
    return _Parser(text).parse()


def references(node) -> list[tuple[str, object]]:
    """Every question the condition reads, with the value it is compared to (None for none)."""
    if isinstance(node, Compare):
        return [(node.left.key, node.right)]
    if isinstance(node, Selected):
        return [(node.ref.key, node.value)]
    if isinstance(node, Not):
        return references(node.inner)
    return references(node.left) + references(node.right)


def _number(value):
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def holds(node, answers: dict) -> bool:
    """Whether the condition holds for the answers given so far (keys to values)."""
    if isinstance(node, Both):
        if node.op == "and":
            return holds(node.left, answers) and holds(node.right, answers)
        return holds(node.left, answers) or holds(node.right, answers)
    if isinstance(node, Not):
        return not holds(node.inner, answers)
    if isinstance(node, Selected):
        value = answers.get(node.ref.key)
        # XLSForm's selected() reads one choice too (and a yes/no as 'yes' or 'no').
        if isinstance(value, bool):
            value = "yes" if value else "no"
        return node.value in value if isinstance(value, list) else value == node.value
    value = answers.get(node.left.key)
    if value is None or value == "" or value == []:
        return False
    right = node.right
    if isinstance(right, Decimal):
        left = _number(value)
        if left is None:
            return False
    elif isinstance(right, bool):
        if not isinstance(value, bool):
            return False
        left = value
    else:
        # Yes/no answers compare with 'yes' and 'no', as XLSForm's select_one yes_no does.
        left = ("yes" if value else "no") if isinstance(value, bool) else str(value)
    if node.op == "=":
        return left == right
    if node.op == "!=":
        return left != right
    if isinstance(left, bool) or isinstance(right, bool):
        return False
    try:
        return {
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
        }[node.op]
    except TypeError:
        return False
