from django.apps import AppConfig


class AiConfig(AppConfig):
    """AI providers: embeddings today; classification, sentiment and evaluation to come (issue 8)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "ai"
    verbose_name = "AI"
