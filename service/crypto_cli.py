"""``sekisho seal``, ``sekisho open`` and ``sekisho verify``: exports, opening, signatures.

Each ``register_*`` adds one sub-command to the ``sekisho`` parser (service.cli wires them in
with one line each). The commands are thin: parse, call the ``keys`` recipes, print. Errors are
the usual ``SekishoError`` codes; with ``--json`` they are printed as JSON (exit 2), and a
signature that does not verify is exit 1, like ``sekisho audit verify``.

- ``seal FILE -o OUT --format cms|pdf|sealed [--recipient-cert CERT] [--password-file F]``:
  the package plus ``OUT.sig`` (detached CMS signature by the service key, unless
  ``--no-sign``); the JSON holds a generated ``password`` when one was made (issue 5, item 4).
  ``--format zip`` is refused with ``algorithm_not_allowed`` and the reason.
- ``open SEALED -o OUT (--password-file F | --key KEY.pem)``: recipients' side, for sealed
  and CMS exports; nothing is written unless the whole file authenticates.
- ``verify FILE [SIG] [--cert CERT ...]``: a detached signature, a PDF's embedded one, or a
  signed erasure record saved from GET /v1/erasures/{id} (service.record_check).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from core.errors import InvalidRequest, KeyUnavailable
from core.settings import load_settings
from service.cli_support import emit, guarded, standalone

if TYPE_CHECKING:
    from keys.sign import Signer

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
MAX_SIGNATURE_FILE_BYTES = 256 * 1024


def _service_signer() -> Signer:
    """The service signing key from the KEK directory (created on first use, like init)."""
    from keys import FileKekProvider
    from keys.sign import load_or_create_signer

    settings = load_settings()
    # The key-file provider; a PKCS#11 deployment passes its provider here instead.
    return load_or_create_signer(settings.kek_dir, FileKekProvider(settings.kek_dir))


def _seal_text(out: dict[str, Any]) -> str:
    lines = [f"sealed {out['output']} ({out['format']}, {out['bytes']} bytes, "
             f"{', '.join(f'{k}={v}' for k, v in out['algorithms'].items())})"]
    if out.get("signature"):
        lines.append(f"signature: {out['signature']}")
    if out.get("password"):
        lines.append(f"password (send it by another channel): {out['password']}")
    return "\n".join(lines)


def cmd_seal(args: argparse.Namespace) -> int:
    from keys.export import export_file, load_recipient, parse_export_format, read_password_file
    from service.withdrawals import install_stored_withdrawals

    install_stored_withdrawals(load_settings())  # 危殆化: this process too refuses them
    export_format = parse_export_format(args.format)  # zip and friends are refused here
    recipient = load_recipient(Path(args.recipient_cert)) if args.recipient_cert else None
    password = read_password_file(Path(args.password_file)) if args.password_file else None
    signer = None if args.no_sign else _service_signer()
    result = export_file(Path(args.file), Path(args.output), export_format,
                         recipient=recipient, password=password,
                         cms_encoding=args.cms_encoding, signer=signer)
    out = result.to_dict()
    emit(args, out, lambda: _seal_text(out))
    return 0


def cmd_open(args: argparse.Namespace) -> int:
    from keys.export import load_private_key, open_export, read_password_file

    if not (args.key or args.password_file):
        raise InvalidRequest("give --password-file or --key to open a sealed file")
    key = load_private_key(Path(args.key)) if args.key else None
    password = read_password_file(Path(args.password_file)) if args.password_file else None
    opened, written = open_export(Path(args.sealed), Path(args.output), private_key=key,
                                  password=password)
    out = {"output": args.output, "format": opened, "bytes": written}
    emit(args, out, lambda: f"opened {args.sealed} ({opened}) -> {args.output} ({written} bytes)")
    return 0


def _read_limited(path: Path, limit: int, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InvalidRequest(f"cannot read the {what}: {exc.strerror}") from None
    if len(data) > limit:
        raise InvalidRequest(f"the {what} is too large")
    return data


def _trusted_certificates(paths: list[str] | None) -> list[bytes | str]:
    from keys.sign import verification_certificates

    if paths:
        return [_read_limited(Path(p), MAX_SIGNATURE_FILE_BYTES, "certificate") for p in paths]
    found = verification_certificates(load_settings().kek_dir)
    if not found:
        raise KeyUnavailable("no verification certificates here; pass --cert CERT.pem")
    return list(found)


def _verify(args: argparse.Namespace) -> list[dict[str, Any]]:
    from keys.export import read_password_file
    from keys.sign import verify_detached_file, verify_pdf
    from service.record_check import load_signed_record, verify_signed_record

    certs = _trusted_certificates(args.cert)
    if args.signature:
        signature = _read_limited(Path(args.signature), MAX_SIGNATURE_FILE_BYTES, "signature")
        return [verify_detached_file(Path(args.file), signature, certs).to_dict()]
    record = load_signed_record(Path(args.file))
    if record is not None:  # an erasure record as GET /v1/erasures/{id} returns it
        return [verify_signed_record(record, certs)]
    password = read_password_file(Path(args.password_file)) if args.password_file else None
    pdf = Path(args.file).read_bytes()
    return [v.to_dict() for v in verify_pdf(pdf, certs, password=password)]


def cmd_verify(args: argparse.Namespace) -> int:
    from keys.sign import SignatureInvalid

    try:
        signatures = _verify(args)
    except SignatureInvalid as exc:
        message = exc.message
        out = {"valid": False, "file": args.file, **exc.to_dict()}
        emit(args, out, lambda: f"{args.file}: signature INVALID: {message}")
        return 1
    out = {"valid": True, "file": args.file, "signatures": signatures}
    emit(args, out, lambda: "\n".join(
        f"{args.file}: {s.get('kind', 'signature')} OK by {s['signer']} ({s['algorithm']}, "
        f"signed {s['signing_time']}, certificate sha256 {s['certificate_sha256']})"
        for s in signatures))
    return 0


def register_seal(sub: Subparsers) -> None:
    p = sub.add_parser("seal", help="encrypt (and sign) a file for a recipient")
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True)
    # No `choices`: "zip" must reach the recipe to be refused with its reason.
    p.add_argument("--format", required=True, help="cms | pdf | sealed (zip is refused)")
    p.add_argument("--recipient-cert", help="recipient certificate or public key (PEM)")
    p.add_argument("--password-file", help="password (first line); default: generate one")
    p.add_argument("--cms-encoding", choices=["der", "pem", "smime"], default="der")
    p.add_argument("--no-sign", action="store_true", help="skip the signatures")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=guarded(cmd_seal))


def register_open(sub: Subparsers) -> None:
    p = sub.add_parser("open", help="decrypt a sealed export (recipient side)")
    p.add_argument("sealed")
    p.add_argument("-o", "--output", required=True)
    how = p.add_mutually_exclusive_group()
    how.add_argument("--password-file", help="file whose first line is the password")
    how.add_argument("--key", help="your private key (PEM, unencrypted)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=guarded(cmd_open))


def register_verify(sub: Subparsers) -> None:
    p = sub.add_parser("verify", help="check a detached signature, a PDF's embedded one, "
                            "or a signed erasure record (JSON)")
    p.add_argument("file")
    p.add_argument("signature", nargs="?",
                   help="detached signature (DER); omit for a PDF or an erasure record")
    p.add_argument("--cert", action="append",
                   help="trusted signer certificate (repeatable; default: this service's)")
    p.add_argument("--password-file", help="password of an encrypted PDF")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=guarded(cmd_verify))


def register(sub: Subparsers) -> None:
    """All three commands at once."""
    register_seal(sub)
    register_open(sub)
    register_verify(sub)


def main(argv: Sequence[str] | None = None) -> int:
    """These three commands on their own (tests; ``python -m service.crypto_cli``). Errors are
    reported as service.cli.main reports them."""
    return standalone(register, argv)


if __name__ == "__main__":
    sys.exit(main())
