"""Launch choices (seed 002, "Launch Calendar" and "Launch Checklists")."""

from django.db import models


class LaunchType(models.TextChoices):
    """The six launch types; each has its checklist template."""

    MAJOR_MODEL_RELEASE = "major_model_release", "Major Model Release"
    API_PLATFORM_UPDATE = "api_platform_update", "API/Platform Update"
    ENTERPRISE_FEATURE = "enterprise_feature", "Enterprise Feature"
    EXPERIMENTAL_BETA = "experimental_beta", "Experimental/Beta"
    BUG_FIX_HOTFIX = "bug_fix_hotfix", "Bug Fix / Hotfix"
    DOCUMENTATION = "documentation", "Documentation"


class Complexity(models.TextChoices):
    """How heavy a launch type's checklist is."""

    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


LAUNCH_TYPE_COMPLEXITY = {
    LaunchType.MAJOR_MODEL_RELEASE: Complexity.HIGH,
    LaunchType.API_PLATFORM_UPDATE: Complexity.MEDIUM,
    LaunchType.ENTERPRISE_FEATURE: Complexity.MEDIUM,
    LaunchType.EXPERIMENTAL_BETA: Complexity.LOW,
    LaunchType.BUG_FIX_HOTFIX: Complexity.LOW,
    LaunchType.DOCUMENTATION: Complexity.LOW,
}


class LaunchStatus(models.TextChoices):
    """Where the launch stands."""

    IN_DEV = "in_dev", "In Dev"
    BETA = "beta", "Beta"
    AT_RISK = "at_risk", "At Risk"
    SHIPPED = "shipped", "Shipped"


class LaunchTeam(models.TextChoices):
    """The team that owns the launch (calendar filter)."""

    ENGINEERING = "engineering", "Engineering"
    ML = "ml", "ML"
    PRODUCT = "product", "Product"


class ChecklistTeam(models.TextChoices):
    """The five teams that each get a section of a launch checklist."""

    ENGINEERING = "engineering", "Engineering"
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"
    LEGAL = "legal", "Legal"
    SUPPORT = "support", "Support"


TEAM_GROUP_PREFIX = "Team: "

# One Django group per checklist team: its members tick that team's items (launches.services.can_tick).
CHECKLIST_TEAM_GROUPS: dict[str, str] = {team.value: f"{TEAM_GROUP_PREFIX}{team.label}" for team in ChecklistTeam}

# What a team group may do: read launches, read and tick checklist items (the team rule narrows which ones).
TEAM_GROUP_PERMISSIONS: tuple[str, ...] = ("view_launch", "view_checklistitem", "change_checklistitem")
