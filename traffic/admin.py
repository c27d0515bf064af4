from django.contrib import admin
from django.utils.translation import gettext_lazy, ngettext

from reports.admin import ReadOnlyAdmin

from .forms import TrafficEndpointForm, secret_hint
from .models import DeliveryAttempt, InboundUpdate, TrafficEndpoint


@admin.register(TrafficEndpoint)
class TrafficEndpointAdmin(admin.ModelAdmin):
    form = TrafficEndpointForm
    # Never the secrets field itself: the change page, the list and the history show hints only.
    fields = ("name", "url", "secrets_in_use", "new_secret", "remove_secrets", "active", "disabled_reason")
    readonly_fields = ("secrets_in_use",)
    list_display = ("name", "url", "active", "disabled_reason")
    list_filter = ("active",)

    @admin.display(description=gettext_lazy("Secrets"))
    def secrets_in_use(self, endpoint: TrafficEndpoint) -> str:
        secrets = endpoint.secret_list() if endpoint.pk else []
        count = ngettext("%(count)d secret", "%(count)d secrets", len(secrets)) % {"count": len(secrets)}
        return f"{count}: {', '.join(secret_hint(secret) for secret in secrets)}" if secrets else count


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdmin):
    list_display = ("webhook_id", "endpoint", "started_at", "status_code", "latency_ms", "error")
    list_filter = ("endpoint", "status_code")
    search_fields = ("webhook_id",)


@admin.register(InboundUpdate)
class InboundUpdateAdmin(ReadOnlyAdmin):
    list_display = ("webhook_id", "report", "endpoint", "received_at")
    list_filter = ("endpoint",)
    search_fields = ("webhook_id", "report__tracking_number")
