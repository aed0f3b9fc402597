"""The money endpoints: terminal payments, card notifications, OSMP agents and YooKassa
notifications, replayed with repeats; the ledger is checked for double credits after."""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import re
import sys
import time
import urllib.parse
import urllib.request
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from .harness import (
    OSMP_PASSWORD,
    OSMP_USER,
    ROOT,
    SITE_PORT,
    TMP,
    YOOKASSA_PORT,
    PeerKey,
    Row,
    log,
    wrk,
)

# Issue #17's aim for every signed endpoint: a ratio to the bare view in the same run.
SIGNED_AIM = 0.05

# --- the signed endpoints -----------------------------------------------------------------


def raw_request(method: str, target: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{SITE_PORT}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def write_replay(path: Path, requests: list[bytes]) -> None:
    with path.open("wb") as out:
        for item in requests:
            assert b"\0" not in item
            out.write(item + b"\0\n")


def terminal_requests(contracts: list[str], count: int, run: str) -> list[bytes]:
    """Distinct `payment` requests, every tenth followed later by a repeat of itself."""
    gateway = PeerKey("gateway")
    now = dt.datetime.now().strftime("%Y-%m-%dT%H:%M:%S")
    unique = []
    for i in range(count):
        body = urllib.parse.urlencode(
            {
                "action": "payment",
                "number": contracts[i % len(contracts)],
                "amount": f"{100 + i % 900}.00",
                "receipt": f"{run}{i:08d}",
                "date": now,
            }
        ).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        headers.update(gateway.headers("POST", "/pay/terminal/", body))
        unique.append(raw_request("POST", "/pay/terminal/", body, headers))
    out = []
    for i, item in enumerate(unique):
        out.append(item)
        if i % 10 == 9:
            out.append(unique[i - 5])
    return out


def osmp_requests(contracts: list[str], count: int, run: str) -> list[bytes]:
    """Distinct OSMP `pay` requests (GET, HTTP Basic), every tenth repeated later."""
    auth = base64.b64encode(f"{OSMP_USER}:{OSMP_PASSWORD}".encode()).decode()
    stamp = dt.datetime.now().strftime("%Y%m%d%H%M%S")
    unique = []
    for i in range(count):
        query = urllib.parse.urlencode(
            {
                "command": "pay",
                "txn_id": f"{run}{i:08d}",
                "txn_date": stamp,
                "account": contracts[i % len(contracts)],
                "sum": f"{100 + i % 900}.00",
            }
        )
        unique.append(
            raw_request("GET", f"/pay/osmp/?{query}", b"", {"Authorization": f"Basic {auth}"})
        )
    out = []
    for i, item in enumerate(unique):
        out.append(item)
        if i % 10 == 9:
            out.append(unique[i - 5])
    return out


def yookassa_standin() -> Any:
    """The stand-in of YooKassa's API v3 that the site re-reads notified payments from."""
    sys.path.insert(0, str(ROOT))
    from kabinet.payments.tests.yookassa_standin import YooKassaStandIn

    return YooKassaStandIn("bench", "bench-secret", port=YOOKASSA_PORT).start()


def yookassa_payments(standin: Any, count: int) -> list[str]:
    """YooKassa card payments held here and paid (succeeded) at the stand-in: each
    `payment.succeeded` notification makes the site read it back and credit it once."""
    from django.utils import timezone

    from kabinet.accounts.models import Client, ClientStatus
    from kabinet.payments.models import Channel, Payment, PaymentStatus

    clients = list(Client.objects.filter(status=ClientStatus.ACTIVE).order_by("-id")[:2000])
    now = timezone.now()
    rows = []
    for i in range(count):
        payment = Payment(
            client=clients[i % len(clients)],
            channel=Channel.CARD,
            provider="yookassa",
            method="card",
            status=PaymentStatus.PENDING,
            amount=Decimal(f"{200 + i % 800}.00"),
            gateway_payment_id=str(uuid.uuid4()),
            created_at=now,
        )
        rows.append(payment)
        standin.add_paid(payment.gateway_payment_id, str(payment.id), f"{payment.amount:.2f}")
    Payment.objects.bulk_create(rows, batch_size=2000)
    return [p.gateway_payment_id for p in rows]


def yookassa_notifications(gateway_ids: list[str]) -> list[bytes]:
    """`payment.succeeded` notifications, each sent twice (YooKassa repeats them)."""
    unique = []
    for gateway_id in gateway_ids:
        body = json.dumps(
            {"type": "notification", "event": "payment.succeeded", "object": {"id": gateway_id}}
        ).encode()
        unique.append(
            raw_request("POST", "/pay/yookassa/notify/", body, {"Content-Type": "application/json"})
        )
    out = []
    for i, item in enumerate(unique):
        out.append(item)
        if i >= 20:
            out.append(unique[i - 20])
    return out


def notification_requests(payments: list[tuple[str, str, str]]) -> list[bytes]:
    """`payment.captured` events for pending card payments, each event sent twice."""
    gateway = PeerKey("gateway")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    capture_before = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    unique = []
    for order_id, gateway_id, amount in payments:
        body = json.dumps(
            {
                "event_id": str(uuid.uuid4()),
                "type": "payment.captured",
                "payment": {
                    "payment_id": gateway_id,
                    "order_id": order_id,
                    "status": "captured",
                    "amount": amount,
                    "captured_amount": amount,
                    "refunded_amount": "0.00",
                    "currency": "RUB",
                    "capture_before": capture_before,
                    "updated_at": stamp,
                },
                "occurred_at": stamp,
            }
        ).encode()
        headers = {"Content-Type": "application/json"}
        headers.update(gateway.headers("POST", "/pay/notify/", body))
        unique.append(raw_request("POST", "/pay/notify/", body, headers))
    out = []
    for i, item in enumerate(unique):
        out.append(item)
        if i >= 20:
            out.append(unique[i - 20])
    return out


def replay(
    name: str,
    requests: list[bytes],
    *,
    aim: float,
    baseline: float,
    args: argparse.Namespace,
    path: str,
) -> dict[str, Any]:
    file = TMP / f"{name}.replay"
    write_replay(file, requests)
    result = wrk(
        f"http://127.0.0.1:{SITE_PORT}{path}",
        duration=args.duration,
        connections=args.connections,
        script=[str(ROOT / "bench" / "replay.lua"), str(file), "2"],
    )
    time.sleep(3)  # requests still in flight when wrk stopped finish before the ledger is read
    non200 = int(re.search(r"replay-non200: (\d+)", result["raw"]).group(1))  # type: ignore[union-attr]
    result["non_200"] = non200
    result["prepared"] = len(requests)
    return result


def bench_contracts() -> list[str]:
    from kabinet.accounts.models import Client, ClientStatus

    return list(
        Client.objects.filter(status=ClientStatus.ACTIVE)
        .order_by("-id")
        .values_list("contract_number", flat=True)[:2000]
    )


def pending_card_payments(count: int) -> list[tuple[str, str, str]]:
    """Card payments waiting at the gateway, as the pay page leaves them."""
    from django.utils import timezone

    from kabinet.accounts.models import Client, ClientStatus
    from kabinet.payments.models import Channel, Payment, PaymentStatus

    clients = list(Client.objects.filter(status=ClientStatus.ACTIVE).order_by("-id")[:2000])
    now = timezone.now()
    rows = []
    for i in range(count):
        rows.append(
            Payment(
                client=clients[i % len(clients)],
                channel=Channel.CARD,
                status=PaymentStatus.PENDING,
                amount=Decimal(f"{200 + i % 800}.00"),
                gateway_payment_id=f"bench-{uuid.uuid4().hex}",
                created_at=now,
            )
        )
    Payment.objects.bulk_create(rows, batch_size=2000)
    return [(str(p.id), p.gateway_payment_id, f"{p.amount:.2f}") for p in rows]


def _credit_note(credits: dict[str, int], result: dict[str, Any]) -> str:
    return (
        f"{result['requests']} requests (repeats mixed in), {credits['credited']} credited, "
        f"{credits['double_credits']} double credits"
    )


def _credit_row(name: str, result: dict[str, Any], baseline: float, credits: dict[str, int]) -> Row:
    return Row(
        name,
        round(result["rps"], 1),
        round(result["p99_ms"], 1) if result["p99_ms"] else None,
        round(result["rps"] / baseline, 3),
        SIGNED_AIM,
        {
            "requests": result["requests"],
            "errors": result["non_200"],
            **credits,
            "note": _credit_note(credits, result),
        },
    )


def double_credits(payment_filter: dict[str, Any]) -> dict[str, int]:
    from django.db.models import Count

    from kabinet.payments.models import LedgerEntry, Payment

    payments = Payment.objects.filter(**payment_filter)
    credited = (
        LedgerEntry.objects.filter(payment__in=payments, amount__gt=0)
        .values("payment_id")
        .annotate(n=Count("id"))
    )
    doubles = sum(1 for row in credited if row["n"] > 1)
    return {"payments": payments.count(), "credited": len(credited), "double_credits": doubles}


def signed_rows(baseline: float, args: argparse.Namespace) -> list[Row]:
    """The signed endpoints: pre-signed requests with repeats, then a double-credit check."""
    rows: list[Row] = []
    # Terminal payments: each distinct receipt credits once; repeats must not.
    run = str(int(time.time()))[-8:]
    estimate = int(baseline * 0.5 * args.duration) + 2000
    contracts = bench_contracts()
    log(f"terminal: signing {estimate} payment requests")
    requests = terminal_requests(contracts, estimate, run)
    result = replay(
        "terminal", requests, aim=SIGNED_AIM, baseline=baseline, args=args, path="/pay/terminal/"
    )
    credits = double_credits({"receipt__startswith": run})
    rows.append(_credit_row("terminal `payment`", result, baseline, credits))
    log(f"terminal: {result['rps']:.0f} rps, {credits}")

    log(f"card notifications: preparing {estimate // 2} pending card payments")
    pending = pending_card_payments(estimate // 2)
    requests = notification_requests(pending)
    result = replay(
        "notify", requests, aim=SIGNED_AIM, baseline=baseline, args=args, path="/pay/notify/"
    )
    credits = double_credits({"gateway_payment_id__in": [p[1] for p in pending]})
    rows.append(_credit_row("card notifications", result, baseline, credits))
    log(f"notifications: {result['rps']:.0f} rps, {credits}")

    # OSMP agents: each distinct txn_id credits once; repeats answer the first answer.
    log(f"osmp: preparing {estimate} pay requests")
    requests = osmp_requests(contracts, estimate, run)
    result = replay(
        "osmp", requests, aim=SIGNED_AIM, baseline=baseline, args=args, path="/pay/osmp/"
    )
    credits = double_credits({"receipt__startswith": f"osmp:{run}"})
    rows.append(_credit_row("OSMP agent `pay`", result, baseline, credits))
    log(f"osmp: {result['rps']:.0f} rps, {credits}")

    # YooKassa notifications: each one makes the site read the payment back from the
    # API (the stand-in) and apply it once.
    log(f"yookassa notifications: preparing {estimate // 2} payments")
    standin = yookassa_standin()
    try:
        gateway_ids = yookassa_payments(standin, estimate // 2)
        requests = yookassa_notifications(gateway_ids)
        result = replay(
            "yookassa",
            requests,
            aim=SIGNED_AIM,
            baseline=baseline,
            args=args,
            path="/pay/yookassa/notify/",
        )
    finally:
        standin.stop()
    credits = double_credits({"gateway_payment_id__in": gateway_ids})
    rows.append(_credit_row("YooKassa notifications", result, baseline, credits))
    log(f"yookassa: {result['rps']:.0f} rps, {credits}")
    return rows
