"""The `profilephoto` command line: serve, token, demo, doctor, admin, inspect (docs/api.md §6)."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import socket
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

DEFAULT_USER = "local-user"
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "jfif": "image/jpeg",
    "jpe": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "heic": "image/heic",
    "heif": "image/heif",
}


def default_data_dir() -> Path:
    """One place per user, whatever the working directory, so `serve` and `token` agree."""
    chosen = os.environ.get("PROFILEPHOTO_DATA_DIR")
    if chosen:
        return Path(chosen).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "profilephoto"


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
    from profilephoto.bootstrap import bootstrap
    from profilephoto.entrypoints.local.server import base_url_for
    from profilephoto.entrypoints.local.server import serve as run_server
    from profilephoto.settings import load_settings

    problem = _port_problem(host, port)
    if problem is not None:
        print(f"profilephoto serve: {problem}", file=sys.stderr)
        return 2
    url = (public_url or base_url_for(host, port)).rstrip("/")
    settings = load_settings()
    local = bootstrap("local", settings, data_dir=data_dir, base_url=url)
    token = local.auth().issue(DEFAULT_USER, name="Local User")
    print(f"profilephoto is serving {data_dir.resolve()} at {url}/", flush=True)
    print(f"  open:  {url}/#token={token}", flush=True)
    print(f"  token: {token}", flush=True)
    print(f"  (another user's token: profilephoto token USER_ID --data-dir {data_dir})", flush=True)
    run_server(
        data_dir,
        host,
        port,
        settings=settings,
        base_url=url,
        visibility_timeout=_env_float("LOCAL_QUEUE_VISIBILITY_TIMEOUT", None),
    )
    return 0


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


@dataclass(frozen=True)
class DemoRequest:
    image: Path | None
    style: str
    out: Path
    count: int = 1
    aspect_ratio: str = "1:1"


def demo(request: DemoRequest, data_dir: Path | None) -> int:
    """Upload -> generate -> process -> results for one photo, in process, on the local runtime."""
    if request.image is not None and not request.image.is_file():
        print(f"profilephoto demo: no such file: {request.image}", file=sys.stderr)
        return 2
    if data_dir is not None:
        return _demo(request, data_dir)
    with tempfile.TemporaryDirectory(prefix="profilephoto-demo-") as temp:
        return _demo(request, Path(temp))


def variant_paths(out: Path, count: int) -> list[Path]:
    """Where the images go: `out` itself for one, `out-1`, `out-2`, ... for several."""
    if count == 1:
        return [out]
    return [out.with_name(f"{out.stem}-{n}{out.suffix}") for n in range(1, count + 1)]


def _demo(request: DemoRequest, data_dir: Path) -> int:
    from profilephoto.bootstrap import bootstrap
    from profilephoto.domain.commands import GenerationRequest, UploadRequest
    from profilephoto.domain.errors import ProfilePhotoError
    from profilephoto.domain.models import Identity
    from profilephoto.entrypoints.aws_lambda.views import job_view
    from profilephoto.entrypoints.sample_photo import public_domain_portrait
    from profilephoto.settings import load_settings

    container = bootstrap("local", load_settings(), data_dir=data_dir)
    services = container.services
    who = Identity(user_id="demo-user", email="demo@example.com", display_name="Demo User")
    image, style = request.image, request.style
    ext = (image.suffix.lstrip(".").lower() if image else "jpg") or "jpg"
    data = image.read_bytes() if image else public_domain_portrait()
    source = str(image) if image else "NASA's public-domain portrait of Eileen Collins"
    started = time.monotonic()

    def step(number: int, text: str) -> None:
        print(f"[{number}/5 {time.monotonic() - started:5.2f}s] {text}", flush=True)

    try:
        ticket = services.upload_service().request_upload(
            who,
            UploadRequest(
                file_name=f"photo.{ext}",
                content_type=CONTENT_TYPES.get(ext, f"image/{ext}"),
                file_size=len(data),
            ),
        )
        step(1, f"presigned upload for {source}: {ticket.method} {ticket.file_key}")
        # Through the same signature check the server applies to a PUT on the URL.
        query = dict(parse_qsl(urlsplit(ticket.upload_url).query))
        container.uploads().accept_upload(
            ticket.file_key, query, ticket.headers["Content-Type"], data
        )
        step(2, f"uploaded {len(data):,} bytes")
        asked = GenerationRequest(
            ticket.file_key, style, count=request.count, aspect_ratio=request.aspect_ratio
        )
        accepted = services.generation_service().request_generation(who, asked)
        step(3, f"queued {accepted.job_id} ({accepted.remaining_quota} left today)")
        generator = container.generator().model_name
        step(4, f"processing with {generator} ...")
        for message in container.queue().receive(10):
            services.processing_service().process(message.body)
            container.queue().delete(message.message_id)
        job = job_view(services.query_service().get_job(who, accepted.job_id)).to_json()
        results = [
            container.results().read(key)
            for key in services.query_service().result_keys(who, accepted.job_id)
        ]
    except ProfilePhotoError as error:
        print(f"demo failed: {error.message} ({error.code})", file=sys.stderr)
        return 1
    finally:
        container.uow().close()
        container.queue().close()
        container.pauses().close()
    if job["status"] != "completed":
        failure = job.get("error") or {}
        if failure.get("code") == "photo_rejected":  # the advice is the message: show it plainly
            print(
                f"photo not used ({failure.get('reason')}): {failure.get('message')}",
                file=sys.stderr,
            )
            return 1
        print(
            f"the job {job['status']} ({failure.get('code')}): {failure.get('message')}",
            file=sys.stderr,
        )
        return 1
    paths = variant_paths(request.out, len(results))
    for path, result in zip(paths, results, strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(result)
    failed = job["metadata"].get("failedVariants")
    step(
        5,
        f"wrote {', '.join(str(p) for p in paths)} ({sum(len(r) for r in results):,} bytes, "
        f"style {style}, {request.aspect_ratio}, model {job['metadata']['model']}, "
        f"{job.get('processingTime', 0)} ms)"
        + (f"; {failed} variant(s) failed" if failed else "")
        + (f"; {line}" if (line := likeness_line(job["metadata"])) else ""),
    )
    return 0


def likeness_line(metadata: dict[str, Any]) -> str | None:
    """What the likeness check said of each result (docs/api.md §4.8), or None when it
    did not run (LIKENESS_CHECK=off, or no face in the photo)."""
    scores = metadata.get("likeness")
    if not isinstance(scores, list):
        return None
    bar = metadata.get("likenessMin")
    shown = ", ".join("no face" if s is None else f"{s:.3f}" for s in scores)
    verdict = (
        f"{metadata.get('lowLikenessImages', 0)} below the bar: delivered, not charged"
        if metadata.get("lowLikeness")
        else "looks like you"
    )
    retries = metadata.get("likenessRetries", 0)
    again = f", {retries} made again" if retries else ""
    return f"likeness {shown} (bar {bar}{again}): {verdict}"


def doctor(data_dir: Path) -> int:
    """Print each configuration problem with its fix; exit 0 only when all is well."""
    from profilephoto.entrypoints.doctor import diagnose, report

    with _library_logs_unprinted():
        findings = diagnose(data_dir)
    text, status = report(findings)
    print(text)
    return status


@contextmanager
def _library_logs_unprinted() -> Iterator[None]:
    """The findings say what the adapters log (a refused key, Gemini out of reach); with no
    handler configured, Python's last resort would print those records as bare lines."""
    quiet = logging.NullHandler()
    logger = logging.getLogger("profilephoto")
    logger.addHandler(quiet)
    try:
        yield
    finally:
        logger.removeHandler(quiet)


def _default_max_variants() -> int:
    from profilephoto.settings import Settings

    return int(Settings.model_fields["max_variants"].default)


def _variant_count(text: str) -> int:
    """--count, checked against MAX_VARIANTS before anything is uploaded."""
    from profilephoto.settings import ConfigurationError, load_settings

    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    try:
        most = load_settings().max_variants
    except ConfigurationError:
        most = _default_max_variants()  # the run itself will name the bad variable
    if not 1 <= count <= most:
        raise argparse.ArgumentTypeError(f"{count} is not from 1 to {most} (MAX_VARIANTS)")
    return count


def main(argv: Sequence[str] | None = None) -> int:
    from PIL import Image

    from profilephoto.domain.job_options import ASPECT_RATIOS
    from profilephoto.domain.styles import StyleCatalog
    from profilephoto.entrypoints import admin_cli, inspect_cli

    # Pillow warns from 89 MP; ShapeLimits refuse from 50 MP before decoding and say so.
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
    data_dir_help = "where the local state lives (default: %(default)s, or $PROFILEPHOTO_DATA_DIR)"
    parser = argparse.ArgumentParser(prog="profilephoto", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run_serve = commands.add_parser("serve", help="run the API, worker and web page locally")
    run_serve.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    run_serve.add_argument("--port", type=int, default=8000, help="port to listen on (%(default)s)")
    run_serve.add_argument("--data-dir", type=Path, default=default_data_dir(), help=data_dir_help)
    run_serve.add_argument(
        "--public-url", help="the URL clients reach the server at, when it is not host:port"
    )

    run_token = commands.add_parser("token", help="print a bearer token the local server accepts")
    run_token.add_argument("user_id", metavar="USER_ID", help="the user the token speaks for")
    run_token.add_argument("--data-dir", type=Path, default=default_data_dir(), help=data_dir_help)

    run_demo = commands.add_parser("demo", help="run one photo through the whole flow")
    run_demo.add_argument(
        "image",
        nargs="?",
        type=Path,
        metavar="IMAGE",
        help="a JPEG, PNG, WebP or HEIC photo (default: NASA's public-domain portrait of "
        "Eileen Collins)",
    )
    run_demo.add_argument(
        "--style",
        default="professional",
        choices=StyleCatalog().ids(),
        metavar="STYLE",
        help="one of: %(choices)s (default: %(default)s)",
    )
    run_demo.add_argument(
        "--out",
        type=Path,
        default=Path("profilephoto-result.png"),
        help="where to write the result (default: %(default)s)",
    )
    run_demo.add_argument(
        "--count",
        type=_variant_count,
        default=1,
        metavar="N",
        help=f"how many variants to make, 1 to MAX_VARIANTS ({_default_max_variants()} unless "
        "set); several are written as OUT-1, OUT-2, ... (default: 1)",
    )
    run_demo.add_argument(
        "--aspect-ratio",
        default="1:1",
        choices=ASPECT_RATIOS,
        metavar="RATIO",
        help="the shape of the result, one of: %(choices)s (default: %(default)s)",
    )
    run_demo.add_argument("--data-dir", type=Path, help="keep the run here (default: a temp dir)")

    run_doctor = commands.add_parser(
        "doctor", help="check the configuration (and, with a key, MODEL_NAME); exit 0 when well"
    )
    run_doctor.add_argument("--data-dir", type=Path, default=default_data_dir(), help=data_dir_help)
    admin_cli.add_parser(commands, data_dir_help, default_data_dir())
    inspect_cli.add_parser(commands, data_dir_help, default_data_dir())

    args = parser.parse_args(argv)
    if args.command == "doctor":
        return doctor(args.data_dir)
    if args.command == "admin":
        return admin_cli.run(args)
    if args.command == "inspect":
        return inspect_cli.run(args)
    if args.command == "serve":
        return serve(args.host, args.port, args.data_dir, args.public_url)
    if args.command == "token":
        return token(args.user_id, args.data_dir)
    request = DemoRequest(args.image, args.style, args.out, args.count, args.aspect_ratio)
    return demo(request, args.data_dir)


if __name__ == "__main__":
    raise SystemExit(main())
