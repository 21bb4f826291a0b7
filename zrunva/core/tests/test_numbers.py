"""One number format per language (zrunva.core.numbers) and bars from zero (zrunva.core.charts)."""

from decimal import Decimal

from django.template import Context, Template
from django.utils import translation
from django.utils.formats import number_format

from zrunva.core import charts, numbers

NBSP = "\xa0"


def test_money_is_written_as_each_language_writes_it():
    with translation.override("ka"):
        assert numbers.money(Decimal("1234.5")) == f"1{NBSP}234,50{NBSP}₾"
        assert numbers.money(Decimal("1234.5"), currency=False) == f"1{NBSP}234,50"
        assert numbers.money(60) == f"60,00{NBSP}₾"
    with translation.override("en"):
        assert numbers.money(Decimal("1234.5")) == f"GEL{NBSP}1,234.50"
        assert numbers.money(Decimal("1234.5"), currency=False) == "1,234.50"
        assert numbers.money("1005000.00") == f"GEL{NBSP}1,005,000.00"  # a summary's text


def test_money_rounds_as_the_system_rounds_and_leaves_nothing_blank():
    with translation.override("en"):
        assert numbers.money(1.005) == f"GEL{NBSP}1.01"  # half up, as core.money.gel
        assert numbers.money(Decimal("2.675")) == f"GEL{NBSP}2.68"
        assert numbers.money(None) == "" and numbers.money("") == ""


def test_counts_and_figures_are_grouped_per_language():
    with translation.override("ka"):
        assert numbers.count(1234567) == f"1{NBSP}234{NBSP}567"
        assert numbers.figure(Decimal("0.2500")) == "0,25"
        assert numbers.figure(Decimal("30000.0000")) == f"30{NBSP}000"
    with translation.override("en"):
        assert numbers.count(1234567) == "1,234,567"
        assert numbers.figure(Decimal("0.2500")) == "0.25"
        assert numbers.figure(60) == "60"
        assert numbers.count(None) == "" and numbers.figure("") == ""


def test_counts_under_a_thousand_read_as_babel_writes_them():
    from babel.numbers import format_decimal

    for language in ("ka", "en"):
        with translation.override(language):
            for n in (*range(0, 1001), -1, -999, 999.0, "42", 1000, 12345):
                assert numbers.count(n) == format_decimal(int(n), locale=language), (language, n)


def test_djangos_own_numbers_agree_with_babels_in_georgian():
    # A decimal printed straight into a template, or through floatformat, must read as the
    # money and count filters write: config/formats/ka sets the separators.
    with translation.override("ka"):
        assert number_format(Decimal("1234.5"), 2, force_grouping=True) == numbers.money(
            Decimal("1234.5"), currency=False
        )
        rendered = Template("{{ x|floatformat:1 }}").render(Context({"x": 2.5}))
        assert rendered == "2,5"


def test_the_filters_write_through_the_same_functions():
    template = Template("{% load zrunva %}{{ a|money }} · {{ n|count }} · {{ f|figure }}")
    context = Context({"a": Decimal("495"), "n": 12000, "f": Decimal("0.5000")})
    with translation.override("ka"):
        assert template.render(context) == f"495,00{NBSP}₾ · 12{NBSP}000 · 0,5"
    with translation.override("en"):
        assert template.render(context) == f"GEL{NBSP}495.00 · 12,000 · 0.5"


def test_bars_start_at_zero_and_the_longest_fills_the_width():
    with translation.override("ka"):  # a CSS width is never written with a decimal comma
        got = charts.bars([("a", 200, "200"), ("b", 50, "50"), ("c", 1, "1"), ("d", 0, "0")])
    assert [b.width for b in got] == ["100.0%", "25.0%", "0.5%", "0.0%"]
    assert [b.value for b in got] == ["200", "50", "1", "0"]
    # Nothing drawn for a negative or missing value, and no division by zero when all are 0.
    assert [b.width for b in charts.bars([("x", -5, "-5"), ("y", None, "—")])] == [
        "0.0%",
        "0.0%",
    ]


def test_a_bar_holds_no_text_so_a_short_bar_is_not_stretched():
    html = Template('{% include "charts/bars.html" with bars=bars labelled_by="h" %}').render(
        Context({"bars": charts.bars([("a", 200, "GEL 200.00"), ("b", 2, "GEL 2.00")])})
    )
    assert 'style="width: 1.0%"></span>' in html
    assert 'class="bar-chart__value">GEL 2.00<' in html


def test_a_rows_cells_are_labelled_escaped_and_numbers_right_aligned():
    from django.utils.html import escape
    from django.utils.safestring import mark_safe

    line = [
        ("Office", False, "<Tbilisi & co>"),
        ("Opened", True, "1,234"),
        ("\"Quoted\" 'label'", False, mark_safe("<b>kept</b>")),  # noqa: S308 (a constant)
        ("Nothing", False, None),
    ]
    html = Template("{% load zrunva %}<tr>{% cells line %}</tr>").render(Context({"line": line}))
    assert html == (
        '<tr><td data-label="Office">&lt;Tbilisi &amp; co&gt;</td>'
        '<td data-label="Opened" class="numeric">1,234</td>'
        '<td data-label="&quot;Quoted&quot; &#x27;label&#x27;"><b>kept</b></td>'
        '<td data-label="Nothing">None</td></tr>'
    )
    # As Django escapes: the same text.
    assert escape("\"Quoted\" 'label' <&>") == "&quot;Quoted&quot; &#x27;label&#x27; &lt;&amp;&gt;"
