"""Backups of a PostgreSQL installation (the database and the uploaded documents) and the proof
that one restores: row counts of every table, a digest of the audit trail and a digest of every
document, recorded when the backup is taken and compared after a restore.

This lives in the audit app because it is the database-level guard of the record, beside the
application role's grants and the append-only triggers (`database.py`), and because what it proves
is that the audit trail came back whole. It imports no domain app: the tables are listed from
PostgreSQL's catalogue and the documents are whatever lies under MEDIA_ROOT and
PRIVATE_MEDIA_ROOT, so a table or a document kind added later is backed up and checked without a
change here.

A backup is one directory, `zrunva-<database>-<UTC time>/`:
- `database.dump`: `pg_dump --format=custom` (compressed; `pg_restore --jobs` restores it in
  parallel);
- `roles.sql`: `pg_dumpall --roles-only --no-role-passwords` (roles are the server's, not the
  database's; a new server needs them before the restore);
- `documents.tar`: the files under MEDIA_ROOT (`media/`) and PRIVATE_MEDIA_ROOT (`private/`);
- `manifest.json`: when, which server, the files' sizes and SHA-256, the row count of every table,
  the audit trail's digest, and every document's size and SHA-256;
- `SHA256SUMS`: the files' digests in `sha256sum -c` form, for a check without Python.
"""

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connections
from psycopg import sql

FORMAT = 1
DUMP = "database.dump"
ROLES = "roles.sql"
DOCUMENTS = "documents.tar"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
AUDIT_TABLE = "auditlog_logentry"
# Audit rows digested per query: the server hashes each chunk, so no row crosses the network and
# no string grows past PostgreSQL's 1 GB limit however long the trail is.
AUDIT_CHUNK = 100_000
BLOCK = 1024 * 1024

# The session settings a row's text depends on, fixed so that the digest of the same rows is the
# same whatever the server's or the role's defaults are.
SESSION = (
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; "
    "SET extra_float_digits = 1; SET bytea_output = 'hex'"
)


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says what to do."""


def database_params(alias: str = "default", dbname: str | None = None) -> dict:
    """libpq parameters of a configured database (another database on the same server with
    `dbname`)."""
    db = settings.DATABASES[alias]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise BackupError(
            "Backups use pg_dump and need PostgreSQL; the SQLite demo is backed up by copying "
            "the var/ directory while nothing runs."
        )
    params = {
        "dbname": dbname or db["NAME"],
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": str(db["PORT"]) if db.get("PORT") else None,
    }
    # libpq's own options (sslmode, sslrootcert, …) pass through; Django's do not.
    for key, value in (db.get("OPTIONS") or {}).items():
        if key.startswith("ssl") or key in {"connect_timeout", "application_name", "service"}:
            params[key] = value
    return {key: value for key, value in params.items() if value is not None}


def tool_env(params: dict) -> dict:
    """The environment for pg_dump and pg_restore: the password never appears in a command line
    (ps shows those to every user of the machine)."""
    names = {
        "dbname": "PGDATABASE",
        "user": "PGUSER",
        "password": "PGPASSWORD",
        "host": "PGHOST",
        "port": "PGPORT",
        "sslmode": "PGSSLMODE",
        "sslrootcert": "PGSSLROOTCERT",
        "sslcert": "PGSSLCERT",
        "sslkey": "PGSSLKEY",
        "connect_timeout": "PGCONNECT_TIMEOUT",
    }
    # The settings' values win over any PG* variable of the shell (PGPASSFILE and the like stay).
    return {**os.environ, **{names[k]: str(v) for k, v in params.items() if k in names}}


@contextmanager
def connect(params: dict, **kwargs) -> Iterator[psycopg.Connection]:
    try:
        conn = psycopg.connect(**params, **kwargs)
    except psycopg.OperationalError as error:
        raise BackupError(
            f"Cannot connect to the database {params.get('dbname')!r}: {error}"
        ) from error
    with conn:
        conn.execute(SESSION)
        yield conn


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


# Reads: what a database and a set of document folders hold --------------------------------------


def tables(conn: psycopg.Connection) -> list[str]:
    """Every table of the current schema, from the catalogue (a partitioned table once, with its
    partitions' rows, not each partition)."""
    rows = conn.execute(
        """
        SELECT c.relname FROM pg_class c
        WHERE c.relnamespace = current_schema()::regnamespace
          AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        ORDER BY c.relname
        """
    ).fetchall()
    return [name for (name,) in rows]


def row_counts(conn: psycopg.Connection) -> dict[str, int]:
    return {
        table: conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        ).fetchone()[0]
        for table in tables(conn)
    }


def audit_digest(conn: psycopg.Connection, chunk: int = AUDIT_CHUNK) -> dict:
    """A digest of every audit row, whole, in id order: the server hashes chunks of `chunk` rows
    (each row as its text, all columns) and the chain of chunk hashes is hashed here. The same
    rows give the same digest; one changed, missing or added row gives another."""
    digest = hashlib.sha256()
    rows = 0
    last = -1
    query = sql.SQL(
        """
        SELECT count(*), max(t.id), md5(string_agg(t::text, E'\\n' ORDER BY t.id))
        FROM (SELECT * FROM {} WHERE id > %s ORDER BY id LIMIT %s) t
        """
    ).format(sql.Identifier(AUDIT_TABLE))
    while True:
        count, top, chunk_md5 = conn.execute(query, [last, chunk]).fetchone()
        if not count:
            break
        digest.update(f"{count}:{chunk_md5}\n".encode())
        rows += count
        last = top
    return {"rows": rows, "last_id": last if rows else None, "sha256": digest.hexdigest()}


def document_roots() -> dict[str, Path]:
    """Where the uploaded files live: public media (case files) and the private documents
    (applicants' documents, bank files, imports), each under its own name in the archive."""
    return {"media": Path(settings.MEDIA_ROOT), "private": Path(settings.PRIVATE_MEDIA_ROOT)}


def document_files(roots: dict[str, Path]) -> Iterator[tuple[str, Path, str]]:
    """(root name, file path, path in the archive) of every regular file, in a stable order."""
    for name, root in sorted(roots.items()):
        if not root.is_dir():
            continue
        for folder, dirs, files in os.walk(root):
            dirs.sort()
            for filename in sorted(files):
                path = Path(folder) / filename
                if path.is_file() and not path.is_symlink():
                    yield name, path, f"{name}/{path.relative_to(root).as_posix()}"


def documents_index(roots: dict[str, Path]) -> dict[str, dict]:
    return {
        arcname: {"bytes": path.stat().st_size, "sha256": file_digest(path)}
        for _, path, arcname in document_files(roots)
    }


# Writes: taking a backup and restoring one ------------------------------------------------------


def _run(command: list, env: dict | None = None, stdout=None) -> str:
    """Run one of PostgreSQL's client programs (from PATH, as psql is) and fail with its own
    message."""
    result = subprocess.run(  # noqa: S603 (fixed programs; the arguments are ours)
        [str(part) for part in command],
        env=env,
        stdout=stdout or subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if result.returncode:
        raise BackupError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout or ""


def backup_create(*, target: Path, params: dict, roots: dict[str, Path]) -> Path:
    """Take a backup into a new dated directory under `target` and return it.

    The row counts and the audit digest are read in the very snapshot pg_dump dumps (an exported
    snapshot held open by a repeatable-read transaction), so they agree with the dump even while
    the application writes. The documents are archived after the snapshot: documents are written
    once under new names and never changed, so every file a row of the dump refers to is already
    on disk and goes in."""
    started = datetime.now(UTC)
    folder = target / f"zrunva-{params['dbname']}-{started:%Y%m%dT%H%M%SZ}"
    try:
        folder.mkdir(parents=True)
    except FileExistsError:
        raise BackupError(f"{folder} exists: a backup was started this second.") from None
    os.chmod(folder, 0o700)
    try:
        _backup_write(folder, started, params, roots)
    except BaseException:
        # Half a backup must not pass for one.
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def _backup_write(folder: Path, started: datetime, params: dict, roots: dict[str, Path]) -> None:
    env = tool_env(params)
    timings = {}
    with connect(params) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        server = conn.execute("SHOW server_version").fetchone()[0]
        clock = time.monotonic()
        _run(
            ["pg_dump", "--format=custom", f"--snapshot={snapshot}", "--file", folder / DUMP],
            env,
        )
        timings["pg_dump"] = time.monotonic() - clock
        clock = time.monotonic()
        counts = row_counts(conn)
        audit = audit_digest(conn)
        timings["counts_and_audit_digest"] = time.monotonic() - clock
        conn.rollback()
    with open(folder / ROLES, "w") as out:
        _run(["pg_dumpall", "--roles-only", "--no-role-passwords"], env, stdout=out)
    clock = time.monotonic()
    documents = {}
    with tarfile.open(folder / DOCUMENTS, "w") as archive:
        for _, path, arcname in document_files(roots):
            documents[arcname] = {"bytes": path.stat().st_size, "sha256": file_digest(path)}
            archive.add(path, arcname=arcname, recursive=False)
    timings["documents"] = time.monotonic() - clock
    files = {
        name: {"bytes": (folder / name).stat().st_size, "sha256": file_digest(folder / name)}
        for name in (DUMP, ROLES, DOCUMENTS)
    }
    manifest = {
        "format": FORMAT,
        "created": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": params["dbname"],
        "server_version": server,
        "pg_dump": _run(["pg_dump", "--version"]).strip(),
        "seconds": {key: round(value, 2) for key, value in timings.items()},
        "files": files,
        "tables": counts,
        "audit": audit,
        "documents": documents,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    sums = {**{name: entry["sha256"] for name, entry in files.items()}}
    sums[MANIFEST] = file_digest(folder / MANIFEST)
    (folder / SUMS).write_text("".join(f"{digest}  {name}\n" for name, digest in sums.items()))


def backup_check(folder: Path) -> dict:
    """The backup's manifest, once every file matches its recorded SHA-256 (a backup copied
    off the machine and back, or sitting on a disk for a year, is checked before it is used)."""
    if not (folder / SUMS).is_file():
        raise BackupError(f"{folder} is not a backup: it has no {SUMS}.")
    for line in (folder / SUMS).read_text().splitlines():
        digest, name = line.split("  ", 1)
        if not (folder / name).is_file():
            raise BackupError(f"The backup is incomplete: {name} is missing from {folder}.")
        if file_digest(folder / name) != digest:
            raise BackupError(f"The backup is damaged: {name} does not match its SHA-256.")
    manifest = json.loads((folder / MANIFEST).read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r} in {folder}.")
    return manifest


def database_exists(params: dict, name: str) -> bool:
    with connect({**params, "dbname": "postgres"}) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def database_drop(params: dict, name: str) -> None:
    """Drop a database, closing its sessions first (the drill's "destroy" step and clean-up)."""
    connections.close_all()
    with connect({**params, "dbname": "postgres"}, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def backup_restore(
    *,
    folder: Path,
    params: dict,
    dbname: str,
    roots: dict[str, Path],
    jobs: int = 2,
    no_owner: bool = False,
) -> dict:
    """Restore a checked backup into a new database `dbname` and its documents into `roots`
    (each empty or missing), then ANALYZE so the planner has statistics at once. Returns the
    manifest and the seconds each step took."""
    manifest = backup_check(folder)
    if database_exists(params, dbname):
        raise BackupError(
            f"The database {dbname!r} exists: restore into a new one (or drop it first)."
        )
    for name, root in roots.items():
        if root.is_dir() and any(root.iterdir()):
            raise BackupError(
                f"The documents folder {root} ({name}) is not empty: move it aside first."
            )
    timings = {}
    clock = time.monotonic()
    with connect({**params, "dbname": "postgres"}, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    command = ["pg_restore", "--exit-on-error", f"--jobs={jobs}", f"--dbname={dbname}"]
    if no_owner:
        # Objects owned by the restoring role; the application role's grants are given again
        # by `manage.py db_app_role_grant`.
        command += ["--no-owner", "--no-acl"]
    try:
        _run([*command, folder / DUMP], tool_env({**params, "dbname": dbname}))
    except BackupError as error:
        raise BackupError(
            f"{error}\nThe database {dbname!r} is left as pg_restore left it: drop it before "
            "trying again."
        ) from error
    timings["pg_restore"] = time.monotonic() - clock
    clock = time.monotonic()
    with connect({**params, "dbname": dbname}, autocommit=True) as conn:
        conn.execute("ANALYZE")
    timings["analyze"] = time.monotonic() - clock
    clock = time.monotonic()
    with tarfile.open(folder / DOCUMENTS) as archive:
        for member in archive:
            name, _, rest = member.name.partition("/")
            if name not in roots or not member.isfile():
                raise BackupError(f"Unexpected entry {member.name!r} in {DOCUMENTS}.")
            member.name = rest
            # The "data" filter refuses absolute paths, "..", links and device files.
            archive.extract(member, roots[name], filter="data")
    timings["documents"] = time.monotonic() - clock
    return {"manifest": manifest, "seconds": timings}


@dataclass
class Comparison:
    """What a restored database and its documents hold against what the manifest recorded."""

    tables: int = 0
    rows: int = 0
    audit_rows: int = 0
    documents: int = 0
    document_bytes: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not self.differences


def backup_compare(*, manifest: dict, params: dict, roots: dict[str, Path]) -> Comparison:
    """Compare the database in `params` and the files under `roots` with a backup's manifest:
    every table's row count, the audit trail's digest, every document's size and digest."""
    result = Comparison()
    with connect(params) as conn:
        counts = row_counts(conn)
        audit = audit_digest(conn)
    expected = manifest["tables"]
    for table in sorted(expected.keys() | counts.keys()):
        if table not in counts:
            result.differences.append(f"table {table}: missing after the restore")
        elif table not in expected:
            result.differences.append(f"table {table}: not in the backup")
        elif counts[table] != expected[table]:
            result.differences.append(
                f"table {table}: {expected[table]:,} rows backed up, {counts[table]:,} restored"
            )
    result.tables = len(counts)
    result.rows = sum(counts.values())
    result.audit_rows = audit["rows"]
    if audit != manifest["audit"]:
        result.differences.append(
            f"audit trail: {manifest['audit']['rows']:,} rows digest "
            f"{manifest['audit']['sha256'][:16]}… backed up, {audit['rows']:,} rows digest "
            f"{audit['sha256'][:16]}… restored"
        )
    documents = documents_index(roots)
    for arcname in sorted(manifest["documents"].keys() | documents.keys()):
        if arcname not in documents:
            result.differences.append(f"document {arcname}: missing after the restore")
        elif arcname not in manifest["documents"]:
            result.differences.append(f"document {arcname}: not in the backup")
        elif documents[arcname] != manifest["documents"][arcname]:
            result.differences.append(f"document {arcname}: content differs from the backup")
    result.documents = len(documents)
    result.document_bytes = sum(entry["bytes"] for entry in documents.values())
    return result


def documents_remove(roots: dict[str, Path]) -> None:
    """Empty the documents folders (the drill's "destroy" step), keeping the folders."""
    for root in roots.values():
        if root.is_dir():
            for child in root.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()


def comparison_report(
    *, folder: Path, dbname: str, restored: dict, comparison: Comparison
) -> list[str]:
    """The drill's and the restore's report, one line per fact, every difference listed."""
    manifest = restored["manifest"]
    files = manifest["files"]
    backed_up = manifest["seconds"]
    seconds = restored["seconds"]
    state = "same" if comparison.same else "DIFFERENT"
    lines = [
        f"Backup     {folder}",
        f"           taken {manifest['created']}; {DUMP} {files[DUMP]['bytes']:,} bytes, "
        f"{DOCUMENTS} {files[DOCUMENTS]['bytes']:,} bytes; pg_dump {backed_up['pg_dump']:.1f} s",
        f"Restore    into {dbname}: pg_restore {seconds['pg_restore']:.1f} s, ANALYZE "
        f"{seconds['analyze']:.1f} s, documents {seconds['documents']:.1f} s",
        f"Tables     {comparison.tables} restored ({len(manifest['tables'])} backed up), "
        f"{comparison.rows:,} rows",
        f"Audit      {comparison.audit_rows:,} rows restored ({manifest['audit']['rows']:,} backed "
        f"up), digest {manifest['audit']['sha256'][:16]}…",
        f"Documents  {comparison.documents:,} files, {comparison.document_bytes:,} bytes restored "
        f"({len(manifest['documents']):,} backed up)",
        f"Result     {state}: "
        + (
            "every table's rows, the audit trail and every document match the backup."
            if comparison.same
            else f"{len(comparison.differences)} differences:"
        ),
    ]
    lines += [f"  - {difference}" for difference in comparison.differences]
    return lines
