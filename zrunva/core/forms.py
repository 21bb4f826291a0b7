from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError next to the fields it names (or above the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def formset_errors(formset, label) -> list[tuple[str, str]]:
    """A formset's errors for the error summary, as (anchor, message) pairs, each naming its
    form: `label` is a text with %(n)d and %(error)s, e.g. "Member %(n)d: %(error)s"."""
    from zrunva.core.templatetags.zrunva import form_errors

    items = []
    for index, form in enumerate(formset.forms, start=1):
        for href, message in form_errors(form):
            items.append((href, label % {"n": index, "error": message}))
    return items + [("", message) for message in formset.non_form_errors()]


def form_step(request, form: forms.BaseForm, action, success) -> bool:
    """One workflow step from a posted form: if the form is valid, `action(cleaned_data)` calls
    the service; a ValidationError it raises is shown next to the fields, and success adds the
    `success` message (a text, or a function of the action's result). True when it was done."""
    if not form.is_valid():
        return False
    try:
        result = action(form.cleaned_data)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False
    messages.success(request, success(result) if callable(success) else success)
    return True
