"""Extension points: what a higher app adds to a lower app's page, menu or report.

Dependencies between apps go one way (README "Architecture"), so a lower app never imports a
higher one to show its data. Instead the higher app registers a contribution to a named slot
from its `AppConfig.ready()`, and the lower app asks for the slot's contributions. A new app
(payments, services, cases) adds its menu entry, its section on the household and person pages
and its part of the subject-access report without editing the registry, the audit app or core.

Slots in use:
- `nav`: staff menu entries (`NavItem`), shown to users for whom `visible(user)` is true;
- `household_panels`, `person_panels`: sections of the registry's pages (`Panel`), loaded after
  the page from the contributing app's own URL; `enrolment_panels`: of an enrolment's page;
- `subject_access`: sections of the subject-access report (`zrunva.audit.subject_access`);
- `field_groups`: how a kind of record's fields are grouped on forms and pages (a list of
  `(heading, [field name, ...])`), read by the `form_groups` and `detail_groups` tags;
- `breach_scope`: which people an audited record concerns, for the breach-scope report
  (`zrunva.audit.breach`: the registry's `people`, integration's `agencies`, and
  `record:<app_label.model>` for records that name people through others);
- `health_programmes`: under the key `ids`, a function giving the programmes whose rules read
  health data (registered by programmes, read by `accounts.permissions`);
- `readiness`: the checks `/readyz` runs (django-health-check `HealthCheck` classes,
  `zrunva.core.health`), registered by core and by the apps whose work they watch.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse


@dataclass(frozen=True)
class Extension:
    slot: str
    key: str
    value: Any
    order: int


_slots: dict[str, dict[str, Extension]] = defaultdict(dict)


def register(slot: str, key: str, value: Any, *, order: int = 50) -> None:
    """Add `value` to `slot` under `key`. The same key registered again replaces the earlier
    value (an app's `ready()` may run twice in tests)."""
    _slots[slot][key] = Extension(slot=slot, key=key, value=value, order=order)


def registered(slot: str) -> list[Extension]:
    """The slot's contributions, by `order` then key."""
    return sorted(_slots[slot].values(), key=lambda e: (e.order, e.key))


def values(slot: str) -> list[Any]:
    return [e.value for e in registered(slot)]


def value(slot: str, key: str, default: Any = None) -> Any:
    found = _slots[slot].get(key)
    return found.value if found is not None else default


def signed_in(user) -> bool:
    return bool(user and user.is_authenticated)


@dataclass(frozen=True)
class NavItem:
    """A staff menu entry: a label, a URL name without arguments, and who sees it."""

    label: str
    url_name: str
    visible: Callable[[Any], bool] = signed_in


@dataclass(frozen=True)
class Panel:
    """What another app shows on a record's page: its title, the URL name of the app's view
    (taking the record's id), and who may see it. A loaded panel is a section fetched after the
    page (htmx; the view answers a fragment to htmx and a page of its own otherwise, and the
    title is a link to that page until it loads, or without JavaScript); the others are links
    to the app's page about the record."""

    title: str
    url_name: str
    visible: Callable[[Any], bool] = signed_in
    load: bool = True


def panels(slot: str, user, pk: int) -> dict[str, list[dict]]:
    """The panels of `slot` the user may see, for the record `pk`, as {"loaded": [...],
    "links": [...]}, each {"title", "url"} (`templates/includes/panels.html` shows them)."""
    shown = {"loaded": [], "links": []}
    for panel in values(slot):
        if panel.visible(user):
            url = reverse(panel.url_name, args=[pk])
            shown["loaded" if panel.load else "links"].append({"title": panel.title, "url": url})
    return shown
