import os
import re
import subprocess
import sys
import time
from pathlib import Path

from paysim.httpclient import send
from paysim.tests.conftest import KeyPair

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_serve_command_starts_the_gateway_from_environment(
    tmp_path: Path, gateway_keys: KeyPair, site_keys: KeyPair
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "PAYSIM_DB": str(tmp_path / "db" / "paysim.sqlite3"),
        "PAYSIM_PRIVATE_KEY": str(gateway_keys.private_path),
        "PAYSIM_TRUSTED_KEYS": str(site_keys.public_path),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "paysim", "serve", "--port", "0"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = None
        deadline = time.monotonic() + 10
        assert process.stderr is not None
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            if match := re.search(r"public URL (http://\S+)\)", line):
                url = match.group(1)
        assert url, "serve did not report its URL"

        assert send("GET", url + "/healthz", {}, b"", timeout=5).body == b"ok"
        assert (tmp_path / "db" / "paysim.sqlite3").exists()
    finally:
        process.terminate()
        process.wait(timeout=10)
