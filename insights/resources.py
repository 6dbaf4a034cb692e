"""Spreadsheet import and export of survey responses (admin CSV/XLSX, django-import-export).

A row is one answer, matched by (source, external id): importing a file again updates its answers. After the
import commits, the comments become feedback items linked to their answers, and the accounts are rescored
(``insights.surveys.comments_to_feedback``, as the API does). A bad row shows its error in the preview; one bad row
imports nothing (``feedbackhub.sheets.HubResource``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from import_export import fields, widgets

from customers.resources import AccountWidget
from feedback.resources import DateTimeWidget
from feedbackhub.sheets import ChoiceWidget, HubResource
from insights import surveys
from insights.api.serializers import RESERVED_SOURCE, SCALES, SOURCE_PATTERN, is_reserved_source
from insights.choices import SurveyKind
from insights.models import SurveyResponse
from integrations.api.serializers import FUTURE_SLACK, MAX_VERBATIM

DEFAULT_SOURCE = "csv"


class ScoreWidget(widgets.IntegerWidget):
    """A score: a whole number (its range depends on the kind, checked on the row)."""

    def clean(self, value, row=None, **kwargs) -> int | None:
        text = "" if value is None else str(value).strip()
        if not text:
            return None
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise ValueError(f"“{text}” is not a score: a whole number (NPS 0–10, CSAT 1–5).") from None
        if not number.is_integer():
            raise ValueError(f"“{text}” is not a whole number: NPS is 0–10, CSAT 1–5.")
        return int(number)


class SourceWidget(widgets.CharWidget):
    """The survey tool (blank: ``csv``)."""

    def clean(self, value, row=None, **kwargs) -> str:
        text = "" if value is None else str(value).strip()
        if not text:
            return DEFAULT_SOURCE
        if not SOURCE_PATTERN.match(text) or len(text) > 40:
            raise ValueError(f"“{text}” is not a source name: letters, digits and _ . : - only, e.g. typeform.")
        if is_reserved_source(text):
            raise ValueError(RESERVED_SOURCE)
        return text


class SurveyResponseResource(HubResource):
    """NPS and CSAT answers; the account by CRM id, domain or company name."""

    kind = fields.Field(attribute="kind", column_name="Kind", widget=ChoiceWidget(SurveyKind.choices))
    score = fields.Field(attribute="score", column_name="Score", widget=ScoreWidget())
    comment = fields.Field(attribute="comment", column_name="Comment", widget=widgets.CharWidget())
    customer = fields.Field(attribute="customer", column_name="Account", widget=AccountWidget())
    contact_email = fields.Field(attribute="contact_email", column_name="Contact e-mail", widget=widgets.CharWidget())
    survey = fields.Field(attribute="survey", column_name="Survey", widget=widgets.CharWidget())
    source = fields.Field(attribute="source", column_name="Source", widget=SourceWidget())
    external_id = fields.Field(attribute="external_id", column_name="External id", widget=widgets.CharWidget())
    responded_at = fields.Field(attribute="responded_at", column_name="Responded at", widget=DateTimeWidget())
    feedback = fields.Field(column_name="Feedback item", readonly=True)

    class Meta:
        model = SurveyResponse
        fields = [
            "kind",
            "score",
            "comment",
            "customer",
            "contact_email",
            "survey",
            "source",
            "external_id",
            "responded_at",
            "feedback",
        ]
        import_id_fields = []  # matched by (source, external id), see get_instance
        use_transactions = True
        clean_model_instances = True
        name = "Survey responses"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.saved: list[int] = []
        self.user = None

    def get_queryset(self):
        return super().get_queryset().select_related("customer")

    def dehydrate_feedback(self, response: SurveyResponse) -> str:
        return "" if response.feedback_id is None else f"{surveys.FEEDBACK_SOURCE}:{response.feedback_id}"

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.user = kwargs.get("user")
        missing = [c for c in ("Kind", "Score", "Account", "External id", "Responded at") if c not in dataset.headers]
        if missing:
            raise ValueError(f"The file needs the column(s) {', '.join(f'“{c}”' for c in missing)}.")

    def get_instance(self, instance_loader, row):
        try:
            source = self.fields["source"].clean(row) if "Source" in row else DEFAULT_SOURCE
        except ValueError as error:
            raise ValidationError({"Source": str(error)}) from None
        external_id = str(row.get("External id") or "").strip()
        if not external_id:
            raise ValidationError({"External id": "Fill this in: it identifies the answer, so a re-import updates it."})
        return SurveyResponse.objects.filter(source=source, external_id=external_id).first()

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "source" and field.column_name not in row:
            instance.source = DEFAULT_SOURCE
            return
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        instance.external_id = (instance.external_id or "").strip()
        # keyed by field: the model's own checks then skip it, and HubResource names the file's column
        if instance.kind and instance.score is not None and "score" not in errors:
            low, high = SCALES[SurveyKind(instance.kind)]
            if not low <= instance.score <= high:
                label = SurveyKind(instance.kind).label
                errors["score"] = [f"{label}: the score is from {low} to {high}, not {instance.score}."]
        if instance.responded_at and instance.responded_at > timezone.now() + FUTURE_SLACK:
            errors.setdefault("responded_at", []).append("Is in the future: when did the customer answer?")
        if len(instance.comment or "") > MAX_VERBATIM:
            errors.setdefault("comment", []).append(f"At most {MAX_VERBATIM:,} characters.")
        super().validate_instance(instance, errors, validate_unique=False)  # the key was matched in get_instance

    def after_save_instance(self, instance, row, **kwargs):
        super().after_save_instance(instance, row, **kwargs)
        if not kwargs.get("dry_run"):
            self.saved.append(instance.pk)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors() or not self.saved:
            return
        who = self.user.get_username() if self.user is not None else "command"
        saved = SurveyResponse.objects.filter(pk__in=self.saved).select_related("customer")
        surveys.comments_to_feedback(responses=saved, received_via=f"import:{who}")
