"""What every figure uses: the bench environment and database, gunicorn, wrk, the report."""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.cookiejar
import os
import platform
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
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
        return base64.b64encode(self.key.sign(message)).decode()  # type: ignore[union-attr,call-arg]

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
        row = conn.execute("SELECT count(*) FROM accounts_client").fetchone()
        clients = row[0] if row else 0
    if clients < args.clients:
        log("loading the demo site (seed_demo)")
        manage(env, "seed_demo")
        log(f"generating the dataset: {args.clients} clients (this takes minutes)")
        started = time.monotonic()
        result = manage(
            env,
            "generate_dataset",
            "--clients",
            str(args.clients),
            # Issue #15's big client: 50,000 calls a month, its calls page and export measured.
            "--bench-calls-per-month",
            "50000",
            check=False,
        )
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


# --- in-process parts (Django set up against the bench database) -------------------------


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kabinet.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- the report ---------------------------------------------------------------------------


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
