"""Charts and headline figures drawn into a PDF with fpdf2's own primitives (lines, rectangles, arcs, text):
no picture is rendered elsewhere and nothing is fetched, so a printed chart is as sharp as its text, its
values can be read back from the PDF, and the documents layer stays free of any UI toolkit.

Each block is plain data — labels and numbers — and keeps itself on one page (a new page when it would not
fit). Values are printed beside bars, in heat-map cells, at a line's points and in a pie's legend, so the
paper copy says its numbers without anyone measuring a bar.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # fpdf2 is imported when a PDF is drawn (documents.pdf), not when a chart is described
    from fpdf import FPDF

FONT = "DejaVu"
_GREY = (90, 90, 90)
_AXIS = (170, 170, 170)
_GRID = (225, 225, 225)
_EMPTY = (242, 242, 242)
_HOT = (198, 40, 40)
_TILE = (245, 247, 250)
#: the screen's chart colours (blue, orange, green, purple), in the same order
PALETTE = ((25, 118, 210), (245, 124, 0), (56, 142, 60), (171, 71, 188), (0, 131, 143), (121, 85, 72))


@dataclass(frozen=True)
class Figures:
    """Headline numbers as tiles, four to a row: (value as text, what it counts)."""

    items: Sequence[tuple[str, str]]


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart: one bar per label, its value beside it."""

    title: str
    bars: Sequence[tuple[str, float]]
    unit: str = ""
    #: a line under the chart, e.g. "The first 20 of 43."
    note: str = ""


@dataclass(frozen=True)
class LineChart:
    """Values over time, in order: a line through one point per label, the values at the points when they fit."""

    title: str
    points: Sequence[tuple[str, float]]
    note: str = ""


@dataclass(frozen=True)
class PieChart:
    """A few shares of a whole, with a legend giving each value and its percentage."""

    title: str
    slices: Sequence[tuple[str, float]]
    note: str = ""


@dataclass(frozen=True)
class HeatMap:
    """A grid of cells shaded by value (e.g. day of week × hour of day), each non-zero cell with its number.
    `values[r][c]` is the cell of `rows[r]` and `columns[c]`."""

    title: str
    rows: Sequence[str]
    columns: Sequence[str]
    values: Sequence[Sequence[float]]
    note: str = ""


Chart = BarChart | LineChart | PieChart | HeatMap


def number(value: float) -> str:
    """A value as the screen shows it: whole numbers without a decimal point."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _width(pdf: FPDF) -> float:
    return pdf.w - pdf.l_margin - pdf.r_margin


def _keep_together(pdf: FPDF, height: float) -> None:
    """A new page unless `height` more millimetres fit on this one (a chart is never split)."""
    if pdf.get_y() + height > pdf.h - pdf.b_margin:
        pdf.add_page()


def _heading(pdf: FPDF, title: str) -> None:
    from fpdf.enums import XPos, YPos

    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(0, 6, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _note(pdf: FPDF, note: str) -> None:
    from fpdf.enums import XPos, YPos

    if note:
        pdf.set_font(FONT, "", 8)
        pdf.set_text_color(*_GREY)
        pdf.multi_cell(0, 4, note, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)
    pdf.ln(3)


def _nothing(pdf: FPDF) -> None:
    from fpdf.enums import XPos, YPos

    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(*_GREY)
    pdf.multi_cell(0, 5, "Nothing to show.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)


@contextmanager
def _colours_kept(pdf: FPDF) -> Iterator[None]:
    """The colours and line width as they were before a drawing: a table after a pie must not take its last
    slice's colour as its cells' background (fpdf2 starts a table from the current style)."""
    fill, draw, text, width = pdf.fill_color, pdf.draw_color, pdf.text_color, pdf.line_width
    try:
        yield
    finally:
        for colour, restore in ((fill, pdf.set_fill_color), (draw, pdf.set_draw_color), (text, pdf.set_text_color)):
            if colour is not None:
                restore(colour)
        pdf.set_line_width(width)


def draw_figures(pdf: FPDF, figures: Figures) -> None:
    with _colours_kept(pdf):
        _draw_figures(pdf, figures)


def _draw_figures(pdf: FPDF, figures: Figures) -> None:
    per_row, gap, height = 4, 3.0, 18.0
    width = (_width(pdf) - gap * (per_row - 1)) / per_row
    for start in range(0, len(figures.items), per_row):
        _keep_together(pdf, height + gap)
        top = pdf.get_y()
        for i, (value, label) in enumerate(figures.items[start : start + per_row]):
            x = pdf.l_margin + i * (width + gap)
            pdf.set_fill_color(*_TILE)
            pdf.set_draw_color(*_AXIS)
            pdf.rect(x, top, width, height, style="DF")
            pdf.set_xy(x + 2, top + 1.5)
            pdf.set_font(FONT, "B", 14)
            pdf.cell(width - 4, 7, value)
            pdf.set_xy(x + 2, top + 8.5)
            pdf.set_font(FONT, "", 7.5)
            pdf.multi_cell(width - 4, 3.5, label, align="L")
        pdf.set_xy(pdf.l_margin, top + height + gap)
    pdf.ln(2)


def draw_bar_chart(pdf: FPDF, chart: BarChart) -> None:
    bar, gap, label_width = 5.0, 2.0, 50.0
    _keep_together(pdf, 8 + max(1, len(chart.bars)) * (bar + gap) + 6)
    _heading(pdf, chart.title)
    if not chart.bars:
        _nothing(pdf)
    top = max((value for _, value in chart.bars), default=0) or 1
    room = _width(pdf) - label_width - 20
    pdf.set_font(FONT, "", 8)
    pdf.set_fill_color(*PALETTE[0])
    for name, value in chart.bars:
        y = pdf.get_y()
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(label_width, bar, name[:40], align="R")
        length = max(0.0, value) / top * room
        if length:
            pdf.rect(pdf.l_margin + label_width + 2, y, length, bar, style="F")
        pdf.set_xy(pdf.l_margin + label_width + 4 + length, y)
        pdf.cell(18, bar, f"{number(value)}{chart.unit}")
        pdf.set_y(y + bar + gap)
    _note(pdf, chart.note)


def draw_line_chart(pdf: FPDF, chart: LineChart) -> None:
    plot_height, axis_width, label_height = 45.0, 12.0, 8.0
    _keep_together(pdf, 8 + plot_height + label_height + 6)
    _heading(pdf, chart.title)
    if not chart.points:
        _nothing(pdf)
        _note(pdf, chart.note)
        return
    values = [value for _, value in chart.points]
    top = max(values) or 1
    left, plot_top = pdf.l_margin + axis_width, pdf.get_y() + 3
    width = _width(pdf) - axis_width - 4
    bottom = plot_top + plot_height
    pdf.set_font(FONT, "", 6.5)
    pdf.set_text_color(*_GREY)
    for share in (0.0, 0.5, 1.0):  # value gridlines, labelled on the left
        y = bottom - share * plot_height
        pdf.set_draw_color(*(_AXIS if share == 0 else _GRID))
        pdf.line(left, y, left + width, y)
        pdf.set_xy(pdf.l_margin, y - 2)
        pdf.cell(axis_width - 1.5, 4, number(round(top * share, 1)), align="R")
    n = len(chart.points)
    xs = [left + i * width / (n - 1) for i in range(n)] if n > 1 else [left + width / 2]
    xy = [(x, bottom - value / top * plot_height) for x, value in zip(xs, values, strict=True)]
    every = max(1, round(n / 6))  # six or so labels fit under the axis
    last_too = (n - 1) % every >= every / 2  # the last point labelled too, unless it would touch the one before
    for i, (label, _value) in enumerate(chart.points):
        if i % every == 0 or (i == n - 1 and last_too):
            pdf.set_xy(xy[i][0] - 12, bottom + 1)
            pdf.cell(24, 4, label, align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(*PALETTE[0])
    pdf.set_line_width(0.5)
    if n > 1:
        pdf.polyline(xy)
    pdf.set_line_width(0.2)
    pdf.set_fill_color(*PALETTE[0])
    labelled = n <= 31  # a value at every point while they do not crowd each other
    pdf.set_font(FONT, "", 6)
    for (x, y), value in zip(xy, values, strict=True):
        pdf.circle(x, y, 0.8 if n <= 60 else 0.4, style="F")
        if labelled:
            pdf.set_xy(x - 6, y - 4.5)
            pdf.cell(12, 3, number(value), align="C")
    pdf.set_xy(pdf.l_margin, bottom + label_height)
    _note(pdf, chart.note)


def draw_pie_chart(pdf: FPDF, chart: PieChart) -> None:
    radius = 22.0
    _keep_together(pdf, 8 + 2 * radius + 8)
    _heading(pdf, chart.title)
    total = sum(max(0.0, value) for _, value in chart.slices)
    if not total:
        _nothing(pdf)
        _note(pdf, chart.note)
        return
    top = pdf.get_y() + 2
    x = pdf.l_margin + 4
    angle = 90.0  # from twelve o'clock, clockwise, as the screen draws it
    for i, (_label, value) in enumerate(chart.slices):
        sweep = max(0.0, value) / total * 360
        if sweep:
            pdf.set_fill_color(*PALETTE[i % len(PALETTE)])
            if sweep >= 359.99:
                pdf.circle(x + radius, top + radius, radius, style="F")
            else:
                pdf.solid_arc(x, top, 2 * radius, angle - sweep, angle, style="F")  # a: the diameter
        angle -= sweep
    legend_x = x + 2 * radius + 10
    pdf.set_font(FONT, "", 9)
    for i, (label, value) in enumerate(chart.slices):
        y = top + 4 + i * 7
        pdf.set_fill_color(*PALETTE[i % len(PALETTE)])
        pdf.rect(legend_x, y + 0.8, 4, 4, style="F")
        pdf.set_xy(legend_x + 6, y)
        pdf.cell(0, 5.5, f"{label}: {number(value)} ({round(100 * max(0.0, value) / total)}%)")
    pdf.set_xy(pdf.l_margin, top + 2 * radius + 4)
    _note(pdf, chart.note)


def draw_heat_map(pdf: FPDF, chart: HeatMap) -> None:
    cell_height = 5.5
    _keep_together(pdf, 8 + (len(chart.rows) + 1) * cell_height + 8)
    _heading(pdf, chart.title)
    if not chart.rows or not chart.columns:
        _nothing(pdf)
        _note(pdf, chart.note)
        return
    pdf.set_font(FONT, "", 7)
    label_width = min(45.0, max(pdf.get_string_width(r) for r in chart.rows) + 3)
    pdf.set_font(FONT, "", 6)
    room = _width(pdf) - label_width
    cell_width = min(room / len(chart.columns), max(7.0, max(pdf.get_string_width(c) for c in chart.columns) + 2))
    top = max((v for row in chart.values for v in row), default=0) or 1
    y = pdf.get_y() + 1
    pdf.set_text_color(*_GREY)
    for c, column in enumerate(chart.columns):
        pdf.set_xy(pdf.l_margin + label_width + c * cell_width, y)
        pdf.cell(cell_width, cell_height, column, align="C")
    pdf.set_text_color(0, 0, 0)
    for r, row in enumerate(chart.rows):
        y += cell_height
        pdf.set_font(FONT, "", 7)
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(label_width - 1, cell_height, row, align="R")
        pdf.set_font(FONT, "", 6)
        for c, value in enumerate(chart.values[r]):
            share = max(0.0, value) / top
            shade = _EMPTY if not value else tuple(round(255 - (255 - h) * (0.12 + 0.88 * share)) for h in _HOT)
            x = pdf.l_margin + label_width + c * cell_width
            pdf.set_fill_color(*shade)
            pdf.rect(x + 0.2, y + 0.2, cell_width - 0.4, cell_height - 0.4, style="F")
            if value:
                pdf.set_text_color(*((255, 255, 255) if share > 0.5 else (0, 0, 0)))
                pdf.set_xy(x, y)
                pdf.cell(cell_width, cell_height, number(value), align="C")
        pdf.set_text_color(0, 0, 0)
    pdf.set_xy(pdf.l_margin, y + cell_height + 2)
    _note(pdf, chart.note)


_DRAW: dict[type, Callable[[FPDF, Any], None]] = {
    BarChart: draw_bar_chart,
    LineChart: draw_line_chart,
    PieChart: draw_pie_chart,
    HeatMap: draw_heat_map,
}


def draw_chart(pdf: FPDF, chart: Chart) -> None:
    with _colours_kept(pdf):
        _DRAW[type(chart)](pdf, chart)
