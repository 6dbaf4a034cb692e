"""The web worker's entry point: the WSGI application, with what loading made kept out of the garbage collector."""

import gc
import importlib


def test_given_the_wsgi_module_when_a_worker_loads_it_then_it_serves_and_freezes_what_loading_made():
    gc.unfreeze()
    assert gc.get_freeze_count() == 0

    wsgi = importlib.reload(importlib.import_module("feedbackhub.wsgi"))

    assert callable(wsgi.application)
    assert gc.get_freeze_count() > 0  # the modules, URL patterns and templates the worker keeps for its whole life
    gc.unfreeze()
