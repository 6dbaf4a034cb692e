"""The demo's words and weights: the JSON files of ``demo/data``, loaded into typed, validated dataclasses.

The data files hold choice *values* (``"financial_services"``, ``"bug"``); loading turns them into the apps'
choices (``Industry.FINANCIAL_SERVICES``, ``Category.BUG``) and refuses any value that is not a valid choice,
naming the file, the place and the value. Cross-references (a theme's owner is a person, a launch's themes are
topic keys, a person's groups are the product's roles) are checked too. ``VOCABULARY`` is loaded once, on import.

Templates are ``str.format`` strings; their ``{slots}`` are filled by ``demo.slots.Slots``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from customers.choices import Industry, Language, Lifecycle, Plan, Region, Tier, UseCase
from feedback.choices import Category, Product, ProductArea, Severity, Source, Status
from feedbackhub.roles import ROLES
from launches.choices import ChecklistTeam, LaunchStatus, LaunchTeam, LaunchType
from themes.choices import ThemeStatus

DATA_DIR = Path(__file__).resolve().parent / "data"

# The account fields a topic's affinity may weigh (``demo.accounts.Account`` attributes) and their choices.
AFFINITY_CHOICES: dict[str, type[Enum]] = {
    "industry": Industry,
    "region": Region,
    "language": Language,
    "tier": Tier,
    "lifecycle": Lifecycle,
    "use_case": UseCase,
}

E = TypeVar("E", bound=Enum)


class VocabularyError(ValueError):
    """A data file of the demo is missing, malformed or holds a value the demo cannot use."""


# --------------------------------------------------------------------------------------------------------------
# What the data files describe


@dataclass(frozen=True)
class Person:
    """A member of staff of the demo company."""

    username: str
    first_name: str
    last_name: str
    title: str
    role: str  # pm | account_owner | launch_owner | engineer | leadership | marketing | legal
    groups: tuple[str, ...]  # role names of feedbackhub.roles
    regions: tuple[Region, ...] = ()  # account owners: the regions whose accounts they own


@dataclass(frozen=True)
class Body:
    """What the customer says (a template) and the one-line summary triage writes for it."""

    category: Category
    text: str
    summary: str
    sentiment: tuple[float, float] | None = None  # overrides the category's range
    product: Product | None = None  # overrides the topic's product mix
    area: ProductArea | None = None  # overrides the topic's product areas


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: each topic is one object
class Topic:
    """A subject customers raise again and again; themed topics back one demo theme each."""

    key: str
    weight: float
    products: dict[Product, float]
    areas: dict[ProductArea, float]
    tags: tuple[str, ...]
    bodies: tuple[Body, ...]
    fr: tuple[Body, ...] = ()
    de: tuple[Body, ...] = ()
    source_bias: tuple[tuple[Source, float], ...] = ()  # (source, probability) that overrides the category's sources
    exclude_sources: frozenset[Source] = frozenset()  # channels this topic never comes through
    affinity: dict[str, dict[str, float]] = field(default_factory=dict)  # account field → value → weight multiplier


@dataclass(frozen=True)
class ThemeSpec:
    """One demo theme, backed by a feedback topic."""

    topic: str
    name: str
    status: ThemeStatus
    owner: str
    description: str
    problem_statement: str
    tracker_issues: tuple[str, ...] = ()


@dataclass(frozen=True)
class LaunchSpec:
    """One demo launch; offsets are days relative to today."""

    name: str
    launch_type: LaunchType
    status: LaunchStatus
    team: LaunchTeam
    owner: str
    start_offset: int
    target_offset: int
    shipped_offset: int | None
    themes: tuple[str, ...]  # topic keys of the linked themes
    tracker_keys: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Vocabulary:
    """Everything the demo draws from, as loaded from ``demo/data``."""

    people: tuple[Person, ...]
    # customers.json
    industry_weights: dict[Industry, float]
    region_weights: dict[Region, float]
    language_weights_by_region: dict[Region, dict[Language, float]]
    tier_weights: dict[Tier, float]
    tier_arr_bands: dict[Tier, tuple[int, int]]
    plan_weights_by_tier: dict[Tier, dict[Plan, float]]
    lifecycle_weights: dict[Lifecycle, float]
    health_by_lifecycle: dict[Lifecycle, tuple[int, int]]
    use_case_weights_by_industry: dict[Industry, dict[UseCase, float]]
    name_roots_by_region: dict[Region, tuple[str, ...]]
    name_suffixes_by_industry: dict[Industry, tuple[str, ...]]
    legal_suffixes_by_region: dict[Region, tuple[str, ...]]
    # names.json
    first_names_by_language: dict[Language, tuple[str, ...]]
    last_names_by_language: dict[Language, tuple[str, ...]]
    github_handles: tuple[str, ...]
    # wording.json
    workflows_by_use_case: dict[UseCase, dict[Language, tuple[str, ...]]]
    models_by_product: dict[Product, tuple[tuple[str, str], ...]]
    choice_slots: dict[str, tuple[str, ...]]
    openers: dict[Language, tuple[str, ...]]
    closers: dict[Language, tuple[str, ...]]
    duplicate_leads: dict[Category, tuple[str, ...]]
    call_frames: tuple[str, ...]
    crm_frames: tuple[str, ...]
    linear_frames: tuple[str, ...]
    manual_frames: tuple[str, ...]
    # triage.json
    source_weights_by_category: dict[Category, dict[Source, float]]
    customer_written_sources: frozenset[Source]
    github_repos: dict[str, int]
    slack_reactions: dict[Category, str]
    in_app_pages: dict[ProductArea, str]
    sentiment_by_category: dict[Category, tuple[float, float]]
    severity_weights_by_category: dict[Category, dict[Severity, float]]
    status_weights_by_theme_status: dict[ThemeStatus | None, dict[Status, float]]  # None: items with no theme
    status_weights_of_signals: dict[Status, float]
    # topics.json, themes.json, launches.json
    topics: tuple[Topic, ...]
    themes: tuple[ThemeSpec, ...]
    verification_notes: tuple[str, ...]
    launches: tuple[LaunchSpec, ...]
    checklist_owners: dict[ChecklistTeam, str]
    checklist_team_people: dict[ChecklistTeam, tuple[str, ...]]

    @property
    def topics_by_key(self) -> dict[str, Topic]:
        """Topics by their key."""
        return {topic.key: topic for topic in self.topics}


# --------------------------------------------------------------------------------------------------------------
# Reading and checking one file


class DataFile:
    """One JSON data file; every check names the file and the place of a bad value."""

    def __init__(self, data_dir: Path, name: str):
        self.name = name
        path = data_dir / name
        try:
            self.data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise VocabularyError(f"{path}: the demo data file is missing") from None
        except json.JSONDecodeError as error:
            raise VocabularyError(f"{path}: not valid JSON ({error})") from None

    def error(self, where: str, message: str) -> VocabularyError:
        return VocabularyError(f"demo/data/{self.name}: {where}: {message}")

    def __getitem__(self, key: str) -> Any:
        if key not in self.data:
            raise self.error(key, "missing")
        return self.data[key]

    def choice(self, value: Any, choices: type[E], where: str) -> E:
        """``value`` as a member of ``choices``, or an error that lists the valid values."""
        try:
            return choices(value)
        except ValueError:
            valid = ", ".join(member.value for member in choices)
            raise self.error(where, f"{value!r} is not a valid {choices.__name__} (one of: {valid})") from None

    def number(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.error(where, f"{value!r} is not a number ≥ 0")
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self.error(where, f"{value!r} is not a string")
        return value

    def texts(self, value: Any, where: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise self.error(where, f"{value!r} is not a non-empty list of strings")
        return tuple(self.text(item, f"{where}[{index}]") for index, item in enumerate(value))

    def pair(self, value: Any, where: str, convert: Callable[[Any, str], Any]) -> tuple:
        if not isinstance(value, list) or len(value) != 2:
            raise self.error(where, f"{value!r} is not a pair [low, high]")
        return convert(value[0], f"{where}[0]"), convert(value[1], f"{where}[1]")

    def keyed(self, value: Any, where: str, key: Callable[[Any, str], Any], item: Callable[[Any, str], Any]) -> dict:
        """A JSON object with its keys and values converted (in file order: the draws depend on it)."""
        if not isinstance(value, dict) or not value:
            raise self.error(where, f"{value!r} is not a non-empty object")
        return {key(k, f"{where}.{k}"): item(v, f"{where}.{k}") for k, v in value.items()}

    def by(self, choices: type[Enum], item: Callable[[Any, str], Any]) -> Callable[[Any, str], dict]:
        """A converter of objects keyed by values of ``choices``."""
        return lambda value, where: self.keyed(value, where, lambda k, w: self.choice(k, choices, w), item)

    def weights(self, choices: type[Enum]) -> Callable[[Any, str], dict]:
        """A converter of ``{choice value: weight}`` objects."""
        return self.by(choices, self.number)


# --------------------------------------------------------------------------------------------------------------
# Loading


def load(data_dir: Path = DATA_DIR) -> Vocabulary:
    """Read and check every data file of ``data_dir``; raise ``VocabularyError`` at the first bad value."""
    people, customers, names = (DataFile(data_dir, f"{n}.json") for n in ("people", "customers", "names"))
    wording, triage, topics = (DataFile(data_dir, f"{n}.json") for n in ("wording", "triage", "topics"))
    themes, launches = DataFile(data_dir, "themes.json"), DataFile(data_dir, "launches.json")
    vocabulary = Vocabulary(
        people=_people(people),
        **_customers(customers),
        **_names(names),
        **_wording(wording),
        **_triage(triage),
        topics=_topics(topics),
        **_themes(themes),
        **_launches(launches),
    )
    _check_references(vocabulary, themes=themes, launches=launches)
    return vocabulary


def _people(f: DataFile) -> tuple[Person, ...]:
    def person(value: Any, where: str) -> Person:
        groups = f.texts(value.get("groups"), f"{where}.groups")
        for group in groups:
            if group not in ROLES:
                raise f.error(f"{where}.groups", f"{group!r} is not a role of feedbackhub.roles (one of: {ROLES})")
        return Person(
            username=f.text(value.get("username"), f"{where}.username"),
            first_name=f.text(value.get("first_name"), f"{where}.first_name"),
            last_name=f.text(value.get("last_name"), f"{where}.last_name"),
            title=f.text(value.get("title"), f"{where}.title"),
            role=f.text(value.get("role"), f"{where}.role"),
            groups=groups,
            regions=tuple(f.choice(r, Region, f"{where}.regions") for r in value.get("regions", ())),
        )

    return tuple(person(value, f"people[{index}]") for index, value in enumerate(f["people"]))


def _customers(f: DataFile) -> dict[str, Any]:
    whole = lambda value, where: int(f.number(value, where))  # noqa: E731
    return {
        "industry_weights": f.weights(Industry)(f["industry_weights"], "industry_weights"),
        "region_weights": f.weights(Region)(f["region_weights"], "region_weights"),
        "language_weights_by_region": f.by(Region, f.weights(Language))(
            f["language_weights_by_region"], "language_weights_by_region"
        ),
        "tier_weights": f.weights(Tier)(f["tier_weights"], "tier_weights"),
        "tier_arr_bands": f.by(Tier, lambda v, w: f.pair(v, w, whole))(f["tier_arr_bands"], "tier_arr_bands"),
        "plan_weights_by_tier": f.by(Tier, f.weights(Plan))(f["plan_weights_by_tier"], "plan_weights_by_tier"),
        "lifecycle_weights": f.weights(Lifecycle)(f["lifecycle_weights"], "lifecycle_weights"),
        "health_by_lifecycle": f.by(Lifecycle, lambda v, w: f.pair(v, w, whole))(
            f["health_by_lifecycle"], "health_by_lifecycle"
        ),
        "use_case_weights_by_industry": f.by(Industry, f.weights(UseCase))(
            f["use_case_weights_by_industry"], "use_case_weights_by_industry"
        ),
        "name_roots_by_region": f.by(Region, f.texts)(f["name_roots_by_region"], "name_roots_by_region"),
        "name_suffixes_by_industry": f.by(Industry, f.texts)(
            f["name_suffixes_by_industry"], "name_suffixes_by_industry"
        ),
        "legal_suffixes_by_region": f.by(Region, f.texts)(f["legal_suffixes_by_region"], "legal_suffixes_by_region"),
    }


def _names(f: DataFile) -> dict[str, Any]:
    return {
        "first_names_by_language": f.by(Language, f.texts)(f["first_names_by_language"], "first_names_by_language"),
        "last_names_by_language": f.by(Language, f.texts)(f["last_names_by_language"], "last_names_by_language"),
        "github_handles": f.texts(f["github_handles"], "github_handles"),
    }


def _wording(f: DataFile) -> dict[str, Any]:
    model = lambda value, where: f.pair(value, where, f.text)  # noqa: E731
    models = lambda value, where: tuple(model(v, f"{where}[{i}]") for i, v in enumerate(value))  # noqa: E731
    any_text = lambda key, where: f.text(key, where)  # noqa: E731
    return {
        "workflows_by_use_case": f.by(UseCase, f.by(Language, f.texts))(
            f["workflows_by_use_case"], "workflows_by_use_case"
        ),
        "models_by_product": f.by(Product, models)(f["models_by_product"], "models_by_product"),
        "choice_slots": f.keyed(f["choice_slots"], "choice_slots", any_text, f.texts),
        "openers": f.by(Language, f.texts)(f["openers"], "openers"),
        "closers": f.by(Language, f.texts)(f["closers"], "closers"),
        "duplicate_leads": f.by(Category, f.texts)(f["duplicate_leads"], "duplicate_leads"),
        **{name: f.texts(f[name], name) for name in ("call_frames", "crm_frames", "linear_frames", "manual_frames")},
    }


def _triage(f: DataFile) -> dict[str, Any]:
    score = lambda value, where: f.pair(value, where, _score(f))  # noqa: E731
    by_theme_status = f.by(ThemeStatus, f.weights(Status))(
        f["status_weights_by_theme_status"], "status_weights_by_theme_status"
    )
    unthemed = f.weights(Status)(f["status_weights_unthemed"], "status_weights_unthemed")
    return {
        "source_weights_by_category": f.by(Category, f.weights(Source))(
            f["source_weights_by_category"], "source_weights_by_category"
        ),
        "customer_written_sources": frozenset(
            f.choice(value, Source, "customer_written_sources") for value in f["customer_written_sources"]
        ),
        "github_repos": f.keyed(f["github_repos"], "github_repos", f.text, lambda v, w: int(f.number(v, w))),
        "slack_reactions": f.by(Category, f.text)(f["slack_reactions"], "slack_reactions"),
        "in_app_pages": f.by(ProductArea, f.text)(f["in_app_pages"], "in_app_pages"),
        "sentiment_by_category": f.by(Category, score)(f["sentiment_by_category"], "sentiment_by_category"),
        "severity_weights_by_category": f.by(Category, f.weights(Severity))(
            f["severity_weights_by_category"], "severity_weights_by_category"
        ),
        "status_weights_by_theme_status": {**by_theme_status, None: unthemed},
        "status_weights_of_signals": f.weights(Status)(f["status_weights_of_signals"], "status_weights_of_signals"),
    }


def _score(f: DataFile) -> Callable[[Any, str], float]:
    def score(value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not -1 <= value <= 1:
            raise f.error(where, f"{value!r} is not a sentiment score from -1 to 1")
        return value

    return score


def _topics(f: DataFile) -> tuple[Topic, ...]:
    def body(value: Any, where: str) -> Body:
        return Body(
            category=f.choice(value.get("category"), Category, f"{where}.category"),
            text=f.text(value.get("text"), f"{where}.text"),
            summary=f.text(value.get("summary"), f"{where}.summary"),
            sentiment=f.pair(value["sentiment"], f"{where}.sentiment", _score(f)) if "sentiment" in value else None,
            product=f.choice(value["product"], Product, f"{where}.product") if "product" in value else None,
            area=f.choice(value["area"], ProductArea, f"{where}.area") if "area" in value else None,
        )

    def bodies(value: Any, where: str) -> tuple[Body, ...]:
        return tuple(body(item, f"{where}[{index}]") for index, item in enumerate(value))

    def affinity(value: Any, where: str) -> dict[str, dict[str, float]]:
        result = {}
        for attribute, weights in value.items():
            choices = AFFINITY_CHOICES.get(attribute)
            if choices is None:
                raise f.error(where, f"{attribute!r} is not an account field (one of: {', '.join(AFFINITY_CHOICES)})")
            result[attribute] = f.weights(choices)(weights, f"{where}.{attribute}")
        return result

    def topic(value: Any, where: str) -> Topic:
        return Topic(
            key=f.text(value.get("key"), f"{where}.key"),
            weight=f.number(value.get("weight"), f"{where}.weight"),
            products=f.weights(Product)(value.get("products"), f"{where}.products"),
            areas=f.weights(ProductArea)(value.get("areas"), f"{where}.areas"),
            tags=f.texts(value.get("tags"), f"{where}.tags"),
            bodies=bodies(value.get("bodies", ()), f"{where}.bodies"),
            fr=bodies(value.get("fr", ()), f"{where}.fr"),
            de=bodies(value.get("de", ()), f"{where}.de"),
            source_bias=tuple(
                (f.choice(source, Source, f"{where}.source_bias"), f.number(share, f"{where}.source_bias"))
                for source, share in value.get("source_bias", ())
            ),
            exclude_sources=frozenset(
                f.choice(source, Source, f"{where}.exclude_sources") for source in value.get("exclude_sources", ())
            ),
            affinity=affinity(value.get("affinity", {}), f"{where}.affinity"),
        )

    topics = tuple(topic(value, f"topics[{index}]") for index, value in enumerate(f["topics"]))
    for index, item in enumerate(topics):
        if not item.bodies:
            raise f.error(f"topics[{index}].bodies", "a topic needs at least one English body")
    return topics


def _themes(f: DataFile) -> dict[str, Any]:
    def theme(value: Any, where: str) -> ThemeSpec:
        return ThemeSpec(
            topic=f.text(value.get("topic"), f"{where}.topic"),
            name=f.text(value.get("name"), f"{where}.name"),
            status=f.choice(value.get("status"), ThemeStatus, f"{where}.status"),
            owner=f.text(value.get("owner"), f"{where}.owner"),
            description=f.text(value.get("description"), f"{where}.description"),
            problem_statement=f.text(value.get("problem_statement"), f"{where}.problem_statement"),
            tracker_issues=tuple(value.get("tracker_issues", ())),
        )

    return {
        "themes": tuple(theme(value, f"themes[{index}]") for index, value in enumerate(f["themes"])),
        "verification_notes": f.texts(f["verification_notes"], "verification_notes"),
    }


def _launches(f: DataFile) -> dict[str, Any]:
    def offset(value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise f.error(where, f"{value!r} is not a whole number of days")
        return value

    def launch(value: Any, where: str) -> LaunchSpec:
        shipped = value.get("shipped_offset")
        return LaunchSpec(
            name=f.text(value.get("name"), f"{where}.name"),
            launch_type=f.choice(value.get("launch_type"), LaunchType, f"{where}.launch_type"),
            status=f.choice(value.get("status"), LaunchStatus, f"{where}.status"),
            team=f.choice(value.get("team"), LaunchTeam, f"{where}.team"),
            owner=f.text(value.get("owner"), f"{where}.owner"),
            start_offset=offset(value.get("start_offset"), f"{where}.start_offset"),
            target_offset=offset(value.get("target_offset"), f"{where}.target_offset"),
            shipped_offset=None if shipped is None else offset(shipped, f"{where}.shipped_offset"),
            themes=f.texts(value.get("themes"), f"{where}.themes"),
            tracker_keys=f.texts(value.get("tracker_keys"), f"{where}.tracker_keys"),
            description=f.text(value.get("description"), f"{where}.description"),
        )

    return {
        "launches": tuple(launch(value, f"launches[{index}]") for index, value in enumerate(f["launches"])),
        "checklist_owners": f.by(ChecklistTeam, f.text)(f["checklist_owners"], "checklist_owners"),
        "checklist_team_people": f.by(ChecklistTeam, f.texts)(f["checklist_team_people"], "checklist_team_people"),
    }


def _check_references(vocabulary: Vocabulary, *, themes: DataFile, launches: DataFile) -> None:
    """Usernames and topic keys that one file names must exist in the others; every checklist team has people."""
    usernames = {person.username for person in vocabulary.people}
    topics = vocabulary.topics_by_key

    def known(value: str, known_values: Mapping | set, file: DataFile, where: str, what: str) -> None:
        if value not in known_values:
            raise file.error(where, f"{value!r} is not {what}")

    for index, theme in enumerate(vocabulary.themes):
        known(theme.topic, topics, themes, f"themes[{index}].topic", "a topic key of topics.json")
        known(theme.owner, usernames, themes, f"themes[{index}].owner", "a username of people.json")
    themed = {theme.topic for theme in vocabulary.themes}
    for index, launch in enumerate(vocabulary.launches):
        known(launch.owner, usernames, launches, f"launches[{index}].owner", "a username of people.json")
        for topic in launch.themes:
            known(topic, themed, launches, f"launches[{index}].themes", "the topic key of a theme of themes.json")
    people = [*vocabulary.checklist_owners.values(), *sum(vocabulary.checklist_team_people.values(), ())]
    for username in people:
        known(username, usernames, launches, "checklist owners", "a username of people.json")
    for team in ChecklistTeam:
        if team not in vocabulary.checklist_owners and team not in vocabulary.checklist_team_people:
            raise launches.error("checklist_team_people", f"no one owns the {team.value!r} items")


VOCABULARY = load()
