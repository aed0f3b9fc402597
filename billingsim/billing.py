"""`billingsim bill --period YYYY-MM`: monthly fees, simulated calls, invoice and act.

Each client is billed at most once per period (billing_runs), so running the
command again never double-charges. Amounts come from a per-client random
generator seeded with (seed, period, contract): the same --seed gives the same
numbers whatever order or batch clients are billed in.
"""

from __future__ import annotations

import base64
import calendar
import json
import random
import secrets
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from billingsim import calls as call_details
from billingsim import outbox
from billingsim.clock import format_utc, now_utc, parse_period
from billingsim.money import format_money, parse_money, to_cents
from billingsim.pdf import DocumentContent, render

ZONES = ("local", "long_distance", "international")
ZONE_NAMES = {
    "local": "местные",
    "long_distance": "междугородние",
    "international": "международные",
}
# Used only when a tariff lacks the price; plausible Russian retail levels.
DEFAULT_PER_MINUTE = {
    "local": Decimal("1.50"),
    "long_distance": Decimal("3.50"),
    "international": Decimal("19.90"),
}
DEFAULT_FEES = (("internet", "650.00"), ("tv", "299.00"), ("phone", "250.00"), ("tel", "250.00"))
DEFAULT_FEE = Decimal("400.00")
DOCUMENT_PREFIX = {"invoice": "СЧ", "act": "АКТ"}


@dataclass
class BillResult:
    period: str
    seed: str
    billed: list[str] = field(default_factory=list)
    already_billed: list[str] = field(default_factory=list)
    nothing_to_bill: list[str] = field(default_factory=list)
    total: Decimal = Decimal("0.00")


def bill_period(
    conn: sqlite3.Connection, period: str, seed: int | None, *, calls: bool = False
) -> BillResult:
    year, month = parse_period(period)
    doc_date = date(year, month, calendar.monthrange(year, month)[1])
    seed_text = str(seed) if seed is not None else secrets.token_hex(8)
    result = BillResult(period, seed_text)
    conn.execute("BEGIN IMMEDIATE")
    try:
        clients = conn.execute(
            "SELECT * FROM clients WHERE status = 'active' ORDER BY contract"
        ).fetchall()
        for client in clients:
            _bill_client(conn, client, period, doc_date, seed_text, result, calls)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


def _bill_client(
    conn: sqlite3.Connection,
    client: sqlite3.Row,
    period: str,
    doc_date: date,
    seed_text: str,
    result: BillResult,
    with_calls: bool = False,
) -> None:
    contract = client["contract"]
    done = conn.execute(
        "SELECT 1 FROM billing_runs WHERE contract = ? AND period = ?", (contract, period)
    ).fetchone()
    if done:
        result.already_billed.append(contract)
        return
    subscriptions = conn.execute(
        "SELECT * FROM subscriptions WHERE contract = ? AND status = 'active' "
        "ORDER BY subscription_key",
        (contract,),
    ).fetchall()
    if not subscriptions:
        # Not recorded as billed: a subscription arriving later this month can still be billed.
        result.nothing_to_bill.append(contract)
        return
    rng = random.Random(f"{seed_text}:{period}:{contract}")
    tariffs = [_tariff(conn, sub["tariff_code"]) for sub in subscriptions]
    # Apart from the amounts' generator: the calls do not change the amounts' randomness.
    call_rng = random.Random(f"{seed_text}:{period}:{contract}:calls")
    numbers = call_details.own_numbers(conn, contract) if with_calls else []
    outgoing = 0
    lines: list[tuple[str, Decimal]] = []
    for sub, tariff in zip(subscriptions, tariffs, strict=True):
        fee = _monthly_fee(tariff, sub["service_code"])
        name = tariff["name"] if tariff else sub["tariff_code"]
        lines.append((f"Абонентская плата «{name}» за {period}", fee))
    scale = call_details.traffic_scale(conn, contract) if with_calls else 1
    for zone in ZONES:
        calls, minutes = 0, 0
        for _ in range(scale):
            more_calls, more_minutes = _simulate_calls(rng, zone)
            calls, minutes = calls + more_calls, minutes + more_minutes
        amount = (_per_minute(tariffs, zone) * minutes).quantize(Decimal("0.01"))
        if with_calls:
            for call in call_details.zone_calls(
                call_rng,
                contract=contract,
                period=period,
                zone=zone,
                calls=calls,
                minutes=minutes,
                per_minute=_per_minute(tariffs, zone),
                numbers=numbers,
            ):
                call_details.enqueue(conn, contract, call)
            outgoing += calls
        conn.execute(
            "INSERT INTO usage VALUES (?, ?, ?, ?, ?, ?)",
            (contract, period, zone, calls, minutes, to_cents(amount)),
        )
        outbox.enqueue(
            conn,
            "usage.summary",
            {
                "contract": contract,
                "period": period,
                "zone": zone,
                "calls": calls,
                "minutes": minutes,
                "amount": format_money(amount),
            },
        )
        if amount > 0:
            lines.append((f"Звонки ({ZONE_NAMES[zone]}), {minutes} мин, за {period}", amount))
    if with_calls:
        for call in call_details.incoming_calls(
            call_rng,
            contract=contract,
            period=period,
            count=int(outgoing * call_details.INCOMING_SHARE),
            numbers=numbers,
        ):
            call_details.enqueue(conn, contract, call)
    for description, amount in lines:
        _post_charge(conn, contract, period, amount, description)
    total = sum((amount for _, amount in lines), Decimal("0.00"))
    for kind in ("invoice", "act"):
        _issue_document(conn, client, kind, period, doc_date, lines, total)
    conn.execute(
        "INSERT INTO billing_runs VALUES (?, ?, ?, ?)",
        (contract, period, seed_text, format_utc(now_utc())),
    )
    conn.execute("UPDATE clients SET balance_dirty = 1 WHERE contract = ?", (contract,))
    result.billed.append(contract)
    result.total += total


def _tariff(conn: sqlite3.Connection, tariff_code: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM tariffs WHERE tariff_code = ?", (tariff_code,)).fetchone()
    if row is None:
        return None
    tariff = dict(row)
    tariff["prices"] = json.loads(tariff["prices"])
    return tariff


def _monthly_fee(tariff: dict[str, Any] | None, service_code: str) -> Decimal:
    if tariff and "monthly_fee" in tariff["prices"]:
        return parse_money(tariff["prices"]["monthly_fee"])
    code = service_code.lower()
    for needle, fee in DEFAULT_FEES:
        if needle in code:
            return Decimal(fee)
    return DEFAULT_FEE


def _per_minute(tariffs: list[dict[str, Any] | None], zone: str) -> Decimal:
    key = f"per_minute_{zone}"
    for tariff in tariffs:
        if tariff and key in tariff["prices"]:
            return parse_money(tariff["prices"][key])
    return DEFAULT_PER_MINUTE[zone]


def _simulate_calls(rng: random.Random, zone: str) -> tuple[int, int]:
    """Plausible monthly traffic: many short local calls, few long international ones."""
    if zone == "local":
        calls, longest = rng.randint(10, 120), 6
    elif zone == "long_distance":
        calls, longest = rng.randint(0, 25), 12
    else:
        calls, longest = (0 if rng.random() < 0.6 else rng.randint(1, 6)), 20
    minutes = sum(rng.randint(1, longest) for _ in range(calls))
    return calls, minutes


def _post_charge(
    conn: sqlite3.Connection, contract: str, period: str, amount: Decimal, description: str
) -> None:
    charge_id = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO charges VALUES (?, ?, ?, ?, ?, ?)",
        (charge_id, contract, period, to_cents(amount), description, format_utc(now_utc())),
    )
    outbox.enqueue(
        conn,
        "charge.posted",
        {
            "contract": contract,
            "charge_id": charge_id,
            "amount": format_money(amount),
            "period": period,
            "description": description,
        },
    )


def _next_number(conn: sqlite3.Connection, kind: str, year: int) -> str:
    conn.execute(
        "INSERT INTO document_counters VALUES (?, ?, 1) "
        "ON CONFLICT (kind, year) DO UPDATE SET last = last + 1",
        (kind, year),
    )
    row = conn.execute(
        "SELECT last FROM document_counters WHERE kind = ? AND year = ?", (kind, year)
    ).fetchone()
    return f"{DOCUMENT_PREFIX[kind]}-{year}-{int(row[0]):05d}"


def _issue_document(
    conn: sqlite3.Connection,
    client: sqlite3.Row,
    kind: str,
    period: str,
    doc_date: date,
    lines: list[tuple[str, Decimal]],
    total: Decimal,
) -> None:
    number = _next_number(conn, kind, doc_date.year)
    pdf = render(
        DocumentContent(
            kind=kind,
            number=number,
            date=doc_date,
            period=period,
            contract=client["contract"],
            client_name=client["name"],
            inn=client["inn"],
            kpp=client["kpp"],
            lines=lines,
            total=total,
        )
    )
    document_id = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            document_id,
            client["contract"],
            period,
            kind,
            number,
            doc_date.isoformat(),
            to_cents(total),
            pdf,
        ),
    )
    outbox.enqueue(
        conn,
        "document.issued",
        {
            "contract": client["contract"],
            "document_id": document_id,
            "kind": kind,
            "number": number,
            "date": doc_date.isoformat(),
            "amount": format_money(total),
            "pdf_base64": base64.b64encode(pdf).decode("ascii"),
        },
    )
