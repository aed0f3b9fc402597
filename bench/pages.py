"""Pages: the public site (cached and stock), the client cabinet, the manager's lists."""

from __future__ import annotations

import argparse
import datetime as dt

from .harness import (
    Row,
    login,
    measure,
)


def page_rows(base: str, baseline: float, args: argparse.Namespace) -> list[Row]:
    """The public pages, the client cabinet and the manager's lists."""
    rows: list[Row] = []
    from kabinet.cms.models import ServicePage

    service_page = ServicePage.objects.live().filter(locale__language_code="ru").first()
    assert service_page is not None, "no live service page: did seed_demo run?"
    service_url = base + service_page.get_url()
    rows.append(measure("public: home page", base + "/", aim=0.5, baseline=baseline, args=args))
    rows.append(measure("public: service page", service_url, aim=0.5, baseline=baseline, args=args))
    # A stock Wagtail page of the same size: the same page through Wagtail's own serve view
    # (a query string bypasses Kabinet's page cache).
    rows.append(
        measure(
            "public: home page, stock Wagtail serve (no page cache)",
            base + "/?stock=1",
            aim=None,
            baseline=baseline,
            args=args,
        )
    )
    rows[-1].extra["note"] = (
        f"Kabinet's cached home page: {rows[0].rps / max(rows[-1].rps, 0.1):.0f}× this"
    )

    client_cookie = {"Cookie": login("bench-client@kabinet.test")}
    for name, path in (
        ("client cabinet: home", "/cabinet/"),
        ("client cabinet: services", "/cabinet/services/"),
        ("client cabinet: payments", "/cabinet/payments/"),
    ):
        rows.append(
            measure(
                name, base + path, aim=0.15, baseline=baseline, args=args, headers=client_cookie
            )
        )
    # Call details: the bench client has thousands of calls a month (generate_dataset).
    for name, path, aim in (
        ("client cabinet: call details, this month", "/cabinet/calls/", 0.1),
        (
            "client cabinet: call details, filtered",
            "/cabinet/calls/?direction=out&zone=local&min_duration=60",
            0.1,
        ),
        (
            "client cabinet: call details, CSV export of the month",
            "/cabinet/calls/export.csv",
            None,
        ),
    ):
        rows.append(
            measure(name, base + path, aim=aim, baseline=baseline, args=args, headers=client_cookie)
        )
    manager_cookie = {"Cookie": login("bench-manager@kabinet.test")}
    since = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    for name, path in (
        ("manager: client list, search", "/manager/clients/?q=%D1%81%D0%B2%D1%8F%D0%B7%D1%8C"),
        ("manager: requests queue", "/manager/requests/"),
        (
            "manager: payments, filtered",
            f"/manager/payments/?status=captured&channel=card&date_from={since}",
        ),
    ):
        rows.append(
            measure(
                name, base + path, aim=0.1, baseline=baseline, args=args, headers=manager_cookie
            )
        )
    return rows
