"""A report as a PDF: the approved copy the resident hands to an insurer, and the copy of what they filed,
marked as not yet reviewed, that they can keep from the moment they file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from fpdf import FontFace
from fpdf.enums import TableBordersLayout, XPos, YPos

from . import display
from .display import local_date, local_time
from .models import Evidence, Report, ReportEvent, ReportType
from .pdf_layout import (
    HEADING,
    INK,
    LINE,
    MUTED,
    RULE,
    ReportPDF,
    field_rows,
    heading,
    indented,
    latin1,
    paragraph,
    qr_image,
)
from .statuses import Status

__all__ = ["Verification", "approved_report_pdf", "filed_report_pdf", "latin1"]


@dataclass(frozen=True)
class Verification:
    code: str  # as printed: ABCD-EFGH-JK
    url: str  # the code's own page, in the QR code
    form_url: str  # where to type the code


def approved_report_pdf(report: Report, *, verification: Verification | None = None) -> bytes:
    """The approved copy; with `verification`, the box that says where to check it (the issued copy,
    reports/issued_copies.py, always has one)."""
    with override(report.language):
        pdf = new_document(report)
        pdf.add_page()
        write_title(pdf, report)
        if verification:
            write_verification(pdf, verification)
        write_case(pdf, report)
        write_when_where(pdf, report)
        write_what(pdf, report)
        write_answers(pdf, report)
        write_description(pdf, report)
        write_contact(pdf, report)
        write_evidence(pdf, report)
        write_supplements(pdf, report)
        return bytes(pdf.output())


def filed_report_pdf(report: Report) -> bytes:
    """Everything the resident gave, as it was received: never a case number, and marked on every page
    as not reviewed, so it cannot pass for the approved copy."""
    with override(report.language):
        pdf = new_document(report, reference=report.tracking_number, note=filed_footer_note())
        pdf.add_page()
        write_title(pdf, report)
        write_not_reviewed(pdf, report)
        write_received(pdf, report)
        write_when_where(pdf, report)
        write_what(pdf, report)
        write_answers(pdf, report)
        write_description(pdf, report)
        write_contact(pdf, report)
        write_evidence(pdf, report)
        return bytes(pdf.output())


def new_document(report: Report, *, reference: str = "", note: str = "") -> ReportPDF:
    title = _("%(city)s 311 report") % {"city": settings.CITY_NAME}
    case = reference or report.case_number or report.tracking_number
    pdf = ReportPDF(
        running_title=f"{title} · {case}",
        footer_note=note or footer_note(),
        page_label=_("Page %(page)s of %(pages)s"),
    )
    pdf.set_title(f"{title} {case}")
    pdf.set_author(f"{settings.CITY_NAME} 311")
    pdf.set_lang(report.language)
    return pdf


def footer_note() -> str:
    return _(
        "This copy was produced by the %(city)s 311 online reporting system on %(date)s. "
        "Verify it with the case number by calling %(phone)s."
    ) % {"city": settings.CITY_NAME, "date": local_date(timezone.now()), "phone": settings.PHONE_311}


def filed_footer_note() -> str:
    return _(
        "Copy of a report as received by the %(city)s 311 online reporting system, produced on %(date)s. "
        "Received — not yet reviewed; this is not an official police report."
    ) % {"city": settings.CITY_NAME, "date": local_date(timezone.now())}


# --- Formatting -----------------------------------------------------------------------------------------


def money(value: Decimal) -> str:
    # Cents kept: the insurer compares these figures with receipts.
    return "$" + formats.number_format(value, 2, use_l10n=True, force_grouping=True)


def approval_time(report: Report) -> datetime | None:
    event = (
        ReportEvent.objects.filter(report=report, to_status=Status.APPROVED)
        .order_by("-created_at", "-id")
        .first()
    )
    return event.created_at if event else None


# --- The sections -----------------------------------------------------------------------------------------


def write_title(pdf: ReportPDF, report: Report) -> None:
    pdf.set_font("helvetica", style="B", size=18)
    pdf.set_text_color(*HEADING)
    pdf.cell(
        0, 9, _("%(city)s 311 report") % {"city": settings.CITY_NAME}, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_font("helvetica", size=11)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, 6, report.subtype.name, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def write_verification(pdf: ReportPDF, verification: Verification) -> None:
    # Beside the QR code: where to check this copy, and the code to type there if the camera cannot.
    size, top = 30.0, pdf.y + 3
    pdf.set_draw_color(*RULE)
    pdf.rect(pdf.l_margin, top, pdf.w - pdf.l_margin - pdf.r_margin, size + 2)
    pdf.image(qr_image(verification.url), x=pdf.l_margin + 1, y=top + 1, w=size, h=size)
    pdf.set_xy(pdf.l_margin + size + 4, top + 3)
    with indented(pdf, size + 4):
        pdf.set_font("helvetica", style="B", size=10)
        pdf.set_text_color(*HEADING)
        pdf.cell(0, LINE, _("Check this copy"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        paragraph(
            pdf, _("Scan the code, or go to %(url)s and enter:") % {"url": verification.form_url}, size=8.5
        )
        pdf.set_font("courier", style="B", size=14)
        pdf.cell(0, 7, verification.code, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        paragraph(
            pdf,
            _(
                "The page confirms the case number, the dates and this file's SHA-256 fingerprint. The "
                "file is digitally signed by %(city)s 311: any change to it breaks the signature."
            )
            % {"city": settings.CITY_NAME},
            size=7.5,
            color=MUTED,
            line=3.5,
        )
    pdf.set_y(top + size + 4)


def write_case(pdf: ReportPDF, report: Report) -> None:
    approved_at = approval_time(report)
    heading(pdf, _("Your report"))
    field_rows(
        pdf,
        [
            (_("Case number"), report.case_number or ""),
            (_("Tracking number"), report.tracking_number),
            (_("Status"), report.get_status_display()),
            (_("Approved on"), local_time(approved_at) if approved_at else ""),
            (_("Type"), report.report_type.name),
            (_("Category"), report.subtype.name),
            (_("Filed"), local_time(report.created_at)),
        ],
    )


def write_not_reviewed(pdf: ReportPDF, report: Report) -> None:
    pdf.ln(3)
    pdf.set_draw_color(*HEADING)
    pdf.set_line_width(0.6)
    top = pdf.y
    pdf.set_font("helvetica", style="B", size=13)
    pdf.set_text_color(*HEADING)
    with indented(pdf, 3):
        pdf.ln(2)
        pdf.multi_cell(0, 7, _("Received — not yet reviewed"), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        paragraph(
            pdf,
            _(
                "This is a copy of what you filed, for your records. It is not an official police report: "
                "when a report taker approves your report, the approved copy with its case number is on "
                "your status link."
            ),
        )
        if report.status == Status.APPROVED:
            paragraph(pdf, _("Your report has since been approved: download the approved copy instead."))
        pdf.ln(2)
    pdf.rect(pdf.l_margin, top, pdf.w - pdf.l_margin - pdf.r_margin, pdf.y - top)
    pdf.set_line_width(0.2)


def write_received(pdf: ReportPDF, report: Report) -> None:
    heading(pdf, _("Your report"))
    field_rows(
        pdf,
        [
            (_("Tracking number"), report.tracking_number),
            (_("Type"), report.report_type.name),
            (_("Category"), report.subtype.name),
            (_("Filed"), local_time(report.created_at)),
        ],
    )


def write_when_where(pdf: ReportPDF, report: Report) -> None:
    heading(pdf, _("When and where"))
    if report.is_parking:
        when = [(_("When did you see it?"), local_time(report.occurred_from))]
    else:
        to = local_time(report.occurred_to) if report.occurred_to else ""
        when = [(_("From"), local_time(report.occurred_from)), (_("To"), to)]
    field_rows(pdf, [*when, (_("Address"), report.address), (_("Place details"), report.location_detail)])


def write_what(pdf: ReportPDF, report: Report) -> None:
    heading(pdf, _("What"))
    form = report.report_type.form
    if form == ReportType.Form.THEFT:
        items_table(pdf, report)
    elif form == ReportType.Form.DAMAGE:
        cost = money(report.estimated_cost) if report.estimated_cost is not None else ""
        field_rows(pdf, [(_("What was damaged?"), report.damaged_property), (_("Estimated cost"), cost)])
    else:
        field_rows(
            pdf,
            [
                (_("License plate"), report.vehicle_plate),
                (_("Plate state"), report.vehicle_state),
                (_("Make"), report.vehicle_make),
                (_("Color"), report.vehicle_colour),
            ],
        )


def items_table(pdf: ReportPDF, report: Report) -> None:
    items = list(report.items.all())
    if not items:
        return
    pdf.set_font("helvetica", size=8.5)
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*RULE)
    with pdf.table(
        col_widths=(6, 40, 26, 26, 16),
        text_align=("RIGHT", "LEFT", "LEFT", "LEFT", "RIGHT"),
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        headings_style=FontFace(emphasis="BOLD", fill_color=(235, 239, 245)),
        line_height=4.5,
        padding=(1, 1.5),
    ) as table:
        table.row(["#", _("Item"), _("Brand and model"), _("Serial number"), _("Value")])
        for number, item in enumerate(items, start=1):
            value = money(item.value) if item.value is not None else ""
            table.row([str(number), item.description, item.brand_model, item.serial_number, value])
        if any(item.value is not None for item in items):
            total = table.row()
            total.cell(_("Total"), colspan=4, align="RIGHT", style=FontFace(emphasis="BOLD"))
            total.cell(money(report.items_total), style=FontFace(emphasis="BOLD"))


def write_answers(pdf: ReportPDF, report: Report) -> None:
    rows = display.answer_rows(report.report_type, report.answers)
    if rows:
        heading(pdf, _("Details"))
        field_rows(pdf, rows)


def write_description(pdf: ReportPDF, report: Report) -> None:
    if report.description.strip():
        heading(pdf, _("Description"))
        paragraph(pdf, report.description.strip())


def write_contact(pdf: ReportPDF, report: Report) -> None:
    # This copy goes to the resident who filed it, so their own contact details belong on it.
    heading(pdf, _("About you"))
    rows = [
        (_("Your name"), report.contact_name),
        (_("Your email"), report.contact_email),
        (_("Phone"), report.contact_phone),
    ]
    if any(value for _label, value in rows):
        field_rows(pdf, rows)
    else:
        paragraph(pdf, _("No contact details were given."), color=MUTED)


def write_evidence(pdf: ReportPDF, report: Report) -> None:
    heading(pdf, _("Photos and documents"))
    files = list(report.evidence.without_field_photos())
    if not files:
        paragraph(pdf, _("No photos or documents were added."), color=MUTED)
        return
    paragraph(
        pdf,
        _("The SHA-256 fingerprint identifies each original file exactly as it was uploaded."),
        size=8,
        color=MUTED,
    )
    for evidence in files:
        evidence_entry(pdf, evidence)


def write_supplements(pdf: ReportPDF, report: Report) -> None:
    """The approved supplements, in the order of their numbers: each issue of the case's copy has them all."""
    approved = report.supplements.filter(status=Status.APPROVED).order_by("closed_at", "id")
    for supplement in approved.prefetch_related("items", "evidence"):
        heading(pdf, _("Supplement %(number)s") % {"number": supplement.case_number})
        field_rows(
            pdf,
            [
                (_("Filed"), local_time(supplement.created_at)),
                (_("Approved"), local_time(supplement.closed_at)),
            ],
        )
        items_table(pdf, supplement)
        if supplement.description.strip():
            paragraph(pdf, supplement.description.strip())
        for evidence in supplement.evidence.without_field_photos():
            evidence_entry(pdf, evidence)


def evidence_entry(pdf: ReportPDF, evidence: Evidence) -> None:
    pdf.keep_space(4 * LINE)
    pdf.ln(1.5)
    pdf.set_font("helvetica", style="B", size=9)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, LINE, evidence.original_name, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    uploaded = _("uploaded %(when)s") % {"when": local_time(evidence.created_at)}
    paragraph(pdf, f"{evidence.content_type} · {filesizeformat(evidence.size)} · {uploaded}", size=8.5)
    # Courier, so the hex reads unambiguously; it fits on one line and wraps only on narrow pages.
    pdf.set_font("courier", size=7.5)
    pdf.multi_cell(0, 4, f"SHA-256 {evidence.sha256}", align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
