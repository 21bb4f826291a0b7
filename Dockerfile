# Zrunva's production image: `docker build -t zrunva .`; run with compose.yaml (README,
# "Containers and health"). Secrets are never baked in: they come as files at run time.

# Build: the locked dependencies, the compiled translations and the collected static files.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# gettext only to compile the translations; the final image does without.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY requirements.lock ./
RUN pip install -r requirements.lock
COPY . .
# DJANGO_DEBUG only for these two commands, which need no secret key and no database.
RUN DJANGO_DEBUG=1 python manage.py compilemessages -v0 --ignore 'var/*' \
    && DJANGO_DEBUG=1 STATIC_ROOT=/app/static python manage.py collectstatic --no-input -v0 \
    && python -m compileall -q config zrunva

# Run: the same Python, no compilers, a user that owns nothing but the data directory.
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    STATIC_ROOT=/app/static
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin zrunva \
    && mkdir -p /app/var /srv/static \
    && chown zrunva /app/var /srv/static
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
USER zrunva
EXPOSE 8000
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["web"]
