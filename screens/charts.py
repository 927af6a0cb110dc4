"""Charts of analytics series (`app.analytics.Series`) with flet-charts: a line over time, bars or a pie for
categories, the heat map as a grid of coloured cells. Each chart is wrapped in a Semantics label that reads
its values (a canvas is silent to a screen reader), and tapping a bar, slice, point or cell hands that
point to `on_pick` ("Show related incidents")."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import flet as ft

if TYPE_CHECKING:  # imported by the functions that draw: flet-charts costs ~0.2 s, and starting needs no chart
    import flet_charts as fch

from app.analytics import Point, Series, period_label, spans_years

#: bars drawn at most (the rest are in the chart's table): more do not fit a phone's 360 px
MAX_BARS = 12
HEIGHT = 180
#: the width a bar chart's labels share on a phone (360 px less the value axis and padding), and the average
#: width of a character of their 9-point text: what decides how much of a label fits under its bar
LABELS_PX = 300
CHAR_PX = 5.5
COLOURS = (ft.Colors.BLUE_700, ft.Colors.ORANGE_700, ft.Colors.GREEN_700, ft.Colors.PURPLE_400)

Pick = Callable[[Point], None]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def describe(series: Series) -> str:
    """The chart in words, for assistive technology: its title and every non-empty point."""
    year = series.shape == "time" and spans_years(series.points)
    named = (lambda p: period_label(p.label, year=year)) if series.shape == "time" else (lambda p: p.label)
    parts = [
        f"{p.row + ' ' if p.row else ''}{named(p)}: {_number(p.value)}" for p in series.points if p.value or not p.row
    ]
    return f"{series.title}. " + ("; ".join(parts) if parts else "nothing to show") + "."


def _picked(points: Sequence[Point], on_pick: Pick | None) -> Callable[[Any], None] | None:
    if on_pick is None:
        return None

    def handler(e: Any) -> None:
        import flet_charts as fch

        if getattr(e, "type", None) != fch.ChartEventType.TAP_UP:
            return
        index = getattr(e, "group_index", None)
        if index is None:
            index = getattr(e, "section_index", None)
        if index is None and getattr(e, "spots", None):
            index = e.spots[0].spot_index
        if index is not None and 0 <= index < len(points):
            on_pick(points[index])

    return handler


def value_axis(top: float) -> tuple[fch.ChartAxis, float]:
    """The value axis in whole steps (four or five labels) and the chart's top, a whole step above the highest
    value: a fraction ("203.5") or a number wider than the axis' column wraps into unreadable digits.
    Tested in tests/screens/test_charts.py."""
    import flet_charts as fch

    rough = max(1, math.ceil(top / 4))
    magnitude = 10 ** (len(str(rough)) - 1)
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)  # 1, 2, 5, 10, 20, 50…
    highest = step * math.ceil((top * 1.05 or 1) / step)
    labels = [
        fch.ChartAxisLabel(value=v, label=ft.Text(str(v), size=10, no_wrap=True)) for v in range(0, highest + 1, step)
    ]
    width = 12 + 7 * len(str(highest))  # a 10-point digit is about 6 px wide, and the axis keeps a margin
    return fch.ChartAxis(labels=labels, label_size=width, label_spacing=step), highest


def axis_label(text: str, bars: int) -> str:
    """A category's name as it fits under one of `bars` bars: on up to two lines, broken between words, with
    "…" where it is cut. Fewer bars leave each more room; the full name is in the tooltip and the table.
    Tested in tests/screens/test_charts.py."""
    per_line = max(4, int(LABELS_PX / max(bars, 1) / CHAR_PX))
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= per_line:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if not lines:
        return ""
    if len(lines) > 2:
        lines = [lines[0], lines[1] + "…"]
    return "\n".join(line if len(line) <= per_line else line[: per_line - 1] + "…" for line in lines)


def _bars(points: Sequence[Point], on_pick: Pick | None) -> fch.BarChart:
    import flet_charts as fch

    shown = list(points[:MAX_BARS])
    values, highest = value_axis(max((p.value for p in shown), default=0))
    return fch.BarChart(
        groups=[
            fch.BarChartGroup(
                x=i,
                rods=[
                    fch.BarChartRod(to_y=p.value, width=14, color=COLOURS[0], tooltip=f"{p.label}: {_number(p.value)}")
                ],
            )
            for i, p in enumerate(shown)
        ],
        bottom_axis=fch.ChartAxis(
            labels=[
                fch.ChartAxisLabel(
                    value=i,
                    label=ft.Text(axis_label(p.label, len(shown)), size=9, text_align=ft.TextAlign.CENTER),
                )
                for i, p in enumerate(shown)
            ],
            label_size=28,  # two lines of 9-point text
        ),
        left_axis=values,
        max_y=highest,
        height=HEIGHT,
        on_event=_picked(shown, on_pick),
    )


def _line(points: Sequence[Point], on_pick: Pick | None) -> fch.LineChart:
    import flet_charts as fch

    step = max(1, len(points) // 4)  # four or five dates fit under a phone's chart
    year = spans_years(points)
    values, highest = value_axis(max((p.value for p in points), default=0))
    return fch.LineChart(
        data_series=[
            fch.LineChartData(
                points=[fch.LineChartDataPoint(x=i, y=p.value) for i, p in enumerate(points)],
                color=COLOURS[0],
                point=True,
            )
        ],
        bottom_axis=fch.ChartAxis(
            labels=[
                fch.ChartAxisLabel(value=i, label=ft.Text(period_label(p.label, year=year), size=9))
                for i, p in enumerate(points)
                if i % step == 0
            ],
            label_size=18,
        ),
        left_axis=values,
        min_y=0,
        max_y=highest,
        height=HEIGHT,
        on_event=_picked(points, on_pick),
    )


def _pie(points: Sequence[Point], on_pick: Pick | None) -> ft.Control:
    """A few shares: each slice titled with its value, and a legend naming them (a name in white on a slice ran
    past it, "Reviewed and signed off" on a thin one)."""
    import flet_charts as fch

    pie = fch.PieChart(
        sections=[
            fch.PieChartSection(
                value=p.value,
                title=_number(p.value),
                color=COLOURS[i % len(COLOURS)],
                radius=60,
                title_style=ft.TextStyle(size=11, color=ft.Colors.WHITE),
            )
            for i, p in enumerate(points)
        ],
        center_space_radius=20,
        height=HEIGHT,
        on_event=_picked(points, on_pick),
    )
    legend = ft.Row(
        [
            ft.Row(
                [
                    ft.Container(width=10, height=10, bgcolor=COLOURS[i % len(COLOURS)], border_radius=5),
                    ft.Text(f"{p.label}: {_number(p.value)}", size=11),
                ],
                spacing=4,
                tight=True,
            )
            for i, p in enumerate(points)
        ],
        wrap=True,
        spacing=12,
    )
    return ft.Column([pie, legend], spacing=8, horizontal_alignment=ft.CrossAxisAlignment.CENTER)


def _heat_map(points: Sequence[Point], on_pick: Pick | None) -> ft.Control:
    rows: dict[str, list[Point]] = {}
    for p in points:
        rows.setdefault(p.row, []).append(p)
    top = max((p.value for p in points), default=0) or 1
    columns = next(iter(rows.values()), [])

    # A 24-hour grid has narrow cells and short headers ("09"); a grid of a few columns (a technique by its
    # rated effectiveness) has room for words.
    few = len(columns) <= 6
    cell_width, label_width = (64, 110) if few else (24, 64)
    busy = [i for i in range(len(columns)) if any(cells[i].value for cells in rows.values())]
    if busy and not few:
        # The hours nothing happened in before the first and after the last are left off: on a phone the
        # grid would otherwise open on the small hours, its incidents out of sight to the right.
        first, last = busy[0], busy[-1] + 1
        rows = {row: cells[first:last] for row, cells in rows.items()}
        columns = columns[first:last]

    def cell(p: Point) -> ft.Control:
        share = p.value / top
        colour = ft.Colors.with_opacity(0.08 + 0.92 * share, ft.Colors.RED_700) if p.value else ft.Colors.GREY_100
        return ft.Container(
            ft.Text(_number(p.value) if p.value else "", size=9, color=ft.Colors.WHITE if share > 0.5 else None),
            width=cell_width,
            height=22,
            bgcolor=colour,
            alignment=ft.Alignment.CENTER,
            tooltip=f"{p.row} {p.label}: {_number(p.value)}",
            on_click=(lambda _e, point=p: on_pick(point)) if on_pick and p.value else None,
        )

    header_cells: list[ft.Control] = [ft.Container(width=label_width)]
    header_cells += [
        ft.Container(
            ft.Text(p.label if few else p.label[:4], size=9, text_align=ft.TextAlign.CENTER, max_lines=2),
            width=cell_width,
            alignment=ft.Alignment.CENTER,
        )
        for p in columns
    ]
    header = ft.Row(header_cells, spacing=1)
    body = [
        ft.Row(
            [
                ft.Container(
                    ft.Text(row, size=10, max_lines=2, overflow=ft.TextOverflow.ELLIPSIS, tooltip=row),
                    width=label_width,
                ),
                *(cell(p) for p in cells),
            ],
            spacing=1,
        )
        for row, cells in rows.items()
    ]
    # A 24-hour grid is wider than a phone: it scrolls sideways rather than shrinking its cells unreadably.
    return ft.Row([ft.Column([header, *body], spacing=1)], scroll=ft.ScrollMode.AUTO)


def chart(series: Series, on_pick: Pick | None = None) -> ft.Control:
    """The series drawn as its shape asks, labelled with its values for a screen reader."""
    points, drawing = series.points, series.drawing
    if drawing == "grid":
        drawn = _heat_map(points, on_pick)
    elif drawing == "line":
        drawn = _line(points, on_pick)
    elif drawing == "pie":
        drawn = _pie(points, on_pick)
    else:
        drawn = _bars(points, on_pick)
    if drawing != "grid":
        drawn = ft.Container(drawn, padding=ft.Padding.only(top=16, right=12))  # room for the top axis label
    if drawing == "bars" and len(points) > MAX_BARS:
        note = f"The {MAX_BARS} largest of {len(points)}: the table below has them all."
        drawn = ft.Column([drawn, ft.Text(note, size=11, color=ft.Colors.GREY_700)], spacing=4)
    # The words replace the drawing's own (axis labels out of context); the chart's table keeps the buttons.
    return ft.Semantics(content=drawn, label=describe(series), identifier=f"chart-{series.key}", exclude_semantics=True)
