"""Analytics on the device (issue #11, docs/analytics.md): the decrypted working set (`working_set`), filters
(`filters`), the reports' values (`report`), the service with the eight reports and the dashboard's headline
figures (`service`), and CSV (`export`). Every figure, chart point and table row carries the ids of the
records behind it ("Show related incidents"). Draft incidents are their author's and are never counted."""

from app.analytics.export import CLICK_COLUMNS, COMMUNICATION_COLUMNS, INCIDENT_COLUMNS
from app.analytics.filters import DIMENSIONS, PRESET_LABELS, PRESETS, Filters
from app.analytics.report import (
    REPORTS,
    Figure,
    Point,
    Report,
    Series,
    Table,
    column_title,
    period_label,
    spans_years,
    table_cell,
)
from app.analytics.service import SAVED_FILTERS_SECRET, Analytics
from app.analytics.working_set import TIME_ZONE, WORKING_KINDS, WorkingSet

__all__ = [
    "CLICK_COLUMNS",
    "COMMUNICATION_COLUMNS",
    "DIMENSIONS",
    "INCIDENT_COLUMNS",
    "PRESETS",
    "PRESET_LABELS",
    "REPORTS",
    "SAVED_FILTERS_SECRET",
    "TIME_ZONE",
    "WORKING_KINDS",
    "Analytics",
    "Figure",
    "Filters",
    "Point",
    "Report",
    "Series",
    "Table",
    "WorkingSet",
    "column_title",
    "period_label",
    "spans_years",
    "table_cell",
]
