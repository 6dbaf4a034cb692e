"""`manage.py services start|stop|status`: the embedded PostgreSQL and Redis of this checkout."""

from django.core.management.base import BaseCommand, CommandError

from feedbackhub import embedded


class Command(BaseCommand):
    help = "Start, stop or show the embedded PostgreSQL and Redis (used when DATABASE_URL / REDIS_URL are unset)."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["start", "stop", "status"])

    def handle(self, *args, action: str, **options):
        try:
            root = embedded.data_dir()
            if action == "start":
                started = embedded.ensure_services(quiet=True)
                self.stdout.write(f"Started: {', '.join(started)}" if started else "Already running.")
            elif action == "stop":
                stopped = embedded.stop_services()
                self.stdout.write(f"Stopped: {', '.join(stopped)}" if stopped else "Nothing was running.")
        except embedded.EmbeddedServiceError as error:
            raise CommandError(str(error)) from error
        lay = embedded.layout(root)
        pg = "running" if embedded.postgres_is_ready(root) else "stopped"
        redis = "running" if embedded.redis_is_ready(root) else "stopped"
        self.stdout.write(f"PostgreSQL: {pg}  ({lay.pgdata}, socket in {lay.pg_socket_dir})")
        self.stdout.write(f"Redis:      {redis}  ({lay.redis_socket})")
