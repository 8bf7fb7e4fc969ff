"""`profilephoto inspect FILE`: the AI label a picture carries and who signed it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any, data_dir_help: str, default_data_dir: Path) -> None:
    inspect = subparsers.add_parser(
        "inspect", help="print a picture's AI label and signer; exit 1 when it has none"
    )
    inspect.add_argument("file", type=Path, metavar="FILE", help="a PNG, JPEG or WebP picture")
    inspect.add_argument(
        "--data-dir",
        type=Path,
        default=default_data_dir,
        help="whose local signing CA to trust (" + data_dir_help + ")",
    )


def run(args: argparse.Namespace) -> int:
    from profilephoto.adapters.labels.c2pa_labeler import C2paContentLabeler
    from profilephoto.adapters.labels.certificates import local_anchor

    try:
        data = args.file.read_bytes()
    except OSError as error:
        print(f"cannot read {args.file}: {error.strerror or error}", file=sys.stderr)
        return 2
    found = C2paContentLabeler(None, trust_anchors=local_anchor(args.data_dir)).read(data)
    if found is None:
        print(f"{args.file}: no AI label (no XMP DigitalSourceType, no C2PA manifest)")
        return 1
    print(f"{args.file}: made by AI ({found.source_type.term})")
    print(f"  model:  {found.model or 'not named'}")
    if not found.signed:
        print("  C2PA:   none (XMP only: anyone could have written or removed it)")
        return 0
    print(f"  signer: {found.signer or 'unnamed'}")
    if not found.intact:
        print("  C2PA:   INVALID: the file changed after it was signed")
        return 1
    print("  C2PA:   valid signed manifest")
    return 0
