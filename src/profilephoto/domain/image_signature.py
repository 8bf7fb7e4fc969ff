"""Whether the first bytes of a stored photo are those of an image type we accept."""

from __future__ import annotations

# Enough for every signature below (HEIF's brand sits at bytes 8-12).
SIGNATURE_BYTES = 32

# ISO base media file brands of HEIF still images (HEIC is HEIF with HEVC inside).
HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
)


def looks_like_image(first: bytes) -> bool:
    """A JPEG, PNG, WebP or HEIC/HEIF signature (docs/api.md §3.2): what the upload policy
    accepts. The worker still decodes the whole photo; this only keeps a renamed text
    file from being charged."""
    return (
        first.startswith(b"\xff\xd8\xff")
        or first.startswith(b"\x89PNG\r\n\x1a\n")
        or (first[:4] == b"RIFF" and first[8:12] == b"WEBP")
        or (first[4:8] == b"ftyp" and first[8:12] in HEIF_BRANDS)
    )


def image_type(first: bytes) -> str | None:
    """The content type the first bytes announce (`image/jpeg`, ...), or None: what a host
    that hands over bytes rather than a named file is taken to mean."""
    if first.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if first.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if first[:4] == b"RIFF" and first[8:12] == b"WEBP":
        return "image/webp"
    if first[4:8] == b"ftyp" and first[8:12] in HEIF_BRANDS:
        return "image/heic" if first[8:12] in (b"heic", b"heix", b"heim", b"heis") else "image/heif"
    return None
