"""What every ``sekisho`` sub-command module shares: JSON or text output, SekishoError as an
exit code, and running a parser (service.cli, crypto_cli, crypto_admin, key_rotation)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from core.errors import SekishoError

Command = Callable[[argparse.Namespace], int]


def emit(args: argparse.Namespace, out: dict[str, Any], text: Callable[[], str]) -> None:
    print(json.dumps(out, ensure_ascii=False) if args.json else text())


def guarded(run: Command) -> Command:
    """With --json, a SekishoError is printed as JSON (exit 2); otherwise run_parser reports
    it on stderr."""
    def handler(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except SekishoError as exc:
            if not args.json:
                raise
            print(json.dumps(exc.to_dict(), ensure_ascii=False))
            return 2
    return handler


def run_parser(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> int:
    """Parse, run the chosen command; a SekishoError is ``code: message`` on stderr, exit 2."""
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except SekishoError as exc:
        print(f"sekisho: {exc.code}: {exc.message}", file=sys.stderr)
        return 2


def standalone(register: Callable[[Any], None], argv: Sequence[str] | None = None) -> int:
    """A module's commands on their own (tests; ``python -m service.<module>``)."""
    parser = argparse.ArgumentParser(prog="sekisho")
    register(parser.add_subparsers(dest="command", required=True))
    return run_parser(parser, argv)
