"""Notification outbox: durable deliveries to notify_url, retried until a signed 200."""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from paysim.db import Database
from paysim.httpclient import signed_request
from paysim.signing import Signer, Verifier

log = logging.getLogger("paysim.notify")

# Seconds to wait after the 1st, 2nd, ... failure; the last value repeats.
RETRY_SCHEDULE: tuple[float, ...] = (1, 2, 5, 10, 30, 60)
GIVE_UP_AFTER = 24 * 3600.0


@dataclass
class Outbox:
    """Queues deliveries inside the caller's transaction, shaping them by chaos modes."""

    chaos: frozenset[str] = frozenset()
    rng: random.Random = field(default_factory=random.Random)
    clock: Callable[[], float] = time.time
    # reorder: an event waits this long for later events to overtake it ...
    reorder_hold: float = 5.0
    # ... but is never held longer than this, so a steady stream cannot starve it.
    reorder_max_hold: float = 60.0
    # How far behind a newer event the held ones are pushed.
    reorder_gap: float = 1.0
    # duplicate: the second copy follows the first by this much.
    duplicate_gap: float = 1.0
    wake: threading.Event = field(default_factory=threading.Event)

    def enqueue(self, conn: sqlite3.Connection, *, event_id: str, url: str) -> None:
        now = self.clock()
        first = now
        if "delay" in self.chaos:
            first += self.rng.uniform(1.0, 5.0)
        if "reorder" in self.chaos:
            first += self.reorder_hold
            # Push every still-unsent event behind this one: the newest goes out first.
            conn.execute(
                "UPDATE deliveries SET next_attempt_at ="
                " min(max(next_attempt_at, ?), created_at + ?)"
                " WHERE state = 'pending' AND attempts = 0",
                (first + self.reorder_gap, self.reorder_max_hold),
            )
        times = [first]
        if "duplicate" in self.chaos:
            times.append(first + self.duplicate_gap)
        for at in times:
            conn.execute(
                "INSERT INTO deliveries (event_id, url, created_at, next_attempt_at)"
                " VALUES (?, ?, ?, ?)",
                (event_id, url, now, at),
            )

    def notify_dispatcher(self) -> None:
        """Call after commit, so the dispatcher sees the new rows."""
        self.wake.set()


class Dispatcher:
    """Sends due deliveries one at a time; all state lives in SQLite, so restarts resume."""

    def __init__(
        self,
        db: Database,
        signer: Signer,
        verifier: Verifier,
        wake: threading.Event,
        *,
        schedule: Sequence[float] = RETRY_SCHEDULE,
        give_up_after: float = GIVE_UP_AFTER,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.signer = signer
        self.verifier = verifier
        self.wake = wake
        self.schedule = tuple(schedule)
        self.give_up_after = give_up_after
        self.timeout = timeout
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="paysim-notify", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            # Clear before working so a wake-up during run_due is not lost.
            self.wake.clear()
            try:
                self.run_due()
                wait = self._seconds_until_next_due()
            except Exception:  # keep the thread alive; the row is retried later
                log.exception("notification dispatcher error")
                wait = 1.0
            self.wake.wait(timeout=max(0.01, min(wait, 1.0)))

    def _seconds_until_next_due(self) -> float:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT min(next_attempt_at) FROM deliveries WHERE state = 'pending'"
            ).fetchone()
        return 1.0 if row[0] is None else row[0] - self.clock()

    def run_due(self) -> int:
        """Attempt every delivery that is due now; returns how many were attempted."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT d.id, d.url, d.created_at, d.attempts, e.body FROM deliveries d"
                " JOIN events e ON e.event_id = d.event_id"
                " WHERE d.state = 'pending' AND d.next_attempt_at <= ?"
                " ORDER BY d.next_attempt_at, d.id",
                (self.clock(),),
            ).fetchall()
        for row in rows:
            if self._stop.is_set():
                break
            self._attempt(row)
        return len(rows)

    def _attempt(self, row: sqlite3.Row) -> None:
        error = self._send(row["url"], row["body"])
        now = self.clock()
        attempts = row["attempts"] + 1
        with self.db.write() as conn:
            if error is None:
                conn.execute(
                    "UPDATE deliveries SET state = 'delivered', attempts = ?, last_attempt_at = ?,"
                    " delivered_at = ?, last_error = '' WHERE id = ?",
                    (attempts, now, now, row["id"]),
                )
                log.info("delivery %s acknowledged after %d attempt(s)", row["id"], attempts)
                return
            delay = self.schedule[min(attempts, len(self.schedule)) - 1]
            gave_up = now + delay - row["created_at"] > self.give_up_after
            conn.execute(
                "UPDATE deliveries SET state = ?, attempts = ?, last_attempt_at = ?,"
                " next_attempt_at = ?, last_error = ? WHERE id = ?",
                ("failed" if gave_up else "pending", attempts, now, now + delay, error, row["id"]),
            )
        log.warning(
            "delivery %s attempt %d failed: %s%s",
            row["id"],
            attempts,
            error,
            " (giving up)" if gave_up else f" (retry in {delay:g} s)",
        )

    def _send(self, url: str, body: bytes) -> str | None:
        """POST one event; None when acknowledged, else why it counts as no answer."""
        try:
            exchange = signed_request(
                signer=self.signer,
                verifier=self.verifier,
                method="POST",
                url=url,
                body=body,
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=self.timeout,
            )
        except OSError as exc:
            return f"network: {exc}"
        response = exchange.response
        if exchange.error is not None:
            # An unsigned or badly signed answer is no answer, whatever its status.
            return f"HTTP {response.status}, response signature: {exchange.error.message}"
        if response.status != 200:
            return f"HTTP {response.status}: {response.body[:200].decode('utf-8', 'replace')}"
        try:
            acknowledged = json.loads(response.body).get("received") is True
        except (ValueError, AttributeError):
            acknowledged = False
        if not acknowledged:
            return 'HTTP 200 without {"received": true}'
        return None
