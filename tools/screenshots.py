"""Screenshots of the running demo, for a human to look at.

Usage: python tools/screenshots.py OUT_DIR [URL...]

Logs in as the demo roles and saves each page at 1280 px and 390 px wide.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = os.environ.get("KABINET_BASE", "http://127.0.0.1:8000")
PAGES = {
    None: [
        "/",
        "/login/",
        "/about/",
        "/password-reset/",
        "/services/",
        "/pay/?contract=100001&amount=1500.00",
    ],
    "client100001@kabinet.test": [
        "/cabinet/",
        "/cabinet/company/",
        "/cabinet/payments/",
        "/cabinet/pay/",
        "/account/notifications/",
        "/account/",
        "/manager/",
        "/cabinet/services/",
        "/cabinet/services/1/",
        "/cabinet/requests/",
    ],
    "manager@kabinet.test": [
        "/manager/",
        "/manager/clients/",
        "/manager/clients/1/",
        "/manager/clients/new/",
        "/manager/payments/",
        "/manager/audit/",
        "/manager/services/",
        "/manager/services/1/",
        "/manager/tariffs/",
        "/manager/tariffs/1/",
        "/manager/tariffs/1/prices/",
        "/manager/subscriptions/1/",
        "/manager/requests/",
    ],
    "editor@kabinet.test": ["/editor/"],
}


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "var/shots")
    only = sys.argv[2:]
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for login, urls in PAGES.items():
            for width in (1280, 390):
                context = browser.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                if login:
                    page.goto(BASE + "/login/")
                    page.fill("input[name=username]", login)
                    page.fill("input[name=password]", "demo12345")
                    page.click("form[action='/login/'] button[type=submit]")
                    page.wait_for_load_state()
                for url in urls:
                    if only and url not in only:
                        continue
                    page.goto(BASE + url)
                    name = (login or "anon").split("@")[0] + url.replace("/", "_") + f"_{width}.png"
                    page.screenshot(path=str(out / name), full_page=True)
                    print(out / name)
                context.close()
        browser.close()


if __name__ == "__main__":
    main()
