"""`profilephoto demo IMAGE`: one photo through upload, generate, process and results."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from profilephoto.domain.job_options import ASPECT_RATIOS
from profilephoto.domain.styles import StyleCatalog

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


def add_parser(subparsers: Any, data_dir_help: str, default_data_dir: Path) -> None:
    demo = subparsers.add_parser("demo", help="run one photo through the whole flow")
    demo.add_argument(
        "image",
        nargs="?",
        type=Path,
        metavar="IMAGE",
        help="a JPEG, PNG, WebP or HEIC photo (default: NASA's public-domain portrait of "
        "Eileen Collins)",
    )
    demo.add_argument(
        "--style",
        default="professional",
        choices=StyleCatalog().ids(),
        metavar="STYLE",
        help="one of: %(choices)s (default: %(default)s)",
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("profilephoto-result.png"),
        help="where to write the result (default: %(default)s)",
    )
    demo.add_argument(
        "--count",
        type=_variant_count,
        default=1,
        metavar="N",
        help=f"how many variants to make, 1 to MAX_VARIANTS ({_default_max_variants()} unless "
        "set); several are written as OUT-1, OUT-2, ... (default: 1)",
    )
    demo.add_argument(
        "--aspect-ratio",
        default="1:1",
        choices=ASPECT_RATIOS,
        metavar="RATIO",
        help="the shape of the result, one of: %(choices)s (default: %(default)s)",
    )
    # Not the shared default: a demo leaves nothing behind unless asked to.
    demo.add_argument("--data-dir", type=Path, help="keep the run here (default: a temp dir)")


def run(args: argparse.Namespace) -> int:
    request = DemoRequest(args.image, args.style, args.out, args.count, args.aspect_ratio)
    return demo(request, args.data_dir)


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
