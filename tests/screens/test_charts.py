"""The bar chart's category labels: as much of each name as fits under its bar (`screens.charts.axis_label`)."""

from __future__ import annotations

import flet as ft
import pytest

from app.analytics import Point, Series
from screens.charts import CHAR_PX, LABELS_PX, MAX_BARS, axis_label, chart, value_axis


def widest_line(bars: int) -> int:
    return max(4, int(LABELS_PX / bars / CHAR_PX))


def test_a_name_that_fits_is_shown_whole():
    assert axis_label("Ada Lovelace", 3) == "Ada Lovelace"  # 3 bars: room for 18 characters a line


def test_names_break_between_words_onto_two_lines():
    assert axis_label("Chloe Smith", 10) == "Chloe\nSmith"  # 10 bars: 5 characters a line


def test_a_long_word_is_cut_with_an_ellipsis():
    assert axis_label("Disability", 10) == "Disa…"


def test_a_third_line_is_not_drawn_and_the_cut_is_shown():
    assert axis_label("Race or ethnic origin", 10) == "Race\nor…"


@pytest.mark.parametrize("bars", [1, 4, 8, 12])
@pytest.mark.parametrize(
    "name", ["Ada", "Chloe Smith", "Sexual orientation", "Homophobic or transphobic abuse", "Ms J Brown-Whitaker"]
)
def test_every_line_fits_its_bar(name: str, bars: int):
    lines = axis_label(name, bars).split("\n")
    assert 1 <= len(lines) <= 2
    assert all(len(line) <= widest_line(bars) for line in lines)


def test_nothing_to_label():
    assert axis_label("", 5) == ""


@pytest.mark.parametrize(
    ("top", "step", "highest"), [(0, 1, 1), (4, 1, 5), (10, 5, 15), (46, 20, 60), (185, 50, 200), (1234, 500, 1500)]
)
def test_the_value_axis_counts_in_whole_round_steps_above_the_highest_bar(top: float, step: int, highest: int):
    axis, top_of_chart = value_axis(top)
    assert (axis.label_spacing, top_of_chart) == (step, highest)
    assert axis.label_size >= 7 * len(str(highest))  # room for its widest label on one line


def _texts(control: ft.Control) -> list[str]:
    found, stack = [], [control]
    while stack:
        c = stack.pop()
        if isinstance(c, ft.Text):
            found.append(str(c.value))
        for child in (getattr(c, "controls", None), getattr(c, "content", None)):
            stack.extend(child if isinstance(child, list) else [child] if isinstance(child, ft.Control) else [])
    return found


def test_a_bar_chart_of_more_than_it_draws_says_so():
    many = Series("by_staff", "Staff involved", "category", tuple(Point(f"Staff {n}", 20 - n) for n in range(15)))
    assert f"The {MAX_BARS} largest of 15: the table below has them all." in _texts(chart(many))
    few = Series("by_staff", "Staff involved", "category", tuple(Point(f"Staff {n}", 9 - n) for n in range(5)))
    assert not any(t.startswith("The ") for t in _texts(chart(few)))


def test_a_pie_names_its_slices_in_a_legend_not_on_them():
    shares = Series(
        "by_status", "By status", "category", (Point("Submitted", 68), Point("Reviewed and signed off", 119))
    )
    assert shares.drawing == "pie"
    texts = _texts(chart(shares))
    assert "Reviewed and signed off: 119" in texts and "Submitted: 68" in texts
