"""The service catalog: all of it data, loaded from seeds/ and edited in the admin."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _
from shapely.geometry import Point, shape


class Queue(models.Model):
    class Kind(models.TextChoices):
        REPORT_TAKERS = "report_takers", _("Civilian report takers")
        TRAFFIC_CONTROL = "traffic_control", _("Traffic Control")

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)

    def __str__(self) -> str:
        return self.name


class ReportType(models.Model):
    class Form(models.TextChoices):
        # Which built-in detail section the filing form shows; everything else is configuration.
        THEFT = "theft", _("Theft: a list of items")
        DAMAGE = "damage", _("Damage: what was damaged and the cost")
        PARKING = "parking", _("Parking: the vehicle")

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    form = models.CharField(max_length=10, choices=Form.choices)
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="report_types")
    sla_hours = models.PositiveIntegerField(default=72)
    value_cap = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Above this total value the police take the report instead.",
    )
    email_required = models.BooleanField(default=True)
    info_window_days = models.PositiveIntegerField(
        default=15, help_text="Days the resident has to answer a request for more information."
    )
    info_reminder_days = models.PositiveIntegerField(
        default=2, help_text="Remind the resident this many days before that window closes."
    )
    asks_suspect_known = models.BooleanField(default=True)
    asks_excluded_items = models.BooleanField(default=False)
    is_public = models.BooleanField(
        default=False, help_text="May its reports be listed publicly (Open311)? Never for theft or damage."
    )
    advice = models.TextField(
        blank=True,
        help_text="What the resident should do while they wait, shown once the report is filed. "
        "One piece of advice a line.",
    )
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class ReportSubtype(models.Model):
    report_type = models.ForeignKey(ReportType, on_delete=models.PROTECT, related_name="subtypes")
    code = models.SlugField(unique=True, help_text="Also the Open311 service_code.")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    keywords = models.CharField(max_length=200, blank=True)
    # Parking: a ticket not dispatched this long after filing is escalated (traffic/escalation.py).
    dispatch_target_minutes = models.PositiveIntegerField(null=True, blank=True)
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    class Datatype(models.TextChoices):
        # The Open311 attribute datatypes.
        STRING = "string", _("Short text")
        NUMBER = "number", _("Number")
        DATETIME = "datetime", _("Date and time")
        TEXT = "text", _("Long text")
        SINGLEVALUELIST = "singlevaluelist", _("One choice")
        MULTIVALUELIST = "multivaluelist", _("Several choices")

    report_type = models.ForeignKey(ReportType, on_delete=models.CASCADE, related_name="questions")
    subtypes = models.ManyToManyField(
        ReportSubtype, blank=True, help_text="Ask only for these subtypes; none means all of them."
    )
    code = models.SlugField()
    label = models.CharField(max_length=200)
    help_text = models.CharField(max_length=300, blank=True)
    datatype = models.CharField(max_length=20, choices=Datatype.choices, default=Datatype.STRING)
    required = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["report_type", "code"], name="question_code_per_type")]

    def __str__(self) -> str:
        return f"{self.report_type.code}: {self.label}"


class QuestionChoice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    key = models.SlugField()
    name = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["question", "key"], name="choice_key_per_question")]

    def __str__(self) -> str:
        return self.name


class Reason(models.Model):
    """A reason staff pick from a list; the resident is told `explanation` in plain words."""

    code = models.SlugField(unique=True)
    label = models.CharField(max_length=150)
    explanation = models.TextField(help_text="What the resident is told, in plain words.")
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        abstract = True
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.label


class RejectionReason(Reason):
    pass


class ReferralReason(Reason):
    pass


class Disposition(models.Model):
    """How Traffic Control closed a parking ticket (seeds/reasons.json): picked on the board, or sent as
    `data.outcome` over the update API. The resident is told `label`; `code` is what receivers send."""

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=150)
    enforced = models.BooleanField(
        default=False, help_text="A citation or a tow: the closure ended in enforcement."
    )
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.label

    @classmethod
    def labels(cls) -> dict[str, str]:
        """Each closing code's label in the active language (a handful of rows, one query)."""
        return {disposition.code: disposition.label for disposition in cls.objects.all()}


class ServiceArea(models.Model):
    """The city boundary a map pin must fall inside (GeoJSON Polygon or MultiPolygon, lon/lat)."""

    name = models.CharField(max_length=100, unique=True)
    boundary = models.JSONField()
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name

    def contains(self, lat: float, lng: float) -> bool:
        return shape(self.boundary).covers(Point(lng, lat))


class Holiday(models.Model):
    """A day city offices are closed: expected review dates skip it (reports/calendar.py).

    The observed date is the one stored: Independence Day on a Saturday is the Friday before."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class LanguageLine(models.Model):
    """A city phone line that answers in one language (seeds/languages.json). Residents see every line,
    each named in its own language, in the footer and on the home page; English is 311 itself."""

    language = models.CharField(
        max_length=10, unique=True, help_text="A language code the site offers: es, so, hmn."
    )
    phone = models.CharField(max_length=30)
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "language"]

    def __str__(self) -> str:
        return f"{self.language}: {self.phone}"

    @property
    def name_local(self) -> str:
        # "Soomaali", "Hmoob", "español": the name a speaker looks for, whatever the page's language.
        try:
            return get_language_info(self.language)["name_local"]
        except KeyError:
            return self.language


class ResponseTemplate(models.Model):
    """A message staff send often, written once in every language in the admin: the resident gets it in
    theirs, whatever language the report taker reads. {tracking_number}, {case_number} and {missing} are
    filled in when it is sent."""

    class Use(models.TextChoices):
        REQUEST_INFO = "request_info", _("Ask for more information")
        APPROVE = "approve", _("Approval note")
        REJECT = "reject", _("Rejection note")
        REFER = "refer", _("Referral note")
        CLOSE = "close", _("Closing note")

    code = models.SlugField(unique=True)
    use = models.CharField(max_length=20, choices=Use.choices)
    title = models.CharField(max_length=100, help_text="What staff pick from the list.")
    body = models.TextField(
        help_text="What the resident reads. {tracking_number}, {case_number} and {missing} are filled in."
    )
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["use", "order", "code"]

    def __str__(self) -> str:
        return self.title
