"""`manage.py run_hub`: the whole hub in one terminal — services, migrations, demo data, web, worker and beat.

Ctrl-C (or SIGTERM) stops the web server, the Celery worker and beat, then the embedded PostgreSQL and Redis that
this start started (servers that were already running, e.g. from `manage.py services start`, keep running).

`--role` runs one part of the hub, for production on several machines (deploy/README.md), against the DATABASE_URL
and REDIS_URL of the environment (no embedded server is started): `web` (gunicorn with feedbackhub/gunicorn_conf.py),
`worker` (Celery; `--queues triage,default`, `--concurrency N`), `beat` (the locked scheduler) each replace this
process with theirs, in the foreground; `migrate` applies the migrations, collects the static files (DEBUG off) and
creates the superuser of the environment, then exits — run it once per release before the others start.

With DEBUG off (production) the demo data is refused: run with --no-demo and create the first superuser with
`createsuperuser`, or let run_hub create it from DJANGO_SUPERUSER_USERNAME / DJANGO_SUPERUSER_PASSWORD
(DJANGO_SUPERUSER_EMAIL optional), Django's own variables for `createsuperuser --noinput`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from feedbackhub import embedded, hub_processes

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
SUPERUSER_HOWTO = (
    "Create the first superuser with `python manage.py createsuperuser`, or set DJANGO_SUPERUSER_USERNAME and "
    "DJANGO_SUPERUSER_PASSWORD (DJANGO_SUPERUSER_EMAIL optional) and run_hub creates it on start."
)
DEMO_REFUSED = (
    "DEBUG is off (production): the demo data is for development only and is not loaded into a real database. "
    "Run `python manage.py run_hub --no-demo`. " + SUPERUSER_HOWTO
)


class Command(BaseCommand):
    help = "Start the whole hub: embedded services (if no DATABASE_URL/REDIS_URL), web, Celery worker and beat."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
        parser.add_argument(
            "--no-demo", action="store_true", help="Do not load the demo data (required when DEBUG is off)."
        )
        parser.add_argument(
            "--web-workers",
            type=int,
            default=None,
            help="gunicorn workers (default: WEB_CONCURRENCY; else 2 with no role, the config's formula for web).",
        )
        parser.add_argument(
            "--role",
            default="all",
            choices=hub_processes.ROLES,
            help="all (default: everything on embedded services), or one part against DATABASE_URL/REDIS_URL.",
        )
        parser.add_argument("--queues", default=None, help="--role worker: comma-separated queues (default: all).")
        parser.add_argument(
            "--concurrency", type=int, default=None, help="--role worker: pool processes (default: cores)."
        )
        parser.add_argument(
            "--no-collectstatic", action="store_true", help="--role migrate: skip collectstatic (an image has them)."
        )

    def handle(self, *args, host: str, port: int, no_demo: bool, web_workers: int | None, role: str, **options):
        try:
            hub_processes.check_role_arguments(
                role, queues=options["queues"], concurrency=options["concurrency"], environ=os.environ
            )
        except hub_processes.RoleError as error:
            raise CommandError(str(error)) from error
        if role == "migrate":
            self.migrate(collectstatic=not options["no_collectstatic"])
            return
        if role != "all":
            self.run_role(role, host=host, port=port, web_workers=web_workers, **options)
            return
        if web_workers is None:
            web_workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
        self.stopping = False
        self.children: dict[str, subprocess.Popen] = {}
        self.started_services: list[str] = []  # the embedded servers this start started, and so stops
        self.demo_loaded = False
        if not settings.DEBUG and not no_demo:
            raise CommandError(DEMO_REFUSED)
        if not 0 < port < 65536:
            raise CommandError(f"PORT={port} is not a TCP port (1-65535).")
        if not port_is_free(host, port):
            raise CommandError(
                f"Port {port} on {host} is already in use: stop what uses it or run `PORT=8001 make run`."
            )
        for sig in STOP_SIGNALS:
            signal.signal(sig, self.request_stop)
        try:
            self.prepare(no_demo=no_demo)
            if self.stopping:
                return
            self.start_children(host=host, port=port, web_workers=web_workers)
            self.wait_until_web_answers(host=host, port=port)
            if not self.stopping:
                self.print_banner(host=host, port=port)
                self.supervise()
        finally:
            self.stop_children()
            self.stop_own_services()
            self.stdout.write("FeedbackHub stopped.")

    def request_stop(self, signum, frame) -> None:
        """First Ctrl-C: stop cleanly. The children got the same signal from the terminal and are shutting down."""
        if not self.stopping:
            self.stdout.write("\nStopping FeedbackHub…")
        self.stopping = True

    def migrate(self, *, collectstatic: bool) -> None:
        """The one-off step of a release: migrations, static files (DEBUG off), the superuser of the environment."""
        self.stdout.write("Applying migrations…")
        call_command("migrate", interactive=False, verbosity=1)
        if collectstatic and not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
            self.stdout.write(f"Static files collected in {settings.STATIC_ROOT}.")
        self.create_superuser_from_environment()
        self.stdout.write("Migrations applied: web, worker and beat can start.")

    def run_role(self, role: str, *, host: str, port: int, web_workers: int | None, **options) -> None:
        """Become the one process of ``role`` (web, worker or beat), in the foreground."""
        if role == "web":
            if not 0 < port < 65536:
                raise CommandError(f"PORT={port} is not a TCP port (1-65535).")
            if not port_is_free(host, port):
                raise CommandError(f"Port {port} on {host} is already in use: stop what uses it or set PORT.")
        process = hub_processes.role_process(
            role,
            host=host,
            port=port,
            web_workers=web_workers,
            queues=options["queues"],
            concurrency=options["concurrency"],
        )
        self.stdout.write(f"Starting the {role} role: {' '.join(process.argv)}")
        hub_processes.exec_process(process)

    def prepare(self, *, no_demo: bool) -> None:
        """Start embedded services, migrate, collect static files, create the superuser of the environment, load the
        demo data once (development only)."""
        try:
            self.started_services = embedded.ensure_services(quiet=True)
        except embedded.EmbeddedServiceError as error:
            raise CommandError(str(error)) from error
        if self.started_services:
            self.stdout.write(f"Started embedded {' and '.join(self.started_services)} ({embedded.data_dir()}).")
        self.stdout.write("Applying migrations…")
        call_command("migrate", interactive=False, verbosity=0)
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        self.create_superuser_from_environment()
        if not no_demo:
            call_command("load_demo")  # loads it, or says it is already there: either way the demo is present
            self.demo_loaded = True

    def create_superuser_from_environment(self) -> None:
        """Create the superuser named by DJANGO_SUPERUSER_USERNAME (with DJANGO_SUPERUSER_PASSWORD) unless it exists."""
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        if not username.strip() and not password:
            return
        if not username.strip() or not password:
            self.stderr.write(
                "Not creating a superuser: set both DJANGO_SUPERUSER_USERNAME and DJANGO_SUPERUSER_PASSWORD."
            )
            return
        user_model = get_user_model()
        if user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).exists():
            return
        options = {user_model.USERNAME_FIELD: username}
        if "email" in user_model.REQUIRED_FIELDS:
            options["email"] = os.environ.get("DJANGO_SUPERUSER_EMAIL", "")  # "" = none: the variable is optional
        call_command("createsuperuser", interactive=False, verbosity=0, **options)
        self.stdout.write(f"Created superuser {username} (from DJANGO_SUPERUSER_USERNAME).")

    def stop_own_services(self) -> None:
        """Stop the embedded servers this start started; leave running those that were already running."""
        stoppers = {"PostgreSQL": embedded.stop_postgres, "Redis": embedded.stop_redis}
        stopped = []
        for name in self.started_services:
            try:
                if stoppers[name]():
                    stopped.append(name)
            except embedded.EmbeddedServiceError as error:
                self.stderr.write(f"Could not stop embedded {name}: {error}")
        if stopped:
            self.stdout.write(f"Stopped embedded {' and '.join(stopped)}.")

    def start_children(self, *, host: str, port: int, web_workers: int) -> None:
        """Start gunicorn, the Celery worker (every queue) and Celery beat with this environment."""
        processes = {
            "web": hub_processes.web(host=host, port=port, workers=web_workers),
            "worker": hub_processes.worker(concurrency=2, name=f"hub-{port}@%h"),
            "beat": hub_processes.beat(),
        }
        for name, process in processes.items():
            env = hub_processes.environment(process)
            self.children[name] = subprocess.Popen(
                process.argv, cwd=settings.BASE_DIR, stdin=subprocess.DEVNULL, env=env
            )

    def wait_until_web_answers(self, *, host: str, port: int, timeout: float = 60) -> None:
        """Poll the login page until it answers 200 (or a child dies, or the user stops)."""
        url = f"http://{host}:{port}/admin/login/"
        deadline = time.monotonic() + timeout
        while not self.stopping and time.monotonic() < deadline:
            self.check_children()
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        if not self.stopping:
            raise CommandError(f"The web server did not answer on {url} within {timeout:.0f} s.")

    def print_banner(self, *, host: str, port: int) -> None:
        """The URL, and the demo login only when the demo data is present (loaded or found by this start)."""
        shown_host = "127.0.0.1" if host in {"0.0.0.0", ""} else host
        env_superuser = os.environ.get("DJANGO_SUPERUSER_USERNAME", "").strip()
        if self.demo_loaded:
            login = "Demo login:              admin / admin"
        elif env_superuser:
            login = f"Log in as {env_superuser} (DJANGO_SUPERUSER_USERNAME) or another superuser you created."
        else:
            login = "Log in with the superuser you created (`python manage.py createsuperuser`)."
        stops = "them"
        if self.started_services:
            stops += f" and the embedded {' and '.join(self.started_services)}"
        self.stdout.write(
            self.style.SUCCESS(
                "\n"
                f"  FeedbackHub is running:  http://{shown_host}:{port}/admin/\n"
                f"  {login}\n"
                f"  Web, Celery worker and beat are up. Ctrl-C stops {stops}.\n"
            )
        )

    def supervise(self) -> None:
        """Wait for Ctrl-C; if a child dies on its own, stop everything and say which one."""
        while not self.stopping:
            self.check_children()
            time.sleep(0.5)

    def check_children(self) -> None:
        for name, child in self.children.items():
            code = child.poll()
            if code is not None and not self.stopping:
                raise CommandError(f"The {name} process exited with code {code}; stopping the hub (see its log above).")

    def stop_children(self, timeout: float = 20) -> None:
        """SIGTERM every child still running, wait, then SIGKILL the stragglers."""
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children.values():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def port_is_free(host: str, port: int) -> bool:
    """True if nothing listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True
