"""The public side of payments: the pay page, the payer's status page, and the two
gateway endpoints (card notifications and the terminal protocol)."""

from __future__ import annotations

import json
import logging
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from kabinet.core.ratelimit import Limit, ratelimit_take, too_many_requests, wait_message
from kabinet.core.security import address_in, client_address, security_event

from . import services, wire
from .forms import PayForm, find_payable_client
from .gateway import GatewayUnavailable, message_record
from .models import Direction, MessageKind, Payment, SignatureCheck
from .providers import get_provider, terminal
from .providers.yookassa import read_notification as yookassa_read_notification
from .state import atomic_retrying

logger = logging.getLogger(__name__)

# Gateway messages are small; anything bigger is refused before it is read.
MAX_GATEWAY_BODY = 64 * 1024
# A gateway request's fields for its stored message (GatewayMessage).
Incoming = dict[str, Any]
PAY_FIELDS = ("contract", "amount", "email")


def _pay_limit(request: HttpRequest) -> Limit:
    """Everything on /pay/ that tells whether a contract exists or starts a card payment."""
    return Limit(
        key=f"pay:address:{client_address(request)}",
        max_count=settings.KABINET_PAY_MAX_PER_ADDRESS,
        window_seconds=settings.KABINET_PAY_WINDOW_SECONDS,
    )


def _pay_wait(request: HttpRequest, what: str) -> int:
    """0 when the payer may go on (counted), else seconds to wait (and a log line)."""
    wait = ratelimit_take(_pay_limit(request))
    if wait:
        security_event("pay_throttled", request, what=what, retry_after=wait)
    return wait


# --- the pay page --------------------------------------------------------------------------


def _recipient(contract: str) -> dict[str, Any]:
    """What the payer sees before paying: the masked name, or why the contract can't pay."""
    contract = (contract or "").strip()
    if not contract:
        return {}
    try:
        client = find_payable_client(contract)
    except ValidationError as exc:
        return {"error": exc.messages[0]}
    return {"client": client}


@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest) -> HttpResponse:
    gateway_down = False
    wait = 0
    recipient: dict[str, Any] = {}
    if request.method == "POST":
        wait = _pay_wait(request, "start")
        if wait:
            # Not even validated: the field errors would tell whether the contract exists.
            form = PayForm(initial={k: request.POST.get(k, "")[:100] for k in PAY_FIELDS})
        else:
            form = PayForm(request.POST)
            if form.is_valid():
                try:
                    payment = services.payment_start_card(
                        client=form.client,
                        amount=form.cleaned_data["amount"],
                        email=form.cleaned_data["email"],
                        actor=request.user if request.user.is_authenticated else None,  # type: ignore[arg-type]
                        method=form.cleaned_data["method"],
                    )
                except GatewayUnavailable:
                    gateway_down = True
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    return HttpResponseRedirect(services.payer_next_url(payment))
            recipient = _recipient(request.POST.get("contract", ""))
    else:
        initial = {k: request.GET.get(k, "")[:100] for k in PAY_FIELDS}
        form = PayForm(initial=initial)
        if initial["contract"].strip():
            wait = _pay_wait(request, "lookup")
            if not wait:
                recipient = _recipient(initial["contract"])
    response = render(
        request,
        "payments/site/pay.html",
        {
            "form": form,
            "recipient": recipient,
            "gateway_down": gateway_down,
            "throttled": wait_message(wait) if wait else "",
            "min": settings.KABINET_PAYMENT_MIN,
            "max": settings.KABINET_PAYMENT_MAX,
            "moneyback_hours": settings.KABINET_MONEYBACK_HOURS,
        },
        status=503 if gateway_down else 200,
    )
    return too_many_requests(response, wait) if wait else response


@require_GET
def pay_recipient(request: HttpRequest) -> HttpResponse:
    """The recipient box, refreshed by htmx as the payer types the contract number.

    A refused look-up is still answered 200 with the message in the box: htmx does not
    swap in 4xx answers, and a person is reading it. ``Retry-After`` says how long.
    """
    contract = request.GET.get("contract", "")[:100]
    wait = _pay_wait(request, "lookup") if contract.strip() else 0
    recipient = {"error": wait_message(wait)} if wait else _recipient(contract)
    response = render(request, "payments/site/_recipient.html", {"recipient": recipient})
    if wait:
        response["Retry-After"] = str(wait)
    return response


@never_cache
@require_GET
def pay_status(request: HttpRequest, pk: Any) -> HttpResponse:
    payment = get_object_or_404(Payment.objects.select_related("client"), pk=pk)
    payment = services.payment_refresh_for_payer(payment=payment)
    template = (
        "payments/site/_status.html"
        if request.headers.get("HX-Request")
        else "payments/site/pay_status.html"
    )
    sbp_qr = None
    if payment.method == "sbp" and payment.status == "pending" and payment.payment_url:
        import segno  # imported when a QR code is drawn, not at start-up

        # Inline SVG (no data: URL for the Content-Security-Policy to block).
        sbp_qr = mark_safe(
            segno.make(payment.payment_url, error="m").svg_inline(
                scale=4, border=3, dark="#000", light="#fff", title=_("QR code for your bank's app")
            )
        )
    return render(request, template, {"payment": payment, "sbp_qr": sbp_qr})


# --- gateway endpoints ---------------------------------------------------------------------


def _too_big(request: HttpRequest) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > MAX_GATEWAY_BODY
    except ValueError:
        return True


def _address_or_none(request: HttpRequest) -> str | None:
    address = client_address(request)
    return None if address == "unknown" else address


def _verify(request: HttpRequest, kind: str, body: bytes) -> tuple[wire.Verification, Incoming]:
    """Verify a gateway request before anything else is read from it; the fields that store
    it (with its answer, by ``_answer``) either way."""
    target = wire.request_target(request)
    headers = wire.request_headers(request)
    check = wire.verify_request(headers, request.method or "", target, body)
    incoming: Incoming = {
        "direction": Direction.IN,
        "kind": kind,
        "method": request.method or "",
        "target": target[:2000],
        "headers": headers,
        "body": body,
        "signature_check": check.check,
        "key_id": check.key_id[:64],
        "outcome": "" if check.ok else "rejected",
        "note": check.detail,
        "remote_addr": _address_or_none(request),
    }
    if not check.ok:
        security_event("gateway_signature_failed", request, check=check.check, endpoint=kind)
    return check, incoming


def _answer(
    request: HttpRequest,
    *,
    kind: str,
    incoming: Incoming | None,
    status: int,
    body: bytes,
    content_type: str,
    payment: Payment | None = None,
) -> HttpResponse:
    """A signed answer tied to the request's signature. The request (``incoming``) and the
    answer are stored together, two INSERTs in the caller's transaction: the one of the
    money they tell of, or, when that failed or there is none, each durable at once."""
    response = HttpResponse(body, status=status, content_type=content_type)
    request_signature = wire.header(request.headers, wire.HEADER_SIGNATURE)
    signed = {}
    if request_signature:
        signed = wire.sign_response(request_signature, body)
        for name, value in signed.items():
            response[name] = value
    response["Cache-Control"] = "no-store"
    if incoming is None:
        return response
    message = message_record(**incoming)
    message_record(
        direction=Direction.OUT,
        kind=kind,
        status_code=status,
        headers={"Content-Type": content_type, **signed},
        body=body,
        signature_check=SignatureCheck.SIGNED,
        key_id=signed.get(wire.HEADER_KEY, ""),
        payment=payment,
        reply_to=message,
    )
    return response


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _notify_limit(request: HttpRequest, network: str = "notify") -> Limit:
    # The same allowance as the terminal protocol: per address, so a flood from elsewhere
    # cannot crowd out the gateway.
    return Limit(
        key=f"{network}:address:{client_address(request)}",
        max_count=settings.KABINET_TERMINAL_MAX_PER_ADDRESS,
        window_seconds=settings.KABINET_TERMINAL_WINDOW_SECONDS,
    )


@csrf_exempt
def pay_notify(request: HttpRequest) -> HttpResponse:
    """The card protocol's notify_url: the gateway's signed events."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if _too_big(request):
        return HttpResponse(status=413)
    wait = ratelimit_take(_notify_limit(request))
    if wait:
        # The gateway retries every notification until it gets 200: nothing is lost. Not
        # read, verified or stored (that work is what the limit saves); the log has the line.
        security_event("notify_throttled", request, retry_after=wait)
        response = HttpResponse(
            _json({"error": "retry", "message": f"too many requests, retry after {wait} s"}),
            status=429,
            content_type="application/json; charset=utf-8",
        )
        return too_many_requests(response, wait)
    body = request.body
    check, incoming = _verify(request, MessageKind.NOTIFY, body)
    json_type = "application/json; charset=utf-8"
    if not check.ok:
        data: dict[str, Any] = {
            "error": "signature_invalid",
            "check": check.check,
            "message": f"signature check failed: {check.check} ({check.detail})",
        }
        return _answer(
            request,
            kind=MessageKind.NOTIFY_RESPONSE,
            incoming=incoming,
            status=403,
            body=_json(data),
            content_type=json_type,
        )

    def apply() -> HttpResponse:
        # The event, its effects and both messages in one transaction: answered 200 only
        # once all of it is durable.
        result = services.payment_receive_event(body=body)
        return _answer(
            request,
            kind=MessageKind.NOTIFY_RESPONSE,
            incoming={**incoming, **result.message_fields()},
            status=result.status,
            body=_json(result.body),
            content_type=json_type,
            payment=result.payment,
        )

    try:
        return atomic_retrying(apply)
    except Exception:
        # The event is not recorded: the gateway retries until we answer 200.
        logger.exception("a notification could not be applied")
        data = {"error": "retry", "message": "internal error, retry later"}
        return _answer(
            request,
            kind=MessageKind.NOTIFY_RESPONSE,
            incoming={**incoming, **services.event_reference(body), "note": data["message"]},
            status=503,
            body=_json(data),
            content_type=json_type,
        )


TERMINAL_FIELDS = ("action", "number", "amount", "receipt", "date")


def _terminal_xml(answer: terminal.TerminalAnswer) -> bytes:
    return (
        f"<response><code>{answer.code}</code><authcode>{escape(answer.authcode)}</authcode>"
        f"<date>{escape(answer.date)}</date><message>{escape(answer.message)}</message>"
        "</response>"
    ).encode()


def _terminal_limit(request: HttpRequest) -> Limit:
    # The protocol names no terminal or agent (every request comes from the gateway with
    # its key), so the limit is per address: a flood from elsewhere cannot block the gateway.
    return Limit(
        key=f"terminal:address:{client_address(request)}",
        max_count=settings.KABINET_TERMINAL_MAX_PER_ADDRESS,
        window_seconds=settings.KABINET_TERMINAL_WINDOW_SECONDS,
    )


def _terminal_throttled(request: HttpRequest, wait: int) -> HttpResponse:
    """HTTP 429 with Retry-After, and still the protocol's signed XML: code 10, the spec's
    "retry later". Nothing is read, verified or stored for a refused request (that work is
    what the limit saves); the security log has the line."""
    security_event("terminal_throttled", request, retry_after=wait)
    answer = terminal.TerminalAnswer(
        terminal.Code.INTERNAL,
        f"too many requests, retry after {wait} s",
        date=terminal.terminal_time(timezone.now()),
    )
    response = _answer(
        request,
        kind=MessageKind.TERMINAL_RESPONSE,
        incoming=None,
        status=429,
        body=_terminal_xml(answer),
        content_type="text/xml; charset=utf-8",
    )
    return too_many_requests(response, wait)


@csrf_exempt
def pay_terminal(request: HttpRequest) -> HttpResponse:
    """The terminal protocol: signed GET or form-encoded POST, signed XML answers."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if _too_big(request):
        return HttpResponse(status=413)
    wait = ratelimit_take(_terminal_limit(request))
    if wait:
        return _terminal_throttled(request, wait)
    body = request.body if request.method == "POST" else b""
    check, incoming = _verify(request, MessageKind.TERMINAL, body)
    xml_type = "text/xml; charset=utf-8"
    if not check.ok:
        answer = terminal.TerminalAnswer(
            terminal.Code.BAD_SIGNATURE,
            f"signature check failed: {check.check}",
            date=terminal.terminal_time(timezone.now()),
        )
        return _answer(
            request,
            kind=MessageKind.TERMINAL_RESPONSE,
            incoming=incoming,
            status=403,
            body=_terminal_xml(answer),
            content_type=xml_type,
        )
    data = request.GET if request.method == "GET" else request.POST
    params = {name: data.get(name, "")[:100] for name in TERMINAL_FIELDS}
    incoming.update(reference=params["receipt"][:100], event_type=params["action"][:40])

    def handle() -> HttpResponse:
        # The payment, its credit and both messages in one transaction.
        answer = terminal.terminal_handle(params=params)
        return _answer(
            request,
            kind=MessageKind.TERMINAL_RESPONSE,
            incoming={**incoming, "payment": answer.payment, "outcome": f"code {answer.code}"},
            status=200,
            body=_terminal_xml(answer),
            content_type=xml_type,
            payment=answer.payment,
        )

    try:
        return atomic_retrying(handle)
    except Exception:
        logger.exception("terminal request (receipt %r) failed", params["receipt"])
        answer = terminal.TerminalAnswer(
            terminal.Code.INTERNAL,
            "internal error, retry later",
            date=terminal.terminal_time(timezone.now()),
        )
        return _answer(
            request,
            kind=MessageKind.TERMINAL_RESPONSE,
            incoming={**incoming, "outcome": f"code {answer.code}"},
            status=200,
            body=_terminal_xml(answer),
            content_type=xml_type,
        )


@csrf_exempt
def pay_osmp(request: HttpRequest) -> HttpResponse:
    """The QIWI/OSMP agent protocol (providers/osmp.py): check and pay, XML answers."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if _too_big(request):
        return HttpResponse(status=413)
    data = request.GET if request.method == "GET" else request.POST
    return get_provider("osmp").handle(request, data)


@csrf_exempt
def pay_yookassa_notify(request: HttpRequest) -> HttpResponse:
    """YooKassa's HTTP notifications (providers/yookassa.py): unsigned, so only the event and
    the object's id are read; the payment is read back from YooKassa's API."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if "yookassa" not in settings.KABINET_PAYMENT_PROVIDERS:
        raise Http404
    if _too_big(request):
        return HttpResponse(status=413)
    allowed = settings.KABINET_YOOKASSA_ALLOWED_IPS
    if allowed and not address_in(client_address(request), allowed):
        security_event("yookassa_address_refused", request)
        return HttpResponse(status=403)
    wait = ratelimit_take(_notify_limit(request, "yookassa"))
    if wait:
        security_event("notify_throttled", request, retry_after=wait)
        return too_many_requests(HttpResponse(status=429), wait)
    return _yookassa_notification(request)


def _yookassa_notification(request: HttpRequest) -> HttpResponse:
    body = request.body
    address = client_address(request)
    incoming: Incoming = {
        "direction": Direction.IN,
        "kind": MessageKind.PROVIDER_NOTIFY,
        "method": "POST",
        "target": request.get_full_path()[:2000],
        "headers": {"Content-Type": request.headers.get("Content-Type", "")[:200]},
        "body": body,
        "signature_check": SignatureCheck.UNSIGNED,
        "remote_addr": None if address == "unknown" else address,
    }

    def done(status: int, outcome: str, note: str = "", payment: Any = None) -> HttpResponse:
        # Stored once, when its outcome is known (one INSERT, durable at once).
        message_record(**incoming, outcome=outcome, note=note[:1000], payment=payment)
        return HttpResponse(status=status)

    try:
        notice = yookassa_read_notification(body)
    except ValueError as exc:
        return done(400, "invalid", str(exc))
    incoming.update(event_type=notice.event, reference=notice.gateway_payment_id[:100])
    if not notice.used:
        return done(200, "ignored", f"event {notice.event!r} is not used")
    try:
        payment = Payment.objects.filter(
            provider="yookassa", gateway_payment_id=notice.gateway_payment_id
        ).first()
        if payment is None:
            return done(200, "unknown_payment", "no payment of ours has this id")
        before = payment.status
        try:
            # The time of asking is stored with what the answer changes (one write less).
            payment = services.payment_sync(payment=payment, mark_first=False)
        except GatewayUnavailable as exc:
            # Not applied: YooKassa repeats a notification that did not get 200.
            return done(503, "retry", f"YooKassa's API did not answer: {exc}", payment)
    except Exception:
        message_record(**incoming)
        raise
    outcome = "applied" if payment.status != before else "ignored"
    return done(200, outcome, f"{before} → {payment.status} (read back from the API)", payment)
