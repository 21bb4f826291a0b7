#!/bin/sh
# Run by the postgres image once, when it initialises an empty data volume: the login role the
# web process and the worker connect as (DB_APP_ROLE). It owns nothing; `migrate`, run as the
# tables' owner, grants it the data but not the audit trail's history (README, "Database
# roles"). Its password comes from the compose secret, never from this file.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set role="$DB_APP_ROLE" --set password="$(cat /run/secrets/db_app_password)" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
SQL
