from pathlib import Path

import pytest

from paysim.config import DEFAULT_HOLD_SECONDS, Config, ConfigError


def test_defaults_match_the_documented_values() -> None:
    config = Config.from_env({})

    assert config.db_path == Path("var/paysim.sqlite3")
    assert config.merchant_id == "kabinet-demo"
    assert config.hold_seconds == DEFAULT_HOLD_SECONDS == 259200
    assert config.chaos == frozenset()
    assert config.site_url == "http://127.0.0.1:8000"
    assert config.public_url is None  # derived from the bound address: http://127.0.0.1:8001


def test_environment_variables_are_read() -> None:
    config = Config.from_env(
        {
            "PAYSIM_DB": "/tmp/x.sqlite3",
            "PAYSIM_PRIVATE_KEY": "k.pem",
            "PAYSIM_TRUSTED_KEYS": "a.pub.pem, b.pub.pem",
            "PAYSIM_MERCHANT_ID": "m",
            "PAYSIM_PUBLIC_URL": "http://gw.test",
            "PAYSIM_HOLD_SECONDS": "60",
            "PAYSIM_CHAOS": "duplicate,REORDER",
            "PAYSIM_SITE_URL": "http://site.test",
        }
    )

    assert config.db_path == Path("/tmp/x.sqlite3")
    assert config.private_key == "k.pem"
    assert config.trusted_keys == ("a.pub.pem", "b.pub.pem")
    assert config.merchant_id == "m"
    assert config.public_url == "http://gw.test"
    assert config.hold_seconds == 60
    assert config.chaos == frozenset({"duplicate", "reorder"})
    assert config.site_url == "http://site.test"


@pytest.mark.parametrize(
    ("name", "value"),
    [("PAYSIM_CHAOS", "explode"), ("PAYSIM_HOLD_SECONDS", "3d"), ("PAYSIM_HOLD_SECONDS", "0")],
)
def test_bad_settings_are_refused_with_a_message(name: str, value: str) -> None:
    with pytest.raises(ConfigError):
        Config.from_env({name: value})


def test_cli_overrides_win_and_none_keeps_the_environment() -> None:
    config = Config.from_env({"PAYSIM_MERCHANT_ID": "env"})

    assert config.with_overrides(merchant_id=None).merchant_id == "env"
    assert config.with_overrides(merchant_id="flag").merchant_id == "flag"


def test_missing_trusted_key_file_is_a_config_error(tmp_path: Path) -> None:
    config = Config(trusted_keys=(str(tmp_path / "missing.pub.pem"),))

    with pytest.raises(ConfigError):
        config.verifier()
