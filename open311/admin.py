"""API clients: issued, revoked and given a callback URL here. A new key is shown once, on the page that
answers the "Save". Filings, comments and callback attempts are read-only records."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils import timezone

from reports.admin import ReadOnlyAdmin
from traffic.forms import secret_hint

from .forms import ApiClientForm
from .models import ApiClient, ApiFiling, ApiUpdate, CallbackAttempt


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ("name", "contact_email", "key_prefix", "callback_url", "created_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "contact_email", "key_prefix")
    # Never the secrets themselves: a hint of each, and a field to add one.
    fields = (
        "name",
        "contact_email",
        "key_prefix",
        "created_at",
        "revoked_at",
        "callback_url",
        "callback_secrets_in_use",
        "new_callback_secret",
        "remove_callback_secrets",
        "callback_disabled_reason",
    )
    readonly_fields = ("key_prefix", "created_at", "revoked_at", "callback_secrets_in_use")
    actions = ["revoke_keys"]

    @admin.display(description="Callback secrets")
    def callback_secrets_in_use(self, client: ApiClient) -> str:
        secrets = client.callback_secret_list() if client.pk else []
        return ", ".join(secret_hint(secret) for secret in secrets) or "none"

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
class ApiFilingAdmin(ReadOnlyAdmin):
    list_display = ("report", "client", "created_at", "media_urls")
    list_filter = ("client",)
    search_fields = ("report__tracking_number",)


@admin.register(ApiUpdate)
class ApiUpdateAdmin(ReadOnlyAdmin):
    list_display = ("update_id", "report", "client", "status", "created_at")
    list_filter = ("client",)
    search_fields = ("update_id", "report__tracking_number")


@admin.register(CallbackAttempt)
class CallbackAttemptAdmin(ReadOnlyAdmin):
    list_display = ("webhook_id", "client", "started_at", "status_code", "latency_ms", "error")
    list_filter = ("client", "status_code")
    search_fields = ("webhook_id",)
