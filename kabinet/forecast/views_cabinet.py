"""The company's low-balance alert settings (its administrators change them)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.accounts.views_cabinet import current_client

from . import services
from .forms import AlertPolicyForm
from .models import AlertPolicy
from .selectors import client_forecast


@require_http_methods(["GET", "POST"])
def balance_alerts(request: AuthedHttpRequest) -> HttpResponse:
    client = current_client(request)
    is_admin = request.user.membership.is_admin
    policy = AlertPolicy.objects.filter(client=client).first() or AlertPolicy(client=client)
    form = AlertPolicyForm(request.POST or None, client=client, policy=policy)
    status = 200
    if request.method == "POST":
        if not is_admin:
            messages.error(request, _("Only the company's administrators change the alerts."))
            status = 403
        elif form.is_valid():
            services.policy_update(
                client=client,
                actor=request.user,
                data=form.cleaned_data,
                recipients=list(form.cleaned_data["recipients"]),
            )
            messages.success(request, _("The low-balance alert is saved."))
            return HttpResponseRedirect(reverse("cabinet:balance_alerts"))
        else:
            status = 400
    if not is_admin:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "forecast/cabinet/balance_alerts.html",
        {
            "client": client,
            "form": form,
            "policy": policy,
            "is_admin": is_admin,
            "forecast": client_forecast(client),
        },
        status=status,
    )
