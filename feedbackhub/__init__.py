"""FeedbackHub: the enterprise product feedback loop, in one Django project."""

from feedbackhub.celery import app as celery_app

__all__ = ["celery_app"]
