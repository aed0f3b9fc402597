"""A stand-in for SMSC.ru's HTTP API (https://smsc.ru/api/http/, "Отправка SMS-сообщения",
"Ответ сервера и коды ошибок"), written from that text: GET /sys/send.php with login, psw,
phones, mes, charset and fmt=3 answers {"id": N, "cnt": N}, or {"error": ..., "error_code": N}."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlparse

from .standin import QuietHandler, serving


class Gateway:
    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.next_id = 100
        # What to answer next: None = success; ("json", {...}); ("raw", status, body); ("sleep", s)
        self.answers: list[tuple] = []

    def answer(self) -> tuple[int, str]:
        plan = self.answers.pop(0) if self.answers else None
        if plan is None:
            self.next_id += 1
            return 200, json.dumps({"id": self.next_id, "cnt": 1})
        if plan[0] == "json":
            return 200, json.dumps(plan[1], ensure_ascii=False)
        if plan[0] == "sleep":
            time.sleep(plan[1])
            return 200, json.dumps({"id": 1, "cnt": 1})
        return plan[1], plan[2]


@contextmanager
def smsc_gateway() -> Iterator[tuple[Gateway, str]]:
    gateway = Gateway()

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path != "/sys/send.php":
                self.answer(404, "")
                return
            gateway.requests.append(params)
            if params.get("fmt") != "3" or not params.get("phones") or not params.get("mes"):
                status, body = 200, json.dumps({"error": "parameters error", "error_code": 1})
            else:
                status, body = gateway.answer()
            self.answer(status, body, "application/json; charset=utf-8")

    with serving(Handler) as base:
        yield gateway, f"{base}/sys/send.php"
