"""A PM asks the hub in the admin's question box and reads the grouped answer, with links to the cited items."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from feedback.models import FeedbackItem
from feedbackhub.formatting import change_url
from tests.browser.support import console_errors, screenshot
from tests.insights.ask_data import feedback_base


def test_given_feedback_when_a_pm_asks_a_question_then_the_answer_is_grouped_by_theme_with_item_links(pm_page):
    base = feedback_base()
    page = pm_page

    # Given: the question box.
    page.goto("/admin/ask/")
    expect(page.get_by_text("No question asked yet.")).to_be_visible()

    # When: the PM asks about healthcare customers' fine-tuning jobs, picking the tier in a select.
    page.get_by_label(re.compile("Ask the feedback")).fill("Why do fine-tuning jobs of healthcare customers fail?")
    page.locator("#id_tier").select_option("enterprise")
    page.get_by_role("button", name="Ask").click()

    # Then: the filters applied (one chosen, one read from the question), the theme group with its figures, and
    # quotes linking to the items.
    answer = page.locator("#ask-answer")
    expect(answer.get_by_text("Enterprise ($100k+)", exact=True)).to_be_visible()
    expect(answer.get_by_text("Healthcare", exact=True)).to_be_visible()
    group = answer.locator(".ask-group").filter(has=page.get_by_text(base.theme.name))
    expect(group).to_contain_text("3 items · 2 customers · $650,000 ARR")
    first = base.themed[0]
    expect(group.locator(f'a.item[href="{change_url(FeedbackItem, first.pk)}"]').first).to_be_visible()
    expect(answer).not_to_contain_text("Cedar Bank")  # mid-market: outside the tier chosen
    expect(page.locator(".ask-recent")).to_contain_text("Why do fine-tuning jobs of healthcare customers fail?")
    assert re.search(r"/admin/ask/\?shown=\d+$", page.url)
    assert console_errors(page) == []
    screenshot(page, "ask-answer")

    # And: a quote's link opens the item.
    group.locator("a.item").first.click()
    expect(page).to_have_url(re.compile(r"/admin/feedback/feedbackitem/\d+/change/"))
