import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-key")

from .base import *  # noqa: E402, F403
from .base import env  # noqa: E402

DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
PRIVATE_MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="zrunva-private-"))
LANGUAGE_CODE = env.str("TEST_LANGUAGE_CODE", default="ka")
# Static files come from the app finders in tests; no collected STATIC_ROOT.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405

# The replica router's tests (zrunva/core/tests/test_db.py): a "replica" alias on the test
# database itself (Django's test mirror), the replica DATABASE_REPLICA_URL names if set. The
# router stays off (DATABASE_REPLICA empty) but in the tests that turn it on, which allow
# queries on both aliases.
DATABASES.setdefault("replica", dict(DATABASES["default"]))  # noqa: F405
DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # noqa: F405
DATABASE_REPLICA = ""
