"""YooKassa's Python SDK as the YooKassa provider (``providers.yookassa``) calls it.

The SDK sends its requests without a timeout; ``_TimedClient`` gives it one, and the SDK's
``Configuration`` takes the API address from ``KABINET_YOOKASSA_API_URL`` (a stand-in or a
proxy works the same as the real API).

The SDK is some 300 modules: the provider imports this module only when it talks to
YooKassa, not to offer its methods, build a call or read a notification.
"""

from __future__ import annotations

import threading

import yookassa.payment
import yookassa.refund
from django.conf import settings
from yookassa import Configuration
from yookassa import Payment as YPayment
from yookassa import Refund as YRefund
from yookassa.client import ApiClient
from yookassa.domain.exceptions import (
    ApiError,
    BadRequestError,
    ForbiddenError,
    GoneError,
    NotFoundError,
    UnauthorizedError,
)

__all__ = ["REFUSALS", "ApiError", "YPayment", "YRefund", "configure"]

REFUSALS = (BadRequestError, ForbiddenError, NotFoundError, UnauthorizedError, GoneError)


class _TimedClient(ApiClient):
    """The SDK's client with a timeout on every request (the SDK sets none)."""

    def execute(self, body, method, path, query_params, request_headers):  # type: ignore[no-untyped-def]
        session = self.get_session()
        self.log_request(body, method, path, query_params, request_headers)
        try:
            return session.request(
                method,
                self.endpoint + path,
                params=query_params,
                headers=request_headers,
                json=body,
                verify=self.configuration.verify,
                timeout=settings.KABINET_GATEWAY_TIMEOUT,
            )
        finally:
            session.close()


# The SDK's Payment and Refund build their client from these module names.
yookassa.payment.ApiClient = _TimedClient  # type: ignore[misc]
yookassa.refund.ApiClient = _TimedClient  # type: ignore[misc]
# Configuration is global in the SDK: set it under a lock, from settings, before each call.
_configure_lock = threading.Lock()


def configure() -> None:
    with _configure_lock:
        Configuration.configure(
            settings.KABINET_YOOKASSA_SHOP_ID,
            settings.KABINET_YOOKASSA_SECRET_KEY,
            api_url=settings.KABINET_YOOKASSA_API_URL.rstrip("/"),
        )
        Configuration.max_attempts = 1
