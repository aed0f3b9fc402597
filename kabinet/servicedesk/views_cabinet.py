from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.accounts.views_cabinet import current_client
from kabinet.lib.uploads import private_file_response

from . import services
from .forms import OtherRequestForm
from .models import EventAction, RequestAttachment, RequestKind, ServiceRequest


def _requests(request: AuthedHttpRequest):  # type: ignore[no-untyped-def]
    return ServiceRequest.objects.filter(client=current_client(request)).select_related(
        "service", "tariff", "subscription__service", "created_by"
    )


def request_list(request: AuthedHttpRequest) -> HttpResponse:
    page = Paginator(_requests(request), 25).get_page(request.GET.get("page"))
    return render(request, "servicedesk/cabinet/request_list.html", {"page": page})


def request_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    service_request = get_object_or_404(_requests(request), pk=pk)
    return render(
        request,
        "servicedesk/cabinet/request_detail.html",
        {
            "req": service_request,
            # The client's history is the status steps; assignments are the operator's business.
            "events": service_request.events.filter(action=EventAction.STATUS).select_related(
                "actor"
            ),
            "attachments": service_request.attachments.all(),
        },
    )


def request_attachment(request: AuthedHttpRequest, pk: int, file_pk: int) -> FileResponse:
    attachment = get_object_or_404(
        RequestAttachment, pk=file_pk, request_id=pk, request__client=current_client(request)
    )
    return private_file_response(
        attachment.file, name=attachment.name, content_type=attachment.content_type
    )


@require_POST
def request_withdraw(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    service_request = get_object_or_404(_requests(request), pk=pk)
    try:
        services.request_withdraw(user=request.user, service_request=service_request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The request is withdrawn."))
    return redirect("cabinet:request_detail", pk=pk)


@require_http_methods(["GET", "POST"])
def request_new(request: AuthedHttpRequest) -> HttpResponse:
    form = OtherRequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            service_request = services.request_create(
                user=request.user,
                client=current_client(request),
                kind=RequestKind.OTHER,
                subject=form.cleaned_data["subject"],
                text=form.cleaned_data["text"],
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Request #%(id)s is filed.") % {"id": service_request.pk})
            return redirect("cabinet:request_detail", pk=service_request.pk)
    return render(request, "servicedesk/cabinet/request_new.html", {"form": form})
