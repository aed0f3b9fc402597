"""The QIWI/OSMP agent protocol ("протокол ОСМП"): payment terminals and agents of Russian
payment networks check an account and pass accepted payments to the provider.

``GET`` (or a form ``POST``) to ``/pay/osmp/``::

    ?command=check&txn_id=1234567&account=100001&sum=10.45
    ?command=pay&txn_id=1234567&txn_date=20261204103000&account=100001&sum=10.45

answered with ``text/xml; charset=utf-8``::

    <?xml version="1.0" encoding="UTF-8"?>
    <response>
      <osmp_txn_id>1234567</osmp_txn_id>
      <prv_txn>2016</prv_txn>          (pay only: our id of the payment)
      <sum>10.45</sum>                 (pay only)
      <result>0</result>
      <comment>OK</comment>
    </response>

Results: 0 OK; 1 temporary error, retry later; 4 wrong account format; 5 account not found;
7 payments to this account are prohibited; 241 sum too small; 242 sum too large; 300 any
other error. ``pay`` is idempotent on ``txn_id``: a repeat gets the first answer (same
``prv_txn``) and credits nothing more; the same ``txn_id`` with another account or sum is
300. Accepted payments are final. The protocol has no signatures: access is HTTPS (at the
proxy), HTTP Basic and an address allow-list, and requests are rate-limited per address.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy

from kabinet.accounts.models import Client
from kabinet.core.ratelimit import Limit, ratelimit_take
from kabinet.core.security import address_in, client_address, security_event
from kabinet.lib.prepared import prepared

from .. import agents

logger = logging.getLogger(__name__)

OK, TEMPORARY, BAD_ACCOUNT, NO_ACCOUNT, PROHIBITED, TOO_SMALL, TOO_LARGE, OTHER = (
    0,
    1,
    4,
    5,
    7,
    241,
    242,
    300,
)
COMMANDS = ("check", "pay")
FIELDS = ("command", "txn_id", "account", "sum", "txn_date")
_TXN_RE = re.compile(r"[0-9]{1,20}")
_ACCOUNT_RE = re.compile(r"[0-9]{1,20}")
_SUM_RE = re.compile(r"(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?")
_DATE_RE = re.compile(r"[0-9]{14}")
MAX_VALUE = 100


@dataclass(frozen=True)
class Answer:
    result: int
    comment: str
    txn_id: str = ""
    prv_txn: int | None = None
    sum: Decimal | None = None

    def xml(self) -> bytes:
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            "<response>",
            f"<osmp_txn_id>{escape(self.txn_id)}</osmp_txn_id>",
        ]
        if self.prv_txn is not None:
            parts.append(f"<prv_txn>{self.prv_txn}</prv_txn>")
        if self.sum is not None:
            parts.append(f"<sum>{self.sum:.2f}</sum>")
        parts += [f"<result>{self.result}</result>", f"<comment>{escape(self.comment)}</comment>"]
        parts.append("</response>")
        return "".join(parts).encode("utf-8")


@prepared
def _client(number: str) -> QuerySet[Client]:
    """The account's contract (compiled once: every check and pay asks)."""
    return Client.objects.filter(contract_number=number).order_by("pk")[:1]


def parse_sum(value: str) -> Decimal | None:
    """``10``, ``10.4``, ``10.45``: digits with a dot and at most two decimals."""
    if not _SUM_RE.fullmatch(value):
        return None
    return Decimal(value).quantize(Decimal("0.01"))


def _valid_date(value: str) -> bool:
    if not _DATE_RE.fullmatch(value):
        return False
    try:
        datetime.strptime(value, "%Y%m%d%H%M%S")
    except ValueError:
        return False
    return True


def process(params: dict[str, str]) -> Answer:
    """One protocol request (already authorised) to its answer. Never raises on bad input."""
    command = params.get("command", "")
    txn_id = params.get("txn_id", "")
    if not _TXN_RE.fullmatch(txn_id):
        return Answer(OTHER, "txn_id must be 1 to 20 digits")
    if command not in COMMANDS:
        return Answer(OTHER, "unknown command", txn_id=txn_id)
    account = params.get("account", "")
    if not _ACCOUNT_RE.fullmatch(account):
        return Answer(BAD_ACCOUNT, "wrong account format", txn_id=txn_id)
    amount = parse_sum(params.get("sum", ""))
    if amount is None:
        return Answer(OTHER, "sum must have a dot and at most two decimals", txn_id=txn_id)
    if command == "pay" and not _valid_date(params.get("txn_date", "")):
        return Answer(OTHER, "txn_date must be YYYYMMDDHHMMSS", txn_id=txn_id)
    found = _client.models(number=account)
    client = found[0] if found else None
    if client is None:
        return Answer(NO_ACCOUNT, "account not found", txn_id=txn_id)
    # A suspended contract can pay: that is how its service comes back.
    if client.is_closed:
        return Answer(PROHIBITED, "the contract is closed", txn_id=txn_id)
    if amount < settings.KABINET_PAYMENT_MIN:
        return Answer(TOO_SMALL, f"sum is less than {settings.KABINET_PAYMENT_MIN}", txn_id=txn_id)
    if amount > settings.KABINET_PAYMENT_MAX:
        return Answer(TOO_LARGE, f"sum is more than {settings.KABINET_PAYMENT_MAX}", txn_id=txn_id)
    if command == "check":
        return Answer(OK, "OK", txn_id=txn_id)
    try:
        accepted = agents.payment_accept_agent(
            provider=provider.code,
            txn_id=txn_id,
            client=client,
            amount=amount,
            txn_date=params["txn_date"],
        )
    except agents.AgentTxnConflict as exc:
        return Answer(OTHER, f"txn_id already used: {exc}", txn_id=txn_id)
    return Answer(
        OK,
        "OK (repeated)" if accepted.repeated else "OK",
        txn_id=txn_id,
        prv_txn=accepted.transaction.pk,
        sum=accepted.transaction.amount,
    )


def _credentials_ok(request: HttpRequest) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _space, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    username, _colon, password = decoded.partition(":")
    # Both compared whatever the first says: the time tells nothing.
    user_ok = constant_time_compare(username, settings.KABINET_OSMP_USERNAME)
    password_ok = constant_time_compare(password, settings.KABINET_OSMP_PASSWORD)
    return user_ok and password_ok


def _xml(answer: Answer, status: int = 200) -> HttpResponse:
    response = HttpResponse(answer.xml(), status=status, content_type="text/xml; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


class OsmpProvider:
    code = "osmp"
    label = gettext_lazy("QIWI/OSMP agents")

    def handle(self, request: HttpRequest, data: QueryDict) -> HttpResponse:
        if (
            "osmp" not in settings.KABINET_PAYMENT_PROVIDERS
            or not settings.KABINET_OSMP_USERNAME
            or not settings.KABINET_OSMP_PASSWORD
        ):
            raise Http404
        address = client_address(request)
        if settings.KABINET_OSMP_ALLOWED_IPS and not address_in(
            address, settings.KABINET_OSMP_ALLOWED_IPS
        ):
            security_event("osmp_address_refused", request)
            return HttpResponse("address not allowed", status=403, content_type="text/plain")
        if not _credentials_ok(request):
            security_event("osmp_credentials_refused", request)
            response = HttpResponse("unauthorized", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Basic realm="osmp", charset="UTF-8"'
            return response
        wait = ratelimit_take(
            Limit(
                key=f"osmp:address:{address}",
                max_count=settings.KABINET_OSMP_MAX_PER_ADDRESS,
                window_seconds=settings.KABINET_OSMP_WINDOW_SECONDS,
            )
        )
        # Echoed only when it is one: anything else could break the XML the agent parses.
        txn_id = data.get("txn_id", "")
        txn_id = txn_id if _TXN_RE.fullmatch(txn_id) else ""
        if wait:
            # The protocol's "temporary error": the agent retries the same txn_id later.
            security_event("osmp_throttled", request, retry_after=wait)
            response = _xml(Answer(TEMPORARY, f"too many requests, retry in {wait} s", txn_id))
            response["Retry-After"] = str(wait)
            return response
        params = {name: data.get(name, "")[:MAX_VALUE] for name in FIELDS}
        try:
            answer = process(params)
        except Exception:
            # Nothing was credited (the transaction rolled back): the agent retries.
            logger.exception("osmp request %s failed", params.get("txn_id"))
            answer = Answer(TEMPORARY, "internal error, retry later", txn_id)
        logger.info(
            "osmp %r txn_id=%r account=%r sum=%r result=%s",
            params["command"][:10],
            params["txn_id"][:20],
            params["account"][:20],
            params["sum"][:20],
            answer.result,
        )
        return _xml(answer)


provider = OsmpProvider()
