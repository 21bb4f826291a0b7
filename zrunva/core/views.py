import hmac
import ipaddress
import logging
import os

import prometheus_client
from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.cache import never_cache
from prometheus_client import multiprocess

from zrunva.core.metrics import domain_registry

logger = logging.getLogger(__name__)


def metrics_allowed(request) -> bool:
    """Whether `request` may read `/metrics`: it carries the bearer token `METRICS_TOKEN`, or
    it comes straight (not through the reverse proxy) from an address in
    `METRICS_ALLOWED_IPS` (addresses or networks).

    A request that came through the proxy (it sets X-Forwarded-For) is judged by its token only:
    behind a proxy on the same host every visitor's address is the proxy's, often loopback."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").encode(), token.encode())
    if "X-Forwarded-For" in request.headers:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in metrics_networks())


def metrics_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(entry, strict=False) for entry in settings.METRICS_ALLOWED_IPS]


@never_cache
def metrics(request):
    """Prometheus' page: this process's request metrics (django-prometheus; every gunicorn
    worker's with PROMETHEUS_MULTIPROC_DIR) and the domain's gauges (`zrunva.core.metrics`).
    Anyone else gets the site's ordinary 404, as for a page that does not exist."""
    if not metrics_allowed(request):
        logger.warning("metrics: a request without the token from an address not allowed")
        raise Http404
    # Checked after the access rule: a 405 would tell a stranger the page exists.
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        process_registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(process_registry)
    else:
        process_registry = prometheus_client.REGISTRY
    body = prometheus_client.generate_latest(process_registry) + prometheus_client.generate_latest(
        domain_registry
    )
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
