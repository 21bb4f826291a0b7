from django.urls import reverse

from zrunva.core import extensions


def navigation(request):
    """The staff menu: the entries apps register in the `nav` slot that the user may see."""
    user = getattr(request, "user", None)
    if not extensions.signed_in(user):
        return {"nav": []}
    items = []
    for entry in extensions.values("nav"):
        if entry.visible(user):
            url = reverse(entry.url_name)
            items.append({"label": entry.label, "url": url, "active": request.path == url})
    return {"nav": items}
