import datetime
import html
import json

from django import template
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.urls import translate_url
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zrunva.core import extensions, numbers
from zrunva.core.casework import staff_name
from zrunva.core.models import BilingualNameMixin
from zrunva.core.text import capfirst, readable_json
from zrunva.core.trail import action_label as _action_label
from zrunva.core.validators import phone_display

register = template.Library()

EMPTY = "—"
DATE_FORMAT = "%d.%m.%Y"  # the Georgian convention, also unambiguous in English


@register.filter
def phone(value) -> str:
    """A stored (E.164) phone as people read it: 555 12 34 56 for a Georgian number."""
    return phone_display(value or "")


@register.filter
def masked(value, allowed: bool):
    """Show special-category data only to roles that need it."""
    return value if allowed else _("hidden")


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (for pagination links); a
    parameter given as None is left out."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


@register.simple_tag(takes_context=True)
def switch_language_url(context, language: str) -> str:
    """The current page's address in another language (Georgian unprefixed, English under /en/).

    Worked out while rendering, where the active language matches the address being translated.
    """
    request = context.get("request")
    if request is None:
        return "/"
    return translate_url(request.get_full_path(), language)


def _field(model, name: str):
    """A forward field of the model, or None (reverse relations have no name of their own)."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if hasattr(field, "verbose_name") else None


@register.filter
def display_name(user) -> str:
    """Who acted, by name (core.casework.staff_name); empty for no one."""
    return staff_name(user) if user is not None else ""


@register.filter
def field_label(obj, name: str) -> str:
    """A model field's translated name, capitalised: `person|field_label:"birth_date"`."""
    field = _field(obj, name)
    return capfirst(field.verbose_name) if field is not None else name


def _display(field, value) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.strftime(DATE_FORMAT)
    return value


@register.filter
def field_value(obj, name: str):
    """A field's value for reading: choice labels, Yes/No, — for empty."""
    field = _field(obj, name)
    value = getattr(obj, name, None)
    if field is not None and field.choices:
        value = getattr(obj, field.attname, None)
    return _display(field, value)


def _groups(kind: str, names: list[str]):
    # Apps register their records' groups in the `field_groups` slot (display only). Any field
    # not named there is shown last under "Other details", so new fields are never lost.
    spec = extensions.value("field_groups", kind, [])
    named = {n for _label, fields in spec for n in fields}
    groups = [(label, [n for n in fields if n in names]) for label, fields in spec]
    rest = [n for n in names if n not in named]
    if rest:
        groups.append((gettext_lazy("Other details"), rest))
    return [(label, fields) for label, fields in groups if fields]


@register.simple_tag
def form_groups(form, kind: str):
    """A form's visible fields in labelled groups: [(legend, [bound field, ...]), ...]."""
    visible = [bf.name for bf in form.visible_fields()]
    return [(label, [form[n] for n in names]) for label, names in _groups(kind, visible)]


def _visible_in_page_order(form, kind: str = ""):
    visible = form.visible_fields()
    if not kind:
        return visible
    by_name = {bf.name: bf for bf in visible}
    names = [n for _label, fields in _groups(kind, list(by_name)) for n in fields]
    return [by_name[n] for n in names]


@register.simple_tag
def detail_groups(obj, kind: str, exclude: str = ""):
    """An object's editable fields in labelled groups: [(heading, [(label, value), ...]), ...]."""
    skip = set(exclude.split())
    names = [
        f.name
        for f in obj._meta.concrete_fields
        if f.editable and not f.primary_key and f.name not in skip
    ]
    return [
        (label, [(field_label(obj, n), field_value(obj, n)) for n in fields])
        for label, fields in _groups(kind, names)
    ]


def _change_value(field, raw):
    # auditlog stores values as strings ("None", "True", "2025-01-31", a choice's key, a pk).
    if raw is None or raw in ("None", ""):
        return EMPTY
    if isinstance(field, models.BooleanField):
        return {"True": _("Yes"), "False": _("No")}.get(str(raw), raw)
    if isinstance(field, models.DateTimeField):
        return isodatetime(str(raw))
    if isinstance(field, models.DateField):
        parsed = parse_date(str(raw)[:10])
        return parsed.strftime(DATE_FORMAT) if parsed else raw
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(raw, raw))
    if _names_reference(field):
        return _reference_name(field, raw)
    if isinstance(field, models.ForeignKey) and field.related_model is get_user_model():
        return _reference_name(field, raw, display=staff_name)
    if isinstance(raw, dict | list):
        return json.dumps(raw, ensure_ascii=False)
    return raw


def _names_reference(field) -> bool:
    """A foreign key to reference data (a municipality, a settlement, an office): stored as its
    id, which means nothing to a reader, and named in both languages, so shown by its name."""
    return isinstance(field, models.ForeignKey) and issubclass(
        field.related_model, BilingualNameMixin
    )


def _reference_name(field, raw, display=str) -> str:
    try:
        pk = field.target_field.to_python(raw)
    except ValidationError:
        return raw
    found = field.related_model._default_manager.filter(pk=pk).first()
    return display(found) if found is not None else raw


def _is_noise(model, name: str) -> bool:
    """Reverse relations, the primary key and automatic timestamps, which auditlog also records."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    if not hasattr(field, "verbose_name"):
        return True
    return bool(
        field.primary_key
        or getattr(field, "auto_now", False)
        or getattr(field, "auto_now_add", False)
    )


def _change_rows(model, changes) -> list[tuple]:
    if isinstance(changes, str):  # auditlog stored text before its JSON field
        try:
            changes = json.loads(changes)
        except ValueError:
            return [("", EMPTY, changes)]
    if not isinstance(changes, dict):
        return [("", EMPTY, _change_value(None, changes))]
    rows = []
    for name, values in changes.items():
        field = _field(model, name) if model is not None else None
        if model is not None and _is_noise(model, name):
            continue
        label = capfirst(field.verbose_name) if field is not None else name
        if isinstance(values, list | tuple) and len(values) == 2:
            old, new = (_change_value(field, v) for v in values)
            if old != new:
                rows.append((label, old, new))
        else:
            rows.append((label, EMPTY, _change_value(field, values)))
    return rows


@register.simple_tag
def history_changes(entry):
    """An audit entry's visible changes as [(label, old, new), ...], labelled in the UI language."""
    changes = getattr(entry, "visible_changes", None)
    if changes is None:
        changes = entry.changes or {}
    model = entry.content_type.model_class() if entry.content_type_id else None
    return _change_rows(model, changes)


@register.simple_tag
def record_changes(record: str, changes):
    """Changes in a subject access report's log row; `record` is "app.model#pk"."""
    label = str(record or "").partition("#")[0]
    return _change_rows(_model(label) if label else None, changes or {})


def _model(label: str):
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


@register.filter
def model_field_label(name: str, model_label: str) -> str:
    """The translated name of a model's field, for dict keys: `key|model_field_label:"registry.person"`."""
    model = _model(model_label)
    field = _field(model, name) if model is not None else None
    return capfirst(field.verbose_name if field is not None else name.replace("_", " "))


@register.simple_tag
def item_field_label(item: dict, name: str) -> str:
    """A report item's field by the label the item gives it (values it adds to the record's
    own), else by its model's name for the field."""
    labels = item.get("labels") or {}
    return labels.get(name) or model_field_label(name, item.get("record", ""))


@register.simple_tag
def report_value(model_label: str, name: str, value):
    """A stored value (as text) for reading: choice labels, Yes/No, — for empty."""
    model = _model(model_label)
    field = _field(model, name) if model is not None else None
    return _change_value(field, value)


@register.filter
def isodatetime(value: str) -> str:
    """An ISO 8601 timestamp in local time, as dd.mm.yyyy hh:mm:ss."""
    parsed = parse_datetime(value) if isinstance(value, str) else value
    if parsed is None:
        return value
    if timezone.is_aware(parsed):
        parsed = timezone.localtime(parsed)
    return parsed.strftime(DATE_FORMAT + " %H:%M:%S")


@register.filter
def compact_json(value) -> str:
    """A dict or list on one line, Georgian left readable."""
    if value in (None, "", {}, []):
        return ""
    if isinstance(value, str):
        return value
    return readable_json(value, indent=None)


@register.filter
def pretty_json(value) -> str:
    """A dict or list indented over lines, for a <pre>; Georgian left readable."""
    if value in (None, "", {}, []):
        return ""
    if isinstance(value, str):
        return value
    return readable_json(value)


@register.simple_tag
def form_errors(*forms, kind="", kind2=""):
    """Every error of the given forms as [(anchor, message), ...] for the error summary, in the
    order the fields appear on the page (`kind`, `kind2`: the grouping each form is shown with).

    Field errors link to the field; errors about the whole form link to its first field.
    """
    items = []
    kinds = [kind, kind2]
    for index, form in enumerate(forms):
        if not getattr(form, "errors", None):  # also skips an optional form left out
            continue
        group = kinds[index] if index < len(kinds) and isinstance(kinds[index], str) else ""
        visible = _visible_in_page_order(form, group)
        first = f"#{visible[0].auto_id}" if visible and visible[0].auto_id else ""
        for message in form.non_field_errors():
            items.append((first, message))
        for bound in visible:
            for message in bound.errors:
                # Django's messages are generic ("This field is required."): name the field.
                items.append((f"#{bound.auto_id}", f"{bound.label}: {message}"))
        for bound in form.hidden_fields():
            for message in bound.errors:
                items.append((first, f"{bound.label}: {message}"))
    return items


@register.filter
def total_minutes(value) -> int:
    """A timedelta in whole minutes, rounded up (for "try again in N minutes")."""
    try:
        seconds = value.total_seconds()
    except AttributeError:
        return 0
    return max(1, -(-int(seconds) // 60))


@register.filter(name="capfirst")
def capfirst_filter(value):
    """Django's capfirst turns a Georgian first letter into Mtavruli; this one does not."""
    return capfirst(value)


@register.filter
def action_label(entry) -> str:
    return _action_label(entry.action)


@register.filter
def money(value) -> str:
    """An amount in GEL as the language writes it: 1 234,50 ₾ / GEL 1,234.50."""
    return numbers.money(value)


_NUMERIC = mark_safe(' class="numeric"')  # noqa: S308 (a constant)


def _escaped(value) -> str:
    """`conditional_escape` without Django's lazy-text wrapper around each call, which was a
    fifth of the indicators page (bench/README.md, `cases.py`): the same text."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


@register.simple_tag
def cells(line) -> str:
    """A table row's cells, each (label, numeric, value), as `<td>`s labelled for narrow
    screens: one tag a row where a loop of nodes per cell took most of a page of thousands."""
    return mark_safe(  # noqa: S308 (each label and value escaped)
        "".join(
            f'<td data-label="{_escaped(label)}"{_NUMERIC if numeric else ""}>'
            f"{_escaped(value)}</td>"
            for label, numeric, value in line
        )
    )


@register.filter
def count(value) -> str:
    """A whole number, grouped: 1 234 / 1,234."""
    return numbers.count(value)


@register.filter
def figure(value) -> str:
    """A stored decimal as people write it: 60, 30 000 / 30,000, 0,25 / 0.25."""
    return numbers.figure(value)


@register.filter
def lookup(mapping, key):
    """`mapping[key]`, or the key itself when the mapping lacks it (labels of field names)."""
    return mapping.get(key, key) if hasattr(mapping, "get") else key
