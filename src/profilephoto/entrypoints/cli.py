"""The `profilephoto` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from profilephoto.adapters.memory.generator import PNG_SIGNATURE
from profilephoto.containers.memory import MemoryContainer
from profilephoto.domain.models import Identity, UploadRequest

SAMPLE_JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 1024


def demo(image: Path | None, style: str, out: Path) -> int:
    """Upload -> generate -> process -> result, in process, on the memory adapters."""
    container = MemoryContainer()
    services = container.services
    who = Identity(user_id="demo-user", email="demo@example.com")
    data = image.read_bytes() if image else SAMPLE_JPEG
    ext = (image.suffix.lstrip(".").lower() if image else "jpg") or "jpg"
    content_type = {"jpg": "image/jpeg", "jpeg": "image/jpeg"}.get(ext, f"image/{ext}")
    ticket = services.upload_service().request_upload(
        who, UploadRequest(file_name=f"photo.{ext}", content_type=content_type, file_size=len(data))
    )
    print(f"1/5 presigned upload   {ticket.method} -> {ticket.file_key}")
    container.uploads().write(ticket.file_key, data, content_type)
    print(f"2/5 uploaded           {len(data)} bytes")
    accepted = services.generation_service().request_generation(who, ticket.file_key, style)
    print(f"3/5 generation queued  {accepted.job_id} (remaining today: {accepted.remaining_quota})")
    for message in container.queue().drain():
        outcome = services.processing_service().process(message).outcome
        print(f"4/5 processed          {outcome.value}")
    job = services.query_service().get_job(who, accepted.job_id)
    if job["status"] != "completed":
        print(f"job ended {job['status']}: {job.get('error')}", file=sys.stderr)
        return 1
    result = next(iter(container.results().objects.values()))[0]
    out.write_bytes(result)
    kind = "PNG" if result.startswith(PNG_SIGNATURE) else "image"
    print(
        f"5/5 result written     {out} ({len(result)} bytes, {kind}, "
        f"model {job['metadata']['model']})"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="profilephoto")
    commands = parser.add_subparsers(dest="command", required=True)
    run_demo = commands.add_parser("demo", help="run one photo through the whole flow")
    run_demo.add_argument("image", nargs="?", type=Path)
    run_demo.add_argument("--style", default="professional")
    run_demo.add_argument("--out", type=Path, default=Path("profilephoto-result.png"))
    args = parser.parse_args(argv)
    return demo(args.image, args.style, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
