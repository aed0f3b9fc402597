"""The SMTP server is down: notices wait in the queue and go out, once, when it is back.

Mail goes through Django's real SMTP backend: first to a port where nothing listens,
then to a small SMTP server the test runs on a thread.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from django.utils import timezone

from kabinet.accounts.models import Invitation
from kabinet.audit.models import AuditEntry
from kabinet.messaging.models import Notice
from kabinet.notifications.models import EmailStatus, Notification
from kabinet.notifications.tasks import retry_due_notification_emails

pytestmark = pytest.mark.django_db


class SmtpServer(socketserver.ThreadingTCPServer):
    """Enough of RFC 5321 for Django's SMTP backend: EHLO, MAIL, RCPT, DATA, RSET, QUIT."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int) -> None:
        self.received: list[dict] = []
        super().__init__(("127.0.0.1", port), SmtpHandler)


class SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 test SMTP")
        sender, recipients = "", []
        while line := self.rfile.readline():
            command = line.decode("ascii", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 test")
            elif verb == "MAIL":
                sender, recipients = command[10:].strip("<> "), []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command[8:].strip("<> "))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go on")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                self.server.received.append(  # type: ignore[attr-defined]
                    {"from": sender, "to": recipients, "message": message_from_bytes(data)}
                )
                self.reply("250 queued")
            elif verb == "RSET":
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


@pytest.fixture
def smtp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_settings(settings, smtp_port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 3
    return settings


@pytest.fixture
def start_smtp(smtp_port):
    servers = []

    def start() -> SmtpServer:
        server = SmtpServer(smtp_port)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def test_smtp_down_keeps_the_notice_queued_and_it_goes_out_once_later(
    smtp_settings, start_smtp, as_manager, client_user, company
):
    response = as_manager.post(
        "/manager/notices/new/",
        {
            "segment": "all",
            "title": "Плановые работы 12 мая",
            "body": "Связь может прерываться с 2:00 до 4:00.",
            "step": "send",
        },
    )

    notice = Notice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/manager/notices/{notice.pk}/"
    notification = Notification.objects.get(user=client_user)
    assert notification.title == "Плановые работы 12 мая"
    assert notification.email_status == EmailStatus.PENDING
    assert notification.email_attempts == 1
    assert notification.email_last_error.startswith("ConnectionRefusedError")
    assert notification.email_next_attempt_at > timezone.now()
    assert notification.email_sent_at is None

    server = start_smtp()
    # Before its retry time nothing is sent; when it comes, the scheduler's sweep sends it.
    retry_due_notification_emails.enqueue()
    assert server.received == []
    Notification.objects.update(email_next_attempt_at=timezone.now() - timedelta(seconds=1))
    retry_due_notification_emails.enqueue()
    retry_due_notification_emails.enqueue()

    assert len(server.received) == 1
    mail = server.received[0]
    assert mail["to"] == ["boss@baltlog.example"]
    assert _subject(mail["message"]) == "Плановые работы 12 мая"
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.SENT
    assert notification.email_attempts == 2
    assert notification.email_sent_at is not None
    assert notification.email_next_attempt_at is None


def test_smtp_down_refuses_an_invitation_with_a_message_and_keeps_nothing(
    smtp_settings, start_smtp, as_manager, company
):
    response = as_manager.post(
        f"/manager/clients/{company.pk}/invite",
        {"email": "new@baltlog.example", "membership_role": "member"},
    )

    assert response.status_code == 302
    assert Invitation.objects.count() == 0
    assert AuditEntry.objects.count() == 0
    page = as_manager.get(response["Location"])
    assert (
        "The invitation e-mail could not be sent: the mail server is not answering. "
        "Nothing was saved; try again in a few minutes." in page.content.decode()
    )
    # With the mail server back, the same invitation goes out.
    server = start_smtp()
    as_manager.post(
        f"/manager/clients/{company.pk}/invite",
        {"email": "new@baltlog.example", "membership_role": "member"},
    )
    assert Invitation.objects.get().email == "new@baltlog.example"
    assert len(server.received) == 1
    assert server.received[0]["to"] == ["new@baltlog.example"]
    assert "/invite/" in server.received[0]["message"].get_payload(decode=True).decode()


@pytest.mark.parametrize("email", ["boss@baltlog.example", "nobody@nowhere.example"])
def test_smtp_down_tells_the_person_to_try_the_password_reset_again(
    smtp_settings, start_smtp, client_user, email
):
    from kabinet.conftest import english_client

    response = english_client().post("/password-reset/", {"email": email})

    # The same answer whether the address has an account or not, and no "check your mail".
    assert response.status_code == 200
    assert (
        "The e-mail with the link could not be sent: the mail server is not answering. "
        "Try again in a few minutes." in response.content.decode()
    )
    # With the mail server back, the link goes out.
    server = start_smtp()
    response = english_client().post("/password-reset/", {"email": email})
    assert response.status_code == 302
    expected = 1 if email == client_user.email else 0
    assert len(server.received) == expected
    if expected:
        assert "/password-reset/" in server.received[0]["message"].get_payload(decode=True).decode()
