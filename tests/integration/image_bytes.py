"""Image files built byte by byte, for shapes and damage that Pillow will not write itself."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a size and then ends: what a decompression bomb looks like up front."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
    )


def zero_png(width: int, height: int) -> bytes:
    """A real, complete black RGB PNG, compressed row by row (a 1 x 50M one is ~200 KB)."""
    row = b"\0" * (1 + 3 * width)
    rows_per_block = max(1, 4_000_000 // len(row))
    compressor = zlib.compressobj(9)
    parts = []
    for start in range(0, height, rows_per_block):
        parts.append(compressor.compress(row * min(rows_per_block, height - start)))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", b"".join(parts))
        + png_chunk(b"IEND", b"")
    )


def webp_header_only(width: int, height: int) -> bytes:
    """A lossless WebP whose header claims a size, with too little data behind it."""
    bits = (width - 1) | (height - 1) << 14  # 14 bits each, then alpha and version are 0
    payload = b"\x2f" + struct.pack("<I", bits) + b"\0" * 2047  # RIFF chunks are even
    chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def rgb16_png(width: int, height: int) -> bytes:
    """A 16-bit-per-channel RGB PNG, written by hand since Pillow only writes 8-bit RGB."""
    row = b"\x00" + struct.pack(">HHH", 65535, 32768, 0) * width
    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(row * height))
        + png_chunk(b"IEND", b"")
    )
