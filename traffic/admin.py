from django.contrib import admin

from reports.admin import ReadOnlyAdmin

from .forms import TrafficEndpointForm
from .models import DeliveryAttempt, InboundUpdate, TrafficEndpoint


@admin.register(TrafficEndpoint)
class TrafficEndpointAdmin(admin.ModelAdmin):
    form = TrafficEndpointForm
    list_display = ("name", "url", "active", "disabled_reason")
    list_filter = ("active",)


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
