"""Correspondence between a client's users and managers: threads, unread markers, files."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from kabinet.audit.models import AuditEntry
from kabinet.conftest import logged_in
from kabinet.messaging.models import Message, MessageAttachment, Thread
from kabinet.notifications.models import Notification

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def start(http, subject="Invoice for October", body="Where is it?", files=()):
    return http.post(
        "/cabinet/messages/new/", {"subject": subject, "body": body, "attachments": list(files)}
    )


def reply(http, thread, body="Here it is", files=(), side="cabinet"):
    return http.post(f"/{side}/messages/{thread.pk}/", {"body": body, "attachments": list(files)})


def test_client_writes_to_their_manager_who_gets_an_email(as_client, manager, client_user):
    response = start(as_client)
    thread = Thread.objects.get()
    assert response["Location"] == f"/cabinet/messages/{thread.pk}/"
    assert (thread.client.contract_number, thread.subject, thread.awaiting_reply) == (
        "100001",
        "Invoice for October",
        True,
    )
    message = thread.messages.get()
    assert (message.author, message.from_client, message.body) == (
        client_user,
        True,
        "Where is it?",
    )
    notice = Notification.objects.get(user=manager)
    assert notice.title == "New message from ООО «Балтийская логистика»: Invoice for October"
    assert notice.url == f"/manager/messages/{thread.pk}/"
    assert [m.to for m in mail.outbox] == [[manager.email]]
    # A client's own message is not audited; managers' are.
    assert not AuditEntry.objects.exists()


def test_manager_answer_reaches_every_user_of_the_company_but_the_author(
    as_client, as_manager, manager, client_user, colleague, other_client_user
):
    start(as_client)
    thread = Thread.objects.get()
    mail.outbox.clear()
    response = reply(as_manager, thread, "Sent it again", side="manager")
    assert response["Location"] == f"/manager/messages/{thread.pk}/"
    thread.refresh_from_db()
    assert thread.awaiting_reply is False
    notified = set(
        Notification.objects.filter(title__startswith="New message from your manager").values_list(
            "user__email", flat=True
        )
    )
    assert notified == {client_user.email, colleague.email}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([client_user.email, colleague.email])
    entry = AuditEntry.objects.get(action="thread.message")
    assert (entry.actor, entry.after["attachments"]) == (manager, 0)


def test_unread_markers_on_both_sides(as_client, as_manager, colleague):
    start(as_client)
    thread = Thread.objects.get()
    marker = f'<tr class="row-unread" data-testid="thread-{thread.pk}">'
    read = f'<tr class="" data-testid="thread-{thread.pk}">'
    # The author has read their own message; the manager has not.
    assert read in as_client.get("/cabinet/messages/").content.decode()
    assert marker in as_manager.get("/manager/messages/").content.decode()
    as_manager.get(f"/manager/messages/{thread.pk}/")
    assert read in as_manager.get("/manager/messages/").content.decode()
    reply(as_manager, thread, "Answer", side="manager")
    assert marker in as_client.get("/cabinet/messages/").content.decode()
    page = as_client.get(f"/cabinet/messages/{thread.pk}/").content.decode()
    assert page.count('class="badge badge-new">new<') == 1
    assert read in as_client.get("/cabinet/messages/").content.decode()
    # Markers are per user: a colleague has read nothing yet.
    assert marker in logged_in(colleague).get("/cabinet/messages/").content.decode()


def test_manager_sees_unanswered_first_and_can_filter(
    as_client, as_other_client, as_manager, manager, other_manager, other_company
):
    start(as_client, subject="Answered")
    answered = Thread.objects.get(subject="Answered")
    reply(as_manager, answered, "Done", side="manager")
    start(as_other_client, subject="Waiting")
    waiting = Thread.objects.get(subject="Waiting")
    listed = as_manager.get("/manager/messages/").context["page"].object_list
    assert [t.subject for t in listed] == ["Waiting", "Answered"]
    unanswered = as_manager.get("/manager/messages/?show=unanswered").context["page"]
    assert [t.pk for t in unanswered.object_list] == [waiting.pk]
    by_client = as_manager.get("/manager/messages/?client=100001").context["page"]
    assert [t.pk for t in by_client.object_list] == [answered.pk]
    other_company.manager = other_manager
    other_company.save()
    mine = as_manager.get("/manager/messages/?mine=on").context["page"]
    assert [t.pk for t in mine.object_list] == [answered.pk]


def test_manager_starts_a_thread_with_a_client(as_manager, manager, company, client_user):
    form = as_manager.get(f"/manager/messages/new/?client={company.pk}").context["form"]
    assert form.initial["contract"] == "100001"
    response = as_manager.post(
        "/manager/messages/new/",
        {"contract": "100001", "subject": "Your new numbers", "body": "They are ready."},
    )
    thread = Thread.objects.get()
    assert response["Location"] == f"/manager/messages/{thread.pk}/"
    assert (thread.client, thread.created_by, thread.awaiting_reply) == (company, manager, False)
    assert Notification.objects.filter(
        user=client_user, title="New message from your manager: Your new numbers"
    ).exists()
    entry = AuditEntry.objects.get(action="thread.start")
    assert entry.after["client"] == "100001"


def test_manager_cannot_write_to_an_unknown_contract(as_manager):
    response = as_manager.post(
        "/manager/messages/new/", {"contract": "999999", "subject": "x", "body": "y"}
    )
    assert "There is no client with this contract number." in response.content.decode()
    assert not Thread.objects.exists()


def test_closed_client_cannot_start_a_thread(make_client, make_client_user):
    closed = make_client(status="closed")
    http = logged_in(make_client_user(closed, "closed@example.com"))
    response = start(http)
    assert response.status_code == 200
    assert "The contract is closed" in response.content.decode()
    assert not Thread.objects.exists()


def test_client_sees_only_own_company_threads(as_client, as_other_client):
    start(as_other_client, subject="Theirs", files=[upload("a.pdf", PDF)])
    theirs = Thread.objects.get()
    attachment = MessageAttachment.objects.get()
    assert "Theirs" not in as_client.get("/cabinet/messages/").content.decode()
    assert as_client.get(f"/cabinet/messages/{theirs.pk}/").status_code == 404
    assert reply(as_client, theirs, "Intruding").status_code == 404
    assert as_client.get(f"/cabinet/messages/files/{attachment.pk}/").status_code == 404
    assert Message.objects.count() == 1


# --- Attachments -------------------------------------------------------------------------------


def test_attachment_is_kept_privately_and_downloaded_by_the_company_and_managers(
    as_client, as_manager, settings, client
):
    start(as_client, files=[upload("scan.pdf", PDF, "application/pdf")])
    attachment = MessageAttachment.objects.get()
    assert (attachment.name, attachment.content_type, attachment.size) == (
        "scan.pdf",
        "application/pdf",
        len(PDF),
    )
    path = attachment.file.path
    assert path.startswith(str(settings.MEDIA_ROOT / "private" / "messages"))
    assert "scan" not in path  # stored under a random name
    for http, url in [
        (as_client, f"/cabinet/messages/files/{attachment.pk}/"),
        (as_manager, f"/manager/messages/files/{attachment.pk}/"),
    ]:
        response = http.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="scan.pdf"'
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    # Never served statically, and never to an anonymous visitor.
    relative = path.split(str(settings.MEDIA_ROOT))[1]
    assert client.get(f"/media{relative}", follow=True).status_code == 404
    assert client.get(f"/cabinet/messages/files/{attachment.pk}/").status_code == 302


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("big.pdf", PDF + b"0" * 2048, "“big.pdf” is too large"),
        ("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00program", "“invoice.pdf” is not a file type"),
        ("page.png", b"<html><script>x</script>\x00", "“page.png” is not a file type"),
        ("empty.txt", b"", "The submitted file is empty."),
    ],
)
def test_refused_attachment_sends_nothing(as_client, settings, name, content, error):
    settings.KABINET_ATTACHMENT_MAX_BYTES = 1024
    response = start(as_client, files=[upload(name, content, "application/pdf")])
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Thread.objects.exists()
    assert not MessageAttachment.objects.exists()
    assert not Notification.objects.exists()


def test_too_many_attachments_are_refused(as_client, settings):
    settings.KABINET_ATTACHMENT_MAX_FILES = 2
    files = [upload(f"{i}.pdf", PDF) for i in range(3)]
    response = start(as_client, files=files)
    assert "Attach at most 2 files." in response.content.decode()
    assert not Thread.objects.exists()


def test_type_is_judged_by_content_not_by_name(as_client):
    start(as_client, files=[upload("photo.pdf", PNG, "application/pdf"), upload("notes", b"hi\n")])
    names = list(MessageAttachment.objects.order_by("id").values_list("name", "content_type"))
    assert names == [("photo.pdf.png", "image/png"), ("notes.txt", "text/plain")]


def test_manager_reply_with_a_file_is_downloadable_by_the_client(as_client, as_manager):
    start(as_client)
    thread = Thread.objects.get()
    reply(as_manager, thread, "The act", files=[upload("act.pdf", PDF)], side="manager")
    attachment = MessageAttachment.objects.get()
    page = as_client.get(f"/cabinet/messages/{thread.pk}/").content.decode()
    assert f"/cabinet/messages/files/{attachment.pk}/" in page
    assert as_client.get(f"/cabinet/messages/files/{attachment.pk}/").status_code == 200


def test_another_companys_file_is_refused_to_a_client(as_client, as_other_client, as_manager):
    start(as_client, files=[upload("mine.pdf", PDF)])
    attachment = MessageAttachment.objects.get()
    assert as_other_client.get(f"/cabinet/messages/files/{attachment.pk}/").status_code == 404
    # The manager's download URL is not theirs either.
    assert as_other_client.get(f"/manager/messages/files/{attachment.pk}/").status_code == 403


# --- Fixed query counts ------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["cabinet", "manager"])
def test_thread_pages_run_fixed_queries(as_client, as_manager, side, django_assert_max_num_queries):
    http = as_client if side == "cabinet" else as_manager

    def write(n):
        for i in range(n):
            start(as_client, subject=f"Question {i}", files=[upload("a.pdf", PDF)])
            thread = Thread.objects.latest("pk")
            reply(as_manager, thread, "Answer", files=[upload("b.pdf", PDF)], side="manager")

    write(2)
    thread = Thread.objects.latest("pk")
    counts = {}
    for url in (f"/{side}/messages/", f"/{side}/messages/{thread.pk}/"):
        with django_assert_max_num_queries(40) as captured:
            http.get(url)
        counts[url] = len(captured.captured_queries)
    write(6)
    for _ in range(5):
        reply(as_client, thread, "More", files=[upload("c.pdf", PDF)])
    for url, count in counts.items():
        with django_assert_max_num_queries(count):
            http.get(url)
