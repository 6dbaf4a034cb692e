"""``manage.py listen_community [--watch ID]``: fetch every enabled community watch (or one) now, with progress.

What the half-hourly task does (``integrations.community_tasks``), in the foreground: per watch and query, what was
fetched, new and off topic, then what became items. Exit status 1 when a watch failed (its error is printed and
stored on the watch; its cursor did not move, so the next run asks again).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from integrations import community
from integrations.models import CommunityWatch


class Command(BaseCommand):
    help = "Fetch the community watches (Hacker News, Discourse) now: new posts naming the queries become feedback."

    def add_arguments(self, parser):
        parser.add_argument("--watch", type=int, help="Only this watch (its id; a disabled watch runs too).")

    def handle(self, *args, watch: int | None = None, **options):
        if watch is not None:
            watches = list(CommunityWatch.objects.filter(pk=watch))
            if not watches:
                raise CommandError(f"No community watch has id {watch}.")
        else:
            watches = list(CommunityWatch.objects.filter(enabled=True).order_by("pk"))
            if not watches:
                self.stdout.write("No enabled community watch: add one in the admin (Community watches).")
                return
        failed = []
        for number, item in enumerate(watches, start=1):
            self.stdout.write(f"[{number}/{len(watches)}] {item.name} ({item.get_source_display()}, {item.base_url})")
            outcome = community.fetch_watch(watch=item, progress=self.stdout.write)
            if outcome.status == community.BUSY:
                self.stdout.write("  another worker is fetching it right now: skipped.")
            elif outcome.error:
                self.stderr.write(f"  {outcome.status}: {outcome.error}")
                failed.append(item.name)
        if failed:
            raise CommandError(f"{len(failed)} watch(es) had failures: {', '.join(failed)} (cursors kept).")
