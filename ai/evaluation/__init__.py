"""Measuring the AI against labelled data (``manage.py evaluate_triage``): one module per task."""
