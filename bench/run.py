"""`make bench`: Kabinet's speed on PostgreSQL with a large generated dataset.

Every HTTP figure is wrk against gunicorn, as requests per second and p99 latency, and as a
ratio to a bare Django view (bench/bare.py) served by the same gunicorn command in the same
run. The results go to bench/results.json and the README's table.

Steps: a PostgreSQL database ``kabinet_bench`` (kept between runs; ``--fresh`` rebuilds it)
is migrated, seeded with the demo site and ``generate_dataset``; keys of a gateway and a
billing peer are made for the bench; gunicorn serves the site and the bare view; wrk runs
each target; the signed endpoints replay pre-signed requests (with duplicates) and the
ledger is checked for double credits afterwards; the tariff change and the billing
exchange run in-process / as commands and are timed.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import http.cookiejar
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
import zipfile
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TMP = ROOT / "bench" / "tmp"
KEYS = TMP / "keys"
PY = sys.executable
SITE_PORT = 8100
BARE_PORT = 8101
YOOKASSA_PORT = 8102
OSMP_USER, OSMP_PASSWORD = "bench-agent", "bench-agent-password"
BENCH_PASSWORD = "bench12345"


def log(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


# --- environment --------------------------------------------------------------------------


def bench_env(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "KABINET_TASKS_BACKEND": "db",
            "KABINET_VAR_DIR": str(TMP / "var"),
            "KABINET_SITE_URL": f"http://127.0.0.1:{SITE_PORT}",
            "KABINET_SITE_PRIVATE_KEY": str(KEYS / "site.pem"),
            "KABINET_GATEWAY_PUBLIC_KEYS": str(KEYS / "gateway.pub.pem"),
            "KABINET_BILLING_PUBLIC_KEYS": str(KEYS / "billing.pub.pem"),
            # No gateway runs in the bench: the site must not wait for one.
            "KABINET_GATEWAY_URL": "http://127.0.0.1:9",
            "KABINET_GATEWAY_TIMEOUT": "1",
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            # The whole bench runs from one address: limits meant for people are lifted.
            "KABINET_LOGIN_MAX_PER_ADDRESS": "100000",
            "KABINET_TERMINAL_MAX_PER_ADDRESS": "100000000",
            "KABINET_PAY_MAX_PER_ADDRESS": "100000000",
            "KABINET_OSMP_MAX_PER_ADDRESS": "100000000",
            # Every provider on: the OSMP agent protocol and YooKassa (against a stand-in of its
            # API that the bench runs, since the site re-reads each notified payment).
            "KABINET_PAYMENT_PROVIDERS": "kabinet,yookassa,osmp",
            "KABINET_OSMP_USERNAME": OSMP_USER,
            "KABINET_OSMP_PASSWORD": OSMP_PASSWORD,
            "KABINET_YOOKASSA_SHOP_ID": "bench",
            "KABINET_YOOKASSA_SECRET_KEY": "bench-secret",
            "KABINET_YOOKASSA_API_URL": f"http://127.0.0.1:{YOOKASSA_PORT}/v3",
            # The bench manager signs in with a password only (the bench types no codes).
            "KABINET_STAFF_2FA_REQUIRED": "0",
        }
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def manage(env: dict[str, str], *argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PY, "manage.py", *argv], cwd=ROOT, env=env, check=check, text=True, capture_output=True
    )


def ensure_keys(env: dict[str, str]) -> None:
    KEYS.mkdir(parents=True, exist_ok=True)
    manage(env, "keys", "generate", "--out", str(KEYS / "site.pem"))
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    for name in ("gateway", "billing"):
        private = KEYS / f"{name}.pem"
        if private.exists():
            continue
        key = Ed25519PrivateKey.generate()
        private.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        (KEYS / f"{name}.pub.pem").write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )


class PeerKey:
    """A bench peer's signing key, used the way the specs say (not through Kabinet's code)."""

    def __init__(self, name: str) -> None:
        from cryptography.hazmat.primitives import serialization

        key = serialization.load_pem_private_key((KEYS / f"{name}.pem").read_bytes(), None)
        self.key = key
        raw = key.public_key().public_bytes(  # type: ignore[union-attr]
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.key_id = hashlib.sha256(raw).hexdigest()[:16]

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.key.sign(message)).decode()  # type: ignore[union-attr]

    def headers(self, method: str, target: str, body: bytes) -> dict[str, str]:
        ts = str(int(time.time()))
        message = f"{ts}\n{method}\n{target}\n".encode() + body
        return {
            "X-Signature-Key": self.key_id,
            "X-Signature-Timestamp": ts,
            "X-Signature": self.sign(message),
        }


def prepare_database(args: argparse.Namespace, env: dict[str, str]) -> None:
    import psycopg

    url = urllib.parse.urlparse(args.database_url)
    name = url.path.lstrip("/")
    admin = args.database_url.replace(url.path, "/postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and args.fresh:
            log(f"dropping database {name}")
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [name],
            )
            conn.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            log(f"creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')
    log("migrating")
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    with psycopg.connect(args.database_url) as conn:
        clients = conn.execute("SELECT count(*) FROM accounts_client").fetchone()[0]
    if clients < args.clients:
        log("loading the demo site (seed_demo)")
        manage(env, "seed_demo")
        log(f"generating the dataset: {args.clients} clients (this takes minutes)")
        started = time.monotonic()
        result = manage(env, "generate_dataset", "--clients", str(args.clients), check=False)
        if result.returncode != 0:
            sys.exit(f"generate_dataset failed:\n{result.stdout}\n{result.stderr}")
        log(f"dataset generated in {time.monotonic() - started:.0f} s")
    else:
        log(f"reusing the dataset in {name} ({clients} clients); --fresh rebuilds it")
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


# --- servers ------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen


def start_server(name: str, app: str, port: int, env: dict[str, str], workers: int) -> Server:
    logfile = open(TMP / f"{name}.log", "w")  # noqa: SIM115 — closed with the process
    process = subprocess.Popen(
        [
            str(Path(PY).with_name("gunicorn")),
            app,
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--backlog",
            "2048",
            "--error-logfile",
            "-",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=logfile,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(
                f"http://127.0.0.1:{port}/healthz"
                if name == "site"
                else f"http://127.0.0.1:{port}/",
                timeout=2,
            )
            return Server(name, port, process)
        except urllib.error.HTTPError:
            return Server(name, port, process)
        except OSError:
            time.sleep(0.3)
    process.kill()
    sys.exit(f"{name} did not start; see {TMP / (name + '.log')}")


def stop_server(server: Server) -> None:
    try:
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(server.process.pid, signal.SIGKILL)


def login(email: str) -> str:
    """Sign in through the real form; returns the session cookie."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{SITE_PORT}"
    page = opener.open(f"{base}/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token on /login/"
    data = urllib.parse.urlencode(
        {"username": email, "password": BENCH_PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    ).encode()
    request = urllib.request.Request(f"{base}/login/", data=data, headers={"Referer": base})
    opener.open(request).read()
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        sys.exit(f"could not sign in as {email}")
    return f"sessionid={cookies['sessionid']}; csrftoken={cookies.get('csrftoken', '')}"


# --- wrk ----------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    rps: float
    p99_ms: float | None
    ratio: float
    aim: float | None  # None: a figure for comparison, with no aim of its own
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        extra = data.pop("extra")
        return {**data, **extra}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(
    url: str,
    *,
    duration: int,
    connections: int,
    headers: dict[str, str] | None = None,
    script: list[str] | None = None,
) -> dict[str, Any]:
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    if script:
        argv += ["-s", script[0], url, "--", *script[1:]]
    else:
        argv.append(url)
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+(?:us|ms|s|m))", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": rps,
        "p99_ms": _ms(p99.group(1)) if p99 else None,
        "requests": total,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
        "raw": out,
    }


def measure(
    name: str,
    url: str,
    *,
    aim: float | None,
    baseline: float,
    args: argparse.Namespace,
    headers: dict[str, str] | None = None,
) -> Row:
    check = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(check, timeout=30) as response:
        if response.status != 200:
            sys.exit(f"{name}: {url} answered {response.status}")
    wrk(url, duration=2, connections=args.connections, headers=headers)  # warm-up
    result = wrk(url, duration=args.duration, connections=args.connections, headers=headers)
    if result["non_2xx"] or result["socket_errors"]:
        log(f"{name}: {result['non_2xx']} non-2xx answers, {result['socket_errors']} socket errors")
    row = Row(
        name,
        round(result["rps"], 1),
        round(result["p99_ms"], 1) if result["p99_ms"] is not None else None,
        round(result["rps"] / baseline, 3),
        aim,
        {"requests": result["requests"], "errors": result["non_2xx"] + result["socket_errors"]},
    )
    log(f"{name}: {row.rps} rps, p99 {row.p99_ms} ms, ratio {row.ratio} (aim {aim})")
    return row


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


# --- in-process parts (Django set up against the bench database) -------------------------


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kabinet.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


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
        0.1,
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


def tariff_change(tariff_code: str | None) -> dict[str, Any]:
    from django.db.models import Count

    from kabinet.accounts.models import User
    from kabinet.catalog.models import Tariff
    from kabinet.catalog.services import earliest_price_change_date, tariff_change_prices
    from kabinet.notifications.models import Notification
    from kabinet.subscriptions.models import Subscription, SubscriptionStatus

    if tariff_code:
        tariff = Tariff.objects.get(code=tariff_code)
    else:
        tariff = (
            Tariff.objects.annotate(n=Count("subscriptions"))
            .filter(n__gte=20000)
            .order_by("n")
            .first()
        )
        if tariff is None:
            tariff = Tariff.objects.annotate(n=Count("subscriptions")).order_by("-n").first()
    assert tariff is not None
    subs = (
        Subscription.objects.filter(tariff=tariff).exclude(status=SubscriptionStatus.CLOSED).count()
    )
    actor = User.objects.get(email="bench-manager@kabinet.test")
    version = tariff.versions.order_by("-effective_from").first()
    day = max(earliest_price_change_date(), version.effective_from + dt.timedelta(days=1))
    prices = {name: getattr(version, name) + Decimal("1.00") for name in version.prices}
    before = Notification.objects.count()
    from django_tasks_db.models import DBTaskResult

    tasks_before = DBTaskResult.objects.count()
    started = time.monotonic()
    tariff_change_prices(actor=actor, tariff=tariff, effective_from=day, prices=prices)
    seconds = time.monotonic() - started
    return {
        "tariff": tariff.code,
        "subscriptions": subs,
        "notices": Notification.objects.count() - before,
        "email_tasks": DBTaskResult.objects.count() - tasks_before,
        "seconds": round(seconds, 2),
    }


# --- billing exchange ---------------------------------------------------------------------


def run_measured(env: dict[str, str], *argv: str) -> tuple[float, float, str]:
    """Run a manage.py command; its wall time and its own peak memory (MiB)."""
    started = time.monotonic()
    process = subprocess.Popen(
        [PY, "manage.py", *argv],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = process.stdout.read()  # type: ignore[union-attr]
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    if process.returncode != 0:
        sys.exit(f"manage.py {' '.join(argv)} failed:\n{output}")
    return seconds, usage.ru_maxrss / 1024, output


def fill_outbox(count: int) -> None:
    """Pending website→billing records, as a busy day of captured payments leaves them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO exchange_outboxrecord (record_id, type, at, contract, data)
            SELECT gen_random_uuid(), 'payment.captured', now(), c.contract_number,
                   jsonb_build_object(
                       'contract', c.contract_number,
                       'payment_id', gen_random_uuid()::text,
                       'amount', to_char(100 + (g %% 900), 'FM999990.00'),
                       'channel', 'terminal',
                       'captured_at', to_char(now() AT TIME ZONE 'UTC',
                                              'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
            FROM generate_series(1, %s) AS g
            JOIN (SELECT contract_number, row_number() OVER (ORDER BY id) - 1 AS n
                  FROM accounts_client) AS c
              ON c.n = g %% (SELECT count(*) FROM accounts_client)
            """,
            [count],
        )


def billing_package(path: Path, count: int) -> None:
    """A billing-to-site package of ``count`` records, written as the spec says."""
    from kabinet.accounts.models import Client
    from kabinet.exchange.models import Direction, ExchangePackage, PackageStatus

    contracts = list(Client.objects.order_by("id").values_list("contract_number", flat=True))
    last = (
        ExchangePackage.objects.filter(
            direction=Direction.BILLING_TO_SITE, status=PackageStatus.IMPORTED
        )
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    ) or 0
    acked = (
        ExchangePackage.objects.filter(direction=Direction.SITE_TO_BILLING)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    ) or 0
    records = TMP / "records.jsonl"
    digest = hashlib.sha256()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    zones = ("local", "long_distance", "international")
    with records.open("wb") as out:
        for i in range(count):
            contract = contracts[i % len(contracts)]
            if i % 10 == 0:
                line = {
                    "type": "balance.snapshot",
                    "data": {"contract": contract, "balance": f"{i % 5000}.00", "as_of": now},
                }
            else:
                month = 1 + (i // len(contracts)) % 12
                line = {
                    "type": "usage.summary",
                    "data": {
                        "contract": contract,
                        "period": f"2025-{month:02d}",
                        "zone": zones[i % 3],
                        "calls": i % 300,
                        "minutes": i % 900,
                        "amount": f"{i % 700}.50",
                    },
                }
            data = (
                json.dumps(
                    {
                        "id": str(uuid.uuid4()),
                        "type": line["type"],
                        "at": now,
                        "data": line["data"],
                    },
                    separators=(",", ":"),
                ).encode()
                + b"\n"
            )
            digest.update(data)
            out.write(data)
    manifest = json.dumps(
        {
            "format": 1,
            "direction": "billing-to-site",
            "sender": "billing",
            "sequence": last + 1,
            "created_at": now,
            "ack_through": acked,
            "record_count": count,
            "records_sha256": digest.hexdigest(),
        }
    ).encode()
    billing = PeerKey("billing")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", manifest)
        archive.write(records, "records.jsonl")
        archive.writestr("signature", f"ed25519:{billing.key_id}:{billing.sign(manifest)}")
    records.unlink()


def exchange_rows(env: dict[str, str], sizes: list[int]) -> list[Row]:
    from kabinet.exchange.models import OutboxRecord

    rows = []
    for size in sizes:
        OutboxRecord.objects.filter(package_sequence__isnull=True).update(package_sequence=0)
        log(f"exchange export: filling the outbox with {size} records")
        fill_outbox(size)
        out = TMP / f"export-{size}.zip"
        seconds, peak, _ = run_measured(env, "exchange", "export", "--out", str(out))
        rows.append(exchange_row("exchange export", size, seconds, peak, out.stat().st_size))
        out.unlink()
    for size in sizes:
        log(f"exchange import: writing a billing package of {size} records")
        package = TMP / f"import-{size}.zip"
        billing_package(package, size)
        seconds, peak, _ = run_measured(env, "exchange", "import", str(package))
        rows.append(exchange_row("exchange import", size, seconds, peak, package.stat().st_size))
        package.unlink()
    return rows


def exchange_row(kind: str, size: int, seconds: float, peak: float, nbytes: int) -> Row:
    row = Row(
        f"{kind}, {size:,} records (records/s)".replace(",", " "),
        round(size / seconds, 1),
        None,
        # The aim: a million records in under two minutes. Smaller packages are measured to
        # show that memory stays flat, with no aim of their own.
        round(120 / seconds, 3) if size >= 1_000_000 else round(120 * size / 1e6 / seconds, 3),
        1.0 if size >= 1_000_000 else None,
        {
            "seconds": round(seconds, 1),
            "peak_mb": round(peak, 1),
            "package_mb": round(nbytes / 2**20, 1),
            "note": f"{seconds:.0f} s, peak memory {peak:.0f} MiB",
        },
    )
    log(f"{row.name}: {row.rps} records/s, {seconds:.1f} s, peak {peak:.0f} MiB")
    return row


# --- main ---------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, {pg}"
    )


def table(rows: list[Row]) -> str:
    lines = [
        "| figure | rps | p99 ms | ratio | aim | met | notes |",
        "|---|---:|---:|---:|---:|:-:|---|",
    ]
    for row in rows:
        p99 = "" if row.p99_ms is None else f"{row.p99_ms:.1f}"
        if row.aim is None:
            aim, met = "—", "—"
        else:
            aim, met = str(row.aim), "yes" if row.ratio >= row.aim else "**no**"
        note = row.extra.get("note", "")
        lines.append(
            f"| {row.name} | {row.rps:.0f} | {p99} | {row.ratio:.3f} | {aim} | {met} | {note} |"
        )
    return "\n".join(lines)


def update_readme(text: str) -> None:
    readme = ROOT / "README.md"
    content = readme.read_text()
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    if start not in content:
        return
    head, rest = content.split(start, 1)
    _old, tail = rest.split(end, 1)
    readme.write_text(f"{head}{start}\n{text}\n{end}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--exchange-records", type=int, default=1_000_000)
    parser.add_argument("--fresh", action="store_true", help="rebuild the bench database")
    parser.add_argument("--no-readme", action="store_true", help="do not update README.md")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kabinet_bench"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: `apt-get install wrk` (make bench installs it)")
    TMP.mkdir(parents=True, exist_ok=True)
    env = bench_env(args)
    ensure_keys(env)
    prepare_database(args, env)
    subprocess.run(["redis-cli", "-u", args.redis_url, "FLUSHDB"], capture_output=True)
    django_setup(env)

    site = start_server("site", "kabinet.wsgi", SITE_PORT, env, args.workers)
    bare = start_server("bare", "bench.bare:application", BARE_PORT, env, args.workers)
    rows: list[Row] = []
    try:
        base = f"http://127.0.0.1:{SITE_PORT}"
        wrk(f"http://127.0.0.1:{BARE_PORT}/", duration=2, connections=args.connections)
        bare_result = wrk(
            f"http://127.0.0.1:{BARE_PORT}/", duration=args.duration, connections=args.connections
        )
        baseline = bare_result["rps"]
        log(f"bare Django view: {baseline:.0f} rps, p99 {bare_result['p99_ms']} ms")

        from kabinet.cms.models import ServicePage

        service_page = ServicePage.objects.live().filter(locale__language_code="ru").first()
        assert service_page is not None, "no live service page: did seed_demo run?"
        service_url = base + service_page.get_url()
        rows.append(measure("public: home page", base + "/", aim=0.5, baseline=baseline, args=args))
        rows.append(
            measure("public: service page", service_url, aim=0.5, baseline=baseline, args=args)
        )
        # A stock Wagtail page of the same size: the same page through Wagtail's own serve view
        # (a query string bypasses Kabinet's page cache).
        rows.append(
            measure(
                "public: home page, stock Wagtail serve (no page cache)",
                base + "/?stock=1",
                aim=None,
                baseline=baseline,
                args=args,
            )
        )
        rows[-1].extra["note"] = (
            f"Kabinet's cached home page: {rows[0].rps / max(rows[-1].rps, 0.1):.0f}× this"
        )

        client_cookie = {"Cookie": login("bench-client@kabinet.test")}
        for name, path in (
            ("client cabinet: home", "/cabinet/"),
            ("client cabinet: services", "/cabinet/services/"),
            ("client cabinet: payments", "/cabinet/payments/"),
        ):
            rows.append(
                measure(
                    name, base + path, aim=0.15, baseline=baseline, args=args, headers=client_cookie
                )
            )
        manager_cookie = {"Cookie": login("bench-manager@kabinet.test")}
        since = (dt.date.today() - dt.timedelta(days=30)).isoformat()
        for name, path in (
            ("manager: client list, search", "/manager/clients/?q=%D1%81%D0%B2%D1%8F%D0%B7%D1%8C"),
            ("manager: requests queue", "/manager/requests/"),
            (
                "manager: payments, filtered",
                f"/manager/payments/?status=captured&channel=card&date_from={since}",
            ),
        ):
            rows.append(
                measure(
                    name, base + path, aim=0.1, baseline=baseline, args=args, headers=manager_cookie
                )
            )

        # Terminal payments: each distinct receipt credits once; repeats must not.
        run = str(int(time.time()))[-8:]
        estimate = int(baseline * 0.5 * args.duration) + 2000
        contracts = bench_contracts()
        log(f"terminal: signing {estimate} payment requests")
        requests = terminal_requests(contracts, estimate, run)
        result = replay(
            "terminal", requests, aim=0.1, baseline=baseline, args=args, path="/pay/terminal/"
        )
        credits = double_credits({"receipt__startswith": run})
        rows.append(
            Row(
                "terminal `payment`",
                round(result["rps"], 1),
                round(result["p99_ms"], 1) if result["p99_ms"] else None,
                round(result["rps"] / baseline, 3),
                0.1,
                {
                    "requests": result["requests"],
                    "errors": result["non_200"],
                    **credits,
                    "note": _credit_note(credits, result),
                },
            )
        )
        log(f"terminal: {result['rps']:.0f} rps, {credits}")

        log(f"card notifications: preparing {estimate // 2} pending card payments")
        pending = pending_card_payments(estimate // 2)
        requests = notification_requests(pending)
        result = replay(
            "notify", requests, aim=0.1, baseline=baseline, args=args, path="/pay/notify/"
        )
        credits = double_credits({"gateway_payment_id__in": [p[1] for p in pending]})
        rows.append(
            Row(
                "card notifications",
                round(result["rps"], 1),
                round(result["p99_ms"], 1) if result["p99_ms"] else None,
                round(result["rps"] / baseline, 3),
                0.1,
                {
                    "requests": result["requests"],
                    "errors": result["non_200"],
                    **credits,
                    "note": _credit_note(credits, result),
                },
            )
        )
        log(f"notifications: {result['rps']:.0f} rps, {credits}")

        # OSMP agents: each distinct txn_id credits once; repeats answer the first answer.
        log(f"osmp: preparing {estimate} pay requests")
        requests = osmp_requests(contracts, estimate, run)
        result = replay("osmp", requests, aim=0.1, baseline=baseline, args=args, path="/pay/osmp/")
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
                aim=0.1,
                baseline=baseline,
                args=args,
                path="/pay/yookassa/notify/",
            )
        finally:
            standin.stop()
        credits = double_credits({"gateway_payment_id__in": gateway_ids})
        rows.append(_credit_row("YooKassa notifications", result, baseline, credits))
        log(f"yookassa: {result['rps']:.0f} rps, {credits}")
    finally:
        stop_server(site)
        stop_server(bare)

    log("tariff price change")
    change = tariff_change(None)
    rows.append(
        Row(
            f"tariff price change, {change['subscriptions']} subscriptions (s)",
            change["seconds"],
            None,
            round(10 / max(change["seconds"], 0.001), 3),
            1.0,
            {
                **change,
                "note": f"{change['notices']} notices and {change['email_tasks']} e-mail tasks "
                "queued",
            },
        )
    )
    log(f"tariff change: {change}")

    sizes = sorted({min(100_000, args.exchange_records), args.exchange_records})
    rows.extend(exchange_rows(env, sizes))

    results = {
        "machine": machine(),
        "taken_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "clients": args.clients,
        "gunicorn_workers": args.workers,
        "wrk": f"2 threads, {args.connections} connections, {args.duration} s per figure",
        "baseline_rps": round(baseline, 1),
        "baseline_p99_ms": bare_result["p99_ms"],
        "results": [row.as_json() for row in rows],
    }
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    text = (
        f"Taken {results['taken_at']} on {results['machine']}; {args.clients:,} clients; "
        f"gunicorn with {args.workers} sync workers; wrk {results['wrk']}; "
        f"bare Django view {baseline:.0f} rps.\n\n{table(rows)}"
    ).replace(",", ",")
    print()
    print(text)
    if not args.no_readme:
        update_readme(text)
    log(f"results written to {args.out}")


if __name__ == "__main__":
    main()
