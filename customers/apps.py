"""App configuration."""

from django.apps import AppConfig


class CustomersConfig(AppConfig):
    """The customers app."""

    name = "customers"
