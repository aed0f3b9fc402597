from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kabinet.core.pagecache import public_page

from .selectors import services_with_public_tariffs


@public_page
def tariffs_page(request: HttpRequest) -> HttpResponse:
    """Every service on sale with its public tariffs and the prices in force today."""
    return render(
        request, "catalog/site/tariffs.html", {"services": services_with_public_tariffs()}
    )
