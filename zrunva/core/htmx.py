"""Pages that htmx also loads in part: the same address answers with a fragment to htmx (the
`HX-Request: true` header it sends) and with a whole page otherwise."""

from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def fragment_or_page(request, fragment: str, page: str, context: dict):
    """`fragment` rendered for htmx, `page` otherwise; the same address answers with either, so
    caches must keep them apart (Vary: HX-Request)."""
    response = render(request, fragment if is_htmx(request) else page, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
