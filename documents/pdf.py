"""Laying a `documents.Document` out as PDF with fpdf2 (what `documents.render_pdf` calls).

Its own module so that fpdf2 (~0.3 s to import) is loaded only when a PDF is made, not when the app starts.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from fpdf import FPDF
from fpdf.enums import TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace

from documents import (
    _FONT,
    _FONT_FILES,
    _GREY,
    _HEAD_FILL,
    _RULE,
    FONT_DIR,
    Document,
    Fact,
    Figures,
    Image,
    Section,
    Table,
)
from documents.charts import draw_chart, draw_figures


class _Pdf(FPDF):
    def __init__(self, document: Document, generated: dt.datetime) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.document = document
        self.generated = generated
        for style, name in _FONT_FILES.items():
            self.add_font(_FONT, style, str(FONT_DIR / name))
        self.set_auto_page_break(auto=True, margin=20)
        self.set_margins(18, 22, 18)
        self.alias_nb_pages()

    def header(self) -> None:
        self.set_y(8)
        self.set_font(_FONT, "B", 9)
        self.set_text_color(160, 0, 0)
        self.cell(0, 5, self.document.classification, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.set_y(self.t_margin)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_draw_color(*_RULE)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_font(_FONT, "", 8)
        self.set_text_color(*_GREY)
        width = (self.w - self.l_margin - self.r_margin) / 3
        generated = self.generated  # the UK way, as everywhere in besmart: "1 Dec 2026, 09:30"
        self.cell(width, 6, f"Generated {generated.day} {generated:%b %Y, %H:%M} UTC", align="L")
        self.set_font(_FONT, "B", 8)
        self.set_text_color(160, 0, 0)
        self.cell(width, 6, self.document.classification, align="C")
        self.set_font(_FONT, "", 8)
        self.set_text_color(*_GREY)
        self.cell(width, 6, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)


def render_pdf(document: Document) -> bytes:
    """The document as PDF bytes (A4, DejaVu Sans, classification, page numbers and date on every page)."""
    generated = (document.generated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    pdf = _Pdf(document, generated)
    pdf.set_creator("besmart")
    pdf.set_title(document.title)
    pdf.set_creation_date(generated)
    pdf.add_page()
    _title(pdf, document)
    for section in document.sections:
        _section(pdf, section)
    return bytes(pdf.output())


def _width(pdf: FPDF) -> float:
    return pdf.w - pdf.l_margin - pdf.r_margin


def _grey_lines(pdf: FPDF, text: str, *, size: int, height: float) -> None:
    """Secondary text (a subtitle, a caption) in grey, wrapped to the page's width."""
    pdf.set_font(_FONT, "", size)
    pdf.set_text_color(*_GREY)
    pdf.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)


def _title(pdf: _Pdf, document: Document) -> None:
    pdf.set_font(_FONT, "B", 16)
    pdf.multi_cell(0, 8, document.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if document.subtitle:
        _grey_lines(pdf, document.subtitle, size=11, height=6)
    pdf.ln(2)
    label_width = 45.0
    for fact in document.facts:
        pdf.set_font(_FONT, "B", 9)
        y = pdf.get_y()
        pdf.multi_cell(label_width, 5, fact.label, new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.set_font(_FONT, "", 9)
        pdf.multi_cell(_width(pdf) - label_width, 5, fact.value or "—", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_y(max(pdf.get_y(), y + 5))
    pdf.ln(2)
    pdf.set_draw_color(*_RULE)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(3)


def _section(pdf: FPDF, section: Section) -> None:
    if pdf.get_y() > pdf.h - pdf.b_margin - 25:
        pdf.add_page()  # never a section heading alone at the foot of a page
    pdf.set_font(_FONT, "B", 12)
    pdf.multi_cell(0, 7, section.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    for block in section.blocks:
        _BLOCKS.get(type(block), draw_chart)(pdf, block)  # anything else is a chart
    pdf.ln(3)


def _fact(pdf: FPDF, fact: Fact) -> None:
    pdf.set_font(_FONT, "B", 9)
    pdf.multi_cell(0, 5, fact.label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FONT, "", 10)
    pdf.multi_cell(0, 5, fact.value or "—", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _table(pdf: FPDF, table: Table) -> None:
    if table.title:
        pdf.set_font(_FONT, "B", 10)
        pdf.multi_cell(0, 6, table.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    size = 9
    widths = tuple(table.widths) if table.widths else None
    if widths is None and table.fit:
        # the largest type in which every column gets what it needs: a wide register in smaller type
        for size in (9, 8, 7, 6):
            widths = _fitted(pdf, table, size)
            if sum(widths) <= _width(pdf):
                break
    pdf.set_font(_FONT, "", size)
    pdf.set_draw_color(*_RULE)
    with pdf.table(
        col_widths=widths,
        headings_style=FontFace(family=_FONT, emphasis="BOLD", fill_color=_HEAD_FILL),
        cell_fill_color=_HEAD_FILL,
        cell_fill_mode=TableCellFillMode.NONE,
        line_height=size * 0.55,
        repeat_headings=1,
        text_align="LEFT",
    ) as grid:
        grid.row([str(c) for c in table.columns])
        for row in table.rows:
            grid.row(["" if v is None else str(v) for v in row])
    pdf.ln(3)


def _fitted(pdf: FPDF, table: Table, size: float) -> tuple[float, ...]:
    """Column widths (mm, relative) from their content: the widest word of the heading, in bold, and the
    widest cell up to a third of the page (a longer one wraps)."""
    cap = _width(pdf) / 3
    widths = []
    for i, column in enumerate(table.columns):
        pdf.set_font(_FONT, "B", size)
        word = max((pdf.get_string_width(w) for w in str(column).split()), default=1.0)
        pdf.set_font(_FONT, "", size)
        cells = (pdf.get_string_width("" if row[i] is None else str(row[i])) for row in table.rows if i < len(row))
        widths.append(max(word, min(max(cells, default=1.0), cap)) + 2 * pdf.c_margin + 1)  # and its margins
    return tuple(widths)


def _image(pdf: FPDF, image: Image) -> None:
    pdf.image(io.BytesIO(image.data), w=image.width_mm or _width(pdf))
    if image.caption:
        _grey_lines(pdf, image.caption, size=8, height=5)
    pdf.ln(2)


_BLOCKS: dict[type, Callable[[FPDF, Any], None]] = {Fact: _fact, Table: _table, Image: _image, Figures: draw_figures}
