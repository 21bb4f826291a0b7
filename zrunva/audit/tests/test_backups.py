"""Issue 19, item 3: a backup of the database and the documents restores into a fresh database,
and the comparison of row counts, the audit trail's digest and the documents' digests catches a
restore that differs. Data is committed (pg_dump reads it from another session), so these tests
are transactional."""

import json
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from zrunva.applications.services import document_add
from zrunva.applications.tests import pdfs
from zrunva.audit import backups
from zrunva.audit.management.commands import restore_drill
from zrunva.grievances.tests.factories import application
from zrunva.registry.models import Household
from zrunva.registry.tests import factories

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="backups use pg_dump and pg_restore"
)
committed = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def installation(settings, tmp_path):
    """A few households, an application with an uploaded document, their audit rows, and a file
    in the public media folder too."""
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media" / "cases").mkdir(parents=True)
    (tmp_path / "media" / "cases" / "note.txt").write_text("a case file")
    for municipality in ("kutaisi", "batumi", "kutaisi"):
        factories.household(municipality)
    found = application()
    document = document_add(
        actor=None,
        application=found,
        upload=SimpleUploadedFile("certificate.pdf", pdfs.plain_pdf(), "application/pdf"),
    )
    assert LogEntry.objects.count() > 5
    return document


@pytest.fixture
def drill_database():
    """The restore's database, dropped after the test whatever happens."""
    params = backups.database_params()
    name = f"{params['dbname']}_restored"
    backups.database_drop(params, name)
    yield name
    backups.database_drop(params, name)


@committed
def test_the_drill_restores_everything_and_says_so(installation, capsys):
    call_command("restore_drill")
    report = capsys.readouterr().out
    assert "Result     same: every table's rows, the audit trail and every document match" in report
    audit_rows = LogEntry.objects.count()
    assert f"Audit      {audit_rows:,} rows restored ({audit_rows:,} backed up)" in report
    documents = len(backups.documents_index(backups.document_roots()))
    assert documents >= 2
    assert f"Documents  {documents:,} files" in report
    # The drill cleans up after itself.
    assert not backups.database_exists(
        backups.database_params(), f"{connection.settings_dict['NAME']}_drill"
    )


@committed
def test_the_destroying_drill_drops_the_database_and_documents_and_restores_them(
    installation, tmp_path, monkeypatch, capsys
):
    # A copy of the test database stands for the installation (the test's own cannot be dropped
    # under it), with its documents in folders of their own.
    params = backups.database_params()
    copy = {**params, "dbname": f"{params['dbname']}_copy"}
    roots = {name: tmp_path / "copy" / name for name in ("media", "private")}
    backups.database_drop(params, copy["dbname"])
    folder = backups.backup_create(
        target=tmp_path / "backups", params=params, roots=backups.document_roots()
    )
    try:
        backups.backup_restore(folder=folder, params=params, dbname=copy["dbname"], roots=roots)
        documents = backups.documents_index(roots)
        oid = "SELECT oid FROM pg_database WHERE datname = current_database()"
        with backups.connect(copy) as conn:
            before = conn.execute(oid).fetchone()[0]
        monkeypatch.setattr(restore_drill, "database_params", lambda: copy)
        monkeypatch.setattr(restore_drill, "document_roots", lambda: roots)
        call_command("restore_drill", destroy=copy["dbname"])
        report = capsys.readouterr().out
        assert f"Restore    into {copy['dbname']}:" in report
        assert "Result     same: every table's rows" in report
        with backups.connect(copy) as conn:
            assert conn.execute(oid).fetchone()[0] != before  # dropped and made again
        assert backups.documents_index(roots) == documents
    finally:
        backups.database_drop(params, copy["dbname"])


@committed
def test_a_changed_audit_row_and_a_missing_document_are_reported(
    installation, drill_database, tmp_path
):
    params = backups.database_params()
    folder = backups.backup_create(
        target=tmp_path / "backups", params=params, roots=backups.document_roots()
    )
    manifest = json.loads((folder / backups.MANIFEST).read_text())
    households = Household.objects.count()
    assert households >= 3
    assert manifest["tables"]["registry_household"] == households
    assert manifest["tables"]["applications_document"] == 1
    assert f"private/{installation.file.name}" in manifest["documents"]
    assert "media/cases/note.txt" in manifest["documents"]
    assert manifest["audit"]["rows"] == LogEntry.objects.count()

    with pytest.raises(CommandError, match=f"The database '{params['dbname']}' exists"):
        call_command("restore", str(folder), database=params["dbname"])
    with backups.connect(params) as conn:
        # The chunks are hashed on the server; any chunk size covers every row.
        assert backups.audit_digest(conn, chunk=3)["rows"] == manifest["audit"]["rows"]
        assert backups.audit_digest(conn) == manifest["audit"]

    roots = {name: tmp_path / "restored" / name for name in ("media", "private")}
    restored = backups.backup_restore(
        folder=folder, params=params, dbname=drill_database, roots=roots
    )
    target = {**params, "dbname": drill_database}
    assert backups.backup_compare(manifest=restored["manifest"], params=target, roots=roots).same

    # Forge one audit row in the restored copy (past its append-only trigger, as a superuser
    # could), lose one document and one household.
    entry = LogEntry.objects.order_by("id")[2]
    with backups.connect(target) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "UPDATE auditlog_logentry SET object_repr = 'forged' WHERE id = %s", [entry.pk]
        )
        conn.execute(
            "DELETE FROM registry_household WHERE id = (SELECT max(id) FROM registry_household)"
        )
    (roots["private"] / installation.file.name).unlink()

    comparison = backups.backup_compare(manifest=restored["manifest"], params=target, roots=roots)
    assert not comparison.same
    assert comparison.differences == [
        f"table registry_household: {households} rows backed up, {households - 1} restored",
        f"audit trail: {manifest['audit']['rows']:,} rows digest "
        f"{manifest['audit']['sha256'][:16]}… backed up, {manifest['audit']['rows']:,} rows "
        f"digest {comparison_digest(target)[:16]}… restored",
        f"document private/{installation.file.name}: missing after the restore",
    ]
    lines = backups.comparison_report(
        folder=folder, dbname=drill_database, restored=restored, comparison=comparison
    )
    assert "Result     DIFFERENT: 3 differences:" in lines

    # A damaged backup is refused before anything is restored.
    backups.database_drop(params, drill_database)
    with open(folder / backups.DUMP, "r+b") as dump:
        dump.seek(100)
        dump.write(b"\0\0\0\0")
    with pytest.raises(CommandError, match="The backup is damaged: database.dump does not match"):
        call_command("restore", str(folder), database=drill_database)
    assert not backups.database_exists(params, drill_database)


def comparison_digest(params: dict) -> str:
    with backups.connect(params) as conn:
        return backups.audit_digest(conn)["sha256"]


def test_the_destroying_drill_must_name_the_configured_database():
    with pytest.raises(CommandError, match="name the configured database to confirm"):
        call_command("restore_drill", destroy="zrunva_somewhere_else")
    assert Path(settings.PRIVATE_MEDIA_ROOT).is_dir()
