"""Server-side SVG charts: no JavaScript library, works offline and in print."""

from __future__ import annotations

from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from .models import Zone
from .selectors import MonthUsage

WIDTH = 640
HEIGHT = 220
TOP = 16
BOTTOM = 28
LEFT = 8
MONTHS = 12


def usage_chart(months: list[MonthUsage]) -> SafeString:
    """Stacked bars of the usage amount per month (oldest left), one colour per zone."""
    shown = list(reversed(months[:MONTHS]))
    if not shown:
        return SafeString("")
    peak = max((m.amount for m in shown), default=Decimal("0")) or Decimal("1")
    plot = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT * 2) / len(shown)
    bar = min(slot * 0.6, 56)
    rects: list[tuple[object, ...]] = []
    labels: list[tuple[object, ...]] = []
    for i, month in enumerate(shown):
        x = LEFT + slot * i + (slot - bar) / 2
        y = float(HEIGHT - BOTTOM)
        for row in month.zones:
            if row.amount <= 0:
                continue
            height = float(row.amount / peak) * plot
            y -= height
            rects.append(
                (
                    f"chart-{row.zone}",
                    f"{x:.1f}",
                    f"{y:.1f}",
                    f"{bar:.1f}",
                    f"{height:.1f}",
                    f"{month.period} · {row.get_zone_display()}: {row.amount} ₽, "
                    f"{row.minutes} " + _("min"),
                )
            )
        labels.append((f"{x + bar / 2:.1f}", HEIGHT - 8, month.period))
    legend = format_html_join(
        "",
        '<li><span class="chart-key chart-{}"></span>{}</li>',
        ((zone.value, zone.label) for zone in Zone),
    )
    return format_html(
        '<figure class="chart"><svg viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'preserveAspectRatio="xMidYMid meet"><line class="chart-axis" x1="0" y1="{}" x2="{}" '
        'y2="{}"></line>{}{}</svg><ul class="chart-legend">{}</ul></figure>',
        WIDTH,
        HEIGHT,
        _("Call charges by month and zone"),
        HEIGHT - BOTTOM,
        WIDTH,
        HEIGHT - BOTTOM,
        format_html_join(
            "",
            '<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
            rects,
        ),
        format_html_join(
            "", '<text class="chart-label" x="{}" y="{}" text-anchor="middle">{}</text>', labels
        ),
        legend,
    )
