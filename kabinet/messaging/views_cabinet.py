"""The client's correspondence with the operator."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.accounts.models import User
from kabinet.accounts.views_cabinet import current_client
from kabinet.core.forms import add_service_errors
from kabinet.lib.uploads import private_file_response

from . import services
from .forms import MessageForm, ThreadForm
from .models import Message, MessageAttachment, Thread, ThreadRead
from .selectors import threads_seen_by


def thread_list(request: AuthedHttpRequest) -> HttpResponse:
    threads = (
        threads_seen_by(request.user, Thread.objects.filter(client=current_client(request)))
        .select_related("created_by")
        .order_by("-last_message_at", "-id")
    )
    page = Paginator(threads, 25).get_page(request.GET.get("page"))
    return render(request, "messaging/cabinet/thread_list.html", {"page": page})


@require_http_methods(["GET", "POST"])
def thread_new(request: AuthedHttpRequest) -> HttpResponse:
    form = ThreadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            thread = services.thread_start(
                author=request.user,
                client=current_client(request),
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your message is sent to your manager."))
            return redirect("cabinet:thread_detail", pk=thread.pk)
    return render(request, "messaging/cabinet/thread_new.html", {"form": form})


def message_stream(thread: Thread, user: User) -> list[Message]:
    """The thread's messages, those the user has not seen yet flagged ``is_new``."""
    read_before = (
        ThreadRead.objects.filter(thread=thread, user=user)
        .values_list("read_at", flat=True)
        .first()
    )
    stream = list(
        Message.objects.filter(thread=thread)
        .select_related("author")
        .prefetch_related(
            Prefetch("attachments", queryset=MessageAttachment.objects.order_by("id"))
        )
    )
    for message in stream:
        message.is_new = message.author_id != user.pk and (  # type: ignore[attr-defined]
            read_before is None or message.created_at > read_before
        )
    return stream


@require_http_methods(["GET", "POST"])
def thread_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    thread = get_object_or_404(
        Thread.objects.select_related("client__manager"), pk=pk, client=current_client(request)
    )
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_post(
                author=request.user,
                thread=thread,
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your message is sent."))
            return redirect("cabinet:thread_detail", pk=pk)
    stream = message_stream(thread, request.user)
    services.thread_mark_read(user=request.user, thread=thread)
    return render(
        request,
        "messaging/cabinet/thread_detail.html",
        {"thread": thread, "thread_messages": stream, "form": form},
    )


def attachment_download(request: AuthedHttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(
        MessageAttachment, pk=pk, message__thread__client=current_client(request)
    )
    return private_file_response(
        attachment.file, name=attachment.name, content_type=attachment.content_type
    )
