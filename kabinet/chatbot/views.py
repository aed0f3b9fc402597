"""The Telegram webhook (``setWebhook`` points here; manage.py telegram_webhook does it).

Only Telegram knows the secret token given to setWebhook and sends it in
``X-Telegram-Bot-Api-Secret-Token``: anything without it is refused and changes nothing.
Each update is acted on once (its ``update_id`` is kept); the answer to a command goes back
in the HTTP response as a ``sendMessage`` call.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from kabinet.core.security import security_event

from . import bot
from .models import ProcessedUpdate

MAX_BODY = 256 * 1024
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
def webhook(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        response = _text("Only POST.", 405)
        response["Allow"] = "POST"
        return response
    secret = settings.KABINET_TELEGRAM_WEBHOOK_SECRET
    if not secret:
        raise Http404
    if not constant_time_compare(request.headers.get(SECRET_HEADER, ""), secret):
        security_event("telegram_secret_refused", request)
        return _text("Wrong or missing secret token.", 403)
    try:
        too_big = int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY
    except ValueError:
        too_big = True
    if too_big:
        return _text("Too large.", 413)
    try:
        update = bot.parse(json.loads(request.body))
    except (ValueError, UnicodeDecodeError):  # NotAnUpdate is a ValueError too
        return _text("Not a Telegram update.", 400)
    with transaction.atomic():
        _row, new = ProcessedUpdate.objects.get_or_create(update_id=update.update_id)
        if not new:
            return _text("Already processed.", 200)
        reply = bot.answer(update)
    if reply is None:
        return _text("Nothing to answer.", 200)
    return JsonResponse(reply.as_webhook_answer(), json_dumps_params={"ensure_ascii": False})
