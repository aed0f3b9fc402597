"""Two app server processes on one database: nothing a request needs lives in a process.

Each server is a real gunicorn started as a subprocess against the test database; the test
talks to them over HTTP. A session made on one works on the other, a terminal payment sent
to both at once credits once, and failed sign-ins count across both.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest

from kabinet.conftest import PASSWORD
from kabinet.lib.signing import generate_key_pair
from kabinet.payments.models import LedgerEntry, Payment
from kabinet.payments.tests.peer import PeerKey, signed_headers

from .processes import database_url

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AppServer:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("w")
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "kabinet.wsgi",
                "-b",
                f"127.0.0.1:{self.port}",
                "-w",
                "2",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the app server exited"
            try:
                urllib.request.urlopen(f"{self.url}/login/", timeout=2).read()
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("the app server did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


@pytest.fixture
def two_servers(tmp_path, settings):
    gateway = PeerKey()
    keys = tmp_path / "keys"
    site_private, _public, _kid = generate_key_pair(keys, "site")
    _gw_private, gw_public = gateway.write(keys, "gateway")
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "KABINET_VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": "two-servers-share-one-secret-key-" + "x" * 20,
        "KABINET_TASKS_BACKEND": "immediate",
        "KABINET_SITE_PRIVATE_KEY": str(site_private),
        "KABINET_GATEWAY_PUBLIC_KEYS": str(gw_public),
        "KABINET_LOGIN_MAX_PER_ACCOUNT": "5",
        "DEBUG": "0",
    }
    env.pop("REDIS_URL", None)  # the shared cache is then the database, as in the demo
    servers = [AppServer(env, tmp_path / f"server{i}.log") for i in (1, 2)]
    try:
        for server in servers:
            server.wait_ready()
        yield servers, gateway
    finally:
        for server in servers:
            server.stop()


def _servers_can_check_password(user) -> None:
    """Tests hash with MD5 for speed; the servers run the production hashers."""
    from django.contrib.auth.hashers import Argon2PasswordHasher

    hasher = Argon2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])


class Browser:
    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, url: str) -> tuple[int, str]:
        try:
            with self.opener.open(url, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def sign_in(self, base: str, email: str, password: str) -> str:
        _status, page = self.get(f"{base}/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token
        data = urllib.parse.urlencode(
            {"username": email, "password": password, "csrfmiddlewaretoken": token.group(1)}
        ).encode()
        request = urllib.request.Request(f"{base}/login/", data=data, headers={"Referer": base})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.geturl()
        except urllib.error.HTTPError as exc:
            return f"HTTP {exc.code}"


@pytest.mark.django_db(transaction=True)
def test_a_session_made_on_one_server_works_on_the_other(two_servers, client_user, company):
    (one, two), _gateway = two_servers
    _servers_can_check_password(client_user)
    browser = Browser()
    landed = browser.sign_in(one.url, client_user.email, PASSWORD)
    assert landed.endswith("/cabinet/")
    # Same host, another process: the load balancer may send the next request anywhere.
    status, page = browser.get(f"{two.url}/cabinet/")
    assert status == 200
    assert company.name in page
    status, _ = browser.get(f"{two.url}/cabinet/payments/")
    assert status == 200


@pytest.mark.django_db(transaction=True)
def test_failed_sign_ins_count_across_servers(two_servers, client_user):
    (one, two), _gateway = two_servers
    _servers_can_check_password(client_user)
    for attempt in range(5):
        server = (one, two)[attempt % 2]
        assert (
            Browser().sign_in(server.url, client_user.email, "wrong-password").endswith("/login/")
        )
    # The sixth try, on either server, is refused even with the right password.
    browser = Browser()
    landed = browser.sign_in(two.url, client_user.email, PASSWORD)
    assert not landed.endswith("/cabinet/")
    status, page = browser.get(f"{one.url}/cabinet/")
    assert status == 200 and 'name="password"' in page  # sent to the sign-in form
    assert "sessionid" not in {c.name for c in browser.jar}


@pytest.mark.django_db(transaction=True)
def test_one_terminal_payment_sent_to_both_servers_at_once_credits_once(two_servers, company):
    (one, two), gateway = two_servers
    body = urllib.parse.urlencode(
        {
            "action": "payment",
            "number": company.contract_number,
            "amount": "500.00",
            "receipt": "90000001",
            "date": "2026-11-24T10:15:00",
        }
    ).encode()
    answers: list[tuple[int, str]] = []

    def send(server: AppServer) -> None:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            **signed_headers(gateway, "POST", "/pay/terminal/", body),
        }
        request = urllib.request.Request(f"{server.url}/pay/terminal/", data=body, headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            answers.append((response.status, response.read().decode()))

    threads = [threading.Thread(target=send, args=(s,)) for s in (one, two, one, two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == 4
    codes = {ElementTree.fromstring(text).findtext("code") for _status, text in answers}
    authcodes = {ElementTree.fromstring(text).findtext("authcode") for _status, text in answers}
    assert codes == {"0"}
    assert len(authcodes) == 1
    payment = Payment.objects.get(receipt="90000001")
    assert str(payment.pk) in authcodes
    assert list(LedgerEntry.objects.filter(client=company).values_list("amount", flat=True)) == [
        Decimal("500.00")
    ]


@pytest.mark.django_db(transaction=True)
def test_tasks_queued_by_one_process_run_on_a_redis_worker(tmp_path, client_user):
    """The `rq` backend: one process queues, a separate worker process on Redis runs it."""
    from kabinet.notifications.models import EmailStatus, Notification

    redis_url = f"redis://127.0.0.1:6379/{9 + (os.getpid() % 5)}"
    notification = Notification.objects.create(
        user=client_user,
        category="system",
        title="Across processes",
        email_status=EmailStatus.PENDING,
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "KABINET_VAR_DIR": str(tmp_path / "var"),
        "KABINET_TASKS_BACKEND": "rq",
        "REDIS_URL": redis_url,
    }
    subprocess.run(["redis-cli", "-u", redis_url, "FLUSHDB"], check=True, capture_output=True)
    queue = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from kabinet.notifications.tasks import deliver_notification_emails as t; "
            f"print(t.enqueue([{notification.pk}]).status)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert queue.returncode == 0, queue.stderr
    assert queue.stdout.strip().endswith("READY")
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.PENDING  # queued, not run inline

    worker = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "rqworker",
            "default",
            "--burst",
            "--job-class",
            "django_tasks_rq.Job",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.SENT
    mails = list((tmp_path / "var" / "mail").glob("*"))
    assert len(mails) == 1
    assert client_user.email in mails[0].read_text()
