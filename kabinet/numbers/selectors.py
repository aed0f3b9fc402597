"""Reads of call labelling that other apps' screens show."""

from __future__ import annotations

from django.db.models import QuerySet

from kabinet.accounts.models import Client

from .models import CallLabelVersion


def signed_applications(client: Client) -> QuerySet[CallLabelVersion]:
    """The company's signed labelling applications (each kept with its PDF), newest first;
    the PDF itself is not read."""
    return (
        CallLabelVersion.objects.filter(client=client)
        .exclude(pdf=b"")
        .defer("pdf")
        .order_by("-consented_at", "-version")
    )
