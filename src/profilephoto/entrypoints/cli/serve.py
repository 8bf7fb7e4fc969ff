"""`profilephoto serve`: the whole product on this machine, after checking its port."""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
from pathlib import Path
from typing import Any

DEFAULT_USER = "local-user"


def add_parser(subparsers: Any, data_dir_help: str, default_data_dir: Path) -> None:
    serve = subparsers.add_parser("serve", help="run the API, worker and web page locally")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (%(default)s)")
    serve.add_argument("--data-dir", type=Path, default=default_data_dir, help=data_dir_help)
    serve.add_argument(
        "--public-url", help="the URL clients reach the server at, when it is not host:port"
    )


def run(args: argparse.Namespace) -> int:
    return serve(args.host, args.port, args.data_dir, args.public_url)


def _port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port, or None when it can."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: SO_REUSEADDR ignores TIME_WAIT leftovers, not a live listener.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return f"port {port} is already in use; choose another: {_port_option(port + 1)}"
            return f"cannot listen on {host}:{port} ({error.strerror}); check --host and --port"
    return None


def _port_option(port: int) -> str:
    """How the person who started us passes a port: `make run` sets MAKELEVEL."""
    if os.environ.get("MAKELEVEL"):
        return f"make run PORT={port} (--port {port} without make)"
    return f"--port {port}"


def _quiet_lambda_tooling() -> None:
    # EMF metrics only mean something to CloudWatch; locally they would flood the console.
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")


def _env_float(name: str, default: float | None) -> float | None:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return float(value)
    except ValueError:
        raise SystemExit(f"{name} must be a number of seconds, not {value!r}") from None


def serve(host: str, port: int, data_dir: Path, public_url: str | None) -> int:
    """The whole product on this machine until Ctrl-C."""
    _quiet_lambda_tooling()
    import uvicorn

    from profilephoto.entrypoints.local.server import base_url_for, create_app
    from profilephoto.settings import ConfigurationError, load_settings

    problem = _port_problem(host, port)
    if problem is not None:
        print(f"profilephoto serve: {problem}", file=sys.stderr)
        return 2
    url = (public_url or base_url_for(host, port)).rstrip("/")
    try:  # a configuration this machine cannot meet is said before any URL is printed
        app = create_app(
            data_dir,
            host,
            port,
            settings=load_settings(),
            base_url=url,
            visibility_timeout=_env_float("LOCAL_QUEUE_VISIBILITY_TIMEOUT", None),
        )
    except ConfigurationError as error:
        print(f"profilephoto serve: {error}", file=sys.stderr)
        return 2
    token = app.state.container.auth().issue(DEFAULT_USER, name="Local User")
    print(f"profilephoto is serving {data_dir.resolve()} at {url}/", flush=True)
    print(f"  open:  {url}/#token={token}", flush=True)
    print(f"  token: {token}", flush=True)
    print(f"  (another user's token: profilephoto token USER_ID --data-dir {data_dir})", flush=True)
    # No access log: it would print the presigned object URLs, signatures included.
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    return 0
