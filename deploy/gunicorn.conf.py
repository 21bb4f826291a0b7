"""gunicorn's settings for the web process (`deploy/entrypoint.sh web`), from the environment."""

import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# A request still running after this many seconds is killed with its worker (a stuck query).
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
# Only the proxy reaches the web process (compose's network); it sets X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The heartbeat file of each worker on memory, not on the container's overlay disk.
shm = "/dev/shm"  # noqa: S108 - gunicorn's own files, each opened with a unique name
worker_tmp_dir = shm if os.path.isdir(shm) else None
# The access log gives the path without its query string: searches carry personal numbers.
accesslog = "-"
access_log_format = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms'

# Request metrics from every gunicorn process, not only the one a scrape reaches: with
# PROMETHEUS_MULTIPROC_DIR set (the entry point empties it at start), prometheus_client adds up
# the processes' files, and a process that exits leaves its gauges out.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):

    def child_exit(server, worker):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
