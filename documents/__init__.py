"""Documents: a record (an incident, a plan, a report, a register) laid out as a `Document`, rendered to PDF
bytes, and rows written as CSV — the one way besmart makes a file for a person to take away, on the device
(the app's downloads) and on the server (the admin's exports) alike.

A `Document` is plain data: a title and subtitle, header facts (organisation, individual, version, dates),
then sections of labelled paragraphs, tables, images, headline figures and charts (bars, a line, a pie, a
heat map: `documents.charts`, drawn with fpdf2's own primitives). `render_pdf` lays it out with fpdf2 in
the DejaVu Sans font shipped in `assets/fonts/` (never a system font: the same glyphs on every device, and
names such as "Zoë Ní Bhriain" drawn as written). Every page carries the classification (OFFICIAL-SENSITIVE)
in its header and footer, "Page N of M" and the date it was generated; a table longer than a page splits
across pages with its header row repeated, and a fitted table (`Table.fit`) sizes its columns and type to
their words.

`export_file` makes an export (title, facts, sheets of rows under named columns) into a PDF — a table per
sheet, or one block per row when the rows are wide — its CSV, or a ZIP of the PDF and one CSV per sheet (a
subject access request's answer).

`to_csv` is the one CSV writer: the columns named by the caller in a stable order, dates and moments as
ISO 8601, and every text cell that a spreadsheet would read as a formula (starting with = + - @, a tab or a
carriage return) prefixed with an apostrophe, so opening an export can never run what a child's record
happens to contain.

This package knows nothing of records, the store, the server or who may download (an import contract keeps
it so): the services that build documents (`app/downloads.py`, letters, analytics, the server's exports)
decide what goes in and audit it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from documents.charts import FONT, Chart
from documents.charts import BarChart as BarChart  # the blocks a caller builds, re-exported
from documents.charts import Figures as Figures
from documents.charts import HeatMap as HeatMap
from documents.charts import LineChart as LineChart
from documents.charts import PieChart as PieChart

#: the classification printed on every page (the Government Security Classifications' handling caveat for
#: personal data about children)
CLASSIFICATION = "OFFICIAL-SENSITIVE"
FONT_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
_FONT = FONT
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
_GREY = (90, 90, 90)
_RULE = (200, 200, 200)
_HEAD_FILL = (230, 235, 240)


# --- the model ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """A labelled value: a header fact ("Individual: Zoë Ní Bhriain") or a paragraph under its label."""

    label: str
    value: str


@dataclass(frozen=True)
class Table:
    """Rows under a header row. `widths` are relative column widths (None: equal, or with `fit` as wide as
    each column's heading words and cells need, so words wrap between themselves rather than inside)."""

    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    title: str = ""
    widths: Sequence[float] | None = None
    fit: bool = False


@dataclass(frozen=True)
class Image:
    """A picture (PNG or JPEG bytes), e.g. a chart drawn elsewhere, scaled to `width_mm` (None: full width)."""

    data: bytes
    caption: str = ""
    width_mm: float | None = None


Block = Fact | Table | Image | Figures | Chart


@dataclass(frozen=True)
class Section:
    title: str
    blocks: Sequence[Block]


@dataclass(frozen=True)
class Document:
    title: str
    #: header facts under the title: organisation, individual, version, dates, filters
    facts: Sequence[Fact] = ()
    sections: Sequence[Section] = ()
    subtitle: str = ""
    classification: str = CLASSIFICATION
    #: when it was generated (None: now); printed on every page
    generated_at: dt.datetime | None = None
    #: the name offered when the file is saved, e.g. "besmart-00042.pdf"
    file_name: str = "document.pdf"


# --- PDF ---------------------------------------------------------------------------------------------


def render_pdf(document: Document) -> bytes:
    """The document as PDF bytes (A4, DejaVu Sans, classification, page numbers and date on every page)."""
    # fpdf2 is imported only when a PDF is made: it costs ~0.3 s, and starting the app makes none.
    from documents.pdf import render_pdf as render

    return render(document)


# --- CSV ---------------------------------------------------------------------------------------------

#: what a spreadsheet reads as the start of a formula (OWASP "CSV injection")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """One value as CSV text: None empty, moments and dates ISO 8601, booleans yes/no, lists joined
    with "; ", enums by their value — and text a spreadsheet would run as a formula prefixed with '.
    Numbers stay numbers (a negative count is not a formula)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, list | tuple | set | frozenset):
        value = "; ".join(csv_cell(v).removeprefix("'") for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(rows: Iterable[Mapping[str, Any] | Sequence[Any]], columns: Sequence[str]) -> str:
    """`rows` as CSV text (RFC 4180, CRLF line ends) with a header row of `columns`, in that order. A row is a
    mapping (its other keys are left out, a missing one is empty) or a sequence in the columns' order. Every
    CSV the app writes goes through here."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(c) for c in columns])
    for row in rows:
        cells = [row.get(c) for c in columns] if isinstance(row, Mapping) else list(row)
        writer.writerow([csv_cell(cell) for cell in cells])
    return out.getvalue()


def csv_bytes(text: str) -> bytes:
    """CSV text as the file a person opens in a spreadsheet: UTF-8 with a byte order mark. Without the mark,
    Excel reads the file in the computer's own code page and garbles names like "Wiśniewski"; with it, every
    spreadsheet and Python's "utf-8-sig" read it as written. Every CSV file the app hands over goes through here."""
    return text.encode("utf-8-sig")


# --- exports: sheets of rows -------------------------------------------------------------------------


class Tabular(Protocol):
    """Rows under named columns, as an export hands them over (`sync.exports.Sheet` is one): `name` is the CSV
    file's stem, `columns` (key, label) pairs, and `heading` the column titling each row when the rows are
    shown one by one (None: as one table); `csv_only`: the PDF counts the rows, the CSV holds them."""

    @property
    def name(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def columns(self) -> Sequence[tuple[str, str]]: ...

    @property
    def rows(self) -> Sequence[Mapping[str, Any]]: ...

    @property
    def heading(self) -> str | None: ...

    @property
    def csv_only(self) -> bool: ...


def cell_text(value: Any) -> str:
    """One value as a person reads it in a PDF: moments and days the UK way ("Tue 1 Dec 2026, 09:15",
    "1 Dec 2026"), booleans Yes/No, lists one item a line, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        return f"{value:%a} {value.day} {value:%b %Y, %H:%M}"
    if isinstance(value, dt.date):
        return f"{value.day} {value:%b %Y}"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list | tuple | set | frozenset):
        return "\n".join(cell_text(v) for v in value)
    return str(value)


def sheet_csv(sheet: Tabular) -> str:
    """A sheet as CSV: its column keys as the header row."""
    return to_csv(sheet.rows, [key for key, _label in sheet.columns])


#: a PDF table row is never split across pages (fpdf2), so a long text is cut into rows of this many
#: characters under its label, and in a many-column table shortened to a few lines (the CSV has it whole)
_ROW_CHARACTERS = 1_500
_CELL_CHARACTERS = 300


def _pieces(text: str, size: int) -> list[str]:
    """`text` in pieces of at most `size` characters, broken at a line end or a space where there is one."""
    pieces = []
    while len(text) > size:
        cut = max(text.rfind("\n", 0, size), text.rfind(" ", 0, size))
        cut = cut if cut > size // 2 else size
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*pieces, text]


def _sheet_blocks(sheet: Tabular) -> list[Block]:
    if not sheet.rows:
        return [Fact("", "None.")]
    if sheet.csv_only:
        return [Fact("", f"{len(sheet.rows)} rows, every one in {sheet.name}.csv beside this file.")]
    labels = [label for _key, label in sheet.columns]
    if sheet.heading is None:
        whole = f"… (in full in {sheet.name}.csv)"

        def short(value: Any) -> str:
            text = cell_text(value)
            return text if len(text) <= _CELL_CHARACTERS else text[:_CELL_CHARACTERS].rstrip() + whole

        return [Table(labels, [[short(row.get(key)) for key, _label in sheet.columns] for row in sheet.rows])]
    blocks: list[Block] = []
    for row in sheet.rows:
        lines: list[tuple[str, str]] = []
        for key, label in sheet.columns:
            text = cell_text(row.get(key)) if key != sheet.heading else ""
            if text:
                lines += [(label if i == 0 else "", piece) for i, piece in enumerate(_pieces(text, _ROW_CHARACTERS))]
        title = cell_text(row.get(sheet.heading)) or "—"
        blocks.append(Table(("Field", "Value"), lines, title=title, widths=(1, 2.4)))
    return blocks


class Exportable(Protocol):
    """An export ready to lay out (`sync.exports.Export` is one): title, header facts, the sheets the PDF shows,
    and `table`, the sheet a CSV holds (None: the export is a ZIP of every sheet). `name` names its files."""

    @property
    def name(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def subtitle(self) -> str: ...

    @property
    def facts(self) -> Sequence[tuple[str, str]]: ...

    @property
    def sheets(self) -> Sequence[Tabular]: ...

    @property
    def table(self) -> Tabular | None: ...


def export_document(export: Exportable, file_name: str = "document.pdf") -> Document:
    """An export as a document: its facts under the title, then a section per sheet — its rows as one table,
    or (a sheet with a `heading`) one label/value table per row, for rows too wide for a page."""
    return Document(
        title=export.title,
        subtitle=export.subtitle,
        facts=[Fact(label, value) for label, value in export.facts],
        sections=[Section(f"{sheet.title} ({len(sheet.rows)})", _sheet_blocks(sheet)) for sheet in export.sheets],
        file_name=file_name,
    )


def export_file(export: Exportable, fmt: str) -> bytes:
    """An export as the file asked for: "pdf", "csv" (its `table`) or "zip" (a PDF and one CSV per sheet)."""
    if fmt == "pdf":
        return render_pdf(export_document(export))
    if fmt == "csv" and export.table is not None:
        return csv_bytes(sheet_csv(export.table))
    if fmt == "zip":
        return bundle(export_document(export, f"{export.name}.pdf"), export.sheets)
    raise ValueError(f"an export is made as pdf, csv or zip, not {fmt!r}")


def bundle(document: Document, sheets: Sequence[Tabular]) -> bytes:
    """A ZIP of the document's PDF and one CSV per sheet (`<name>.csv`): an answer to take away whole."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(document.file_name, render_pdf(document))
        for sheet in sheets:
            archive.writestr(f"{sheet.name}.csv", csv_bytes(sheet_csv(sheet)))
    return out.getvalue()
