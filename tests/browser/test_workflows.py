"""Daily workflows in the real admin, as each role does them: clicks and form fills in Chromium, then checks of both
the page and the database.

1. Product ops moves a page of feedback to Reviewing, merges a duplicate, and undoes the merge from the message.
2. A Marketing member ticks a Marketing checklist item in one click, and cannot tick an Engineering one (not even by
   a forged POST).
3. Sales / CS filters their accounts by tier and exports them as XLSX: only their own filtered accounts, formula-like
   text escaped, ARR as numbers.
4. Leadership follows a theme's figure to exactly that theme's feedback.
5. A sales user never sees another owner's accounts or feedback: not in lists, not in searches, not by URL.
6. The home dashboard shows its figures with their sample sizes; "Untriaged" leads to the untriaged items; it fits a
   phone.

Two bugs the workflows ran into (fixed) keep a test each at the end.
Screenshots land in ``.data/screenshots/workflows-*.png``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import dateformat, timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from customers.choices import Tier
from feedback.choices import Status
from feedback.models import FeedbackItem, Merge
from feedback.services import merge_duplicates
from feedbackhub.roles import LEADERSHIP, SALES_CS
from insights.services import refresh_dashboard
from launches.choices import ChecklistTeam
from launches.models import ChecklistItem
from launches.services import join_team
from tests.browser.support import (
    PASSWORD,
    PHONE,
    console_errors,
    has_horizontal_overflow,
    log_in,
    screenshot,
)
from tests.factories import make_customer, make_feedback, make_launch, make_theme
from themes.services import refresh_rollups

FEEDBACK_LIST = "/admin/feedback/feedbackitem/"
CUSTOMER_LIST = "/admin/customers/customer/"


def staff(django_user_model, username: str, *, role: str | None = None, **fields):
    """A staff user (password ``PASSWORD``), in ``role``'s group if given."""
    user = django_user_model.objects.create_user(username=username, password=PASSWORD, is_staff=True, **fields)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def result_rows(page):
    """The rows of the changelist's results table."""
    return page.locator("#result_list tbody tr")


def run_action(page, label: str) -> None:
    """Pick the bulk action ``label`` for the ticked rows and run it."""
    page.locator("select[name=action]").select_option(label=label)
    page.get_by_role("button", name=re.compile("^Run", re.IGNORECASE)).click()


def tick_row(page, text: str) -> None:
    page.get_by_role("row", name=re.compile(re.escape(text))).get_by_role("checkbox").check()


def search(page, term: str) -> None:
    """Type ``term`` in the changelist's search box and submit it."""
    box = page.locator("#searchbar")
    box.fill(term)
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q="))


# --- 1. Product ops: triage a page, merge a duplicate, undo the merge ------------------------------------------------


def test_given_a_page_of_feedback_when_a_pm_moves_it_merges_a_duplicate_and_undoes_the_merge_then_each_step_is_saved(
    pm_page, pm
):
    page = pm_page
    now = timezone.now()
    original = make_feedback(
        verbatim="SSO login loops on Safari",
        received_at=now - timedelta(days=3),
        customer=make_customer(name="Globex Corporation"),
    )
    duplicate = make_feedback(
        verbatim="Safari keeps bouncing us back to the SSO page",
        received_at=now - timedelta(days=1),
        customer=make_customer(name="Initech"),
    )
    other = make_feedback(verbatim="Export to CSV drops accents", received_at=now - timedelta(days=2))
    untouched = make_feedback(verbatim="Dark mode for the dashboard", received_at=now - timedelta(days=4))
    theme = make_theme(name="Safari SSO redirects")
    duplicate.themes.add(theme)

    # Given: the PM ticks three of the four new items and moves them to Reviewing.
    page.goto(FEEDBACK_LIST)
    for item in (original, duplicate, other):
        tick_row(page, item.verbatim)
    expect(page.get_by_text("3 of 4 selected")).to_be_visible()
    run_action(page, "Move to Reviewing")
    expect(page.get_by_text("Moved 3 item(s) to Reviewing.")).to_be_visible()
    screenshot(page, "workflows-1-triage-moved")
    statuses = dict(FeedbackItem.objects.values_list("pk", "status"))
    assert statuses == {
        original.pk: Status.REVIEWING,
        duplicate.pk: Status.REVIEWING,
        other.pk: Status.REVIEWING,
        untouched.pk: Status.NEW,
    }

    # When: they tick the two Safari reports and merge them into the oldest.
    tick_row(page, original.verbatim)
    tick_row(page, duplicate.verbatim)
    run_action(page, "Merge into the oldest selected item (undo from the message)")

    # Then: the message offers the undo; the newer item is now a duplicate of the older, which gained its theme.
    merged = f"Merged 1 item(s) into “{original.verbatim}”; it now carries their themes."
    expect(page.get_by_text(merged)).to_be_visible()
    undo = page.get_by_role("link", name="Undo this merge")
    expect(undo).to_be_visible()
    screenshot(page, "workflows-1-merged")
    merge = Merge.objects.get(parent=original)
    assert merge.merged_by == pm and merge.undone_at is None
    duplicate.refresh_from_db()
    assert duplicate.duplicate_of_id == original.pk
    assert list(original.themes.all()) == [theme]

    # When: they follow the undo link and confirm.
    undo.click()
    expect(page).to_have_url(re.compile(re.escape(reverse("admin:feedback_merge_undo", args=[merge.pk])) + "$"))
    expect(page.get_by_text(f"1 item was merged into “{original.verbatim}”")).to_be_visible()
    screenshot(page, "workflows-1-undo-confirm")
    page.get_by_role("button", name="Undo the merge").click()

    # Then: they land on the parent, told it is undone; the duplicate link and the borrowed theme are gone.
    expect(page.get_by_text("Undid the merge: 1 item(s) are back where they were.")).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape(reverse("admin:feedback_feedbackitem_change", args=[original.pk]))))
    screenshot(page, "workflows-1-undone")
    duplicate.refresh_from_db()
    merge.refresh_from_db()
    assert duplicate.duplicate_of_id is None
    assert not FeedbackItem.objects.filter(duplicate_of__isnull=False).exists()
    assert list(original.themes.all()) == []
    assert merge.undone_at is not None and merge.undone_by == pm
    assert duplicate.status == Status.REVIEWING  # the undo puts back the link, not the triage
    assert console_errors(page) == []


# --- 2. Launch checklist: a team ticks its own items only ------------------------------------------------------------


def test_given_a_marketing_member_on_a_launch_checklist_when_they_tick_then_only_marketing_items_can_be_ticked(
    open_page, django_user_model
):
    maya = staff(django_user_model, "maya", first_name="Maya", last_name="Lopez")
    join_team(user=maya, team=ChecklistTeam.MARKETING)
    launch = make_launch(name="Enterprise audit log streaming")
    mine = ChecklistItem.objects.get(launch=launch, team=ChecklistTeam.MARKETING, title="Landing page section updated")
    theirs = ChecklistItem.objects.get(launch=launch, team=ChecklistTeam.ENGINEERING, title="Rollback plan written")
    checklist_url = reverse("admin:launches_launch_checklist_page", args=[launch.pk])
    page = open_page(user=maya)

    # Given: Maya opens the launch's checklist page.
    page.goto(checklist_url)
    marketing, engineering = page.locator("#team-marketing"), page.locator("#team-engineering")
    expect(marketing.get_by_role("button", name=f"Mark done: {mine.title}")).to_be_visible()
    screenshot(page, "workflows-2-checklist")

    # When: she ticks her team's item, in one click.
    marketing.get_by_role("button", name=f"Mark done: {mine.title}").click()

    # Then: it is ticked, with who and when, on the page and in the database.
    expect(page.get_by_text(f"Ticked “{mine.title}”.")).to_be_visible()
    mine.refresh_from_db()
    assert mine.done_by == maya
    assert timezone.now() - mine.done_at < timedelta(minutes=1)
    when = dateformat.format(timezone.localtime(mine.done_at), "j M Y, H:i")
    row = page.locator(f"#item-{mine.pk}")
    expect(row).to_contain_text(f"Done by Maya Lopez · {when}")
    expect(row.get_by_role("button", name=f"Reopen: {mine.title}")).to_have_attribute("aria-pressed", "true")
    expect(marketing.locator("[data-progress]")).to_have_text("1/2")
    screenshot(page, "workflows-2-ticked")

    # And: the Engineering items are locked for her: no tick button, a lock saying whose they are.
    expect(engineering).to_contain_text("Engineering team only")
    expect(engineering.get_by_role("button")).to_have_count(0)
    expect(page.locator(f"#item-{theirs.pk} .lx-tick.is-locked")).to_have_attribute(
        "aria-label", "Open (Engineering team only)"
    )

    # When: she forges the tick of an Engineering item (a POST with her session and a valid CSRF token).
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    response = page.request.post(
        reverse("admin:launches_launch_tick", args=[launch.pk, theirs.pk]),
        form={"csrfmiddlewaretoken": token, "done": "1", "next": checklist_url},
    )

    # Then: it is refused with the reason, and nothing changed.
    assert response.ok, response.status
    assert "Only the Engineering team can tick “Rollback plan written”" in response.text()
    theirs.refresh_from_db()
    assert (theirs.done_at, theirs.done_by) == (None, None)
    assert ChecklistItem.objects.filter(launch=launch, done_at__isnull=False).get() == mine
    assert console_errors(page) == []

    # And: on her phone the checklist shows the same, and fits the screen.
    phone = open_page(user=maya, viewport=PHONE)
    phone.goto(checklist_url)
    expect(phone.locator(f"#item-{mine.pk}")).to_contain_text(f"Done by Maya Lopez · {when}")
    expect(phone.locator("#team-engineering").get_by_role("button")).to_have_count(0)
    assert not has_horizontal_overflow(phone)
    screenshot(phone, "workflows-2-checklist-phone")
    assert console_errors(phone) == []


# --- 3. Sales / CS: filter the accounts, export XLSX, open the file --------------------------------------------------


def test_given_a_cs_user_when_they_filter_their_accounts_and_export_xlsx_then_the_file_holds_those_rows_escaped(
    open_page, django_user_model, tmp_path
):
    sam = staff(django_user_model, "sam", role=SALES_CS, first_name="Sam", last_name="Carter")
    olga = staff(django_user_model, "olga", role=SALES_CS, first_name="Olga", last_name="Berg")
    evil = '=HYPERLINK("http://evil")'
    make_customer(name=evil, domain="evil.example", account_owner=sam, tier=Tier.ENTERPRISE, arr=Decimal("250000.50"))
    make_customer(name="Initech", domain="@initech.example", account_owner=sam, tier=Tier.ENTERPRISE, arr=180000)
    make_customer(name="Tiny Startup", account_owner=sam, tier=Tier.STARTUP, arr=Decimal("12000"))
    make_customer(name="Globex Corporation", account_owner=olga, tier=Tier.ENTERPRISE, arr=Decimal("900000"))
    page = open_page(user=sam)

    # Given: Sam filters the customer list to Enterprise accounts.
    page.goto(CUSTOMER_LIST)
    page.locator("a", has_text="Filters").click()
    page.locator("#changelist-filter").get_by_role("link", name="Enterprise ($100k+)").click()
    expect(page).to_have_url(re.compile(r"tier__exact=enterprise"))
    expect(result_rows(page)).to_have_count(2)
    expect(page.locator("#result_list")).not_to_contain_text("Tiny Startup")
    expect(page.locator("#result_list")).not_to_contain_text("Globex")
    screenshot(page, "workflows-3-customers-filtered")

    # When: he clicks Export, picks XLSX and submits.
    page.locator('a[href*="/customer/export/"]').click()  # the list's Export (the sidebar has "Imports and exports")
    expect(page).to_have_url(re.compile(r"/export/\?tier__exact=enterprise"))
    page.get_by_label("Format").select_option(label="xlsx")
    screenshot(page, "workflows-3-export-form")
    with page.expect_download() as download:
        page.get_by_role("button", name="Submit").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)

    # Then: the file holds his two Enterprise accounts only; formula-like text starts with ', ARR is a number.
    sheet = load_workbook(path).active
    header, *rows = sheet.iter_rows()
    columns = {cell.value: index for index, cell in enumerate(header)}
    by_name = {row[columns["Company"]].value: row for row in rows}
    assert set(by_name) == {f"'{evil}", "Initech"}
    escaped = by_name[f"'{evil}"][columns["Company"]]
    assert escaped.data_type == "s"  # text, not a formula the spreadsheet would run
    assert by_name["Initech"][columns["Domain"]].value == "'@initech.example"
    assert by_name[f"'{evil}"][columns["Domain"]].value == "evil.example"  # plain text stays as it is
    arr = {name: row[columns["ARR (USD)"]] for name, row in by_name.items()}
    assert all(cell.data_type == "n" for cell in arr.values()), {name: cell.value for name, cell in arr.items()}
    assert arr[f"'{evil}"].value == 250000.5 and arr["Initech"].value == 180000
    assert {row[columns["Account owner"]].value for row in rows} == {"Sam Carter"}
    assert console_errors(page) == []


# --- 4. Leadership: from a figure to its rows ------------------------------------------------------------------------


def test_given_the_leadership_view_when_a_leader_clicks_a_themes_figures_then_the_feedback_list_shows_that_theme(
    open_page, django_user_model
):
    lee = staff(django_user_model, "lee", role=LEADERSHIP)
    sso, exports = make_theme(name="SSO for every plan"), make_theme(name="Faster CSV exports")
    globex, initech = make_customer(name="Globex Corporation"), make_customer(name="Initech")
    for verbatim, customer in [("SAML for the Pro plan", globex), ("Okta login for everyone", initech)]:
        make_feedback(verbatim=verbatim, customer=customer).themes.add(sso)
    make_feedback(verbatim="CSV export times out at 50k rows", customer=globex).themes.add(exports)
    make_feedback(verbatim="Dark mode for the dashboard", customer=initech)
    refresh_rollups(theme_ids=[sso.pk, exports.pk])
    page = open_page(user=lee)

    for theme, figure, expected in [(sso, "items", 2), (exports, "customers", 1)]:
        # Given: the leader opens their view of themes.
        page.goto(reverse("admin:themes_leadershiptheme_changelist"))
        row = page.get_by_role("row", name=re.compile(re.escape(theme.name)))
        link = row.locator(f"td.field-{figure} a")
        expect(link).to_have_text(str(expected))
        if theme == sso:
            screenshot(page, "workflows-4-leadership")

        # When: they click the theme's feedback count (or its customers figure).
        link.click()

        # Then: the feedback list, filtered to that theme, shows exactly the theme's items.
        expect(page).to_have_url(re.compile(rf"{re.escape(FEEDBACK_LIST)}\?(.*&)?themes__id__exact={theme.pk}(&|$)"))
        wanted = sorted(str(item) for item in FeedbackItem.objects.filter(themes=theme))
        expect(result_rows(page)).to_have_count(len(wanted))
        shown = sorted(
            page.locator("#result_list tbody td.field-headline, #result_list tbody th.field-headline").all_inner_texts()
        )
        assert [text.strip() for text in shown] == wanted
        screenshot(page, f"workflows-4-feedback-of-{figure}")
    assert console_errors(page) == []


# --- 5. Sales: own accounts only -------------------------------------------------------------------------------------


def test_given_a_sales_user_when_they_browse_and_search_then_another_owners_account_never_shows(
    page, django_user_model
):
    sam = staff(django_user_model, "sam", role=SALES_CS)
    olga = staff(django_user_model, "olga", role=SALES_CS)
    initech = make_customer(name="Initech", account_owner=sam)
    globex = make_customer(name="Globex Corporation", account_owner=olga)
    make_feedback(verbatim="Initech wants SAML single sign-on", customer=initech)
    theirs = make_feedback(verbatim="Globex needs audit logs", customer=globex)

    # Given: Sam logs in and opens the customer list.
    log_in(page, sam.username, PASSWORD)
    page.locator(f"a[href='{CUSTOMER_LIST}']").first.click()
    expect(page).to_have_url(re.compile(re.escape(CUSTOMER_LIST) + "$"))
    expect(page.locator("#result_list")).to_contain_text("Initech")
    expect(page.locator("#result_list")).not_to_contain_text("Globex")
    screenshot(page, "workflows-5-customers")

    # When: he searches for the other owner's account by name.
    search(page, "Globex")
    # Then: nothing.
    expect(result_rows(page)).to_have_count(0)
    expect(page.locator("#content")).not_to_contain_text("Globex Corporation")

    # When: he opens "My accounts' feedback".
    page.locator("a[href='/admin/feedback/accountfeedback/']").first.click()
    expect(page.locator("#result_list")).to_contain_text("Initech wants SAML single sign-on")
    expect(page.locator("#result_list")).not_to_contain_text("Globex")
    screenshot(page, "workflows-5-my-accounts-feedback")
    search(page, "audit logs")
    expect(result_rows(page)).to_have_count(0)

    # When: he searches the full feedback list by the account's name and by its words.
    page.goto(FEEDBACK_LIST)
    expect(page.locator("#result_list")).to_contain_text("Initech wants SAML single sign-on")
    for term in ("Globex", "audit logs"):
        search(page, term)
        expect(result_rows(page)).to_have_count(0)
        expect(page.locator("#content")).not_to_contain_text("Globex needs audit logs")
    screenshot(page, "workflows-5-feedback-search")

    # When: he opens the other owner's customer and feedback by URL.
    for url in (
        reverse("admin:customers_customer_change", args=[globex.pk]),
        reverse("admin:feedback_feedbackitem_change", args=[theirs.pk]),
    ):
        page.goto(url)
        # Then: the admin says there is no such row, and shows nothing of it.
        expect(page.get_by_text(re.compile(r"doesn’t exist\. Perhaps it was deleted\?"))).to_be_visible()
        expect(page.locator("body")).not_to_contain_text("Globex")
    screenshot(page, "workflows-5-other-owner-url")
    assert console_errors(page) == []


# --- 6. The home dashboard -------------------------------------------------------------------------------------------


def test_given_refreshed_figures_when_a_pm_opens_the_dashboard_then_figures_show_with_samples_and_untriaged_links(
    open_page, pm
):
    now = timezone.now()
    customer = make_customer(name="Globex Corporation")
    untriaged = [make_feedback(verbatim=f"Untriaged report {n}", customer=customer) for n in (1, 2, 3)]
    for n in (1, 2):
        make_feedback(verbatim=f"Triaged report {n}", customer=customer, triaged_at=now)
    refresh_dashboard()
    page = open_page(user=pm)

    # Given: the PM opens the admin home.
    page.goto(reverse("admin:index"))

    # Then: the key figures show with the sample they come from.
    figures = page.get_by_role("region", name="Key figures")
    expect(figures).to_contain_text("Key figures from 5 feedback items")
    card = figures.get_by_role("link", name=re.compile("Untriaged"))
    expect(card).to_have_text(re.compile(r"^\s*3\s+Untriaged\s*$"))
    expect(figures.get_by_role("link", name=re.compile("Feedback items"))).to_have_text(re.compile(r"^\s*5\s"))
    expect(page.get_by_role("region", name="Feedback volume")).to_contain_text("5 items received in the last")
    expect(page.get_by_role("region", name="Coverage")).to_contain_text("5 feedback items")
    screenshot(page, "workflows-6-dashboard")

    # When: they click the Untriaged figure.
    card.click()

    # Then: the feedback list shows the untriaged items, and only them.
    expect(page).to_have_url(re.compile(rf"{re.escape(FEEDBACK_LIST)}\?triaged_at__isnull=True$"))
    expect(result_rows(page)).to_have_count(len(untriaged))
    for item in untriaged:
        expect(page.locator("#result_list")).to_contain_text(item.verbatim)
    expect(page.locator("#result_list")).not_to_contain_text("Triaged report")
    screenshot(page, "workflows-6-untriaged")
    assert console_errors(page) == []

    # And: on a phone the dashboard needs no sideways scrolling.
    phone = open_page(user=pm, viewport=PHONE)
    phone.goto(reverse("admin:index"))
    expect(phone.get_by_role("region", name="Key figures")).to_contain_text("Key figures from 5 feedback items")
    widths = phone.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    screenshot(phone, "workflows-6-dashboard-phone")
    assert not has_horizontal_overflow(phone), f"the dashboard is {widths[0]} px wide on a {widths[1]} px phone"
    assert console_errors(phone) == []


# --- Two bugs these workflows found, fixed: bulk changes need the change permission; figures link to what they count


def test_given_a_view_only_leader_on_the_feedback_list_then_no_bulk_change_is_offered_nor_done(
    open_page, django_user_model
):
    lee = staff(django_user_model, "lee", role=LEADERSHIP)
    item = make_feedback(verbatim="SSO login loops on Safari")
    page = open_page(user=lee)

    page.goto(FEEDBACK_LIST)
    offered = [text.strip() for text in page.locator("select[name=action] option").all_inner_texts()]
    changes = [text for text in offered if text.startswith(("Move to", "Merge into", "Assign a theme"))]
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    page.request.post(
        FEEDBACK_LIST,
        form={"csrfmiddlewaretoken": token, "action": "move_to_reviewing", "_selected_action": str(item.pk)},
    )

    item.refresh_from_db()
    assert (changes, item.status) == ([], Status.NEW)


def test_given_a_theme_with_a_merged_duplicate_when_a_leader_clicks_its_count_then_the_list_has_that_many_rows(
    open_page, django_user_model
):
    lee = staff(django_user_model, "lee", role=LEADERSHIP)
    theme = make_theme(name="SSO for every plan")
    original = make_feedback(verbatim="SAML for the Pro plan", customer=make_customer(name="Globex Corporation"))
    duplicate = make_feedback(verbatim="We need SAML on Pro too", customer=make_customer(name="Initech"))
    original.themes.add(theme)
    duplicate.themes.add(theme)
    merge_duplicates(parent=original, items=[original, duplicate])
    refresh_rollups(theme_ids=[theme.pk])
    page = open_page(user=lee)

    page.goto(reverse("admin:themes_leadershiptheme_changelist"))
    link = page.get_by_role("row", name=re.compile(theme.name)).locator("td.field-items a")
    figure = int(link.inner_text())
    link.click()
    expect(page).to_have_url(re.compile(r"themes__id__exact="))
    page.locator("#result_list").wait_for()

    assert result_rows(page).count() == figure
