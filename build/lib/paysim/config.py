"""Settings from PAYSIM_* environment variables; CLI flags override them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from paysim.signing import Signer, Verifier, load_private_key, load_public_key

CHAOS_MODES = frozenset({"duplicate", "delay", "reorder"})
DEFAULT_HOLD_SECONDS = 3 * 24 * 3600


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Config:
    db_path: Path = Path("var/paysim.sqlite3")
    private_key: str | None = None
    trusted_keys: tuple[str, ...] = ()
    merchant_id: str = "kabinet-demo"
    # None means "derive from the address actually bound" (matters for --port 0).
    public_url: str | None = None
    hold_seconds: int = DEFAULT_HOLD_SECONDS
    chaos: frozenset[str] = field(default_factory=frozenset)
    site_url: str = "http://127.0.0.1:8000"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        if env.get("PAYSIM_DB"):
            values["db_path"] = Path(env["PAYSIM_DB"])
        if env.get("PAYSIM_PRIVATE_KEY"):
            values["private_key"] = env["PAYSIM_PRIVATE_KEY"]
        if env.get("PAYSIM_TRUSTED_KEYS"):
            values["trusted_keys"] = split_list(env["PAYSIM_TRUSTED_KEYS"])
        if env.get("PAYSIM_MERCHANT_ID"):
            values["merchant_id"] = env["PAYSIM_MERCHANT_ID"]
        if env.get("PAYSIM_PUBLIC_URL"):
            values["public_url"] = env["PAYSIM_PUBLIC_URL"]
        if env.get("PAYSIM_HOLD_SECONDS"):
            values["hold_seconds"] = parse_hold_seconds(env["PAYSIM_HOLD_SECONDS"])
        if "PAYSIM_CHAOS" in env:
            values["chaos"] = parse_chaos(env["PAYSIM_CHAOS"])
        if env.get("PAYSIM_SITE_URL"):
            values["site_url"] = env["PAYSIM_SITE_URL"]
        return cls(**values)

    def with_overrides(self, **overrides: Any) -> Config:
        """Apply CLI flags; a flag left as None keeps the environment's value."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def signer(self) -> Signer:
        if not self.private_key:
            raise ConfigError(
                "no gateway private key: set PAYSIM_PRIVATE_KEY (or --private-key); "
                "create one with `python -m paysim keys generate --out var/keys --name gateway`"
            )
        try:
            return Signer(load_private_key(self.private_key))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load private key {self.private_key}: {exc}") from exc

    def verifier(self) -> Verifier:
        keys = []
        for path in self.trusted_keys:
            try:
                keys.append(load_public_key(path))
            except (OSError, ValueError) as exc:
                raise ConfigError(f"cannot load trusted key {path}: {exc}") from exc
        return Verifier(keys)


def split_list(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def parse_chaos(value: str) -> frozenset[str]:
    modes = frozenset(item.lower() for item in split_list(value))
    unknown = modes - CHAOS_MODES
    if unknown:
        raise ConfigError(
            f"unknown chaos mode(s) {', '.join(sorted(unknown))}; "
            f"choose from {', '.join(sorted(CHAOS_MODES))}"
        )
    return modes


def parse_hold_seconds(value: str) -> int:
    try:
        seconds = int(value)
    except ValueError:
        raise ConfigError(f"hold seconds must be an integer, got {value!r}") from None
    if seconds < 1:
        raise ConfigError("hold seconds must be at least 1")
    return seconds
