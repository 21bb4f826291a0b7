"""The dashboards' tables, map tiles and bars written as HTML in Python: a national page has
some thousands of cells, and Django's template engine (and `format_html`, cell by cell) spent
most of the page's time on them (bench/dashboard.py). The markup is the one
`core/templates/charts/bars.html` writes for bars; every text is escaped (`escape`)."""

from html import escape as _escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from zrunva.analytics.indicators import COUNTRY


def escape(value) -> str:
    """HTML-escaped text of `value` (quotes too: it goes in attributes)."""
    return _escape(str(value), quote=True)


def table_html(table, lines: list[dict]) -> SafeString:
    """A table of `lines` (`views_dashboards._shown`): the first column a row heading,
    figures right-aligned; the total's and the regions' rows in bold."""
    numeric = [' class="numeric"' if c.kind != "text" else "" for c in table.columns]
    labels = [escape(c.label) for c in table.columns]
    head = "".join(
        f'<th scope="col"{numeric[i]}>{labels[i]}</th>' for i in range(len(table.columns))
    )
    rows = []
    for line in lines:
        level = "total" if line["level"] == COUNTRY else escape(line["level"])
        cells = line["cells"]
        parts = [
            f'<tr class="row--{level}"><th scope="row" data-label="{labels[0]}">'
            f"{escape(cells[0][1])}</th>"
        ]
        for i in range(1, len(cells)):
            parts.append(f'<td data-label="{labels[i]}"{numeric[i]}>{escape(cells[i][1])}</td>')
        parts.append("</tr>")
        rows.append("".join(parts))
    return mark_safe(  # noqa: S308 (every text above is escaped)
        f'<div class="table-wrap" role="region" aria-labelledby="table-{escape(table.key)}" '
        f'tabindex="0"><table class="table table--compact"><caption class="visually-hidden">'
        f"{escape(table.title)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def bars_html(bars, labelled_by: str) -> SafeString:
    """`core.charts.bars` as `charts/bars.html` writes them (none: a sentence saying so)."""
    if not bars:
        return mark_safe(f"<p>{escape(_('Nothing to show for these filters.'))}</p>")  # noqa: S308
    items = "".join(
        f'<li><span>{escape(bar.label)}</span><span class="bar-chart__track"><span '
        f'class="bar-chart__bar" style="width: {escape(bar.width)}"></span></span>'
        f'<span class="bar-chart__value">{escape(bar.value)}</span></li>'
        for bar in bars
    )
    return mark_safe(  # noqa: S308 (escaped)
        f'<ul class="bar-chart" aria-labelledby="{escape(labelled_by)}">{items}</ul>'
    )


def tiles_html(tiles: list[dict]) -> SafeString:
    """The tile grid's items: each municipality at its row and column, its shade or state,
    its short name shown and its full name and figure for screen readers."""

    def classes(tile):
        if not tile["inside"]:
            return "tile tile--outside"
        if tile["suppressed"]:
            return "tile tile--suppressed"
        return f"tile tile--{int(tile['shade'])}" if tile["shade"] else "tile"

    items = []
    for t in tiles:
        name, text = escape(t["name"]), escape(t["text"])
        items.append(
            f'<li class="{classes(t)}" style="grid-row: {int(t["row"])}; grid-column: '
            f'{int(t["column"])}" title="{name}: {text}"><span aria-hidden="true">'
            f'{escape(t["short"])}</span><span class="visually-hidden">{name}: {text}</span></li>'
        )
    return mark_safe("".join(items))  # noqa: S308 (escaped)


def figures_html(tiles: list[dict]) -> SafeString:
    """The map's figures as the rows of the table beside it: municipality, figure."""
    return mark_safe(  # noqa: S308 (escaped)
        "".join(
            f'<tr><th scope="row">{escape(t["name"])}</th>'
            f'<td class="numeric">{escape(t["text"])}</td></tr>'
            for t in tiles
        )
    )
