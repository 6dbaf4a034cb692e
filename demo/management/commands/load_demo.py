"""`manage.py load_demo [--reset [--force]]`: a realistic demo company, loaded once, the same every time.

Development only: refuses when DEBUG is off. ``--reset`` refuses when the tables it empties hold rows the demo did
not create (a customer added by hand, ingested feedback), unless given ``--force``.
"""

from django.core.management.base import BaseCommand, CommandError

from demo import loader, people, safety
from demo.vocabulary import VOCABULARY as V


class Command(BaseCommand):
    help = (
        "Load the demo company (staff users in their groups, 240 customers with usage, 5,000 feedback items, "
        "20 themes, 12 launches with checklists). Development only (DEBUG on). Does nothing if it is already "
        "loaded; --reset deletes and reloads it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete all feedback, themes, launches, customers, usage and demo users first, then reload. "
            "Refuses if any of them was not created by the demo, unless --force.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="With --reset: delete rows the demo did not create as well (customers or feedback added by hand).",
        )
        parser.add_argument("--seed", type=int, default=loader.DEMO_SEED, help="Random seed (same seed, same data).")

    def handle(self, *args, reset: bool, force: bool, seed: int, **options):
        safety.require_development(safety.DEMO_REFUSED)
        if force and not reset:
            raise CommandError("--force only goes with --reset (it lets --reset delete rows the demo did not create).")
        try:
            result = loader.load_demo(seed=seed, reset=reset, force=force, stdout=self.stdout)
        except safety.NotDemoData as error:
            raise CommandError(str(error)) from None
        if result is None:
            self.stdout.write("Demo data already loaded (run with --reset to delete it and load it again).")
            return
        width = max(len(name) for name in result.counts)
        for name, count in result.counts.items():
            self.stdout.write(f"  {name:<{width}}  {count:>6,}")
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {result.seconds:.1f} s."))
        if result.admin_created:
            self.stdout.write(f"Log in to the admin as {people.ADMIN_USERNAME} / {people.ADMIN_PASSWORD}.")
        else:
            self.stdout.write(f"Log in to the admin as {people.ADMIN_USERNAME} (existing user, password unchanged).")
        self.stdout.write(
            f"The other demo users (e.g. {V.people[0].username}, {V.people[4].username}) use the password "
            f"{people.DEMO_PASSWORD!r}."
        )
