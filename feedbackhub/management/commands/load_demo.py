"""`manage.py load_demo [--reset]`: a realistic demo company, loaded once, the same every time."""

from django.core.management.base import BaseCommand

from feedbackhub.demo import builder
from feedbackhub.demo import vocabulary as V


class Command(BaseCommand):
    help = (
        "Load the demo company (staff users and groups, 240 customers with usage, 5,000 feedback items, 20 themes, "
        "12 launches with checklists). Does nothing if it is already loaded; --reset deletes and reloads it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete all feedback, themes, launches, customers, usage and demo users first, then reload.",
        )
        parser.add_argument("--seed", type=int, default=builder.DEMO_SEED, help="Random seed (same seed, same data).")

    def handle(self, *args, reset: bool, seed: int, **options):
        result = builder.load_demo(seed=seed, reset=reset)
        if result is None:
            self.stdout.write("Demo data already loaded (run with --reset to delete it and load it again).")
            return
        width = max(len(name) for name in result.counts)
        for name, count in result.counts.items():
            self.stdout.write(f"  {name:<{width}}  {count:>6,}")
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {result.seconds:.1f} s."))
        if result.admin_created:
            self.stdout.write(f"Log in to the admin as {V.ADMIN_USERNAME} / {V.ADMIN_PASSWORD}.")
        else:
            self.stdout.write(f"Log in to the admin as {V.ADMIN_USERNAME} (existing user, password unchanged).")
        self.stdout.write(
            f"The other demo users (e.g. {V.PEOPLE[0].username}, {V.PEOPLE[4].username}) use the password "
            f"{V.DEMO_PASSWORD!r}."
        )
