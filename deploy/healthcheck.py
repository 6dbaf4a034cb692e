"""Health checks of the hub's containers and units: `python deploy/healthcheck.py web|worker|beat` exits 0 if healthy.

- web: GET http://127.0.0.1:$PORT/healthz answers 200 (the process serves; standard library only, no curl in the
  image). Whether it may take traffic (database, migrations, Redis) is /readyz, for the load balancer.
- worker: a Celery worker of this host (its node name ends with @<hostname>, as `run_hub --role worker` names it)
  answers a ping within 2 s.
- beat: the scheduler's last tick, written by the beat holding the lock (feedbackhub.beat), is recent (under
  feedbackhub.health.BEAT_STALE_SECONDS). A standby beat is healthy while the holder ticks: what matters is that one
  beat schedules; when none does, every beat container turns unhealthy.

Run from the project folder (the image's WORKDIR); the settings come from the environment, as for the process checked.
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def web() -> bool:
    port = os.environ.get("PORT") or "8000"
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=4) as response:
        return response.status == 200


def worker() -> bool:
    from feedbackhub.celery import app

    host = socket.gethostname()
    replies = app.control.ping(timeout=2) or []  # a live worker answers in milliseconds
    return any(name.endswith(f"@{host}") for reply in replies for name in reply)


def beat() -> bool:
    import django

    django.setup()
    from feedbackhub import health

    return health.check_beat().get("ok") is True


CHECKS = {"web": web, "worker": worker, "beat": beat}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in CHECKS:
        print(f"usage: python deploy/healthcheck.py {'|'.join(CHECKS)}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(PROJECT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "feedbackhub.settings")
    try:
        healthy = CHECKS[argv[1]]()
    except Exception as error:  # unreachable, refused, timed out: unhealthy, and say why in one line
        print(f"{argv[1]}: unhealthy ({type(error).__name__}: {error})", file=sys.stderr)
        return 1
    print(f"{argv[1]}: {'healthy' if healthy else 'unhealthy'}")
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
