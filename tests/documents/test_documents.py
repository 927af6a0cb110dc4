"""The documents layer (documents/): PDFs read back with pypdf — title, header facts, sections, the
classification and "Page N of M" on every page, a long table split across pages with its header repeated,
names outside ASCII, headline figures and charts drawn with their values, never split — and the one CSV
writer's formula escaping."""

from __future__ import annotations

import csv
import datetime as dt
import io

from pypdf import PdfReader

from documents import (
    CLASSIFICATION,
    BarChart,
    Document,
    Fact,
    Figures,
    HeatMap,
    LineChart,
    PieChart,
    Section,
    Table,
    csv_cell,
    render_pdf,
    to_csv,
)

NAME = "Zoë Ní Bhriain"


def pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def long_document(rows: int = 150) -> Document:
    return Document(
        title="Restrictive-intervention register",
        subtitle="Brightwater Academy, 1 Sep to 30 Nov 2026",
        facts=[Fact("Organisation", "Brightwater Trust"), Fact("Individual", NAME), Fact("Version", "3")],
        sections=[
            Section("About me", [Fact("What matters to me", "Football, my dog Bran and my nan's cooking.")]),
            Section(
                "Register",
                [
                    Table(
                        columns=("No.", "Individual", "Measure"),
                        rows=[(str(i), NAME, f"Measure {i}") for i in range(rows)],
                    )
                ],
            ),
            Section("Behaviours", [BarChart("Last 4 weeks", [("Shouting out", 12), ("Leaving class", 3)])]),
        ],
        generated_at=dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC),
    )


def test_a_pdf_has_its_title_facts_and_sections_with_a_unicode_font():
    text = "\n".join(pages(render_pdf(long_document(rows=3))))
    for expected in (
        "Restrictive-intervention register",
        "Brightwater Academy, 1 Sep to 30 Nov 2026",
        "Brightwater Trust",
        NAME,  # drawn with the shipped font, read back as written
        "About me",
        "Football, my dog Bran and my nan's cooking.",
        "Shouting out",
        "Generated 1 Dec 2026, 09:30 UTC",
    ):
        assert expected in text


def test_every_page_is_classified_and_numbered_page_n_of_m():
    texts = pages(render_pdf(long_document()))
    total = len(texts)
    assert total >= 3
    for number, text in enumerate(texts, start=1):
        assert text.count(CLASSIFICATION) >= 2, f"page {number}: header and footer"
        assert f"Page {number} of {total}" in text


def test_a_long_table_splits_across_pages_with_its_header_row_repeated():
    texts = pages(render_pdf(long_document(rows=150)))
    with_rows = [t for t in texts if "Measure " in t]
    assert len(with_rows) >= 3
    for text in with_rows:
        assert "No. Individual Measure" in text  # the header row, on every page the table reaches
    everything = "\n".join(texts)
    assert all(f"Measure {i}\n" in everything or f"Measure {i} " in everything for i in (0, 75, 149))


def test_csv_escapes_what_a_spreadsheet_would_run_as_a_formula():
    rows = [
        {"name": '=HYPERLINK("http://x")', "note": "+1", "b": "-2", "c": "@SUM(A1)", "d": "\tx", "e": "\rx"},
        {"name": NAME, "note": "plain, with a comma", "b": -2, "c": 3.5, "d": True, "e": None},
    ]
    text = to_csv(rows, ["name", "note", "b", "c", "d", "e"])
    read = list(csv.reader(io.StringIO(text)))
    assert read[0] == ["name", "note", "b", "c", "d", "e"]
    assert read[1] == ['\'=HYPERLINK("http://x")', "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx"]
    assert read[2] == [NAME, "plain, with a comma", "-2", "3.5", "yes", ""]  # numbers are not formulas


def test_csv_columns_are_the_callers_in_order_with_iso_dates():
    rows = [{"when": dt.datetime(2026, 11, 23, 10, 15, tzinfo=dt.UTC), "day": dt.date(2026, 11, 23), "extra": "x"}]
    assert to_csv(rows, ["day", "when", "missing"]).splitlines() == [
        "day,when,missing",
        "2026-11-23,2026-11-23T10:15:00+00:00,",
    ]
    assert csv_cell(["=a", "b"]) == "'=a; b"


def test_charts_and_figures_are_drawn_into_the_pdf_with_their_values():
    hours = [f"{h:02d}" for h in range(24)]
    document = Document(
        title="Global Incident Report",
        sections=[
            Section("Headline figures", [Figures([("12", "Incidents"), ("2.5", "Median duration (minutes)")])]),
            Section(
                "Charts",
                [
                    LineChart("By week", [("2026-11-02", 3), ("2026-11-09", 7), ("2026-11-16", 0)]),
                    PieChart("By status", [("submitted", 3), ("reviewed", 1)]),
                    BarChart("By location", [("Hall", 9), ("Playground", 4)], note="The first 2 of 7."),
                    HeatMap("Day × hour", ["Mon", "Tue"], hours, [[0] * 23 + [5], [2] + [0] * 23]),
                    PieChart("Nothing yet", [("yes", 0), ("no", 0)]),
                ],
            ),
        ],
    )
    text = "\n".join(pages(render_pdf(document)))
    for expected in (
        "12\nIncidents",  # a figure's tile: its number over its label
        "2.5\nMedian duration (minutes)",
        "By week",
        "2026-11-02",  # the line's labels under the axis, its values at the points
        "7",
        "submitted: 3 (75%)",  # the pie's legend
        "reviewed: 1 (25%)",
        "Hall",
        "9",
        "The first 2 of 7.",
        "Day × hour",
        "Mon",
        "23",
        "Nothing to show.",  # an empty pie says so instead of drawing nothing
    ):
        assert expected in text, expected


def test_a_chart_is_never_split_across_pages():
    long = BarChart("Many bars", [(f"Bar {i}", i) for i in range(30)])
    data = render_pdf(Document(title="Charts", sections=[Section("One", [long]), Section("Two", [long])]))
    texts = pages(data)  # the second does not fit under the first: it starts a page rather than split
    assert len(texts) == 2
    assert all(t.count("Many bars") == 1 and "Bar 0 0" in t and "Bar 29 29" in t for t in texts)


def test_a_table_after_a_chart_keeps_its_plain_background():
    pie = PieChart("By status", [("submitted", 3), ("reviewed", 1)])  # its last slice is orange
    table = Table(("Individual", "Incidents"), [(f"Child {i}", str(i)) for i in range(8)])
    data = render_pdf(Document(title="Report", sections=[Section("Charts", [pie]), Section("Table", [table])]))
    content = PdfReader(io.BytesIO(data)).pages[0].get_contents().get_data().decode("latin-1")
    # filled and outlined boxes ("re B"): the heading row's two cells only, never a row of children in orange
    assert content.count(" re B") == 2


def test_a_fitted_table_gives_each_column_the_room_its_words_need():
    counted = ("individuals", "incidents", "interventions", "suspensions") * 2
    columns = ["cohort", *(f"{word} per 100" for word in counted), "n"]
    rows = [["not_looked_after", "66.7", "200", "50", "1", "2", "3", "4", "5", "6"]]
    wide = Document(title="Wide", sections=[Section("Table", [Table(columns, rows, fit=True)])])
    text = "\n".join(pages(render_pdf(wide)))
    words = text.split()
    for word in ("individuals", "incidents", "interventions", "suspensions", "not_looked_after"):
        assert word in words, word  # whole, never broken across two lines of its cell
