#!/bin/bash
# The container's entry point, and the one place where its processes' commands are written:
# the Dockerfile's ENTRYPOINT, compose.yaml's services and config/tests/test_deploy.py all run
# `entrypoint.sh ROLE`, so what the test starts is what production runs.
#
#   web      gunicorn serving config.wsgi with the production settings (deploy/gunicorn.conf.py)
#   worker   the background worker, with its heartbeat (manage.py worker)
#   migrate  once per release, as the tables' owner: migrations, the cache table, and the
#            collected static files copied to STATIC_SHARE (the proxy's volume) when set
#   manage   any management command, e.g. `manage escalate_grievances` (the cron lines)
#   probe    GET a health endpoint on this container's web process: `probe /healthz`
set -euo pipefail
cd "$(dirname "$0")/.."

export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.production}"

# Secrets come as files (compose secrets under /run/secrets), never in the image or in
# compose.yaml: NAME_FILE=/run/secrets/x sets NAME to the file's content.
for name in SECRET_KEY PGPASSWORD DATABASE_URL EMAIL_HOST_PASSWORD; do
    file_var="${name}_FILE"
    if [ -n "${!file_var:-}" ]; then
        if [ -n "${!name:-}" ]; then
            echo "entrypoint: both $name and $file_var are set; keep one." >&2
            exit 64
        fi
        # A plain assignment, so that an unreadable file stops the start (set -e).
        value="$(cat "${!file_var}")"
        export "$name=$value"
        unset "$file_var"
    fi
done

role="${1:-web}"
shift || true
case "$role" in
    web)
        # The request metrics' per-process files (deploy/gunicorn.conf.py): a fresh start
        # begins from none, so counters of processes gone before it are not added again.
        if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
            rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
        fi
        exec gunicorn --config deploy/gunicorn.conf.py config.wsgi ;;
    worker)
        exec python manage.py worker --queue-name '*' ;;
    migrate)
        python manage.py migrate --no-input
        python manage.py createcachetable
        if [ -n "${STATIC_SHARE:-}" ]; then
            cp -R "${STATIC_ROOT:?the image sets STATIC_ROOT}/." "$STATIC_SHARE/"
        fi ;;
    manage)
        exec python manage.py "$@" ;;
    probe)
        exec python deploy/probe.py "$@" ;;
    *)
        echo "entrypoint: unknown role '$role' (web, worker, migrate, manage, probe)." >&2
        exit 64 ;;
esac
