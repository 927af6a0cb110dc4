"""The bar chart's category labels: as much of each name as fits under its bar (`screens.charts.axis_label`)."""

from __future__ import annotations

import pytest

from screens.charts import CHAR_PX, LABELS_PX, axis_label


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
