"""The widget on a host page of another origin (a second HTTP server on 127.0.0.1), talking to the live hub: what a
person types there appears in the admin (once, when they send again after a lost answer); a forged identity token is
refused and the widget says so; an origin the key does not allow gets no CORS grant, so the browser blocks the post
and nothing is stored."""

from __future__ import annotations

import re
import threading
import time

import pytest
from playwright.sync_api import expect

from feedback.choices import Source
from feedback.models import FeedbackItem
from integrations import capture
from integrations.management.commands.capture_demo import host_page, serve_page
from integrations.models import CaptureSignal
from tests.browser.support import console_errors, log_in, screenshot
from tests.factories import make_customer

WORDS = "Exports over 10k rows time out, we split them by hand"


@pytest.fixture
def host():
    """A host product on its own origin (``http://127.0.0.1:<port>``); set ``host["page"]`` to the bytes it serves."""
    served = {"page": b""}
    server = serve_page(lambda: served["page"], host="127.0.0.1", port=0)
    served["origin"] = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield served
    server.shutdown()
    server.server_close()


def embed(host, live_server, *, allowed: bool = True, forged: bool = False, account: str = "0015g00000ACME"):
    """Make the capture key (allowing the host's origin or not) and the host page, signed for ``account``."""
    key = capture.create_capture_key(
        name="Acme Analytics",
        product="le_chat",
        allowed_origins=[host["origin"]] if allowed else ["https://elsewhere.example"],
    )
    secret = capture.new_secret() if forged else key.signing_secret
    identity = capture.make_identity_token(secret, "u-7", account, int(time.time()) + 600)
    host["page"] = host_page(hub=live_server.url, key=key, identity=identity, account=account, origin=host["origin"])
    return key


def send_feedback(page, host) -> None:
    page.goto(host["origin"] + "/")
    section = page.locator("#exports")
    section.get_by_role("button", name="Feedback on this feature?").click()
    box = section.get_by_role("textbox")
    expect(box).to_be_focused()
    box.fill(WORDS)
    box.press("Enter")


def test_given_a_signed_in_user_of_the_host_app_when_they_send_feedback_then_it_appears_in_the_admin(
    open_page, live_server, host, admin_user
):
    acme = make_customer(name="Acme Bank", crm_id="0015g00000ACME")
    embed(host, live_server)
    page = open_page()

    send_feedback(page, host)

    expect(page.locator("#exports").get_by_role("status")).to_contain_text("Thank you")
    item = FeedbackItem.objects.get()
    assert (item.source, item.customer, item.feature) == (Source.IN_APP, acme, "exports")
    assert item.source_url == host["origin"] + "/"
    assert console_errors(page) == []
    screenshot(page, "capture-widget-host")
    admin = open_page()
    log_in(admin, admin_user.username, "password")
    admin.goto("/admin/feedback/feedbackitem/?source__exact=in_app")
    expect(admin.get_by_text(re.compile("Exports over 10k rows")).first).to_be_visible()
    expect(admin.get_by_text("Acme Bank").first).to_be_visible()


def test_given_the_answer_was_lost_when_the_person_sends_again_then_one_item(open_page, live_server, host):
    make_customer(name="Acme Bank", crm_id="0015g00000ACME")
    embed(host, live_server)
    page = open_page()
    posts = []

    def lose_first_answer(route):
        """The first POST reaches the hub and is stored, but its answer never reaches the page (a dropped line)."""
        if route.request.method != "POST":
            return route.continue_()
        posts.append(route.request.post_data_json["capture_id"])
        if len(posts) == 1:
            route.fetch()
            return route.abort("connectionreset")
        return route.continue_()

    page.route("**/api/capture/?key=*", lose_first_answer)
    send_feedback(page, host)
    section = page.locator("#exports")
    expect(section.get_by_role("alert")).to_contain_text("Not sent: Could not reach the feedback service")
    stored_once = FeedbackItem.objects.count()
    section.get_by_role("button", name="Send").click()

    expect(section.get_by_role("status").last).to_contain_text("Thank you")
    assert stored_once == 1 and len(posts) == 2
    assert FeedbackItem.objects.count() == 1
    assert posts[0] == posts[1]  # the same capture, sent again


def test_given_thumbs_down_then_it_is_counted_and_what_went_wrong_is_asked(open_page, live_server, host):
    key = embed(host, live_server)
    page = open_page()
    page.goto(host["origin"] + "/")

    page.get_by_role("button", name="No, it did not").click()

    expect(page.get_by_label("What went wrong? (optional)")).to_be_focused()
    signal = CaptureSignal.objects.get(key=key)
    assert (signal.kind, signal.feature, signal.count) == ("thumbs_down", "scheduled-reports", 1)


def test_given_a_forged_identity_token_then_the_widget_says_it_was_refused_and_nothing_is_stored(
    open_page, live_server, host
):
    make_customer(name="Acme Bank", crm_id="0015g00000ACME")
    embed(host, live_server, forged=True)
    page = open_page()

    send_feedback(page, host)

    alert = page.locator("#exports").get_by_role("alert")
    expect(alert).to_contain_text("Not sent: The identity token's signature does not match")
    assert FeedbackItem.objects.count() == 0


def test_given_an_origin_the_key_does_not_allow_then_the_browser_blocks_the_post_and_nothing_is_stored(
    open_page, live_server, host
):
    embed(host, live_server, allowed=False)
    page = open_page()
    failed, granted = [], []
    page.on("requestfailed", lambda request: failed.append(request.url) if "/api/capture/" in request.url else None)
    page.on(
        "response",
        lambda response: granted.append(response.headers.get("access-control-allow-origin"))
        if "/api/capture/?" in response.url
        else None,
    )

    send_feedback(page, host)

    expect(page.locator("#exports").get_by_role("alert")).to_contain_text("Could not reach the feedback service")
    assert failed and all("/api/capture/?key=" in url for url in failed)
    assert not any(granted)  # no answer carried a CORS grant
    assert FeedbackItem.objects.count() == 0
