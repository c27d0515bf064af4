"""API clients: issued and revoked here. A new key is shown once, on the page that answers the "Save"."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils import timezone

from .models import ApiClient, ApiFiling


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("name", "contact_email", "key_prefix", "created_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "contact_email", "key_prefix")
    fields = ("name", "contact_email", "key_prefix", "created_at", "revoked_at")
    readonly_fields = ("key_prefix", "created_at", "revoked_at")
    actions = ["revoke_keys"]

    def save_model(self, request, obj, form, change):
        if not change:
            # Kept on the request only until response_add renders it: never in the database, the
            # session or a message queued for later.
            request.open311_new_key = obj.issue_key()
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "client": obj,
            "key": request.open311_new_key,
            "title": "API key issued",
        }
        response = TemplateResponse(request, "admin/open311/apiclient/key_issued.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the client's filings keep pointing at it

    @admin.action(description="Revoke the selected keys")
    def revoke_keys(self, request, queryset):
        count = 0
        for client in queryset.filter(revoked_at__isnull=True):
            client.revoke()
            count += 1
        self.message_user(request, f"Revoked {count} key(s) at {timezone.localtime():%Y-%m-%d %H:%M}.")


@admin.register(ApiFiling)
class ApiFilingAdmin(admin.ModelAdmin):
    list_display = ("report", "client", "created_at", "media_url")
    list_filter = ("client",)
    search_fields = ("report__tracking_number",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
