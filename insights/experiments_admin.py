"""Experiments in the admin (issue 11): the list, the draft's form with its variants, start / stop / conclude, and
the result of a running, stopped or concluded experiment on its page.

Registered by ``insights.admin`` importing this module. Every rule lives in ``insights.experiments``: the form's
``clean`` runs ``validate_metrics``, the variants' formset runs ``validate_variants`` (shares summing to 100, exactly
one control), a new experiment is written by ``create_experiment``, and the actions call ``start_experiment`` /
``stop_experiment`` / ``conclude_experiment`` one experiment at a time, saying why one was refused. Once started, an
experiment's design (variants, shares, metrics, horizon) is read-only: changing it mid-run would change what the
analysis measures. The list never analyses (that is 1 + metrics queries an experiment); the change page does, once.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from unfold.admin import TabularInline
from unfold.decorators import action, display

from feedbackhub.admin_tools import HubModelAdmin
from feedbackhub.formatting import pill
from insights import experiments, shadow
from insights.choices import ExperimentKind, ExperimentStatus, MetricKind
from insights.models import Experiment, Variant

STATUS_VARIANTS = {
    ExperimentStatus.DRAFT: "default",
    ExperimentStatus.RUNNING: "info",
    ExperimentStatus.STOPPED: "warning",
    ExperimentStatus.CONCLUDED: "success",
}
DESIGN_FIELDS = ["key", "kind", "analysis", "planned_end_at", "metrics", "min_sample_per_variant", "correction"]
TABLE = 'style="border-collapse:collapse;margin:.25rem 0 .75rem" class="experiment-result"'
CELL = 'style="padding:.2rem .6rem;border-bottom:1px solid #e5e7eb;text-align:left"'
# The page's buttons: the statuses each is offered from, the service, the past tense, and what it does.
TRANSITIONS = {
    "start": (
        {ExperimentStatus.DRAFT},
        experiments.start_experiment,
        "Started",
        "Starting freezes the design (variants, shares, metrics, horizon): products get assignments and the "
        "analysis counts exposures from now on.",
    ),
    "stop": (
        {ExperimentStatus.RUNNING},
        experiments.stop_experiment,
        "Stopped",
        "Stopping ends the split: products show everyone the control. The result keeps its window.",
    ),
    "conclude": (
        {ExperimentStatus.RUNNING, ExperimentStatus.STOPPED},
        experiments.conclude_experiment,
        "Concluded",
        "Concluding records that the decision is taken: products show everyone the control, and the experiment "
        "stays with its result for retrospectives. It cannot be undone.",
    ),
}


METRICS_HELP = (
    'Success metrics, the first one decides: [{"name": "converted", "kind": "proportion", "event": "report_sent"}, '
    '{"name": "revenue", "kind": "mean", "event": "upgrade", "property": "amount"}, '
    '{"name": "contacted support", "kind": "proportion", "event": "support_contact_closed", "better": "lower"}]. '
    '"better" is "higher" (the default) or "lower" (errors, time to value, support cases): a variant wins only by '
    "moving its metric that way."
)


def _messages(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


class ExperimentForm(forms.ModelForm):
    """The experiment; its metrics checked by ``insights.experiments.validate_metrics``."""

    class Meta:
        model = Experiment
        fields = ["key", "name", "hypothesis", *DESIGN_FIELDS[1:]]
        help_texts = {"metrics": METRICS_HELP}

    def clean_metrics(self):
        try:
            return experiments.validate_metrics(self.cleaned_data.get("metrics"))
        except ValidationError as error:  # the service names the field; a field's clean gives only its messages
            raise ValidationError(_messages(error)) from error


class VariantFormSet(BaseInlineFormSet):
    """The variants together, by ``insights.experiments.validate_variants``: the rule holds for the whole set."""

    def clean(self):
        super().clean()
        if any(self.errors) or self.instance.status != ExperimentStatus.DRAFT:
            return  # a started experiment's variants are read-only (nothing of theirs is submitted)
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("key")
        ]
        try:
            experiments.validate_variants(kept)
        except ValidationError as error:
            raise ValidationError(_messages(error)) from error


class VariantInline(TabularInline):
    model = Variant
    formset = VariantFormSet
    fields = ["key", "name", "share", "is_control"]
    extra = 0
    min_num = 2

    def _draft(self, obj) -> bool:
        return obj is None or obj.status == ExperimentStatus.DRAFT

    def get_readonly_fields(self, request, obj=None):
        return [] if self._draft(obj) else self.fields

    def has_add_permission(self, request, obj=None) -> bool:
        return self._draft(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._draft(obj) and super().has_delete_permission(request, obj)


@admin.register(Experiment)
class ExperimentAdmin(HubModelAdmin):
    """A/B and shadow experiments: designed as drafts, started, stopped and concluded by the actions."""

    form = ExperimentForm
    inlines = [VariantInline]
    list_display = ["key", "name", "kind", "status_label", "analysis", "start_at", "planned_end_at"]
    list_display_links = ["key", "name"]
    list_filter = ["status", "kind"]
    search_fields = ["key", "name"]
    actions = ["start", "stop", "conclude"]
    actions_detail = ["start_one", "stop_one", "conclude_one", "run_shadow"]
    offers_saved_views = False

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ["key", "name", "hypothesis", "status_pill", "start_at"]}),
            ("Design", {"fields": DESIGN_FIELDS[1:]}),
        ]
        if obj is not None and obj.status != ExperimentStatus.DRAFT:
            fieldsets.append(("Result", {"fields": ["result"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None or obj.status == ExperimentStatus.DRAFT:
            return ["status_pill", "start_at"]
        return ["status_pill", "start_at", *DESIGN_FIELDS, "result"]

    def save_model(self, request, obj: Experiment, form, change: bool) -> None:
        """A change saves the form (its rules already ran in ``clean``); a new one waits for its variants."""
        if change:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change: bool) -> None:
        """A new experiment is written by ``insights.experiments.create_experiment`` with its variants at once."""
        if change:
            return super().save_related(request, form, formsets, change)
        variants = [
            {key: data[key] for key in ("key", "name", "share", "is_control")}
            for formset in formsets
            for data in (f.cleaned_data for f in formset.forms)
            if data and not data.get("DELETE") and data.get("key")
        ]
        fields = {name: value for name, value in form.cleaned_data.items() if name not in ("key", "name", "metrics")}
        created = experiments.create_experiment(
            key=form.cleaned_data["key"],
            name=form.cleaned_data["name"],
            variants=variants,
            metrics=form.cleaned_data["metrics"],
            **fields,
        )
        form.instance.pk, form.instance.created_at = created.pk, created.created_at
        for formset in formsets:  # the change message reads what each formset saved
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    # --- Columns ------------------------------------------------------------------------------------------------------

    @display(description="status", ordering="status", label=STATUS_VARIANTS)
    def status_label(self, obj: Experiment):
        return obj.status, obj.get_status_display()

    @admin.display(description="status")
    def status_pill(self, obj: Experiment) -> str:
        return pill(obj.get_status_display(), STATUS_VARIANTS.get(obj.status, "grey"))

    @admin.display(description="result")
    def result(self, obj: Experiment) -> str:
        if obj.pk is None or obj.status == ExperimentStatus.DRAFT:
            return "—"
        if obj.kind == ExperimentKind.SHADOW:
            return render_comparison(shadow.compare(obj))
        return render_analysis(experiments.analyze(obj))

    # --- Actions ------------------------------------------------------------------------------------------------------

    @action(description="Start the selected drafts", permissions=["change"])
    def start(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(request, queryset, experiments.start_experiment, "Started")

    @action(description="Stop (everyone sees the control)", permissions=["change"])
    def stop(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(request, queryset, experiments.stop_experiment, "Stopped")

    @action(description="Conclude (the decision is taken)", permissions=["change"])
    def conclude(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(request, queryset, experiments.conclude_experiment, "Concluded")

    def _apply(self, request: HttpRequest, queryset: QuerySet, service, verb: str) -> None:
        """Each experiment through the service; those it refuses are named with the reason, the others done."""
        done = []
        for experiment in queryset.order_by("key"):
            try:
                service(experiment=experiment)
            except ValidationError as error:
                reason = " ".join(_messages(error))
                self.message_user(request, f"{experiment.key}: not {verb.lower()}. {reason}", messages.ERROR)
            else:
                done.append(experiment.key)
        if done:
            self.message_user(request, f"{verb}: {', '.join(done)}.", messages.SUCCESS)

    # --- The page's buttons -------------------------------------------------------------------------------------------

    @action(description="Start", url_path="start", icon="play_arrow", permissions=["start"])
    def start_one(self, request: HttpRequest, object_id: str):
        return self._transition(request, object_id, "start")

    @action(description="Stop", url_path="stop", icon="pause", permissions=["stop"])
    def stop_one(self, request: HttpRequest, object_id: str):
        return self._transition(request, object_id, "stop")

    @action(description="Conclude", url_path="conclude", icon="flag", permissions=["conclude"])
    def conclude_one(self, request: HttpRequest, object_id: str):
        return self._transition(request, object_id, "conclude")

    @action(description="Run the shadow now", url_path="run-shadow", icon="compare_arrows", permissions=["run_shadow"])
    def run_shadow(self, request: HttpRequest, object_id: str):
        """GET: what running the shadow does; POST: queue one batch per shadow variant (``insights.shadow_tasks``)."""
        experiment = self._experiment_for(request, object_id)
        change_url = reverse("admin:insights_experiment_change", args=[experiment.pk])
        if request.method != "POST":
            return self._confirm(
                request,
                experiment,
                "Run the shadow now",
                "A worker runs each shadow provider on the items the live provider triaged since the start that it "
                "has not seen yet, in batches, and records what it would have set. Nothing on the items changes.",
            )
        from insights.shadow_tasks import queue_shadow_triage

        try:
            shadow.check_recording(experiment)
            if not shadow.is_triage_experiment(experiment):
                raise ValidationError("Its control names no triage provider (offline or mistral).")
        except ValidationError as error:
            self.message_user(request, f"Not run: {' '.join(_messages(error))}", messages.ERROR)
        else:
            queue_shadow_triage(experiment)
            self.message_user(request, "Queued: the comparison below grows as the worker records.", messages.SUCCESS)
        return HttpResponseRedirect(change_url)

    def has_start_permission(self, request: HttpRequest, object_id=None) -> bool:
        return self._offered(request, object_id, "start")

    def has_stop_permission(self, request: HttpRequest, object_id=None) -> bool:
        return self._offered(request, object_id, "stop")

    def has_conclude_permission(self, request: HttpRequest, object_id=None) -> bool:
        return self._offered(request, object_id, "conclude")

    def has_run_shadow_permission(self, request: HttpRequest, object_id=None) -> bool:
        if not self.has_change_permission(request) or object_id is None:
            return False
        experiment = self._cached(request, object_id)
        return (
            experiment is not None
            and experiment.status == ExperimentStatus.RUNNING
            and shadow.is_triage_experiment(experiment)
        )

    def _offered(self, request: HttpRequest, object_id, step: str) -> bool:
        """The button shows for a person who may change experiments, when the status allows the step."""
        if not self.has_change_permission(request) or object_id is None:
            return False
        match = request.resolver_match
        if match is not None and match.url_name == f"insights_experiment_{step}_one":
            return True  # the step's own page (a page open since the status changed): the service decides and says why
        experiment = self._cached(request, object_id)
        return experiment is not None and experiment.status in TRANSITIONS[step][0]

    def _cached(self, request: HttpRequest, object_id) -> Experiment | None:
        """The page's experiment, read once for the four buttons' checks."""
        cache = request.__dict__.setdefault("_experiment_buttons", {})
        if object_id not in cache:
            cache[object_id] = (
                Experiment.objects.filter(pk=object_id).prefetch_related("variants").first()
                if str(object_id).isdigit()
                else None
            )
        return cache[object_id]

    def _experiment_for(self, request: HttpRequest, object_id: str) -> Experiment:
        if not self.has_change_permission(request):
            raise PermissionDenied
        experiment = self.get_object(request, object_id)
        if experiment is None:
            raise Http404("No such experiment.")
        return experiment

    def _confirm(self, request: HttpRequest, experiment: Experiment, button: str, explanation: str, allowed=True):
        context = {
            "allowed": allowed,
            **self.admin_site.each_context(request),
            "title": f"{button}: “{experiment.name}”?",
            "opts": self.opts,
            "experiment": experiment,
            "button": button,
            "explanation": explanation,
            "change_url": reverse("admin:insights_experiment_change", args=[experiment.pk]),
        }
        return TemplateResponse(request, "insights/experiment_confirm.html", context)

    def _transition(self, request: HttpRequest, object_id: str, step: str):
        """GET: what the step does (a link changes nothing); POST: the step through its service, the refusal named."""
        experiment = self._experiment_for(request, object_id)
        sources, service, verb, explanation = TRANSITIONS[step]
        if request.method != "POST":
            return self._confirm(
                request, experiment, step.capitalize(), explanation, allowed=experiment.status in sources
            )
        try:
            service(experiment=experiment)
        except ValidationError as error:
            reason = " ".join(_messages(error))
            self.message_user(request, f"{experiment.key}: not {verb.lower()}. {reason}", messages.ERROR)
        else:
            self.message_user(request, f"{verb}: {experiment.key}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:insights_experiment_change", args=[experiment.pk]))


# --- The result section -----------------------------------------------------------------------------------------------


def _figure(kind: str, figures: dict) -> str:
    if not figures["n"]:
        return "0 subjects"
    if kind == MetricKind.PROPORTION:
        return f"{figures['conversions']:,} / {figures['n']:,} ({figures['conversions'] / figures['n']:.2%})"
    return f"mean {figures['sum'] / figures['n']:.4g} (n = {figures['n']:,})"


def _row(cells) -> str:
    return format_html_join("", "<td " + CELL + ">{}</td>", ((cell,) for cell in cells))


def _table(head: list[str], rows: list[list]) -> str:
    return format_html(
        "<table " + TABLE + "><thead><tr>{}</tr></thead><tbody>{}</tbody></table>",
        format_html_join("", "<th " + CELL + ">{}</th>", ((h,) for h in head)),
        format_html_join("", "<tr>{}</tr>", ((_row(row),) for row in rows)),
    )


def render_analysis(analysis: experiments.Analysis) -> str:
    """The analysis as small tables (every value escaped): exposures, the SRM check, each metric × treatment, and
    the winner or the reasons there is none."""
    arms = _table(
        ["variant", "planned share", "exposed subjects"],
        [
            [f"{arm.key} (control)" if arm.is_control else arm.key, f"{arm.share} %", f"{arm.exposed:,}"]
            for arm in analysis.arms
        ],
    )
    parts = [arms]
    if analysis.multiple_exposures:
        parts.append(
            format_html(
                "<p>{:,} subjects exposed to more than one variant are left out.</p>", analysis.multiple_exposures
            )
        )
    if analysis.srm is not None:
        verdict = pill("mismatch", "danger") if analysis.srm.flagged else pill("ok", "success")
        parts.append(format_html("<p>Sample ratio check: χ² p = {} {}</p>", f"{analysis.srm.p_value:.4g}", verdict))
    if analysis.results:
        rows = []
        for r in analysis.results:
            c = r.comparison
            rows.append(
                [
                    format_html(
                        "{}<br><small style='color:#6b7280;white-space:nowrap'>{} is better</small>", r.metric, r.better
                    ),
                    r.variant,
                    _figure(r.kind, r.control),
                    _figure(r.kind, r.treatment),
                    f"{c.difference:+.4g}" if c else "—",
                    f"({c.ci_low:+.4g}, {c.ci_high:+.4g})" if c else "—",
                    f"{c.p_value:.4g}" if c else r.note,
                    f"{r.p_adjusted:.4g}" if r.p_adjusted is not None else "—",
                    ("yes, better" if r.improves else "yes, worse") if r.significant else "no",
                ]
            )
        parts.append(
            _table(
                ["metric", "variant", "control", "treatment", "difference", "CI", "p-value", "adjusted p", "sig."],
                rows,
            )
        )
    if analysis.winner:
        parts.append(format_html("<p><b>Winner: {}</b></p>", analysis.winner))
    else:
        parts.append(
            format_html(
                "<p><b>No winner</b></p><ul style='list-style:disc;margin-left:1.2rem'>{}</ul>",
                format_html_join("", "<li>{}</li>", ((reason,) for reason in analysis.reasons)),
            )
        )
    method = "always-valid confidence sequence" if analysis.method == "sequential" else "Welch t-test"
    parts.append(
        format_html(
            "<p style='color:#6b7280'>{}, correction {}, α = {}; window {} → {}</p>",
            method,
            analysis.correction,
            analysis.alpha,
            f"{analysis.window[0]:%Y-%m-%d %H:%M}",
            f"{analysis.window[1]:%Y-%m-%d %H:%M}",
        )
    )
    return format_html_join("", "{}", ((part,) for part in parts))


def _rate(rate: shadow.Rate | None) -> str:
    if rate is None or not rate.n:
        return "— (n = 0)"
    low, high = rate.interval
    return f"{rate.value:.1%} ({low:.1%}–{high:.1%}), n = {rate.n:,}"


def render_comparison(comparison: shadow.ShadowComparison) -> str:
    """A shadow experiment's comparison as one table per shadow variant: per field, the agreement with the live
    variant (95 % Wilson interval, n), the most frequent disagreements, and for triage the accuracy of each against
    what people set."""
    parts = []
    for variant in comparison.variants:
        head = ["field", "agreement with live", "most frequent disagreements (live → shadow)"]
        if comparison.triage:
            head += ["live right (reviewed items)", "shadow right (reviewed items)", "shadow had the correction"]
        rows = []
        for figures in variant.fields:
            pairs = "; ".join(f"{live} → {other} ×{count}" for live, other, count in figures.disagreements) or "—"
            row = [figures.field, _rate(figures.agreement), pairs]
            if comparison.triage:
                row += [
                    _rate(figures.live_vs_people),
                    _rate(figures.shadow_vs_people),
                    _rate(figures.shadow_on_overrides),
                ]
            rows.append(row)
        parts.append(
            format_html(
                "<p><b>{}</b> ({}) against the live variant: {} observations</p>",
                variant.key,
                variant.name,
                f"{variant.observations:,}",
            )
        )
        parts.append(_table(head, rows) if rows else format_html("<p>{}</p>", "No observation yet."))
    note = (
        "Shadow experiment: everyone saw the live variant; the others were computed and logged, never shown, so it "
        "is compared, never won. Intervals are 95 % Wilson."
    )
    if comparison.triage:
        note += (
            " Reviewed items: a person moved the item past New or changed a triage field; the person's value is the "
            "item's value now. “Shadow had the correction”: of the live values a person overrode, the shadow's "
            "equalled the person's."
        )
    parts.append(
        format_html("<p style='color:#6b7280'>{} Computed {}.</p>", note, f"{comparison.computed_at:%Y-%m-%d %H:%M}")
    )
    return format_html_join("", "{}", ((part,) for part in parts))
