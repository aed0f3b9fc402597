"""The manager's side of correspondence, and notices to segments of clients."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.accounts.models import Client
from kabinet.core.forms import add_service_errors
from kabinet.lib import is_db_id
from kabinet.lib.uploads import private_file_response
from kabinet.notifications.models import EmailStatus, Notification

from . import services
from .forms import ManagerThreadForm, MessageForm, NoticeForm, ThreadFilterForm
from .models import MessageAttachment, Notice, Segment, Thread
from .selectors import threads_seen_by
from .views_cabinet import message_stream


def thread_list(request: AuthedHttpRequest) -> HttpResponse:
    form = ThreadFilterForm(request.GET or None)
    threads = threads_seen_by(request.user).select_related("client__manager", "created_by")
    if form.is_valid():
        data = form.cleaned_data
        if data["show"] == "unanswered":
            threads = threads.filter(awaiting_reply=True)
        elif data["show"] == "unread":
            threads = threads.filter(unread=True)  # type: ignore[misc]
        if data["client"]:
            threads = threads.filter(client__contract_number=data["client"].strip())
        if data["mine"]:
            threads = threads.filter(client__manager=request.user)
    # Unanswered first, then the latest.
    threads = threads.order_by("-awaiting_reply", "-last_message_at", "-id")
    page = Paginator(threads, 30).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "messaging/manager/thread_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@require_http_methods(["GET", "POST"])
def thread_new(request: AuthedHttpRequest) -> HttpResponse:
    initial = {}
    client_pk = request.GET.get("client", "")
    if is_db_id(client_pk):
        client = Client.objects.filter(pk=int(client_pk)).first()
        if client is not None:
            initial["contract"] = client.contract_number
    form = ManagerThreadForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            thread = services.thread_start(
                author=request.user,
                client=form.cleaned_data["contract"],
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The message is sent to the client."))
            return redirect("manager:thread_detail", pk=thread.pk)
    return render(request, "messaging/manager/thread_new.html", {"form": form})


@require_http_methods(["GET", "POST"])
def thread_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    thread = get_object_or_404(Thread.objects.select_related("client__manager"), pk=pk)
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_post(
                author=request.user,
                thread=thread,
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The answer is sent."))
            return redirect("manager:thread_detail", pk=pk)
    stream = message_stream(thread, request.user)
    services.thread_mark_read(user=request.user, thread=thread)
    return render(
        request,
        "messaging/manager/thread_detail.html",
        {"thread": thread, "thread_messages": stream, "form": form},
    )


def attachment_download(request: AuthedHttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(MessageAttachment, pk=pk)
    return private_file_response(
        attachment.file, name=attachment.name, content_type=attachment.content_type
    )


# --- Notices -----------------------------------------------------------------------------------


def _batch_counts(batches: list[str]) -> dict[str, dict[str, int]]:
    rows = (
        Notification.objects.filter(batch__in=batches)
        .values("batch")
        .annotate(
            received=Count("id"),
            read=Count("id", filter=Q(read_at__isnull=False)),
            emailed=Count("id", filter=Q(email_status=EmailStatus.SENT)),
        )
    )
    return {row["batch"]: row for row in rows}


def notice_list(request: AuthedHttpRequest) -> HttpResponse:
    page = Paginator(Notice.objects.select_related("created_by", "service", "tariff"), 25).get_page(
        request.GET.get("page")
    )
    counts = _batch_counts([n.batch for n in page.object_list])
    rows = [(n, counts.get(n.batch, {})) for n in page.object_list]
    return render(request, "messaging/manager/notice_list.html", {"page": page, "rows": rows})


@require_http_methods(["GET", "POST"])
def notice_new(request: AuthedHttpRequest) -> HttpResponse:
    form = NoticeForm(request.POST or None)
    reach = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        segment = {
            "segment": data["segment"],
            "service": data["service"],
            "tariff": data["tariff"],
            "client_status": data["client_status"],
        }
        if request.POST.get("step") == "send":
            try:
                notice = services.notice_send(
                    actor=request.user,
                    title=data["title"],
                    body=data["body"],
                    request=request,
                    **segment,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("The notice is sent to %(n)s users.") % {"n": notice.recipients_count},
                )
                return redirect("manager:notice_detail", pk=notice.pk)
        else:
            clients = services.segment_clients(**segment)
            reach = {
                "clients": clients.count(),
                "users": services.segment_users(clients).count(),
            }
    return render(
        request,
        "messaging/manager/notice_new.html",
        {"form": form, "reach": reach, "segments": Segment},
    )


def notice_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(
        Notice.objects.select_related("created_by", "service", "tariff"), pk=pk
    )
    counts = _batch_counts([notice.batch]).get(notice.batch, {})
    return render(
        request, "messaging/manager/notice_detail.html", {"notice": notice, "counts": counts}
    )
