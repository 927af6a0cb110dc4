"""An export laid out as files (documents.export_file): a PDF whose rows never outgrow a page (a long text is
cut into rows under its label, or shortened in a many-column table with the CSV named), long lists only
counted, a CSV of the export's table, a ZIP of the PDF and every sheet, and an unknown format refused."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest
from pypdf import PdfReader

from documents import export_file


@dataclass(frozen=True)
class Sheet:
    name: str
    title: str
    columns: tuple[tuple[str, str], ...]
    rows: list[dict[str, Any]]
    heading: str | None = None
    csv_only: bool = False


@dataclass(frozen=True)
class Export:
    name: str
    title: str
    facts: tuple[tuple[str, str], ...]
    sheets: tuple[Sheet, ...]
    table: Sheet | None = None
    subtitle: str = ""


LONG = " ".join(f"word{i}" for i in range(4_000))  # about 30,000 characters: many pages
RECORDS = Sheet("records", "Records", (("id", "Record"), ("story", "Story")), [{"id": "r-1", "story": LONG}], "id")
WIDE = Sheet("wide", "Wide", tuple((f"c{i}", f"Column {i}") for i in range(6)), [{"c0": "x" * 2_000, "c1": "short"}])
TAPS = Sheet("taps", "Taps", (("at", "When"),), [{"at": f"t{i}"} for i in range(500)], csv_only=True)
EXPORT = Export("bundle", "An export", (("Organisation", "Oak"),), (RECORDS, WIDE, TAPS), table=WIDE)


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_pdf_never_outgrows_a_page_and_says_where_the_rest_is():
    text = text_of(export_file(EXPORT, "pdf"))
    assert "word0 " in text and "word3999" in text  # a very long text, whole, across pages
    squeezed = "".join(text.split())  # a narrow column breaks its text into lines
    assert "…(infullinwide.csv)" in squeezed and "x" * 2_000 not in squeezed
    assert "500 rows, every one in taps.csv beside this file." in text and "t499" not in text


def test_the_csv_is_the_exports_table_and_the_zip_holds_every_sheet():
    [row] = list(csv.DictReader(io.StringIO(export_file(EXPORT, "csv").decode("utf-8-sig"))))
    assert row["c0"] == "x" * 2_000 and row["c1"] == "short"
    archive = zipfile.ZipFile(io.BytesIO(export_file(EXPORT, "zip")))
    assert set(archive.namelist()) == {"bundle.pdf", "records.csv", "wide.csv", "taps.csv"}
    assert archive.read("taps.csv").decode("utf-8-sig").count("\r\n") == 501
    # Marked as UTF-8 for Excel, which otherwise reads "Wiśniewski" in the computer's own code page
    assert export_file(EXPORT, "csv").startswith(b"\xef\xbb\xbf") and archive.read("taps.csv")[:3] == b"\xef\xbb\xbf"


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="pdf, csv or zip"):
        export_file(EXPORT, "xlsx")
    with pytest.raises(ValueError):
        export_file(Export("bundle", "No table", (), (TAPS,)), "csv")
