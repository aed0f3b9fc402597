"""Every form of every cabinet under hostile input (hypothesis).

For each POST view (walked from the URLconf, so a new one without an entry fails
``test_every_post_view_has_a_fuzz_entry``), examples mix valid fields, script payloads,
unicode, huge strings, NUL bytes, bad numbers and dates, missing, duplicated and unknown
fields, and other companies' objects. Every answer:

- is never a 500 (the test client re-raises any exception);
- shows no script that came from the input (``fuzzkit.assert_no_script``);
- when refused (not a redirect, or a redirect with an error message), changes nothing:
  every table's rows are the same before and after;
- when accepted, the pages that show what was stored, and the e-mails sent, carry no
  executable script.

The signed gateway endpoints are fuzzed in ``kabinet/payments/tests/test_fuzz.py``; the
editor (Wagtail) in ``test_fuzz_editor.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import event, given
from hypothesis import strategies as st

from kabinet.accounting.services import invoice_issue, invoice_periods
from kabinet.accounts import twofactor
from kabinet.accounts.models import Membership, UserSession
from kabinet.accounts.services import invitation_create
from kabinet.catalog.models import TariffOffer, Visibility
from kabinet.conftest import PASSWORD, english_client, logged_in
from kabinet.continuity.services import bar_add, credit_take
from kabinet.core.models import RateLimitBucket
from kabinet.lib.signing import generate_key_pair
from kabinet.lib.totp import secret_bytes, totp
from kabinet.messaging.services import thread_start
from kabinet.notifications.models import Category
from kabinet.notifications.services import notification_send
from kabinet.numbers import services as numbers
from kabinet.numbers.models import CallCategory
from kabinet.payments.models import Channel, Payment, PaymentStatus
from kabinet.payments.tests.peer import FakeGateway, PeerKey, load_public
from kabinet.servicedesk.models import RequestKind, Rule
from kabinet.servicedesk.services import request_create

from .fuzzkit import (
    BROKEN,
    FUZZ,
    JUNK,
    MISSING,
    TEXT,
    assert_no_script,
    assert_no_script_in_mail,
    changed,
    db_state,
    error_messages,
    success_messages,
    upload_strategy,
)

# --- the world every example runs in ---------------------------------------------------------


@dataclass
class World:
    objects: dict[str, Any] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.objects[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


@pytest.fixture
def fake_gateway(settings, tmp_path):
    gateway_key = PeerKey()
    _private, public, _kid = generate_key_pair(tmp_path / "keys", "site")
    _gw_private, gw_public = gateway_key.write(tmp_path / "keys", "gateway")
    settings.KABINET_SITE_PRIVATE_KEY = str(_private)
    settings.KABINET_GATEWAY_PUBLIC_KEYS = [str(gw_public)]
    settings.KABINET_MERCHANT_ID = "kabinet-test"
    settings.KABINET_GATEWAY_TIMEOUT = 3
    gateway = FakeGateway(gateway_key, load_public(public), "kabinet-test").start()
    settings.KABINET_GATEWAY_URL = gateway.url
    yield gateway
    gateway.stop()


class Clock:
    """The clock the TOTP codes are checked against; each example moves it a step on."""

    def __init__(self) -> None:
        self.now = 1_750_000_020.0  # the start of a 30-second step

    def time(self) -> float:
        return self.now


@pytest.fixture
def totp_clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr("kabinet.lib.totp.time", fake)
    return fake


@pytest.fixture
def world(
    company,
    other_company,
    client_user,
    colleague,
    other_client_user,
    manager,
    editor,
    service,
    make_tariff,
    subscribe,
    make_client_user,
    fake_gateway,
    totp_clock,
) -> World:
    public = make_tariff("public")
    second = make_tariff("second", monthly="990.00")
    exclusive = make_tariff("vip", visibility=Visibility.EXCLUSIVE)
    TariffOffer.objects.create(tariff=exclusive, client=other_company)
    subscription = subscribe(company, public)
    other_subscription = subscribe(other_company, public)
    own_request = request_create(
        user=client_user, client=company, kind=RequestKind.OTHER, subject="Счёт", text="Нужен"
    )
    other_request = request_create(
        user=other_client_user,
        client=other_company,
        kind=RequestKind.OTHER,
        subject="Акт",
        text="Нужен акт",
    )
    thread = thread_start(author=client_user, client=company, subject="Вопрос", body="Текст")
    other_thread = thread_start(
        author=other_client_user, client=other_company, subject="Чужой", body="Текст"
    )
    (notice,) = notification_send(users=[client_user], category=Category.SYSTEM, title="Hi")
    (other_notice,) = notification_send(
        users=[other_client_user], category=Category.SYSTEM, title="Hi"
    )
    invitation, token = invitation_create(
        actor=manager, client=company, email="inv@baltlog.example"
    )
    other_invitation, _ = invitation_create(
        actor=manager, client=other_company, email="inv@nevtex.example"
    )
    rule = Rule.objects.create(name="Правило", action="assign", created_by=manager)
    Rule.objects.create(name="Второе", action="assign", created_by=manager, position=1)
    held = Payment.objects.create(
        client=company,
        channel=Channel.CARD,
        status=PaymentStatus.AUTHORIZED,
        amount=Decimal("1500.00"),
        gateway_payment_id="gw-held",
    )
    captured = Payment.objects.create(
        client=company,
        channel=Channel.CARD,
        status=PaymentStatus.CAPTURED,
        amount=Decimal("1500.00"),
        captured_amount=Decimal("1500.00"),
        gateway_payment_id="gw-captured",
        flagged=True,
        flag_reason="check",
    )
    period = timezone.localdate().replace(day=1)
    invoice = invoice_issue(
        client=company, actor=client_user, amount=Decimal("2400.00"), period=period
    )
    other_invoice = invoice_issue(
        client=other_company, actor=other_client_user, amount=Decimal("900.00"), period=period
    )
    # A promised payment of the other company (its balance is 0: low), and a bar to lift.
    credit = credit_take(client=other_company, actor=other_client_user, amount=Decimal("100.00"))
    bar = bar_add(client=other_company, actor=manager, reason="Просрочки")
    # Numbers of both companies, and the other company's labelling application in moderation.
    for owner, number in ((company, "78124001001"), (company, "78124001002")):
        numbers.number_assign(
            client_id=owner.pk, number=number, subscription_id=None, at=timezone.now()
        )
    numbers.number_assign(
        client_id=other_company.pk, number="78124002002", subscription_id=None, at=timezone.now()
    )
    label = numbers.label_apply(
        client=other_company,
        actor=other_client_user,
        brand="",
        category=CallCategory.objects.get(code="other"),
        display_text="Невский текстиль",
        numbers=["78124002002"],
        consent=numbers.consent_current(),  # type: ignore[arg-type]
        ip=None,
    )
    mail.outbox.clear()
    return World(
        objects={
            "credit": credit,
            "bar": bar,
            "label": label,
            "category": CallCategory.objects.get(code="delivery"),
            "invoice": invoice,
            "other_invoice": other_invoice,
            "company": company,
            "other_company": other_company,
            "service": service,
            "public": public,
            "second": second,
            "exclusive": exclusive,
            "subscription": subscription,
            "other_subscription": other_subscription,
            "own_request": own_request,
            "other_request": other_request,
            "thread": thread,
            "other_thread": other_thread,
            "notice": notice,
            "other_notice": other_notice,
            "invitation_token": token,
            "invitation": invitation,
            "other_invitation": other_invitation,
            "rule": rule,
            "held": held,
            "captured": captured,
            "colleague_membership": Membership.objects.get(user=colleague),
            "other_membership": Membership.objects.get(user=other_client_user),
            "parameter": service.parameters.get(code="lines"),
            "reset_user": client_user,
            "other_client_user": other_client_user,
            "clock": totp_clock,
        },
        users={
            "anon": None,
            "client": client_user,
            "manager": manager,
            "editor": editor,
        },
    )


# --- entries: one per POST view ----------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    name: str  # the URL name
    persona: str  # anon, client, manager, editor
    path: Callable[[World], str]
    fields: Callable[[World], dict[str, st.SearchStrategy]] = lambda w: {}
    # The same view on another company's object: always 404, never a change.
    foreign: Callable[[World], str] | None = None
    # Tables a refused request may still write, by design (with the reason in a comment).
    may_change: frozenset[str] = frozenset()
    # Pages that show what an accepted request stored, as (persona, path).
    show: Callable[[World], list[tuple[str, str]]] = lambda w: []
    prepare: Callable[[Any, World], None] | None = None
    # Whether an answer means accepted, where "a redirect without an error message" does
    # not fit: recovery codes are shown on the answer itself (never kept in the session for
    # a page after a redirect); a bulk action reports the requests it could not decide.
    accepted: Callable[[Any], bool] | None = None


def money(low: str = "10", high: str = "500000") -> st.SearchStrategy:
    return st.decimals(Decimal(low), Decimal(high), places=2).map(str)


def choice(*values: str) -> st.SearchStrategy:
    return st.sampled_from(values)


def pk_of(*names: str) -> Callable[[World], st.SearchStrategy]:
    return lambda w: st.sampled_from([str(getattr(w, n).pk) for n in names])


EMAIL = st.sampled_from(["new.person@baltlog.example", "Иван@пример.рф", "x@y.z"]) | st.from_regex(
    r"[a-z]{1,8}@[a-z]{1,8}\.example", fullmatch=True
)
DIGITS = st.from_regex(r"[1-9][0-9]{5}", fullmatch=True)
FILES = st.lists(upload_strategy(), max_size=3)
SCHEMA_VALUES = {
    "lines": st.integers(1, 30).map(str),
    "caller_id": choice("on", "off", ""),
    "delay": choice("0", "15"),
    "prefix": st.from_regex(r"[1-9][0-9]?", fullmatch=True),
}
PRICES = {
    name: money("0", "100000")
    for name in (
        "monthly_fee",
        "setup_fee",
        "per_minute_local",
        "per_minute_long_distance",
        "per_minute_international",
    )
}
GATEWAY_RECORDS = frozenset({"payments.GatewayOperation", "payments.GatewayMessage"})


def client_form(w: World) -> dict[str, st.SearchStrategy]:
    return {
        "contract_number": DIGITS,
        "name": TEXT,
        "inn": st.sampled_from(["7801234567", "500100732259", "7707083893"]),
        "kpp": st.sampled_from(["", "781001001"]),
        "legal_address": TEXT,
        "postal_address": TEXT,
        "contact_person": TEXT,
        "contact_phone": st.sampled_from(["+78121234567", "", "8 (812) 123-45-67"]),
        "contact_email": st.sampled_from(["", "boss@baltlog.example"]),
        "manager": st.just(str(w.users["manager"].pk)),
        "note": TEXT,
    }


def rule_form(w: World) -> dict[str, st.SearchStrategy]:
    return {
        "name": TEXT,
        "kind": choice("", *RequestKind.values),
        "service": choice("", str(w.service.pk)),
        "tariff_visibility": choice("", *Visibility.values),
        "client_status": choice("", "active", "suspended"),
        "min_balance": choice("", "0", "-100.50", "1000"),
        "parameter_code": choice("", "lines"),
        "parameter_min": choice("", "1", "5"),
        "parameter_max": choice("", "10", "30"),
        "action": choice("apply", "assign", "reject"),
        "assign_to": choice("", str(w.users["manager"].pk)),
        "message": TEXT,
    }


def parameter_form(w: World) -> dict[str, st.SearchStrategy]:
    return {
        "code": st.from_regex(r"[a-z][a-z_]{1,10}", fullmatch=True),
        "type": choice("bool", "int", "choice", "phone", "text"),
        "label": TEXT,
        "label_en": TEXT,
        "help": TEXT,
        "help_en": TEXT,
        "default": choice("", "yes", "1", "a"),
        "min_value": choice("", "0", "1"),
        "max_value": choice("", "10", "100"),
        "pattern": choice("", "[0-9]+", "(", "a{1,3}"),
        "required": choice("", "on"),
        "client_editable": choice("", "on"),
        "needs_approval": choice("", "on"),
        "position": st.integers(0, 100).map(str),
        "choices_text": choice("", "a | А | A\nb | Б | B", "| x"),
    }


def tariff_form(w: World) -> dict[str, st.SearchStrategy]:
    return {
        "code": st.from_regex(r"[a-z][a-z0-9-]{1,10}", fullmatch=True),
        "name": TEXT,
        "name_en": TEXT,
        "description": TEXT,
        "description_en": TEXT,
        "visibility": choice(*Visibility.values),
    }


def past_date() -> st.SearchStrategy:
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    return st.integers(0, 4 * 366).map(lambda days: (today - timedelta(days=days)).isoformat())


def later_date() -> st.SearchStrategy:
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    return st.integers(-5, 2000).map(lambda d: (today + timedelta(days=d)).isoformat())


# --- two-factor sign-in and sessions ---------------------------------------------------------


def _code(w: World, secret: str, steps: int = 0) -> str:
    return totp(secret_bytes(secret), w.clock.now + 30 * steps)


def _fresh_codes(w: World) -> None:
    """A new TOTP step (so the current code is unused) and no wrong codes counted yet.

    Wrong codes count against the rate limits across examples; without the reset every
    example after the fifth would be refused as throttled and the right code never tried.
    Throttling itself is tested in kabinet/accounts/tests/test_twofactor.py.
    """
    w.clock.now += 30
    RateLimitBucket.objects.all().delete()


def _enrolled(http, w: World) -> None:
    """The client user has two-factor sign-in on (again, when an example turned it off)."""
    user = w.users["client"]
    _fresh_codes(w)
    if not twofactor.twofactor_enabled(user=user):
        secret = twofactor.twofactor_setup_secret(user=user)
        w.objects["recovery_codes"] = twofactor.twofactor_enable(user=user, code=_code(w, secret))
        w.objects["totp_secret"] = secret
        w.clock.now += 30


def _setting_up(http, w: World) -> None:
    _fresh_codes(w)
    w.objects["pending_secret"] = twofactor.twofactor_setup_secret(user=w.users["client"])


def _half_signed_in(http, w: World) -> None:
    """Enrolled, and the password step done in this browser: the code step is next."""
    _enrolled(http, w)
    response = http.post(
        "/login/",
        {"username": w.users["client"].email, "password": PASSWORD, "next": "/cabinet/billing/"},
    )
    assert response["Location"] == "/login/code/"


def _another_session(http, w: World) -> None:
    """The client user also signed in on another device; the other company's user too."""
    for user, name in ((w.users["client"], "own_session"), (w.other_client_user, "other_session")):
        logged_in(user)
        w.objects[name] = UserSession.objects.filter(user=user).latest("pk")


def totp_codes(w: World, secret: str = "") -> st.SearchStrategy:
    """The right code (as typed: spaced, or not), a used, a wrong and a far-away one, junk."""
    secret = secret or w.totp_secret
    right = _code(w, secret)
    return st.one_of(
        st.sampled_from([right, f"{right[:3]} {right[3:]}", f" {right}\t"]),
        st.sampled_from([_code(w, secret, -1), _code(w, secret, 20), "000000", "12345"]),
        st.sampled_from(["١٢٣٤٥٦", "１２３４５６", "²³⁴⁵⁶⁷", "12345６", "123456789012"]),
        JUNK,
    )


def confirmation(w: World) -> st.SearchStrategy:
    """What confirms a change to the second factor: a code from the app or the password."""
    return st.one_of(
        st.just(PASSWORD),
        totp_codes(w),
        st.sampled_from(["wrong-password", PASSWORD.upper(), f" {PASSWORD}", "\x00"]),
    )


def recovery_codes(w: World) -> st.SearchStrategy:
    """Saved codes (some already used by earlier examples), as typed, and wrong ones."""
    saved = w.recovery_codes
    return st.one_of(
        st.sampled_from(saved),
        st.sampled_from(saved).map(lambda c: c.upper().replace("-", " ")),
        st.sampled_from(["aaaaa-aaaaa", saved[0][:-1], "ааааа-ааааа", "２３４５６-７８９ab"]),
        JUNK,
    )


def shows_recovery_codes(response) -> bool:
    return response.status_code == 200 and "accounts/security/recovery_codes.html" in [
        t.name for t in response.templates
    ]


def notice_show(w: World) -> list[tuple[str, str]]:
    return [("client", "/account/notifications/"), ("client", "/cabinet/")]


ENTRIES: list[Entry] = [
    # Public: signing in, password reset, invitations, language, paying.
    Entry(
        "login",
        "anon",
        lambda w: "/login/",
        lambda w: {
            "username": st.sampled_from(["boss@baltlog.example", "nobody@example.com"]),
            "password": st.sampled_from([PASSWORD, "wrong"]),
            "next": st.sampled_from(["/cabinet/", "https://evil.example/", "javascript:alert(1)"]),
        },
    ),
    Entry(
        "login_code",
        "anon",
        lambda w: "/login/code/",
        lambda w: {"code": totp_codes(w)},
        prepare=_half_signed_in,
    ),
    Entry(
        "login_recovery",
        "anon",
        lambda w: "/login/recovery/",
        lambda w: {"code": recovery_codes(w)},
        prepare=_half_signed_in,
        show=lambda w: [("client", "/account/notifications/")],
    ),
    Entry(
        "logout",
        "client",
        lambda w: "/logout/",
    ),
    Entry(
        "password_reset",
        "anon",
        lambda w: "/password-reset/",
        lambda w: {"email": st.sampled_from(["boss@baltlog.example", "nobody@example.com"])},
    ),
    Entry(
        "password_reset_confirm",
        "anon",
        lambda w: (
            f"/password-reset/{urlsafe_base64_encode(force_bytes(w.reset_user.pk))}/set-password/"
        ),
        lambda w: {
            "new_password1": st.sampled_from(["Zx9!long-enough", "123", "password"]),
            "new_password2": st.sampled_from(["Zx9!long-enough", "other"]),
        },
        prepare=lambda http, w: http.get(
            f"/password-reset/{urlsafe_base64_encode(force_bytes(w.reset_user.pk))}/"
            f"{default_token_generator.make_token(w.reset_user)}/"
        ),
    ),
    Entry(
        "invitation_accept",
        "anon",
        lambda w: f"/invite/{w.invitation_token}/",
        lambda w: {
            "first_name": TEXT,
            "last_name": TEXT,
            "password1": st.just("Zx9!long-enough"),
            "password2": st.sampled_from(["Zx9!long-enough", "other"]),
        },
        show=lambda w: [("anon", "/cabinet/company/")],
    ),
    Entry(
        "set_language",
        "client",
        lambda w: "/language/",
        lambda w: {"language": choice("ru", "en"), "next": choice("/cabinet/", "//evil.example")},
    ),
    Entry(
        "site:pay",
        "anon",
        lambda w: "/pay/",
        lambda w: {"contract": choice("100001", "100002"), "amount": money(), "email": EMAIL},
    ),
    # Any signed-in user's account.
    Entry(
        "account:profile",
        "client",
        lambda w: "/account/",
        lambda w: {
            "first_name": TEXT,
            "last_name": TEXT,
            "phone": st.sampled_from(["", "+78121234567"]),
            "language": choice("ru", "en"),
        },
        show=lambda w: [("client", "/cabinet/"), ("manager", f"/manager/clients/{w.company.pk}/")],
    ),
    Entry(
        "account:password_change",
        "client",
        lambda w: "/account/password/",
        lambda w: {
            "old_password": st.sampled_from([PASSWORD, "wrong"]),
            "new_password1": st.just("Zx9!long-enough"),
            "new_password2": st.sampled_from(["Zx9!long-enough", "other"]),
        },
    ),
    Entry(
        "account:notifications_read",
        "client",
        lambda w: "/account/notifications/read/",
        lambda w: {
            "id": st.lists(pk_of("notice", "other_notice")(w), max_size=2),
            "all": choice("", "1"),
            "next": choice("/cabinet/", "https://evil.example/"),
        },
    ),
    Entry(
        "account:notification_open",
        "client",
        lambda w: f"/account/notifications/{w.notice.pk}/open/",
        foreign=lambda w: f"/account/notifications/{w.other_notice.pk}/open/",
    ),
    Entry(
        "account:notification_preferences",
        "client",
        lambda w: "/account/notifications/settings/",
        lambda w: {
            "email_categories": st.lists(choice(*Category.values), max_size=3),
            "sms_categories": st.lists(choice(*Category.values), max_size=3),
        },
    ),
    # Two-factor sign-in and sessions.
    Entry(
        "account:twofactor_setup",
        "client",
        lambda w: "/account/two-factor/setup/",
        lambda w: {"code": totp_codes(w, w.pending_secret)},
        prepare=_setting_up,
        accepted=shows_recovery_codes,
    ),
    Entry(
        "account:twofactor_recovery_codes",
        "client",
        lambda w: "/account/two-factor/recovery-codes/",
        lambda w: {"confirmation": confirmation(w)},
        prepare=_enrolled,
        accepted=shows_recovery_codes,
    ),
    Entry(
        "account:twofactor_disable",
        "client",
        lambda w: "/account/two-factor/turn-off/",
        lambda w: {"confirmation": confirmation(w)},
        prepare=_enrolled,
        show=lambda w: [("client", "/account/notifications/")],
    ),
    Entry(
        "account:session_end",
        "client",
        lambda w: f"/account/sessions/{w.own_session.pk}/end/",
        foreign=lambda w: f"/account/sessions/{w.other_session.pk}/end/",
        prepare=_another_session,
    ),
    Entry(
        "account:sessions_end_others",
        "client",
        lambda w: "/account/sessions/end-others/",
        prepare=_another_session,
    ),
    # The client cabinet.
    Entry(
        "cabinet:company",
        "client",
        lambda w: "/cabinet/company/",
        lambda w: {"email": EMAIL, "membership_role": choice("member", "admin")},
        show=lambda w: [("client", "/cabinet/company/")],
    ),
    Entry(
        "cabinet:member_block",
        "client",
        lambda w: f"/cabinet/company/users/{w.colleague_membership.pk}/block/",
        lambda w: {"active": choice("0", "1")},
        foreign=lambda w: f"/cabinet/company/users/{w.other_membership.pk}/block/",
    ),
    Entry(
        "cabinet:invitation_revoke",
        "client",
        lambda w: f"/cabinet/company/invitations/{w.invitation.pk}/revoke/",
        foreign=lambda w: f"/cabinet/company/invitations/{w.other_invitation.pk}/revoke/",
    ),
    Entry(
        "cabinet:subscription_detail",
        "client",
        lambda w: f"/cabinet/services/{w.subscription.pk}/",
        lambda w: SCHEMA_VALUES,
        foreign=lambda w: f"/cabinet/services/{w.other_subscription.pk}/",
    ),
    Entry(
        "cabinet:subscription_tariff",
        "client",
        lambda w: f"/cabinet/services/{w.subscription.pk}/tariff/",
        lambda w: {"tariff": pk_of("second", "exclusive", "public")(w)},
        foreign=lambda w: f"/cabinet/services/{w.other_subscription.pk}/tariff/",
        show=lambda w: [("manager", "/manager/requests/")],
    ),
    Entry(
        "cabinet:subscription_disconnect",
        "client",
        lambda w: f"/cabinet/services/{w.subscription.pk}/disconnect/",
        lambda w: {"text": TEXT},
        foreign=lambda w: f"/cabinet/services/{w.other_subscription.pk}/disconnect/",
        show=lambda w: [("manager", "/manager/requests/")],
    ),
    Entry(
        "cabinet:service_connect",
        "client",
        lambda w: f"/cabinet/services/connect/{w.second.pk}/",
        lambda w: SCHEMA_VALUES,
        foreign=lambda w: f"/cabinet/services/connect/{w.exclusive.pk}/",
        show=lambda w: [("manager", "/manager/requests/")],
    ),
    Entry(
        "cabinet:request_new",
        "client",
        lambda w: "/cabinet/requests/new/",
        lambda w: {"subject": TEXT, "text": TEXT, "attachments": FILES},
        show=lambda w: [("manager", "/manager/requests/"), ("client", "/cabinet/requests/")],
    ),
    Entry(
        "cabinet:request_withdraw",
        "client",
        lambda w: f"/cabinet/requests/{w.own_request.pk}/withdraw/",
        foreign=lambda w: f"/cabinet/requests/{w.other_request.pk}/withdraw/",
    ),
    Entry(
        "cabinet:thread_new",
        "client",
        lambda w: "/cabinet/messages/new/",
        lambda w: {"subject": TEXT, "body": TEXT, "attachments": FILES},
        show=lambda w: [("manager", "/manager/messages/"), ("client", "/cabinet/messages/")],
    ),
    Entry(
        "cabinet:thread_detail",
        "client",
        lambda w: f"/cabinet/messages/{w.thread.pk}/",
        lambda w: {"body": TEXT, "attachments": FILES},
        foreign=lambda w: f"/cabinet/messages/{w.other_thread.pk}/",
        show=lambda w: [("manager", f"/manager/messages/{w.thread.pk}/")],
    ),
    Entry(
        "cabinet:pay",
        "client",
        lambda w: "/cabinet/pay/",
        lambda w: {"amount": money(), "email": EMAIL},
    ),
    # The client cabinet: invoices and reconciliation statements.
    Entry(
        "cabinet:invoice_new",
        "client",
        lambda w: "/cabinet/invoices/new/",
        lambda w: {
            "amount": money("100", "10000000"),
            "period": choice(*(p.isoformat() for p in invoice_periods())),
        },
        show=lambda w: [("client", "/cabinet/invoices/"), ("manager", "/manager/payments/")],
    ),
    Entry(
        "cabinet:invoice_email",
        "client",
        lambda w: f"/cabinet/invoices/{w.invoice.pk}/email/",
        lambda w: {"to": EMAIL, "note": TEXT},
        foreign=lambda w: f"/cabinet/invoices/{w.other_invoice.pk}/email/",
    ),
    Entry(
        "cabinet:invoice_cancel",
        "client",
        lambda w: f"/cabinet/invoices/{w.invoice.pk}/cancel/",
        foreign=lambda w: f"/cabinet/invoices/{w.other_invoice.pk}/cancel/",
        show=lambda w: [("client", f"/cabinet/invoices/{w.invoice.pk}/")],
    ),
    Entry(
        "cabinet:balance_alerts",
        "client",
        lambda w: "/cabinet/balance-alerts/",
        lambda w: {
            "enabled": choice("on", ""),
            "kind": choice("days", "money"),
            "days": st.integers(1, 90).map(str),
            "amount": money("0", "100000"),
            "recipients": st.sampled_from(
                [[], [str(w.colleague_membership.user_id)], [str(w.reset_user.pk)]]
            ),
        },
        show=lambda w: [("client", "/cabinet/payments/"), ("client", "/cabinet/")],
    ),
    # Notices by SMS: the mobile number, confirmed by a code.
    Entry(
        "account:phone_start",
        "client",
        lambda w: "/account/notifications/phone/",
        lambda w: {"number": choice("+7 912 345-67-89", "89123456789", "9123456789") | TEXT},
        may_change=frozenset({"core.RateLimitBucket"}),
        show=lambda w: [("client", "/account/notifications/settings/")],
    ),
    Entry(
        "account:phone_confirm",
        "client",
        lambda w: "/account/notifications/phone/confirm/",
        lambda w: {"code": st.from_regex(r"[0-9]{6}", fullmatch=True) | TEXT},
        # A wrong code is counted against the number (five tries), by design.
        may_change=frozenset({"notifications.MobilePhone"}),
        prepare=lambda http, w: http.post(
            "/account/notifications/phone/", {"number": "+79123456789"}
        ),
    ),
    Entry(
        "account:phone_remove",
        "client",
        lambda w: "/account/notifications/phone/remove/",
        show=lambda w: [("client", "/account/notifications/settings/")],
    ),
    # Promised payments: the client takes one; managers revoke, set the rules, bar and lift.
    Entry(
        "cabinet:promised_payment",
        "client",
        lambda w: "/cabinet/promised-payment/",
        lambda w: {"amount": money("0", "1000") | TEXT, "accept": choice("on", "")},
        show=lambda w: [("client", "/cabinet/promised-payment/"), ("client", "/cabinet/payments/")],
    ),
    Entry(
        "cabinet:auto_invoices",
        "client",
        lambda w: "/cabinet/auto-invoices/",
        lambda w: {
            "enabled": choice("on", ""),
            "days": st.integers(-1, 200).map(str) | TEXT,
            "emails": choice("buh@baltlog.example", "a@b.example c@d.example", "") | TEXT,
        },
        show=lambda w: [("client", "/cabinet/auto-invoices/")],
    ),
    # Card autopay: without a network that saves cards (the fuzzed settings) every try is
    # refused; the consent step and the amount checks are fuzzed in continuity's tests.
    Entry(
        "cabinet:autopay",
        "client",
        lambda w: "/cabinet/autopay/",
        lambda w: {
            "amount": money("0", "100000") | TEXT,
            "first_amount": money("0", "1000") | TEXT,
            "email": choice("buh@baltlog.example", "") | TEXT,
            "consent": TEXT,
            "accept": choice("on", ""),
        },
        show=lambda w: [("client", "/cabinet/autopay/")],
    ),
    Entry(
        "cabinet:autopay_off",
        "client",
        lambda w: "/cabinet/autopay/off/",
        show=lambda w: [("client", "/cabinet/autopay/")],
    ),
    Entry(
        "manager:credit_revoke",
        "manager",
        lambda w: f"/manager/promised-payments/{w.credit.pk}/revoke/",
        lambda w: {"reason": TEXT},
        show=lambda w: [("manager", "/manager/promised-payments/?state=")],
    ),
    Entry(
        "manager:credit_rules",
        "manager",
        lambda w: "/manager/promised-payments/rules/",
        lambda w: {
            "enabled": choice("on", ""),
            "max_amount": money("0", "1000000") | TEXT,
            "max_share": st.integers(-5, 2000).map(str) | TEXT,
            "valid_days": st.integers(-1, 100).map(str) | TEXT,
            "per_30_days": st.integers(-1, 40).map(str) | TEXT,
        },
        show=lambda w: [("manager", "/manager/promised-payments/rules/")],
    ),
    Entry(
        "manager:credit_bar_add",
        "manager",
        lambda w: "/manager/promised-payments/bars/",
        lambda w: {"contract": choice("100001", "100002", "999999") | TEXT, "reason": TEXT},
        show=lambda w: [("manager", "/manager/promised-payments/rules/")],
    ),
    Entry(
        "manager:credit_bar_lift",
        "manager",
        lambda w: f"/manager/promised-payments/bars/{w.bar.pk}/lift/",
        show=lambda w: [("manager", "/manager/promised-payments/rules/")],
    ),
    # Numbers and call labelling: the client files and withdraws; managers moderate and keep
    # the categories and the consent text.
    Entry(
        "cabinet:call_label_apply",
        "client",
        lambda w: "/cabinet/call-labelling/apply/",
        lambda w: {
            "brand": choice("", "БалтЛог") | TEXT,
            "category": choice(str(w.category.pk), "0") | TEXT,
            "display_text": choice("Балтийская логистика", "Я" * 33, "Доставка 😀") | TEXT,
            "numbers": st.sampled_from(
                [["78124001001"], ["78124001001", "78124001002"], ["78124002002"], []]
            ),
            "consent": choice("on", ""),
        },
        show=lambda w: [
            ("client", "/cabinet/call-labelling/"),
            ("client", "/cabinet/numbers/"),
            ("manager", "/manager/call-labelling/"),
        ],
    ),
    Entry(
        "cabinet:call_label_withdraw",
        "client",
        lambda w: "/cabinet/call-labelling/withdraw/",
        show=lambda w: [("client", "/cabinet/call-labelling/")],
    ),
    Entry(
        "manager:call_label_approve",
        "manager",
        lambda w: f"/manager/call-labelling/{w.label.pk}/approve/",
        show=lambda w: [("client", "/cabinet/numbers/"), ("manager", "/manager/call-labelling/")],
    ),
    Entry(
        "manager:call_label_decline",
        "manager",
        lambda w: f"/manager/call-labelling/{w.label.pk}/decline/",
        lambda w: {"reason": TEXT},
        show=lambda w: [("manager", f"/manager/call-labelling/{w.label.pk}/")],
    ),
    Entry(
        "manager:call_label_settings",
        "manager",
        lambda w: "/manager/call-labelling/settings/",
        lambda w: {
            "code": st.from_regex(r"[a-z][a-z0-9-]{1,10}", fullmatch=True) | TEXT,
            "name": TEXT,
            "name_en": TEXT,
            "position": st.integers(-1, 2000).map(str) | TEXT,
        },
        show=lambda w: [("manager", "/manager/call-labelling/settings/")],
    ),
    Entry(
        "manager:call_label_category_toggle",
        "manager",
        lambda w: f"/manager/call-labelling/categories/{w.category.pk}/toggle/",
        show=lambda w: [("client", "/cabinet/call-labelling/apply/")],
    ),
    Entry(
        "manager:call_label_consent",
        "manager",
        lambda w: "/manager/call-labelling/consent/",
        lambda w: {"text": TEXT, "text_en": TEXT},
        show=lambda w: [
            ("manager", "/manager/call-labelling/settings/"),
            ("client", "/cabinet/call-labelling/apply/"),
        ],
    ),
    # Telegram: a one-time deep link to the bot, and unlinking.
    Entry(
        "account:telegram_link",
        "client",
        lambda w: "/account/notifications/telegram/link/",
        may_change=frozenset({"notifications.TelegramLinkToken", "core.RateLimitBucket"}),
        show=lambda w: [("client", "/account/notifications/settings/")],
    ),
    Entry(
        "account:telegram_unlink",
        "client",
        lambda w: "/account/notifications/telegram/unlink/",
        show=lambda w: [("client", "/account/notifications/settings/")],
    ),
    Entry(
        "cabinet:statements",
        "client",
        lambda w: "/cabinet/statements/",
        lambda w: {"date_from": past_date(), "date_to": past_date()},
        show=lambda w: [("client", "/cabinet/statements/")],
    ),
    # The manager cabinet: clients.
    Entry(
        "manager:client_create",
        "manager",
        lambda w: "/manager/clients/new/",
        client_form,
        show=lambda w: [("manager", "/manager/clients/"), ("manager", "/manager/")],
    ),
    Entry(
        "manager:client_edit",
        "manager",
        lambda w: f"/manager/clients/{w.company.pk}/edit/",
        client_form,
        show=lambda w: [("client", "/cabinet/"), ("manager", "/manager/clients/")],
    ),
    Entry(
        "manager:client_status",
        "manager",
        lambda w: f"/manager/clients/{w.other_company.pk}/suspend/",
        lambda w: {
            "status": choice("suspended", "closed"),
            "reason": TEXT,
            "confirm": choice("on"),
        },
        show=lambda w: [("manager", f"/manager/clients/{w.other_company.pk}/")],
    ),
    Entry(
        "manager:client_invite",
        "manager",
        lambda w: f"/manager/clients/{w.company.pk}/invite",
        lambda w: {"email": EMAIL, "membership_role": choice("member", "admin")},
    ),
    Entry(
        "manager:client_user_twofactor_reset",
        "manager",
        lambda w: f"/manager/clients/{w.company.pk}/users/{w.users['client'].pk}/two-factor-reset/",
        lambda w: {"reason": TEXT, "confirm": choice("on", "")},
        # Another company's user under this company's address.
        foreign=lambda w: (
            f"/manager/clients/{w.company.pk}/users/{w.other_client_user.pk}/two-factor-reset/"
        ),
        prepare=_enrolled,
        show=lambda w: [
            ("client", "/account/notifications/"),
            ("manager", f"/manager/clients/{w.company.pk}/"),
        ],
    ),
    # Services and their parameter schemas, tariffs and prices.
    Entry(
        "manager:service_create",
        "manager",
        lambda w: "/manager/services/new/",
        lambda w: {
            "code": st.from_regex(r"[a-z][a-z0-9-]{1,10}", fullmatch=True),
            "name": TEXT,
            "name_en": TEXT,
            "description": TEXT,
            "is_active": choice("on", ""),
            "position": st.integers(0, 100).map(str),
        },
        show=lambda w: [("manager", "/manager/services/")],
    ),
    Entry(
        "manager:service_edit",
        "manager",
        lambda w: f"/manager/services/{w.service.pk}/edit/",
        lambda w: {
            "name": TEXT,
            "name_en": TEXT,
            "description": TEXT,
            "is_active": choice("on"),
            "position": st.integers(0, 100).map(str),
        },
        show=lambda w: [("client", "/cabinet/services/"), ("manager", "/manager/services/")],
    ),
    Entry(
        "manager:service_parameter_create",
        "manager",
        lambda w: f"/manager/services/{w.service.pk}/parameters/new/",
        parameter_form,
        show=lambda w: [
            ("manager", f"/manager/services/{w.service.pk}/"),
            ("client", f"/cabinet/services/{w.subscription.pk}/"),
        ],
    ),
    Entry(
        "manager:service_parameter_edit",
        "manager",
        lambda w: f"/manager/services/{w.service.pk}/parameters/{w.parameter.pk}/",
        lambda w: {k: v for k, v in parameter_form(w).items() if k != "code"},
        show=lambda w: [("client", f"/cabinet/services/{w.subscription.pk}/")],
    ),
    Entry(
        "manager:tariff_create",
        "manager",
        lambda w: f"/manager/tariffs/new/?service={w.service.pk}",
        lambda w: {**tariff_form(w), **PRICES, "service": st.just(str(w.service.pk))},
        show=lambda w: [("manager", "/manager/tariffs/"), ("anon", "/tariffs/")],
    ),
    Entry(
        "manager:tariff_edit",
        "manager",
        lambda w: f"/manager/tariffs/{w.public.pk}/edit/",
        lambda w: {k: v for k, v in tariff_form(w).items() if k != "code"},
        show=lambda w: [("anon", "/tariffs/"), ("client", "/cabinet/services/")],
    ),
    Entry(
        "manager:tariff_prices",
        "manager",
        lambda w: f"/manager/tariffs/{w.public.pk}/prices/",
        lambda w: {**PRICES, "effective_from": later_date(), "step": choice("", "confirm")},
    ),
    Entry(
        "manager:tariff_offers",
        "manager",
        lambda w: f"/manager/tariffs/{w.exclusive.pk}/offers/",
        lambda w: {"contracts": choice("100001", "100002, 100001", "", "999999")},
    ),
    Entry(
        "manager:tariff_move",
        "manager",
        lambda w: f"/manager/tariffs/{w.second.pk}/move/",
        lambda w: {"target": pk_of("public", "exclusive", "second")(w), "confirm": choice("on")},
    ),
    Entry(
        "manager:tariff_delete",
        "manager",
        lambda w: f"/manager/tariffs/{w.exclusive.pk}/delete/",
        lambda w: {"confirm": choice("on")},
    ),
    # Subscriptions.
    Entry(
        "manager:subscription_create",
        "manager",
        lambda w: f"/manager/clients/{w.company.pk}/services/new/",
        lambda w: {
            "tariff": pk_of("public", "second", "exclusive")(w),
            "step": choice("connect", ""),
            **SCHEMA_VALUES,
            "number": choice("", "+78121234567"),
        },
    ),
    Entry(
        "manager:subscription_detail",
        "manager",
        lambda w: f"/manager/subscriptions/{w.subscription.pk}/",
        lambda w: {**SCHEMA_VALUES, "number": choice("", "+78121234567", "+7 812 123-45-67")},
        show=lambda w: [("client", f"/cabinet/services/{w.subscription.pk}/")],
    ),
    Entry(
        "manager:subscription_tariff",
        "manager",
        lambda w: f"/manager/subscriptions/{w.subscription.pk}/tariff/",
        lambda w: {"tariff": pk_of("second", "public", "exclusive")(w)},
    ),
    Entry(
        "manager:subscription_status",
        "manager",
        lambda w: f"/manager/subscriptions/{w.other_subscription.pk}/status/",
        lambda w: {"status": choice("active", "suspended", "closed")},
    ),
    # Requests and rules.
    Entry(
        "manager:request_bulk",
        "manager",
        lambda w: "/manager/requests/bulk/",
        lambda w: {
            "ids": st.lists(pk_of("own_request", "other_request")(w), min_size=1, max_size=2),
            "decision": choice("approve", "reject", "assign"),
            "comment": TEXT,
            "assignee": choice("", str(w.users["manager"].pk)),
            "next": choice("/manager/requests/", "https://evil.example/"),
        },
        show=lambda w: [("client", f"/cabinet/requests/{w.own_request.pk}/")],
        # Each request is decided on its own: one done and one refused is both messages.
        accepted=lambda response: bool(success_messages(response)),
    ),
    Entry(
        "manager:request_assign",
        "manager",
        lambda w: f"/manager/requests/{w.own_request.pk}/assign/",
        lambda w: {"assignee": choice("", "me", str(w.users["manager"].pk))},
    ),
    Entry(
        "manager:request_decide",
        "manager",
        lambda w: f"/manager/requests/{w.other_request.pk}/reject/",
        lambda w: {"comment": TEXT},
        show=lambda w: [("manager", f"/manager/requests/{w.other_request.pk}/")],
    ),
    Entry(
        "manager:rule_new",
        "manager",
        lambda w: "/manager/rules/new/",
        rule_form,
        show=lambda w: [("manager", "/manager/rules/")],
    ),
    Entry(
        "manager:rule_detail",
        "manager",
        lambda w: f"/manager/rules/{w.rule.pk}/",
        rule_form,
        show=lambda w: [
            ("manager", "/manager/rules/"),
            ("manager", f"/manager/rules/{w.rule.pk}/test/"),
        ],
    ),
    Entry(
        "manager:rule_toggle",
        "manager",
        lambda w: f"/manager/rules/{w.rule.pk}/toggle/",
        lambda w: {"enabled": choice("0", "1")},
    ),
    Entry(
        "manager:rule_move",
        "manager",
        lambda w: f"/manager/rules/{w.rule.pk}/move/",
        lambda w: {"direction": choice("up", "down")},
    ),
    Entry(
        "manager:rule_delete",
        "manager",
        lambda w: f"/manager/rules/{w.rule.pk}/delete/",
    ),
    # Messages and notices.
    Entry(
        "manager:thread_new",
        "manager",
        lambda w: "/manager/messages/new/",
        lambda w: {
            "contract": choice("100001", "100002"),
            "subject": TEXT,
            "body": TEXT,
            "attachments": FILES,
        },
        show=lambda w: [("client", "/cabinet/messages/"), ("manager", "/manager/messages/")],
    ),
    Entry(
        "manager:thread_detail",
        "manager",
        lambda w: f"/manager/messages/{w.thread.pk}/",
        lambda w: {"body": TEXT, "attachments": FILES},
        show=lambda w: [("client", f"/cabinet/messages/{w.thread.pk}/")],
    ),
    Entry(
        "manager:notice_new",
        "manager",
        lambda w: "/manager/notices/new/",
        lambda w: {
            "segment": choice("all", "service", "tariff", "status"),
            "service": choice("", str(w.service.pk)),
            "tariff": pk_of("public", "second")(w),
            "client_status": choice("", "active"),
            "title": TEXT,
            "body": TEXT,
            "step": choice("send", ""),
        },
        show=notice_show,
    ),
    # Payments: money-back, refunds, flags (the gateway knows none of these payments, so
    # it refuses; the operation and its messages are kept by design).
    Entry(
        "manager:payment_void",
        "manager",
        lambda w: f"/manager/payments/{w.held.pk}/void/",
        lambda w: {"reason": TEXT, "confirm": choice("on")},
        may_change=GATEWAY_RECORDS,
    ),
    Entry(
        "manager:payment_refund",
        "manager",
        lambda w: f"/manager/payments/{w.captured.pk}/refund/",
        lambda w: {
            "key": st.uuids().map(str),
            "amount": money("0.01", "1500"),
            "reason": TEXT,
            "confirm": choice("on"),
        },
        may_change=GATEWAY_RECORDS,
    ),
    Entry(
        "manager:payment_flag_clear",
        "manager",
        lambda w: f"/manager/payments/{w.captured.pk}/flag/",
        lambda w: {"note": TEXT},
        show=lambda w: [("manager", f"/manager/payments/{w.captured.pk}/")],
    ),
    # The billing exchange: a refused package is kept with its report, by design.
    Entry(
        "manager:exchange_export",
        "manager",
        lambda w: "/manager/exchange/export/",
    ),
    Entry(
        "manager:exchange_import",
        "manager",
        lambda w: "/manager/exchange/import/",
        lambda w: {"file": upload_strategy()},
        may_change=frozenset({"exchange.ExchangePackage"}),
    ),
]
BY_NAME = {entry.name: entry for entry in ENTRIES}

# POST views fuzzed elsewhere.
FUZZED_ELSEWHERE = {
    "site:pay_notify": "kabinet/payments/tests/test_fuzz.py (signed bodies and garbage)",
    "site:pay_terminal": "kabinet/payments/tests/test_fuzz.py (signed requests and garbage)",
    "site:pay_osmp": "kabinet/payments/tests/test_osmp.py (hypothesis over every parameter)",
    "site:pay_yookassa_notify": "kabinet/payments/tests/test_yookassa.py (garbage, lies, replays)",
    "site:telegram_webhook": "kabinet/chatbot/tests/test_webhook.py (forged, replayed, garbage)",
    # Wagtail's front-end views for private pages; the site has no private pages.
    "wagtailcore_authenticate_with_password": "Wagtail's own (page privacy is not used)",
    "wagtailcore_login": "Wagtail's own; WAGTAIL_FRONTEND_LOGIN_URL sends people to /login/",
}
# Views that take any method but read nothing from a POST body: fuzzed with junk bodies by
# test_read_views_ignore_posted_junk.
READ_VIEWS = {
    "sitemap",
    "home_redirect",
    "set_language_link",
    "wagtail_serve",
    "site:tariffs",
    "account:notifications",
    "account:twofactor",
    "account:sessions",
    "cabinet:home",
    "cabinet:services",
    "cabinet:requests",
    "cabinet:request_detail",
    "cabinet:request_attachment",
    "cabinet:threads",
    "cabinet:message_attachment",
    "cabinet:payments",
    "cabinet:payment_receipt",
    "cabinet:billing",
    "cabinet:document_pdf",
    "cabinet:invoices",
    "cabinet:invoice_detail",
    "cabinet:invoice_pdf",
    "cabinet:statement_detail",
    "cabinet:statement_pdf",
    "manager:client_documents",
    "manager:invoice_pdf",
    "manager:statement_pdf",
    "manager:home",
    "manager:client_list",
    "manager:client_detail",
    "manager:audit_log",
    "manager:services",
    "manager:service_detail",
    "manager:tariffs",
    "manager:tariff_detail",
    "manager:requests",
    "manager:request_detail",
    "manager:request_attachment",
    "manager:rules",
    "manager:rule_test",
    "manager:threads",
    "manager:message_attachment",
    "manager:notices",
    "manager:notice_detail",
    "manager:payment_detail",
    "manager:exchange",
    "manager:exchange_package",
    "manager:exchange_download",
    "manager:exchange_reconciliation",
    "manager:exchange_document_pdf",
}
OUT_OF_SCOPE = ("/editor/", "/django-admin/", "/documents/", "/media/", "/help/")


# --- walking the URLconf --------------------------------------------------------------------


def _methods(view: Any) -> set[str] | None:
    """The methods a view accepts, from its decorators; None when it takes any."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return {m.upper() for m in view_class.http_method_names if hasattr(view_class, m)}
    func = view
    while func is not None:
        for cell in func.__closure__ or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if (
                isinstance(value, list | tuple)
                and value
                and all(isinstance(v, str) and v.isupper() for v in value)
            ):
                return set(value)
        func = getattr(func, "__wrapped__", None)
    return None


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            yield from _walk(
                entry.url_patterns,
                prefix + route,
                f"{namespace}:{ns}".strip(":") if ns else namespace,
            )
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, "/" + (prefix + route).lstrip("^/"), entry.callback


def post_views() -> dict[str, str]:
    found = {}
    for name, route, view in _walk(get_resolver().url_patterns):
        if route.startswith(OUT_OF_SCOPE):
            continue
        methods = _methods(view)
        if methods is None or "POST" in methods:
            found[name] = route
    return found


def test_every_post_view_has_a_fuzz_entry():
    views = post_views()
    assert "manager:client_create" in views and "site:pay" in views
    missing = sorted(set(views) - set(BY_NAME) - set(FUZZED_ELSEWHERE) - READ_VIEWS)
    assert missing == [], f"POST views without a fuzz entry in {__name__}: {missing}"
    stale = sorted((set(BY_NAME) | READ_VIEWS) - set(views))
    assert stale == [], f"fuzz entries for views that take no POST: {stale}"


# --- the fuzz ------------------------------------------------------------------------------


def _http(world: World, persona: str):
    user = world.users[persona]
    return english_client() if user is None else logged_in(user)


def _draw_payload(data, fields: dict[str, st.SearchStrategy]) -> dict[str, Any]:
    mode = data.draw(st.sampled_from(["valid", "valid", "one_bad", "chaos"]), label="mode")
    names = list(fields)
    bad = data.draw(st.sampled_from(names), label="bad") if names and mode == "one_bad" else None
    payload: dict[str, Any] = {}
    for name in names:
        broken = mode == "chaos" and data.draw(st.booleans(), label=f"{name} broken")
        if name == bad or broken:
            value = data.draw(BROKEN, label=name)
        else:
            value = data.draw(fields[name], label=name)
        if value is not MISSING:
            payload[name] = value
    if mode == "chaos":
        payload.update(
            data.draw(st.dictionaries(st.sampled_from(["pk", "id", "client", "x"]), JUNK), "extra")
        )
    return payload


@pytest.mark.django_db
@pytest.mark.parametrize("name", [entry.name for entry in ENTRIES])
@FUZZ
@given(data=st.data())
def test_form_under_hostile_input(world, name, data):
    entry = BY_NAME[name]
    http = _http(world, entry.persona)
    if entry.prepare:
        entry.prepare(http, world)
    foreign = entry.foreign is not None and data.draw(st.booleans(), label="foreign")
    path = entry.foreign(world) if foreign else entry.path(world)  # type: ignore[misc]
    payload = _draw_payload(data, entry.fields(world))
    mail.outbox.clear()
    before = db_state()

    response = http.post(path, payload)

    assert response.status_code < 500, response.content[:2000]
    assert_no_script(response, f"POST {path}")
    assert_no_script_in_mail(mail.outbox)
    if entry.accepted is not None:
        refused = not entry.accepted(response)
    else:
        refused = response.status_code != 302 or bool(error_messages(response))
    after = db_state()
    event("foreign" if foreign else "refused" if refused else "accepted")
    if foreign:
        assert response.status_code == 404
    if refused or foreign:
        unexpected = [label for label in changed(before, after) if label not in entry.may_change]
        assert unexpected == [], f"a refused POST {path} ({response.status_code}) changed them"
        return
    location = response.get("Location", "")
    pages = [(entry.persona, location)] if location.startswith("/") else []
    for persona, page in pages + entry.show(world):
        shown = _http(world, persona).get(page)
        assert shown.status_code < 500
        assert_no_script(shown, f"GET {page} after POST {path}")
    assert_no_script_in_mail(mail.outbox)


@pytest.mark.django_db
@FUZZ
@given(
    name=st.sampled_from(sorted(READ_VIEWS)),
    body=st.dictionaries(st.sampled_from(["id", "pk", "status", "q", "next"]), JUNK, max_size=3),
)
def test_read_views_ignore_posted_junk(world, name, body):
    route = post_views()[name]
    from .test_access import _route_to_path

    path = _route_to_path(route.lstrip("/"))
    assert path is not None
    path = "/" + path.lstrip("/")
    persona = (
        "manager"
        if path.startswith("/manager/")
        else "client"
        if path.startswith(("/cabinet/", "/account/"))
        else "anon"
    )
    http = _http(world, persona)
    before = db_state()
    response = http.post(path, body)
    assert response.status_code < 500
    assert_no_script(response, f"POST {path}")
    assert changed(before, db_state()) == []


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["foo", "manager:home", '"><img src=x onerror=alert(1)>'])
def test_a_next_that_is_not_a_path_goes_home_instead(client_user, manager, target):
    as_client, as_manager = logged_in(client_user), logged_in(manager)
    sign_in = english_client().post(
        "/login/", {"username": client_user.email, "password": PASSWORD, "next": target}
    )
    read = as_client.post("/account/notifications/read/", {"all": "1", "next": target})
    bulk = as_manager.post("/manager/requests/bulk/", {"decision": "approve", "next": target})
    language = english_client().get("/language/en/", {"next": target})
    assert [r["Location"] for r in (sign_in, read, bulk, language)] == [
        "/cabinet/",
        "/account/notifications/",
        "/manager/requests/",
        "/",
    ]


@pytest.mark.django_db
def test_parameter_help_written_by_a_manager_is_shown_to_the_client_as_text(
    as_client, company, public_tariff, subscribe, service
):
    subscription = subscribe(company, public_tariff)
    service.parameters.filter(code="lines").update(help_en="<script>alert(1)</script><b>x</b>")
    body = as_client.get(f"/cabinet/services/{subscription.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in body
    assert "<script>alert(1)" not in body


@pytest.mark.django_db
def test_the_snapshot_sees_one_changed_field(company):
    before = db_state()
    type(company).objects.filter(pk=company.pk).update(note="changed")
    assert changed(before, db_state()) == ["accounts.Client"]


@pytest.mark.django_db
def test_the_two_factor_entries_right_values_are_accepted(world):
    """The fuzz above only means something if its 'right' codes really are right."""
    anon = english_client()
    _half_signed_in(anon, world)
    signed_in = anon.post("/login/code/", {"code": _code(world, world.totp_secret)})
    anon = english_client()
    _half_signed_in(anon, world)
    recovered = anon.post("/login/recovery/", {"code": world.recovery_codes[0]})
    as_client = logged_in(world.users["client"])
    _enrolled(as_client, world)
    new_codes = as_client.post("/account/two-factor/recovery-codes/", {"confirmation": PASSWORD})
    _enrolled(as_client, world)
    turned_off = as_client.post(
        "/account/two-factor/turn-off/", {"confirmation": _code(world, world.totp_secret)}
    )
    _setting_up(as_client, world)
    set_up = as_client.post(
        "/account/two-factor/setup/", {"code": _code(world, world.pending_secret)}
    )
    assert [signed_in["Location"], recovered["Location"], turned_off["Location"]] == [
        "/cabinet/billing/",
        "/cabinet/billing/",
        "/account/two-factor/",
    ]
    assert shows_recovery_codes(new_codes) and shows_recovery_codes(set_up)
    assert twofactor.twofactor_enabled(user=world.users["client"])
