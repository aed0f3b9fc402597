import base64
import time
from pathlib import Path

import pytest

from paysim.__main__ import main
from paysim.signing import (
    CHECK_MISSING_HEADER,
    CHECK_SIGNATURE,
    CHECK_TIMESTAMP,
    CHECK_UNKNOWN_KEY,
    HEADER_KEY,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    SignatureError,
    Signer,
    Verifier,
    key_id,
    load_private_key,
    load_public_key,
    request_message,
)
from paysim.tests.conftest import KeyPair

BODY = b'{"amount": "1500.00"}'
PATH = "/api/v1/payments?x=1"


def _flip_bit(data: bytes, index: int = 0) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def test_request_signature_round_trip_returns_key_id(site_keys: KeyPair) -> None:
    headers = site_keys.signer.sign_request("POST", PATH, BODY)

    assert site_keys.verifier.verify_request(headers, "POST", PATH, BODY) == headers[HEADER_KEY]
    assert headers[HEADER_KEY] == key_id(site_keys.private_key.public_key())


def test_signature_covers_exactly_the_spec_bytes(site_keys: KeyPair) -> None:
    headers = site_keys.signer.sign_request("POST", PATH, BODY)
    message = f"{headers[HEADER_TIMESTAMP]}\nPOST\n{PATH}\n".encode() + BODY

    assert message == request_message(headers[HEADER_TIMESTAMP], "POST", PATH, BODY)
    site_keys.private_key.public_key().verify(base64.b64decode(headers[HEADER_SIGNATURE]), message)


def test_key_id_is_first_16_hex_of_sha256_of_raw_public_key(site_keys: KeyPair) -> None:
    import hashlib

    from paysim.signing import raw_public_bytes

    raw = raw_public_bytes(site_keys.private_key.public_key())
    assert len(raw) == 32
    assert key_id(site_keys.private_key.public_key()) == hashlib.sha256(raw).hexdigest()[:16]


def test_headers_are_matched_case_insensitively(site_keys: KeyPair) -> None:
    headers = {k.lower(): v for k, v in site_keys.signer.sign_request("GET", "/", b"").items()}

    site_keys.verifier.verify_request(headers, "GET", "/", b"")


@pytest.mark.parametrize("missing", [HEADER_KEY, HEADER_TIMESTAMP, HEADER_SIGNATURE])
def test_missing_header_is_rejected(site_keys: KeyPair, missing: str) -> None:
    headers = site_keys.signer.sign_request("POST", PATH, BODY)
    del headers[missing]

    with pytest.raises(SignatureError) as caught:
        site_keys.verifier.verify_request(headers, "POST", PATH, BODY)
    assert caught.value.check == CHECK_MISSING_HEADER
    assert missing in caught.value.message


def test_unknown_key_id_is_rejected(site_keys: KeyPair, stranger_keys: KeyPair) -> None:
    headers = stranger_keys.signer.sign_request("POST", PATH, BODY)

    with pytest.raises(SignatureError) as caught:
        site_keys.verifier.verify_request(headers, "POST", PATH, BODY)
    assert caught.value.check == CHECK_UNKNOWN_KEY


def test_signature_made_by_another_key_under_a_trusted_key_id_is_rejected(
    site_keys: KeyPair, stranger_keys: KeyPair
) -> None:
    headers = stranger_keys.signer.sign_request("POST", PATH, BODY)
    headers[HEADER_KEY] = site_keys.signer.key_id

    with pytest.raises(SignatureError) as caught:
        site_keys.verifier.verify_request(headers, "POST", PATH, BODY)
    assert caught.value.check == CHECK_SIGNATURE


@pytest.mark.parametrize("offset", [-301, 301, -3600, 3600])
def test_timestamp_more_than_300_seconds_off_is_rejected(site_keys: KeyPair, offset: int) -> None:
    signer = Signer(site_keys.private_key, clock=lambda: time.time() + offset)
    headers = signer.sign_request("POST", PATH, BODY)

    with pytest.raises(SignatureError) as caught:
        site_keys.verifier.verify_request(headers, "POST", PATH, BODY)
    assert caught.value.check == CHECK_TIMESTAMP
    assert ("future" if offset > 0 else "past") in caught.value.message


@pytest.mark.parametrize("offset", [-290, 290])
def test_timestamp_within_300_seconds_is_accepted(site_keys: KeyPair, offset: int) -> None:
    signer = Signer(site_keys.private_key, clock=lambda: time.time() + offset)

    site_keys.verifier.verify_request(signer.sign_request("GET", "/", b""), "GET", "/", b"")


@pytest.mark.parametrize("timestamp", ["yesterday", "-5", "1.5", "\u00b2", " "])
def test_non_numeric_timestamp_is_rejected(site_keys: KeyPair, timestamp: str) -> None:
    headers = site_keys.signer.sign_request("GET", "/", b"")
    headers[HEADER_TIMESTAMP] = timestamp

    with pytest.raises(SignatureError) as caught:
        site_keys.verifier.verify_request(headers, "GET", "/", b"")
    assert caught.value.check == CHECK_TIMESTAMP


@pytest.mark.parametrize("part", ["body", "path", "method", "signature", "timestamp"])
def test_any_flipped_bit_breaks_the_signature(site_keys: KeyPair, part: str) -> None:
    headers = site_keys.signer.sign_request("POST", PATH, BODY)
    method, path, body = "POST", PATH, BODY
    if part == "body":
        body = _flip_bit(BODY, 5)
    elif part == "path":
        path = _flip_bit(PATH.encode(), 3).decode()
    elif part == "method":
        method = "PUT"
    elif part == "timestamp":
        headers[HEADER_TIMESTAMP] = str(int(headers[HEADER_TIMESTAMP]) - 1)
    else:
        raw = base64.b64decode(headers[HEADER_SIGNATURE])
        headers[HEADER_SIGNATURE] = base64.b64encode(_flip_bit(raw, 10)).decode()

    with pytest.raises(SignatureError) as caught:
        site_keys.verifier.verify_request(headers, method, path, body)
    assert caught.value.check == CHECK_SIGNATURE


def test_garbage_base64_signature_is_a_bad_signature(site_keys: KeyPair) -> None:
    headers = site_keys.signer.sign_request("GET", "/", b"")
    headers[HEADER_SIGNATURE] = "not base64!"

    with pytest.raises(SignatureError) as caught:
        site_keys.verifier.verify_request(headers, "GET", "/", b"")
    assert caught.value.check == CHECK_SIGNATURE


def test_several_trusted_keys_are_accepted_at_once(
    site_keys: KeyPair, stranger_keys: KeyPair
) -> None:
    verifier = Verifier(
        [site_keys.private_key.public_key(), stranger_keys.private_key.public_key()]
    )

    for keys in (site_keys, stranger_keys):
        verifier.verify_request(keys.signer.sign_request("GET", "/x", b""), "GET", "/x", b"")


def test_response_signature_is_tied_to_the_request_signature(site_keys: KeyPair) -> None:
    request_headers = site_keys.signer.sign_request("GET", "/x", b"")
    other_request = site_keys.signer.sign_request("GET", "/y", b"")
    answer = site_keys.signer.sign_response(request_headers[HEADER_SIGNATURE], b"ok")

    site_keys.verifier.verify_response(answer, request_headers[HEADER_SIGNATURE], b"ok")
    with pytest.raises(SignatureError) as caught:
        site_keys.verifier.verify_response(answer, other_request[HEADER_SIGNATURE], b"ok")
    assert caught.value.check == CHECK_SIGNATURE
    with pytest.raises(SignatureError):
        site_keys.verifier.verify_response(answer, request_headers[HEADER_SIGNATURE], b"ok!")


def test_keys_generate_writes_pem_pair_and_prints_key_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "k"

    assert main(["keys", "generate", "--out", str(out), "--name", "gateway"]) == 0

    printed = capsys.readouterr().out.strip()
    private_key = load_private_key(out / "gateway.pem")
    public_key = load_public_key(out / "gateway.pub.pem")
    assert printed == key_id(public_key) == key_id(private_key.public_key())
    assert (out / "gateway.pem").read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert (out / "gateway.pub.pem").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")


def test_keys_generate_keeps_existing_keys_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "k"
    main(["keys", "generate", "--out", str(out), "--name", "gateway"])
    first = capsys.readouterr().out.strip()

    main(["keys", "generate", "--out", str(out), "--name", "gateway"])
    kept = capsys.readouterr().out.strip()
    main(["keys", "generate", "--out", str(out), "--name", "gateway", "--force"])
    replaced = capsys.readouterr().out.strip()

    assert kept == first
    assert replaced != first
    assert key_id(load_public_key(out / "gateway.pub.pem")) == replaced
