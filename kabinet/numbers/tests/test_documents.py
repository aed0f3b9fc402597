"""The signed labelling applications are among the company's documents ("Charges and
documents"), downloaded through the same checks as on the labelling screen; another company
never sees or downloads them."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kabinet.conftest import logged_in
from kabinet.exchange.tests.helpers import import_bytes
from kabinet.numbers import services

from .helpers import file, give

pytestmark = pytest.mark.django_db


@pytest.fixture
def applications(company, client_user, manager):
    give(company, "78124001001", "78124001002")
    first = services.label_decline(
        version=file(company, client_user), actor=manager, reason="Не тот ИНН"
    )
    second = file(company, client_user, display_text="БалтЛог")
    return first, second


def _titles(html: str) -> list[str]:
    return re.findall(r'<td data-label="Document">([^<]*)</td>', html)


def test_the_signed_applications_are_among_the_documents(applications, company, as_client, peer):
    first, second = applications
    import_bytes(peer.package([peer.document("100001", "D-1", pdf=b"%PDF-bill")]))
    html = as_client.get("/cabinet/billing/").content.decode()
    titles = _titles(html)
    assert f"Call-labelling application No. {second.pk}, version 2" in titles
    assert f"Call-labelling application No. {first.pk}, version 1" in titles
    assert any("INV-D-1" in t for t in titles)
    for version in (first, second):
        url = f"/cabinet/call-labelling/{version.pk}/pdf/"
        assert f'href="{url}"' in html
        response = as_client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")


def test_another_company_never_sees_or_downloads_them(
    applications, other_company, other_client_user
):
    http = logged_in(other_client_user)
    html = http.get("/cabinet/billing/").content.decode()
    assert "Call-labelling application" not in html
    for version in applications:
        assert http.get(f"/cabinet/call-labelling/{version.pk}/pdf/").status_code == 404


def test_the_documents_run_the_same_queries_whatever_the_applications(
    company, client_user, manager, as_client
):
    give(company, "78124001001")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert as_client.get("/cabinet/billing/").status_code == 200
        return len(queries)

    services.label_decline(version=file(company, client_user), actor=manager, reason="x")
    count()  # warms what loads once per process
    small = count()
    for i in range(5):
        services.label_decline(
            version=file(company, client_user, display_text=f"Текст {i}"), actor=manager, reason="x"
        )
    assert count() == small
