"""The ``sekisho`` command line: init, serve, worker, users, tokens, audit, jobs."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from core.errors import SekishoError
from core.roles import ROLES, SECURITY_ADMIN
from core.settings import load_settings
from service import crypto_admin, key_rotation, milter
from service.cli_support import run_parser
from service.crypto_cli import register_open, register_seal, register_verify

if TYPE_CHECKING:
    from service.runtime import Runtime

Handler = Callable[[argparse.Namespace], int]


def _runtime() -> Runtime:
    from service.runtime import build_runtime

    return build_runtime()


def cmd_init(args: argparse.Namespace) -> int:
    from service.bootstrap import initialise

    initialise(load_settings(), quiet=args.quiet)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from service.bootstrap import initialise
    from service.supervisor import serve

    settings = load_settings()
    initialise(settings, quiet=False)
    return serve(settings, bind=args.bind or settings.bind, with_worker=not args.no_worker)


def cmd_worker(args: argparse.Namespace) -> int:
    from service.supervisor import run_worker

    return run_worker(concurrency=args.concurrency)


def cmd_users_add(args: argparse.Namespace) -> int:
    from service.accounts import create_user
    from service.serializers import user_json

    rt = _runtime()
    with rt.sessions.begin() as session:
        user = create_user(session, rt.audit_mac, name=args.name, roles=args.role,
                           profile=args.profile, actor="cli", known_profiles=rt.profiles)
        out = user_json(user)
    print(json.dumps(out, ensure_ascii=False) if args.json else
          f"user {out['name']} created with roles {', '.join(out['roles'])}")
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from service.models import User
    from service.serializers import user_json

    rt = _runtime()
    with rt.sessions() as session:
        users = [user_json(u) for u in session.execute(select(User).order_by(User.name)).scalars()]
    if args.json:
        print(json.dumps(users, ensure_ascii=False))
    for u in [] if args.json else users:
        print(f"{u['name']}\t{','.join(u['roles'])}\t{u['profile'] or '(default)'}")
    return 0


def cmd_tokens_create(args: argparse.Namespace) -> int:
    from service.accounts import create_token, find_user

    rt = _runtime()
    with rt.sessions.begin() as session:
        token = create_token(session, rt.audit_mac, user=find_user(session, args.user),
                             actor="cli")
    print(json.dumps({"user": args.user, "token": token}) if args.json else token)
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from service.audit import verify_chain

    rt = _runtime()
    with rt.sessions() as session:
        report = verify_chain(session, rt.audit_mac)
    if args.json:
        print(json.dumps(report.to_dict()))
    elif report.ok:
        print(f"audit chain OK: {report.events} events verified")
    else:
        print(f"audit chain BROKEN at event {report.first_bad_seq}: {report.problem}",
              file=sys.stderr)
    return 0 if report.ok else 1


def cmd_jobs_resume(args: argparse.Namespace) -> int:
    from service.disposals import sweep_disposals
    from service.jobs import sweep_stalled
    from service.queue import enqueue

    rt = _runtime()
    ids = sweep_stalled(rt, lambda job_id: enqueue(rt.settings, job_id))
    disposals = sweep_disposals(rt)
    print(json.dumps({"requeued": ids, "disposals": disposals}) if args.json
          else f"re-queued {len(ids)} job(s) and {len(disposals)} disposal(s)")
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from service.inspect_file import classify_file

    out = classify_file(args.file, profile_name=args.profile)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    labels = out["labels"]
    print(f"{args.file}: {out['content_type']} -> {labels['confidentiality']} "
          f"{labels['integrity']} {labels['availability']} "
          f"{' '.join(labels['restrictions'])}  ({out['display']['confidentiality']})")
    for finding in out["findings"]:
        print(f"  {finding['entity']:<24} {finding['start']:>8}-{finding['end']:<8} "
              f"score {finding['score']:.2f}")
    for gap in out["extraction"].get("incomplete", []):
        print(f"  not read: {gap}")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from service.inspect_file import inspect_file

    out = inspect_file(args.file)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    inspection = out["inspection"]
    print(f"{args.file}: {out['content_type']}")
    for part in ("metadata_keys", "active_content", "hidden_data", "notices"):
        if inspection[part]:
            print(f"  {part}: {inspection[part]}")
    print(f"  label: {out['label']} ({out['label_source'] or 'none'})")
    return 0


def cmd_sanitise(args: argparse.Namespace) -> int:
    from service.inspect_file import sanitise_to

    try:
        out = sanitise_to(args.file, args.output, mode=args.mode, profile_name=args.profile,
                          direction=args.direction, label=not args.no_label)
    except SekishoError as exc:
        if not args.json:
            raise
        print(json.dumps({**exc.to_dict(), "file": args.file}, ensure_ascii=False))
        return 2
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"{args.file} -> {out['output']} ({out['output_mime']}, mode {out['mode']}, "
              f"removed {sum(out['removed'].values())} item(s))")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sekisho", description="関所 checkpoint service")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("init", help="create the data directory, KEK, schema and first admin")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_init)
    p = sub.add_parser("serve", help="run the API and an embedded worker")
    p.add_argument("--bind", help="host:port (default SEKISHO_BIND or 127.0.0.1:8080)")
    p.add_argument("--no-worker", action="store_true", help="API only")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("classify", help="find what a file contains and the label it needs")
    p.add_argument("file")
    p.add_argument("--profile", help="policy profile (default: SEKISHO_PROFILE)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_classify)
    p = sub.add_parser("inspect", help="what a file holds (names and counts) and its label")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("sanitise", help="clean, verify and label one file (無害化)")
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--mode", choices=["structural", "pdf", "raster"],
                   help="default: what the profile sets for the direction and label")
    p.add_argument("--profile", help="policy profile (default: SEKISHO_PROFILE)")
    p.add_argument("--direction", choices=["outbound", "inbound"], default="outbound")
    p.add_argument("--no-label", action="store_true", help="do not write the label")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sanitise)
    register_seal(sub)
    register_open(sub)
    register_verify(sub)
    key_rotation.register(sub)  # sekisho keys rotate | status (issue 5, item 3)
    crypto_admin.register(sub)  # sekisho crypto withdraw | reinstate | status | migrate (item 7)
    milter.register(sub)  # sekisho milter (issue 7, item 1)

    p = sub.add_parser("worker", help="run a pipeline worker")
    p.add_argument("--concurrency", type=int, default=1)
    p.set_defaults(func=cmd_worker)
    _add_user_commands(sub)
    tokens = sub.add_parser("tokens").add_subparsers(dest="tokens_command", required=True)
    p = tokens.add_parser("create", help="issue an API token (shown once)")
    p.add_argument("--user", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_tokens_create)
    audit = sub.add_parser("audit").add_subparsers(dest="audit_command", required=True)
    p = audit.add_parser("verify", help="verify the audit hash chain; non-zero if broken")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_audit_verify)
    jobs = sub.add_parser("jobs").add_subparsers(dest="jobs_command", required=True)
    p = jobs.add_parser("resume", help="re-queue jobs whose worker died")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_jobs_resume)
    return parser


def _add_user_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    users = sub.add_parser("users").add_subparsers(dest="users_command", required=True)
    p = users.add_parser("add", help="create a user")
    p.add_argument("name")
    p.add_argument("--role", action="append", required=True, choices=sorted(ROLES),
                   help=f"repeatable; e.g. --role uploader (admin role: {SECURITY_ADMIN})")
    p.add_argument("--profile", help="policy profile (default: the deployment's)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_users_add)
    p = users.add_parser("list", help="list users")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_users_list)


def main(argv: Sequence[str] | None = None) -> int:
    return run_parser(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
