"""demo.vocabulary: the JSON data files load into typed dataclasses, and a bad value is refused by name."""

from __future__ import annotations

import json
import shutil
from datetime import date
from decimal import Decimal
from enum import Enum
from pathlib import Path

import pytest

from customers.choices import Industry, Language, Lifecycle, Region, Tier, UseCase
from customers.rules import is_at_risk
from demo import vocabulary
from demo.accounts import Account
from demo.vocabulary import DATA_DIR, VOCABULARY, VocabularyError, load
from feedback.choices import Category, Product, ProductArea, Source
from feedbackhub.roles import ROLES
from launches.choices import ChecklistTeam, LaunchStatus, LaunchType
from themes.choices import ThemeStatus


def test_given_the_data_files_when_loaded_then_every_choice_is_a_member_of_its_choices():
    v = load()

    assert len(v.people) == 17 and len(v.topics) == 22 and len(v.themes) == 20 and len(v.launches) == 12
    bodies = [body for topic in v.topics for body in (*topic.bodies, *topic.fr, *topic.de)]
    assert all(isinstance(body.category, Category) for body in bodies)
    assert all(isinstance(body.product, Product) for body in bodies if body.product)
    assert all(isinstance(area, ProductArea) for topic in v.topics for area in topic.areas)
    assert all(isinstance(source, Source) for topic in v.topics for source in topic.exclude_sources)
    assert all(isinstance(region, Region) for person in v.people for region in person.regions)
    assert {type(key) for key in v.industry_weights} == {Industry}
    assert {type(spec.status) for spec in v.themes} == {ThemeStatus}
    assert {type(spec.launch_type) for spec in v.launches} == {LaunchType}
    assert {type(spec.status) for spec in v.launches} == {LaunchStatus}
    assert set(v.checklist_owners) | set(v.checklist_team_people) == set(ChecklistTeam)


def test_given_the_data_files_then_every_segment_value_has_a_weight():
    assert set(VOCABULARY.industry_weights) == set(Industry)
    assert set(VOCABULARY.region_weights) == set(Region)
    assert set(VOCABULARY.tier_weights) == set(Tier)
    assert set(VOCABULARY.lifecycle_weights) == set(Lifecycle)
    assert set(VOCABULARY.use_case_weights_by_industry) == set(Industry)


def test_given_the_demo_people_then_their_groups_are_the_products_roles():
    groups = {group for person in VOCABULARY.people for group in person.groups}

    assert groups == set(ROLES)
    assert not hasattr(vocabulary, "GROUP_PERMISSIONS")  # permissions belong to feedbackhub.roles and its migration


def test_given_another_working_directory_when_loading_then_the_files_are_found_next_to_the_module(
    monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)

    assert Path(vocabulary.__file__).resolve().parent / "data" == DATA_DIR
    assert load().themes == VOCABULARY.themes


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A copy of the data files to break."""
    return Path(shutil.copytree(DATA_DIR, tmp_path / "data"))


def edit(folder: Path, name: str, change) -> None:
    path = folder / name
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        (
            "topics.json",
            lambda d: d["topics"][0]["bodies"][0].update(category="bugg"),
            "demo/data/topics.json: topics[0].bodies[0].category: 'bugg' is not a valid Category (one of: bug, ",
        ),
        (
            "topics.json",
            lambda d: d["topics"][2]["products"].update(gpt="1"),
            "demo/data/topics.json: topics[2].products.gpt: 'gpt' is not a valid Product",
        ),
        (
            "topics.json",
            lambda d: d["topics"][1]["affinity"].update(planet={"mars": 2}),
            "topics[1].affinity: 'planet' is not an account field",
        ),
        (
            "topics.json",
            lambda d: d["topics"][1]["affinity"]["industry"].update(fintech=2),
            "topics[1].affinity.industry.fintech: 'fintech' is not a valid Industry",
        ),
        (
            "customers.json",
            lambda d: d["language_weights_by_region"]["uk"].update(klingon=5),
            "demo/data/customers.json: language_weights_by_region.uk.klingon: 'klingon' is not a valid Language",
        ),
        (
            "customers.json",
            lambda d: d["tier_weights"].update(enterprise=-3),
            "customers.json: tier_weights.enterprise: -3 is not a number ≥ 0",
        ),
        (
            "people.json",
            lambda d: d["people"][0].update(groups=["Admins"]),
            "demo/data/people.json: people[0].groups: 'Admins' is not a role of feedbackhub.roles",
        ),
        (
            "people.json",
            lambda d: d["people"][4].update(regions=["mars"]),
            "people.json: people[4].regions: 'mars' is not a valid Region",
        ),
        (
            "triage.json",
            lambda d: d["sentiment_by_category"]["bug"].__setitem__(0, -2),
            "triage.json: sentiment_by_category.bug[0]: -2 is not a sentiment score from -1 to 1",
        ),
        (
            "triage.json",
            lambda d: d["status_weights_unthemed"].update(done=5),
            "triage.json: status_weights_unthemed.done: 'done' is not a valid Status",
        ),
        (
            "themes.json",
            lambda d: d["themes"][0].update(status="maybe"),
            "themes.json: themes[0].status: 'maybe' is not a valid ThemeStatus",
        ),
        (
            "themes.json",
            lambda d: d["themes"][0].update(owner="nobody"),
            "themes.json: themes[0].owner: 'nobody' is not a username of people.json",
        ),
        (
            "launches.json",
            lambda d: d["launches"][3].update(launch_type="party"),
            "launches.json: launches[3].launch_type: 'party' is not a valid LaunchType",
        ),
        (
            "launches.json",
            lambda d: d["launches"][3].update(themes=["teleportation"]),
            "launches.json: launches[3].themes: 'teleportation' is not the topic key of a theme of themes.json",
        ),
        (
            "launches.json",
            lambda d: d["checklist_owners"].update(catering="nina.petrova"),
            "launches.json: checklist_owners.catering: 'catering' is not a valid ChecklistTeam",
        ),
        ("wording.json", lambda d: d.pop("openers"), "demo/data/wording.json: openers: missing"),
    ],
)
def test_given_a_bad_value_in_a_data_file_when_loading_then_the_error_names_the_file_the_place_and_the_value(
    data_copy, name, change, message
):
    edit(data_copy, name, change)

    with pytest.raises(VocabularyError) as error:
        load(data_copy)

    assert message in str(error.value)


def test_given_a_missing_or_broken_data_file_when_loading_then_it_says_which(data_copy):
    (data_copy / "names.json").unlink()
    with pytest.raises(VocabularyError, match=r"data/names\.json: the demo data file is missing"):
        load(data_copy)

    shutil.copy(DATA_DIR / "names.json", data_copy / "names.json")
    (data_copy / "themes.json").write_text('{"themes": [', encoding="utf-8")
    with pytest.raises(VocabularyError, match=r"data/themes\.json: not valid JSON"):
        load(data_copy)


# -- one at-risk rule


@pytest.mark.parametrize("lifecycle", list(Lifecycle))
@pytest.mark.parametrize("health", [None, 0, 12, 39, 40, 41, 95])
def test_given_an_account_then_it_is_at_risk_exactly_when_the_customers_rule_says_so(lifecycle, health):
    account = Account(
        id=1, name="Acme", domain="acme.demo.example", industry=Industry.RETAIL, region=Region.UK,
        language=Language.ENGLISH, tier=Tier.STARTUP, arr=Decimal(0), lifecycle=lifecycle,
        use_case=UseCase.RESEARCH, customer_since=date(2024, 1, 1), crm_id=None, health=health,
    )  # fmt: skip

    assert account.at_risk is is_at_risk(lifecycle_stage=lifecycle, health_score=health)
    if lifecycle == Lifecycle.CHURNED:
        assert account.at_risk is False  # a churned account is lost, not at risk


def test_given_choices_then_the_loader_knows_every_account_field_a_topic_may_weigh():
    fields = set(Account.__slots__)

    assert set(vocabulary.AFFINITY_CHOICES) <= fields
    assert all(issubclass(choices, Enum) for choices in vocabulary.AFFINITY_CHOICES.values())
