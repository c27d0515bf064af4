"""Catalog texts residents read, in every language the site offers (name_en, name_es, …)."""

from modeltranslation.translator import TranslationOptions, register

from .models import (
    Disposition,
    Holiday,
    Question,
    QuestionChoice,
    Queue,
    ReferralReason,
    RejectionReason,
    ReportSubtype,
    ReportType,
    ResponseTemplate,
)


@register(Queue)
class QueueTranslation(TranslationOptions):
    fields = ("name", "description")


@register(ReportType)
class ReportTypeTranslation(TranslationOptions):
    fields = ("name", "description", "advice")


@register(ReportSubtype)
class ReportSubtypeTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Question)
class QuestionTranslation(TranslationOptions):
    fields = ("label", "help_text")


@register(QuestionChoice)
class QuestionChoiceTranslation(TranslationOptions):
    fields = ("name",)


@register(RejectionReason)
class RejectionReasonTranslation(TranslationOptions):
    fields = ("label", "explanation")


@register(ReferralReason)
class ReferralReasonTranslation(TranslationOptions):
    fields = ("label", "explanation")


@register(Holiday)
class HolidayTranslation(TranslationOptions):
    fields = ("name",)


@register(ResponseTemplate)
class ResponseTemplateTranslation(TranslationOptions):
    fields = ("body",)


@register(Disposition)
class DispositionTranslation(TranslationOptions):
    fields = ("label",)
