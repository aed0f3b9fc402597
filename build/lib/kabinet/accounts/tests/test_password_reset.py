from __future__ import annotations

import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail

from kabinet.conftest import PASSWORD, english_client

pytestmark = pytest.mark.django_db


def request_reset(client, email: str) -> str:
    response = client.post("/password-reset/", {"email": email})
    assert response["Location"] == "/password-reset/sent/"
    match = re.search(r"http://[^\s]+(/password-reset/[^\s]+/)", mail.outbox[-1].body)
    assert match
    return match.group(1)


def test_password_reset_sets_new_password(client, client_user):
    link = request_reset(client, client_user.email)
    response = client.get(link)  # Django swaps the token for a session marker
    assert response.status_code == 302
    form_url = response["Location"]
    response = client.post(
        form_url, {"new_password1": "Brand-New-Pass-9", "new_password2": "Brand-New-Pass-9"}
    )
    assert response["Location"] == "/password-reset/done/"
    client_user.refresh_from_db()
    assert client_user.check_password("Brand-New-Pass-9")


def test_reset_link_works_only_once(client, client_user):
    link = request_reset(client, client_user.email)
    form_url = client.get(link)["Location"]
    client.post(
        form_url, {"new_password1": "Brand-New-Pass-9", "new_password2": "Brand-New-Pass-9"}
    )
    fresh = english_client()
    response = fresh.get(link)
    assert response.status_code == 200
    assert 'data-testid="reset-invalid"' in response.content.decode()


def test_expired_reset_link_is_refused(client, client_user, monkeypatch, settings):
    link = request_reset(client, client_user.email)
    later = default_token_generator._now().timestamp() + settings.PASSWORD_RESET_TIMEOUT + 60
    from datetime import datetime

    monkeypatch.setattr(default_token_generator, "_now", lambda: datetime.fromtimestamp(later))
    response = client.get(link, follow=True)
    assert 'data-testid="reset-invalid"' in response.content.decode()
    client_user.refresh_from_db()
    assert client_user.check_password(PASSWORD)


def test_reset_for_unknown_email_reveals_nothing(client):
    response = client.post("/password-reset/", {"email": "nobody@example.com"})
    assert response["Location"] == "/password-reset/sent/"
    assert mail.outbox == []
