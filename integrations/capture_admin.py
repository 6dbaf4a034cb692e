"""The admin of in-product capture: keys (one per product embedding the widget) and the signals they counted.

A key is created here (``capture.create_capture_key``): the page that follows shows the script tag to copy and the
signing secret, in full, that once; afterwards the secret is shown masked. "Rotate signing secret" on a key's page
(change permission; GET asks, POST rotates) replaces a leaked secret: ``capture.rotate_secret``, a CHANGE in the
key's history, and the new secret shown in full on the page the POST answers, that once. Its name, origins, unsigned
mode and switch are edited by hand; its public key never changes. The signals (thumbs, searches that found nothing) are
read-only: the widget writes them. "Demo on another origin" explains the embedding and how to see it work.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from unfold.decorators import action, display

from feedback.choices import Source
from feedbackhub.admin_tools import HubModelAdmin, ReadOnlyAdminMixin
from integrations import capture
from integrations.models import CaptureKey, CaptureSignal

NEW_SECRET_ATTRIBUTE = "_capture_new_secret"  # on the request, from save_model to response_add: never logged
DEMO_HOST = "http://127.0.0.1:8001"  # ``manage.py capture_demo --port 8001`` serves the host page there


class OriginsField(forms.CharField):
    """Allowed origins, one per line, each normalised (``capture.clean_origins``); a bad one is named."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        try:
            return capture.clean_origins((value or "").splitlines())
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error


class CaptureKeyForm(forms.ModelForm):
    """What a person sets; the public key and the secret come from ``create_capture_key``."""

    allowed_origins = OriginsField(
        required=False,
        help_text="One per line, exactly as the browser sends it: scheme://host[:port], e.g. https://app.example.com.",
    )

    class Meta:
        model = CaptureKey
        fields = ["name", "product", "allowed_origins", "unsigned", "active"]


@admin.register(CaptureKey)
class CaptureKeyAdmin(HubModelAdmin):
    """One key per product: where it may be embedded, whether unsigned captures count, and its script tag."""

    form = CaptureKeyForm
    list_display = ["name", "product", "public_key", "origins", "unsigned", "active"]
    list_filter = ["product", "active"]
    search_fields = ["name", "=public_key"]
    actions_list = ["demo_page"]
    actions_detail = ["rotate_secret"]
    offers_saved_views = False
    shown_fields = ["public_key", "secret_masked", "embed", "created_at"]

    def get_fields(self, request, obj=None):
        editable = list(self.form.Meta.fields)
        return editable if obj is None else [*editable, *self.shown_fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.shown_fields

    def save_model(self, request, obj, form, change) -> None:
        data = {name: form.cleaned_data[name] for name in self.form.Meta.fields}
        if change:
            capture.update_capture_key(key=obj, **data)
            return
        active = data.pop("active")
        key = capture.create_capture_key(**data)
        if not active:
            capture.update_capture_key(key=key, active=False)
        obj.__dict__.update({f.attname: getattr(key, f.attname) for f in CaptureKey._meta.concrete_fields})
        obj._state = key._state
        setattr(request, NEW_SECRET_ATTRIBUTE, key.signing_secret)

    def response_add(self, request, obj, post_url_continue=None):
        """The one page that shows the whole secret, with the script tag to embed."""
        if getattr(request, NEW_SECRET_ATTRIBUTE, None) is None:
            return super().response_add(request, obj, post_url_continue)
        response = TemplateResponse(
            request,
            "integrations/capture_key_created.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Capture key “{obj.name}” created",
                "opts": self.opts,
                "key": obj,
                "secret": getattr(request, NEW_SECRET_ATTRIBUTE),
                "script_tag": capture.script_tag(key=obj, hub_url=request.build_absolute_uri("/")),
                "change_url": reverse("admin:integrations_capturekey_change", args=[obj.pk]),
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    # --- Columns and read-only fields ---------------------------------------------------------------------------------

    @admin.display(description="allowed origins")
    def origins(self, obj: CaptureKey) -> str:
        return ", ".join(obj.allowed_origins) or "— (none: every browser is refused)"

    @admin.display(description="signing secret")
    def secret_masked(self, obj: CaptureKey) -> str:
        return f"{obj.signing_secret[:4]}…{'•' * 12} (shown in full once, when it was made or last rotated)"

    @admin.display(description="embed")
    def embed(self, obj: CaptureKey) -> str:
        """The script tag, with the hub's address from ``HUB_BASE_URL`` (a placeholder until it is set)."""
        tag = capture.script_tag(key=obj, hub_url=settings.HUB_BASE_URL or "https://YOUR-HUB")
        return format_html(
            '<textarea readonly rows="3" aria-label="Script tag" onfocus="this.select()" '
            'style="width:100%;font-family:monospace;font-size:.8rem">{}</textarea>',
            tag,
        )

    # --- Rotating the signing secret ----------------------------------------------------------------------------------

    @action(
        description="Rotate signing secret",
        url_path="rotate-secret",
        icon="key",
        permissions=["change"],  # has_change_permission: a dotted name makes unfold query the database in checks,
    )
    def rotate_secret(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET: what rotating does; POST: rotate, log it, and show the new secret this once (a link changes nothing)."""
        key = self.get_object(request, object_id)
        if key is None:
            raise Http404("No such capture key.")
        change_url = reverse("admin:integrations_capturekey_change", args=[key.pk])
        secret, title = None, f"Rotate the signing secret of “{key.name}”?"
        if request.method == "POST":
            secret = capture.rotate_secret(key=key, user=request.user)  # logged there: the message, never the secret
            title = f"Signing secret of “{key.name}” rotated"
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "key": key,
            "secret": secret,
            "change_url": change_url,
        }
        response = TemplateResponse(request, "integrations/capture_secret_rotate.html", context)
        response["Cache-Control"] = "no-store"
        return response

    # --- The demo page ------------------------------------------------------------------------------------------------

    @action(description="Demo on another origin", url_path="demo", icon="preview", permissions=["view"])
    def demo_page(self, request: HttpRequest) -> HttpResponse:
        """How to embed the widget, and the command that serves a host page on a second origin to try it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        hub = request.build_absolute_uri("/").rstrip("/")
        keys = [
            {"key": key, "tag": capture.script_tag(key=key, hub_url=hub), "demo": DEMO_HOST in key.allowed_origins}
            for key in CaptureKey.objects.filter(active=True)
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "In-product capture: embed the widget",
            "opts": self.opts,
            "keys": keys,
            "hub": hub,
            "demo_host": DEMO_HOST,
            "signals_url": reverse("admin:integrations_capturesignal_changelist"),
            "feedback_url": reverse("admin:feedback_feedbackitem_changelist") + f"?source__exact={Source.IN_APP}",
        }
        return TemplateResponse(request, "integrations/capture_demo.html", context)


@admin.register(CaptureSignal)
class CaptureSignalAdmin(ReadOnlyAdminMixin, HubModelAdmin):
    """Thumbs and searches that found nothing, counted per key, day, feature or query (the widget writes them)."""

    list_display = ["day", "kind_pill", "feature", "query", "count", "key", "last_at"]
    list_filter = ["kind", "key", "day"]
    list_select_related = ["key"]
    search_fields = ["feature", "query"]
    readonly_fields = ["key", "day", "kind", "feature", "query", "count", "last_page", "last_at"]
    fields = readonly_fields
    offers_saved_views = False

    @display(
        description="kind",
        label={"thumbs_up": "success", "thumbs_down": "danger", "zero_results": "warning"},
    )
    def kind_pill(self, obj: CaptureSignal) -> tuple[str, str]:
        return obj.kind, obj.get_kind_display()
