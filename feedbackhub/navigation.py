"""The admin's sidebar (unfold SIDEBAR): the hub's work first, grouped by role, each entry shown to who may use it."""

from __future__ import annotations

from django.urls import reverse_lazy
from django.utils.text import format_lazy


def may(*permissions: str):
    """A sidebar permission callback: the user has any of ``permissions``."""
    return lambda request: any(request.user.has_perm(permission) for permission in permissions)


def item(title: str, icon: str, url_name: str, *permissions: str) -> dict:
    return {"title": title, "icon": icon, "link": reverse_lazy(url_name), "permission": may(*permissions)}


SIDEBAR = {
    "show_search": True,
    "show_all_applications": True,
    "navigation": [
        {
            "title": "Feedback",
            "items": [
                {"title": "Dashboard", "icon": "dashboard", "link": reverse_lazy("admin:index")},
                item(  # questions answered from the feedback base with cited verbatims (insights.ask_admin)
                    "Ask the hub", "question_answer", "admin:insights_ask", "feedback.view_feedbackitem"
                ),
                item(  # what was asked, which questions found no evidence (insights.asked_admin)
                    "Questions asked",
                    "history",
                    "admin:insights_askedquestion_changelist",
                    "feedback.view_feedbackitem",
                ),
                item("Feedback items", "forum", "admin:feedback_feedbackitem_changelist", "feedback.view_feedbackitem"),
                item(
                    "Product board",
                    "view_kanban",
                    "admin:feedback_productboard_changelist",
                    "feedback.view_productboard",
                ),
                item("Bugs", "bug_report", "admin:feedback_bugreport_changelist", "feedback.view_bugreport"),
                item(
                    "My accounts' feedback",
                    "handshake",
                    "admin:feedback_accountfeedback_changelist",
                    "feedback.view_accountfeedback",
                ),
                item(  # the AI's suggested duplicates, for a PM to confirm or reject (feedback.duplicates_admin)
                    "Duplicate suggestions",
                    "difference",
                    "admin:feedback_duplicatesuggestion_changelist",
                    "feedback.view_duplicatesuggestion",
                ),
                item("Merges", "call_merge", "admin:feedback_merge_changelist", "feedback.view_merge"),
                {  # items the AI triage could not read well (feedback.triage_admin.TriageFilter)
                    "title": "Needs a person",
                    "icon": "front_hand",
                    "link": format_lazy(
                        "{}?triage=needs_person", reverse_lazy("admin:feedback_feedbackitem_changelist")
                    ),
                    "permission": may("feedback.change_feedbackitem"),
                },
                item(  # seed 002's validation: override rates, accuracy from reviews, shadow agreement
                    "Triage quality", "fact_check", "admin:feedback_triagerecord_quality", "feedback.view_triagerecord"
                ),
                item(  # ingested feedback no account matched (integrations.role_views)
                    "Needs a customer",
                    "person_search",
                    "admin:integrations_unmatchedfeedback_changelist",
                    "feedback.change_feedbackitem",
                ),
            ],
        },
        {  # capture everywhere (issue 13): the in-product widget, discovery records, community listening
            "title": "Capture & discovery",
            "items": [
                item(
                    "Log a check-in",
                    "edit_note",
                    "admin:insights_partnercheckin_add",
                    "insights.add_partnercheckin",
                ),
                item(
                    "Design-partner programs",
                    "diversity_3",
                    "admin:insights_designpartnerprogram_changelist",
                    "insights.view_designpartnerprogram",
                ),
                item(
                    "Partner check-ins",
                    "event_note",
                    "admin:insights_partnercheckin_changelist",
                    "insights.view_partnercheckin",
                ),
                item(
                    "Win/loss records",
                    "trophy",
                    "admin:insights_winlossrecord_changelist",
                    "insights.view_winlossrecord",
                ),
                item(
                    "JTBD interviews",
                    "record_voice_over",
                    "admin:insights_jtbdinterview_changelist",
                    "insights.view_jtbdinterview",
                ),
                item(
                    "In-product signals",
                    "thumbs_up_down",
                    "admin:integrations_capturesignal_changelist",
                    "integrations.view_capturesignal",
                ),
                item(
                    "Widget keys", "widgets", "admin:integrations_capturekey_changelist", "integrations.view_capturekey"
                ),
                item(
                    "Widget demo",
                    "preview",
                    "admin:integrations_capturekey_demo_page",
                    "integrations.view_capturekey",
                ),
                item(
                    "Community watches",
                    "forum",
                    "admin:integrations_communitywatch_changelist",
                    "integrations.view_communitywatch",
                ),
                item(
                    "Community authors",
                    "groups_3",
                    "admin:integrations_communityauthor_changelist",
                    "integrations.view_communityauthor",
                ),
            ],
        },
        {
            "title": "Themes",
            "items": [
                item("Themes", "category", "admin:themes_theme_changelist", "themes.view_theme"),
                item(
                    "Themes by ARR",
                    "leaderboard",
                    "admin:themes_leadershiptheme_changelist",
                    "themes.view_leadershiptheme",
                ),
                item(  # clusters of unthemed feedback, for a PM to accept, rename or reject (themes.suggestions_admin)
                    "Theme suggestions",
                    "auto_awesome",
                    "admin:themes_themesuggestion_changelist",
                    "themes.view_themesuggestion",
                ),
            ],
        },
        {  # closing the loop (issue 9): who to tell, what needs attention, what the hub sent
            "title": "Loop",
            "items": [
                item(
                    "Escalations",
                    "notification_important",
                    "admin:insights_escalation_changelist",
                    "insights.view_escalation",
                ),
                {
                    "title": "My escalations",
                    "icon": "person_alert",
                    "link": format_lazy("{}?whose=mine", reverse_lazy("admin:insights_escalation_changelist")),
                    "permission": may("insights.view_escalation"),
                },
                item(
                    "Customer updates",
                    "campaign",
                    "admin:launches_customerupdate_changelist",
                    "launches.view_customerupdate",
                ),
                {
                    "title": "My customer updates",
                    "icon": "contact_mail",
                    "link": format_lazy("{}?whose=mine", reverse_lazy("admin:launches_customerupdate_changelist")),
                    "permission": may("launches.view_customerupdate"),
                },
                item(
                    "Weekly digests", "summarize", "admin:notifications_digest_changelist", "notifications.view_digest"
                ),
                item(
                    "Outbox", "outbox", "admin:notifications_notification_changelist", "notifications.view_notification"
                ),
                item(  # rules that open tracker issues (dry run until switched on), and their outbox (issue 13)
                    "Outbound rules",
                    "rule_settings",
                    "admin:integrations_outboundrule_changelist",
                    "integrations.view_outboundrule",
                ),
                item(
                    "Tracker and CRM writes",
                    "send",
                    "admin:integrations_outboundaction_changelist",
                    "integrations.view_outboundaction",
                ),
                {
                    "title": "Failed deliveries",
                    "icon": "error",
                    "link": format_lazy(
                        "{}?status__exact=failed", reverse_lazy("admin:notifications_notification_changelist")
                    ),
                    "permission": may("notifications.view_notification"),
                },
            ],
        },
        {  # measuring the loop (issue 11): what customers say in surveys, what they do, what it adds up to
            "title": "Measure",
            "items": [
                {
                    "title": "KPI dashboard",
                    "icon": "monitoring",
                    "link": reverse_lazy("admin:insights_kpis"),
                    "permission": may("insights.view_dashboardfigure", "insights.view_experiment"),
                },
                item(
                    "Journey surveys", "quiz", "admin:insights_journeysurvey_changelist", "insights.view_journeysurvey"
                ),
                item(
                    "Survey invitations",
                    "forward_to_inbox",
                    "admin:insights_surveyinvitation_changelist",
                    "insights.view_surveyinvitation",
                ),
                item(
                    "Survey responses",
                    "reviews",
                    "admin:insights_surveyresponse_changelist",
                    "insights.view_surveyresponse",
                ),
                item(
                    "Product events",
                    "touch_app",
                    "admin:insights_productevent_changelist",
                    "insights.view_productevent",
                ),
                item("Experiments", "science", "admin:insights_experiment_changelist", "insights.view_experiment"),
                item(
                    "Retrospectives",
                    "history_edu",
                    "admin:insights_retrospective_changelist",
                    "insights.view_retrospective",
                ),
                item(
                    "Technical metrics vs feedback",
                    "troubleshoot",
                    "admin:insights_technicalsample_correlations",
                    "insights.view_technicalsample",
                ),
                item(
                    "Technical samples",
                    "speed",
                    "admin:insights_technicalsample_changelist",
                    "insights.view_technicalsample",
                ),
            ],
        },
        {
            "title": "Customers",
            "items": [
                item("Customers", "apartment", "admin:customers_customer_changelist", "customers.view_customer"),
                item("Usage", "monitoring", "admin:customers_usagesnapshot_changelist", "customers.view_usagesnapshot"),
                {  # every staff user follows the long exports and imports they start (feedbackhub.sheet_jobs)
                    "title": "Imports and exports",
                    "icon": "sync_alt",
                    "link": reverse_lazy("admin:feedbackhub_sheetjob_changelist"),
                    "permission": lambda request: request.user.is_active and request.user.is_staff,
                },
            ],
        },
        {
            "title": "Launches",
            "items": [
                item("Launches", "rocket_launch", "admin:launches_launch_changelist", "launches.view_launch"),
                item("Calendar", "calendar_month", "admin:launches_launch_calendar", "launches.view_launch"),
                item("Timeline", "view_timeline", "admin:launches_launch_timeline", "launches.view_launch"),
                item(
                    "Checklist templates",
                    "checklist",
                    "admin:launches_checklisttemplate_changelist",
                    "launches.view_checklisttemplate",
                ),
            ],
        },
        {
            "title": "Administration",
            "collapsible": True,
            "items": [
                item("Users", "person", "admin:auth_user_changelist", "auth.view_user"),
                item("Roles and teams", "groups", "admin:auth_group_changelist", "auth.view_group"),
                item("API tokens", "key", "admin:integrations_apitoken_changelist", "integrations.view_apitoken"),
                item(
                    "Connector sync",
                    "sync",
                    "admin:integrations_connectorsync_changelist",
                    "integrations.view_connectorsync",
                ),
                item(
                    "Escalation rules",
                    "rule",
                    "admin:insights_escalationrule_changelist",
                    "insights.view_escalationrule",
                ),
                item(
                    "Domain events", "bolt", "admin:feedbackhub_domainevent_changelist", "feedbackhub.view_domainevent"
                ),
                item(
                    "Scheduled jobs",
                    "schedule",
                    "admin:django_celery_beat_periodictask_changelist",
                    "django_celery_beat.view_periodictask",
                ),
            ],
        },
    ],
}
