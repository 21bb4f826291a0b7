"""Settings read from the environment; the defaults are safe for production.

Development turns things on explicitly (DJANGO_DEBUG=1, set by `make demo`).
"""

import ipaddress
from decimal import Decimal
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from zrunva.core.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# A secret key is required unless in debug mode; there is no default that could reach production.
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "auditlog",
    "ninja",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "health_check",
    "zrunva.core",
    "zrunva.geo",
    "zrunva.accounts",
    "zrunva.audit",
    "zrunva.notifications",
    "zrunva.registry",
    "zrunva.questionnaires",
    "zrunva.assessment",
    "zrunva.programmes",
    "zrunva.applications",
    "zrunva.grievances",
    "zrunva.payments",
    "zrunva.services",
    "zrunva.cases",
    "zrunva.integration",
    "zrunva.portal",
    "zrunva.analytics",
    "zrunva.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "zrunva.core.middleware.ApiLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "zrunva.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "zrunva.audit.middleware.DenialAuditMiddleware",
    "axes.middleware.AxesMiddleware",
]
# The PostgreSQL role the application connects as, if not the tables' owner: the audit app's
# migration and `manage.py db_app_role_grant` give it the data but not the audit trail's history.
DB_APP_ROLE = env.str("DB_APP_ROLE", default="")

# The audit trail and the eligibility decisions on PostgreSQL: one partition per month
# (zrunva/core/partitions.py), created this many months ahead by `manage.py partitions`
# (monthly cron). Decisions of a month without its partition are kept in the default one.
AUDIT_PARTITIONS_AHEAD = env.int("AUDIT_PARTITIONS_AHEAD", default=3)
DECISION_PARTITIONS_AHEAD = env.int("DECISION_PARTITIONS_AHEAD", default=3)
# Calendar years before this one whose decisions keep a partition per month; older years are
# merged into one partition each by `manage.py partitions` (docs/partitioning.md).
DECISION_PARTITIONS_MONTHLY_YEARS = env.int("DECISION_PARTITIONS_MONTHLY_YEARS", default=1)
# Months older than this many years are exported to AUDIT_ARCHIVE_DIR (cold storage: mount it
# there) and dropped by `manage.py audit_retention`. Law №3144 on Personal Data Protection
# requires every action on personal data to be logged but names no period for keeping the log:
# 10 years is illustrative, for the data protection officer to set (docs/dpia.md, section 5).
AUDIT_RETENTION_YEARS = env.int("AUDIT_RETENTION_YEARS", default=10)
AUDIT_ARCHIVE_DIR = env.path("AUDIT_ARCHIVE_DIR", default=VAR_DIR / "audit-archive")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "zrunva" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zrunva.core.context_processors.navigation",
                "zrunva.accounts.context_processors.grants",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'zrunva.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the task worker share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Read replica (issue 19, item 5): with DATABASE_REPLICA_URL, dashboards, open data and their
# downloads read from the replica (zrunva/core/db.py says when); everything else, and every
# write, uses the primary. The dashboards tolerate the replica's lag of some seconds.
DATABASE_REPLICA = ""
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASE_REPLICA = "replica"
DATABASE_ROUTERS = ["zrunva.core.db.ReplicaRouter"]
# Seconds a connection serves the next requests or tasks before it is closed (0: one connection
# per request or worker poll, Django's default), a broken one replaced first. A new connection's
# first read of the partitioned decisions plans with cold caches, 11 ms against 1.5 ms
# (bench/README.md, `decisions.py`): production keeps them a minute (config/settings/production.py).
CONN_MAX_AGE = env.int("DATABASE_CONN_MAX_AGE", default=0)
for _database in DATABASES.values():
    _database["CONN_MAX_AGE"] = CONN_MAX_AGE
    _database["CONN_HEALTH_CHECKS"] = True
    # No JIT compilation on PostgreSQL: the application's queries are short, and on the
    # partitioned audit trail its cost estimate made PostgreSQL compile 498 functions for the
    # subject-access report at 50 million rows, 9.3 s against 31 ms without (bench/README.md,
    # `audit.py`). The bulk reads (ADBC, COPY) use connections of their own.
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _options = _database.setdefault("OPTIONS", {})
        _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "zrunva_cache",
        # Throttle counters must not be culled at Django's default of 300 entries.
        "OPTIONS": {"MAX_ENTRIES": env.int("CACHE_MAX_ENTRIES", default=1_000_000)},
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # A common word or place with digits or a year added ("georgia2026") is guessed early.
    {"NAME": "zrunva.accounts.validators.WordWithDigitsValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout after repeated failures (django-axes): AXES_FAILURE_LIMIT per user name and address
# pair, and AXES_ACCOUNT_FAILURE_LIMIT per user name from any number of addresses (a guesser
# spreading attempts over many addresses), both within the cool-off (accounts.lockout).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_ACCOUNT_FAILURE_LIMIT = env.int("AXES_ACCOUNT_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "zrunva.accounts.lockout.AccountLockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# The client's address as the throttles read it: behind the TLS proxy, the address the proxy
# writes into X-Forwarded-For, not the proxy's own, which every request would share.
AXES_CLIENT_IP_CALLABLE = "zrunva.core.throttle.client_address"

# Two-factor sign-in (TOTP, django-otp). With MFA_REQUIRED, staff who see the whole country
# (administrators, the DPO, national SSA staff: accounts.permissions.second_factor_required)
# must enrol a device and give a code after their password. Off here for `make demo`, on in
# the production settings; anyone may enrol a device either way.
MFA_REQUIRED = env.bool("MFA_REQUIRED", default=False)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Zrunva")
# The admin never shows a device's secret key.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# API bearer tokens expire this many days after they are issued.
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=365)

LANGUAGE_CODE = "ka"
LANGUAGES = [("ka", _("Georgian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tbilisi"
USE_I18N = True
USE_TZ = True
# A website typed without its scheme is taken as https (Django 6.0's default).
FORMS_URLFIELD_ASSUME_HTTPS = True
# Georgian number separators as CLDR writes them (config/formats/ka; zrunva.core.numbers).
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "zrunva" / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
# Applicants' documents: outside the web root, served only through a staff view.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=VAR_DIR / "private")
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=5 * 1024 * 1024)
# Other registries' files sent through the web; larger ones go through `manage.py import_file`.
IMPORT_MAX_UPLOAD_MB = env.int("IMPORT_MAX_UPLOAD_MB", default=100)
DOCUMENTS_PER_APPLICATION = env.int("DOCUMENTS_PER_APPLICATION", default=5)
# Uploads over this stay out of memory (Django spools them to a temporary file).
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Cookies and HTTPS: secure unless running the local demo.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# Ask browsers' preload lists to use HTTPS from the first visit (needs the year and subdomains).
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
X_FRAME_OPTIONS = "DENY"
# Load balancers and container engines probe the health endpoints over plain HTTP, directly.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_STORE_JSON_CHANGES = True
AUDITLOG_DISABLE_REMOTE_ADDR = False

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# Logs (README "Metrics and logs"): one JSON object per line in production, plain text for
# `make demo`; every line carries the request's id (zrunva.core.logs).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = logging_config(LOG_FORMAT, env.str("LOG_LEVEL", default="INFO"))
# Prometheus' /metrics (zrunva.core.views.metrics): for the addresses or networks listed, when
# they connect directly rather than through the reverse proxy, or with this bearer token.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
try:
    [ipaddress.ip_network(network, strict=False) for network in METRICS_ALLOWED_IPS]
except ValueError as error:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {error}") from None
# django-axes names the client in its log lines by user name and address by default: a name
# typed at sign-in may be anyone's e-mail or personal number (its attempts table keeps them).
AXES_CLIENT_STR_CALLABLE = "zrunva.core.logs.axes_client"
# Outermost: request metrics (django-prometheus) time everything, and the request id is set
# before any other middleware logs.
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "zrunva.core.logs.RequestIdMiddleware",
    *MIDDLEWARE,
    "zrunva.core.metrics.PrometheusAfterMiddleware",
]

REGISTRY_PAGE_SIZE = 25

# Which sender serves each channel of notifications (zrunva.notifications.senders). SMS needs
# a gateway's sender; until one is configured, messages are written to the log.
NOTIFICATION_SENDERS = {
    "sms": env.str("SMS_SENDER", default="zrunva.notifications.senders.ConsoleSender"),
    "email": env.str(
        "EMAIL_SENDER",
        default="zrunva.notifications.senders.ConsoleSender"
        if DEBUG
        else "zrunva.notifications.senders.SmtpSender",
    ),
}
# Public forms are throttled instead of a captcha: at most N requests per window, per address
# and per personal number, counted in the shared database cache so every server process agrees.
# "name": (requests, seconds). A load test from one address raises PORTAL_THROTTLE_ADDRESS.
# "status_number" counts only failed lookups of a number (a wrong personal number): a right
# pair is never refused by it, so nobody can lock an applicant out by guessing at their number.
PORTAL_THROTTLE = {
    "apply_address": (env.int("PORTAL_THROTTLE_ADDRESS", default=20), 3600),
    # Per personal number with the contact details given (core.throttle.person_key).
    "apply_person": (env.int("PORTAL_THROTTLE_PERSON", default=5), 24 * 3600),
    "status_address": (env.int("PORTAL_THROTTLE_STATUS_ADDRESS", default=60), 3600),
    "status_number": (env.int("PORTAL_THROTTLE_STATUS_NUMBER", default=10), 3600),
    "grievance_address": (env.int("PORTAL_THROTTLE_GRIEVANCE_ADDRESS", default=10), 3600),
    "grievance_person": (env.int("PORTAL_THROTTLE_GRIEVANCE_PERSON", default=5), 24 * 3600),
}
# An administrative complaint against an individual act is filed within one month of its
# notification (General Administrative Code of Georgia, chapter XIII, Article 180; the article
# number is unverified here). Configurable: the letter's appeal deadline is computed from it.
APPEAL_MONTHS = env.int("APPEAL_MONTHS", default=1)
APPEAL_SOURCE = env.str(
    "APPEAL_SOURCE", default="General Administrative Code of Georgia, Article 180"
)
# Days after a household's re-assessment was due (the four-year rule) before the daily job
# (`manage.py end_enrolments`) ends its enrolments in programmes decided on a home visit.
# Illustrative: the SSA publishes no grace period.
REASSESSMENT_GRACE_DAYS = env.int("REASSESSMENT_GRACE_DAYS", default=90)
# A payment account changed this many days or fewer before a payroll gets a second look before
# the payroll is approved (a change of account just before payday is a common fraud pattern).
# Illustrative: the SSA publishes no such window.
PAYMENT_ACCOUNT_REVIEW_DAYS = env.int("PAYMENT_ACCOUNT_REVIEW_DAYS", default=30)
# How many months back a payroll pays a beneficiary's unpaid entitlement (decided late), its own
# month included. Illustrative: the SSA publishes no limit on arrears.
PAYROLL_ARREARS_MONTHS = env.int("PAYROLL_ARREARS_MONTHS", default=12)
# The most rows a list's CSV/XLSX download holds; more: the user narrows the filter.
EXPORT_MAX_ROWS = env.int("EXPORT_MAX_ROWS", default=100_000)
# Payment returned as not collected (the post office's or the bank's answer) in this many
# consecutive months suspends it until an officer resumes it. Illustrative: not published.
PAYMENT_NON_COLLECTION_MONTHS = env.int("PAYMENT_NON_COLLECTION_MONTHS", default=3)
# The share of a payment that may be kept back each month to recover an overpayment, so that a
# beneficiary is never left without the benefit. Illustrative: not published for these
# programmes; set it from the applicable rule.
PAYMENT_DEDUCTION_CAP = Decimal(env.str("PAYMENT_DEDUCTION_CAP", default="0.20"))
# The paying agency's account, named in every bank file as the debtor. Illustrative defaults:
# set the real ones in production. The IBAN is the National Bank of Georgia's published example.
PAYMENT_DEBTOR_NAME = env.str("PAYMENT_DEBTOR_NAME", default="Social Service Agency (illustrative)")
PAYMENT_DEBTOR_IBAN = env.str("PAYMENT_DEBTOR_IBAN", default="GE29NB0000000101904917")

DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@zrunva.ge")
# Mail sent straight from a request (invitations), not through the notifications outbox: to
# the console when developing, by SMTP (EMAIL_HOST, EMAIL_PORT, …) otherwise.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)

# Social work cases. Illustrative, not published by the State Care Agency: set them from its
# rules. Hours to the first contact by risk level (a high-risk child case within 24 hours); a
# case's weight in a worker's caseload by risk, and the weighted caseload one worker carries;
# how long an emergency access to a sensitive case lasts.
CASE_FIRST_CONTACT_HOURS = {
    "high": env.int("CASE_FIRST_CONTACT_HOURS_HIGH", default=24),
    "medium": env.int("CASE_FIRST_CONTACT_HOURS_MEDIUM", default=72),
    "low": env.int("CASE_FIRST_CONTACT_HOURS_LOW", default=168),
}
CASE_RISK_WEIGHTS = {
    "high": env.int("CASE_WEIGHT_HIGH", default=3),
    "medium": env.int("CASE_WEIGHT_MEDIUM", default=2),
    "low": env.int("CASE_WEIGHT_LOW", default=1),
}
CASELOAD_NORM = env.int("CASELOAD_NORM", default=40)
# Outreach: a person visited from an outreach list within these days drops off that list
# (illustrative, not sourced).
OUTREACH_VISIT_DAYS = env.int("OUTREACH_VISIT_DAYS", default=180)
BREAK_GLASS_HOURS = env.int("BREAK_GLASS_HOURS", default=8)
# A case being carried out is visited (at home or at the office) at least this often, or it is
# listed as due for a visit. Illustrative: set it from the State Care Agency's rule.
CASE_VISIT_DAYS = env.int("CASE_VISIT_DAYS", default=30)

# Health (core.health): /healthz answers while the process does; /readyz also wants the
# database, every migration applied, a worker's heartbeat (`manage.py worker` writes it every
# WORKER_HEARTBEAT_SECONDS) no older than WORKER_HEARTBEAT_MAX_AGE_SECONDS, and at most
# OUTBOX_OVERDUE_LIMIT messages still waiting OUTBOX_OVERDUE_MINUTES after they were due.
WORKER_HEARTBEAT_SECONDS = env.float("WORKER_HEARTBEAT_SECONDS", default=15)
WORKER_HEARTBEAT_MAX_AGE_SECONDS = env.float("WORKER_HEARTBEAT_MAX_AGE_SECONDS", default=60)
OUTBOX_OVERDUE_MINUTES = env.int("OUTBOX_OVERDUE_MINUTES", default=30)
OUTBOX_OVERDUE_LIMIT = env.int("OUTBOX_OVERDUE_LIMIT", default=100)
