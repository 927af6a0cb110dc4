"""A report printed: the report as the screen shows it — its title, the filters in words, the headline
figures, every chart drawn from the same series the screen draws (a line, a pie, bars or a heat map, chosen
by `Series.drawing`), and the table — as a `documents.Document`. The documents layer draws it into the PDF
with the classification and page numbers on every page; `Downloads.export_document` audits it as an export.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.analytics.report import Report, Series, column_title, period_label, spans_years, table_cell
from documents import BarChart, Document, Fact, Figures, HeatMap, LineChart, PieChart, Section, Table
from documents.charts import Chart, number

#: bars printed at most (a chart of every individual would run over pages; the table and the CSV have all)
PRINT_MAX_BARS = 20
#: table rows printed at most (the CSV has them all; a longer table takes seconds to lay out)
PRINT_MAX_ROWS = 100
RECORDS = {"incident": "incident", "clicker_event": "tap", "communication": "communication"}


def _chart(series: Series) -> Chart:
    points = series.points
    drawing = series.drawing
    if drawing == "line":
        year = spans_years(points)
        return LineChart(series.title, [(period_label(p.label, year=year), p.value) for p in points])
    if drawing == "pie":
        return PieChart(series.title, [(p.label, p.value) for p in points])
    if drawing == "grid":
        rows: dict[str, list[float]] = {}
        columns: list[str] = []
        for p in points:
            rows.setdefault(p.row, []).append(p.value)
            if p.label not in columns:
                columns.append(p.label)
        if not any(p.value for p in points):
            return HeatMap(series.title, (), (), ())  # "Nothing to show", as on screen
        return HeatMap(series.title, list(rows), [c.replace("_", " ") for c in columns], list(rows.values()))
    shown = points[:PRINT_MAX_BARS]
    more = f"The first {len(shown)} of {len(points)}: the CSV has them all." if len(points) > len(shown) else ""
    return BarChart(series.title, [(p.label, p.value) for p in shown], note=more)


def _table(report: Report) -> list[Fact | Table]:
    table = report.table
    if not table.rows:
        return [Fact("", "No rows for these filters.")]
    rows = [[table_cell(c, v) for c, v in zip(table.columns, row, strict=True)] for row in table.rows[:PRINT_MAX_ROWS]]
    columns = [column_title(c) for c in table.columns]
    out: list[Fact | Table] = [Table(columns, rows, fit=True)]
    if len(table.rows) > PRINT_MAX_ROWS:
        out.append(Fact("", f"The first {PRINT_MAX_ROWS} of {len(table.rows)} rows: the CSV has all of them."))
    return out


def report_document(report: Report, *, subtitle: str, facts: Sequence[Fact], file_name: str) -> Document:
    """The report laid out for print: `subtitle` is its filters in words, `facts` the header (organisation,
    who printed it, what it counted)."""
    figures = Figures([(number(f.value), f.label) for f in report.figures])
    count = len(report.record_ids)
    counted = Fact("Records counted", f"{count} {RECORDS.get(report.record_kind, 'record')}{'' if count == 1 else 's'}")
    return Document(
        title=report.title,
        subtitle=subtitle,
        facts=[*facts, counted],
        sections=[
            Section("Headline figures", [figures]),
            Section("Charts", [_chart(s) for s in report.series]),
            Section("Table", _table(report)),
        ],
        file_name=file_name,
    )
