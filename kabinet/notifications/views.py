from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kabinet.accounts.forms import NotificationPreferencesForm, PhoneCodeForm, PhoneForm
from kabinet.accounts.http import AuthedHttpRequest
from kabinet.accounts.views import safe_next
from kabinet.core.ratelimit import Limit, RateLimited, ratelimit_enforce

from . import phones, services, telegram
from .models import MobilePhone, Notification, TelegramLink


def notification_list(request: AuthedHttpRequest) -> HttpResponse:
    qs = Notification.objects.filter(user=request.user)
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {"page": page, "only_unread": only_unread},
    )


@require_POST
def notification_read(request: AuthedHttpRequest) -> HttpResponse:
    raw_ids = request.POST.getlist("id")
    # ASCII digits that fit a database id: "²" or "١" pass str.isdigit() but not int(), and
    # 99999999999999999999999 overflows the column.
    ids = [int(i) for i in raw_ids if i.isascii() and i.isdigit() and len(i) <= 18]
    if request.POST.get("all") == "1":
        count = services.notification_mark_read(user=request.user)
    else:
        count = services.notification_mark_read(user=request.user, ids=ids)
    if count:
        messages.success(request, _("Marked as read."))
    return redirect(safe_next(request, "account:notifications"))


@require_POST
def notification_open(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Mark one notice read and follow its link."""
    notification = Notification.objects.filter(user=request.user, pk=pk).first()
    if notification is None:
        return render(request, "404.html", status=404)
    services.notification_mark_read(user=request.user, ids=[pk])
    target = (
        notification.url
        if notification.url.startswith("/") and not notification.url.startswith("//")
        else ""
    )
    return redirect(target or "account:notifications")


def _preferences_form(
    request: AuthedHttpRequest, phone: MobilePhone | None, link: TelegramLink | None
) -> NotificationPreferencesForm:
    user = request.user
    return NotificationPreferencesForm(
        request.POST if request.method == "POST" else None,
        sms_ready=bool(phone and phone.confirmed),
        telegram_ready=link is not None,
        telegram_offered=telegram.configured() or link is not None,
        initial={
            "email_categories": sorted(services.notification_email_categories(user=user)),
            "sms_categories": sorted(services.notification_sms_categories(user=user)),
            "telegram_categories": sorted(services.notification_telegram_categories(user=user)),
        },
    )


@require_http_methods(["GET", "POST"])
def notification_preferences(request: AuthedHttpRequest) -> HttpResponse:
    phone = MobilePhone.objects.filter(user=request.user).first()
    link = TelegramLink.objects.filter(user=request.user).first()
    form = _preferences_form(request, phone, link)
    if request.method == "POST" and form.is_valid():
        services.notification_set_preferences(
            user=request.user,
            email_categories=form.cleaned_data["email_categories"],
            sms_categories=form.cleaned_data["sms_categories"],
            telegram_categories=form.cleaned_data.get("telegram_categories") or (),
        )
        messages.success(request, _("Your notification settings are saved."))
        return redirect("account:notification_preferences")
    return _preferences_page(request, form=form, phone=phone, link=link)


def _preferences_page(
    request: AuthedHttpRequest,
    *,
    form: NotificationPreferencesForm | None = None,
    phone: MobilePhone | None = None,
    link: TelegramLink | None = None,
    phone_form: PhoneForm | None = None,
    code_form: PhoneCodeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    if phone is None:
        phone = MobilePhone.objects.filter(user=request.user).first()
    if link is None:
        link = TelegramLink.objects.filter(user=request.user).first()
    if form is None:
        form = _preferences_form(request, phone, link)
    deep_link = request.session.get(DEEP_LINK_KEY, "")
    if deep_link and not telegram.link_pending(deep_link):
        request.session.pop(DEEP_LINK_KEY, None)
        deep_link = ""
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "phone": phone,
            "phone_form": phone_form or PhoneForm(),
            "code_form": code_form or PhoneCodeForm(),
            "telegram_link": link,
            "telegram_configured": telegram.configured(),
            "telegram_bot": settings.KABINET_TELEGRAM_BOT_USERNAME,
            "deep_link": deep_link,
            "deep_link_qr": _qr_svg(deep_link) if deep_link else "",
        },
        status=status,
    )


def _qr_svg(uri: str) -> SafeString:
    import segno  # imported when a QR code is drawn, not at start-up

    # Inline SVG: no data: URL, nothing for the Content-Security-Policy to block.
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, border=3, dark="#000", light="#fff", title=_("QR code of the link")
    )
    return mark_safe(svg)


DEEP_LINK_KEY = "telegram_deep_link"


@require_POST
def telegram_link(request: AuthedHttpRequest) -> HttpResponse:
    """A fresh one-time deep link to the bot, shown with its QR code for a phone's camera."""
    if not telegram.configured():
        messages.error(request, _("Telegram notices are not set up by the operator."))
        return redirect("account:notification_preferences")
    try:
        ratelimit_enforce(
            request, "telegram_link", Limit(f"telegram-link:user:{request.user.pk}", 20, 3600)
        )
    except RateLimited as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("account:notification_preferences")
    # Kept in the session and shown by the GET page, so that reloading it after pressing
    # Start shows the linked account instead of posting the form again.
    request.session[DEEP_LINK_KEY] = telegram.link_start(user=request.user)
    return redirect("account:notification_preferences")


@require_POST
def telegram_unlink(request: AuthedHttpRequest) -> HttpResponse:
    if telegram.link_remove(user=request.user):
        messages.success(request, _("Telegram is unlinked; the bot will not write to you."))
    return redirect("account:notification_preferences")


@require_POST
def phone_start(request: AuthedHttpRequest) -> HttpResponse:
    form = PhoneForm(request.POST)
    if form.is_valid():
        try:
            phones.phone_start(user=request.user, raw=form.cleaned_data["number"])
        except ValidationError as exc:
            form.add_error("number", exc)
        else:
            messages.success(request, _("A code is on its way. Enter it below."))
            return redirect("account:notification_preferences")
    return _preferences_page(request, phone_form=form, status=400)


@require_POST
def phone_confirm(request: AuthedHttpRequest) -> HttpResponse:
    form = PhoneCodeForm(request.POST)
    if form.is_valid():
        try:
            phones.phone_confirm(user=request.user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            messages.success(request, _("Your mobile number is confirmed."))
            return redirect("account:notification_preferences")
    return _preferences_page(request, code_form=form, status=400)


@require_POST
def phone_remove(request: AuthedHttpRequest) -> HttpResponse:
    phones.phone_remove(user=request.user)
    messages.success(request, _("The mobile number is removed; no more SMS will be sent."))
    return redirect("account:notification_preferences")
