"""App configuration."""

from django.apps import AppConfig


class LaunchesConfig(AppConfig):
    """The launches app."""

    name = "launches"

    def ready(self) -> None:
        # Close the loop when a theme or a launch ships (launches.closing), whichever door shipped it.
        from launches import closing

        closing.subscribe_handlers()
