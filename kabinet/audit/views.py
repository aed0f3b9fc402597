from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.accounts.models import Role, User
from kabinet.core.forms import FilterDateField

from .models import AuditEntry


class AuditFilterForm(forms.Form):
    actor = forms.ModelChoiceField(
        label=_("Who"), required=False, queryset=User.objects.none(), empty_label=_("Anyone")
    )
    action = forms.CharField(label=_("Action starts with"), required=False, max_length=64)
    obj = forms.CharField(label=_("Object contains"), required=False, max_length=100)
    date_from = FilterDateField(label=_("From"), required=False)
    date_to = FilterDateField(label=_("To"), required=False)

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            role__in=[Role.MANAGER, Role.ADMIN, Role.EDITOR]
        )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_filtered(form: AuditFilterForm) -> QuerySet[AuditEntry]:
    """The log with the form's valid filters applied."""
    qs = AuditEntry.objects.select_related("actor", "content_type")
    if form.is_valid():
        data = form.cleaned_data
        if data["actor"]:
            qs = qs.filter(actor=data["actor"])
        if data["action"]:
            qs = qs.filter(action__startswith=data["action"])
        if data["obj"]:
            qs = qs.filter(object_repr__icontains=data["obj"])
        # Ranges of local days, not at__date: a cast of the column could not use its index.
        if data["date_from"]:
            qs = qs.filter(at__gte=_day_start(data["date_from"]))
        if data["date_to"]:
            qs = qs.filter(at__lt=_day_start(data["date_to"] + timedelta(days=1)))
    return qs


def audit_log(request: AuthedHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    qs = audit_filtered(form)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "audit/log.html", {"form": form, "page": page, "query": query.urlencode()}
    )
