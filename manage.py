#!/usr/bin/env python
"""Django's command-line utility. With no DATABASE_URL / REDIS_URL it starts the embedded servers first."""

import os
import sys

# Commands that never touch the database or the broker: no need to start anything for them.
OFFLINE_COMMANDS = {
    "help",
    "version",
    "--help",
    "-h",
    "--version",
    "check",
    "makemigrations",
    "startapp",
    "collectstatic",
    "services",
    "run_hub",
}


def main():
    """Run a management command."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "feedbackhub.settings")
    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    if command not in OFFLINE_COMMANDS:
        from feedbackhub.embedded import EmbeddedServiceError, ensure_services

        try:
            ensure_services()
        except EmbeddedServiceError as error:
            sys.exit(f"error: {error}")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
