"""The R3 campaign flyer: one printable page per language that tells residents what they can report online,
when to call instead, and where the portal is (its address, and a QR code to it).

Every sentence is one the home page already says (the same translations), the kinds of report are the
catalog's, and the numbers and the address are the settings the site uses: the flyer cannot disagree with
the site. The core fonts are enough: Spanish is latin-1, and Somali and Hmong (RPA) are written in plain
Latin letters; typographic punctuation is made plain as in the report (pdf_layout.latin1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import override
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from .language_lines import Line
from .models import ReportType
from .pdf_layout import HEADING, INK, MUTED, RULE, latin1, qr_image

MARGIN = 14.0  # mm
GAP = 8.0  # mm between the columns
PORTAL_HEIGHT = 66.0  # mm: the foot of the page with the QR code and the address
# The columns' text is set as large as fits above the foot, in these steps: a short catalog fills the page,
# and a longer one or a wordier language still makes one page.
SCALES = tuple(step / 100 for step in range(130, 55, -3))
BLUE = (16, 52, 96)
RED = (176, 32, 32)
RED_TINT = (250, 231, 231)
AMBER = (138, 90, 0)
AMBER_TINT = (255, 243, 214)
GREY_TINT = (238, 241, 245)
WHITE = (255, 255, 255)
Colour = tuple[int, int, int]


class FlyerPDF(FPDF):
    def __init__(self, scale: float) -> None:
        super().__init__(format="letter", unit="mm")
        self.scale = scale
        self.fits = False  # whether the columns end above the foot of the page (draw() decides)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(False)  # one page: the text is sized to fit, never to overflow

    def normalize_text(self, text: str) -> str:
        return super().normalize_text(latin1(text))

    def font(self, size: float, *, bold: bool = False, colour: Colour = INK) -> None:
        self.set_font("helvetica", style="B" if bold else "", size=size * self.scale)
        self.set_text_color(*colour)

    def line_height(self, height: float) -> float:
        return height * self.scale


@dataclass(frozen=True)
class Content:
    language: str
    report_types: Sequence[ReportType]
    lines: Sequence[Line]


def flyer_pdf(language: str, report_types: Sequence[ReportType], lines: Sequence[Line]) -> bytes:
    content = Content(language, report_types, lines)
    with override(language):
        for scale in SCALES:
            pdf = draw(content, scale)
            if pdf.fits:
                break
        return bytes(pdf.output())


def draw(content: Content, scale: float) -> FlyerPDF:
    pdf = FlyerPDF(scale)
    pdf.set_title(_("Report online"))
    pdf.set_author(f"{settings.CITY_NAME} 311")
    pdf.set_lang(content.language)
    pdf.add_page()
    write_banner(pdf)
    top, foot = pdf.y + 5, pdf.h - MARGIN - PORTAL_HEIGHT
    left_width = (pdf.w - 2 * MARGIN - GAP) * 0.46  # the boxes' sentences are longer than the kinds
    right_width = pdf.w - 2 * MARGIN - GAP - left_width
    write_catalog(pdf, content.report_types, x=MARGIN, y=top, width=left_width)
    left_bottom = pdf.y
    write_when_to_call(pdf, content.lines, x=MARGIN + left_width + GAP, y=top, width=right_width)
    pdf.fits = max(left_bottom, pdf.y) <= foot - 3
    write_portal(pdf, top=foot)
    return pdf


def write_banner(pdf: FlyerPDF) -> None:
    # Measured first, so that a title wrapping onto a third line (Hmong) still sits inside the band. The
    # banner and the lead keep their size whatever the columns' scale.
    title = _("Report a theft, property damage or a parking problem online")
    pdf.set_font("helvetica", style="B", size=26)
    title_lines = len(pdf.multi_cell(0, 11, title, dry_run=True, output="LINES"))
    height = 10 + 8 + title_lines * 11 + 7
    pdf.set_fill_color(*BLUE)
    pdf.rect(0, 0, pdf.w, height, style="F")
    pdf.set_xy(MARGIN, 10)
    pdf.set_text_color(*WHITE)
    pdf.set_font("helvetica", style="B", size=14)
    pdf.cell(
        0, 6, _("%(CITY_NAME)s 311") % {"CITY_NAME": settings.CITY_NAME}, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(2)
    pdf.set_font("helvetica", style="B", size=26)
    pdf.multi_cell(0, 11, title, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(height + 5)
    pdf.set_font("helvetica", size=13)
    pdf.set_text_color(*INK)
    lead = _(
        "You do not need to call 911 to report these. File online in about ten minutes, from your phone or "
        "computer. You get a tracking number right away, and city staff take it from there."
    )
    pdf.multi_cell(0, 6.5, lead, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def section_title(pdf: FlyerPDF, text: str, *, x: float, width: float) -> None:
    pdf.set_x(x)
    pdf.font(16, bold=True, colour=HEADING)
    pdf.multi_cell(width, pdf.line_height(7.5), text, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.4)
    pdf.line(x, pdf.y + 1, x + width, pdf.y + 1)
    pdf.set_line_width(0.2)
    pdf.set_y(pdf.y + 4)


def bullet(pdf: FlyerPDF, text: str, *, x: float, width: float, height: float, colour: Colour = INK) -> None:
    # Drawn, not typed: the core fonts have no bullet, and a hyphen reads as a dash.
    radius = 0.75 * pdf.scale
    pdf.set_fill_color(*colour)
    pdf.circle(x + 1.2, pdf.y + height / 2, radius, style="F")
    pdf.set_x(x + 4)
    pdf.multi_cell(width - 4, height, text, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)


def write_catalog(
    pdf: FlyerPDF, report_types: Sequence[ReportType], *, x: float, y: float, width: float
) -> None:
    pdf.set_xy(x, y)
    section_title(pdf, _("What you can report online"), x=x, width=width)
    for report_type in report_types:
        pdf.set_x(x)
        pdf.font(13.5, bold=True)
        pdf.multi_cell(
            width, pdf.line_height(6.5), report_type.name, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT
        )
        pdf.font(11)
        for subtype in report_type.subtypes.all():
            bullet(pdf, subtype.name, x=x + 1, width=width - 1, height=pdf.line_height(5.4), colour=HEADING)
        pdf.set_y(pdf.y + 3 * pdf.scale)


def write_when_to_call(pdf: FlyerPDF, lines: Sequence[Line], *, x: float, y: float, width: float) -> None:
    pdf.set_xy(x, y)
    section_title(pdf, _("When to call instead"), x=x, width=width)
    emergency = _("Call %(PHONE_EMERGENCY)s") % {"PHONE_EMERGENCY": settings.PHONE_EMERGENCY}
    in_danger = [
        _("someone is in danger or hurt"),
        _("a crime is happening now, or the person who did it is still there"),
    ]
    call_box(pdf, emergency, in_danger, x=x, width=width, colours=(RED, RED_TINT))
    police = _("Call the police non-emergency line, %(PHONE_POLICE_NON_EMERGENCY)s") % {
        "PHONE_POLICE_NON_EMERGENCY": settings.PHONE_POLICE_NON_EMERGENCY
    }
    for_police = [
        _("you know who did it (their name and address)"),
        _("a firearm, a motor vehicle or a license plate was stolen"),
        _("the loss is more than $10,000"),
    ]
    call_box(pdf, police, for_police, x=x, width=width, colours=(AMBER, AMBER_TINT))
    by_phone = _(
        "to file any of these reports by phone with a city agent, or if you are not sure where to go. From "
        "outside the city: %(PHONE_311_OUTSIDE)s."
    ) % {"PHONE_311_OUTSIDE": settings.PHONE_311_OUTSIDE}
    per_language = [f"{line.name_local[:1].upper()}{line.name_local[1:]}: {line.phone}" for line in lines]
    if per_language:
        per_language.insert(0, _("The city's phone line for each language:"))
    city = _("Call 311 (%(PHONE_311)s)") % {"PHONE_311": settings.PHONE_311}
    call_box(pdf, city, [by_phone, *per_language], x=x, width=width, colours=(BLUE, GREY_TINT), bullets=False)


def call_box(
    pdf: FlyerPDF,
    title: str,
    items: list[str],
    *,
    x: float,
    width: float,
    colours: tuple[Colour, Colour],
    bullets: bool = True,
) -> None:
    # Measured on a copy first, so the tinted box can be drawn before (under) its text.
    ink, tint = colours
    top = pdf.y
    with pdf.offset_rendering() as measured:
        box_text(measured, title, items, x=x, width=width, ink=ink, bullets=bullets)
        height = measured.y - top
    pdf.set_fill_color(*tint)
    pdf.set_draw_color(*ink)
    pdf.set_line_width(0.7)
    pdf.rect(x, top, width, height, style="DF")
    pdf.set_line_width(0.2)
    pdf.set_xy(x, top)
    box_text(pdf, title, items, x=x, width=width, ink=ink, bullets=bullets)
    pdf.set_xy(x, pdf.y + 4 * pdf.scale)


def box_text(
    pdf: FPDF, title: str, items: list[str], *, x: float, width: float, ink: Colour, bullets: bool
) -> None:
    padding = 3.5
    inner_x, inner = x + padding, width - 2 * padding
    pdf.set_y(pdf.y + padding)
    pdf.set_x(inner_x)
    pdf.font(13, bold=True, colour=ink)
    pdf.multi_cell(inner, pdf.line_height(6), title, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_y(pdf.y + 1)
    pdf.font(10.5)
    for item in items:
        pdf.set_x(inner_x)
        if bullets:
            bullet(pdf, item, x=inner_x, width=inner, height=pdf.line_height(4.9), colour=ink)
        else:
            pdf.multi_cell(inner, pdf.line_height(4.9), item, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_y(pdf.y + 1)
    pdf.set_y(pdf.y + padding - 1)


def write_portal(pdf: FlyerPDF, *, top: float) -> None:
    # The foot of the page, always the same size: a QR code big enough to scan from across a noticeboard,
    # and the address in type large enough to read from there.
    size = PORTAL_HEIGHT - 8
    pdf.set_draw_color(*BLUE)
    pdf.set_line_width(1.2)
    pdf.rect(MARGIN, top, pdf.w - 2 * MARGIN, PORTAL_HEIGHT - 2)
    pdf.set_line_width(0.2)
    pdf.image(qr_image(settings.SITE_URL), x=MARGIN + 3, y=top + 3, w=size, h=size)
    text_x = MARGIN + size + 10
    width = pdf.w - MARGIN - 5 - text_x
    pdf.set_xy(text_x, top + 9)
    pdf.set_font("helvetica", style="B", size=20)
    pdf.set_text_color(*HEADING)
    pdf.multi_cell(width, 9, _("Start a report"), align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font("helvetica", size=12)
    pdf.set_text_color(*MUTED)
    scan = _("Scan the code with your phone's camera, or go to:")
    pdf.multi_cell(width, 6, scan, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_xy(text_x, pdf.y + 2)
    pdf.set_font("helvetica", style="B", size=address_size(pdf, width))
    pdf.set_text_color(*INK)
    pdf.multi_cell(width, 12, site_address(), align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_xy(text_x, pdf.y + 1)
    pdf.set_font("helvetica", size=11)
    pdf.set_text_color(*MUTED)
    names = " · ".join(capfirst(LANG_INFO[code]["name_local"]) for code, _name in settings.LANGUAGES)
    pdf.multi_cell(width, 6, names, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)


def site_address() -> str:
    """The address as people type it: no scheme, no trailing slash."""
    return settings.SITE_URL.split("://", 1)[-1].rstrip("/")


def address_size(pdf: FPDF, width: float) -> float:
    # As large as fits on one line, from 28 pt down: a long host name must not break in the middle.
    for size in (28, 26, 24, 22, 20, 18, 16, 14):
        pdf.set_font("helvetica", style="B", size=size)
        if pdf.get_string_width(site_address()) <= width:
            return size
    return 12
