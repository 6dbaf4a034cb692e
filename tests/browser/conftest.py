"""Browser tests: the real admin in Debian's headless Chromium, driven by Playwright, against a live test server.

Put a browser test in ``tests/browser/test_<page>.py``: these fixtures are visible there (and nowhere else).

Fixtures
    ``browser``      one headless Chromium (``/usr/bin/chromium``, or ``$CHROMIUM``) for all browser tests. Without
                     Chromium every browser test fails with how to install it (``sudo apt-get install chromium``);
                     none is skipped.
    ``open_page``    a factory: ``open_page(user=None, viewport=DESKTOP)`` opens a Page in a browser context of its
                     own whose ``base_url`` is the live server, so ``page.goto("/admin/")`` works. With ``user`` the
                     page is logged in already (a session cookie: quick, no form). Every page records its console
                     errors and uncaught exceptions: ``console_errors(page)``. Pages close after the test.
    ``page``, ``phone_page``    anonymous pages at 1440×900 and 390×844.
    ``pm``           a product manager: staff in the "Product ops" role (not a superuser), password ``PASSWORD``.
    ``pm_page``, ``admin_page`` desktop pages logged in as ``pm`` and as a superuser (pytest-django's ``admin_user``).
    ``live_server``  pytest-django's server thread, on the test database. Every page fixture asks for it, which makes
                     the test transactional: what the test creates is committed (the server sees it) and the database
                     is emptied after the test. ``migrated_data`` (automatic here) runs the project's data migrations
                     again first, so roles, team groups, checklist templates and schedules are there as after
                     ``migrate``.
Helpers (``tests.browser.support``)
    ``DESKTOP``, ``PHONE``, ``VIEWPORTS``; ``log_in(page, username, password)`` through the real login form;
    ``screenshot(page, name)`` saves ``.data/screenshots/<name>.png`` (git-ignored) and returns its path;
    ``console_errors(page)``; ``has_horizontal_overflow(page)``.

Example::

    from playwright.sync_api import expect
    from tests.browser.support import PHONE, console_errors, screenshot
    from tests.factories import make_theme

    def test_given_a_theme_when_a_pm_opens_the_dashboard_on_a_phone_then_it_is_listed(open_page, pm):
        make_theme(name="SSO for every plan")  # committed: the live server sees it
        page = open_page(user=pm, viewport=PHONE)
        page.goto("/admin/")
        expect(page.get_by_text("SSO for every plan")).to_be_visible()
        assert console_errors(page) == []
        screenshot(page, "dashboard-phone")

Keep each test to a few seconds: assert with ``expect(...)``, which waits for the page, never with ``time.sleep``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client

from feedbackhub.roles import PRODUCT_OPS
from tests.browser.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    INSTALL_HINT,
    PASSWORD,
    PHONE,
    TIMEOUT_MS,
    forget_console,
    watch_console,
)


@pytest.fixture(scope="package")
def browser() -> Iterator:
    """One headless Chromium for all browser tests, closed after the last one.

    Playwright's sync API marks an asyncio loop as running in the test's thread, which Django's ORM guard takes
    for an async context: ``DJANGO_ALLOW_ASYNC_UNSAFE`` lifts that guard while the browser is open, and only then.
    """
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(INSTALL_HINT, pytrace=False)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="package")
def data_migrations() -> list[tuple[str, Callable]]:
    """The forward functions of the project's own data migrations (``RunPython``), in migration order."""
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import RunPython

    loader = MigrationLoader(None, ignore_no_migrations=True)
    project, venv = Path(settings.BASE_DIR).resolve(), Path(sys.prefix).resolve()
    plan = dict.fromkeys(key for leaf in sorted(loader.graph.leaf_nodes()) for key in loader.graph.forwards_plan(leaf))
    functions = []
    for app_label, name in plan:
        migration = loader.graph.nodes[app_label, name]
        source = Path(sys.modules[type(migration).__module__].__file__).resolve()
        if source.is_relative_to(project) and not source.is_relative_to(venv):
            functions += [(f"{app_label}.{name}", op.code) for op in migration.operations if isinstance(op, RunPython)]
    return functions


@pytest.fixture(autouse=True)
def migrated_data(transactional_db, data_migrations) -> None:
    """Put back the rows the project's data migrations create (roles, team groups, checklist templates, schedules).

    The test before may have emptied the database (every live-server test does when it ends). Data migrations are
    idempotent (get_or_create), so running them again on a database that still has the rows changes nothing.
    """
    from django.apps import apps
    from django.db import connection

    # Some data migrations flip AppConfig.models_module to create permissions; on the real registry that would stop
    # post_migrate (contenttypes, permissions) for every later flush of the session: put the values back.
    models_modules = {config: config.models_module for config in apps.get_app_configs()}
    try:
        with connection.schema_editor() as schema_editor:
            for name, forward in data_migrations:
                try:
                    forward(apps, schema_editor)
                except Exception as error:
                    raise RuntimeError(
                        f"the browser tests re-run data migration {name} to restore its rows after a flush: keep "
                        "it idempotent and runnable with today's models"
                    ) from error
    finally:
        for config, models_module in models_modules.items():
            config.models_module = models_module


@pytest.fixture
def open_page(browser, live_server) -> Iterator[Callable]:
    """A factory of pages on the live server: ``open_page(user=None, viewport=DESKTOP)``."""
    contexts = []

    def open_(user=None, viewport: dict[str, int] = DESKTOP):
        context = browser.new_context(viewport=viewport, base_url=live_server.url)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME]
            context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        page = context.new_page()
        watch_console(page)
        return page

    yield open_
    for context in contexts:
        for page in context.pages:
            forget_console(page)
        context.close()


@pytest.fixture
def page(open_page):
    """An anonymous desktop page (1440×900) on the live server."""
    return open_page()


@pytest.fixture
def phone_page(open_page):
    """An anonymous phone page (390×844) on the live server."""
    return open_page(viewport=PHONE)


@pytest.fixture
def pm(django_user_model):
    """A product manager: staff in the "Product ops" role (not a superuser), password ``PASSWORD``."""
    user = django_user_model.objects.create_user(
        username="priya", password=PASSWORD, first_name="Priya", last_name="Patel", is_staff=True
    )
    user.groups.add(Group.objects.get(name=PRODUCT_OPS))
    return user


@pytest.fixture
def pm_page(open_page, pm):
    """A desktop page logged in as ``pm``."""
    return open_page(user=pm)


@pytest.fixture
def admin_page(open_page, admin_user):
    """A desktop page logged in as a superuser (pytest-django's ``admin_user``)."""
    return open_page(user=admin_user)
