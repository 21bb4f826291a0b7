"""The container's health probe (`deploy/entrypoint.sh probe /healthz`): GET the path from this
container's web process and exit 0 on 200, 1 otherwise. The standard library only, so a probe
every few seconds does not load Django.

It sends the first of ALLOWED_HOSTS as the Host (Django refuses others) and plain HTTP, which
the settings let through for the health endpoints (SECURE_REDIRECT_EXEMPT)."""

import os
import sys
import urllib.error
import urllib.request


def main(path: str = "/healthz") -> int:
    port = os.environ.get("BIND", "0.0.0.0:8000").rsplit(":", 1)[1]
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",")]
    hosts = [h.lstrip(".") for h in hosts if h and h != "*"]
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        headers={"Host": hosts[0] if hosts else "localhost", "Accept": "text/plain"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - fixed URL
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as error:
        print(f"{path}: {error.code}\n{error.read().decode(errors='replace')}", file=sys.stderr)
    except OSError as error:
        print(f"{path}: {error}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
