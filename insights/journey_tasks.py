"""Background jobs of this part of issue 11 (imported by insights.tasks so that Celery registers them)."""
