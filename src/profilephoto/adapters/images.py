"""Pillow image seam: decode defensively, strip metadata, shrink, and re-encode."""

from __future__ import annotations

import io
import logging
import threading

from PIL import Image, ImageCms, ImageOps

from profilephoto.adapters.decode_budget import (
    MB,
    BudgetBusy,
    DecodeBudget,
    OverBudget,
    return_freed_pixels_to_the_os,
)
from profilephoto.adapters.image_limits import ShapeLimits, decode_cost
from profilephoto.domain.errors import (
    GenerationFailed,
    ImageTooLarge,
    InvalidImage,
    TransientGenerationError,
)
from profilephoto.domain.models import GeneratedImage, ImageData

log = logging.getLogger(__name__)

# Only these decoders ever see user bytes: Pillow would otherwise try every plugin it has
# (PSD, TGA, ICNS...), a much larger attack surface than the upload policy allows.
# The JPEG opener also yields "MPO", the multi-picture JPEGs many phones write.
UPLOAD_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
RESULT_FORMATS = ("PNG", "JPEG", "WEBP")
CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
# A 48-megapixel phone sensor fits; anything larger is refused before a pixel is decoded.
DEFAULT_MAX_PIXELS = ShapeLimits().max_pixels
DEFAULT_BUDGET = 614 * MB  # DECODE_SHARE of a 1,024 MB function
WHITE = (255, 255, 255)

_heif_lock = threading.Lock()
_heif_registered = False


def _register_heif() -> None:
    """Teach Pillow HEIC/HEIF (what iPhones upload) once per process, not at import."""
    global _heif_registered
    with _heif_lock:
        if not _heif_registered:
            import pillow_heif

            pillow_heif.register_heif_opener()
            _heif_registered = True


class PillowImageProcessor:
    """Implements ImageProcessor: a safe, small, metadata-free JPEG for the model."""

    def __init__(
        self,
        max_side: int = 1024,
        result_format: str = "png",
        max_pixels: int = DEFAULT_MAX_PIXELS,
        jpeg_quality: int = 85,
        budget: DecodeBudget | None = None,
    ) -> None:
        if result_format not in CONTENT_TYPES:
            raise ValueError(f"result_format must be png, jpeg or webp, not {result_format!r}")
        self.max_side = max_side
        self.result_format = result_format
        self.limits = ShapeLimits(max_pixels=max_pixels)
        self.jpeg_quality = jpeg_quality
        # One budget for every thread of the process: the records of a batch share it.
        self.budget = budget or DecodeBudget(DEFAULT_BUDGET)
        return_freed_pixels_to_the_os()
        _register_heif()

    def normalize_upload(self, data: bytes, max_side: int | None = None) -> ImageData:
        """A safe, small, metadata-free copy of an upload; InvalidImage when it is not one."""
        side = max_side or self.max_side
        try:
            image = self._decode(data, UPLOAD_FORMATS, shrink_to=side)
        except _Rejected as rejected:
            raise InvalidImage(f"We couldn't use this photo: {rejected}.") from None
        return ImageData(data=self._encode(image, "jpeg"), content_type="image/jpeg")

    def encode_result(self, image: GeneratedImage) -> ImageData:
        """The result as stored (no metadata).

        Garbage from the model is GenerationFailed, not InvalidImage: it is not the user's
        fault, so the job must be refunded (invalid_image keeps the charge).
        """
        try:
            decoded = self._decode(image.data, RESULT_FORMATS, shrink_to=None)
        except _Rejected:
            raise GenerationFailed(
                "The image model returned a picture we could not use; you were not charged"
            ) from None
        return ImageData(
            data=self._encode(decoded, self.result_format),
            content_type=CONTENT_TYPES[self.result_format],
        )

    def _decode(self, data: bytes, formats: tuple[str, ...], shrink_to: int | None) -> Image.Image:
        """Upright 8-bit RGB pixels with no metadata, or _Rejected saying why.

        Memory is the attack surface here: the shape is checked from the header alone,
        JPEGs are drafted (decoded at 1/2..1/8 scale), and the decode waits for its
        estimated peak in the process-wide budget, so a batch of bombs queues instead of
        taking the worker down. A MemoryError that still happens is ImageTooLarge:
        refunded (the photo passed every limit we publish, so the failure is our
        capacity) and not retried (a retry would spend the same memory again).
        """
        if not data:
            raise _Rejected("the file is empty")
        try:
            with Image.open(io.BytesIO(data), formats=list(formats)) as opened:
                refusal = self.limits.refusal(*opened.size)
                if refusal:
                    raise _Rejected(refusal)
                full_size = opened.size
                if shrink_to and opened.format in ("JPEG", "MPO"):
                    # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: a 12 MP photo costs a
                    # fraction of the memory and time, and we shrink it anyway.
                    opened.draft(None, (shrink_to, shrink_to))
                # Shrinking right after decoding makes the later copies small; a model's
                # result keeps its size, so its copies are counted at full size.
                copies = 1 if shrink_to else 3
                with self.budget.reserve(decode_cost(opened, full_size, copies)):
                    opened.load()
                    image = _shrunk(opened, shrink_to) if shrink_to else opened
                    return _clean_rgb(ImageOps.exif_transpose(image))
        except _Rejected:
            raise
        except OverBudget as over:
            log.warning("image over the decode budget", extra={"detail": str(over)})
            raise ImageTooLarge() from None
        except BudgetBusy as busy:
            raise TransientGenerationError(f"The worker is busy decoding ({busy})") from None
        except MemoryError:
            log.error("out of memory while decoding an image")
            raise ImageTooLarge() from None
        except Image.DecompressionBombError as bomb:
            log.warning("decompression bomb refused", extra={"detail": str(bomb)})
            raise _Rejected("it has far more pixels than a photo") from None
        except Exception as error:
            # Pillow's decoders raise a zoo of types on crafted or cut-off input (OSError,
            # SyntaxError, ValueError, struct.error, EOFError...): each means "not usable".
            # The decoder's own words name Python objects; they go to the log, not the user.
            log.info("image rejected", extra={"reason": type(error).__name__, "detail": str(error)})
            raise _Rejected("it is not a readable JPEG, PNG, WebP or HEIC picture") from None

    def _encode(self, image: Image.Image, fmt: str) -> bytes:
        out = io.BytesIO()
        if fmt == "jpeg":
            image.save(out, "JPEG", quality=self.jpeg_quality, optimize=True)
        elif fmt == "webp":
            image.save(out, "WEBP", quality=self.jpeg_quality)
        else:
            image.save(out, "PNG", optimize=False, compress_level=6)
        return out.getvalue()


class _Rejected(Exception):
    """Internal: the bytes are not a usable image (mapped per direction by the caller)."""


_SRGB: ImageCms.ImageCmsProfile | None = None


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert through the embedded ICC profile (Display P3, CMYK press) when there is one."""
    global _SRGB
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "CMYK"):
        return image
    try:
        if _SRGB is None:
            _SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a broken profile is metadata we drop anyway; plain conversion follows
    return converted if converted is not None else image


def _shrunk(image: Image.Image, side: int) -> Image.Image:
    """The picture within side x side, resampled smoothly (palettes are expanded first)."""
    if image.mode in ("1", "P", "PA"):
        # Pillow resizes palette pictures by nearest neighbour only.
        has_alpha = image.mode == "PA" or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    # thumbnail's fast first step, reduce(), has no 16-bit kernels ("image has wrong mode"
    # above a 4:1 shrink); resampling straight from 16-bit grey is supported, so skip it.
    gap = None if image.mode.startswith("I;16") else 2.0
    image.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=gap)
    return image


def _clean_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB, alpha flattened on white, in a fresh image that carries no metadata."""
    image = _to_srgb(image)
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # Pillow clips 16-bit grey to 255 when converting; scale 0..65535 down instead.
        image = image.convert("I").point(lambda v: v * (1 / 257)).convert("L")
    elif mode == "F":
        image = image.convert("L")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("LA", "PA", "La", "RGBa"):
        image = image.convert("RGBA")
    if image.mode == "RGBA":
        background = Image.new("RGB", image.size, WHITE)
        background.paste(image, mask=image.getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    # A new image copies pixels only: EXIF (GPS!), XMP, ICC and comments stay behind.
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    return clean
