"""RFC 6238 appendix B test vectors, and what Kabinet's verification adds on top."""

from __future__ import annotations

import pytest

from kabinet.lib.totp import (
    hotp,
    provisioning_uri,
    random_secret,
    secret_bytes,
    totp,
    totp_match,
)

SEED = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890123456789012345678901234567890123456789012345678901234",
}

RFC6238 = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("at", "sha1", "sha256", "sha512"), RFC6238)
def test_rfc6238_vectors(at, sha1, sha256, sha512):
    assert totp(SEED["sha1"], at, digits=8, digest="sha1") == sha1
    assert totp(SEED["sha256"], at, digits=8, digest="sha256") == sha256
    assert totp(SEED["sha512"], at, digits=8, digest="sha512") == sha512


def test_rfc4226_hotp_vectors():
    expected = ["755224", "287082", "359152", "969429", "338314"]
    assert [hotp(SEED["sha1"], i) for i in range(5)] == expected


def test_six_digit_code_is_the_last_six_of_the_eight_digit_one():
    assert totp(SEED["sha1"], 59) == "287082"


def test_match_accepts_one_step_either_side_and_returns_the_step():
    key = SEED["sha1"]
    at = 1111111111  # step 37037037
    assert totp_match(key, totp(key, at), at) == 37037037
    assert totp_match(key, totp(key, at - 30), at) == 37037036
    assert totp_match(key, totp(key, at + 30), at) == 37037038
    assert totp_match(key, totp(key, at - 60), at) is None
    assert totp_match(key, totp(key, at + 60), at) is None


@pytest.mark.parametrize(
    "bad", ["", "12345", "1234567", "abcdef", "12 345", "١٢٣٤٥٦", "１２３４５６", "²³⁴⁵⁶⁷"]
)
def test_match_refuses_malformed_codes(bad):
    assert totp_match(SEED["sha1"], bad, 59) is None


def test_secret_round_trips_through_base32_as_a_person_types_it():
    secret = random_secret()
    assert len(secret) == 32
    typed = " ".join(secret[i : i + 4] for i in range(0, 32, 4)).lower()
    assert secret_bytes(typed) == secret_bytes(secret)
    assert len(secret_bytes(secret)) == 20


def test_provisioning_uri_has_issuer_account_and_secret():
    uri = provisioning_uri("JBSWY3DPEHPK3PXP", account="ivan@example.com", issuer="СевЗапТелеком")
    assert uri.startswith("otpauth://totp/%D0%A1")
    assert ":ivan@example.com?secret=JBSWY3DPEHPK3PXP&issuer=%D0%A1" in uri
    assert uri.endswith("&algorithm=SHA1&digits=6&period=30")
