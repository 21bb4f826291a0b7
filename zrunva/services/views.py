"""The catalogue's staff pages: providers and services as reviewed records (`core.records`)."""

from django.utils.translation import gettext_lazy as _

from zrunva.accounts import permissions
from zrunva.accounts.choices import Role
from zrunva.core import hours
from zrunva.core.records import Column, Records
from zrunva.services import selectors
from zrunva.services.filters import ProviderFilter, ServiceFilter
from zrunva.services.forms import ProviderForm, ServiceForm
from zrunva.services.models import Provider, Service


def _provider_editable(user, provider) -> bool:
    # A new provider (with its organisation and first user) is an administrator's to create.
    if provider is None or provider.pk is None:
        return user.role == Role.ADMIN and permissions.has_perm(user, permissions.SERVICES_EDIT)
    return permissions.edits_provider(user, provider)


def _service_editable(user, service) -> bool:
    if service is None:
        return selectors.editable_providers(actor=user).exists()
    return permissions.edits_provider(user, service.provider)


def _service_lists(service) -> list[tuple]:
    """The service's list fields as people read them."""
    return [
        (_("Opening hours"), "; ".join(hours.readable(service.opening_hours)) or "—"),
        (_("Languages"), ", ".join(service.language_names) or "—"),
    ]


def _service_approvable(user, service) -> bool:
    return service.provider_id is not None and permissions.approves_provider(user, service.provider)


providers = Records(
    name="provider",
    namespace="services",
    model=Provider,
    title=_("Service providers"),
    add_label=_("Add a provider"),
    selector=selectors.provider_list,
    filterset=ProviderFilter,
    columns=[
        Column(_("Name"), lambda p: p.name, link=True),
        Column(_("Kind"), lambda p: p.get_kind_display()),
        Column(_("Identification code"), lambda p: p.identification_code),
        Column(_("Municipality"), lambda p: p.municipality.name),
    ],
    fields=ProviderForm.Meta.fields,
    form=ProviderForm,
    can_view=permissions.allows(permissions.SERVICES_VIEW),
    can_edit=_provider_editable,
    can_approve=permissions.approves_provider,
    form_kwargs=lambda user: {"actor": user},
)

services = Records(
    name="service",
    namespace="services",
    model=Service,
    title=_("Services"),
    add_label=_("Add a service"),
    selector=selectors.service_list,
    filterset=ServiceFilter,
    columns=[
        Column(_("Service"), lambda s: s.name, link=True),
        Column(_("Type"), lambda s: s.service_type.name),
        Column(_("Provider"), lambda s: s.provider.name),
        Column(_("Municipality"), lambda s: s.municipality.name),
        Column(
            _("Places free"),
            lambda s: None if s.capacity is None else s.capacity - s.admitted,
            numeric=True,
        ),
    ],
    # The form's fields; the two lists among them are read by `_service_lists`.
    fields=[f for f in ServiceForm.Meta.fields if f not in ("opening_hours", "languages")],
    more_rows=_service_lists,
    form=ServiceForm,
    can_view=permissions.allows(permissions.SERVICES_VIEW),
    can_edit=_service_editable,
    can_approve=_service_approvable,
    form_kwargs=lambda user: {"actor": user},
)
