"""The admin: the catalog and reference data, read-only reports, and the staff accounts.

Administrators (seeds/staff.json) are not superusers. What they may do to accounts is decided here, not
only by the permissions the seeds give them: they never see or set superuser status, never hand out a
permission they do not hold, never touch their own access, a superuser or another administrator, and
never change a group (groups come from the seeds). Every change they make is in the admin's history
(LogEntry) under their name: password resets and second-factor removals included.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from . import workflow
from .models import (
    Disposition,
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


@admin.register(Disposition)
class DispositionAdmin(TranslationAdmin):
    list_display = ("label", "code", "enforced", "order", "active")
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

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            # Reading a report here is an access like any other, so it goes in the access log. Not through
            # record_view: the staff pages' "updated" mark belongs to the people working the queue.
            workflow.record_event(obj, ReportEvent.Kind.VIEWED, by=request.user, data={"via": "admin"})
        return super().render_change_form(request, context, add, change, form_url, obj)


@admin.register(ReportEvent)
class ReportEventAdmin(ReadOnlyAdmin):
    list_display = ("report", "kind", "from_status", "to_status", "actor", "created_at")
    list_filter = ("kind",)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("dedupe_key", "kind", "state", "attempts", "available_at", "last_error")
    list_filter = ("kind", "state")


# --- Staff accounts -------------------------------------------------------------------------------------

User = get_user_model()


def permissions_of(user: AbstractBaseUser) -> QuerySet[Permission]:
    """What the account holds, directly or through its groups. Read from the tables, not has_perm(),
    which answers nothing for an inactive account: a deactivated administrator is still one."""
    return Permission.objects.filter(Q(user=user) | Q(group__user=user)).distinct()


def groups_within_reach(user: AbstractBaseUser) -> QuerySet[Group]:
    # A group carrying any permission the user lacks would hand that permission out.
    lacking = Permission.objects.exclude(pk__in=permissions_of(user).values("pk"))
    return Group.objects.exclude(permissions__in=lacking)


def may_manage(user: AbstractBaseUser, account: AbstractBaseUser) -> bool:
    """Whether `user` may change `account`, reset its password or remove its second factor."""
    if user.is_superuser:
        return True
    if account.pk == user.pk or account.is_superuser:
        return False
    theirs = permissions_of(account)
    is_administrator = theirs.filter(content_type__app_label="auth", codename="change_user").exists()
    holds_more = theirs.exclude(pk__in=permissions_of(user).values("pk")).exists()
    return not (is_administrator or holds_more)


def refuse_unless_manageable(user: AbstractBaseUser, accounts: Iterable[AbstractBaseUser]) -> None:
    # The changelist's bulk "delete selected" asks has_delete_permission() without an object.
    if not all(may_manage(user, account) for account in accounts):
        raise PermissionDenied


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        # Left out of the form, so a posted is_superuser is ignored, not merely hidden.
        return [
            (name, {**options, "fields": [field for field in options["fields"] if field != "is_superuser"]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None and obj.pk == request.user.pk and not request.user.is_superuser:
            return (*readonly, "groups", "user_permissions")  # nobody widens their own access
        return readonly

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        return filters if request.user.is_superuser else [name for name in filters if name != "is_superuser"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if not request.user.is_superuser and db_field.name == "groups":
            kwargs["queryset"] = groups_within_reach(request.user)
        elif not request.user.is_superuser and db_field.name == "user_permissions":
            kwargs["queryset"] = permissions_of(request.user).select_related("content_type")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        # Also guards the password form (user_change_password asks this with the account).
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.pk == request.user.pk or may_manage(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or may_manage(request.user, obj))

    def delete_queryset(self, request, queryset):
        refuse_unless_manageable(request.user, queryset)
        super().delete_queryset(request, queryset)


@admin.register(Group)
class SeededGroupAdmin(GroupAdmin):
    """Groups are seeds/staff.json (every `seed` puts them back as written): shown to administrators,
    changed only by a superuser, so no group ever carries a permission an administrator gave it."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class SecondFactorResetAdmin(admin.ModelAdmin):
    """Removing someone's devices is the second-factor reset (docs/security.md). An administrator may do
    that for the accounts they manage; adding or editing a device (its user, its key) is a superuser's."""

    def has_add_permission(self, request):
        return request.user.is_superuser and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or may_manage(request.user, obj.user))

    def delete_queryset(self, request, queryset):
        refuse_unless_manageable(request.user, [device.user for device in queryset.select_related("user")])
        super().delete_queryset(request, queryset)


admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(TOTPDevice)
class StaffTOTPDeviceAdmin(SecondFactorResetAdmin, TOTPDeviceAdmin):
    pass


@admin.register(StaticDevice)
class StaffStaticDeviceAdmin(SecondFactorResetAdmin, StaticDeviceAdmin):
    pass


# City holidays (seeds/holidays.json): expected review dates skip them. Imported here to keep this
# registration in one appended block; it may join the imports above.
from .models import Holiday  # noqa: E402


@admin.register(Holiday)
class HolidayAdmin(TranslationAdmin):
    list_display = ("date", "name")
    date_hierarchy = "date"


# The city's phone line for each language (seeds/languages.json), in every page's footer. Imported here
# to keep this registration in one appended block; it may join the imports above.
from django.db import transaction  # noqa: E402

from .language_lines import forget_language_lines  # noqa: E402
from .models import LanguageLine  # noqa: E402


@admin.register(LanguageLine)
class LanguageLineAdmin(admin.ModelAdmin):
    list_display = ("language", "phone", "order", "active")

    # Pages keep the lines in memory (reports/language_lines.py): after a change, this process reads
    # them again; the others within minutes.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        transaction.on_commit(forget_language_lines)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(forget_language_lines)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        transaction.on_commit(forget_language_lines)
