from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kabinet.notifications.models import Category, EmailStatus, Notification, NotificationPreference
from kabinet.notifications.services import (
    notification_deliver_email,
    notification_retry_due_emails,
    notification_send,
)

pytestmark = pytest.mark.django_db


def send(users, **kwargs):
    defaults = {
        "category": Category.TARIFF,
        "title": "Новые цены",
        "body": "С 1 декабря",
        "url": "/cabinet/",
    }
    defaults.update(kwargs)
    return notification_send(users=users, **defaults)


def test_notice_appears_in_cabinet_with_unread_count(
    as_client, client_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send([client_user])
    page = as_client.get("/account/notifications/")
    body = page.content.decode()
    assert "Новые цены" in body
    assert page.context["unread_notifications"] == 1
    assert 'data-testid="unread-count">1<' in body


def test_notice_is_emailed_by_a_task(client_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        (notice,) = send([client_user])
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [client_user.email]
    assert mail.outbox[0].subject == "Новые цены"
    assert "http://127.0.0.1:8000/cabinet/" in mail.outbox[0].body
    notice.refresh_from_db()
    assert notice.email_status == EmailStatus.SENT


def test_each_user_gets_the_notice_in_their_language(make_user, django_capture_on_commit_callbacks):
    ru = make_user("ru@example.com", language="ru")
    en = make_user("en@example.com", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        send(
            [ru, en],
            title=gettext_lazy("Your contract %(contract)s is suspended"),
            params={"contract": "100001"},
            category=Category.SYSTEM,
        )
    titles = dict(Notification.objects.values_list("user__email", "title"))
    assert titles["en@example.com"] == "Your contract 100001 is suspended"
    assert titles["ru@example.com"] != titles["en@example.com"]
    assert "100001" in titles["ru@example.com"]


def test_opted_out_category_is_not_emailed_but_shown(
    client_user, django_capture_on_commit_callbacks
):
    NotificationPreference.objects.create(
        user=client_user, category=Category.TARIFF, by_email=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        (notice,) = send([client_user])
    assert mail.outbox == []
    assert notice.email_status == EmailStatus.NONE
    assert Notification.objects.filter(user=client_user).count() == 1


def test_preferences_form_saves_choices(as_client, client_user):
    response = as_client.post(
        "/account/notifications/settings/", {"email_categories": ["payment", "system"]}
    )
    assert response.status_code == 302
    off = set(
        NotificationPreference.objects.filter(user=client_user, by_email=False).values_list(
            "category", flat=True
        )
    )
    assert off == set(Category.values) - {"payment", "system"}


def test_preferences_form_refuses_unknown_category(as_client, client_user):
    response = as_client.post("/account/notifications/settings/", {"email_categories": ["bogus"]})
    assert response.status_code == 200
    assert not NotificationPreference.objects.exists()


def test_failed_email_is_retried_later_and_sent_once(
    client_user, django_capture_on_commit_callbacks
):
    with (
        mock.patch(
            "django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("SMTP down")
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        (notice,) = send([client_user])
    notice.refresh_from_db()
    assert notice.email_status == EmailStatus.PENDING
    assert notice.email_attempts == 1
    assert "SMTP down" in notice.email_last_error
    assert notice.email_next_attempt_at > timezone.now()
    assert mail.outbox == []
    # Not yet due: nothing happens.
    assert notification_retry_due_emails() == 0
    Notification.objects.update(email_next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert notification_retry_due_emails() == 1
    assert len(mail.outbox) == 1
    # Running delivery again does not send twice.
    assert notification_deliver_email(notification_id=notice.pk) is False
    assert len(mail.outbox) == 1


def test_email_gives_up_after_max_attempts(
    client_user, settings, django_capture_on_commit_callbacks
):
    settings.KABINET_EMAIL_MAX_ATTEMPTS = 2
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("down")):
        with django_capture_on_commit_callbacks(execute=True):
            (notice,) = send([client_user])
        Notification.objects.update(email_next_attempt_at=timezone.now())
        notification_retry_due_emails()
    notice.refresh_from_db()
    assert notice.email_status == EmailStatus.FAILED
    assert notice.email_attempts == 2


def test_mark_read_one_and_all(as_client, client_user):
    a, _b, _c = (send([client_user], title=t)[0] for t in "abc")
    as_client.post("/account/notifications/read/", {"id": [str(a.pk)]})
    assert set(
        Notification.objects.filter(read_at__isnull=True).values_list("title", flat=True)
    ) == {"b", "c"}
    as_client.post("/account/notifications/read/", {"all": "1"})
    assert not Notification.objects.filter(read_at__isnull=True).exists()


@pytest.mark.parametrize("junk", ["99999999999999999999999", "²", "١٢", "-1", "1e3"])
def test_mark_read_with_ids_that_are_not_ids_marks_nothing(as_client, client_user, junk):
    send([client_user])
    response = as_client.post("/account/notifications/read/", {"id": [junk]})
    assert response.status_code == 302
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_user_cannot_touch_another_users_notice(as_client, other_client_user):
    (theirs,) = send([other_client_user])
    as_client.post("/account/notifications/read/", {"id": [str(theirs.pk)]})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert as_client.post(f"/account/notifications/{theirs.pk}/open/").status_code == 404
    assert "Новые цены" not in as_client.get("/account/notifications/").content.decode()


def test_open_marks_read_and_follows_only_local_links(as_client, client_user):
    (local,) = send([client_user], url="/cabinet/company/")
    (evil,) = send([client_user], url="https://evil.example/")
    assert (
        as_client.post(f"/account/notifications/{local.pk}/open/")["Location"]
        == "/cabinet/company/"
    )
    assert (
        as_client.post(f"/account/notifications/{evil.pk}/open/")["Location"]
        == "/account/notifications/"
    )
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_inactive_users_get_nothing(client_user):
    client_user.is_active = False
    client_user.save()
    assert send([client_user]) == []


def test_notification_list_runs_fixed_queries(
    as_client, client_user, django_assert_max_num_queries
):
    send([client_user])
    with django_assert_max_num_queries(12) as small:
        as_client.get("/account/notifications/")
    small_count = len(small.captured_queries)
    for i in range(40):
        send([client_user], title=f"n{i}")
    with django_assert_max_num_queries(small_count):
        as_client.get("/account/notifications/")


def test_written_text_with_percent_signs_is_shown_as_written(client_user):
    (notice,) = send(
        [client_user],
        title=gettext_lazy("Your contract %(contract)s is suspended"),
        body="Скидка 50%d, %(contract)s и %s остаются как есть",
        params={"contract": "100001"},
        category=Category.SYSTEM,
    )
    assert notice.title == "Your contract 100001 is suspended"
    assert notice.body == "Скидка 50%d, %(contract)s и %s остаются как есть"


def test_the_bell_count_is_read_with_the_signed_in_user(
    as_client, client_user, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kabinet.accounts.backends import EmailBackend
    from kabinet.notifications.services import notification_mark_read

    with django_capture_on_commit_callbacks(execute=True):
        first, _second = send([client_user]) + send([client_user], title="Второе")
    with CaptureQueriesContext(connection) as queries:
        page = as_client.get("/cabinet/")
    assert 'data-testid="unread-count">2<' in page.content.decode()
    counts = [q["sql"] for q in queries if q["sql"].startswith('SELECT COUNT("notifications')]
    assert counts == []  # no query of its own: it came with the user

    # A view that marks notices read and renders in the same request counts again.
    user = EmailBackend().get_user(client_user.pk)
    assert user.unread_notifications == 2
    assert notification_mark_read(user=user, ids=[first.pk]) == 1
    assert user.unread_notifications is None
    response = as_client.post("/account/notifications/read/", {"id": [first.pk]}, follow=True)
    assert response.context["unread_notifications"] == 1
    assert 'data-testid="unread-count">1<' in response.content.decode()
