"""The admin of API tokens: create one per integration (its key shown once, on the page that follows), list, revoke.

Nothing of a token can be edited afterwards and its key is never shown again: only its hash is stored. A token acts
as its owner, so only a superuser may create one for someone else (an admin who may add tokens but is no superuser
would otherwise borrow a superuser's powers through a token of theirs).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from unfold.decorators import action, display
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget

from feedbackhub.admin_tools import HubModelAdmin
from integrations import services
from integrations.choices import Scope
from integrations.models import ApiToken

NEW_KEY_ATTRIBUTE = "_integrations_new_key"  # on the request, from save_model to response_add: never stored


class ApiTokenAddForm(forms.ModelForm):
    """Name, owner and scopes: everything else (the key, its prefix and hash) comes from ``create_token``."""

    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        help_text="Read: GET any endpoint. Write: create, change and delete. Ingest: push feedback in.",
    )

    class Meta:
        model = ApiToken
        fields = ["name", "owner", "scopes"]


class TokenStateFilter(admin.SimpleListFilter):
    """Active or revoked."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() in {"active", "revoked"}:
            return queryset.filter(revoked_at__isnull=self.value() == "active")
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(HubModelAdmin):
    """One token per integration: who owns it, what it may do, when it was last used, whether it was revoked."""

    add_form = ApiTokenAddForm
    list_display = ["name", "key_start", "owner", "scope_list", "created_at", "last_used_at", "state"]
    list_display_links = ["name"]
    list_filter = [TokenStateFilter]
    list_select_related = ["owner"]
    search_fields = ["name", "prefix", "owner__username"]
    actions = ["revoke_selected"]
    actions_detail = ["revoke"]
    offers_saved_views = False
    shown_fields = ["name", "owner", "scope_list", "key_start", "created_at", "last_used_at", "revoked_at"]

    # --- Creating: the key is shown once, on the page the form leads to -----------------------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return list(self.add_form.Meta.fields) if obj is None else self.shown_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.shown_fields

    def get_changeform_initial_data(self, request) -> dict:
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            users = get_user_model().objects.filter(is_active=True).order_by("username")
            kwargs["queryset"] = users if request.user.is_superuser else users.filter(pk=request.user.pk)
            kwargs["help_text"] = "The token acts as this person: their permissions apply to every request."
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            raise PermissionDenied  # nothing of a token is edited after it was created
        new = services.create_token(name=obj.name, owner=obj.owner, scopes=obj.scopes)
        obj.__dict__.update({f.attname: getattr(new.token, f.attname) for f in ApiToken._meta.concrete_fields})
        obj._state = new.token._state
        setattr(request, NEW_KEY_ATTRIBUTE, new.key)

    def response_add(self, request, obj, post_url_continue=None):
        """The only page that ever shows the key; no message, session or log keeps a copy."""
        key = getattr(request, NEW_KEY_ATTRIBUTE, None)
        if key is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": f"API token “{obj.name}” created",
            "opts": self.opts,
            "token": obj,
            "key": key,
            "list_url": reverse("admin:integrations_apitoken_changelist"),
        }
        response = TemplateResponse(request, "integrations/token_created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    # --- Nothing is changed by hand; revoking is the one change ------------------------------------------------------

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_revoke_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("integrations.change_apitoken")

    @action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke_selected(self, request, queryset: QuerySet) -> None:
        revoked = services.revoke_tokens(tokens=queryset)
        self.message_user(request, f"Revoked {revoked:,} token(s): they no longer open the API.", messages.SUCCESS)

    @action(description="Revoke", url_path="revoke", icon="block", permissions=["revoke"])
    def revoke(self, request, object_id: str):
        """GET: what revoking does; POST: revoke (a link never changes anything)."""
        token = self.get_object(request, object_id)
        if token is None:
            raise Http404("No such token.")
        change_url = reverse("admin:integrations_apitoken_change", args=[token.pk])
        if request.method == "POST":
            services.revoke_token(token=token)
            self.message_user(request, f"Revoked “{token.name}”: it no longer opens the API.", messages.SUCCESS)
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Revoke “{token.name}”?",
            "opts": self.opts,
            "token": token,
            "change_url": change_url,
        }
        return TemplateResponse(request, "integrations/token_revoke.html", context)

    # --- Columns ------------------------------------------------------------------------------------------------------

    @admin.display(description="key")
    def key_start(self, obj: ApiToken) -> str:
        return f"fbh_{obj.prefix}_…"

    @admin.display(description="scopes")
    def scope_list(self, obj: ApiToken) -> str:
        return ", ".join(obj.scopes)

    @display(description="state", label={"active": "success", "revoked": "danger"})
    def state(self, obj: ApiToken) -> tuple[str, str]:
        if obj.revoked_at:
            return "revoked", f"revoked {obj.revoked_at:%Y-%m-%d}"
        return "active", "active"


import integrations.capture_admin  # noqa: E402, F401 - in-product capture keys and signals
import integrations.community_admin  # noqa: E402, F401 - community watches and authors
import integrations.outbound_admin  # noqa: E402, F401 - outbound rules and actions, the item's tracker links
