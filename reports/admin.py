from django import forms
from django.contrib import admin
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from .models import (
    DeliveryAttempt,
    InboundUpdate,
    OutboxMessage,
    Question,
    QuestionChoice,
    Queue,
    ReferralReason,
    RejectionReason,
    Report,
    ReportEvent,
    ReportSubtype,
    ReportType,
    ServiceArea,
    TrafficEndpoint,
)


@admin.register(Queue)
class QueueAdmin(TranslationAdmin):
    list_display = ("name", "code", "kind")


class SubtypeInline(TranslationTabularInline):
    model = ReportSubtype
    extra = 0
    fields = ("code", "name", "description", "keywords", "order", "active")


@admin.register(ReportType)
class ReportTypeAdmin(TranslationAdmin):
    list_display = ("name", "code", "form", "queue", "sla_hours", "value_cap", "is_public", "active")
    list_editable = ("sla_hours", "value_cap", "active")
    inlines = [SubtypeInline]


@admin.register(ReportSubtype)
class ReportSubtypeAdmin(TranslationAdmin):
    list_display = ("name", "code", "report_type", "active")
    list_filter = ("report_type",)


class ChoiceInline(TranslationTabularInline):
    model = QuestionChoice
    extra = 1


@admin.register(Question)
class QuestionAdmin(TranslationAdmin):
    list_display = ("label", "code", "report_type", "datatype", "required", "active")
    list_filter = ("report_type", "datatype")
    filter_horizontal = ("subtypes",)
    inlines = [ChoiceInline]


@admin.register(RejectionReason, ReferralReason)
class ReasonAdmin(TranslationAdmin):
    list_display = ("label", "code", "order", "active")
    list_editable = ("order", "active")


@admin.register(ServiceArea)
class ServiceAreaAdmin(admin.ModelAdmin):
    list_display = ("name", "active")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Reports and their trail change only through the workflow, never by editing rows."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("tracking_number", "report_type", "status", "channel", "queue", "created_at")
    list_filter = ("status", "channel", "queue", "report_type")
    search_fields = ("tracking_number", "case_number")


@admin.register(ReportEvent)
class ReportEventAdmin(ReadOnlyAdmin):
    list_display = ("report", "kind", "from_status", "to_status", "actor", "created_at")
    list_filter = ("kind",)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("dedupe_key", "kind", "state", "attempts", "available_at", "last_error")
    list_filter = ("kind", "state")


class TrafficEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")

    class Meta:
        model = TrafficEndpoint
        fields = ("name", "url", "secrets", "active", "disabled_reason")
        widgets = {
            "secrets": forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
        }
        help_texts = {
            "secrets": (
                "One whsec_… secret per line. Every line signs each delivery and is accepted on incoming "
                "updates. To rotate: add the new secret on a new line, wait until Traffic Control uses it, "
                "then delete the old line."
            ),
            "disabled_reason": (
                "Why deliveries stopped (e.g. “410 Gone”, set automatically). Clear it when you turn "
                "the endpoint back on, then retry its dead letters from the staff “Dead letters” page."
            ),
        }


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
