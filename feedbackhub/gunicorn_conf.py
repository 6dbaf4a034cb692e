"""gunicorn's configuration for the web role: `gunicorn -c feedbackhub/gunicorn_conf.py feedbackhub.wsgi`.

``manage.py run_hub`` (every role that serves the web) and the image (deploy/Dockerfile) start gunicorn with this
file; its command line may still override any value (run_hub passes ``--bind`` and, when asked, ``--workers``), and so
may ``GUNICORN_CMD_ARGS`` (gunicorn's own variable, e.g. ``GUNICORN_CMD_ARGS="--timeout 60"``).

Read by file path, not as ``feedbackhub.gunicorn_conf``: importing the package would load Celery into gunicorn's
master. So this module uses the standard library only, except for JSON logs (``LOG_FORMAT=json``, the production
default): their formatter is feedbackhub.logs, and importing it loads the package, Celery's app included, into the
master (about the size of one more import; the workers load it anyway).

- **bind**: ``HOST`` (default 127.0.0.1; the image sets 0.0.0.0) and ``PORT`` (default 8000).
- **workers**: ``WEB_CONCURRENCY`` when set, else ``min(2 × cores + 1, 8)``. The hub's requests mostly wait on
  PostgreSQL (admin lists, API pages, exports queued to workers): a sync worker waiting on the database uses no CPU,
  so gunicorn's rule of two workers per core plus one keeps the cores busy while the others wait. The cap of 8 is
  for the database and memory: every worker keeps its own persistent connection (DB_CONN_MAX_AGE), so web hosts ×
  workers + Celery pool processes must stay under PostgreSQL's max_connections (100 by default, often less on a
  small managed plan), and each worker holds the whole Django project (180 MB resident, 140 MB of it its own,
  measured here after 20 admin pages; the master 36 MB). More throughput: add web hosts or replicas behind the
  load balancer. ``cores`` honours the CPU set and a cgroup CPU quota (``--cpus 2`` on a 64-core host counts 2).
- **timeout** 30 s: above the web role's 15 s database statement timeout (feedbackhub.db_settings), so a slow query
  ends as a clean error first; a worker stuck elsewhere (a hung socket) is killed and replaced after 30 s.
  **graceful_timeout** 30 s: on SIGTERM (a deploy) requests in flight get 30 s to finish; give the container or unit
  more than that to stop (compose's stop_grace_period, systemd's TimeoutStopSec).
- **max_requests** 1000 with a jitter of 100: each worker is replaced after 1000-1100 requests, so slow growth
  (caches, fragmentation) is bounded, and the workers do not all restart at once.
- **access log** to stdout: one JSON object per request when ``LOG_FORMAT`` is json (the default with DEBUG off) with
  the request id the hub returned (X-Request-ID, feedbackhub.logs), so access lines join the application's lines;
  Apache's combined format otherwise. gunicorn's own messages go to stderr, in JSON too when LOG_FORMAT is json.
- **forwarded_allow_ips**: gunicorn trusts X-Forwarded-* only from ``FORWARDED_ALLOW_IPS`` (gunicorn's variable,
  default 127.0.0.1,::1): set it to the load balancer's addresses. Django reads X-Forwarded-Proto itself
  (SECURE_PROXY_SSL_HEADER), from anyone: publish the web port only to the load balancer, and have the load balancer
  overwrite that header.
- **Prometheus**: several workers share their metrics through files in ``PROMETHEUS_MULTIPROC_DIR``
  (feedbackhub.metrics). When it is unset and there is more than one worker, a private folder is made at start and
  removed at exit; a folder given is emptied of the previous run's files at start (prometheus-client asks for that).
  ``child_exit`` tells prometheus-client that a worker died (``mark_process_dead``), so its live gauges go away.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from pathlib import Path

from gunicorn import glogging

MAX_AUTO_WORKERS = 8
TRUE = {"1", "true", "yes", "on"}


# --- Sizing -------------------------------------------------------------------------------------------------------


def cgroup_cpu_limit(root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """The CPU quota of this cgroup in cores (cgroup v2 ``cpu.max``, or v1's CFS quota), None when unlimited."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        if quota != "max":
            return int(quota) / int(period)
        return None
    except (OSError, ValueError):
        pass
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None


def available_cores(root: Path = Path("/sys/fs/cgroup")) -> int:
    """The cores this process may use: its CPU set, lowered to the cgroup quota (rounded up), at least 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    limit = cgroup_cpu_limit(root)
    if limit is not None:
        cores = min(cores, math.ceil(limit))
    return max(1, cores)


def web_workers(environ=os.environ, cores: int | None = None) -> int:
    """WEB_CONCURRENCY, else 2 × cores + 1 capped at MAX_AUTO_WORKERS (see the module's docstring for why)."""
    raw = (environ.get("WEB_CONCURRENCY") or "").strip()
    if raw:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"WEB_CONCURRENCY={raw!r} is not a whole number of web workers") from None
        if value < 1:
            raise ValueError(f"WEB_CONCURRENCY={raw!r}: at least 1 web worker")
        return value
    cores = available_cores() if cores is None else cores
    return min(2 * cores + 1, MAX_AUTO_WORKERS)


def log_format(environ=os.environ) -> str:
    """LOG_FORMAT as settings.py reads it: json or text; by default text with DEBUG on, json otherwise."""
    value = (environ.get("LOG_FORMAT") or "").strip().lower()
    if value:
        return value
    return "text" if (environ.get("DEBUG") or "").strip().lower() in TRUE else "json"


# --- Logs ---------------------------------------------------------------------------------------------------------


class JsonLogger(glogging.Logger):
    """gunicorn's logger writing JSON lines: the access log one object per request, the error log through the hub's
    JsonFormatter (time, level, logger, message, request_id and the extra fields)."""

    def setup(self, cfg):
        super().setup(cfg)
        from feedbackhub.logs import JsonFormatter

        for handler in self.error_log.handlers + self.access_log.handlers:
            if getattr(handler, "_gunicorn", False):
                handler.setFormatter(JsonFormatter())

    def access(self, resp, req, environ, request_time):
        if not self.cfg.accesslog:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        status = atoms["s"]
        fields = {
            "method": atoms["m"],
            "path": atoms["U"],
            "query": atoms["q"] or "",
            "status": int(status) if str(status).isdigit() else status,
            "bytes": atoms["B"],
            "duration_ms": round(atoms["D"] / 1000, 1),
            "remote_addr": atoms["h"],
            "user_agent": atoms["a"],
            "referer": atoms["f"],
            "request_id": atoms.get("{x-request-id}o"),
        }
        try:
            self.access_log.info("%s %s %s", atoms["m"], atoms["U"], status, extra=fields)
        except Exception:
            self.exception("access log line not written")


# --- Prometheus multiprocess mode ---------------------------------------------------------------------------------


def prepare_metrics_dir(environ=os.environ, workers: int = 1) -> Path | None:
    """Empty PROMETHEUS_MULTIPROC_DIR of a previous run's files, or make a private one for several workers (exported
    for the workers forked after this). Returns the folder this call made (to remove at exit), or None."""
    configured = environ.get("PROMETHEUS_MULTIPROC_DIR")
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
        return None
    if workers <= 1:
        return None
    made = Path(tempfile.mkdtemp(prefix="feedbackhub-prometheus-"))
    environ["PROMETHEUS_MULTIPROC_DIR"] = str(made)
    return made


_multiprocess = None  # prometheus_client.multiprocess, imported by on_starting for child_exit


def on_starting(server):
    global _multiprocess
    server.feedbackhub_metrics_dir = prepare_metrics_dir(os.environ, server.cfg.workers)
    # Imported here, in the master once PROMETHEUS_MULTIPROC_DIR is settled (prometheus_client picks its mode from it
    # when first imported, so never at the top of this file), and not in child_exit: see there.
    from prometheus_client import multiprocess

    _multiprocess = multiprocess


def child_exit(server, worker):
    """A worker ended (replaced after max_requests, killed by the timeout, or at shutdown): its live gauges go.

    This runs in the master's SIGCHLD handler, which another worker's exit can re-enter: an import made here was once
    caught half done by that re-entry ("partially initialized module 'prometheus_client.multiprocess'", the master
    exiting 1 at shutdown), so it imports nothing."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR") and _multiprocess is not None:
        _multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    made = getattr(server, "feedbackhub_metrics_dir", None)
    if made is not None:
        shutil.rmtree(made, ignore_errors=True)


# --- The settings gunicorn reads ----------------------------------------------------------------------------------

bind = f"{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or 8000}"
workers = web_workers()
worker_class = "sync"
timeout = 30
graceful_timeout = 30
keepalive = 5  # only used by async workers; sync workers close each connection (the load balancer pools them)
max_requests = 1000
max_requests_jitter = 100
# The workers' heartbeat files: on tmpfs when there is one (a container's /tmp may be on an overlay disk whose
# writes can stall, and gunicorn then kills healthy workers).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
accesslog = "-"
errorlog = "-"
loglevel = (os.environ.get("LOG_LEVEL") or "info").lower()
if log_format() == "json":
    logger_class = JsonLogger
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proc_name = "feedbackhub-web"
