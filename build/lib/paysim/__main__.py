"""Command line: `python -m paysim serve | keys | terminal`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from paysim.config import Config, ConfigError, parse_chaos, parse_hold_seconds, split_list
from paysim.signing import generate_key_pair, key_id, load_public_key
from paysim.terminal import NoResponseError, build_fields, new_receipt, send_terminal_request

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_NO_ANSWER = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paysim", description="Payment gateway simulator.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the gateway (card protocol) HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8001)
    serve.add_argument("--db", type=Path, help="SQLite file (PAYSIM_DB)")
    _add_key_flags(serve)
    serve.add_argument("--merchant-id", help="accepted merchant_id (PAYSIM_MERCHANT_ID)")
    serve.add_argument("--public-url", help="base URL of payment_url (PAYSIM_PUBLIC_URL)")
    serve.add_argument("--hold-seconds", help="hold lifetime (PAYSIM_HOLD_SECONDS)")
    serve.add_argument("--chaos", help="duplicate,delay,reorder (PAYSIM_CHAOS)")
    serve.add_argument("-v", "--verbose", action="store_true", help="log every request")

    keys = commands.add_parser("keys", help="manage Ed25519 key files")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    generate = key_commands.add_parser("generate", help="write NAME.pem and NAME.pub.pem")
    generate.add_argument("--out", type=Path, required=True, help="directory")
    generate.add_argument("--name", default="gateway")
    generate.add_argument("--force", action="store_true", help="replace an existing key")
    show = key_commands.add_parser("id", help="print the key id of PEM public keys")
    show.add_argument("files", nargs="+", type=Path)

    terminal = commands.add_parser("terminal", help="act as a payment terminal (client)")
    actions = terminal.add_subparsers(dest="action", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--site-url", help="website base URL (PAYSIM_SITE_URL)")
    _add_key_flags(common)
    common.add_argument("--method", choices=("POST", "GET"), default="POST")
    common.add_argument("--timeout", type=float, default=30.0)
    common.add_argument("--date", help="YYYY-MM-DDTHH:MM:SS (default: now, UTC)")

    pay = actions.add_parser("pay", parents=[common], help="action=payment")
    pay.add_argument("--contract", required=True)
    pay.add_argument("--amount", required=True)
    pay.add_argument("--receipt", help="digits; generated when omitted")
    check = actions.add_parser("check", parents=[common], help="action=check")
    check.add_argument("--contract", required=True)
    check.add_argument("--amount")
    check.add_argument("--receipt", help="digits; generated when omitted")
    for name in ("status", "cancel"):
        sub = actions.add_parser(name, parents=[common], help=f"action={name}")
        sub.add_argument("--receipt", required=True)
        sub.add_argument("--contract")
        sub.add_argument("--amount")
    return parser


def _add_key_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--private-key", help="gateway PEM private key (PAYSIM_PRIVATE_KEY)")
    parser.add_argument(
        "--trusted-keys", help="comma-separated website PEM public keys (PAYSIM_TRUSTED_KEYS)"
    )


def _config(args: argparse.Namespace) -> Config:
    trusted = getattr(args, "trusted_keys", None)
    hold = getattr(args, "hold_seconds", None)
    chaos = getattr(args, "chaos", None)
    return Config.from_env().with_overrides(
        db_path=getattr(args, "db", None),
        private_key=getattr(args, "private_key", None),
        trusted_keys=split_list(trusted) if trusted is not None else None,
        merchant_id=getattr(args, "merchant_id", None),
        public_url=getattr(args, "public_url", None),
        hold_seconds=parse_hold_seconds(hold) if hold is not None else None,
        chaos=parse_chaos(chaos) if chaos is not None else None,
        site_url=getattr(args, "site_url", None),
    )


def cmd_serve(args: argparse.Namespace) -> int:
    from paysim.server import PaysimApp  # the server is not needed by keys/terminal

    config = _config(args)
    app = PaysimApp(config)
    if not app.verifier.keys:
        logging.warning("no trusted website keys (PAYSIM_TRUSTED_KEYS): every API call gets 403")
    logging.getLogger("paysim.http").setLevel(logging.INFO if args.verbose else logging.WARNING)
    logging.getLogger("paysim").info(
        "gateway key %s, trusting %s, merchant %s, db %s, chaos %s",
        app.signer.key_id,
        ", ".join(app.verifier.keys) or "nobody",
        config.merchant_id,
        config.db_path,
        ",".join(sorted(config.chaos)) or "off",
    )
    app.serve_forever(args.host, args.port)
    return EXIT_OK


def cmd_keys(args: argparse.Namespace) -> int:
    if args.keys_command == "generate":
        files = generate_key_pair(args.out, args.name, force=args.force)
        verb = "wrote" if files.created else "kept existing"
        print(f"{verb} {files.private_path} and {files.public_path}", file=sys.stderr)
        print(files.key_id)
        return EXIT_OK
    for path in args.files:
        print(f"{key_id(load_public_key(path))}  {path}")
    return EXIT_OK


def cmd_terminal(args: argparse.Namespace) -> int:
    config = _config(args)
    action = "payment" if args.action == "pay" else args.action
    receipt = args.receipt
    if receipt is None and action in ("payment", "check"):
        receipt = new_receipt()
    fields = build_fields(
        action, number=args.contract, amount=args.amount, receipt=receipt, date=args.date
    )
    try:
        answer = send_terminal_request(
            site_url=config.site_url,
            signer=config.signer(),
            verifier=config.verifier(),
            fields=fields,
            method=args.method,
            timeout=args.timeout,
        )
    except NoResponseError as exc:
        print(f"no valid response: {exc}", file=sys.stderr)
        return EXIT_NO_ANSWER
    if receipt is not None:
        print(f"receipt:  {receipt}")
    print(f"code:     {answer.code}")
    print(f"authcode: {answer.authcode}")
    print(f"date:     {answer.date}")
    print(f"message:  {answer.message}")
    return EXIT_OK if answer.code == 0 else EXIT_REFUSED


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("PAYSIM_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    handlers = {"serve": cmd_serve, "keys": cmd_keys, "terminal": cmd_terminal}
    try:
        return handlers[args.command](args)
    except ConfigError as exc:
        print(f"paysim: {exc}", file=sys.stderr)
        return EXIT_NO_ANSWER


if __name__ == "__main__":
    sys.exit(main())
