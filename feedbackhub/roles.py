"""The product's roles: one Django group each, with its model permissions.

Created by data migrations (``feedbackhub/migrations/0002_roles.py``, and again whenever the roles change, e.g.
``0003_role_views.py``) so every install has them, demo or not.
Permissions are named by app label and model name only: this module imports nothing of the apps.
"""

from __future__ import annotations

PRODUCT_OPS = "Product ops"
SALES_CS = "Sales / CS"
ENGINEERING = "Engineering"
LAUNCH_OWNERS = "Launch owners"
LEADERSHIP = "Leadership"

# Group → app label → model → actions.
ROLE_PERMISSIONS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    PRODUCT_OPS: {
        "customers": {"customer": ("view", "change"), "usagesnapshot": ("view", "add", "change")},  # usage import
        "feedback": {
            "feedbackitem": ("view", "add", "change", "delete"),
            "embeddingspace": ("view",),
            "productboard": ("view",),
            "bugreport": ("view",),
            "accountfeedback": ("view",),
        },
        "themes": {
            "theme": ("view", "add", "change", "delete"),
            "themeverification": ("view", "add", "change"),
            "leadershiptheme": ("view",),
        },
        "launches": {"launch": ("view",), "checklistitem": ("view",), "customerupdate": ("view", "change")},
        # The loop's jobs (issue 9): product ops runs them, so it sees the outbox and may retry, writes a digest now,
        # tunes the escalation rules and handles escalations, reads survey answers.
        "notifications": {"notification": ("view", "change"), "digest": ("view", "add")},
        "insights": {
            "escalation": ("view", "change"),
            "escalationrule": ("view", "add", "change"),
            "surveyresponse": ("view", "add", "change"),
            # measuring the loop (issue 11): product events in (an ingest token's owner needs add), experiments run
            "productevent": ("view", "add"),
            "experiment": ("view", "add", "change"),
            "variant": ("view", "add", "change"),
            "shadowobservation": ("view", "add"),
            "journeysurvey": ("view", "add", "change"),
            "journeysettings": ("view", "change"),
            "surveyinvitation": ("view",),
            "dashboardfigure": ("view",),  # the KPI dashboard
            "retrospective": ("view", "add", "change"),
            "retrobacklogitem": ("view", "change"),
            "technicalsample": ("view", "add"),
            # capture everywhere and ask the hub (issue 13): discovery records, questions asked
            "designpartnerprogram": ("view", "add", "change"),
            "designpartner": ("view", "add", "change", "delete"),
            "partnercheckin": ("view", "add", "change"),
            "winlossrecord": ("view", "add", "change"),
            "jtbdinterview": ("view", "add", "change"),
            "askedquestion": ("view", "add"),
        },
        # issue 13: the in-product widget's keys and signals, outbound rules and their outbox, community listening
        "integrations": {
            "capturekey": ("view", "add", "change"),
            "capturesignal": ("view",),
            "outboundrule": ("view", "add", "change", "delete"),
            "outboundaction": ("view", "change"),
            "communitywatch": ("view", "add", "change"),
            "communityauthor": ("view", "change"),
        },
    },
    SALES_CS: {
        "customers": {"customer": ("view",), "usagesnapshot": ("view",)},
        "feedback": {"feedbackitem": ("view", "add"), "accountfeedback": ("view",)},
        "themes": {"theme": ("view",)},
        # Account owners tell their customers what shipped and handle their accounts' escalations (own accounts only:
        # the admins scope the rows).
        "launches": {"launch": ("view",), "checklistitem": ("view",), "customerupdate": ("view", "change")},
        "notifications": {"digest": ("view",)},
        "insights": {
            "escalation": ("view", "change"),
            "surveyresponse": ("view",),
            "technicalsample": ("view",),  # their accounts' rows and the all-customer ones (the admin scopes them)
            # issue 13: sales logs win/loss reviews and design-partner check-ins, asks the hub, runs interviews
            "designpartnerprogram": ("view",),
            "designpartner": ("view",),
            "partnercheckin": ("view", "add", "change"),
            "winlossrecord": ("view", "add", "change"),
            "jtbdinterview": ("view", "add"),
            "askedquestion": ("view", "add"),
        },
        "integrations": {"communityauthor": ("view", "change")},  # match a community author to their account
    },
    ENGINEERING: {
        "customers": {"customer": ("view",)},
        "feedback": {"feedbackitem": ("view",), "bugreport": ("view",)},
        "themes": {"theme": ("view",), "themeverification": ("view",)},
        "launches": {"launch": ("view",), "checklistitem": ("view", "change")},
        # technical metrics arrive from engineering's monitoring; retrospectives' backlog items land in their tracker
        "insights": {
            "technicalsample": ("view", "add"),
            "retrospective": ("view",),
            "retrobacklogitem": ("view",),
            "askedquestion": ("view", "add"),
        },
        "integrations": {"outboundrule": ("view",), "outboundaction": ("view",)},  # the tracker issues rules open
    },
    LAUNCH_OWNERS: {
        "themes": {"theme": ("view",)},
        # issue 13: a launch's design partners, weekly check-ins ("ship to them first")
        "insights": {
            "designpartnerprogram": ("view", "add", "change"),
            "designpartner": ("view", "add", "change", "delete"),
            "partnercheckin": ("view", "add", "change"),
            "askedquestion": ("view", "add"),
        },
        "launches": {
            "launch": ("view", "add", "change"),
            "checklistitem": ("view", "add", "change"),
            "checklisttemplate": ("view",),
            "checklisttemplateitem": ("view",),
        },
    },
    LEADERSHIP: {
        "customers": {"customer": ("view",), "usagesnapshot": ("view",)},
        "feedback": {"feedbackitem": ("view",)},
        "themes": {"theme": ("view",), "themeverification": ("view",), "leadershiptheme": ("view",)},
        "launches": {"launch": ("view",), "checklistitem": ("view",), "customerupdate": ("view",)},
        "notifications": {"digest": ("view",)},
        "insights": {
            "escalation": ("view",),
            "surveyresponse": ("view",),
            "experiment": ("view",),
            "dashboardfigure": ("view",),  # the KPI dashboard
            "journeysurvey": ("view",),
            "retrospective": ("view",),
            "retrobacklogitem": ("view",),
            "technicalsample": ("view",),
            "winlossrecord": ("view",),
            "designpartnerprogram": ("view",),
            "askedquestion": ("view", "add"),
        },
        "integrations": {"capturesignal": ("view",)},
    },
}
ROLES = tuple(ROLE_PERMISSIONS)


def sync_roles(apps, *, missing_ok: bool = False) -> None:
    """Create every role's group and set exactly its permissions (idempotent; ``apps`` may be a migration's).

    Permissions are created first: on a fresh database ``post_migrate`` has not made them yet. A permission of a
    model that does not exist yet raises, unless ``missing_ok`` (an early migration; a later one syncs again).
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        previous = getattr(app_config, "models_module", None)  # none in a migration's app states; the real ones stay
        app_config.models_module = previous or True
        try:
            create_permissions(app_config, verbosity=0, apps=apps)
        finally:
            app_config.models_module = previous
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, wanted in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        codenames = {
            (app_label, f"{action}_{model}")
            for app_label, models in wanted.items()
            for model, actions in models.items()
            for action in actions
        }
        permissions = permission_model.objects.filter(
            content_type__app_label__in=list(wanted), codename__in=[codename for _, codename in codenames]
        ).select_related("content_type")
        found = [p for p in permissions if (p.content_type.app_label, p.codename) in codenames]
        missing = codenames - {(p.content_type.app_label, p.codename) for p in found}
        if missing and not missing_ok:
            raise LookupError(f"role {name!r} names permissions that do not exist: {sorted(missing)}")
        group.permissions.set(found)
