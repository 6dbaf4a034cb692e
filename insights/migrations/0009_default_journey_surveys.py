"""Issue 11, journey surveys: the settings row (cooldown 7 days, links valid 14 days), seed 004's four default surveys
(time-to-value, report accuracy, renewal success, support incident; each 3–5 questions) and the minute schedule that
sends due invitations. Each is created once (an existing row, edited in the admin, is left alone) and removed on
reverse."""

from django.db import migrations

from feedbackhub.schedules import every_minute

SCHEDULE = "Journey surveys: send due invitations"

DEFAULT_SURVEYS = [
    {
        "key": "time-to-value",
        "name": "Time to value",
        "trigger_event": "value_delivered",
        "intro": "You just got your first result. Three quick questions about getting there.",
        "delay_minutes": 60,
        "questions": [
            {
                "key": "time_to_value",
                "kind": "choice",
                "text": "How long did it take to get your first result?",
                "choices": ["Under 15 minutes", "15–60 minutes", "1–4 hours", "More than 4 hours"],
            },
            {"key": "ease_of_setup", "kind": "csat", "text": "How easy was the setup? (1 = very hard, 5 = very easy)"},
            {
                "key": "value_perceived",
                "kind": "choice",
                "text": "Did the result give you value?",
                "choices": ["Yes, significant value", "Some value", "Not yet"],
            },
            {"key": "faster", "kind": "text", "text": "What would have got you there faster?"},
        ],
    },
    {
        "key": "report-accuracy",
        "name": "Report accuracy",
        "trigger_event": "report_sent",
        "intro": "You sent a report to your sponsor. How good was it?",
        "delay_minutes": 24 * 60,
        "questions": [
            {"key": "accuracy", "kind": "csat", "text": "How satisfied are you with the accuracy of the report?"},
            {
                "key": "corrections",
                "kind": "choice",
                "text": "Did you have to correct anything before sending it?",
                "choices": ["Nothing", "Minor fixes", "Major fixes", "I could not use it as it was"],
            },
            {
                "key": "sponsor_reaction",
                "kind": "choice",
                "text": "How did your sponsor react?",
                "choices": ["Happy", "Neutral", "They had questions", "Unhappy", "No reaction yet"],
            },
            {"key": "wrong", "kind": "text", "text": "What was missing or wrong?"},
        ],
    },
    {
        "key": "renewal-success",
        "name": "Renewal success",
        "trigger_event": "campaign_ended",
        "intro": "Your campaign has ended. Tell us how it went.",
        "delay_minutes": 24 * 60,
        "questions": [
            {"key": "recommend", "kind": "nps", "text": "How likely are you to recommend us to a colleague?"},
            {
                "key": "renewal",
                "kind": "choice",
                "text": "Is the sponsor renewing?",
                "choices": ["Yes, renewed", "Likely", "Undecided", "Unlikely", "No"],
            },
            {"key": "helped", "kind": "text", "text": "What helped, or what would have helped, the renewal?"},
        ],
    },
    {
        "key": "support-incident",
        "name": "Support incident",
        "trigger_event": "support_contact_closed",
        "intro": "Your support request was closed. How did we do?",
        "delay_minutes": 60,
        "questions": [
            {"key": "support_csat", "kind": "csat", "text": "How satisfied are you with how we handled it?"},
            {
                "key": "resolved",
                "kind": "choice",
                "text": "Is your problem solved?",
                "choices": ["Yes", "Partly", "No"],
            },
            {
                "key": "effort",
                "kind": "choice",
                "text": "How easy was it to get help?",
                "choices": ["Very easy", "Easy", "Hard", "Very hard"],
            },
            {"key": "differently", "kind": "text", "text": "What should we do differently?"},
        ],
    },
]


def create_defaults(apps, schema_editor):
    apps.get_model("insights", "JourneySettings").objects.get_or_create(
        pk=1, defaults={"cooldown_days": 7, "link_valid_days": 14}
    )
    survey_model = apps.get_model("insights", "JourneySurvey")
    for survey in DEFAULT_SURVEYS:
        survey_model.objects.get_or_create(key=survey["key"], defaults={k: v for k, v in survey.items() if k != "key"})


def remove_defaults(apps, schema_editor):
    apps.get_model("insights", "JourneySurvey").objects.filter(key__in=[s["key"] for s in DEFAULT_SURVEYS]).delete()
    apps.get_model("insights", "JourneySettings").objects.filter(pk=1).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0008_journeys_retros_technical"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(create_defaults, remove_defaults),
        every_minute(SCHEDULE, "insights.journey_tasks.send_due_survey_invitations", expire_seconds=55),
    ]
