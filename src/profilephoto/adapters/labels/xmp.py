"""The XMP packet that says "made by AI", spliced into PNG, JPEG and WebP without re-encoding.

Pillow writes XMP only while it encodes the image again, which for JPEG and WebP would be
a second lossy compression of pixels that carry the model's own watermark (SynthID). So
the packet goes into the file's container as its specifications lay it out (PNG iTXt, JPEG
APP1, WebP `XMP ` chunk), and Pillow reads it back.
"""

from __future__ import annotations

import io
import struct
import zlib
from xml.etree import ElementTree
from xml.sax.saxutils import quoteattr

from PIL import Image

from profilephoto.domain.labels import DigitalSourceType

IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
XMP_BASIC = "http://ns.adobe.com/xap/1.0/"
JPEG_XMP_NAMESPACE = b"http://ns.adobe.com/xap/1.0/\x00"
PNG_XMP_KEYWORD = b"XML:com.adobe.xmp"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class NotAnImage(ValueError):
    """The bytes are not a PNG, JPEG or WebP file this module can place XMP in."""


def packet(source_type: DigitalSourceType, creator_tool: str) -> bytes:
    """An XMP packet with `Iptc4xmpExt:DigitalSourceType` and `xmp:CreatorTool`."""
    text = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        f'    xmlns:Iptc4xmpExt="{IPTC_EXT}"\n'
        f'    xmlns:xmp="{XMP_BASIC}"\n'
        f"    Iptc4xmpExt:DigitalSourceType={quoteattr(str(source_type))}\n"
        f"    xmp:CreatorTool={quoteattr(creator_tool)}/>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="r"?>'
    )
    return text.encode("utf-8")


def embed(data: bytes, content_type: str, xmp: bytes) -> bytes:
    """`data` with the packet in its container; the compressed pixels are left as they are."""
    if content_type == "image/png" and data.startswith(PNG_SIGNATURE):
        return _png(data, xmp)
    if content_type == "image/jpeg" and data.startswith(b"\xff\xd8"):
        return _jpeg(data, xmp)
    if content_type == "image/webp" and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp(data, xmp)
    raise NotAnImage(f"cannot place XMP in {content_type}")


def read(data: bytes) -> dict[str, str]:
    """The XMP properties the file carries, by `prefix:Name` (empty when it has none),
    found by Pillow and parsed as plain XML."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            raw = image.info.get("xmp") or image.info.get(PNG_XMP_KEYWORD.decode())
    except Exception:
        return {}
    if not raw:
        return {}
    try:
        root = ElementTree.fromstring(raw.encode() if isinstance(raw, str) else raw)
    except ElementTree.ParseError:
        return {}
    prefixes = {IPTC_EXT: "Iptc4xmpExt", XMP_BASIC: "xmp"}
    found: dict[str, str] = {}
    for element in root.iter():
        for name, value in element.attrib.items():
            namespace, _, local = name[1:].partition("}") if name.startswith("{") else ("", "", "")
            if namespace in prefixes:
                found[f"{prefixes[namespace]}:{local}"] = value
    return found


def _png(data: bytes, xmp: bytes) -> bytes:
    # iTXt: keyword, NUL, no compression (flag, method), empty language and translated
    # keyword (each NUL-terminated), then the UTF-8 text; placed before the first IDAT.
    body = PNG_XMP_KEYWORD + b"\x00\x00\x00\x00\x00" + xmp
    chunk = struct.pack(">I", len(body)) + b"iTXt" + body
    chunk += struct.pack(">I", zlib.crc32(b"iTXt" + body) & 0xFFFFFFFF)
    at = len(PNG_SIGNATURE)
    while at + 8 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        if data[at + 4 : at + 8] == b"IDAT":
            return data[:at] + chunk + data[at:]
        at += 12 + length
    raise NotAnImage("a PNG without image data")


def _jpeg(data: bytes, xmp: bytes) -> bytes:
    # APP1 after SOI and any APP0 (JFIF wants its APP0 first).
    body = JPEG_XMP_NAMESPACE + xmp
    if len(body) + 2 > 0xFFFF:
        raise NotAnImage("XMP packet too large for one APP1 segment")
    segment = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    at = 2
    while data[at : at + 2] == b"\xff\xe0":
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        at += 2 + length
    return data[:at] + segment + data[at:]


def _webp(data: bytes, xmp: bytes) -> bytes:
    # Extended format (VP8X) with the XMP flag set, and the `XMP ` chunk last.
    chunks = data[12:]
    if chunks[:4] == b"VP8X":
        header = bytearray(chunks[: 8 + 10])
        header[8] |= 0x04
        chunks = bytes(header) + chunks[18:]
    else:
        with Image.open(io.BytesIO(data)) as image:  # the header only: no pixel decoded
            width, height = image.size
            alpha = 0x10 if "A" in image.mode else 0
        flags = struct.pack("<B3x", 0x04 | alpha)
        canvas = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
        chunks = b"VP8X" + struct.pack("<I", 10) + flags + canvas + chunks
    padded = xmp + (b"\x00" if len(xmp) % 2 else b"")
    chunks += b"XMP " + struct.pack("<I", len(xmp)) + padded
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + chunks
