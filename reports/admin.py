from django.contrib import admin
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from .models import (
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
