"""Customer segmentation choices (seed 001, "Customer Segmentation Framework")."""

from django.db import models


class Industry(models.TextChoices):
    """Industry segment."""

    FINANCIAL_SERVICES = "financial_services", "Financial Services"
    HEALTHCARE = "healthcare", "Healthcare"
    TECHNOLOGY = "technology", "Technology"
    MANUFACTURING = "manufacturing", "Manufacturing"
    RETAIL = "retail", "Retail"
    GOVERNMENT = "government", "Government"


class UseCase(models.TextChoices):
    """Primary use case."""

    CODE_GENERATION = "code_generation", "Code Generation"
    CUSTOMER_SUPPORT = "customer_support", "Customer Support"
    DOCUMENT_ANALYSIS = "document_analysis", "Document Analysis"
    DATA_EXTRACTION = "data_extraction", "Data Extraction"
    INTERNAL_TOOLS = "internal_tools", "Internal Tools"
    RESEARCH = "research", "Research"


class Region(models.TextChoices):
    """Sales region."""

    NORTH_AMERICA = "north_america", "North America"
    EUROPE = "europe", "Europe (GDPR)"
    UK = "uk", "UK"
    APAC = "apac", "APAC"
    LATAM = "latam", "LATAM"
    MIDDLE_EAST = "middle_east", "Middle East"


class Language(models.TextChoices):
    """Working language of the account."""

    ENGLISH = "en", "English"
    FRENCH = "fr", "French"
    GERMAN = "de", "German"
    SPANISH = "es", "Spanish"
    JAPANESE = "ja", "Japanese"
    MANDARIN = "zh", "Mandarin"


class Tier(models.TextChoices):
    """ARR band."""

    ENTERPRISE = "enterprise", "Enterprise ($100k+)"
    MID_MARKET = "mid_market", "Mid-Market"
    STARTUP = "startup", "Startup"
    STRATEGIC_PARTNER = "strategic_partner", "Strategic Partner"


class Plan(models.TextChoices):
    """Commercial plan."""

    FREE = "free", "Free"
    PRO = "pro", "Pro"
    ENTERPRISE = "enterprise", "Enterprise"


class Lifecycle(models.TextChoices):
    """Lifecycle stage."""

    PROSPECT = "prospect", "Prospect"
    ONBOARDING = "onboarding", "Onboarding"
    ACTIVE = "active", "Active"
    AT_RISK = "at_risk", "At-Risk"
    CHURNED = "churned", "Churned"
    EXPANSION = "expansion", "Expansion"
