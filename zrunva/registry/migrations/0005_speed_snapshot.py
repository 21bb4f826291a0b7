"""The registry's columns kept ready for whole-country reads, on PostgreSQL (see
zrunva/registry/snapshot.py): the parts of the snapshot, and the households whose rows changed
since, listed by statement triggers. A TRUNCATE of the registry (tests, a DBA) empties both, so
the next read builds the snapshot again. SQLite reads the registry with the join and has none
of this."""

from django.db import migrations

FORWARD = """
CREATE TABLE registry_snapshot_part (
    id bigserial PRIMARY KEY,
    households bytea NOT NULL,
    members bytea NOT NULL,
    incomes bytea NOT NULL,
    household_count integer NOT NULL,
    format smallint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- Parquet is compressed already.
ALTER TABLE registry_snapshot_part
    ALTER households SET STORAGE EXTERNAL,
    ALTER members SET STORAGE EXTERNAL,
    ALTER incomes SET STORAGE EXTERNAL;
CREATE TABLE registry_snapshot_stale (household_id bigint NOT NULL);

CREATE FUNCTION registry_snapshot_household_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO registry_snapshot_stale SELECT DISTINCT id FROM old_rows;
    ELSE
        INSERT INTO registry_snapshot_stale SELECT DISTINCT id FROM new_rows;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION registry_snapshot_membership_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO registry_snapshot_stale SELECT DISTINCT household_id FROM new_rows;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO registry_snapshot_stale
            SELECT household_id FROM new_rows UNION SELECT household_id FROM old_rows;
    ELSE
        INSERT INTO registry_snapshot_stale SELECT DISTINCT household_id FROM old_rows;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- A person's or an income's change touches every household the person was ever a member of:
-- the snapshot keeps past and future memberships too, dated.
CREATE FUNCTION registry_snapshot_person_changed() RETURNS trigger AS $$
BEGIN
    INSERT INTO registry_snapshot_stale
        SELECT DISTINCT ms.household_id FROM registry_membership ms
        WHERE ms.person_id IN (SELECT id FROM new_rows);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION registry_snapshot_income_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO registry_snapshot_stale
            SELECT DISTINCT ms.household_id FROM registry_membership ms
            WHERE ms.person_id IN (SELECT person_id FROM new_rows);
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO registry_snapshot_stale
            SELECT DISTINCT ms.household_id FROM registry_membership ms
            WHERE ms.person_id IN (
                SELECT person_id FROM new_rows UNION SELECT person_id FROM old_rows);
    ELSE
        INSERT INTO registry_snapshot_stale
            SELECT DISTINCT ms.household_id FROM registry_membership ms
            WHERE ms.person_id IN (SELECT person_id FROM old_rows);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION registry_snapshot_truncated() RETURNS trigger AS $$
BEGIN
    DELETE FROM registry_snapshot_part;
    DELETE FROM registry_snapshot_stale;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
# Transition tables take one event per trigger.
TRIGGERS = {
    "registry_household": ("household", ["INSERT", "UPDATE", "DELETE"]),
    "registry_membership": ("membership", ["INSERT", "UPDATE", "DELETE"]),
    "registry_person": ("person", ["UPDATE"]),
    "registry_incomesource": ("income", ["INSERT", "UPDATE", "DELETE"]),
}
TABLES = ("registry_household", "registry_membership", "registry_person", "registry_incomesource")


def _triggers() -> str:
    sql = []
    for table, (kind, events) in TRIGGERS.items():
        for event in events:
            tables = {
                "INSERT": "NEW TABLE AS new_rows",
                "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                "DELETE": "OLD TABLE AS old_rows",
            }[event]
            sql.append(
                f"CREATE TRIGGER snapshot_{event.lower()} AFTER {event} ON {table} "
                f"REFERENCING {tables} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION registry_snapshot_{kind}_changed();"
            )
    for table in TABLES:
        sql.append(
            f"CREATE TRIGGER snapshot_truncate AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION registry_snapshot_truncated();"
        )
    return "\n".join(sql)


def _drop() -> str:
    sql = [
        f"DROP TRIGGER IF EXISTS snapshot_{event.lower()} ON {table};"
        for table, (_kind, events) in TRIGGERS.items()
        for event in events
    ]
    sql += [f"DROP TRIGGER IF EXISTS snapshot_truncate ON {table};" for table in TABLES]
    sql += [
        f"DROP FUNCTION IF EXISTS registry_snapshot_{kind}_changed();"
        for kind in ("household", "membership", "person", "income")
    ]
    sql += [
        "DROP FUNCTION IF EXISTS registry_snapshot_truncated();",
        "DROP TABLE IF EXISTS registry_snapshot_part, registry_snapshot_stale;",
    ]
    return "\n".join(sql)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD + _triggers(), params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_drop(), params=None)


class Migration(migrations.Migration):
    dependencies = [("registry", "0004_household_bounds")]
    operations = [migrations.RunPython(forward, backward)]
