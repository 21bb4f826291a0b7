"""Production: the base defaults already are production's; this refuses unsafe overrides and
turns on what the demo leaves off (the second factor for national staff).

`manage.py` uses this module unless DJANGO_DEBUG is on; wsgi.py and asgi.py always do.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEBUG, METRICS_TOKEN, SECRET_KEY, env

# National staff and administrators give a second factor after their password (accounts).
MFA_REQUIRED = env.bool("MFA_REQUIRED", default=True)
# Connections kept for a minute: each request and worker poll spared the connection and the
# planner's cold caches (config/settings/base.py).
for _database in DATABASES.values():  # noqa: F405
    _database["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)

if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in production.")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters in production.")
# /metrics' bearer token opens the queue figures to anyone holding it (README "Metrics and logs").
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 32 random characters, or empty.")
