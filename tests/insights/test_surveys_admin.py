"""Survey responses in the admin: coloured scores, comment and its feedback item, NPS over the filtered rows, the CSV
import (comments become feedback), the add form, and Sales / CS seeing their own accounts' answers only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from feedback.models import FeedbackItem
from feedbackhub.roles import SALES_CS
from insights import surveys
from insights.choices import SurveyKind
from insights.models import SurveyResponse
from tests.factories import make_customer, make_feedback

pytestmark = pytest.mark.django_db

LIST = reverse("admin:insights_surveyresponse_changelist")
ADD = reverse("admin:insights_surveyresponse_add")
IMPORT_URL = reverse("admin:insights_surveyresponse_import")
PROCESS_URL = reverse("admin:insights_surveyresponse_process_import")
HEADER = "Kind,Score,Comment,Account,Contact e-mail,Survey,Source,External id,Responded at\n"


def answer(customer, kind: str, score: int, comment: str = "", **fields) -> SurveyResponse:
    return SurveyResponse.objects.create(
        customer=customer,
        kind=kind,
        score=score,
        comment=comment,
        external_id=f"{customer.pk}-{SurveyResponse.objects.count()}",
        responded_at=timezone.now() - timedelta(days=1),
        **fields,
    )


def figures(response) -> dict:
    html = response.content.decode()
    found = {key: int(value) for key, value in re.findall(r'data-(nps|csat)="(-?\d+)"', html)}
    found["n"] = re.search(r"n = (\d+): (\d+) promoters, (\d+) passives, (\d+) detractors", html).groups()
    return found


def test_given_answers_then_the_list_colours_scores_by_band_and_links_the_comment_feedback(admin_client):
    acme = make_customer(name="Acme")
    item = make_feedback(customer=acme, verbatim="Too slow")
    answer(acme, SurveyKind.NPS, 3, "Too slow and the docs are out of date " * 5, feedback=item)
    answer(acme, SurveyKind.NPS, 8)
    answer(acme, SurveyKind.CSAT, 5)

    response = admin_client.get(LIST)

    html = response.content.decode()
    pills = {row.score: row for row in response.context["cl"].result_list}
    assert set(pills) == {3, 8, 5}
    admin_view = response.context["cl"].model_admin
    assert [admin_view.score_pill(pills[s])[0] for s in (3, 8, 5)] == ["detractor", "passive", "promoter"]
    for colour, score in (("red", 3), ("orange", 8), ("green", 5)):  # unfold's danger, warning, success labels
        assert re.search(rf"bg-{colour}-100[^>]*>\s*{score}\s*</span>", html), (colour, score)
    assert reverse("admin:feedback_feedbackitem_change", args=[item.pk]) in html
    excerpt = admin_view.comment_excerpt(pills[3])
    assert excerpt.startswith("Too slow and the docs") and excerpt.endswith("and…") and len(excerpt) <= 90
    assert excerpt in html


def test_given_filters_then_the_nps_on_top_is_over_the_rows_they_keep(admin_client):
    acme, globex = make_customer(name="Acme"), make_customer(name="Globex")
    for score in (10, 9, 9):
        answer(acme, SurveyKind.NPS, score)
    answer(acme, SurveyKind.NPS, 7)
    answer(globex, SurveyKind.NPS, 2)
    answer(globex, SurveyKind.CSAT, 4)
    answer(globex, SurveyKind.CSAT, 2)

    everything = figures(admin_client.get(LIST))
    detractors = figures(admin_client.get(LIST, {"band": "detractor", "kind__exact": "nps"}))
    one_account = figures(admin_client.get(LIST, {"customer__id__exact": acme.pk}))

    assert everything == {"nps": 40, "csat": 50, "n": ("5", "3", "1", "1")}  # (3 - 1) / 5
    assert detractors == {"nps": -100, "n": ("1", "0", "0", "1")}
    assert one_account == {"nps": 75, "n": ("4", "3", "1", "0")}


def test_given_figures_then_nps_is_promoters_minus_detractors_in_percent():
    result = surveys.SurveyFigures(nps_n=7, promoters=3, passives=2, detractors=2, csat_n=0, satisfied=0)

    assert (result.nps, result.csat) == (14, None)


def test_given_a_sales_person_then_they_see_their_own_accounts_answers_and_figures_only(client, django_user_model):
    seller = django_user_model.objects.create_user(username="cs", password="pw", is_staff=True)
    seller.groups.add(Group.objects.get(name=SALES_CS))
    seller.user_permissions.add(Permission.objects.get(codename="view_surveyresponse"))
    answer(make_customer(name="Mine", account_owner=seller), SurveyKind.NPS, 10)
    answer(make_customer(name="Not mine"), SurveyKind.NPS, 0)
    client.force_login(seller)

    response = client.get(LIST)

    assert [row.customer.name for row in response.context["cl"].result_list] == ["Mine"]
    assert figures(response)["nps"] == 100


def test_given_many_answers_then_the_list_costs_a_fixed_number_of_queries(admin_client, django_assert_max_num_queries):
    for n in range(30):
        answer(make_customer(), SurveyKind.NPS, n % 11, f"comment {n}", feedback=make_feedback())

    with django_assert_max_num_queries(12):
        response = admin_client.get(LIST)

    assert len(response.context["cl"].result_list) == 30


def test_given_the_add_form_then_the_comment_becomes_a_feedback_item_through_the_service(admin_client):
    acme = make_customer(name="Acme", crm_id="001A")

    response = admin_client.post(
        ADD,
        {
            "kind": "nps",
            "score": "2",
            "customer": acme.pk,
            "comment": "We are moving to a competitor next quarter.",
            "contact_email": "",
            "survey": "Phone NPS",
            "source": "phone",
            "external_id": "call-7",
            "responded_at_0": "2026-11-20",
            "responded_at_1": "10:00",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    stored = SurveyResponse.objects.get()
    assert stored.feedback.verbatim == "We are moving to a competitor next quarter."
    assert stored.feedback.customer == acme and stored.feedback.source_id == "phone:call-7"


def test_given_the_add_form_naming_the_journey_surveys_source_then_it_is_refused_and_nothing_is_stored(admin_client):
    acme = make_customer(name="Acme", crm_id="001A")

    response = admin_client.post(
        ADD,
        {
            "kind": "nps",
            "score": "9",
            "customer": acme.pk,
            "source": "Journey",
            "external_id": "12:recommend",
            "responded_at_0": "2026-11-20",
            "responded_at_1": "10:00",
        },
    )

    assert response.status_code == 200
    assert "reserved" in str(response.context["adminform"].form.errors["source"])
    assert not SurveyResponse.objects.exists()


def upload(client, content: str):
    file = SimpleUploadedFile("answers.csv", content.encode())
    return client.post(IMPORT_URL, {"resource": "0", "format": "0", "import_file": file})


def confirm(client, response):
    return client.post(PROCESS_URL, response.context["confirm_form"].initial)


def test_given_a_file_with_bad_rows_when_previewing_then_each_bad_row_says_why_and_nothing_is_written(admin_client):
    make_customer(name="Acme", domain="acme.example")
    content = (
        HEADER
        + "nps,9,Love it,acme.example,,Q4,typeform,r1,2026-11-20 10:00\n"
        + "nps,11,,acme.example,,Q4,typeform,r2,2026-11-20 10:00\n"
        + "ces,3,,acme.example,,Q4,typeform,r3,2026-11-20 10:00\n"
        + "csat,4,,nobody.example,,Q4,typeform,r4,2026-11-20 10:00\n"
        + "csat,4.5,,acme.example,,Q4,typeform,r5,2026-11-20 10:00\n"
        + "csat,4,,acme.example,,Q4,typeform,,2026-11-20 10:00\n"
        + "csat,4,,acme.example,,Q4,type form,r7,2026-11-20 10:00\n"
    )

    response = upload(admin_client, content)

    result = response.context["result"]
    errors = {
        row.number: " ".join(" ".join(messages) for messages in row.error_dict.values()) for row in result.invalid_rows
    }
    assert sorted(errors) == [2, 3, 4, 5, 6, 7]
    assert errors[2] == "NPS (0–10): the score is from 0 to 10, not 11."
    assert "“ces” is not an allowed value" in errors[3]
    assert "No account has the CRM id, domain or name “nobody.example”" in errors[4]
    assert "“4.5” is not a whole number" in errors[5]
    assert "Fill this in" in errors[6]
    assert "is not a source name" in errors[7]
    assert "confirm_form" not in response.context
    assert not SurveyResponse.objects.exists() and not FeedbackItem.objects.exists()


def test_given_a_valid_file_when_confirmed_then_comments_become_linked_feedback_and_a_reimport_updates(admin_client):
    acme = make_customer(name="Acme", domain="acme.example", health_score=None)
    content = (
        HEADER
        + "NPS,3,The new pricing is too expensive for us,acme.example,cfo@acme.example,Q4,,r1,2026-11-20 10:00\n"
        + "CSAT (1–5),5,,Acme,,Support CSAT,,r2,2026-11-21\n"
    )

    preview = upload(admin_client, content)
    assert not preview.context["result"].has_validation_errors()
    assert not SurveyResponse.objects.exists()
    confirm(admin_client, preview)
    confirm(admin_client, upload(admin_client, content.replace("NPS,3,", "NPS,4,")))

    first, second = SurveyResponse.objects.order_by("external_id")
    assert (first.source, first.kind, first.score, second.kind) == ("csv", "nps", 4, "csat")
    assert first.feedback.verbatim == "The new pricing is too expensive for us"
    assert first.feedback.customer == acme and first.feedback.reporter_email == "cfo@acme.example"
    assert second.feedback is None
    assert FeedbackItem.objects.count() == 1
    acme.refresh_from_db()
    assert acme.health_score is not None


def test_given_a_file_naming_the_journey_surveys_source_then_its_row_is_refused_as_reserved(admin_client):
    make_customer(name="Acme", domain="acme.example")
    content = HEADER + "nps,9,,acme.example,,Q4,journey,12:recommend,2026-11-20 10:00\n"

    response = upload(admin_client, content)

    [row] = response.context["result"].invalid_rows
    assert "reserved for the answers to the hub's journey surveys" in " ".join(
        " ".join(messages) for messages in row.error_dict.values()
    )
    assert "confirm_form" not in response.context and not SurveyResponse.objects.exists()
