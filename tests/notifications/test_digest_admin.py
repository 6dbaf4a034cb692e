"""The digests in the admin: the list (week, audience, owner, words, writer) in a bounded number of queries, a digest's
page rendering its Markdown as HTML (escaped), and "Write this week's digest now" queueing the job, not running it."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from notifications import digests, tasks
from notifications.choices import Channel, DigestAudience, Kind
from notifications.models import Digest, Notification

pytestmark = pytest.mark.django_db

LIST = reverse("admin:notifications_digest_changelist")
WRITE = reverse("admin:notifications_digest_write_now")
BODY = (
    "# Weekly digest: 27 Nov – 3 Dec 2026\n\n## Needs a decision this week\n\n"
    "- **Verify before building: [SSO login](https://hub.example/admin/themes/theme/1/change/)**: 6 items\n"
    "- “<script>alert(1)</script> is *broken*” ([Acme](javascript:alert(1)), $450k)\n"
)


def make_digest(n: int = 0, owner=None, **fields) -> Digest:
    defaults = {
        "audience": DigestAudience.ACCOUNT_OWNER if owner else DigestAudience.PRODUCT,
        "owner": owner,
        "period_start": date(2026, 11, 27),
        "period_end": date(2026, 12, 3 + n),
        "title": f"Weekly digest {n}",
        "body": BODY,
        "facts": {"top_themes": [{"name": "SSO login"}]},
        "writer": "offline (templates)",
        "word_count": 321,
    }
    return Digest.objects.create(**{**defaults, **fields})


@pytest.fixture
def queued(monkeypatch) -> list[str]:
    calls: list[str] = []
    monkeypatch.setattr(tasks.write_weekly_digests, "delay", lambda *a, **k: calls.append("queued"))
    return calls


def test_given_digests_then_the_list_shows_week_audience_owner_words_and_writer_in_few_queries(
    admin_client, django_user_model, django_assert_max_num_queries
):
    ann = django_user_model.objects.create_user(username="ann", email="ann@hub.example")
    for n in range(3):
        make_digest(n)
        make_digest(n, owner=ann, writer="mistral-large-2411", word_count=400 + n)

    with django_assert_max_num_queries(12):
        page = admin_client.get(LIST).content.decode()

    assert "Fri 27 Nov – Thu 03 Dec 2026" in page and "Product channel" in page and "Account owner" in page
    assert "ann" in page and "mistral-large-2411" in page and "402" in page


def test_given_a_digest_then_its_page_renders_the_markdown_with_nothing_unsafe(admin_client):
    digest = make_digest()
    Notification.objects.create(
        key=f"digest:{digest.period_end}:product",
        kind=Kind.DIGEST,
        channel=Channel.SLACK,
        recipient="product",
        body="x",
    )

    page = admin_client.get(reverse("admin:notifications_digest_change", args=[digest.pk])).content.decode()

    assert "<h3>Needs a decision this week</h3>" in page
    assert (
        '<strong>Verify before building: <a href="https://hub.example/admin/themes/theme/1/change/">SSO login</a>'
        in page
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt; is <em>broken</em>" in page and "<script>alert(1)" not in page
    assert 'href="javascript:' not in page  # an unsafe link stays text
    assert "(pending)" in page  # its outbox message and its status


def test_given_the_write_button_then_get_explains_and_post_queues_the_job_without_running_it(admin_client, queued):
    explained = admin_client.get(WRITE)
    done = admin_client.post(WRITE, follow=True)

    week = digests.week_text(digests.period_for(digests.default_period_end()))
    assert week in explained.content.decode() and queued == ["queued"]
    assert Digest.objects.count() == 0  # nothing written in the request
    assert "are being written" in done.content.decode()


def test_given_the_broker_down_then_the_button_says_so_and_writes_nothing(admin_client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(tasks.write_weekly_digests, "delay", unreachable)

    page = admin_client.post(WRITE, follow=True).content.decode()

    assert "Could not queue the digests" in page and Digest.objects.count() == 0


def test_given_a_staff_member_without_the_right_then_there_is_no_button(client, django_user_model, queued):
    reader = django_user_model.objects.create_user(username="reader", password="x", is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_digest"))
    client.force_login(reader)

    page = client.get(LIST).content.decode()
    posted = client.post(WRITE)

    assert WRITE not in page and posted.status_code == 403 and queued == []


def test_given_the_job_queued_then_the_task_writes_the_digests_of_the_week_it_is_given():
    assert tasks.write_weekly_digests.run("2026-12-03") == [
        digest.pk for digest in Digest.objects.filter(period_end=date(2026, 12, 3)).order_by("pk")
    ]
    assert Digest.objects.filter(period_end=date(2026, 12, 3), audience=DigestAudience.PRODUCT).count() == 1
