"""How our PDFs are drawn: the letter-size page with its running header and footer, the core fonts (and
what they cannot show), and the building blocks every section uses. The report (pdf.py) and the
campaign flyer (flyer.py) are made of these."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

# The core PDF fonts are latin-1, which already has ñ, á, ü, ¿ and ¡; typographic punctuation is not,
# so it is swapped for its plain form. Core fonts need no font file, so this runs on any machine.
PLAIN_PUNCTUATION = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "—": "-",
        "–": "-",
        "‑": "-",
        "…": "...",
        "•": "-",
        # Letters that do not decompose into a base letter and an accent.
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Œ": "OE",
        "œ": "oe",
        "\u202f": " ",
        "\u2009": " ",
        "\t": "    ",
        "\r": "",
    }
)

LINE = 5.0  # mm; body text line height
LABEL_WIDTH = 50.0  # mm; the label column of the label/value rows
INK = (20, 20, 20)
MUTED = (90, 90, 90)
HEADING = (16, 52, 96)
RULE = (170, 170, 170)


def latin1(text: str) -> str:
    """Text the core fonts can show; other letters lose their accent, and what is left becomes "?"."""
    text = unicodedata.normalize("NFC", str(text)).translate(PLAIN_PUNCTUATION)
    try:
        text.encode("latin-1")
        return text
    except UnicodeEncodeError:
        return "".join(latin1_char(char) for char in text)


def latin1_char(char: str) -> str:
    if ord(char) < 256:
        return char
    if unicodedata.combining(char):
        return ""
    base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
    return base or "?"


class ReportPDF(FPDF):
    MARGIN = 18.0  # mm

    def __init__(self, *, running_title: str, footer_note: str, page_label: str) -> None:
        super().__init__(format="letter", unit="mm")
        self.running_title, self.footer_note, self.page_label = running_title, footer_note, page_label
        self.set_margins(self.MARGIN, 16, self.MARGIN)
        self.set_auto_page_break(True, margin=26)  # leaves room for the footer

    def normalize_text(self, text: str) -> str:
        # Every string fpdf2 writes passes here, so no label or resident's text can crash the render.
        return super().normalize_text(latin1(text))

    def header(self) -> None:
        # Page 1 has the full title; later pages say which case they belong to, in case they get separated.
        if self.page_no() == 1:
            return
        with self.page_margin():
            self.set_font("helvetica", size=8)
            self.set_text_color(*MUTED)
            self.cell(0, 4, self.running_title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(4)

    def footer(self) -> None:
        with self.page_margin():
            self.set_y(-22)
            self.set_draw_color(*RULE)
            self.line(self.l_margin, self.y, self.w - self.r_margin, self.y)
            self.ln(1.5)
            self.set_font("helvetica", size=7.5)
            self.set_text_color(*MUTED)
            self.multi_cell(0, 3.5, self.footer_note, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            # fpdf2 puts the page count in place of its alias once the last page is known.
            page = self.page_label % {"page": self.page_no(), "pages": self.str_alias_nb_pages}
            self.cell(0, 4, page, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    @contextmanager
    def page_margin(self) -> Iterator[None]:
        # A page can break while a value column is indented; header and footer still span the page.
        indented_margin = self.l_margin
        self.set_left_margin(self.MARGIN)
        try:
            yield
        finally:
            self.set_left_margin(indented_margin)

    def keep_space(self, height: float) -> None:
        # Start a new page instead of leaving a heading or a label alone at the bottom.
        if self.y + height > self.page_break_trigger:
            self.add_page()


# --- Building blocks --------------------------------------------------------------------------------------


def heading(pdf: ReportPDF, text: str) -> None:
    pdf.keep_space(6 + 3 * LINE)
    pdf.ln(3)
    pdf.set_font("helvetica", style="B", size=11)
    pdf.set_text_color(*HEADING)
    pdf.cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*RULE)
    pdf.line(pdf.l_margin, pdf.y, pdf.w - pdf.r_margin, pdf.y)
    pdf.ln(1.5)


def field_rows(pdf: ReportPDF, rows: Iterable[tuple[str, str]]) -> None:
    for label, value in rows:
        if value not in (None, ""):
            field_row(pdf, label, str(value))


def field_row(pdf: ReportPDF, label: str, value: str) -> None:
    # The label sits beside the first line of its value; a long value runs on over a page break.
    pdf.set_font("helvetica", style="B", size=9)
    label_lines = pdf.multi_cell(LABEL_WIDTH - 2, LINE, label, align="L", dry_run=True, output="LINES")
    pdf.keep_space(len(label_lines) * LINE)
    top, page = pdf.y, pdf.page
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(LABEL_WIDTH - 2, LINE, label, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    label_bottom = pdf.y
    pdf.set_xy(pdf.l_margin + LABEL_WIDTH, top)
    pdf.set_font("helvetica", size=9)
    pdf.set_text_color(*INK)
    with indented(pdf, LABEL_WIDTH):
        pdf.multi_cell(0, LINE, value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if pdf.page == page:
        pdf.set_y(max(pdf.y, label_bottom))
    pdf.ln(0.8)


@contextmanager
def indented(pdf: ReportPDF, by: float) -> Iterator[None]:
    # Moving the margin, not just x, keeps text that runs onto a new page in its column.
    pdf.set_left_margin(pdf.l_margin + by)
    try:
        yield
    finally:
        pdf.set_left_margin(pdf.l_margin - by)


def paragraph(
    pdf: ReportPDF, text: str, *, size: float = 9, color: tuple[int, int, int] = INK, line: float = LINE
) -> None:
    pdf.set_font("helvetica", size=size)
    pdf.set_text_color(*color)
    pdf.multi_cell(0, line, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def qr_image(url: str) -> io.BytesIO:
    """A QR code as a PNG fpdf2 can place: eight pixels a module, so it stays sharp at any size printed."""
    png = io.BytesIO()
    segno.make(url, error="m", micro=False).save(png, kind="png", scale=8, border=4)
    png.seek(0)
    return png
