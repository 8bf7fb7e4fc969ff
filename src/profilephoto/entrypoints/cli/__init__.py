"""The `profilephoto` command line: serve, token, demo, doctor, admin, inspect (docs/api.md §6)."""

from __future__ import annotations

import argparse
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

DATA_DIR_HELP = "where the local state lives (default: %(default)s, or $PROFILEPHOTO_DATA_DIR)"


class Command(Protocol):
    """A module of this package: one subcommand."""

    def add_parser(self, subparsers: Any, data_dir_help: str, default_data_dir: Path) -> None:
        """Add the subcommand and its arguments to `subparsers`."""

    def run(self, args: argparse.Namespace) -> int:
        """Do what the parsed `args` ask; the process's exit status."""


def default_data_dir() -> Path:
    """One place per user, whatever the working directory, so `serve` and `token` agree."""
    chosen = os.environ.get("PROFILEPHOTO_DATA_DIR")
    if chosen:
        return Path(chosen).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "profilephoto"


def main(argv: Sequence[str] | None = None) -> int:
    from PIL import Image

    from profilephoto.entrypoints.cli import admin, demo, doctor, inspect, serve, token

    # Pillow warns from 89 MP; ShapeLimits refuse from 50 MP before decoding and say so.
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
    parser = argparse.ArgumentParser(prog="profilephoto", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    # One module per command, each adding its own arguments; listed in --help in this order.
    commands: dict[str, Command] = {
        "serve": serve,
        "token": token,
        "demo": demo,
        "doctor": doctor,
        "admin": admin,
        "inspect": inspect,
    }
    for command in commands.values():
        command.add_parser(subparsers, DATA_DIR_HELP, default_data_dir())
    args = parser.parse_args(argv)
    return commands[args.command].run(args)
