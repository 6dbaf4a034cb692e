"""Default checklist templates, one per launch type (seed 002, "Launch Checklists").

Each entry is ``team → [(title, days before the target date the item is due)]``. The data migration installs them
as editable ChecklistTemplate rows; ``launches.services.install_default_templates`` restores missing ones.
The heavier the launch type (seed 002's complexity), the more teams and items it involves.
"""

from launches.choices import ChecklistTeam as T
from launches.choices import LaunchType as L

DEFAULT_TEMPLATES: dict[str, dict[str, list[tuple[str, int]]]] = {
    L.MAJOR_MODEL_RELEASE: {
        T.ENGINEERING: [
            ("Evaluation benchmarks run and signed off", 21),
            ("Load and regression tests pass", 14),
            ("Model card and API docs published", 7),
            ("Monitoring and alerting dashboards live", 7),
            ("Rollback plan written and rehearsed", 5),
        ],
        T.MARKETING: [
            ("Launch blog post approved", 7),
            ("Social posts scheduled", 3),
            ("Customer email drafted and segmented", 3),
            ("Landing page live", 1),
        ],
        T.SALES: [
            ("Battlecards updated against competitors", 10),
            ("Demo script and environment ready", 7),
            ("Pricing confirmed and in the price book", 7),
            ("FAQ for account teams published", 5),
        ],
        T.LEGAL: [
            ("Terms of service reviewed", 14),
            ("Privacy and data-processing review done", 14),
            ("Compliance sign-off (export control, AI Act)", 10),
        ],
        T.SUPPORT: [
            ("Knowledge-base articles written", 5),
            ("Support team trained", 3),
            ("Escalation path to the model team defined", 3),
        ],
    },
    L.API_PLATFORM_UPDATE: {
        T.ENGINEERING: [
            ("Integration tests pass on all SDKs", 7),
            ("API reference and changelog updated", 5),
            ("Monitoring for new endpoints live", 3),
            ("Rollback plan written", 3),
        ],
        T.MARKETING: [
            ("Changelog post written", 3),
            ("Developer newsletter item drafted", 2),
        ],
        T.SALES: [
            ("FAQ for account teams published", 3),
        ],
        T.SUPPORT: [
            ("Knowledge-base articles updated", 3),
            ("Support team briefed", 2),
            ("Escalation path defined", 2),
        ],
    },
    L.ENTERPRISE_FEATURE: {
        T.ENGINEERING: [
            ("Tests pass, including permission edge cases", 10),
            ("Admin and API docs written", 7),
            ("Monitoring and audit logging live", 5),
            ("Rollback plan written", 5),
        ],
        T.MARKETING: [
            ("Landing page section updated", 3),
            ("Email to enterprise accounts drafted", 3),
        ],
        T.SALES: [
            ("Battlecard updated", 7),
            ("Demo ready in the sales sandbox", 5),
            ("Pricing and packaging confirmed", 7),
            ("FAQ for account teams published", 5),
        ],
        T.LEGAL: [
            ("Contract and DPA impact reviewed", 10),
            ("Compliance documentation updated (SOC 2, GDPR)", 7),
        ],
        T.SUPPORT: [
            ("Knowledge-base articles written", 3),
            ("Support team trained", 2),
            ("Escalation path defined", 2),
        ],
    },
    L.EXPERIMENTAL_BETA: {
        T.ENGINEERING: [
            ("Feature flag and kill switch in place", 5),
            ("Smoke tests pass", 3),
            ("Usage monitoring live", 2),
        ],
        T.MARKETING: [
            ("Beta announcement to design partners", 1),
        ],
        T.LEGAL: [
            ("Beta terms accepted by participants", 5),
        ],
        T.SUPPORT: [
            ("Escalation path to the beta team defined", 2),
        ],
    },
    L.BUG_FIX_HOTFIX: {
        T.ENGINEERING: [
            ("Regression test added", 1),
            ("Fix verified in staging", 1),
            ("Rollback plan confirmed", 1),
            ("Post-incident review scheduled", 0),
        ],
        T.SUPPORT: [
            ("Affected customers identified and informed", 0),
            ("Known-issue article closed", 0),
        ],
    },
    L.DOCUMENTATION: {
        T.ENGINEERING: [
            ("Technical review by the owning team", 3),
            ("Code samples tested", 2),
        ],
        T.MARKETING: [
            ("Changelog entry written", 1),
        ],
        T.SUPPORT: [
            ("Knowledge-base links updated", 1),
        ],
    },
}
