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


def zlib_zeros(total: int) -> bytes:
    """A zlib stream of `total` zero bytes, built from one compressed block repeated.

    Each block ends in a full flush, so it does not depend on what came before and may be
    repeated; only the checksum needs the whole length. Seconds instead of minutes for GBs.
    """
    block_size = 1 << 22
    whole, rest = divmod(total, block_size)
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = raw.compress(b"\0" * block_size) + raw.flush(zlib.Z_FULL_FLUSH)
    last = zlib.compressobj(9, zlib.DEFLATED, -15)
    end = last.compress(b"\0" * rest) + last.flush()
    zeros, checksum = b"\0" * block_size, 1
    for _ in range(whole):
        checksum = zlib.adler32(zeros, checksum)
    checksum = zlib.adler32(b"\0" * rest, checksum)
    return b"\x78\xda" + block * whole + end + struct.pack(">I", checksum)


def zero_png(width: int, height: int) -> bytes:
    """A real, complete black RGB PNG (rows of filter 0 and zeros: a 1 x 50M one is 200 KB)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib_zeros(height * (1 + 3 * width)))
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
