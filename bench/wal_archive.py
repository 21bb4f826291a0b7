"""Base backup plus WAL archiving, drilled on a throw-away PostgreSQL cluster: recovery point and
recovery time for the 1M-household registry.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_backup_bench \\
        .venv/bin/python bench/wal_archive.py [--writes 500000]

Never touches the server of DATABASE_URL except to read the database with pg_dump. Steps:
1. `initdb` a new cluster in a temporary folder and start it on a free port (as the postgres OS
   user when run as root); load the database of DATABASE_URL into it (`pg_dump | pg_restore`,
   not timed, archiving off);
2. restart it with WAL archiving on (`archive_mode = on`, `archive_command` copying each finished
   segment into an archive folder, `archive_timeout = 60`), and take a base backup with
   `pg_basebackup` (timed, size);
3. a day's work after the base backup: --writes audit rows (a household update's shape); force the
   segment out (`pg_switch_wal()`), wait until it is archived, record every table's row count and
   the audit digest; then commit one more row that only the live WAL holds;
4. crash (`pg_ctl stop -m immediate`) and lose the data folder; restore the base backup, set
   `restore_command` and `recovery.signal`, start, and time until the server is out of recovery
   and accepts writes; compare the row counts and the audit digest with step 3's, and check that
   the last row (never archived) is the one lost: the recovery point.
The temporary cluster is stopped and removed at the end. See bench/README.md.
"""

import argparse
import os
import shutil
import socket
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

sys.path.insert(0, str(ROOT / "bench"))
from backup import SYNTHETIC_AUDIT, load, mib  # noqa: E402

# initdb and pg_ctl are often off PATH (Debian keeps them in /usr/lib/postgresql/<version>/bin).
BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
AS_POSTGRES = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def pg(*command, **kwargs) -> subprocess.CompletedProcess:
    """A server program as the cluster's owner."""
    return subprocess.run(  # noqa: S603
        [*AS_POSTGRES, shutil.which(command[0]) or str(BIN / command[0]), *map(str, command[1:])],
        check=True,
        **kwargs,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=500_000, help="audit rows after the base")
    args = parser.parse_args()
    source = backups.database_params()
    work = Path(tempfile.mkdtemp(prefix="zrunva-wal-", dir=os.environ.get("TMPDIR")))
    data, base, archive = work / "data", work / "base", work / "archive"
    archive.mkdir()
    if AS_POSTGRES:
        shutil.chown(work, "postgres")
        shutil.chown(archive, "postgres")
    port = free_port()
    cluster = {"host": "127.0.0.1", "port": str(port), "user": "postgres", "dbname": "postgres"}
    db = {**cluster, "dbname": "zrunva_wal"}
    log = work / "server.log"
    started = False
    try:
        pg("initdb", "-D", data, "-U", "postgres", "--auth=trust", stdout=subprocess.DEVNULL)
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{work}'\nwal_level = replica\n"
                "max_wal_size = '1GB'\n"
            )
        pg("pg_ctl", "-D", data, "-l", log, "-w", "start", stdout=subprocess.DEVNULL)
        started = True
        with backups.connect(cluster, autocommit=True) as conn:
            conn.execute("CREATE DATABASE zrunva_wal")
        clock = time.monotonic()
        dump = subprocess.Popen(  # noqa: S603
            ["pg_dump", "--format=custom"],  # noqa: S607
            env=backups.tool_env(source),
            stdout=subprocess.PIPE,
        )
        subprocess.run(  # noqa: S603
            ["pg_restore", "--exit-on-error", "--dbname=zrunva_wal"],  # noqa: S607
            env=backups.tool_env(db),
            stdin=dump.stdout,
            check=True,
        )
        dump.wait()
        print(f"Loaded {source['dbname']} into a new cluster in {time.monotonic() - clock:.0f} s")

        with open(data / "postgresql.conf", "a") as conf:
            conf.write(
                "archive_mode = on\narchive_timeout = 60\n"
                f"archive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f'\n"
            )
        pg("pg_ctl", "-D", data, "-l", log, "-w", "restart", stdout=subprocess.DEVNULL)
        with backups.connect(db) as conn:
            size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        print(f"Database {mib(size)}; load average {load()}")

        clock = time.monotonic()
        pg(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            port,
            "-U",
            "postgres",
            "-D",
            base,
            "--checkpoint=fast",
            "--wal-method=stream",
        )
        base_s = time.monotonic() - clock
        print(
            f"pg_basebackup (plain, WAL streamed): {base_s:.1f} s, {mib(folder_bytes(base))}; "
            f"load {load()}"
        )

        with backups.connect(db, autocommit=True) as conn:
            have = conn.execute("SELECT max(id) FROM auditlog_logentry").fetchone()[0] or 0
            clock = time.monotonic()
            conn.execute(SYNTHETIC_AUDIT, [have + 1, have + args.writes])
            print(
                f"{args.writes:,} audit rows written after the base backup in "
                f"{time.monotonic() - clock:.1f} s"
            )
            segment = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()[0]
            while (
                conn.execute(
                    "SELECT coalesce(last_archived_wal >= %s, false) FROM pg_stat_archiver",
                    [segment],
                ).fetchone()[0]
                is False
            ):
                time.sleep(0.2)
            counts = backups.row_counts(conn)
            audit = backups.audit_digest(conn)
            conn.execute("CREATE TABLE drill_unarchived (at timestamptz DEFAULT now())")
            conn.execute("INSERT INTO drill_unarchived DEFAULT VALUES")
        print(f"Archive: {len(list(archive.iterdir()))} segments, {mib(folder_bytes(archive))}")

        pg("pg_ctl", "-D", data, "-m", "immediate", "stop", stdout=subprocess.DEVNULL)
        started = False
        shutil.rmtree(data)
        clock = time.monotonic()
        subprocess.run([*AS_POSTGRES, "cp", "-a", str(base), str(data)], check=True)  # noqa: S603, S607
        copy_s = time.monotonic() - clock
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(f"restore_command = 'cp {archive}/%f %p'\n")
        (data / "recovery.signal").touch()
        if AS_POSTGRES:
            shutil.chown(data / "recovery.signal", "postgres")
        pg("pg_ctl", "-D", data, "-l", log, "-w", "start", stdout=subprocess.DEVNULL)
        started = True
        with backups.connect(cluster, autocommit=True) as conn:
            while conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                time.sleep(0.2)
        recover_s = time.monotonic() - clock - copy_s
        with backups.connect(db, autocommit=True) as conn:
            same_counts = backups.row_counts(conn) == counts
            same_audit = backups.audit_digest(conn) == audit
            lost = not conn.execute(
                "SELECT 1 FROM pg_class WHERE relname = 'drill_unarchived'"
            ).fetchone()
        print(
            f"Restore: copy of the base backup {copy_s:.1f} s, WAL replay until writable "
            f"{recover_s:.1f} s, total {copy_s + recover_s:.1f} s; load {load()}"
        )
        print(
            f"Row counts of {len(counts)} tables the same: {same_counts}; audit digest "
            f"({audit['rows']:,} rows) the same: {same_audit}; the row committed after the "
            f"last archived segment lost: {lost}"
        )
        if not (same_counts and same_audit):
            raise SystemExit("The recovered cluster differs from the archived state.")
    finally:
        if started:
            pg("pg_ctl", "-D", data, "-m", "fast", "stop", stdout=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
