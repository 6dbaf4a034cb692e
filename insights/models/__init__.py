"""The insights app's models, one module per capability: the loop's figures, escalations, surveys responses, product
events and experiments (``loop``); journey surveys (``journeys``); retrospectives (``retrospectives``); technical
metrics (``technical``); discovery records (``discovery``); questions asked of the hub (``ask``)."""

from insights.models.ask import AskedQuestion
from insights.models.discovery import (
    PARTNERS_MAX,
    PARTNERS_MIN,
    DesignPartner,
    DesignPartnerProgram,
    JtbdInterview,
    PartnerCheckIn,
    WinLossRecord,
)
from insights.models.journeys import JourneySettings, JourneySurvey, SurveyInvitation, SurveySubmission
from insights.models.loop import (
    PRODUCT_EVENT_MAX_PROPERTIES,
    PRODUCT_EVENT_NAME_PATTERN,
    DashboardFigure,
    Escalation,
    EscalationRule,
    Experiment,
    ProductEvent,
    SurveyResponse,
    Variant,
)
from insights.models.retrospectives import RetroBacklogItem, Retrospective
from insights.models.shadow import ShadowObservation
from insights.models.technical import TechnicalSample

__all__ = [
    "PARTNERS_MAX",
    "PARTNERS_MIN",
    "AskedQuestion",
    "DesignPartner",
    "DesignPartnerProgram",
    "JtbdInterview",
    "PartnerCheckIn",
    "WinLossRecord",
    "PRODUCT_EVENT_MAX_PROPERTIES",
    "PRODUCT_EVENT_NAME_PATTERN",
    "DashboardFigure",
    "Escalation",
    "EscalationRule",
    "Experiment",
    "JourneySettings",
    "JourneySurvey",
    "ProductEvent",
    "RetroBacklogItem",
    "Retrospective",
    "ShadowObservation",
    "SurveyInvitation",
    "SurveyResponse",
    "SurveySubmission",
    "TechnicalSample",
    "Variant",
]
