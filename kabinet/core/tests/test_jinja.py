"""Rows rendered by Jinja2 are escaped like any template's, and a missing name fails."""

from __future__ import annotations

import jinja2
import pytest
from django.utils.safestring import SafeString

from kabinet.calls.views_cabinet import Row
from kabinet.core.jinja import render_rows

LABELS = {
    "started": "Started",
    "direction": "Direction",
    "number": "Own number",
    "peer": "Other party",
    "zone": "Zone",
    "duration": "Duration",
    "amount": "Amount",
    "withheld": "withheld",
}


def _row(**changes: str) -> Row:
    values = {
        "call_id": "c1",
        "started": "01.12.2026 10:00:00",
        "direction": "Outgoing",
        "number": "+7 812 400-10-01",
        "peer": "+7 812 400-10-02",
        "zone": "Local",
        "duration": "2:05",
        "amount": "1,50 ₽",
    }
    values.update(changes)
    return Row(**values)


def test_values_are_escaped_and_the_result_is_safe_to_place():
    html = render_rows(
        "calls/rows.html",
        {"rows": [_row(peer="<script>x</script>", zone='"><img>')], "labels": LABELS},
    )
    assert isinstance(html, SafeString)
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img&gt;" in html
    assert html.count("<tr>") == 1


def test_a_withheld_number_reads_as_the_label():
    html = render_rows("calls/rows.html", {"rows": [_row(peer="")], "labels": LABELS})
    assert '<span class="muted">withheld</span>' in html


def test_a_missing_name_fails_instead_of_rendering_an_empty_cell():
    labels = {k: v for k, v in LABELS.items() if k != "zone"}
    with pytest.raises(jinja2.UndefinedError):
        render_rows("calls/rows.html", {"rows": [_row()], "labels": labels})
