"""The rule language of programmes: eligibility criteria and benefit formulas as data.

Officers write rules as text; the text is tokenised and parsed by hand into a small tree, checked
against a schema of known attributes and parameters, and compiled to Polars expressions. Python's
own evaluator is never involved, so a rule can do nothing beyond what this grammar allows.

Grammar (lowest precedence first)::

    expr       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?     # no chaining
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | primary
    primary    := NUMBER | TEXT | "true" | "false" | "(" expr ")"
                | "household." NAME | "person." NAME | "member." NAME | "param." NAME
                | "date(" TEXT ")"                                        # date("2026-01-01")
                | "if(" expr "," expr "," expr ")"
                | ("min" | "max") "(" expr ("," expr)* ")" | "abs(" expr ")"
                | "round(" expr ("," WHOLE_NUMBER)? ")"
                | ("count" | "sum" | "any" | "all") "(" "members" ("," expr)? ")"
    NUMBER     := digits ("." digits)?        TEXT := "..." or '...' (one line, no escapes)

Types are number, boolean (shown to officers as "yes/no"), text and date. Arithmetic takes
numbers; "<" and friends take two numbers or two dates; "==" and "!=" take two values of one type;
"and", "or", "not" and the condition of "if" take booleans; both results of "if" share a type.

Levels: a household rule sees `household.*` and `param.*`; person attributes appear only inside
an aggregation over the household's current members, where `member.x` (or `person.x`) is each
member. `count(members)` counts them all; `count(members, c)` those for whom `c` holds. A person
rule (pension, disability package) sees `person.*`, its own `household.*` and `param.*`, and no
aggregations. Aggregations do not nest.

Missing data: a null attribute makes the result null, so the caller can decide "needs data"
(`Evaluator.missing` names the null attributes) and never pays a silent zero. `and`, `or`, `any`
and `all` use three-valued logic: `false and <null>` is false, because no value of the missing
attribute could change the answer; `if` is null only if its condition or the chosen result is.
`count` and `sum` are null if any member's value is null. `x / 0` is null, not infinity. Input
NaN counts as null.

Money: numbers are Float64 in Polars. Rounding a benefit amount half-up to the tetri and turning
it into `Decimal` is done once, by `core.money.tetri` in `engine.decide`; `round(x, n)` in a rule
rounds half away from zero.

Bulk and single evaluation share one path: `evaluate_one` and `explain` build one-row frames and
run the same compiled expressions as `Evaluator` does over the whole registry.
"""

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from math import inf
from typing import Any, NamedTuple

import polars as pl
from django.utils.translation import gettext_lazy as _

from zrunva.core.frames import Grouping

MAX_LENGTH = 2000
MAX_DEPTH = 50


class Type(StrEnum):
    NUMBER = "number"
    BOOLEAN = "boolean"
    TEXT = "text"
    DATE = "date"


class Level(StrEnum):
    HOUSEHOLD = "household"
    PERSON = "person"


DTYPES = {
    Type.NUMBER: pl.Float64,
    Type.BOOLEAN: pl.Boolean,
    Type.TEXT: pl.String,
    Type.DATE: pl.Date,
}
TYPE_NAMES = {
    Type.NUMBER: _("a number"),
    Type.BOOLEAN: _("a yes/no value"),
    Type.TEXT: _("text"),
    Type.DATE: _("a date"),
}
FUNCTIONS = {"if", "min", "max", "abs", "round", "date"}
AGGREGATIONS = {"count", "sum", "any", "all"}
COMPARISONS = {"<", "<=", ">", ">=", "==", "!="}
ARITHMETIC = {"+", "-", "*", "/"}
# Binding powers of the infix operators (Pratt parser); higher binds tighter.
INFIX = {"or": 10, "and": 20, **dict.fromkeys(COMPARISONS, 40), "+": 50, "-": 50, "*": 60, "/": 60}
NOT_POWER, MINUS_POWER = 30, 70
CHARACTER_HINTS = {"=": _('; use "==" to compare'), "&": _('; use "and"'), "|": _('; use "or"')}


class Position(NamedTuple):
    line: int  # 1-based
    column: int  # 1-based
    offset: int  # 0-based, for highlighting in a form


class ExpressionError(ValueError):
    """A rule refused, with a message for the officer and where in the text the fault is."""

    def __init__(self, message, position: Position | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.position = position
        self.definition: str | None = None  # set by check_cycles: which definition is at fault


def _position(text: str, offset: int) -> Position:
    line_start = text.rfind("\n", 0, offset) + 1
    return Position(text.count("\n", 0, offset) + 1, offset - line_start + 1, offset)


def positioned_error(
    text: str, offset: int, message, hint: str | None = None, **values
) -> ExpressionError:
    """An error whose message says where in `text` it is ("column 7", or "line 2, column 3")."""
    pos = _position(text, offset)
    at = _("column %(column)s") % {"column": pos.column}
    if "\n" in text:
        at = _("line %(line)s, column %(column)s") % {"line": pos.line, "column": pos.column}
    message = message % {"at": at, **values}
    if hint:
        message += _('; did you mean "%(hint)s"?') % {"hint": hint}
    return ExpressionError(message, pos)


def _closest(name: str, candidates: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


# -- Schema and tree -------------------------------------------------------------------------


@dataclass(frozen=True)
class Schema:
    """Names and types of what rules may read: household and person attributes, parameters."""

    household: Mapping[str, Type] = field(default_factory=dict)
    person: Mapping[str, Type] = field(default_factory=dict)
    params: Mapping[str, Type] = field(default_factory=dict)
    # Closed sets of text values, by "household.x" / "person.x": a rule comparing such an
    # attribute with any other text is refused, so a typo ("mael") cannot silently match nobody.
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self):
        for part in ("household", "person", "params"):
            # Type(...) refuses a misspelt type when the schema is declared, not at first use.
            object.__setattr__(self, part, {n: Type(t) for n, t in getattr(self, part).items()})


@dataclass(eq=False)
class Node:
    kind: str  # literal, attr, param, unary, binary, call, agg
    op: str = ""  # operator, function, or attribute scope (household, person, member)
    args: tuple["Node", ...] = ()
    value: Any = None  # a literal's value; an attribute's or parameter's name
    start: int = 0
    end: int = 0
    at: int = 0  # where errors about this node point: a name after its dot, a function's name
    type: Type | None = None  # set by the checker (literals: by the parser)
    depth: int = 1


@dataclass(frozen=True)
class Rule:
    """A checked expression, ready to compile."""

    text: str
    node: Node
    level: Level
    schema: Schema
    type: Type

    def source(self, node: Node) -> str:
        return self.text[node.start : node.end]


# -- Tokeniser and parser --------------------------------------------------------------------

_TOKEN = re.compile(
    r"""(?P<space>\s+)
    |(?P<number>\d+(?:\.\d+)?)
    |(?P<text>"[^"\n]*"|'[^'\n]*')
    |(?P<open>["'])
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op><=|>=|==|!=|[-+*/<>(),.])
    |(?P<bad>.)""",
    re.VERBOSE | re.DOTALL,
)


class Token(NamedTuple):
    kind: str  # number, text, open, name, op, bad, end
    text: str
    start: int


def _tokens(text: str) -> list[Token]:
    tokens = [
        Token(m.lastgroup, m.group(), m.start())
        for m in _TOKEN.finditer(text)
        if m.lastgroup != "space"
    ]
    return [*tokens, Token("end", "", len(text))]


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0
        self.depth = 0

    def error(self, offset: int, message, hint=None, **values) -> ExpressionError:
        return positioned_error(self.text, offset, message, hint, **values)

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        if token.kind == "bad":
            hint = CHARACTER_HINTS.get(token.text, "")
            raise self.error(
                token.start,
                _('Unexpected character "%(token)s" at %(at)s') + hint,
                token=token.text,
            )
        if token.kind == "open":
            raise self.error(token.start, _("Text starting at %(at)s has no closing quote"))
        if token.kind == "end":
            if not self.text.strip():
                raise ExpressionError(_("The expression is empty"), _position(self.text, 0))
            raise self.error(token.start, _("The expression ends too early at %(at)s"))
        self.i += 1
        return token

    def expect(self, text: str) -> Token:
        token = self.peek()
        if token.text != text or token.kind not in ("op", "name"):
            if token.kind == "end":
                raise self.error(token.start, _('Expected "%(expected)s" at %(at)s'), expected=text)
            raise self.error(
                token.start,
                _('Expected "%(expected)s" at %(at)s, found "%(token)s"'),
                expected=text,
                token=token.text,
            )
        return self.take()

    def node(self, kind, start, end, args=(), **fields) -> Node:
        depth = 1 + max((a.depth for a in args), default=0)
        if depth > MAX_DEPTH:
            raise self.error(start, _("The expression is nested too deeply at %(at)s"))
        return Node(kind, args=tuple(args), start=start, end=end, depth=depth, **fields)

    def parse(self) -> Node:
        if len(self.text) > MAX_LENGTH:
            raise self.error(
                MAX_LENGTH,
                _("The expression is longer than %(limit)s characters"),
                limit=MAX_LENGTH,
            )
        node = self.expr(0)
        if self.peek().kind != "end":
            token = self.take()  # a bad character raises its own message here
            raise self.error(token.start, _('Unexpected "%(token)s" at %(at)s'), token=token.text)
        return node

    def infix_power(self, token: Token) -> int:
        return INFIX.get(token.text, 0) if token.kind in ("op", "name") else 0

    def expr(self, power: int) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(self.peek().start, _("The expression is nested too deeply at %(at)s"))
        left = self.prefix()
        while (op_power := self.infix_power(self.peek())) > power:
            op = self.take()
            right = self.expr(op_power)
            if op.text in COMPARISONS and self.peek().text in COMPARISONS:
                raise self.error(
                    self.peek().start,
                    _('Comparisons cannot be chained at %(at)s; join them with "and"'),
                )
            left = self.node(
                "binary", left.start, right.end, (left, right), op=op.text, at=op.start
            )
        self.depth -= 1
        return left

    def prefix(self) -> Node:
        token = self.take()
        start, end = token.start, token.start + len(token.text)
        if token.kind == "number":
            return self.node("literal", start, end, value=float(token.text), type=Type.NUMBER)
        if token.kind == "text":
            return self.node("literal", start, end, value=token.text[1:-1], type=Type.TEXT)
        if token.text == "-" and token.kind == "op":
            operand = self.expr(MINUS_POWER)
            return self.node("unary", start, operand.end, (operand,), op="-", at=start)
        if token.text == "(" and token.kind == "op":
            inner = self.expr(0)
            # The span takes the parentheses in, so "(a + b) * c" is its own source text.
            inner.start, inner.end = start, self.expect(")").start + 1
            return inner
        if token.kind != "name":
            raise self.error(start, _('Unexpected "%(token)s" at %(at)s'), token=token.text)
        if token.text in ("true", "false"):
            return self.node("literal", start, end, value=token.text == "true", type=Type.BOOLEAN)
        if token.text == "not":
            operand = self.expr(NOT_POWER)
            return self.node("unary", start, operand.end, (operand,), op="not", at=start)
        if token.text in ("household", "person", "member", "param"):
            self.expect(".")
            name = self.peek()
            if name.kind != "name":
                raise self.error(name.start, _("Expected a name at %(at)s"))
            self.take()
            kind = "param" if token.text == "param" else "attr"
            end = name.start + len(name.text)
            return self.node(kind, start, end, op=token.text, value=name.text, at=name.start)
        if token.text == "members":
            raise self.error(
                start,
                _('"members" at %(at)s can only be the first argument of count, sum, any or all'),
            )
        if self.peek().text == "(":
            return self.call(token)
        raise self.error(start, _('Unknown name "%(name)s" at %(at)s'), name=token.text)

    def call(self, name: Token) -> Node:
        fn, start = name.text, name.start
        if fn not in FUNCTIONS | AGGREGATIONS:
            hint = _closest(fn, FUNCTIONS | AGGREGATIONS)
            raise self.error(start, _('Unknown function "%(name)s" at %(at)s'), hint, name=fn)
        self.expect("(")
        if fn in AGGREGATIONS:
            first = self.peek()
            if first.text != "members" or first.kind != "name":
                raise self.error(
                    first.start,
                    _('The first argument of "%(name)s" at %(at)s must be "members"'),
                    name=fn,
                )
            self.take()
            args = []
            if self.peek().text == ",":
                self.take()
                args.append(self.expr(0))
        else:
            args = []
            if self.peek().text != ")":
                args.append(self.expr(0))
                while self.peek().text == ",":
                    self.take()
                    args.append(self.expr(0))
        close = self.expect(")")
        end = close.start + 1
        if fn == "date":
            return self.date(args, start, end)
        if fn == "count" and not args:
            # count(members) counts everyone: the same tree as count(members, true).
            args = [self.node("literal", end, end, value=True, type=Type.BOOLEAN)]
        kind = "agg" if fn in AGGREGATIONS else "call"
        return self.node(kind, start, end, args, op=fn, at=start)

    def date(self, args: list[Node], start: int, end: int) -> Node:
        if len(args) != 1 or args[0].type != Type.TEXT or args[0].kind != "literal":
            raise self.error(start, _('Write a date as date("YYYY-MM-DD") at %(at)s'))
        try:
            value = date.fromisoformat(args[0].value)
        except ValueError:
            raise self.error(
                args[0].start,
                _('Invalid date "%(value)s" at %(at)s; write it as date("YYYY-MM-DD")'),
                value=args[0].value,
            ) from None
        return self.node("literal", start, end, value=value, type=Type.DATE)


def parse(text: str) -> Node:
    """The syntax tree of `text`, unchecked; `validate` is what a form should call."""
    return _Parser(text).parse()


# -- Type checking ---------------------------------------------------------------------------

ARITY = {
    "if": (3, 3, _("3 arguments")),
    "abs": (1, 1, _("1 argument")),
    "round": (1, 2, _("1 or 2 arguments")),
    "min": (1, MAX_LENGTH, _("at least 1 argument")),
    "max": (1, MAX_LENGTH, _("at least 1 argument")),
}


class _Checker:
    def __init__(self, text: str, schema: Schema, level: Level):
        self.text, self.schema, self.level = text, schema, level

    def error(self, offset, message, hint=None, **values):
        return positioned_error(self.text, offset, message, hint, **values)

    def expect(self, node: Node, expected: Type, role: str, agg: Node | None):
        actual = self.check(node, agg)
        if actual != expected:
            snippet = self.text[node.start : node.end]
            raise self.error(
                node.start,
                _('"%(snippet)s" at %(at)s is %(actual)s, but %(role)s needs %(expected)s'),
                snippet=snippet if len(snippet) <= 40 else snippet[:39] + "…",
                actual=TYPE_NAMES[actual],
                role=role,
                expected=TYPE_NAMES[expected],
            )

    def check(self, node: Node, agg: Node | None = None) -> Type:
        """Set and return the node's type; `agg` is the aggregation the node sits inside."""
        if node.kind != "literal":
            node.type = getattr(self, "check_" + node.kind)(node, agg)
        return node.type

    def check_attr(self, node: Node, agg: Node | None) -> Type:
        scope, name = node.op, node.value
        attrs = self.schema.household if scope == "household" else self.schema.person
        if name not in attrs:
            hint = _closest(name, attrs)
            raise self.error(
                node.at,
                _('Unknown attribute "%(name)s" at %(at)s'),
                hint and f"{scope}.{hint}",
                name=f"{scope}.{name}",
            )
        qualified = f"{scope}.{name}"
        if scope == "member" and agg is None:
            raise self.error(
                node.start,
                _('"%(name)s" at %(at)s can only be used inside count, sum, any or all'),
                name=qualified,
            )
        if scope == "person" and agg is None and self.level == Level.HOUSEHOLD:
            raise self.error(
                node.start,
                _(
                    '"%(name)s" at %(at)s is a person attribute; in a household rule use it inside '
                    "count, sum, any or all"
                ),
                name=qualified,
            )
        return attrs[name]

    def check_param(self, node: Node, agg: Node | None) -> Type:
        if node.value not in self.schema.params:
            hint = _closest(node.value, self.schema.params)
            raise self.error(
                node.at,
                _('Unknown parameter "%(name)s" at %(at)s'),
                hint and f"param.{hint}",
                name=f"param.{node.value}",
            )
        return self.schema.params[node.value]

    def check_unary(self, node: Node, agg: Node | None) -> Type:
        expected = Type.NUMBER if node.op == "-" else Type.BOOLEAN
        self.expect(node.args[0], expected, f'"{node.op}"', agg)
        return expected

    def check_binary(self, node: Node, agg: Node | None) -> Type:
        left, right = node.args
        role = f'"{node.op}"'
        if node.op in ARITHMETIC:
            self.expect(left, Type.NUMBER, role, agg)
            self.expect(right, Type.NUMBER, role, agg)
            return Type.NUMBER
        if node.op in ("and", "or"):
            self.expect(left, Type.BOOLEAN, role, agg)
            self.expect(right, Type.BOOLEAN, role, agg)
            return Type.BOOLEAN
        a, b = self.check(left, agg), self.check(right, agg)
        if a != b:
            raise self.error(
                node.at,
                _('"%(op)s" at %(at)s compares %(left)s with %(right)s; both sides must be alike'),
                op=node.op,
                left=TYPE_NAMES[a],
                right=TYPE_NAMES[b],
            )
        if node.op not in ("==", "!=") and a not in (Type.NUMBER, Type.DATE):
            raise self.error(
                node.at,
                _('"%(op)s" at %(at)s compares numbers or dates, not %(type)s; use == or !='),
                op=node.op,
                type=TYPE_NAMES[a],
            )
        if a == Type.TEXT:
            self.check_text_values(left, right)
            self.check_text_values(right, left)
        return Type.BOOLEAN

    def check_text_values(self, attr: Node, literal: Node):
        if attr.kind != "attr" or literal.kind != "literal":
            return
        scope = "household" if attr.op == "household" else "person"
        allowed = self.schema.values.get(f"{scope}.{attr.value}")
        if allowed and literal.value not in allowed:
            raise self.error(
                literal.start,
                _("%(value)s at %(at)s is not a value of %(name)s, which is one of: %(allowed)s"),
                _closest(literal.value, allowed),
                value=f'"{literal.value}"',
                name=f"{attr.op}.{attr.value}",
                allowed=", ".join(f'"{v}"' for v in allowed),
            )

    def check_call(self, node: Node, agg: Node | None) -> Type:
        fn, args = node.op, node.args
        low, high, expected = ARITY[fn]
        if not low <= len(args) <= high:
            raise self.error(
                node.at,
                _('Function "%(name)s" at %(at)s takes %(expected)s, got %(count)s'),
                name=fn,
                expected=expected,
                count=len(args),
            )
        if fn == "if":
            self.expect(args[0], Type.BOOLEAN, _('the condition of "if"'), agg)
            a, b = self.check(args[1], agg), self.check(args[2], agg)
            if a != b:
                raise self.error(
                    node.at,
                    _('The two results of "if" at %(at)s differ: %(left)s and %(right)s'),
                    left=TYPE_NAMES[a],
                    right=TYPE_NAMES[b],
                )
            return a
        self.expect(args[0], Type.NUMBER, f'"{fn}"', agg)
        if fn == "round" and len(args) == 2:
            digits = args[1]
            if not (
                digits.kind == "literal"
                and digits.type == Type.NUMBER
                and digits.value.is_integer()
                and 0 <= digits.value <= 6
            ):
                raise self.error(
                    digits.start,
                    _('The decimals of "round" at %(at)s must be a whole number from 0 to 6'),
                )
        for arg in args[1:]:
            self.expect(arg, Type.NUMBER, f'"{fn}"', agg)
        return Type.NUMBER

    def check_agg(self, node: Node, agg: Node | None) -> Type:
        fn = node.op
        if self.level != Level.HOUSEHOLD:
            raise self.error(
                node.at, _('"%(name)s" at %(at)s can only be used in a household rule'), name=fn
            )
        if agg is not None:
            raise self.error(
                node.at,
                _('"%(name)s" at %(at)s cannot be used inside another count, sum, any or all'),
                name=fn,
            )
        if len(node.args) != 1:
            raise self.error(
                node.at,
                _('Function "%(name)s" at %(at)s takes %(expected)s, got %(count)s'),
                name=fn,
                expected=_("2 arguments"),
                count=len(node.args) + 1,
            )
        body_type = Type.NUMBER if fn == "sum" else Type.BOOLEAN
        self.expect(node.args[0], body_type, f'"{fn}"', node)
        return Type.BOOLEAN if fn in ("any", "all") else Type.NUMBER


def validate(
    text: str,
    schema: Schema,
    *,
    level: Level | str = Level.HOUSEHOLD,
    result: Type | str | None = None,
) -> Rule:
    """Parse and type-check a rule; criteria want `result="boolean"`, formulas `"number"`.

    Raises ExpressionError naming the first fault and its position.
    """
    level = Level(level)
    node = parse(text)
    actual = _Checker(text, schema, level).check(node)
    if result is not None and actual != Type(result):
        raise ExpressionError(
            _("The expression must give %(expected)s, but it gives %(actual)s")
            % {"expected": TYPE_NAMES[Type(result)], "actual": TYPE_NAMES[actual]},
            _position(text, node.start),
        )
    return Rule(text, node, level, schema, actual)


def walk(node: Node) -> Iterator[Node]:
    yield node
    for arg in node.args:
        yield from walk(arg)


def dependencies(expr: Rule | Node | str) -> set[str]:
    """Names of the parameters an expression reads (text is parsed, not checked)."""
    node = expr.node if isinstance(expr, Rule) else parse(expr) if isinstance(expr, str) else expr
    return {n.value for n in walk(node) if n.kind == "param"}


def check_cycles(definitions: Mapping[str, str]) -> list[str]:
    """Refuse parameters defined in a circle; return the names in an order to evaluate them.

    `definitions` maps a parameter's name to the formula that defines it; references to names
    not defined here are plain parameters. The error names the cycle (`a → b → a`), points at the
    reference in the first definition of the cycle, and sets `error.definition` to its name.
    """
    trees = {}
    for name, text in definitions.items():
        try:
            trees[name] = parse(text)
        except ExpressionError as error:
            error.definition = name
            raise
    refs = {
        name: [n for n in walk(tree) if n.kind == "param" and n.value in definitions]
        for name, tree in trees.items()
    }
    order: list[str] = []
    state: dict[str, str] = {}  # "visiting" on the current path, "done" once ordered
    # Depth-first with an explicit stack, not recursion: a chain of definitions may be longer
    # than Python's recursion limit. Each entry: a name on the path and its next reference.
    for root in definitions:
        if root in state:
            continue
        state[root] = "visiting"
        stack: list[tuple[str, Iterator[Node]]] = [(root, iter(refs[root]))]
        while stack:
            name, pending = stack[-1]
            ref = next(pending, None)
            if ref is None:
                stack.pop()
                state[name] = "done"
                order.append(name)
                continue
            if state.get(ref.value) == "visiting":
                path = [entry[0] for entry in stack]
                cycle = path[path.index(ref.value) :] + [ref.value]
                first = cycle[0]
                at = next(r for r in refs[first] if r.value == cycle[1])
                error = positioned_error(
                    definitions[first],
                    at.at,
                    _("Circular definition: %(cycle)s (at %(at)s of %(name)s)"),
                    cycle=" → ".join(cycle),
                    name=first,
                )
                error.definition = first
                raise error
            if ref.value not in state:
                state[ref.value] = "visiting"
                stack.append((ref.value, iter(refs[ref.value])))
    return order


# -- Bounds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """The values a number rule can take, from `low` to `high` (either may be infinite);
    `whole` if only whole numbers, so a divisor that is not zero is at least 1 in size."""

    low: float
    high: float
    whole: bool = False

    def hull(self, other: "Interval") -> "Interval":
        return Interval(
            min(self.low, other.low), max(self.high, other.high), self.whole and other.whole
        )


def _times(a: float, b: float) -> float:
    return 0.0 if a == 0 or b == 0 else a * b  # 0 × infinity: nothing from nothing


def _product(a: Interval, b: Interval) -> Interval:
    ends = [_times(x, y) for x in (a.low, a.high) for y in (b.low, b.high)]
    return Interval(min(ends), max(ends), a.whole and b.whole)


def _quotient(a: Interval, b: Interval) -> Interval | None:
    if b.low > 0 or b.high < 0:
        return _product(a, Interval(1 / b.high, 1 / b.low))
    if b.whole:
        # x / 0 is null; any other whole divisor is at least 1 in size, so it cannot enlarge x.
        size = max(abs(a.low), abs(a.high))
        return Interval(-size, size)
    return None  # a fraction near zero: no bound


def check_numbers(rule: Rule | Node, text: str, largest: float) -> None:
    """Refuse a number written in the rule that is larger than `largest` in size, naming where."""
    node = rule.node if isinstance(rule, Rule) else rule
    for part in walk(node):
        if part.kind == "literal" and part.type == Type.NUMBER and abs(part.value) > largest:
            raise positioned_error(
                text,
                part.start,
                _("The number at %(at)s is larger than %(limit)s, the largest a rule may write"),
                limit=f"{largest:,.0f}",
            )


def bounds(
    rule: Rule, attributes: Mapping[str, Interval], params: Mapping[str, Interval]
) -> Interval | None:
    """The values a number rule can give, worked out from the bounds of the attributes
    (`attributes`, by "household.x" / "person.x"; a household's member count is that of
    "household.size") and of the parameters it reads, part by part (interval arithmetic: the
    bound may be wider than what the rule can really reach, never narrower). None where no
    bound can be given: a part without bounds given, or a division by a fraction that may come
    near zero."""
    members = attributes.get("household.size", Interval(0, inf, True)).high

    def number(node: Node) -> Interval | None:
        match node.kind:
            case "literal":
                return Interval(node.value, node.value, float(node.value).is_integer())
            case "attr":
                scope = "household" if node.op == "household" else "person"
                return attributes.get(f"{scope}.{node.value}")
            case "param":
                return params.get(node.value)
        args = node.args
        parts = [number(arg) if arg.type == Type.NUMBER else None for arg in args]
        if any(p is None for arg, p in zip(args, parts, strict=True) if arg.type == Type.NUMBER):
            return None
        match node.kind, node.op:
            case "unary", "-":
                (a,) = parts
                return Interval(-a.high, -a.low, a.whole)
            case "binary", "+":
                a, b = parts
                return Interval(a.low + b.low, a.high + b.high, a.whole and b.whole)
            case "binary", "-":
                a, b = parts
                return Interval(a.low - b.high, a.high - b.low, a.whole and b.whole)
            case "binary", "*":
                return _product(*parts)
            case "binary", "/":
                return _quotient(*parts)
            case "call", "if":
                return parts[1].hull(parts[2])
            case "call", "min" | "max":
                pick = min if node.op == "min" else max
                return Interval(
                    pick(p.low for p in parts),
                    pick(p.high for p in parts),
                    all(p.whole for p in parts),
                )
            case "call", "abs":
                (a,) = parts
                if a.low >= 0:
                    return a
                if a.high <= 0:
                    return Interval(-a.high, -a.low, a.whole)
                return Interval(0, max(-a.low, a.high), a.whole)
            case "call", "round":
                digits = int(args[1].value) if len(args) == 2 else 0
                half = 0.5 * 10**-digits
                a = parts[0]
                return Interval(a.low - half, a.high + half, a.whole or digits == 0)
            case "agg", "count":
                return Interval(0, members, True)
            case "agg", "sum":
                (a,) = parts
                return Interval(
                    min(0.0, _times(members, a.low)), max(0.0, _times(members, a.high)), a.whole
                )
        raise AssertionError(node.kind, node.op)

    if rule.type != Type.NUMBER:
        raise ValueError("Only number rules have bounds")
    return number(rule.node)


# -- Compilation to Polars -------------------------------------------------------------------

MEMBERS = "#members"  # members per household in the aggregated frame; null: none at all


def _column(scope: str, name: str) -> str:
    """Working-frame column of an attribute; member and person attributes are the same column."""
    return f"household.{name}" if scope == "household" else f"person.{name}"


def _key(node: Node) -> str:
    """A canonical text of a subtree, naming an aggregation's columns so that equal ones share."""
    if node.kind == "literal":
        return repr(node.value)
    if node.kind == "attr":
        return _column(node.op, node.value)
    if node.kind == "param":
        return f"param.{node.value}"
    return f"{node.op}(" + ",".join(_key(a) for a in node.args) + ")"


def _null(type_: Type) -> pl.Expr:
    return pl.lit(None, dtype=DTYPES[type_])


def _literal(value: Any, type_: Type) -> pl.Expr:
    return pl.lit(value, dtype=DTYPES[type_])


def _param_value(rule_text: str, node: Node, params: Mapping[str, Any]) -> Any:
    value = params.get(node.value)
    if value is None:
        raise positioned_error(
            rule_text,
            node.at,
            _('Parameter "%(name)s" at %(at)s has no value on this date'),
            name=f"param.{node.value}",
        )
    ok = {
        Type.NUMBER: isinstance(value, int | float | Decimal) and not isinstance(value, bool),
        Type.BOOLEAN: isinstance(value, bool),
        Type.TEXT: isinstance(value, str),
        Type.DATE: isinstance(value, date),
    }[node.type]
    if not ok:
        raise positioned_error(
            rule_text,
            node.at,
            _('Parameter "%(name)s" at %(at)s has the value %(value)s, which is not %(expected)s'),
            name=f"param.{node.value}",
            value=repr(value),
            expected=TYPE_NAMES[node.type],
        )
    return float(value) if node.type == Type.NUMBER else value


class _Compiler:
    """Turns checked trees into Polars expressions.

    Household-level expressions read the household frame; an aggregation's body is compiled over
    the person frame into `aggs` (column name → per-member expression), which the evaluator sums
    per household and joins back. `record`, if given, collects every node's expression for
    `explain`, with whether it is evaluated per member.
    """

    def __init__(self, params: Mapping[str, Any], record: list | None = None, prefix: str = ""):
        self.params = params
        self.aggs: dict[str, pl.Expr] = {}
        self.record = record
        self.prefix = prefix  # of the aggregations' column names

    def __call__(self, rule: Rule) -> pl.Expr:
        self.text = rule.text
        return self.expr(rule.node, member=rule.level == Level.PERSON)

    def expr(self, node: Node, member: bool) -> pl.Expr:
        result = getattr(self, "expr_" + node.kind)(node, member)
        if self.record is not None:
            self.record.append((node, result, member))
        return result

    def expr_literal(self, node: Node, member: bool) -> pl.Expr:
        return _literal(node.value, node.type)

    def expr_attr(self, node: Node, member: bool) -> pl.Expr:
        return pl.col(_column(node.op, node.value))

    def expr_param(self, node: Node, member: bool) -> pl.Expr:
        return _literal(_param_value(self.text, node, self.params), node.type)

    def expr_unary(self, node: Node, member: bool) -> pl.Expr:
        operand = self.expr(node.args[0], member)
        return -operand if node.op == "-" else ~operand

    def expr_binary(self, node: Node, member: bool) -> pl.Expr:
        a, b = (self.expr(arg, member) for arg in node.args)
        match node.op:
            case "+":
                return a + b
            case "-":
                return a - b
            case "*":
                return a * b
            case "/":
                return pl.when(b == 0).then(_null(Type.NUMBER)).otherwise(a / b)
            case "and":
                return a & b  # Kleene: false and null is false
            case "or":
                return a | b
            case "<":
                return a < b
            case "<=":
                return a <= b
            case ">":
                return a > b
            case ">=":
                return a >= b
            case "==":
                return a == b
            case "!=":
                return a != b
        raise AssertionError(node.op)

    def expr_call(self, node: Node, member: bool) -> pl.Expr:
        args = [self.expr(arg, member) for arg in node.args]
        match node.op:
            case "if":
                cond, then, otherwise = args
                # Polars reads a null condition as false; an unknown condition must stay unknown.
                return (
                    pl.when(cond.is_null())
                    .then(_null(node.type))
                    .when(cond)
                    .then(then)
                    .otherwise(otherwise)
                )
            case "min" | "max":
                # min_horizontal skips nulls; a missing value must not be skipped silently.
                pick = pl.min_horizontal if node.op == "min" else pl.max_horizontal
                any_null = pl.any_horizontal(*(a.is_null() for a in args))
                return pl.when(any_null).then(_null(Type.NUMBER)).otherwise(pick(*args))
            case "abs":
                return args[0].abs()
            case "round":
                digits = int(node.args[1].value) if len(args) == 2 else 0
                return args[0].round(digits, mode="half_away_from_zero")
        raise AssertionError(node.op)

    def expr_agg(self, node: Node, member: bool) -> pl.Expr:
        body = self.expr(node.args[0], member=True)
        key = self.prefix + _key(node)
        # Per member: the value to add up. Per household: its sum and how many members were null.
        self.aggs[key] = ~body if node.op == "all" else body
        return _aggregate(node.op, key)


def _aggregate(fn: str, key: str) -> pl.Expr:
    """The household value of an aggregation from its summed columns (see `_household_frame`)."""
    total, nulls, none = pl.col(key + "#sum"), pl.col(key + "#nulls"), pl.col(MEMBERS).is_null()
    if fn in ("count", "sum"):
        return (
            pl.when(none)
            .then(0.0)
            .when(nulls > 0)
            .then(_null(Type.NUMBER))
            .otherwise(total.cast(pl.Float64))
        )
    # any: some true → true; else some null → null; else false. all: the same on "false" counts.
    hit = fn == "any"
    return (
        pl.when(none)
        .then(not hit)
        .when(total > 0)
        .then(hit)
        .when(nulls > 0)
        .then(_null(Type.BOOLEAN))
        .otherwise(not hit)
    )


# -- Evaluation ------------------------------------------------------------------------------


def _attributes(rule: Rule) -> Iterator[tuple[str, str, bool]]:
    """(scope, name, per member) of every attribute a rule reads."""

    def walk(node: Node, member: bool):
        if node.kind == "attr":
            yield node.op, node.value, member
        for arg in node.args:
            yield from walk(arg, member or node.kind == "agg")

    return walk(rule.node, rule.level == Level.PERSON)


class Evaluator:
    """Evaluates rules over a whole registry in columns.

    `households`: one row per household, column `id` and household attributes by their schema
    names. `people`: one row per current member, column `household_id` (and `id`, kept in person
    results if present) and person attributes. Columns are cast to the schema's types; only the
    attributes rules read need to be present.
    """

    def __init__(
        self,
        households: pl.DataFrame,
        people: pl.DataFrame,
        schema: Schema,
        grouping: Grouping | None = None,
    ):
        self.households_data, self.people_data, self.schema = households, people, schema
        self._columns: dict[tuple[str, str, bool], pl.Series] = {}
        if grouping is not None:
            self.__dict__["grouping"] = grouping  # known already: the cached property's value

    @classmethod
    def from_records(cls, schema: Schema, household: Mapping, members: Iterable[Mapping]):
        """One household given as data (a dict per record); absent keys read as null."""
        hh_schema = {"id": pl.Int64, **{n: DTYPES[t] for n, t in schema.household.items()}}
        p_schema = {"household_id": pl.Int64, **{n: DTYPES[t] for n, t in schema.person.items()}}
        households = pl.DataFrame([{**household, "id": 0}], schema=hh_schema, strict=False)
        rows = [{**m, "household_id": 0} for m in members]
        return cls(households, pl.DataFrame(rows, schema=p_schema, strict=False), schema)

    def _attribute_column(self, scope: str, name: str, per_member: bool = False) -> pl.Series:
        """An attribute's column cast to its schema type (NaN read as null), once per evaluator
        however many rules read it; a household's, per member if asked."""
        key = (scope, name, per_member)
        if key not in self._columns:
            if per_member:
                column = self.grouping.gather(self._attribute_column("household", name))
            else:
                frame = self.households_data if scope == "household" else self.people_data
                if name not in frame.columns:
                    raise ValueError(f"The {scope} data has no column {name!r}")
                type_ = (self.schema.household if scope == "household" else self.schema.person)[
                    name
                ]
                column = frame[name].cast(DTYPES[type_])
                if type_ == Type.NUMBER:
                    column = column.fill_nan(None)
            self._columns[key] = column.alias(_column(scope, name))
        return self._columns[key]

    def _frames(self, rules: Iterable[Rule]) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The household and person working frames with the columns the rules read; a member's
        household attributes are gathered by row (`grouping`), so rows stay aligned."""
        hh_cols, person_cols, hh_per_member = set(), set(), set()
        for rule in rules:
            for scope, name, member in _attributes(rule):
                if scope == "household":
                    hh_cols.add(name)
                    if member:
                        hh_per_member.add(name)
                else:
                    person_cols.add(name)
        hh_data, p_data = self.households_data, self.people_data
        households = pl.DataFrame(
            [hh_data["id"], *(self._attribute_column("household", n) for n in sorted(hh_cols))]
        )
        keys = [p_data[c] for c in ("household_id", "id") if c in p_data.columns]
        people = pl.DataFrame(
            [
                *keys,
                *(self._attribute_column("person", n) for n in sorted(person_cols)),
                *(
                    self._attribute_column("household", n, per_member=True)
                    for n in sorted(hh_per_member)
                ),
            ]
        )
        return households, people

    @cached_property
    def grouping(self) -> Grouping:
        """Each person's household row, found once for every rule evaluated."""
        return Grouping.of(self.households_data["id"], self.people_data["household_id"])

    def _household_frame(self, rules: Iterable[Rule], aggs: Mapping[str, pl.Expr]) -> pl.DataFrame:
        return self._summed(*self._frames(rules), aggs)

    def _summed(
        self, households: pl.DataFrame, people: pl.DataFrame, aggs: Mapping[str, pl.Expr]
    ) -> pl.DataFrame:
        """The household frame with each aggregation's sum and null count over the members."""
        if not aggs:
            return households
        # with_columns, not select: a literal body (`count(members)`) is one value per member.
        values = people.with_columns(*(e.alias(k) for k, e in aggs.items())).select(list(aggs))
        members = pl.lit(pl.Series(self.grouping.count()))
        summed = [pl.when(members > 0).then(members).alias(MEMBERS)]
        for key in aggs:
            total, nulls = (
                self.grouping.sum(values[key]),
                self.grouping.count(values[key].is_null()),
            )
            summed.append(pl.lit(pl.Series(total)).alias(key + "#sum"))
            summed.append(pl.lit(pl.Series(nulls)).alias(key + "#nulls"))
        return households.with_columns(summed)

    def households(
        self, rules: Mapping[str, Rule], params: Mapping[str, Any], lazy: bool = False
    ) -> pl.DataFrame | pl.LazyFrame:
        """Household rules over all households: column `id` and one column per rule (a plan
        to collect, if `lazy`)."""
        _require_level(rules, Level.HOUSEHOLD)
        compiler = _Compiler(params)
        exprs = [compiler(rule).alias(name) for name, rule in rules.items()]
        frame = self._household_frame(rules.values(), compiler.aggs)
        return (frame.lazy() if lazy else frame).select("id", *exprs)

    def people(
        self, rules: Mapping[str, Rule], params: Mapping[str, Any], lazy: bool = False
    ) -> pl.DataFrame | pl.LazyFrame:
        """Person rules over all people: `household_id` (and `id`) and one column per rule (a
        plan to collect, if `lazy`)."""
        _require_level(rules, Level.PERSON)
        compiler = _Compiler(params)
        exprs = [compiler(rule).alias(name) for name, rule in rules.items()]
        _, people = self._frames(rules.values())
        keys = [c for c in ("household_id", "id") if c in self.people_data.columns]
        return (people.lazy() if lazy else people).select(*keys, *exprs)

    def missing(self, rule: Rule) -> pl.Series:
        """Per row (household, or person for a person rule): the attributes a rule reads that are
        null there, e.g. ["household.rating_score", "person.age"]; a per-member attribute is
        listed if any member lacks it. Null results with an empty list come from `x / 0`."""
        found, aggs = _missing(rule)
        if rule.level == Level.PERSON:
            frame, height = self._frames([rule])[1], self.people_data.height
        else:
            frame, height = self._household_frame([rule], aggs), self.households_data.height
        if found is None:
            return pl.Series("missing", [[]] * height, dtype=pl.List(pl.String))
        return frame.select(found.alias("missing")).to_series()

    def explained(
        self, groups: Sequence["Explainable"]
    ) -> list[dict[str, tuple["Explanation", list]]]:
        """For the frames of one household, each group of rules (`explainable`: a programme's
        two, compiled with its parameters): each rule's tree as `explain` gives it, whose
        root's value is the rule's as `households` or `people` give it, and the attributes it
        lacks as `missing` gives them (a list per member for a person rule). Every part of
        every group is evaluated in one select on the household's frame and one on the
        members'."""
        record: list[tuple[Node, pl.Expr, bool]] = []
        lacking: list[tuple[pl.Expr | None, bool]] = []  # each rule's `_missing`, per member?
        aggs: dict[str, pl.Expr] = {}
        for group in groups:
            if not aggs.keys().isdisjoint(group.aggs):
                raise ValueError("Groups evaluated together need prefixes of their own")
            aggs |= group.aggs
            record.extend(group.record)
            lacking.extend(group.missing)
        households, people = self._frames([r for g in groups for r in g.rules.values()])
        households = self._summed(households, people, aggs)
        selected = {
            member: frame.select(
                **{f"n{i}": e for i, (_n, e, m) in enumerate(record) if m == member},
                **{f"m{i}": e for i, (e, m) in enumerate(lacking) if m == member and e is not None},
            )
            for member, frame in ((False, households), (True, people))
        }
        found = _recorded(record, selected, self.people_data.height)
        height = self.people_data.height
        missing = iter(
            (selected[m][f"m{i}"].to_list() if m else selected[m][f"m{i}"][0].to_list())
            if e is not None
            else ([[]] * height if m else [])
            for i, (e, m) in enumerate(lacking)
        )
        return [
            {name: (_tree(rule, found), next(missing)) for name, rule in g.rules.items()}
            for g in groups
        ]


@dataclass(frozen=True)
class Explainable:
    """A group of rules of one level with its parameters (a programme's two rules), compiled
    for `Evaluator.explained`: every node's expression in the order compiled, each rule's
    `_missing` and the aggregations' per-member expressions. Polars expressions do not change:
    one made per compiled programme serves every answer."""

    rules: Mapping[str, Rule]
    record: tuple[tuple[Node, pl.Expr, bool], ...]
    missing: tuple[tuple[pl.Expr | None, bool], ...]  # each rule's `_missing`, per member?
    aggs: Mapping[str, pl.Expr]


def explainable(rules: Mapping[str, Rule], params: Mapping[str, Any], prefix: str) -> Explainable:
    """`rules` (all of one level) compiled with `params` for `Evaluator.explained`. `prefix`
    names the aggregations' columns: groups evaluated together may give one parameter
    different values, so each needs its own."""
    level = next(iter(rules.values())).level
    _require_level(rules, level)
    record: list[tuple[Node, pl.Expr, bool]] = []
    compiler = _Compiler(params, record, prefix=prefix)
    aggs, missing = compiler.aggs, []
    for rule in rules.values():
        compiler(rule)
        found, lacking = _missing(rule, prefix)
        aggs |= lacking
        missing.append((found, level == Level.PERSON))
    return Explainable(dict(rules), tuple(record), tuple(missing), aggs)


def _missing(rule: Rule, prefix: str = "") -> tuple[pl.Expr | None, dict[str, pl.Expr]]:
    """What `Evaluator.missing` selects, over the working frame of the rule's level (None:
    the rule reads no attribute), and the per-member flags it needs summed per household."""
    checks: list[pl.Expr] = []
    aggs: dict[str, pl.Expr] = {}
    per_person = rule.level == Level.PERSON
    for scope, name in sorted({(s, n) for s, n, _m in _attributes(rule)}):
        column = pl.col(_column(scope, name))
        label = _column(scope, name)
        if scope == "household" or per_person:
            checks.append(pl.when(column.is_null()).then(pl.lit(label)))
        else:
            key = f"{prefix}missing {label}"
            aggs[key] = column.is_null()
            checks.append(pl.when(_aggregate("any", key)).then(pl.lit(label)))
    if not checks:
        return None, aggs
    return pl.concat_list(checks).list.drop_nulls(), aggs


def _require_level(rules: Mapping[str, Rule], level: Level):
    wrong = [name for name, rule in rules.items() if rule.level != level]
    if wrong:
        raise ValueError(f"Not {level} rules: {', '.join(wrong)}")


# -- One household -------------------------------------------------------------------------


def evaluate_one(
    rules: Rule | Mapping[str, Rule],
    household: Mapping,
    members: Iterable[Mapping],
    params: Mapping[str, Any],
) -> Any:
    """Rules for one household given as data, through the same compiled path as bulk runs.

    A household rule gives one value; a person rule a list, one value per member in order. Given
    a mapping of rules (all on one schema), gives a dict of their values, in one pass.
    """
    if isinstance(rules, Rule):
        return evaluate_one({"value": rules}, household, members, params)["value"]
    if not rules:
        return {}
    schema = next(iter(rules.values())).schema
    evaluator = Evaluator.from_records(schema, household, list(members))
    values = {}
    if by_household := {n: r for n, r in rules.items() if r.level == Level.HOUSEHOLD}:
        values |= evaluator.households(by_household, params).drop("id").row(0, named=True)
    if by_person := {n: r for n, r in rules.items() if r.level == Level.PERSON}:
        frame = evaluator.people(by_person, params)
        values |= {name: frame[name].to_list() for name in by_person}
    return {name: values[name] for name in rules}


@dataclass
class Explanation:
    """One sub-expression of a rule with its value: per member (a list) inside an aggregation
    and in person rules, else the household's value."""

    text: str
    kind: str
    value: Any
    per_member: bool
    children: list["Explanation"]


def explain(
    rule: Rule, household: Mapping, members: Iterable[Mapping], params: Mapping[str, Any]
) -> Explanation:
    """Every sub-expression's value for one household, as a tree mirroring the rule."""
    members = list(members)
    evaluator = Evaluator.from_records(rule.schema, household, members)
    record: list[tuple[Node, pl.Expr, bool]] = []
    compiler = _Compiler(params, record)
    compiler(rule)
    households, people = evaluator._frames([rule])
    if compiler.aggs:
        households = evaluator._household_frame([rule], compiler.aggs)
    selected = {}
    for member, frame in ((False, households), (True, people)):
        exprs = {f"n{i}": e for i, (_n, e, m) in enumerate(record) if m == member}
        if exprs:
            selected[member] = frame.select(**exprs)
    return _tree(rule, _recorded(record, selected, len(members)))


def _recorded(
    record: list[tuple[Node, pl.Expr, bool]], selected: Mapping[bool, pl.DataFrame], members: int
) -> dict[int, tuple[Any, bool]]:
    """Each recorded node's value and whether it is per member, by the node's `id`, from the
    household's frame or the members' (`selected`, the record's expressions as `n<index>`)."""
    values = {}
    for i, (node, _e, member) in enumerate(record):
        column = selected[member][f"n{i}"]
        # A literal in a per-member context is broadcast: give it once per member too.
        values[id(node)] = (
            (column.to_list() if len(column) == members else [column[0]] * members)
            if member
            else column[0],
            member,
        )
    return values


def _tree(rule: Rule, values: Mapping[int, tuple[Any, bool]]) -> Explanation:
    def build(node: Node) -> Explanation:
        value, member = values[id(node)]
        children = [build(arg) for arg in node.args]
        return Explanation(rule.source(node), node.kind, value, member, children)

    return build(rule.node)
