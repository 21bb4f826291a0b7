"""Backup and restore benchmark: `manage.py backup`'s steps and a restore to a usable state
(indexes built, statistics gathered) on the 1M-household registry, against plain
`pg_dump -Fc` and `pg_restore` of the same database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_backup_bench \\
        .venv/bin/python bench/backup.py [--audit-rows 1000000] [--documents 2000]

The database in DATABASE_URL must exist and hold the registry (`manage.py generate_population
--households 1000000`); its name must contain "bench". The script adds synthetic audit rows up to
--audit-rows (a registry bulk-loaded has none; their shape is a household's update) and writes
--documents files of 64-512 KB of random bytes into a temporary documents folder. Then, on the same
server:
1. `pg_dump --format=custom` alone into a file, then `pg_restore --jobs 2` of it into a new
   database, then ANALYZE (the comparator: what any PostgreSQL backup of this size costs);
2. `backup_create` (what `manage.py backup` runs: the same pg_dump in an exported snapshot, every
   table's row count and the audit digest in that snapshot, roles, the documents' archive), then
   `backup_restore` into a new database (checksums of the backup's files, pg_restore, ANALYZE,
   documents) and `backup_compare` (row counts, audit digest, documents' digests).
Restored databases and temporary files are removed at the end. See bench/README.md.
"""

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from zrunva.audit import backups  # noqa: E402

SYNTHETIC_AUDIT = """
INSERT INTO auditlog_logentry (object_pk, object_id, object_repr, action, changes, changes_text,
    timestamp, actor_id, content_type_id, remote_addr, additional_data, cid)
SELECT h::text, h, 'Household ' || h, 1,
    jsonb_build_object('address', jsonb_build_array('Street ' || h, 'Street ' || (h + 1)),
                       'phone', jsonb_build_array('+995 555 ' || lpad(h::text, 6, '0'), '')),
    '', timestamptz '2026-01-01' + (h || ' seconds')::interval, NULL,
    (SELECT id FROM django_content_type WHERE app_label = 'registry' AND model = 'household'),
    '10.0.0.1', NULL, md5(h::text)
FROM generate_series(%s::int, %s::int) AS h
"""


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def audit_rows_fill(params: dict, target: int) -> int:
    with backups.connect(params, autocommit=True) as conn:
        have = conn.execute("SELECT count(*) FROM auditlog_logentry").fetchone()[0]
        if have < target:
            conn.execute(SYNTHETIC_AUDIT, [have + 1, target])
            conn.execute("ANALYZE auditlog_logentry")
        return max(have, target)


def documents_write(root: Path, count: int) -> int:
    """Files shaped like applicants' uploads: random bytes (so no compression flatters them)."""
    rng = __import__("random").Random(2026)
    total = 0
    for i in range(count):
        folder = root / "applications" / str(i // 5)
        folder.mkdir(parents=True, exist_ok=True)
        size = rng.randint(64, 512) * 1024
        (folder / f"{i:08x}").write_bytes(os.urandom(size))
        total += size
    return total


def timed(command: list, env: dict) -> float:
    clock = time.monotonic()
    subprocess.run([str(part) for part in command], env=env, check=True)  # noqa: S603
    return time.monotonic() - clock


def mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audit-rows", type=int, default=1_000_000)
    parser.add_argument("--documents", type=int, default=2_000)
    parser.add_argument("--jobs", type=int, default=2, help="pg_restore's parallel jobs")
    args = parser.parse_args()
    params = backups.database_params()
    source = params["dbname"]
    if "bench" not in source:
        raise SystemExit(
            f"Refusing {source!r}: the benchmark database's name must contain 'bench'."
        )
    scratch = Path(tempfile.mkdtemp(prefix="zrunva-backup-bench-", dir=os.environ.get("TMPDIR")))
    plain_db, drill_db = f"{source}_plain", f"{source}_restored"
    try:
        audit = audit_rows_fill(params, args.audit_rows)
        roots = {"media": scratch / "media", "private": scratch / "private"}
        document_bytes = documents_write(roots["private"], args.documents)
        with backups.connect(params) as conn:
            server = conn.execute("SHOW server_version").fetchone()[0]
            size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
            households = conn.execute("SELECT count(*) FROM registry_household").fetchone()[0]
            people = conn.execute("SELECT count(*) FROM registry_person").fetchone()[0]
        print(f"Python {platform.python_version()}, PostgreSQL {server}, {os.cpu_count()} cores")
        print(
            f"Database {source}: {mib(size)}, {households:,} households, {people:,} people, "
            f"{audit:,} audit rows; {args.documents:,} documents, {mib(document_bytes)}"
        )
        print(f"Load average at start (1, 5, 15 min): {load()}")

        env = backups.tool_env(params)
        for name in (plain_db, drill_db):
            backups.database_drop(params, name)
        dump = scratch / "plain.dump"
        dump_s = timed(["pg_dump", "--format=custom", "--file", dump], env)
        with backups.connect({**params, "dbname": "postgres"}, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{plain_db}"')
        restore_s = timed(
            ["pg_restore", "--exit-on-error", f"--jobs={args.jobs}", f"--dbname={plain_db}", dump],
            env,
        )
        clock = time.monotonic()
        with backups.connect({**params, "dbname": plain_db}, autocommit=True) as conn:
            conn.execute("ANALYZE")
        analyze_s = time.monotonic() - clock
        backups.database_drop(params, plain_db)
        print(f"\nPlain pg_dump -Fc + pg_restore --jobs {args.jobs} (load {load()}):")
        print(f"  pg_dump                       {dump_s:7.1f} s  {mib(dump.stat().st_size)}")
        print(f"  pg_restore (indexes built)    {restore_s:7.1f} s")
        print(f"  ANALYZE                       {analyze_s:7.1f} s")
        dump.unlink()

        clock = time.monotonic()
        folder = backups.backup_create(target=scratch / "backups", params=params, roots=roots)
        backup_s = time.monotonic() - clock
        manifest = backups.backup_check(folder)
        files = manifest["files"]
        took = manifest["seconds"]
        print(f"\nmanage.py backup (load {load()}):")
        print(
            f"  pg_dump (exported snapshot)   {took['pg_dump']:7.1f} s  "
            f"{mib(files[backups.DUMP]['bytes'])}"
        )
        print(
            f"  row counts + audit digest     {took['counts_and_audit_digest']:7.1f} s  "
            f"{len(manifest['tables'])} tables"
        )
        print(
            f"  documents' archive            {took['documents']:7.1f} s  "
            f"{mib(files[backups.DOCUMENTS]['bytes'])}"
        )
        print(f"  total (with roles, SHA256SUMS) {backup_s:6.1f} s")

        restore_roots = {name: scratch / "restored" / name for name in roots}
        clock = time.monotonic()
        restored = backups.backup_restore(
            folder=folder, params=params, dbname=drill_db, roots=restore_roots, jobs=args.jobs
        )
        usable_s = time.monotonic() - clock
        clock = time.monotonic()
        comparison = backups.backup_compare(
            manifest=restored["manifest"],
            params={**params, "dbname": drill_db},
            roots=restore_roots,
        )
        compare_s = time.monotonic() - clock
        took = restored["seconds"]
        print(f"\nmanage.py restore (load {load()}):")
        print(f"  pg_restore (indexes built)    {took['pg_restore']:7.1f} s")
        print(f"  ANALYZE                       {took['analyze']:7.1f} s")
        print(f"  documents                     {took['documents']:7.1f} s")
        print(f"  usable (all of the above)     {usable_s:7.1f} s")
        print(
            f"  compare with the manifest     {compare_s:7.1f} s  "
            f"{'same' if comparison.same else comparison.differences}"
        )
        print(f"\nLoad average at end: {load()}")
    finally:
        for name in (plain_db, drill_db):
            backups.database_drop(params, name)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
