"""Users and groups in the hub's admin style, and the saved views of the lists."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from feedbackhub import (
    events_admin,  # noqa: F401 - registers the domain events' admin
    saved_views,
    sheet_jobs_admin,  # noqa: F401 - registers the spreadsheet jobs' admin
)
from feedbackhub.models import SavedView

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(BaseUserAdmin, ModelAdmin):
    """People who use the hub: PMs, account owners, launch owners."""

    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin, ModelAdmin):
    """Roles (product ops, sales, engineering...)."""


class SavedViewForm(forms.ModelForm):
    """A saved view's name, query and roles; every rule is ``feedbackhub.saved_views.check_view``'s."""

    changelist = forms.ChoiceField(label="list", help_text="The admin list this view filters.")
    user = None  # the person editing: set by SavedViewAdmin.get_form

    class Meta:
        model = SavedView
        fields = ["name", "query", "shared_with"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # a view stays on its list
            self.fields.pop("changelist", None)
        if "changelist" in self.fields:
            self.fields["changelist"].choices = saved_views.changelists_for(self.user)
        if "shared_with" in self.fields:
            self.fields["shared_with"].queryset = saved_views.shareable_groups(self.user)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            app_label, model_name = self.instance.app_label, self.instance.model_name
        else:
            app_label, _, model_name = cleaned.get("changelist", "").partition(".")
        try:
            checked = saved_views.check_view(
                user=self.user,
                app_label=app_label,
                model_name=model_name,
                name=cleaned.get("name", ""),
                query=cleaned.get("query", ""),
                share_with=cleaned.get("shared_with") or (),
                view=self.instance if self.instance.pk else None,
            )
        except ValidationError as error:
            for field, messages_ in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages_)
        else:
            cleaned["app_label"], cleaned["model_name"] = app_label, model_name
            cleaned["name"], cleaned["query"] = checked.name, checked.query
        return cleaned


@admin.register(SavedView)
class SavedViewAdmin(ModelAdmin):
    """Saved views of the lists: owners rename, re-filter, share and delete theirs; shared ones are read-only."""

    form = SavedViewForm
    list_display = ["name", "list_name", "owner_name", "shared", "open_link", "updated_at"]
    list_select_related = ["owner"]
    search_fields = ["name"]
    ordering = ["app_label", "model_name", "name", "id"]
    readonly_fields = ["list_name", "owner_name", "open_link", "created_at", "updated_at"]

    def get_urls(self):
        save = path("save/", self.admin_site.admin_view(self.save_from_changelist), name="feedbackhub_savedview_save")
        return [save, *super().get_urls()]

    def get_queryset(self, request) -> QuerySet:
        return saved_views.visible_views(request.user).prefetch_related("shared_with")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "changelist", "query", "shared_with"]
        return ["name", "list_name", "query", "shared_with", "owner_name", "open_link", "created_at", "updated_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one by one, each through the owner check
        return actions

    # Any staff user keeps views of the lists they may open: the rules are the service's, not model permissions.
    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is None:
            return self.has_module_permission(request)
        return saved_views.may_change(request.user, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            saved_views.update_view(
                view=obj, user=request.user, name=data["name"], query=data["query"], share_with=data["shared_with"]
            )
            return
        saved = saved_views.save_view(
            user=request.user,
            app_label=data["app_label"],
            model_name=data["model_name"],
            name=data["name"],
            query=data["query"],
            share_with=data["shared_with"],
        )
        for field in SavedView._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        """The service has set the roles already (form.save_m2m() would skip its checks)."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        saved_views.delete_view(view=obj, user=request.user)

    def save_from_changelist(self, request):
        """The Views control's "Save this view" (POST): back to the list with the view applied, or with the error."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        app_label, model_name = request.POST.get("app_label", ""), request.POST.get("model_name", "")
        query = request.POST.get("query", "")
        share_with = [group for group in request.POST.getlist("share_with") if group]
        try:
            view = saved_views.save_view(
                user=request.user,
                app_label=app_label,
                model_name=model_name,
                name=request.POST.get("name", ""),
                query=query,
                share_with=share_with,
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, f"The view was not saved. {message}")
            model_admin = saved_views.changelist_admin(app_label, model_name)
            back = None
            if model_admin is not None and saved_views.may_view_changelist(request.user, model_admin):
                back = saved_views.changelist_url(app_label, model_name, query)
            return HttpResponseRedirect(back or reverse("admin:index"))
        shared = [group.name for group in view.shared_with.all()]
        where = f", shared with {', '.join(shared)}" if shared else " (only you see it)"
        messages.success(request, f"Saved the view “{view.name}”{where}.")
        return HttpResponseRedirect(view.get_absolute_url())

    @admin.display(description="list", ordering="model_name")
    def list_name(self, obj: SavedView) -> str:
        model_admin = saved_views.changelist_admin(obj.app_label, obj.model_name)
        if model_admin is None:
            return f"{obj.app_label}.{obj.model_name} (gone)"
        return model_admin.model._meta.verbose_name_plural.capitalize()

    @admin.display(description="owner", ordering="owner__username")
    def owner_name(self, obj: SavedView) -> str:
        return obj.owner.get_full_name() or obj.owner.get_username()

    @admin.display(description="shared with")
    def shared(self, obj: SavedView) -> str:
        return ", ".join(group.name for group in obj.shared_with.all()) or "—"

    @admin.display(description="open")
    def open_link(self, obj: SavedView) -> str:
        url = obj.get_absolute_url()
        return format_html('<a href="{}">Open the list with this view</a>', url) if url else "—"
