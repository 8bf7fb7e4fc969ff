"""`profilephoto admin`: an operator's view of one user and of a day (docs/api.md §6)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from profilephoto.domain.report import DayReport
from profilephoto.services.admin import AdminService, UserOverview


def add_parser(subparsers: Any, data_dir_help: str, default_data_dir: Path) -> None:
    admin = subparsers.add_parser("admin", help="inspect users, set allowances, report a day")
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--data-dir", type=Path, default=default_data_dir, help=data_dir_help)
    where.add_argument(
        "--aws",
        action="store_true",
        help="work on the deployed tables named by USERS_TABLE, USAGE_TABLE, JOBS_TABLE "
        "(AWS credentials and region from the environment)",
    )
    where.add_argument("--json", action="store_true", help="print JSON instead of a table")
    actions = admin.add_subparsers(dest="action", required=True)
    user = actions.add_parser("user", parents=[where], help="a user's record and today's usage")
    user.add_argument("user_id", metavar="USER_ID")
    limit = actions.add_parser(
        "set-limit", parents=[where], help="give a user a personal daily limit"
    )
    limit.add_argument("user_id", metavar="USER_ID")
    limit.add_argument("limit", metavar="N", type=int, help="generations per quota day")
    report = actions.add_parser(
        "report", parents=[where], help="jobs, images, failures, tokens and cost of a day"
    )
    report.add_argument("--date", help="the UTC day, YYYY-MM-DD (default: today)")


def run(args: argparse.Namespace) -> int:
    from profilephoto.domain.errors import ProfilePhotoError

    service = _service(args)
    answer: UserOverview | DayReport
    try:
        if args.action == "user":
            answer = service.user(args.user_id)
        elif args.action == "set-limit":
            answer = service.set_limit(args.user_id, args.limit)
        else:
            answer = service.report(args.date)
    except ProfilePhotoError as error:
        print(f"profilephoto admin: {error.message}", file=sys.stderr)
        return 2
    shown = _shown(answer)
    print(json.dumps(shown, indent=2) if args.json else _table(shown))
    return 0


def _shown(answer: UserOverview | DayReport) -> dict[str, Any]:
    """The service's answer as the operator reads it: camelCase, as the API's fields."""
    if isinstance(answer, DayReport):
        return answer.to_json_dict()
    record = answer.record.to_json_dict() if answer.record is not None else None
    return {"userId": answer.user_id, "record": record, "usage": answer.usage.to_json_dict()}


def _service(args: argparse.Namespace) -> AdminService:
    from profilephoto.settings import load_settings

    settings = load_settings()
    if args.aws:
        from profilephoto.containers.aws import build_admin_service

        return build_admin_service(settings)
    from profilephoto.bootstrap import bootstrap

    admin: AdminService = bootstrap("local", settings, data_dir=args.data_dir).services.admin()
    return admin


def _table(answer: dict[str, Any], indent: str = "") -> str:
    """Nested answers as aligned `name  value` lines, sections indented."""
    width = max((len(name) for name in answer), default=0)
    lines = []
    for name, value in answer.items():
        if isinstance(value, dict):
            lines.append(f"{indent}{name}:" + ("" if value else " (none)"))
            if value:
                lines.append(_table(value, indent + "  "))
        else:
            shown = "-" if value is None else value
            lines.append(f"{indent}{name.ljust(width)}  {shown}")
    return "\n".join(lines)
