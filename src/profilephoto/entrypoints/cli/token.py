"""`profilephoto token USER_ID`: a bearer token the local server over a data directory accepts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any, data_dir_help: str, default_data_dir: Path) -> None:
    token = subparsers.add_parser("token", help="print a bearer token the local server accepts")
    token.add_argument("user_id", metavar="USER_ID", help="the user the token speaks for")
    token.add_argument("--data-dir", type=Path, default=default_data_dir, help=data_dir_help)


def run(args: argparse.Namespace) -> int:
    return token(args.user_id, args.data_dir)


def token(user_id: str, data_dir: Path) -> int:
    """Print a bearer token the local server over `data_dir` accepts.

    A token signed with a fresh secret would be refused by the server, so none is invented.
    """
    from profilephoto.adapters.local.auth import LocalAuth
    from profilephoto.adapters.local.keyfile import load_secret

    try:
        secret = load_secret(data_dir, "token")
        if secret is None:
            print(
                f"profilephoto token: no server has run over {data_dir} yet, so there is no "
                "signing key. Start `profilephoto serve` first, or pass the --data-dir "
                "it serves.",
                file=sys.stderr,
            )
            return 2
        issued = LocalAuth(secret).issue(user_id)
    except ValueError as error:
        print(f"profilephoto token: {error}", file=sys.stderr)
        return 2
    print(issued)
    return 0
