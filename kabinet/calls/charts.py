"""The per-day bars of the calls page: server-side SVG (no script, no inline style: CSP)."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kabinet.lib.dates import date_formatter
from kabinet.lib.money import money_formatter

from .formats import duration
from .selectors import Day

WIDTH = 640
HEIGHT = 180
TOP = 10
BOTTOM = 22


def days_chart(days: list[Day]) -> SafeString:
    """One bar per day, its height the number of calls; the title says calls, time, amount."""
    if not days or not any(d.calls for d in days):
        return SafeString("")
    peak = max(d.calls for d in days)
    plot = HEIGHT - TOP - BOTTOM
    slot = WIDTH / len(days)
    bar = max(slot * 0.7, 1.0)
    rects = []
    labels = []
    step = 1 if len(days) <= 31 else 7
    money = money_formatter()
    short_date = date_formatter()
    title = _("%(day)s: %(calls)s calls, %(time)s, %(amount)s")
    for i, day in enumerate(days):
        x = slot * i + (slot - bar) / 2
        height = day.calls / peak * plot if peak else 0
        rects.append(
            (
                f"{x:.1f}",
                f"{HEIGHT - BOTTOM - height:.1f}",
                f"{bar:.1f}",
                f"{height:.1f}",
                title
                % {
                    "day": short_date(day.date),
                    "calls": day.calls,
                    "time": duration(day.seconds),
                    "amount": money(day.amount),
                },
            )
        )
        if i % step == 0:
            labels.append((f"{x + bar / 2:.1f}", HEIGHT - 6, day.date.day))
    return format_html(
        '<figure class="chart" data-testid="calls-chart"><svg viewBox="0 0 {} {}" role="img" '
        'aria-label="{}" preserveAspectRatio="xMidYMid meet"><line class="chart-axis" x1="0" '
        'y1="{}" x2="{}" y2="{}"></line>{}{}</svg></figure>',
        WIDTH,
        HEIGHT,
        _("Calls by day"),
        HEIGHT - BOTTOM,
        WIDTH,
        HEIGHT - BOTTOM,
        format_html_join(
            "",
            '<rect class="chart-calls" x="{}" y="{}" width="{}" height="{}"><title>{}</title>'
            "</rect>",
            rects,
        ),
        format_html_join(
            "", '<text class="chart-label" x="{}" y="{}" text-anchor="middle">{}</text>', labels
        ),
    )
