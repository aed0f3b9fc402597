import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from paysim.__main__ import main
from paysim.tests.conftest import KeyPair
from paysim.tests.fakesite import Answer, FakeSite, Received

SiteFactory = Callable[..., FakeSite]


def _xml(code: int, authcode: str = "", date: str = "", message: str = "OK") -> bytes:
    return (
        f"<response><code>{code}</code><authcode>{authcode}</authcode>"
        f"<date>{date}</date><message>{message}</message></response>"
    ).encode()


def _terminal_site(signing: str = "ok") -> Callable[[Received], Answer]:
    """Accepts contract 100001 only; answers like the spec's terminal endpoint."""

    def respond(request: Received) -> Answer:
        if request.signature_error is not None:
            return 403, _xml(-4, message=request.signature_error), signing
        query = urlsplit(request.path).query if request.method == "GET" else ""
        fields = parse_qs(query or request.body.decode())
        number = fields.get("number", [""])[0]
        if fields["action"][0] in ("check", "payment") and number != "100001":
            return 200, _xml(2, message="account not found"), signing
        return 200, _xml(0, "pay-42", "2026-11-24T10:15:00"), signing

    return respond


@pytest.fixture
def terminal_env(
    monkeypatch: pytest.MonkeyPatch, gateway_keys: KeyPair, site_keys: KeyPair
) -> Callable[[FakeSite], None]:
    def configure(site: FakeSite) -> None:
        monkeypatch.setenv("PAYSIM_SITE_URL", site.url)
        monkeypatch.setenv("PAYSIM_PRIVATE_KEY", str(gateway_keys.private_path))
        monkeypatch.setenv("PAYSIM_TRUSTED_KEYS", str(site_keys.public_path))

    return configure


def test_terminal_pay_sends_signed_form_and_prints_the_answer(
    make_site: SiteFactory,
    terminal_env: Callable[[FakeSite], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    site = make_site(_terminal_site())
    terminal_env(site)

    code = main(
        [
            "terminal",
            "pay",
            "--contract",
            "100001",
            "--amount",
            "500.00",
            "--receipt",
            "12345",
            "--date",
            "2026-11-24T10:15:00",
        ]
    )

    assert code == 0
    [request] = site.received
    assert request.signature_error is None
    assert (request.method, request.path) == ("POST", "/pay/terminal/")
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.body == (
        b"action=payment&number=100001&amount=500.00&receipt=12345&date=2026-11-24T10%3A15%3A00"
    )
    out = capsys.readouterr().out
    assert "code:     0" in out
    assert "authcode: pay-42" in out
    assert "date:     2026-11-24T10:15:00" in out
    assert "message:  OK" in out


def test_terminal_pay_generates_receipt_digits_and_date(
    make_site: SiteFactory,
    terminal_env: Callable[[FakeSite], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    site = make_site(_terminal_site())
    terminal_env(site)

    assert main(["terminal", "pay", "--contract", "100001", "--amount", "500.00"]) == 0

    fields = parse_qs(site.received[0].body.decode())
    assert re.fullmatch(r"[0-9]{3,20}", fields["receipt"][0])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", fields["date"][0])
    assert f"receipt:  {fields['receipt'][0]}" in capsys.readouterr().out


def test_terminal_refusal_exits_1(
    make_site: SiteFactory,
    terminal_env: Callable[[FakeSite], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    site = make_site(_terminal_site())
    terminal_env(site)

    assert main(["terminal", "check", "--contract", "999999"]) == 1
    assert "code:     2" in capsys.readouterr().out


@pytest.mark.parametrize("action", ["status", "cancel"])
def test_terminal_status_and_cancel_send_the_receipt(
    make_site: SiteFactory, terminal_env: Callable[[FakeSite], None], action: str
) -> None:
    site = make_site(_terminal_site())
    terminal_env(site)

    assert main(["terminal", action, "--receipt", "777"]) == 0

    fields = parse_qs(site.received[0].body.decode())
    assert fields["action"] == [action]
    assert fields["receipt"] == ["777"]


def test_terminal_can_use_get_with_a_signed_query(
    make_site: SiteFactory, terminal_env: Callable[[FakeSite], None]
) -> None:
    site = make_site(_terminal_site())
    terminal_env(site)

    assert main(["terminal", "check", "--contract", "100001", "--method", "GET"]) == 0

    [request] = site.received
    assert request.method == "GET" and request.body == b""
    assert request.path.startswith("/pay/terminal/?action=check&number=100001")
    assert request.signature_error is None


@pytest.mark.parametrize("signing", ["none", "wrong"])
def test_unsigned_or_badly_signed_answer_is_no_answer_exit_2(
    make_site: SiteFactory,
    terminal_env: Callable[[FakeSite], None],
    capsys: pytest.CaptureFixture[str],
    signing: str,
) -> None:
    site = make_site(_terminal_site(signing))
    terminal_env(site)

    assert main(["terminal", "pay", "--contract", "100001", "--amount", "500.00"]) == 2

    captured = capsys.readouterr()
    assert "code:" not in captured.out
    assert "no valid response" in captured.err


def test_unreachable_website_is_no_answer_exit_2(
    monkeypatch: pytest.MonkeyPatch, gateway_keys: KeyPair, site_keys: KeyPair
) -> None:
    monkeypatch.setenv("PAYSIM_SITE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("PAYSIM_PRIVATE_KEY", str(gateway_keys.private_path))
    monkeypatch.setenv("PAYSIM_TRUSTED_KEYS", str(site_keys.public_path))

    assert main(["terminal", "status", "--receipt", "1", "--timeout", "2"]) == 2


def test_website_refusing_our_signature_answers_minus_4_exit_1(
    make_site: SiteFactory,
    terminal_env: Callable[[FakeSite], None],
    stranger_keys: KeyPair,
    capsys: pytest.CaptureFixture[str],
) -> None:
    site = make_site(_terminal_site())
    terminal_env(site)

    code = main(
        ["terminal", "status", "--receipt", "1", "--private-key", str(stranger_keys.private_path)]
    )

    assert code == 1
    assert "code:     -4" in capsys.readouterr().out
    assert site.received[0].signature_error == "unknown_key"


def test_terminal_without_a_private_key_explains_how_to_make_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PAYSIM_PRIVATE_KEY", raising=False)

    assert main(["terminal", "status", "--receipt", "1"]) == 2
    assert "keys generate" in capsys.readouterr().err
