"""The theme page shows its verbatims and who asked by segment, with significance."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from customers.choices import Tier
from tests.factories import make_customer, make_feedback, make_theme

pytestmark = pytest.mark.django_db


def test_given_theme_with_feedback_when_opening_its_page_then_verbatims_and_segments_are_shown(
    admin_client, django_assert_max_num_queries
):
    theme = make_theme(name="Audit logs")
    enterprise = [make_customer(tier=Tier.ENTERPRISE, arr=Decimal("200000")) for _ in range(12)]
    make_customer(tier=Tier.MID_MARKET)
    for customer in enterprise[:6]:
        make_feedback(customer=customer, verbatim=f"We need audit logs for SOC2 ({customer.name})").themes.add(theme)
    original = make_feedback(customer=enterprise[0], verbatim="Audit log export please")
    original.themes.add(theme)
    make_feedback(customer=enterprise[1], verbatim="duplicate words", duplicate_of=original).themes.add(theme)

    with django_assert_max_num_queries(30):
        response = admin_client.get(reverse("admin:themes_theme_change", args=[theme.pk]))

    page = response.content.decode()
    assert "We need audit logs for SOC2" in page and "Audit log export please" in page
    assert "duplicate words" not in page  # duplicates are not read twice
    enterprise_row = re.search(rf"<td>{re.escape(Tier.ENTERPRISE.label)}</td>(.*?)</tr>", page, re.S).group(1)
    assert re.search(r'<td class="n">7</td>', enterprise_row)  # data points: 7 originals
    assert "6 / 12" in enterprise_row  # accounts asking of the segment's accounts
    assert "Under-represented: needs 5+ data points" not in enterprise_row  # 12 accounts: directional, 7 ≥ 5
    assert "Directional only" in enterprise_row
    assert f"?themes__id__exact={theme.pk}" in page
