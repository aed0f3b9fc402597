"""Command-line interface: argument parsing and dispatch to the small modules."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

from billingsim import db
from billingsim.billing import bill_period
from billingsim.exporter import MAX_RECORDS_BYTES, copy_package, export_package
from billingsim.importer import ImportRejected, import_package
from billingsim.keys import KeyFileError, generate_key_files, load_private_key, load_trusted_keys
from billingsim.labels import (
    LabelError,
    assign_number,
    label_status,
    list_labels,
    release_number,
)
from billingsim.money import format_cents
from billingsim.received import Received, ReceiveError, pay_invoice, receive
from billingsim.status import StatusError, collect_status, format_status, set_status

ENV_HOME = "BILLINGSIM_HOME"
ENV_KEY = "BILLINGSIM_PRIVATE_KEY"
ENV_TRUST = "BILLINGSIM_SITE_PUBLIC_KEYS"
DEFAULT_HOME = "var/billingsim"


class UsageError(Exception):
    """Missing configuration or a bad argument value (exit 2)."""


def _common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    # Accepted both before and after the subcommand; SUPPRESS stops a subcommand's
    # absent option from overwriting one given before it.
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--home", default=default, help=f"data directory (env {ENV_HOME})")
    parser.add_argument("--key", default=default, help=f"own Ed25519 PEM key (env {ENV_KEY})")
    parser.add_argument(
        "--trust",
        default=default,
        help=f"website public key PEM file(s), comma-separated (env {ENV_TRUST})",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="billingsim", description="Stand-in for the operator's billing server."
    )
    _common(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        _common(command, suppress=True)
        return command

    keys = add("keys", "manage Ed25519 keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    generate = keys_sub.add_parser("generate", help="write NAME.pem and NAME.pub.pem")
    generate.add_argument("--out", required=True, type=Path)
    generate.add_argument("--name", default="billing")
    generate.add_argument("--force", action="store_true", help="replace existing files")

    imp = add("import", "import a site-to-billing package")
    imp.add_argument("file", type=Path)

    bill = add("bill", "post monthly charges, usage and documents for a period")
    bill.add_argument("--period", required=True, help="YYYY-MM")
    bill.add_argument("--seed", type=int, default=None, help="make the run deterministic")
    bill.add_argument(
        "--calls", action="store_true", help="also send every call (call.detail records)"
    )

    export = add("export", "write the next billing-to-site package")
    export.add_argument("--out", type=Path, default=None, help="also copy the package here")
    export.add_argument(
        "--max-bytes",
        type=int,
        default=None,
        help="records.jsonl size limit (default 512 MiB); the rest waits for the next export",
    )

    download = add("download", "copy an exported package again, byte for byte")
    download.add_argument("sequence", type=int)
    download.add_argument("--out", type=Path, required=True)

    add("packages", "list packages both ways")

    status = add("status", "balances and sequences")
    status.add_argument("--contract", default=None)
    status.add_argument("--json", action="store_true")

    rec = add("receive", "record money that reached billing (a bank transfer) for a contract")
    rec.add_argument("--contract", required=True)
    rec.add_argument("--amount", required=True, help="e.g. 1500.00")
    rec.add_argument("--channel", default="bank", choices=("bank", "cash", "other"))
    rec.add_argument("--reference", default="", help="the payment order number")

    pay = add("pay-invoice", "the client paid an invoice it issued on the website, in full")
    pay.add_argument("number", help="the invoice's number, as the website printed it")
    pay.add_argument("--reference", default=None, help="the payment order number")

    set_st = add("set-status", "change a client's or subscription's status on the billing side")
    set_st.add_argument("--contract", required=True)
    set_st.add_argument("--subscription", default=None)
    set_st.add_argument("--status", required=True)

    assign = add("assign-number", "give a contract a phone number (digits with the country code)")
    assign.add_argument("--contract", required=True)
    assign.add_argument("--number", required=True, help="e.g. 78124001001")
    assign.add_argument("--subscription", default="", help="the website's subscription id")

    release = add("release-number", "take a phone number from a contract")
    release.add_argument("--contract", required=True)
    release.add_argument("--number", required=True)

    lstatus = add("label-status", "answer the website about a call labelling application")
    lstatus.add_argument("--label", required=True, help="the website's label_id")
    lstatus.add_argument("--version", type=int, default=None, help="default: the newest")
    lstatus.add_argument(
        "--status", required=True, choices=("accepted", "active", "rejected", "withdrawn")
    )
    lstatus.add_argument("--reason", default="")

    add("labels", "call labelling applications imported from the website")
    return parser


def _home(args: argparse.Namespace) -> Path:
    return Path(args.home or os.environ.get(ENV_HOME) or DEFAULT_HOME)


def _private_key_path(args: argparse.Namespace) -> Path:
    value = args.key or os.environ.get(ENV_KEY)
    if not value:
        raise UsageError(f"no signing key: pass --key FILE or set {ENV_KEY}")
    return Path(value)


def _trusted_paths(args: argparse.Namespace) -> list[Path]:
    value = args.trust or os.environ.get(ENV_TRUST) or ""
    paths = [Path(p.strip()) for p in value.split(",") if p.strip()]
    if not paths:
        raise UsageError(f"no trusted website keys: pass --trust FILE[,FILE] or set {ENV_TRUST}")
    return paths


def cmd_keys(args: argparse.Namespace) -> int:
    made = generate_key_files(args.out, args.name, force=args.force)
    if not made.created:
        print(f"{made.private_path} exists, kept it (use --force to replace)", file=sys.stderr)
    print(made.key_id)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    trusted = load_trusted_keys(_trusted_paths(args))
    with _connect(args) as conn:
        try:
            result = import_package(conn, args.file, trusted)
        except ImportRejected as exc:
            print(f"rejected {args.file}:", file=sys.stderr)
            for reason in exc.reasons:
                print(f"  {reason}", file=sys.stderr)
            print("nothing was changed", file=sys.stderr)
            return 1
    for note in result.notes:
        print(note, file=sys.stderr)
    if result.already_imported:
        print(f"site-to-billing package {result.sequence} already imported; nothing changed")
    else:
        print(
            f"applied site-to-billing package {result.sequence}: {result.record_count} records "
            f"({result.applied} applied, {result.skipped} skipped as seen before)"
        )
    return 0


def cmd_bill(args: argparse.Namespace) -> int:
    with _connect(args) as conn:
        try:
            result = bill_period(conn, args.period, args.seed, calls=args.calls)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    print(
        f"period {result.period} (seed {result.seed}): billed {len(result.billed)} client(s) "
        f"for {result.total:.2f} RUB; already billed {len(result.already_billed)}; "
        f"nothing to bill {len(result.nothing_to_bill)}"
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    key = load_private_key(_private_key_path(args))
    with _connect(args) as conn:
        result = export_package(
            conn, _home(args), key, args.out, args.max_bytes or MAX_RECORDS_BYTES
        )
    print(f"{result.copied_to or result.path}")
    print(
        f"billing-to-site sequence {result.sequence}: {result.record_count} records, "
        f"ack_through {result.ack_through}"
        + (f" (kept as {result.path})" if result.copied_to else "")
    )
    if result.pending:
        print(f"{result.pending} records wait for the next export (size limit)")
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    with _connect(args) as conn:
        try:
            path = copy_package(conn, _home(args), args.sequence, args.out)
        except LookupError as exc:
            print(str(exc), file=sys.stderr)
            return 1
    print(path)
    return 0


def cmd_packages(args: argparse.Namespace) -> int:
    with _connect(args) as conn:
        acked = db.site_ack_through(conn)
        print("billing-to-site (exported):")
        for row in conn.execute("SELECT * FROM billing_packages ORDER BY sequence"):
            state = "confirmed" if row["sequence"] <= acked else "exported"
            print(
                f"  {row['sequence']:>6}  {row['created_at']}  {row['record_count']:>8} "
                f"records  {state:<9}  {row['file_name']}"
            )
        print("site-to-billing (imported):")
        for row in conn.execute("SELECT * FROM site_packages ORDER BY sequence"):
            print(
                f"  {row['sequence']:>6}  {row['imported_at']}  {row['record_count']:>8} "
                f"records  ack {row['ack_through']}  {row['file_name']}"
            )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    with _connect(args) as conn:
        try:
            status = collect_status(conn, args.contract)
        except StatusError as exc:
            print(str(exc), file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(status, ensure_ascii=False, indent=2))
    else:
        print(format_status(status))
    return 0


def cmd_set_status(args: argparse.Namespace) -> int:
    with _connect(args) as conn:
        try:
            changed = set_status(conn, args.contract, args.subscription, args.status)
        except StatusError as exc:
            print(str(exc), file=sys.stderr)
            return 1
    target = f"subscription {args.subscription}" if args.subscription else "client"
    verb = "set to" if changed else "already"
    print(f"contract {args.contract}: {target} {verb} {args.status}")
    return 0


def _print_received(payment: Received) -> None:
    print(
        f"received {format_cents(payment.amount_cents)} RUB for contract {payment.contract} "
        f"(payment {payment.payment_id}, order {payment.reference or '—'}); "
        "it goes to the website with the next export"
    )


def cmd_receive(args: argparse.Namespace) -> int:
    try:
        amount = Decimal(args.amount)
    except ArithmeticError:
        raise UsageError(f"not an amount: {args.amount!r}") from None
    with _connect(args) as conn:
        try:
            payment = receive(
                conn, args.contract, amount, channel=args.channel, reference=args.reference
            )
        except ReceiveError as exc:
            print(str(exc), file=sys.stderr)
            return 1
    _print_received(payment)
    return 0


def cmd_pay_invoice(args: argparse.Namespace) -> int:
    with _connect(args) as conn:
        try:
            payment = pay_invoice(conn, args.number, reference=args.reference)
        except ReceiveError as exc:
            print(str(exc), file=sys.stderr)
            return 1
    _print_received(payment)
    return 0


def cmd_assign_number(args: argparse.Namespace) -> int:
    with _connect(args) as conn:
        try:
            number = assign_number(conn, args.contract, args.number, args.subscription)
        except LabelError as exc:
            print(str(exc), file=sys.stderr)
            return 1
    print(f"number {number} assigned to contract {args.contract}; it goes with the next export")
    return 0


def cmd_release_number(args: argparse.Namespace) -> int:
    with _connect(args) as conn:
        try:
            number = release_number(conn, args.contract, args.number)
        except LabelError as exc:
            print(str(exc), file=sys.stderr)
            return 1
    print(f"number {number} released from contract {args.contract}")
    return 0


def cmd_label_status(args: argparse.Namespace) -> int:
    with _connect(args) as conn:
        try:
            data = label_status(
                conn, args.label, args.status, version=args.version, reason=args.reason
            )
        except LabelError as exc:
            print(str(exc), file=sys.stderr)
            return 1
    print(
        f"labelling {data['label_id']} version {data['version']} (contract {data['contract']}): "
        f"{data['status']}; it goes with the next export"
    )
    return 0


def cmd_labels(args: argparse.Namespace) -> int:
    with _connect(args) as conn:
        labels = list_labels(conn)
    for label in labels:
        state = f"withdrawn {label['withdrawn_at']}" if label["withdrawn_at"] else "in force"
        print(
            f"{label['contract']} {label['label_id']} v{label['version']} "
            f"{label['display_text']!r} {','.join(label['numbers'])} ({state})"
        )
    if not labels:
        print("no labelling applications imported")
    return 0


class _connect:
    """Context manager that always closes the connection (sqlite3's own does not)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self._conn = db.connect(_home(args))

    def __enter__(self) -> sqlite3.Connection:
        return self._conn

    def __exit__(self, *exc: object) -> None:
        self._conn.close()


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "keys": cmd_keys,
    "import": cmd_import,
    "bill": cmd_bill,
    "export": cmd_export,
    "download": cmd_download,
    "packages": cmd_packages,
    "status": cmd_status,
    "set-status": cmd_set_status,
    "receive": cmd_receive,
    "pay-invoice": cmd_pay_invoice,
    "assign-number": cmd_assign_number,
    "release-number": cmd_release_number,
    "label-status": cmd_label_status,
    "labels": cmd_labels,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (UsageError, KeyFileError) as exc:
        print(f"billingsim: {exc}", file=sys.stderr)
        return 2
