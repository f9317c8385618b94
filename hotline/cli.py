"""The ``hotline`` command: the only place that composes bot, api, nlu and flows.

Subcommands import what they need lazily: ``import aiogram`` alone costs
seconds, and ``hotline nlu predict`` or ``hotline flows validate`` should not
pay for the whole system.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from hotline.paths import DEFAULT_CONTENT, NLU_DATA

ROLES = ("admin", "editor", "advisor", "service")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="run everything in one process (embedded servers by default)")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--port", type=int, default=8000)
    up.add_argument("--no-bot", action="store_true", help="do not start the Telegram bot")

    api = sub.add_parser("api", help="run the knowledge service and staff side")
    api.add_argument("--host", default=None)
    api.add_argument("--port", type=int, default=None)

    bot = sub.add_parser("bot", help="run the Telegram bot (long polling unless --webhook)")
    bot.add_argument("--webhook", action="store_true")
    bot.add_argument("--host", default="127.0.0.1", help="webhook listen address")
    bot.add_argument("--port", type=int, default=8081, help="webhook listen port")
    bot.add_argument("--check", action="store_true", help="health check: is the bot alive?")

    actions = sub.add_parser("actions", help="run the rasa-sdk action server")
    actions.add_argument("--host", default=None)
    actions.add_argument("--port", type=int, default=None)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("--revision", default="head")
    migrate.add_argument("--downgrade", metavar="REVISION", default=None)

    nlu = sub.add_parser("nlu", help="train, evaluate and try the language model")
    nlu_sub = nlu.add_subparsers(dest="nlu_command", required=True)
    nlu_sub.add_parser("train", help="train (or reuse) the model from nlu/data")
    nlu_eval = nlu_sub.add_parser("eval", help="evaluate on a JSONL file with text and intent")
    nlu_eval.add_argument("file", type=Path)
    nlu_sub.add_parser("predict", help="classify lines of stdin, one JSON object per line")

    flows = sub.add_parser("flows", help="validate, import and export flow content")
    flows_sub = flows.add_subparsers(dest="flows_command", required=True)
    for name, text in (
        ("validate", "check a content directory and report every problem"),
        ("import", "load a content directory into the database and publish it"),
        ("export", "write the published flows to a content directory"),
    ):
        cmd = flows_sub.add_parser(name, help=text)
        cmd.add_argument("dir", type=Path, nargs="?" if name == "validate" else None,
                         default=DEFAULT_CONTENT if name == "validate" else None)
    flows_sub.choices["export"].add_argument(
        "--all", action="store_true", help="export the latest versions, not only published ones"
    )

    staff = sub.add_parser("staff", help="manage staff accounts")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    create = staff_sub.add_parser("create", help="create an account and print its token")
    create.add_argument("name")
    create.add_argument("--role", choices=ROLES, required=True)
    revoke = staff_sub.add_parser("revoke", help="revoke an account's token")
    revoke.add_argument("name")
    staff_sub.add_parser("list", help="list staff accounts")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    handler = _HANDLERS[args.command]
    from hotline.settings import InsecureSecretError

    try:
        return handler(args)
    except InsecureSecretError as exc:  # a configuration error, not a crash: no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _cmd_up(args: argparse.Namespace) -> int:
    from hotline.up import run_up

    return asyncio.run(run_up(host=args.host, port=args.port, with_bot=not args.no_bot))


def _cmd_api(args: argparse.Namespace) -> int:
    from hotline.services import run_api

    return run_api(host=args.host, port=args.port)


def _cmd_bot(args: argparse.Namespace) -> int:
    from hotline.services import bot_check, run_bot

    if args.check:
        return bot_check()
    return run_bot(webhook=args.webhook, host=args.host, port=args.port)


def _cmd_actions(args: argparse.Namespace) -> int:
    from hotline.services import run_actions

    return run_actions(host=args.host, port=args.port)


def _cmd_migrate(args: argparse.Namespace) -> int:
    from hotline.services import migrate

    return migrate(revision=args.revision, downgrade=args.downgrade)


def _cmd_nlu(args: argparse.Namespace) -> int:
    from hotline.settings import CommonSettings
    from nlu import commands

    cache = CommonSettings().data_dir.expanduser().resolve() / "nlu"
    if args.nlu_command == "train":
        commands.train(NLU_DATA, cache, sys.stdout)
    elif args.nlu_command == "eval":
        commands.evaluate(args.file, sys.stdout, data_dir=NLU_DATA, cache_dir=cache)
    else:
        commands.predict(sys.stdin, sys.stdout, data_dir=NLU_DATA, cache_dir=cache)
    return 0


def _cmd_flows(args: argparse.Namespace) -> int:
    if args.flows_command == "validate":
        from flows.validate import format_problems, validate_pack_dir
        from hotline.settings import ApiSettings

        problems = validate_pack_dir(
            args.dir, today=dt.date.today(), max_age_days=ApiSettings().content_max_age_days
        )
        print(format_problems(problems))
        return 1 if any(p.severity == "error" for p in problems) else 0
    from hotline.services import export_flows, import_flows

    if args.flows_command == "import":
        return import_flows(args.dir)
    return export_flows(args.dir, published_only=not args.all)


def _cmd_staff(args: argparse.Namespace) -> int:
    from hotline import services

    if args.staff_command == "create":
        return services.staff_create(args.name, args.role)
    if args.staff_command == "revoke":
        return services.staff_revoke(args.name)
    return services.staff_list()


_HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "up": _cmd_up,
    "api": _cmd_api,
    "bot": _cmd_bot,
    "actions": _cmd_actions,
    "migrate": _cmd_migrate,
    "nlu": _cmd_nlu,
    "flows": _cmd_flows,
    "staff": _cmd_staff,
}

if __name__ == "__main__":
    raise SystemExit(main())
