"""The `profilephoto` command line: `serve`, `token` and `demo` (docs/api.md §6)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

DEFAULT_DATA_DIR = Path(".profilephoto")
DEFAULT_USER = "local-user"
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "heic": "image/heic",
    "heif": "image/heif",
}


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
    from profilephoto.containers.local import build_local_container
    from profilephoto.entrypoints.local.server import base_url_for
    from profilephoto.entrypoints.local.server import serve as run_server
    from profilephoto.settings import load_settings

    url = (public_url or base_url_for(host, port)).rstrip("/")
    settings = load_settings()
    token = (
        build_local_container(settings, data_dir, url).auth().issue(DEFAULT_USER, name="Local User")
    )
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
        generator_delay=_env_float("LOCAL_GENERATOR_DELAY", 0.0) or 0.0,
    )
    return 0


def token(user_id: str, data_dir: Path) -> int:
    """Print a bearer token the local server over `data_dir` accepts."""
    from profilephoto.containers.local import build_local_container
    from profilephoto.settings import load_settings

    try:
        issued = build_local_container(load_settings(), data_dir).auth().issue(user_id)
    except ValueError as error:
        print(f"profilephoto token: {error}", file=sys.stderr)
        return 2
    print(issued)
    return 0


def demo(image: Path | None, style: str, out: Path, data_dir: Path | None) -> int:
    """Upload -> generate -> process -> result for one photo, in process, on the local runtime."""
    if image is not None and not image.is_file():
        print(f"profilephoto demo: no such file: {image}", file=sys.stderr)
        return 2
    if data_dir is not None:
        return _demo(image, style, out, data_dir)
    with tempfile.TemporaryDirectory(prefix="profilephoto-demo-") as temp:
        return _demo(image, style, out, Path(temp))


def _demo(image: Path | None, style: str, out: Path, data_dir: Path) -> int:
    from profilephoto.containers.local import build_local_container
    from profilephoto.domain.errors import ProfilePhotoError
    from profilephoto.domain.models import Identity, UploadRequest
    from profilephoto.entrypoints.sample_photo import sample_portrait
    from profilephoto.settings import load_settings

    container = build_local_container(load_settings(), data_dir)
    services = container.services
    who = Identity(user_id="demo-user", email="demo@example.com", display_name="Demo User")
    ext = (image.suffix.lstrip(".").lower() if image else "jpg") or "jpg"
    data = image.read_bytes() if image else sample_portrait()
    source = str(image) if image else "a generated sample portrait"
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
        accepted = services.generation_service().request_generation(who, ticket.file_key, style)
        step(3, f"queued {accepted.job_id} ({accepted.remaining_quota} left today)")
        generator = container.generator().model_name
        step(4, f"processing with {generator} ...")
        for message in container.queue().receive(10):
            services.processing_service().process(message.body, message.receive_count)
            container.queue().delete(message.message_id)
        job = services.query_service().get_job(who, accepted.job_id)
        stored = container.uow().jobs.get(accepted.job_id)
        result = b""
        if stored is not None and stored.output_image_url:
            prefix = container.results().uri("")
            result = container.results().read(stored.output_image_url.removeprefix(prefix))
    except ProfilePhotoError as error:
        print(f"demo failed: {error.message} ({error.code})", file=sys.stderr)
        return 1
    finally:
        container.uow().close()
        container.queue().close()
    if job["status"] != "completed":
        failure = job.get("error") or {}
        print(
            f"the job {job['status']} ({failure.get('code')}): {failure.get('message')}",
            file=sys.stderr,
        )
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(result)
    step(
        5,
        f"wrote {out} ({len(result):,} bytes, style {style}, model {job['metadata']['model']}, "
        f"{job.get('processingTime', 0)} ms)",
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="profilephoto", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run_serve = commands.add_parser("serve", help="run the API, worker and web page locally")
    run_serve.add_argument("--host", default="127.0.0.1")
    run_serve.add_argument("--port", type=int, default=8000)
    run_serve.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    run_serve.add_argument("--public-url", help="the URL clients reach the server at")

    run_token = commands.add_parser("token", help="print a bearer token the local server accepts")
    run_token.add_argument("user_id", metavar="USER_ID")
    run_token.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)

    run_demo = commands.add_parser("demo", help="run one photo through the whole flow")
    run_demo.add_argument("image", nargs="?", type=Path, metavar="IMAGE")
    run_demo.add_argument("--style", default="professional")
    run_demo.add_argument("--out", type=Path, default=Path("profilephoto-result.png"))
    run_demo.add_argument("--data-dir", type=Path, help="keep the run here (default: a temp dir)")

    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args.host, args.port, args.data_dir, args.public_url)
    if args.command == "token":
        return token(args.user_id, args.data_dir)
    return demo(args.image, args.style, args.out, args.data_dir)


if __name__ == "__main__":
    raise SystemExit(main())
