"""Pages: the public site (cached and stock), the client cabinet, the manager's lists."""

from __future__ import annotations

import argparse
import datetime as dt

from .calls import last_full_month
from .harness import (
    Row,
    login,
    measure,
)

# Aims of issue #17 (ratios to the bare view in the same run) and #15 (call details).
PUBLIC_AIM = 0.5
CABINET_AIM = 0.08
MANAGER_AIM = 0.05
CALLS_AIM = 0.05


def page_rows(base: str, baseline: float, args: argparse.Namespace) -> list[Row]:
    """The public pages, the client cabinet and the manager's lists."""
    rows: list[Row] = []
    from kabinet.cms.models import ServicePage

    service_page = ServicePage.objects.live().filter(locale__language_code="ru").first()
    assert service_page is not None, "no live service page: did seed_demo run?"
    service_url = base + service_page.get_url()
    for name, url in (
        ("public: home page", base + "/"),
        ("public: service page", service_url),
        ("public: tariffs", base + "/tariffs/"),
    ):
        rows.append(measure(name, url, aim=PUBLIC_AIM, baseline=baseline, args=args))
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

    # The scheduled forecast pass has stored today's spend, as it has on a running site
    # (hourly); the pages add the live balance to it.
    from kabinet.accounts.models import User
    from kabinet.forecast.services import forecast_store

    forecast_store([User.objects.get(email="bench-client@kabinet.test").membership.client])
    client_cookie = {"Cookie": login("bench-client@kabinet.test")}
    for name, path in (
        ("client cabinet: home", "/cabinet/"),
        ("client cabinet: services", "/cabinet/services/"),
        ("client cabinet: payments", "/cabinet/payments/"),
    ):
        rows.append(
            measure(
                name,
                base + path,
                aim=CABINET_AIM,
                baseline=baseline,
                args=args,
                headers=client_cookie,
            )
        )
    # Call details: the bench client's last full month has 50,000 calls (generate_dataset);
    # its CSV export is timed on its own (calls.py).
    month = last_full_month()
    for name, path, aim in (
        ("client cabinet: call details, 50 000 calls", f"/cabinet/calls/?month={month}", CALLS_AIM),
        (
            "client cabinet: call details, 50 000 calls filtered",
            f"/cabinet/calls/?month={month}&direction=out&zone=local&min_duration=60",
            CALLS_AIM,
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
                name,
                base + path,
                aim=MANAGER_AIM,
                baseline=baseline,
                args=args,
                headers=manager_cookie,
            )
        )
    return rows
