"""/tariffs/ is public and the same for every anonymous visitor: served from the page cache,
dropped the moment a price or a tariff's visibility changes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from kabinet.catalog.models import TariffVersion
from kabinet.conftest import english_client

pytestmark = pytest.mark.django_db


def visit():
    return english_client().get("/tariffs/")


def test_the_second_anonymous_visit_is_answered_from_the_cache(public_tariff):
    first = visit()
    second = visit()
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert second.content == first.content
    assert b"Public" in second.content
    assert b"csrfmiddlewaretoken" not in second.content
    # Answered before sessions and authentication: the middleware's hit has no user.
    assert not hasattr(second.wsgi_request, "user")


def test_a_price_change_shows_at_once(public_tariff):
    visit()
    assert visit()["X-Cache"] == "hit"
    TariffVersion.objects.create(
        tariff=public_tariff,
        effective_from=timezone.localdate(),
        monthly_fee=Decimal("777.00"),
        setup_fee=Decimal("0.00"),
        per_minute_local=Decimal("0.00"),
        per_minute_long_distance=Decimal("2.50"),
        per_minute_international=Decimal("19.00"),
    )
    after = visit()
    assert after["X-Cache"] == "miss"
    assert "777" in after.content.decode()


def test_archiving_a_tariff_takes_it_off_the_cached_list(public_tariff, as_manager):
    assert b"Public" in visit().content
    assert visit()["X-Cache"] == "hit"
    data = {
        "name": "Public",
        "name_en": "",
        "description": "",
        "description_en": "",
        "visibility": "archived",
    }
    assert as_manager.post(f"/manager/tariffs/{public_tariff.pk}/edit/", data).status_code == 302
    after = visit()
    assert after["X-Cache"] == "miss"
    assert b"Public" not in after.content


def test_signed_in_visitors_and_query_strings_bypass_the_cache(public_tariff, as_client):
    visit()
    assert "X-Cache" not in as_client.get("/tariffs/")
    assert "X-Cache" not in english_client().get("/tariffs/?utm=1")
